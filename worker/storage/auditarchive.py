"""Moving the audit log from Redis to its archive, and reading it back (docs/audit.md).

``archive_once`` is the archiver: for each audit shard whose lock it gets, it first trims what
an earlier run stored but did not trim, moves a page of an older version's sorted-set log onto
the stream (``auditlog.adopt_legacy``), then stores the stream's entries after the archive's
cursor in batches (durably: files fsynced, or a committed transaction) and only then trims them
from the stream. A run that dies anywhere leaves every record either on the stream or in the
archive (both, at worst, until the next run trims it); the cursor keeps the next run from
storing it twice. Then the archive drops the days past ``REMIND_AUDIT_RETENTION_DAYS``.

``remind scheduler`` runs it every ``REMIND_AUDIT_ARCHIVE_SECONDS``, ``remind audit archive`` on
demand; ``remind simulate`` and ``remind demo`` at their end, into a folder of their own
(``archive_simulation``).

``audit_export`` reads the archive and what is still in Redis, merged by decision instant.
"""

from __future__ import annotations

import heapq
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import redis

from worker.config import Settings
from worker.storage import auditlog, keys
from worker.storage.auditfiles import Entry, FileArchive, Found

log = logging.getLogger(__name__)

#: Stream entries stored per batch (one gzip member per day file, or one transaction).
BATCH = 1000


class Archive(Protocol):
    """Where decision records go for good: ``FileArchive`` or ``PostgresArchive``."""

    def describe(self) -> str: ...
    def locked(self, shard: str) -> AbstractContextManager[bool]: ...
    def cursor(self, shard: str) -> str: ...
    def store(self, shard: str, entries: list[Entry]) -> None: ...
    def read(self, since: float, until: float) -> Iterator[Found]: ...
    def drop_before(self, day: Any) -> int: ...
    def close(self) -> None: ...


def open_archive(settings: Settings) -> Archive:
    """The archive ``settings`` name: PostgreSQL at ``AUDIT_DATABASE_URL``, else daily files
    under ``<REMIND_DATA_DIR>/audit`` (under ``audit/<prefix>`` for a keyspace of another
    prefix, such as a simulation's on a Redis Cluster)."""
    if settings.audit_database_url:
        from worker.storage.auditpg import PostgresArchive  # psycopg only when it is used

        return PostgresArchive(settings.audit_database_url)
    root = settings.audit_dir
    return FileArchive(root if keys.prefix() == keys.PREFIX else root / keys.prefix())


@dataclass(frozen=True)
class ArchiveRun:
    """What one archiver run did."""

    archived: int  # records stored in the archive and trimmed from Redis
    adopted: int  # records of an older version's sorted sets moved onto the streams
    busy: int  # shards another archiver held
    dropped: int  # days past the retention deleted from the archive


def archive_once(
    client: redis.Redis,
    archive: Archive,
    *,
    now: datetime,
    retention_days: int,
    redis_days: int,
    batch: int = BATCH,
) -> ArchiveRun:
    """Move every record on the audit streams to ``archive``; drop the archive's expired days."""
    archived = adopted = busy = 0
    at = now.timestamp()
    for name in auditlog.shard_names():
        with archive.locked(name) as mine:
            if not mine:
                busy += 1
                continue
            last = archive.cursor(name)
            if last:  # stored by a run that stopped before it trimmed
                auditlog.trim_through(client, name, last)
            while True:
                moved = auditlog.adopt_legacy(
                    client, name, now=at, window_seconds=redis_days * 86400
                )
                page = auditlog.entries_after(client, name, last, batch)
                if page:
                    archive.store(name, [(auditlog.at_of(r), name, i, r) for i, r in page])
                    last = page[-1][0]
                    auditlog.trim_through(client, name, last)
                adopted += moved
                archived += len(page)
                if not moved and len(page) < batch:
                    break
    dropped = archive.drop_before((now - timedelta(days=retention_days)).date())
    return ArchiveRun(archived, adopted, busy, dropped)


def archive_settings(settings: Settings, client: redis.Redis, now: datetime) -> ArchiveRun:
    """One archiver run into the archive ``settings`` name, with its retention."""
    archive = open_archive(settings)
    try:
        run = archive_once(
            client,
            archive,
            now=now,
            retention_days=settings.audit_retention_days,
            redis_days=settings.audit_redis_days,
        )
    finally:
        archive.close()
    if run.archived or run.dropped:
        log.info(
            "audit: archived %d record(s) to %s (%d from an older version's log), dropped %d "
            "day(s) past the retention", run.archived, archive.describe(), run.adopted,
            run.dropped,
        )  # fmt: skip
    return run


def archive_simulation(settings: Settings, client: redis.Redis, now: datetime) -> ArchiveRun:
    """The archiver at the end of ``remind simulate`` / ``remind demo``: the run's decisions go
    to ``<data_dir>/audit-simulated`` (beside the run's outbox), replaced at every run, never to
    the production archive or ``AUDIT_DATABASE_URL``: simulated decisions are not records."""
    root = settings.data_dir / "audit-simulated"
    shutil.rmtree(root, ignore_errors=True)
    return archive_once(
        client,
        FileArchive(root),
        now=now,
        retention_days=settings.audit_retention_days,
        redis_days=settings.audit_redis_days,
    )


def audit_export(
    client: redis.Redis, archive: Archive | None, *, since: datetime, until: datetime
) -> Iterator[dict[str, Any]]:
    """Decision records with ``since <= at < until``, oldest first: the archive's, the ones
    still on the streams, and an older version's sorted sets not moved yet.

    The streams are read first: a record archived while the export runs is then found in the
    archive, and one found in both (stored, not trimmed yet) is given once.
    """
    lo, hi = since.timestamp(), until.timestamp()
    pending: list[Found] = []
    seen: set[tuple[str, str]] = set()
    for shard, entry_id, raw in auditlog.unarchived(client):
        seen.add((shard, entry_id))
        at = auditlog.at_of(raw)
        if lo <= at < hi:
            pending.append((at, shard, entry_id, json.loads(raw)))
    pending.sort(key=_order)
    sources: list[Iterator[Found]] = [iter(pending), _legacy(client, lo, hi)]
    if archive is not None:
        stored = archive.read(lo, hi)
        sources.append(f for f in stored if (f[1], f[2]) not in seen)
    for found in heapq.merge(*sources, key=_order):
        yield found[3]


def _order(found: Found) -> tuple[float, str, int, int]:
    ms, _, seq = found[2].partition("-")
    return found[0], found[1], int(ms or 0), int(seq or 0)


def _legacy(client: redis.Redis, lo: float, hi: float) -> Iterator[Found]:
    """The records of an older version's sorted sets in range, merged by (score, member)."""
    logs = [keys.audit(n) for n in range(keys.TIMELINE_SHARDS)] + [keys.LEGACY_AUDIT]
    for score, raw in heapq.merge(*(_scored(client, key, lo, hi) for key in logs)):
        yield score, "", "0-0", json.loads(raw)


def _scored(client: redis.Redis, key: str, lo: float, hi: float) -> Iterator[tuple[float, str]]:
    """(score, member) of ``key`` with ``lo <= score < hi``, ascending, a page at a time."""
    offset, page = 0, 1000
    while True:
        batch: Any = client.zrangebyscore(
            key, lo, f"({hi}", start=offset, num=page, withscores=True
        )
        for member, score in batch:
            yield float(score), str(member)
        if len(batch) < page:
            return
        offset += page
