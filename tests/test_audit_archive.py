"""The audit archive: records leave Redis for daily files or PostgreSQL, none is lost when an
archiver dies mid-move, none is stored twice, and the export reads both sides."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.clock import to_epoch
from worker.contracts.outcome import Outcome
from worker.storage import auditlog, keys
from worker.storage.auditarchive import archive_once, audit_export
from worker.storage.auditfiles import Entry, FileArchive
from worker.storage.results import Results
from worker.storage.stats import activity

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get(
    "REMIND_TEST_AUDIT_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def outcome(account_id: str, at: datetime, kind: str = "sent") -> Outcome:
    fields = dict.fromkeys(Outcome.model_fields, None)
    return Outcome.model_validate(
        fields
        | {
            "id": f"{account_id}:s",
            "at": at.isoformat().replace("+00:00", "Z"),
            "account_id": account_id,
            "outcome": kind,
            "channel": "sms",
        }
    )


def publish_many(client: redis.Redis, n: int, start: datetime = NOW) -> list[str]:
    """Publish ``n`` decisions an hour apart over many shards; return their instants."""
    results = Results(client)
    ats = []
    for i in range(n):
        at = start + timedelta(hours=i)
        results.publish(outcome(f"A-{i}", at), [{"rule": "p/r@1", "verdict": "allow", "i": i}])
        ats.append(at.isoformat().replace("+00:00", "Z"))
    return ats


def export_all(client: redis.Redis, archive: Any) -> list[dict[str, Any]]:
    return list(
        audit_export(
            client,
            archive,
            since=datetime(2020, 1, 1, tzinfo=UTC),
            until=datetime(2027, 1, 1, tzinfo=UTC),
        )
    )


def archived_ids(root: Path) -> list[tuple[str, str]]:
    """(shard, stream id) of every line in the archive's files, duplicates kept."""
    found = []
    for path in root.glob("*/au-*.jsonl.gz"):
        with gzip.open(path, "rt") as f:
            found += [(path.name, json.loads(line)["id"]) for line in f]
    return found


def stream_lengths(client: redis.Redis) -> int:
    return sum(int(client.xlen(auditlog.stream_key(n))) for n in auditlog.shard_names())


def test_publish_writes_the_stream_and_the_window_and_the_archiver_empties_the_stream(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    ats = publish_many(redis_client, 60)
    before = export_all(redis_client, None)  # nothing archived yet: all from the streams
    assert [r["at"] for r in before] == ats
    assert before[5]["checks"] == [{"rule": "p/r@1", "verdict": "allow", "i": 5}]
    assert stream_lengths(redis_client) == 60

    archive = FileArchive(tmp_path / "audit")
    run = archive_once(
        redis_client, archive, now=NOW + timedelta(days=3), retention_days=1096, redis_days=2
    )

    assert (run.archived, run.busy, run.dropped) == (60, 0, 0)
    assert stream_lengths(redis_client) == 0
    assert export_all(redis_client, archive) == before
    assert sorted(p.name for p in (tmp_path / "audit").glob("2026-*")) == [
        "2026-03-02", "2026-03-03", "2026-03-04",
    ]  # fmt: skip
    # the recent window keeps the last 2 days before each write, without the checks
    window = [
        json.loads(m)
        for n in range(keys.TIMELINE_SHARDS)
        for m in redis_client.zrange(keys.audit_recent(n), 0, -1)
    ]
    assert window and all("checks" not in r for r in window)
    newest = to_epoch(NOW + timedelta(hours=59))
    assert all(
        auditlog.instant(r["at"]) > newest - 2 * 86400 - 16 * 3600 for r in window
    )  # trimmed by each shard's own writes (and one other shard in turn)


def test_status_counts_the_last_day_from_the_window_after_archiving(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    publish_many(redis_client, 30)
    archive_once(redis_client, FileArchive(tmp_path / "a"), now=NOW, retention_days=9, redis_days=2)
    rows = activity(redis_client, NOW + timedelta(hours=29))
    assert [(a.outcome, a.last_hour, a.last_day) for a in rows] == [("sent", 1, 24)]


class DiesWhileCommitting(FileArchive):
    """Dies after the batch's data is appended and fsynced, before its cursor is written."""

    def _write_state(self, shard: str, state: dict[str, Any]) -> None:
        if "pending" not in state and state.get("last"):
            raise RuntimeError("killed between write and ack")
        super()._write_state(shard, state)


class DiesBeforeTrimming(FileArchive):
    """Dies after a batch is stored for good, before the archiver trims it from the stream."""

    def store(self, shard: str, entries: list[Entry]) -> None:
        super().store(shard, entries)
        raise RuntimeError("killed between ack and trim")


@pytest.mark.parametrize("dying", [DiesWhileCommitting, DiesBeforeTrimming])
def test_an_archiver_that_dies_mid_move_loses_nothing_and_stores_nothing_twice(
    redis_client: redis.Redis, tmp_path: Path, dying: type[FileArchive]
) -> None:
    publish_many(redis_client, 40)
    expected = export_all(redis_client, None)
    root = tmp_path / "audit"

    with pytest.raises(RuntimeError):
        archive_once(redis_client, dying(root), now=NOW, retention_days=9, redis_days=2)
    archive = FileArchive(root)
    assert export_all(redis_client, archive) == expected  # mid-crash: each record once
    run = archive_once(redis_client, archive, now=NOW, retention_days=9, redis_days=2)

    assert export_all(redis_client, archive) == expected
    assert stream_lengths(redis_client) == 0
    ids = archived_ids(root)
    assert len(ids) == len(set(ids)) == 40
    shards = [keys.shard_of(f"A-{i}") for i in range(40)]
    first = shards.count(min(shards))  # the batch the dead archiver stored for good
    assert run.archived == 40 - (first if dying is DiesBeforeTrimming else 0)


_KILLED_CHILD = """
import os, sys, time
from datetime import datetime, UTC
from pathlib import Path
from worker.storage import connection
from worker.storage.auditarchive import archive_once
from worker.storage.auditfiles import FileArchive

class Stalls(FileArchive):
    def _write_state(self, shard, state):
        if "pending" not in state and state.get("last"):
            print("appended", flush=True)
            time.sleep(60)  # SIGKILLed here: data fsynced, cursor not written
        super()._write_state(shard, state)

client = connection.client(sys.argv[1])
archive_once(client, Stalls(Path(sys.argv[2])), now=datetime(2026, 3, 2, tzinfo=UTC),
             retention_days=9, redis_days=2)
"""


def test_an_archiver_process_killed_between_write_and_ack_loses_nothing(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    publish_many(redis_client, 25)
    expected = export_all(redis_client, None)
    root = tmp_path / "audit"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD, redis_url, str(root)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "appended\n"
        # while it holds the shard, another archiver skips that shard
        busy = archive_once(
            redis_client, FileArchive(root), now=NOW, retention_days=9, redis_days=2
        )
        assert busy.busy == 1
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    archive = FileArchive(root)
    archive_once(redis_client, archive, now=NOW, retention_days=9, redis_days=2)

    assert export_all(redis_client, archive) == expected
    ids = archived_ids(root)
    assert len(ids) == len(set(ids)) == 25
    assert stream_lengths(redis_client) == 0


def test_an_older_versions_sorted_sets_are_read_then_moved_to_the_archive(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    old = {
        json.dumps({"account_id": f"old-{i}", "at": f"2025-06-0{1 + i % 5}T10:00:0{i}Z",
                    "outcome": "sent", "checks": [{"rule": "x"}]}, separators=(",", ":")):
        auditlog.instant(f"2025-06-0{1 + i % 5}T10:00:0{i}Z")
        for i in range(8)
    }  # fmt: skip
    legacy = dict(list(old.items())[:3])
    redis_client.zadd(keys.audit(4), dict(list(old.items())[3:]))
    redis_client.zadd(keys.LEGACY_AUDIT, legacy)
    publish_many(redis_client, 3)
    expected = export_all(redis_client, None)  # before the move: read from the sorted sets
    assert len(expected) == 11
    assert [r["at"] for r in expected] == sorted(r["at"] for r in expected)

    archive = FileArchive(tmp_path / "audit")
    run = archive_once(redis_client, archive, now=NOW, retention_days=1096, redis_days=2)

    assert (run.adopted, run.archived) == (8, 11)
    assert not redis_client.exists(keys.audit(4), keys.LEGACY_AUDIT)
    assert export_all(redis_client, archive) == expected
    assert stream_lengths(redis_client) == 0


def test_retention_drops_whole_days_of_the_archive(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    publish_many(redis_client, 24 * 5)  # 2026-03-02 12:00 to 2026-03-07 11:00
    archive = FileArchive(tmp_path / "audit")
    run = archive_once(
        redis_client, archive, now=datetime(2026, 3, 8, 1, tzinfo=UTC), retention_days=3,
        redis_days=2,
    )  # fmt: skip
    assert run.dropped == 3  # 03-02, 03-03, 03-04: before 03-05
    ats = [r["at"] for r in export_all(redis_client, archive)]
    assert ats[0] == "2026-03-05T00:00:00Z" and ats[-1] == "2026-03-07T11:00:00Z"


# PostgreSQL ----------------------------------------------------------------------------------


def _pg_reason(url: str) -> str | None:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


@pytest.fixture
def pg_archive() -> Iterator[Any]:
    """A PostgresArchive on a table of its own, dropped afterwards; skipped (locally) or failed
    (CI=true) without a server, as the RabbitMQ tests are."""
    reason = _pg_reason(PG_URL)
    if reason is not None:
        message = f"PostgreSQL at {PG_URL.split('@')[-1]}: {reason}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the PostgreSQL tests must run in CI: {message}")
        pytest.skip(message)
    import psycopg

    from worker.storage.auditpg import PostgresArchive

    table = f"audit_test_{uuid.uuid4().hex[:10]}"
    archive = PostgresArchive(PG_URL, table=table)
    yield archive
    archive.close()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        conn.execute(f"DROP TABLE IF EXISTS {table}_cursor")


def test_postgres_archive_partitions_by_day_and_survives_a_retry(
    redis_client: redis.Redis, pg_archive: Any
) -> None:
    import psycopg

    publish_many(redis_client, 50)
    expected = export_all(redis_client, None)

    class DiesBeforeTrimmingPg(type(pg_archive)):  # type: ignore[misc]
        def store(self, shard: str, entries: list[Entry]) -> None:
            super().store(shard, entries)
            raise RuntimeError("killed between commit and trim")

    dying = DiesBeforeTrimmingPg(PG_URL, table=pg_archive.table)
    with pytest.raises(RuntimeError):
        archive_once(redis_client, dying, now=NOW, retention_days=9, redis_days=2)
    dying.close()
    assert export_all(redis_client, pg_archive) == expected
    archive_once(redis_client, pg_archive, now=NOW, retention_days=9, redis_days=2)

    assert export_all(redis_client, pg_archive) == expected
    assert stream_lengths(redis_client) == 0
    with psycopg.connect(PG_URL) as conn:
        count = conn.execute(f"SELECT count(*) FROM {pg_archive.table}").fetchone()
        parts = conn.execute(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s",
            (pg_archive.table,),
        ).fetchone()
    assert count == (50,) and parts == (3,)  # 2026-03-02, -03, -04

    run = archive_once(
        redis_client, pg_archive, now=datetime(2026, 3, 6, tzinfo=UTC), retention_days=3,
        redis_days=2,
    )  # fmt: skip
    assert run.dropped == 1  # the partition of 2026-03-02
    assert export_all(redis_client, pg_archive)[0]["at"] == "2026-03-03T00:00:00Z"


def test_the_archiver_moves_every_shard_and_the_old_sets_on_a_redis_cluster(
    cluster_client: redis.Redis, tmp_path: Path
) -> None:
    old = '{"account_id":"old-1","at":"2025-06-01T10:00:00Z","checks":[]}'
    cluster_client.zadd(keys.audit(4), {old: auditlog.instant("2025-06-01T10:00:00Z")})
    cluster_client.zadd(keys.LEGACY_AUDIT, {old.replace("old-1", "old-2"): 1748772000.5})
    publish_many(cluster_client, 40)
    expected = export_all(cluster_client, None)
    archive = FileArchive(tmp_path / "audit")

    run = archive_once(cluster_client, archive, now=NOW, retention_days=1096, redis_days=2)

    assert (run.adopted, run.archived) == (2, 42)
    assert [r["account_id"] for r in expected[:2]] == ["old-1", "old-2"]
    assert export_all(cluster_client, archive) == expected
    assert stream_lengths(cluster_client) == 0
