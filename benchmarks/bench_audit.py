"""The cost of publishing an outcome with its audit record, before and after the audit log left
Redis memory, in the same run, as JSON.

Run: ``.venv/bin/python -m benchmarks.bench_audit [--n N] [--rounds R]``. It starts the embedded
redis-server in a temporary directory and times ``Results.publish`` of N outcomes with ten rule
checks each, alternating rounds between today's writes (the audit stream and the recent window,
``worker.storage.auditlog``) and the sorted-set log it replaced (``ZADD`` of the whole record
kept three years, ``ZREMRANGEBYSCORE`` of two shards), each on a flushed database. Then it
times one archiver run over what the last round left (records a second into daily files).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from worker.contracts.outcome import Outcome
from worker.storage import connection, keys, metrics
from worker.storage.auditarchive import archive_once
from worker.storage.auditfiles import FileArchive
from worker.storage.embedded import EmbeddedRedis
from worker.storage.results import Results, _check_dict
from worker.storage.store import RECENT_OUTCOMES

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
CHECKS = [
    {"rule": f"pack/R{j}@1", "kind": "x", "verdict": "allow", "reason": None} for j in range(10)
]


class SortedSetResults(Results):
    """``Results.stage`` as it was before: the whole record in the shard's sorted set."""

    def stage(self, pipe: Any, outcome: Outcome, checks: Sequence[Any] = ()) -> dict[str, Any]:
        record = outcome.to_json_dict()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        audit = {**record, "checks": [_check_dict(c) for c in checks]}
        at = datetime.fromisoformat(record["at"].replace("Z", "+00:00")).timestamp()
        pipe.xadd(keys.RESULTS_STREAM, {"outcome": line}, minid=self._trim_before, approximate=True)
        shard = keys.shard_of(outcome.account_id)
        pipe.zadd(
            keys.audit(shard), {json.dumps(audit, ensure_ascii=False, separators=(",", ":")): at}
        )
        old = f"({at - self.audit_retention_days * 86400}"
        turn = next(self._trim_turn) % (keys.TIMELINE_SHARDS + 1)
        for key in {keys.audit(shard), keys.audit(turn) if turn < keys.TIMELINE_SHARDS
                    else keys.LEGACY_AUDIT}:  # fmt: skip
            pipe.zremrangebyscore(key, "-inf", old)
        if outcome.person_id:
            recent = keys.recent_outcomes(outcome.person_id, outcome.account_id)
            pipe.lpush(recent, line)
            pipe.ltrim(recent, 0, RECENT_OUTCOMES - 1)
        metrics.count(pipe, record)
        return record


def _outcomes(n: int) -> list[Outcome]:
    base = dict.fromkeys(Outcome.model_fields, None)
    return [
        Outcome.model_validate(
            base
            | {
                "id": f"A-{i}:s",
                "at": (NOW + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                "account_id": f"A-{i}",
                "person_id": f"P-{i}",
                "outcome": "sent",
                "channel": "sms",
            }
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    outcomes = _outcomes(args.n)
    timings: dict[str, list[float]] = {"sorted_set_before": [], "stream_after": []}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "r") as server:
        assert server.url is not None
        client = connection.client(server.url)
        for _ in range(args.rounds):
            for name, kind in (("sorted_set_before", SortedSetResults), ("stream_after", Results)):
                client.flushdb()
                results = kind(client)
                t = time.perf_counter()
                for o in outcomes:
                    results.publish(o, CHECKS)
                timings[name].append((time.perf_counter() - t) * 1e6 / args.n)
        t = time.perf_counter()
        run = archive_once(
            client, FileArchive(Path(tmp) / "audit"), now=NOW, retention_days=1096, redis_days=2
        )
        archive_s = time.perf_counter() - t
        client.close()
    print(json.dumps({
        "publishes_per_round": args.n, "rounds": args.rounds,
        **{f"{k}_us_min": round(min(v), 1) for k, v in timings.items()},
        **{f"{k}_us_median": round(statistics.median(v), 1) for k, v in timings.items()},
        "archived": run.archived, "archive_records_per_s": round(run.archived / archive_s),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
