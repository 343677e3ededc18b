"""The audit archive in PostgreSQL (``AUDIT_DATABASE_URL``): one table partitioned by day.

``remind_audit (at, shard, stream_id, record)`` is partitioned by range of ``at`` (the decision
instant), one partition a UTC day (``remind_audit_YYYYMMDD``), created on first use; retention
drops whole partitions. ``remind_audit_cursor`` holds each shard's last archived stream id,
written in the same transaction as the batch, and the primary key ``(at, shard, stream_id)``
makes a batch stored twice (its archiver died before trimming the stream) land once. A shard's
batches are written under a session advisory lock, which the server lets go when the
archiver's connection ends.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg

from worker.providers import without_password
from worker.storage.auditfiles import Entry, Found, day_of

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class PostgresArchive:
    """The audit archive in ``table`` (and ``<table>_cursor``) of the database at ``url``."""

    def __init__(self, url: str, *, table: str = "remind_audit"):
        if not _NAME.match(table):
            raise ValueError(f"not a plain table name: {table!r}")
        self.url = url
        self.table = table
        self._conn: psycopg.Connection[Any] | None = None
        self._lock_space = zlib.crc32(table.encode()) & 0x7FFFFFFF

    def describe(self) -> str:
        return f"{without_password(self.url)} table {self.table}"

    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True)
            self._create()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _create(self) -> None:
        conn = self._conn
        assert conn is not None
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, -1)", (self._lock_space,))
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (at timestamptz NOT NULL, "
                "shard text NOT NULL, stream_id text NOT NULL, record json NOT NULL, "
                "PRIMARY KEY (at, shard, stream_id)) PARTITION BY RANGE (at)"
            )
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table}_cursor "
                "(shard text PRIMARY KEY, last_id text NOT NULL)"
            )

    @contextmanager
    def locked(self, shard: str) -> Iterator[bool]:
        conn = self.connection()
        key = (self._lock_space, _shard_number(shard))
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
        if not (row and row[0]):
            yield False
            return
        try:
            yield True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)

    def cursor(self, shard: str) -> str:
        row = (
            self.connection()
            .execute(f"SELECT last_id FROM {self.table}_cursor WHERE shard = %s", (shard,))
            .fetchone()
        )
        return str(row[0]) if row else ""

    def store(self, shard: str, entries: list[Entry]) -> None:
        if not entries:
            return
        conn = self.connection()
        with conn.transaction():
            days = sorted({day_of(at) for at, *_ in entries})
            conn.execute("SELECT pg_advisory_xact_lock(%s, -1)", (self._lock_space,))
            for day in days:
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._partition(day)} PARTITION OF "
                    f"{self.table} FOR VALUES FROM ('{day.isoformat()}') "
                    f"TO ('{(day + timedelta(days=1)).isoformat()}')"
                )
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {self.table} (at, shard, stream_id, record) "
                    "VALUES (to_timestamp(%s), %s, %s, %s) ON CONFLICT DO NOTHING",
                    [(at, shard, entry_id, raw) for at, _, entry_id, raw in entries],
                )
            conn.execute(
                f"INSERT INTO {self.table}_cursor (shard, last_id) VALUES (%s, %s) "
                "ON CONFLICT (shard) DO UPDATE SET last_id = excluded.last_id",
                (shard, entries[-1][2]),
            )

    def read(self, since: float, until: float) -> Iterator[Found]:
        """Archived records with ``since <= at < until`` by (at, shard, id), through a
        server-side cursor (a page at a time)."""
        with (
            psycopg.connect(self.url) as conn,
            conn.transaction(),
            conn.cursor(name="remind_audit_export") as cur,
        ):
            cur.itersize = 1000
            cur.execute(
                "SELECT extract(epoch FROM at)::float8, shard, stream_id, record::text "
                f"FROM {self.table} WHERE at >= to_timestamp(%s) AND at < to_timestamp(%s) "
                "ORDER BY at, shard, split_part(stream_id, '-', 1)::bigint, "
                "split_part(stream_id, '-', 2)::bigint",
                (since, until),
            )
            for at, shard, entry_id, raw in cur:
                yield float(at), str(shard), str(entry_id), json.loads(raw)

    def drop_before(self, day: date) -> int:
        conn = self.connection()
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            (self.table,),
        ).fetchall()
        cutoff = self._partition(day)
        old = sorted(str(name) for (name,) in rows if str(name) < cutoff)
        for name in old:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
        return len(old)

    def _partition(self, day: date) -> str:
        return f"{self.table}_{day:%Y%m%d}"


def _shard_number(shard: str) -> int:
    return int(shard) if shard.isdigit() else 999
