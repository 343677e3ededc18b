"""How long `remind status` takes to count a day of decisions from the audit log, as JSON.

Run: ``.venv/bin/python benchmarks/bench_status.py [--decisions N]``. It starts the embedded
redis-server in a temporary directory, writes N audit records spread over the last 24 hours (each
with ten rule checks, as a real decision carries), and times ``stats.activity`` against the
baseline of only fetching the same records (ZRANGEBYSCORE, no JSON parsing, no counting).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from worker.clock import to_epoch
from worker.storage import connection, keys, stats
from worker.storage.embedded import EmbeddedRedis

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
OUTCOMES = (
    ("sent", "-"),
    ("deferred", "cap"),
    ("deferred", "quiet_hours"),
    ("suppressed", "no_consent"),
)
CHANNELS = ("sms", "email", "voice")


def _fill(client: redis.Redis, n: int) -> None:
    pipe = client.pipeline(transaction=False)
    end = to_epoch(NOW)
    for i in range(n):
        outcome, reason = OUTCOMES[i % len(OUTCOMES)]
        record = {
            "account_id": f"A-{i}", "outcome": outcome, "reason": reason,
            "channel": CHANNELS[i % len(CHANNELS)], "at": "2026-03-04T00:00:00Z",
            "checks": [{"rule": f"pack/R{j}@1", "verdict": "allow", "reason": None}
                       for j in range(10)],
        }  # fmt: skip
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))  # as publish writes
        pipe.zadd(keys.audit(keys.shard_of(f"A-{i}")), {line: end - (i * 86_000 / n)})
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(tmp) as server:
        assert server.url is not None
        client = connection.client(server.url)
        _fill(client, args.decisions)
        lo, hi = to_epoch(NOW) - 86_400, to_epoch(NOW)
        shards = [keys.audit(n) for n in range(keys.TIMELINE_SHARDS)]
        fetch = _median_ms(lambda: [client.zrangebyscore(key, lo, hi) for key in shards], args.runs)
        count = _median_ms(lambda: stats.activity(client, NOW), args.runs)
        rows = stats.activity(client, NOW)
        print(json.dumps({
            "decisions_in_day": sum(r.last_day for r in rows),
            "activity_ms": count,
            "baseline_fetch_only_ms": fetch,
        }))  # fmt: skip
        client.close()


if __name__ == "__main__":
    main()
