"""The figures `remind status` shows, read from Redis: queues, timeline, workers, leases, activity.

Each reader takes its client and, where time matters, "now" from the caller's clock; none of
them writes. The sources:

- dramatiq queues: the Redis broker's own keys (``dramatiq:<queue>`` list of ready message ids,
  ``.msgs`` hash of every message not yet acknowledged, ``.DQ.msgs`` delayed messages such as
  retries, ``.XQ`` sorted set of dead-lettered ones), on the broker's database;
- the timeline (its shards ``remind:{tl:<n>}:timeline``, summed): entries due and not claimed,
  and how long the oldest has waited, which is the scheduler's lag;
- worker heartbeats (``remind:workers``) and the leases workers hold (each shard's
  ``remind:{tl:<n>}:leases``), in the layout of ``worker/storage/leases.py``;
- activity: the audit log's recent window (its shards ``remind:{au:<n>}:audit:recent``, and
  an older version's sorted sets until the archiver has moved them, merged), whose score is the
  decision instant on remind's clock, so "the last hour" means the same thing in a drill, a
  simulation and production. The results stream's ids are the Redis server's wall clock and
  would not.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from worker.clock import from_epoch, to_epoch
from worker.storage import auditlog, keys
from worker.storage.timeline import Timeline

#: Prefix of the dramatiq Redis broker's keys (dramatiq's default namespace).
DRAMATIQ_NAMESPACE = "dramatiq"
#: Seconds a worker may stay silent and still count as alive (``REMIND_WORKER_HEARTBEAT_SECONDS``).
DEFAULT_HEARTBEAT_TIMEOUT = 30.0
#: The activity windows ``remind status`` reports, in seconds.
HOUR, DAY = 3_600, 86_400
_PAGE = 1_000


@dataclass(frozen=True)
class QueueDepth:
    """Messages on one dramatiq queue, by state."""

    queue: str
    ready: int  # waiting for a worker
    in_flight: int  # fetched by a worker, not yet acknowledged
    delayed: int  # waiting for their retry time (on the queue's .DQ)
    dead: int  # dead-lettered (.XQ): retries exhausted


@dataclass(frozen=True)
class TimelineStatus:
    """The timeline at ``now``: its size, the entries due and unclaimed, the oldest of them."""

    entries: int
    due: int
    oldest_due: datetime | None
    #: seconds the oldest due entry has waited for a tick to claim it (0 when none is due)
    lag_seconds: float


@dataclass(frozen=True)
class WorkerBeat:
    """A worker process's last heartbeat."""

    worker: str
    last_beat: datetime
    alive: bool


@dataclass(frozen=True)
class OpenLease:
    """A worker's lease on one account's timeline entry: a dispatch it is working on."""

    account_id: str
    holder: str
    due: datetime
    since: datetime


@dataclass(frozen=True)
class Activity:
    """How many decisions of one kind, channel and reason were made in each window."""

    outcome: str
    channel: str
    reason: str
    last_hour: int
    last_day: int


def dramatiq_queues(broker: redis.Redis, names: Iterable[str]) -> list[str]:
    """``names`` and every other queue the broker holds messages for, sorted."""
    found = set(names)
    for key in broker.scan_iter(match=f"{DRAMATIQ_NAMESPACE}:*.msgs", count=1000):
        queue = str(key)[len(DRAMATIQ_NAMESPACE) + 1 : -len(".msgs")]
        if not queue.endswith(".XQ"):
            found.add(queue.removesuffix(".DQ"))
    return sorted(found)


def queue_depths(broker: redis.Redis, names: Iterable[str]) -> list[QueueDepth]:
    """Depth of each queue of ``names`` and any other found (``broker`` decodes to ``str``)."""
    queues = dramatiq_queues(broker, names)
    pipe = broker.pipeline(transaction=False)
    for q in queues:
        base = f"{DRAMATIQ_NAMESPACE}:{q}"
        pipe.llen(base)
        pipe.hlen(f"{base}.msgs")
        pipe.hlen(f"{base}.DQ.msgs")
        pipe.zcard(f"{base}.XQ")
    replies = pipe.execute()
    out = []
    for i, q in enumerate(queues):
        ready, held, delayed, dead = (int(r) for r in replies[4 * i : 4 * i + 4])
        out.append(QueueDepth(q, ready, max(0, held - ready), delayed, dead))
    return out


def timeline_status(client: redis.Redis, now: datetime) -> TimelineStatus:
    """Entries, entries due at ``now`` (claimed ones are re-scored to their lease's end, so they
    are not due), and the oldest due entry."""
    at = to_epoch(now)
    size, due, first = Timeline(client).stats(now)
    oldest = from_epoch(first) if first is not None and first <= at else None
    lag = (now - oldest).total_seconds() if oldest is not None else 0.0
    return TimelineStatus(int(size), int(due), oldest, lag)


def worker_beats(
    client: redis.Redis, now: datetime, *, timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
) -> list[WorkerBeat]:
    """Every worker with a heartbeat on record, latest first; ``alive`` if it beat within
    ``timeout`` seconds of ``now``."""
    beats: Any = client.zrange(keys.WORKERS, 0, -1, desc=True, withscores=True)
    at = to_epoch(now)
    return [
        WorkerBeat(str(w), from_epoch(float(score)), at - float(score) <= timeout)
        for w, score in beats
    ]


def open_leases(client: redis.Redis) -> list[OpenLease]:
    """The leases workers hold now, oldest first."""
    pipe = client.pipeline(transaction=False)
    for shard in range(keys.TIMELINE_SHARDS):
        pipe.hgetall(keys.leases(shard))
    leases = []
    for account_id, raw in (item for held in pipe.execute() for item in held.items()):
        data = json.loads(raw)
        leases.append(
            OpenLease(
                str(account_id),
                str(data["holder"]),
                from_epoch(float(data["due"])),
                from_epoch(float(data["since"])),
            )
        )
    return sorted(leases, key=lambda lease: (lease.since, lease.account_id))


def activity(client: redis.Redis, now: datetime) -> list[Activity]:
    """Decisions of the last hour and the last day (``now - window < at <= now``), by outcome,
    channel and reason, most frequent over the day first."""
    at = to_epoch(now)
    hour: Counter[tuple[str, str, str]] = Counter()
    day: Counter[tuple[str, str, str]] = Counter()
    for raw, score in _audit_since(client, at - DAY, at):
        record = auditlog.head(raw)
        key = (
            str(record.get("outcome") or "-"),
            str(record.get("channel") or "-"),
            str(record.get("reason") or "-"),
        )
        day[key] += 1
        if score > at - HOUR:
            hour[key] += 1
    rows = [Activity(*key, last_hour=hour[key], last_day=n) for key, n in day.items()]
    return sorted(rows, key=lambda r: (-r.last_day, r.outcome, r.channel, r.reason))


def _audit_since(client: redis.Redis, since: float, until: float) -> Iterator[tuple[str, float]]:
    """Audit records with ``since < score <= until`` from every shard's recent window (and an
    older version's logs, until moved to the archive), merged in score order."""
    logs = [keys.audit_recent(n) for n in range(keys.TIMELINE_SHARDS)]
    logs += [keys.audit(n) for n in range(keys.TIMELINE_SHARDS)] + [keys.LEGACY_AUDIT]
    scored = heapq.merge(*(_log_since(client, key, since, until) for key in logs))
    for score, raw in scored:
        yield raw, score


def _log_since(
    client: redis.Redis, key: str, since: float, until: float
) -> Iterator[tuple[float, str]]:
    """(score, record) of one log with ``since < score <= until``, in pages that resume from the
    last score (an offset would make each page rescan the ones before it)."""
    low: float | None = None
    skip = 0  # records at score ``low`` already read
    while True:
        page: Any = client.zrangebyscore(
            key, f"({since}" if low is None else low, until,
            start=skip, num=_PAGE, withscores=True,
        )  # fmt: skip
        for raw, score in page:
            yield float(score), str(raw)
        if len(page) < _PAGE:
            return
        last = float(page[-1][1])
        tail = sum(1 for _, score in page if float(score) == last)
        skip = skip + tail if low == last else tail
        low = last


def totals(rows: Sequence[Activity], outcome: str) -> tuple[int, int]:
    """The last hour's and the last day's count of ``outcome`` over every channel and reason."""
    picked = [r for r in rows if r.outcome == outcome]
    return sum(r.last_hour for r in picked), sum(r.last_day for r in picked)
