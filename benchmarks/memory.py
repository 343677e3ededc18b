"""Simulated account-days per second, and Redis memory per account after enrolment and after
``SIM_DAYS`` simulated days.

Memory is the sum of ``MEMORY USAGE <key> SAMPLES 0`` (every element counted, not a sample) over
every key of the state database, divided by the accounts: shared keys (the timeline, the results
stream, the audit log, the pinned schedules, the phone index) are part of what each account
costs, spread over all of them. Redis's own per-database overhead is not counted.

The steady state is what a live deployment holds after ``SIM_DAYS`` days, so the results stream
is counted as its retention leaves it: the entries of the last ``REMIND_RESULTS_RETENTION_DAYS``
of simulated time. The simulator's stream ids come from the wall clock (a run takes seconds), so
its own trim by id never fires; the benchmark trims by each entry's ``at`` instead, keeping the
ids (``retain_results``). ``redis_bytes_per_account_steady_untrimmed`` is the figure before that
trim, the definition of earlier runs. Keys with a TTL (claims, call counts, cap logs) count
whole: Redis expires them by wall clock, which a run of seconds does not move.
``redis_bytes_per_account_steady_no_audit`` leaves out the audit log (``remind:{au:*}:audit``),
which is moving out of Redis.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from typing import Any

import redis

from benchmarks.fixtures import SIM_DAYS, Bench
from worker.intake import enroll_raw
from worker.sim.demo_data import generate_accounts, generate_events
from worker.sim.run import DEMO_START
from worker.sim.simulate import simulate
from worker.storage import keys


def key_memory(client: redis.Redis, *, audit: bool = True) -> tuple[int, int]:
    """(bytes, keys) of every key in ``client``'s database (without the audit log's keys if
    not ``audit``)."""
    total = count = 0
    for key in client.scan_iter(count=1000):
        if not audit and is_audit(key):
            continue
        used = client.memory_usage(key, samples=0)
        total += int(used or 0)
        count += 1
    return total, count


def is_audit(key: str) -> bool:
    """Whether ``key`` is a shard of the audit log (or an older version's single log)."""
    head, _, tail = re.escape(keys.audit(0)).rpartition("0")
    return key == keys.LEGACY_AUDIT or re.fullmatch(head + r"\d+" + tail, key) is not None


def retain_results(client: redis.Redis, end: datetime, days: float) -> tuple[int, int]:
    """Keep the results stream's entries whose ``at`` is within ``days`` of ``end``, with their
    ids, as a live deployment's trim would have; (entries before, entries kept)."""
    since = end - timedelta(days=days)
    entries: Any = client.xrange(keys.RESULTS_STREAM)
    kept = [
        (entry_id, fields)
        for entry_id, fields in entries
        if datetime.fromisoformat(json.loads(fields["outcome"])["at"].replace("Z", "+00:00"))
        >= since
    ]
    pipe = client.pipeline(transaction=True)
    pipe.delete(keys.RESULTS_STREAM)
    for entry_id, fields in kept:
        pipe.xadd(keys.RESULTS_STREAM, fields, id=entry_id)
    pipe.execute()
    return len(entries), len(kept)


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


def measure_simulation(bench: Bench, n: int, *, stepwise: bool = False) -> dict[str, Any]:
    """Simulate ``n`` demo accounts (and the demo's events) for ``SIM_DAYS`` days; the speed in
    account-days per second, then the memory per account that is left. ``stepwise``: the
    simulator's per-instant scheduler tick instead of its batched claim (the A/B baseline)."""
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
        stepwise=stepwise,
    )
    seconds = time.perf_counter() - t0
    untrimmed, _ = key_memory(client)
    settings = bench.settings()
    before, kept = retain_results(
        client, DEMO_START + timedelta(days=SIM_DAYS), settings.results_retention_days
    )
    used, count = key_memory(client)
    no_audit, _ = key_memory(client, audit=False)
    client.close()
    return {
        "simulate_account_days_per_s": n * SIM_DAYS / seconds,
        "simulate_seconds": seconds,
        "simulate_outcomes": len(result.outcomes),
        "redis_bytes_per_account_steady": used / n,
        "redis_keys_per_account_steady": count / n,
        "redis_bytes_per_account_steady_no_audit": no_audit / n,
        "redis_bytes_per_account_steady_untrimmed": untrimmed / n,
        "results_stream_entries_per_account": kept / n,
        "results_stream_entries_per_account_untrimmed": before / n,
    }
