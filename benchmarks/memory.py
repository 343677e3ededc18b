"""Simulated account-days per second, and Redis memory per account after enrolment and after
``SIM_DAYS`` simulated days.

Memory is the sum of ``MEMORY USAGE <key> SAMPLES 0`` (every element counted, not a sample) over
every key of the state database, divided by the accounts: shared keys (the timeline, the results
stream, the audit log, the pinned schedules, the phone index) are part of what each account
costs, spread over all of them. Redis's own per-database overhead is not counted.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from benchmarks.fixtures import SIM_DAYS, Bench
from worker.intake import enroll_raw
from worker.sim.demo_data import generate_accounts, generate_events
from worker.sim.run import DEMO_START
from worker.sim.simulate import simulate


def key_memory(client: redis.Redis) -> tuple[int, int]:
    """(bytes, keys) of every key in ``client``'s database."""
    total = count = 0
    for key in client.scan_iter(count=1000):
        used = client.memory_usage(key, samples=0)
        total += int(used or 0)
        count += 1
    return total, count


def measure_enrolled(bench: Bench, n: int) -> dict[str, Any]:
    """Bytes and keys per account after enrolling ``n`` demo accounts."""
    bench.flush()
    client = bench.client()
    app = bench.app(client)
    for i, data in enumerate(generate_accounts(DEMO_START.date(), n)):
        enroll_raw(app, data, source=f"demo:{i}")
    used, count = key_memory(client)
    client.close()
    return {"redis_bytes_per_account": used / n, "redis_keys_per_account": count / n}


def measure_simulation(bench: Bench, n: int) -> dict[str, Any]:
    """Simulate ``n`` demo accounts (and the demo's events) for ``SIM_DAYS`` days; the speed in
    account-days per second, then the memory per account that is left."""
    bench.flush()
    client = bench.client()
    accounts = generate_accounts(DEMO_START.date(), n)
    events = generate_events(accounts, DEMO_START)
    t0 = time.perf_counter()
    result = simulate(
        bench.settings(),
        client,
        accounts=((f"demo:{i}", a) for i, a in enumerate(accounts)),
        events=((f"events:{i}", e) for i, e in enumerate(events)),
        start=DEMO_START,
        days=SIM_DAYS,
    )
    seconds = time.perf_counter() - t0
    used, count = key_memory(client)
    client.close()
    return {
        "simulate_account_days_per_s": n * SIM_DAYS / seconds,
        "simulate_seconds": seconds,
        "simulate_outcomes": len(result.outcomes),
        "redis_bytes_per_account_steady": used / n,
        "redis_keys_per_account_steady": count / n,
    }
