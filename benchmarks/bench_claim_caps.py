"""Throughput of the timeline claim and the caps reserve Lua, against plain commands, as JSON.

Run: ``.venv/bin/python benchmarks/bench_claim_caps.py`` (add ``--help`` for sizes). It starts the
embedded redis-server in a temporary directory and stops it at the end.

The baselines do the same reads and writes without Lua and without atomicity: the claim as
ZRANGEBYSCORE then a pipelined ZADD XX (two round trips per batch) on one sorted set (the Lua
claim walks the timeline's shards), the reserve as one pipeline
of reads (GET, ZREMRANGEBYSCORE, ZCOUNT per cap) then one of writes (ZADD, EXPIRE, SET). They
show what the single atomic round trip costs or saves, not a correct alternative.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import cast

import redis

from worker.cadence.policy import Cap
from worker.clock import to_epoch
from worker.gate.caps import DEFAULT_IDEMPOTENCY_TTL, Caps, CapSpec
from worker.storage import connection, keys
from worker.storage.embedded import EmbeddedRedis
from worker.storage.timeline import Timeline

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEASE_SECONDS = 300.0
CAPS = (
    Cap("daily", "any", limit=3, window_seconds=86400),
    Cap("weekly", "any", limit=7, window_seconds=7 * 86400),
)


def _timed(work: Callable[[], int]) -> tuple[int, float]:
    """Run ``work`` (which returns how many operations it did) and measure it."""
    began = time.perf_counter()
    done = work()
    return done, time.perf_counter() - began


#: The baseline's one sorted set (the timeline itself is split into shards).
PLAIN_TIMELINE = "bench:plain-timeline"


def _fill_timeline(client: redis.Redis, entries: int, *, plain: bool = False) -> None:
    client.flushall()
    timeline = Timeline(client)
    with client.pipeline(transaction=False) as pipe:
        for i in range(entries):
            if plain:
                pipe.zadd(PLAIN_TIMELINE, {f"acct-{i}": to_epoch(START) - i})
            else:
                timeline.place(f"acct-{i}", START - timedelta(seconds=i), pipe)
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()


def _lua_claims(client: redis.Redis, batch: int) -> int:
    timeline = Timeline(client)
    claimed = 0
    while got := timeline.claim(START, lease_seconds=LEASE_SECONDS, limit=batch):
        claimed += len(got)
    return claimed


def _plain_claims(client: redis.Redis, batch: int) -> int:
    now, until = to_epoch(START), to_epoch(START) + LEASE_SECONDS
    claimed = 0
    while due := cast(
        list[str], client.zrangebyscore(PLAIN_TIMELINE, "-inf", now, start=0, num=batch)
    ):
        client.zadd(PLAIN_TIMELINE, dict.fromkeys(due, until), xx=True)
        claimed += len(due)
    return claimed


def _attempts(calls: int, persons: int) -> list[tuple[str, str, datetime]]:
    """(person, dispatch id, instant): persons in turn, each attempt a minute after the last."""
    return [(f"p{n % persons}", f"d{n}", START + timedelta(minutes=n)) for n in range(calls)]


def _lua_reserves(client: redis.Redis, calls: int, persons: int) -> int:
    caps = Caps(client)
    for person, dispatch_id, at in _attempts(calls, persons):
        specs = [
            CapSpec(
                keys.cap_counter(person, c.id, "person"), c.limit, window_seconds=c.window_seconds
            )
            for c in CAPS
        ]
        caps.reserve_specs(person_id=person, dispatch_id=dispatch_id, specs=specs, now=at)
    return calls


def _plain_reserves(client: redis.Redis, calls: int, persons: int) -> int:
    for person, dispatch_id, at in _attempts(calls, persons):
        now = to_epoch(at)
        idem = f"plain:{keys.idempotency(person, dispatch_id)}"
        logs = [f"plain:{keys.cap_counter(person, c.id, 'person')}" for c in CAPS]
        with client.pipeline(transaction=False) as pipe:
            pipe.get(idem)
            for log, cap in zip(logs, CAPS, strict=True):
                pipe.zremrangebyscore(log, "-inf", now - cap.window_seconds)
                pipe.zcount(log, "-inf", "+inf")
            reply = pipe.execute()
        counts = reply[2::2]
        if reply[0] is not None or any(n >= c.limit for n, c in zip(counts, CAPS, strict=True)):
            continue
        with client.pipeline(transaction=False) as pipe:
            for log, cap in zip(logs, CAPS, strict=True):
                pipe.zadd(log, {dispatch_id: now})
                pipe.expire(log, cap.window_seconds + 1)
            pipe.set(idem, f"claimed:{now}", ex=DEFAULT_IDEMPOTENCY_TTL)
            pipe.execute()
    return calls


def _rate(done: int, seconds: float) -> float:
    return round(done / seconds, 1) if seconds > 0 else float("inf")


def run(url: str, entries: int, batch: int, reserves: int, persons: int) -> dict[str, object]:
    """Measure both pairs on the server at ``url`` and return the report."""
    client = connection.client(url)
    client.flushall()
    report: dict[str, object] = {"redis_version": client.info("server")["redis_version"]}

    claim: dict[str, object] = {"entries": entries, "batch": batch}
    for name, claimer in (("lua", _lua_claims), ("baseline_plain", _plain_claims)):
        _fill_timeline(client, entries, plain=name != "lua")
        done, seconds = _timed(partial(claimer, client, batch))
        if done != entries:
            raise SystemExit(f"{name} claim took {done} of {entries} entries")
        claim[name] = {"seconds": round(seconds, 4), "claims_per_s": _rate(done, seconds)}
    report["claim"] = claim

    reserve: dict[str, object] = {"calls": reserves, "persons": persons, "caps": len(CAPS)}
    for name, reserver in (("lua", _lua_reserves), ("baseline_plain", _plain_reserves)):
        client.flushall()
        done, seconds = _timed(partial(reserver, client, reserves, persons))
        reserve[name] = {"seconds": round(seconds, 4), "calls_per_s": _rate(done, seconds)}
    report["reserve"] = reserve
    client.close()
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse sizes, run against a fresh embedded redis-server, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=50_000, help="timeline entries to claim")
    parser.add_argument("--batch", type=int, default=500, help="entries per claim call")
    parser.add_argument("--reserves", type=int, default=20_000, help="reserve calls to time")
    parser.add_argument("--persons", type=int, default=1_000, help="persons the calls rotate over")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory, EmbeddedRedis(directory) as server:
        assert server.url is not None
        report = run(server.url, args.entries, args.batch, args.reserves, args.persons)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
