"""A cProfile of the hottest path, in-process dispatch, for ``benchmarks/RESULTS.md``.

Run: ``.venv/bin/python -m benchmarks.profile_dispatch [--n 1000] [--top 25]``. It enrolls ``n``
accounts whose first step is due (as the pipeline benchmark does), warms up on a few, then
profiles ``dispatch`` on the rest with the production sinks (the results queue on the broker)
and prints the top entries by own time and by cumulative time. Private Redis, as ``make bench``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from dramatiq.brokers.redis import RedisBroker

from benchmarks.setup import due_account, private_redis
from worker.dispatch.pipeline import dispatch
from worker.intake import enroll_raw
from worker.runtime.scheduler import tick
from worker.storage.results import dramatiq_sink

WARM = 8


def profile(n: int, top: int) -> str:
    """The profile of ``n`` in-process dispatches as text."""
    with private_redis() as bench:
        bench.flush()
        broker = RedisBroker(url=bench.broker_url)  # type: ignore[no-untyped-call]
        settings = bench.settings()
        app = bench.app(
            sinks=[dramatiq_sink(broker, settings.results_queue, settings.results_actor)]
        )
        for i in range(WARM + n):
            enroll_raw(app, due_account(i), source="bench")
        claims: list[tuple[str, float]] = []
        tick(app, lambda account_id, due: claims.append((account_id, due)))
        for account_id, due in claims[:WARM]:
            dispatch(app, account_id, due)
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        profiler.enable()
        for account_id, due in claims[WARM:]:
            dispatch(app, account_id, due)
        profiler.disable()
        seconds = time.perf_counter() - t0
        broker.close()
        app.client.close()
    out = io.StringIO()
    out.write(f"{n} in-process dispatches in {seconds:.2f}s under the profiler\n")
    for order in ("tottime", "cumulative"):
        out.write(f"\n--- top {top} by {order} ---\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Parse ``--n`` and ``--top``, print the profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1000, help="dispatches to profile")
    parser.add_argument("--top", type=int, default=25, help="entries per table")
    args = parser.parse_args(argv)
    print(profile(args.n, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
