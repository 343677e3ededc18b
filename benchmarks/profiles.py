"""Where the time and the memory go, for ``benchmarks/RESULTS.md``: the profiles behind each
target ``make bench`` misses.

Run: ``.venv/bin/python -m benchmarks.profiles WHAT [--n N] [--top K]`` with WHAT one of

- ``dispatch``: cProfile of ``n`` in-process dispatches of due steps (the hottest path: what a
  worker thread does per message), with the production sink (the results queue on the broker);
- ``gate``: cProfile of ``n`` gate decisions for the account every US pack applies to;
- ``simulate``: cProfile of the simulator on ``n`` demo accounts for 60 days;
- ``trips``: what each Redis round trip of one in-process dispatch sends (``n`` is ignored);
- ``memory``: Redis memory per account by key family, after ``n`` demo accounts were simulated
  for 60 days.

Each starts a private redis-server, as ``make bench`` does.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import time
from collections import defaultdict
from collections.abc import Callable

import redis
from dramatiq.brokers.redis import RedisBroker

from benchmarks.fixtures import Bench, due_account, private_redis
from benchmarks.inprocess import ALLOWED_AT, CountingConnection, counting_pool, gate_case
from benchmarks.memory import measure_simulation
from worker.dispatch.pipeline import dispatch
from worker.intake import enroll_raw
from worker.runtime.scheduler import tick
from worker.storage.results import dramatiq_sink

WARM = 8


def _profiled(work: Callable[[], None], title: str, top: int) -> str:
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    work()
    profiler.disable()
    out = io.StringIO()
    out.write(f"{title} in {time.perf_counter() - t0:.2f}s under the profiler\n")
    for order in ("tottime", "cumulative"):
        out.write(f"\n--- top {top} by {order} ---\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
    return out.getvalue()


def profile_dispatch(bench: Bench, n: int, top: int) -> str:
    """cProfile of ``n`` in-process dispatches."""
    bench.flush()
    broker = RedisBroker(url=bench.broker_url)  # type: ignore[no-untyped-call]
    settings = bench.settings()
    app = bench.app(sinks=[dramatiq_sink(broker, settings.results_queue, settings.results_actor)])
    for i in range(WARM + n):
        enroll_raw(app, due_account(i), source="bench")
    claims: list[tuple[str, float, str | None]] = []  # as the scheduler sends them
    tick(app, lambda account_id, due, person: claims.append((account_id, due, person)), people=True)
    for account_id, due, person in claims[:WARM]:
        dispatch(app, account_id, due, person=person)

    def work() -> None:
        for account_id, due, person in claims[WARM:]:
            dispatch(app, account_id, due, person=person)

    text = _profiled(work, f"{n} in-process dispatches", top)
    broker.close()
    app.client.close()
    return text


def profile_gate(bench: Bench, n: int, top: int) -> str:
    """cProfile of ``n`` allowed gate decisions under every US pack."""
    case = gate_case(bench)
    case.decide(ALLOWED_AT)

    def work() -> None:
        for _ in range(n):
            case.decide(ALLOWED_AT)

    text = _profiled(work, f"{n} gate decisions ({case.rules} rules)", top)
    case.app.client.close()
    return text


def profile_simulate(bench: Bench, n: int, top: int) -> str:
    """cProfile of the simulator on ``n`` demo accounts for 60 days."""

    def work() -> None:
        measure_simulation(bench, n)

    return _profiled(work, f"simulating {n} accounts x 60 days", top)


def dispatch_trips(bench: Bench, n: int, top: int) -> str:
    """The commands of each round trip of one in-process dispatch (after a warm-up one)."""
    bench.flush()
    state = redis.Redis(connection_pool=counting_pool(bench.state_url, decode_responses=True))
    broker = RedisBroker(client=redis.Redis(connection_pool=counting_pool(bench.broker_url)))  # type: ignore[no-untyped-call]
    settings = bench.settings()
    sink = dramatiq_sink(broker, settings.results_queue, settings.results_actor)
    app = bench.app(state, sinks=[sink])
    for i in range(2):
        enroll_raw(app, due_account(i), source="bench")
    claims: list[tuple[str, float, str | None]] = []  # as the scheduler sends them
    tick(app, lambda account_id, due, person: claims.append((account_id, due, person)), people=True)
    account_id, due, person = claims[0]
    dispatch(app, account_id, due, person=person)
    CountingConnection.trips = []
    try:
        account_id, due, person = claims[1]
        outcomes = dispatch(app, account_id, due, person=person)
        trips = CountingConnection.trips
    finally:
        CountingConnection.trips = None
    lines = [f"one dispatch ({', '.join(o.outcome for o in outcomes)}): {len(trips)} round trips"]
    lines += [f"{n:>3}. {' | '.join(names)}" for n, names in enumerate(trips, start=1)]
    broker.close()
    state.close()
    return "\n".join(lines)


#: Parts of a key that name one account, person, number or attempt: folded to see key families.
_FOLD = (
    (re.compile(r"\{p:[^}]*\}"), "{p:*}"),
    (re.compile(r"(demo|bench)-[\w-]+"), "*"),
    (re.compile(r"\+\d{6,}"), "+*"),
    (re.compile(r"(?<=:)[\w.#-]*\d[\w.#-]*(?=:|$)"), "*"),
)


def memory_by_family(bench: Bench, n: int, top: int) -> str:
    """Bytes per account of each key family after simulating ``n`` demo accounts 60 days."""
    figures = measure_simulation(bench, n)
    client = bench.client()
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key in client.scan_iter(count=1000):
        family = key
        for pattern, repl in _FOLD:
            family = pattern.sub(repl, family)
        entry = sizes[family]
        entry[0] += int(client.memory_usage(key, samples=0) or 0)
        entry[1] += 1
    client.close()
    total = sum(b for b, _ in sizes.values())
    lines = [
        f"{n} demo accounts after 60 simulated days: {total / n:,.0f} B per account "
        f"({figures['redis_keys_per_account_steady']:.1f} keys)",
        f"without the audit log: {figures['redis_bytes_per_account_steady_no_audit']:,.0f} B per "
        f"account; results stream as its retention leaves it: "
        f"{figures['results_stream_entries_per_account']:.1f} entries per account (before the "
        f"trim {figures['results_stream_entries_per_account_untrimmed']:.1f}, everything "
        f"{figures['redis_bytes_per_account_steady_untrimmed']:,.0f} B per account)",
        f"{'key family':<52} {'B/account':>10} {'share':>6} {'keys':>7}",
    ]
    for family, (used, count) in sorted(sizes.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"{family:<52} {used / n:>10,.0f} {used / total:>6.1%} {count:>7}")
    return "\n".join(lines)


WHAT = {
    "dispatch": (profile_dispatch, 1000),
    "gate": (profile_gate, 5000),
    "simulate": (profile_simulate, 100),
    "memory": (memory_by_family, 100),
    "trips": (dispatch_trips, 1),
}


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, print the profile asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=sorted(WHAT))
    parser.add_argument("--n", type=int, help="how much work (default: per profile)")
    parser.add_argument("--top", type=int, default=25, help="entries per table")
    args = parser.parse_args(argv)
    profile, default_n = WHAT[args.what]
    with private_redis() as bench:
        print(profile(bench, args.n or default_n, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
