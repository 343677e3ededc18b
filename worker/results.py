"""Publishing outcome records: the Redis stream, the results queue and per-account history."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import redis

from worker import keys
from worker.config import DEFAULT_RESULTS_MAXLEN
from worker.models import Outcome
from worker.store import RECENT_OUTCOMES

Sink = Callable[[dict[str, Any]], None]


class QueueSink(Protocol):
    def __call__(self, outcome: dict[str, Any]) -> None: ...


class Results:
    """Every outcome goes to the stream ``remind:results``, the account's recent list, and each
    extra sink (the dramatiq results queue in production, a JSON Lines file in the simulator)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        sinks: list[Sink] | None = None,
        maxlen: int = DEFAULT_RESULTS_MAXLEN,
    ):
        self.client = client
        self.sinks = list(sinks or [])
        self.maxlen = maxlen
        self._lock = threading.Lock()

    def publish(self, outcome: Outcome) -> dict[str, Any]:
        record = outcome.to_json_dict()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        pipe = self.client.pipeline(transaction=False)
        pipe.xadd(keys.RESULTS_STREAM, {"outcome": line}, maxlen=self.maxlen, approximate=True)
        if outcome.person_id:
            recent = keys.recent_outcomes(outcome.person_id, outcome.account_id)
            pipe.lpush(recent, line)
            pipe.ltrim(recent, 0, RECENT_OUTCOMES - 1)
        pipe.execute()
        for sink in self.sinks:
            with self._lock:
                sink(record)
        return record


def dramatiq_sink(broker: Any, queue_name: str, actor_name: str) -> Sink:
    """A sink that enqueues each outcome as a message for ``actor_name`` on ``queue_name``.

    The consumer (a billing or servicing system) defines that actor; remind only sends to it.
    """
    import dramatiq

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
                last_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                raw = fields.get(b"outcome") or fields.get("outcome")
                if raw is not None:
                    yield json.loads(raw)
