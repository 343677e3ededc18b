"""Publishing outcome records: the Redis stream, the results queue and per-account history.

Both outward paths are bounded (docs/contracts.md, Consuming outcomes). The stream is trimmed by
age, never by count: each publish trims entries older than ``retention_seconds`` before the
entry it just wrote (``XADD MINID ~``, measured on the stream's own ids, so no clock is read and
a burst can never push out an outcome younger than the retention). The results queue holds at
most ``max_messages``; past that an outcome goes to the stream only, where a consumer that fell
behind finds it again (``remind results tail --from``).

The audit log is split like the timeline: an account's decisions go to the shard
``keys.shard_of(account)`` of the audit streams and recent windows (``worker.storage.auditlog``),
each its own hash tag, so on a Redis Cluster its writes spread over the primaries; the archiver
moves them to the archive (``worker.storage.auditarchive``), and ``audit_export`` merges the
archive and the shards in time order. The results stream
stays one key (one slot, allowed): its ids and consumer groups are the consumers' contract, an
``XADD`` is O(1), and one primary takes far more of them a second than remind publishes
(docs/scaling.md, Extrapolation).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import is_dataclass
from datetime import datetime
from typing import Any

import dramatiq
import redis

from worker.accounts.recent_codec import encode_outcome
from worker.config import (
    DEFAULT_AUDIT_REDIS_DAYS,
    DEFAULT_AUDIT_RETENTION_DAYS,
    DEFAULT_RESULTS_QUEUE_MAX,
    DEFAULT_RESULTS_RETENTION_DAYS,
)
from worker.contracts.outcome import Outcome
from worker.storage import auditarchive, auditlog, keys, metrics
from worker.storage.store import RECENT_OUTCOMES

Sink = Callable[[dict[str, Any]], None]
#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``, the encoder built once
#: (``dumps`` with options builds one per call); ``encode`` keeps no state, so threads share it
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
#: Seconds between two asks of the results queue's depth (``dramatiq_sink``).
DEPTH_EVERY_SECONDS = 1.0
log = logging.getLogger(__name__)


class Results:
    """Every outcome goes to the stream ``remind:results``, the account's recent list, and each
    extra sink (the dramatiq results queue in production, a JSON Lines file in the simulator)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        sinks: list[Sink] | None = None,
        audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS,
        retention_seconds: float = DEFAULT_RESULTS_RETENTION_DAYS * 86400,
        audit_redis_days: int = DEFAULT_AUDIT_REDIS_DAYS,
    ):
        self.client = client
        self.sinks = list(sinks or [])
        #: kept for callers that set it; the archive applies the retention (docs/audit.md)
        self.audit_retention_days = audit_retention_days
        #: days a decision stays in Redis's recent window (``REMIND_AUDIT_REDIS_DAYS``)
        self.audit_redis_days = audit_redis_days
        self.retention_seconds = retention_seconds
        #: stream entries before this id are past their retention (from the last id written)
        self._trim_before: str | None = None
        self._lock = threading.Lock()
        self._trim_turn = itertools.count()

    def publish(self, outcome: Outcome, checks: Sequence[Any] = ()) -> dict[str, Any]:
        """Send ``outcome`` everywhere and append it, with the rule checks behind it, to the
        audit log (its stream, until archived, and its recent window)."""
        pipe = self.client.pipeline(transaction=False)
        record = self.stage(pipe, outcome, checks)
        self.finish(record, pipe.execute()[0])
        return record

    def stage(self, pipe: Any, outcome: Outcome, checks: Sequence[Any] = ()) -> dict[str, Any]:
        """Add the writes of ``publish`` to ``pipe`` (a caller's pipeline, so they share its
        round trip), the stream's ``XADD`` first; after executing it, the caller passes the
        ``XADD``'s reply and the record returned here to ``finish``."""
        record = outcome.to_json_dict()
        line = _JSON.encode(record)
        at = datetime.fromisoformat(record["at"].replace("Z", "+00:00")).timestamp()
        pipe.xadd(keys.RESULTS_STREAM, {"outcome": line}, minid=self._trim_before, approximate=True)
        # the record with its checks, without serialising the outcome a second time
        checks_json = _checks_json(checks)
        auditlog.stage(
            pipe, keys.shard_of(outcome.account_id), at, line,
            f'{line[:-1]},"checks":{checks_json}}}',
            window_seconds=self.audit_redis_days * 86400, turn=next(self._trim_turn),
        )  # fmt: skip
        if outcome.person_id:
            recent = keys.recent_outcomes(outcome.person_id, outcome.account_id)
            pipe.lpush(recent, encode_outcome(record))
            pipe.ltrim(recent, 0, RECENT_OUTCOMES - 1)
        metrics.count(pipe, record)  # /metrics: in the same round trip
        return record

    def finish(self, record: dict[str, Any], entry_id: str | bytes) -> None:
        """After the staged writes ran: note the stream's trim point, then call the sinks."""
        self._trim_before = trim_before(entry_id, self.retention_seconds)
        for sink in self.sinks:
            with self._lock:
                sink(record)


def trim_before(entry_id: str | bytes, retention_seconds: float) -> str:
    """The stream id ``retention_seconds`` older than ``entry_id`` (ids start with epoch ms)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    ms = int(text.split("-", 1)[0]) - int(retention_seconds * 1000)
    return f"{max(ms, 0)}-0"


def queue_depth(broker: Any, queue_name: str) -> int | None:
    """Messages on ``queue_name`` (waiting or being worked), or None if the broker cannot say."""
    client = getattr(broker, "client", None)
    if client is not None:  # dramatiq's RedisBroker: one hash of messages per queue
        return int(client.hlen(f"{broker.namespace}:{queue_name}.msgs"))
    ready = getattr(broker, "ready_messages", None)  # worker/runtime/rabbitmq.py: one declare
    if ready is not None:
        return ready(queue_name)  # type: ignore[no-any-return]
    counts = getattr(broker, "get_queue_message_counts", None)
    return int(counts(queue_name)[0]) if counts is not None else None


def dramatiq_sink(
    broker: Any,
    queue_name: str,
    actor_name: str,
    *,
    max_messages: int = DEFAULT_RESULTS_QUEUE_MAX,
    depth_every: float = DEPTH_EVERY_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Sink:
    """A sink that enqueues each outcome as a message for ``actor_name`` on ``queue_name``.

    The consumer (a billing or servicing system) defines that actor; remind only sends to it.
    With ``max_messages`` or more on the queue (nobody consumes it), the outcome is not
    enqueued: it is on the results stream already, kept for its retention, and a warning says
    so once for each overflow.

    The queue's depth is asked at most every ``depth_every`` seconds (it is a round trip of its
    own): between two asks, the depth last seen plus the messages this sink enqueued since is
    taken for it (consumers only take messages away), and once that reaches ``max_messages``
    the depth is asked again before each outcome, as it is while the queue overflows.
    """
    broker.declare_queue(queue_name)
    overflowing = False
    seen: int | None = None  # the depth last asked, plus what this sink enqueued since
    asked_at = -float("inf")

    def depth() -> int | None:
        nonlocal seen, asked_at
        if seen is None or seen >= max_messages or clock() - asked_at >= depth_every:
            seen, asked_at = queue_depth(broker, queue_name), clock()
        return seen

    def send(outcome: dict[str, Any]) -> None:
        nonlocal overflowing, seen
        depth_now = depth()
        if depth_now is not None and depth_now >= max_messages:
            if not overflowing:
                log.warning(
                    "results queue %s holds %d messages: outcomes go to the stream %s only "
                    "until it drains", queue_name, depth_now, keys.RESULTS_STREAM,
                )  # fmt: skip
            overflowing = True
            return
        overflowing = False
        broker.enqueue(
            dramatiq.Message(
                queue_name=queue_name,
                actor_name=actor_name,
                args=(outcome,),
                kwargs={},
                options={},
            )
        )
        if seen is not None:
            seen += 1

    return send


#: The JSON of rule checks seen before, by their fields: most checks are the same in every
#: decision (the notes, the rules' fixed details). Only checks whose fields are all text or
#: null are kept (equal keys then write equal JSON), and at most ``_CHECKS_SEEN_MAX`` of them.
_CHECKS_SEEN: dict[tuple[Any, ...], str] = {}
_CHECKS_SEEN_MAX = 4096


def _checks_json(checks: Sequence[Any]) -> str:
    """``_JSON.encode([_check_dict(c) for c in checks])``, a repeated check's JSON reused."""
    parts = []
    for check in checks:
        if not is_dataclass(check):
            parts.append(_JSON.encode(_check_dict(check)))
            continue
        fields = vars(check)
        if not all(v is None or type(v) is str for v in fields.values()):
            parts.append(_JSON.encode(_check_dict(check)))
            continue
        key = (type(check), *fields.items())
        text = _CHECKS_SEEN.get(key)
        if text is None:
            text = _JSON.encode(_check_dict(check))
            if len(_CHECKS_SEEN) < _CHECKS_SEEN_MAX:
                _CHECKS_SEEN[key] = text
        parts.append(text)
    return "[" + ",".join(parts) + "]"


def _check_dict(check: Any) -> dict[str, Any]:
    # a shallow copy: dataclasses.asdict deep-copies and was a tenth of a simulation's time
    data = dict(vars(check)) if is_dataclass(check) else dict(check)
    at = data.get("at")
    if isinstance(at, datetime):
        data["at"] = at.isoformat().replace("+00:00", "Z")
    return data


def audit_export(
    client: redis.Redis,
    *,
    since: datetime,
    until: datetime,
    archive: auditarchive.Archive | None = None,
) -> Iterator[dict[str, Any]]:
    """Decision records with ``since <= at < until``, oldest first: from ``archive`` (when
    given) and what Redis still holds (``auditarchive.audit_export``)."""
    return auditarchive.audit_export(client, archive, since=since, until=until)
