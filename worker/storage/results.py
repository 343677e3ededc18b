"""Publishing outcome records: the Redis stream, the results queue and per-account history."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import is_dataclass
from datetime import datetime
from typing import Any

import dramatiq
import redis

from worker.config import DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_RESULTS_MAXLEN
from worker.contracts.outcome import Outcome
from worker.storage import keys, metrics
from worker.storage.store import RECENT_OUTCOMES

Sink = Callable[[dict[str, Any]], None]


class Results:
    """Every outcome goes to the stream ``remind:results``, the account's recent list, and each
    extra sink (the dramatiq results queue in production, a JSON Lines file in the simulator)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        sinks: list[Sink] | None = None,
        maxlen: int = DEFAULT_RESULTS_MAXLEN,
        audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS,
    ):
        self.client = client
        self.sinks = list(sinks or [])
        self.maxlen = maxlen
        self.audit_retention_days = audit_retention_days
        self._lock = threading.Lock()

    def publish(self, outcome: Outcome, checks: Sequence[Any] = ()) -> dict[str, Any]:
        """Send ``outcome`` everywhere and append it, with the rule checks behind it, to the
        audit log (kept ``audit_retention_days``, then trimmed)."""
        record = outcome.to_json_dict()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        audit = {**record, "checks": [_check_dict(c) for c in checks]}
        at = datetime.fromisoformat(record["at"].replace("Z", "+00:00")).timestamp()
        pipe = self.client.pipeline(transaction=False)
        pipe.xadd(keys.RESULTS_STREAM, {"outcome": line}, maxlen=self.maxlen, approximate=True)
        pipe.zadd(keys.AUDIT, {json.dumps(audit, ensure_ascii=False, separators=(",", ":")): at})
        pipe.zremrangebyscore(keys.AUDIT, "-inf", f"({at - self.audit_retention_days * 86400}")
        if outcome.person_id:
            recent = keys.recent_outcomes(outcome.person_id, outcome.account_id)
            pipe.lpush(recent, line)
            pipe.ltrim(recent, 0, RECENT_OUTCOMES - 1)
        metrics.count(pipe, record)  # /metrics: in the same round trip
        pipe.execute()
        for sink in self.sinks:
            with self._lock:
                sink(record)
        return record


def dramatiq_sink(broker: Any, queue_name: str, actor_name: str) -> Sink:
    """A sink that enqueues each outcome as a message for ``actor_name`` on ``queue_name``.

    The consumer (a billing or servicing system) defines that actor; remind only sends to it.
    """
    broker.declare_queue(queue_name)

    def send(outcome: dict[str, Any]) -> None:
        broker.enqueue(
            dramatiq.Message(
                queue_name=queue_name,
                actor_name=actor_name,
                args=(outcome,),
                kwargs={},
                options={},
            )
        )

    return send


def tail(
    client: redis.Redis, *, last_id: str = "$", block_ms: int = 5000
) -> Iterator[dict[str, Any]]:
    """Follow the results stream from ``last_id`` (``$``: only new, ``0``: from the start)."""
    while True:
        batch: Any = client.xread({keys.RESULTS_STREAM: last_id}, block=block_ms, count=100)
        if not batch:
            yield {}
            continue
        for _stream, entries in batch:
            for entry_id, fields in entries:
                last_id = entry_id
                raw = fields.get("outcome")
                if raw is not None:
                    yield json.loads(raw)


def _check_dict(check: Any) -> dict[str, Any]:
    # a shallow copy: dataclasses.asdict deep-copies and was a tenth of a simulation's time
    data = dict(vars(check)) if is_dataclass(check) else dict(check)
    at = data.get("at")
    if isinstance(at, datetime):
        data["at"] = at.isoformat().replace("+00:00", "Z")
    return data


def audit_export(
    client: redis.Redis, *, since: datetime, until: datetime
) -> Iterator[dict[str, Any]]:
    """Decision records with ``since <= at < until``, oldest first, in pages."""
    lo, hi = since.timestamp(), until.timestamp()
    offset, page = 0, 1000
    while True:
        batch: Any = client.zrangebyscore(keys.AUDIT, lo, f"({hi}", start=offset, num=page)
        for raw in batch:
            yield json.loads(raw)
        if len(batch) < page:
            return
        offset += page
