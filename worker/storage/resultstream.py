"""Reading the results stream ``remind:results``: following it from an id, and consumer groups.

Every entry has one field, ``outcome`` (the outcome record as JSON, docs/contracts.md, Outcome),
and an id ``<epoch ms>-<n>`` that Redis gives it. A reader that keeps the last id it handled
resumes after it (``follow(after=...)``); a consumer group keeps that position in Redis for a
team of readers, and an entry read but not acknowledged (the reader died) is read again by the
same consumer name (``read_group``). Entries older than the stream's retention are trimmed
whether or not a group has read them (``worker/storage/results.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis

from worker.storage import keys

#: Entries asked for in one read.
DEFAULT_BATCH = 100


@dataclass(frozen=True)
class Entry:
    """One stream entry: its id and the outcome record."""

    id: str
    outcome: dict[str, Any]


def _entries(batch: Any) -> Iterator[Entry]:
    for _stream, entries in batch or ():
        for entry_id, fields in entries:
            raw = (fields or {}).get("outcome")
            # a trimmed entry still pending in a group comes back with no fields
            yield Entry(entry_id, json.loads(raw) if raw is not None else {})


def follow(
    client: redis.Redis, *, after: str = "$", block_ms: int = 5000
) -> Iterator[Entry | None]:
    """Entries after the id ``after`` (``$``: only new ones, ``0``: from the oldest kept).

    Yields None each time ``block_ms`` passes with nothing new, so a caller can stop.
    """
    last = after
    while True:
        batch: Any = client.xread({keys.RESULTS_STREAM: last}, block=block_ms, count=DEFAULT_BATCH)
        if not batch:
            yield None
            continue
        for entry in _entries(batch):
            last = entry.id
            yield entry


def ensure_group(client: redis.Redis, group: str, *, start: str = "$") -> bool:
    """Create consumer group ``group`` at ``start`` unless it exists; True if created."""
    try:
        client.xgroup_create(keys.RESULTS_STREAM, group, id=start, mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise
        return False
    return True


def read_group(
    client: redis.Redis, group: str, consumer: str, *, block_ms: int = 5000
) -> Iterator[Entry | None]:
    """The entries of ``group`` for ``consumer``: first those it read and never acknowledged,
    then new ones. Acknowledge each with ``ack`` once handled. None as in ``follow``."""
    pending = "0"
    while pending:
        batch: Any = client.xreadgroup(
            group, consumer, {keys.RESULTS_STREAM: pending}, count=DEFAULT_BATCH
        )
        got = list(_entries(batch))
        yield from got
        pending = got[-1].id if got else ""
    while True:
        batch = client.xreadgroup(
            group, consumer, {keys.RESULTS_STREAM: ">"}, count=DEFAULT_BATCH, block=block_ms
        )
        if not batch:
            yield None
            continue
        yield from _entries(batch)


def ack(client: redis.Redis, group: str, entry_id: str) -> None:
    """Mark ``entry_id`` handled for ``group``."""
    client.xack(keys.RESULTS_STREAM, group, entry_id)
