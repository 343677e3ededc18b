"""Round trips and wall time by phase of one simulation: enrolment, events, claiming at each
instant (the scheduler ``tick`` or ``Timeline.claim_all``), finding the next instant, dispatch.

Run: ``.venv/bin/python -m benchmarks.sim_phases [--n N] [--mode batched|stepwise]``. The state
client counts its request/response exchanges (``benchmarks.inprocess.CountingConnection``); each
phase is timed by wrapping the function the simulator calls for it. The stepwise tick's figures
include the dispatches it makes, which are also counted on their own.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import redis

import worker.sim.simulate as sim
from benchmarks.fixtures import SIM_DAYS, private_redis
from benchmarks.inprocess import CountingConnection, counting_pool
from worker.sim.demo_data import generate_accounts, generate_events
from worker.sim.run import DEMO_START
from worker.storage.timeline import Timeline

_trips: defaultdict[str, int] = defaultdict(int)
_seconds: defaultdict[str, float] = defaultdict(float)
_calls: defaultdict[str, int] = defaultdict(int)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def inner(*args: Any, **kwargs: Any) -> Any:
        t0, sent = time.perf_counter(), CountingConnection.sent
        try:
            return fn(*args, **kwargs)
        finally:
            _trips[name] += CountingConnection.sent - sent
            _seconds[name] += time.perf_counter() - t0
            _calls[name] += 1

    return inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--mode", choices=("batched", "stepwise"), default="batched")
    args = parser.parse_args()
    for owner, attribute, label in (
        (sim, "enroll_raw", "enrolment"),
        (sim, "apply_raw", "events"),
        (sim, "dispatch", "dispatch"),
        (sim, "tick", "tick (with its dispatches)"),
        (Timeline, "claim_all", "claim_all"),
        (Timeline, "next_due", "next_due"),
    ):
        setattr(owner, attribute, _timed(label, getattr(owner, attribute)))
    with private_redis() as bench:
        bench.flush()
        client = redis.Redis(connection_pool=counting_pool(bench.state_url, decode_responses=True))
        accounts = generate_accounts(DEMO_START.date(), args.n)
        events = generate_events(accounts, DEMO_START)
        t0, sent = time.perf_counter(), CountingConnection.sent
        result = sim.simulate(
            bench.settings(),
            client,
            accounts=((f"demo:{i}", a) for i, a in enumerate(accounts)),
            events=((f"events:{i}", e) for i, e in enumerate(events)),
            start=DEMO_START,
            days=SIM_DAYS,
            stepwise=args.mode == "stepwise",
        )
        seconds, trips = time.perf_counter() - t0, CountingConnection.sent - sent
        client.close()
    print(
        f"{args.n} accounts x {SIM_DAYS} days, {args.mode}: {seconds:.1f}s, {trips} round trips, "
        f"{len(result.outcomes)} outcomes, {len(events)} events"
    )
    for name, n in _calls.items():
        each = _trips[name] / n
        print(
            f"  {name:28s} calls {n:6d}  round trips {_trips[name]:7d} ({each:.1f} each)  "
            f"{_seconds[name]:.1f}s"
        )


if __name__ == "__main__":
    main()
