"""The audit log's Redis side: a durable hand-off to the archive and a short recent window.

Each decision record (the outcome plus every rule check behind it) is written, in the publish's
own pipeline, to two keys of its account's audit shard (``keys.audit_log`` / ``audit_recent``,
one hash tag, one slot):

- the shard's stream, the hand-off: the whole record stays there until an archiver has stored
  it durably (``worker.storage.auditarchive``) and trims it; a process that dies in between
  leaves it on the stream for the next run;
- the shard's recent window, a sorted set of the records without their checks (score = decision
  instant on remind's clock) kept ``REMIND_AUDIT_REDIS_DAYS``, which ``remind status`` counts.

Older versions kept whole records three years in sorted sets (``keys.audit(n)`` and the single
``remind:audit``); ``adopt_legacy`` moves them onto the streams a page at a time, each page in
one transaction, so the archiver takes them from there like any other record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import redis

from worker.storage import keys

#: The stream field holding the record's JSON.
FIELD = "r"
#: The name of the stream an older version's single audit log is moved to (beside it).
LEGACY = "legacy"
_PAGE = 1000


def shard_names() -> list[str]:
    """Every audit stream's name: the shards ``00``..``15`` and ``legacy``."""
    return [f"{n:02d}" for n in range(keys.TIMELINE_SHARDS)] + [LEGACY]


def stream_key(name: str) -> str:
    """The stream of shard ``name`` (``shard_names``)."""
    if name == LEGACY:
        return keys.beside(keys.LEGACY_AUDIT, "audit:log")
    return keys.audit_log(int(name))


def stage(
    pipe: Any, shard: int, at: float, head: str, record: str, *, window_seconds: float, turn: int
) -> None:
    """Add one decision's audit writes to ``pipe``: the record on the shard's stream, its head
    (the outcome JSON) in the recent window, and the window's trim (of the shard written and of
    shard ``turn``, so a shard nobody writes to any more is trimmed too)."""
    pipe.xadd(keys.audit_log(shard), {FIELD: record})
    pipe.zadd(keys.audit_recent(shard), {head: at})
    old = f"({at - window_seconds}"
    for n in {shard, turn % keys.TIMELINE_SHARDS}:
        pipe.zremrangebyscore(keys.audit_recent(n), "-inf", old)


def next_id(entry_id: str) -> str:
    """The smallest stream id after ``entry_id`` (``XTRIM MINID`` keeps ids from it on)."""
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def entries_after(client: redis.Redis, name: str, after: str, count: int) -> list[tuple[str, str]]:
    """Up to ``count`` (id, record JSON) of stream ``name`` with ids after ``after``."""
    start = "-" if after in ("", "0", "0-0") else f"({after}"
    got: Any = client.xrange(stream_key(name), min=start, max="+", count=count)
    return [(str(i), str(fields[FIELD])) for i, fields in got]


def trim_through(client: redis.Redis, name: str, last: str) -> None:
    """Drop every entry of stream ``name`` up to ``last`` (archived): exact, never approximate."""
    client.xtrim(stream_key(name), minid=next_id(last), approximate=False)


def unarchived(client: redis.Redis) -> Iterator[tuple[str, str, str]]:
    """(shard, id, record JSON) of every entry still on a stream, a page at a time."""
    for name in shard_names():
        after = ""
        while True:
            page = entries_after(client, name, after, _PAGE)
            for entry_id, raw in page:
                yield name, entry_id, raw
            if len(page) < _PAGE:
                break
            after = page[-1][0]


def at_of(raw: str) -> float:
    """The decision instant (epoch seconds) of a record's JSON."""
    return instant(json.loads(raw)["at"])


def instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def adopt_legacy(client: redis.Redis, name: str, *, now: float, window_seconds: float) -> int:
    """Move a page of an older version's sorted-set log of shard ``name`` onto its stream, in
    one transaction (the set and the stream share a slot), oldest first; return how many.
    Records younger than the window also enter the recent window."""
    source = keys.LEGACY_AUDIT if name == LEGACY else keys.audit(int(name))
    page: Any = client.zrange(source, 0, _PAGE - 1, withscores=True)
    if not page:
        return 0
    pipe = client.pipeline(transaction=True)
    for member, score in page:
        pipe.xadd(stream_key(name), {FIELD: str(member)})
        if name != LEGACY and float(score) > now - window_seconds:
            pipe.zadd(keys.audit_recent(int(name)), {head_json(str(member)): float(score)})
    pipe.zrem(source, *(m for m, _ in page))
    pipe.execute()
    return len(page)


def head(raw: str) -> dict[str, Any]:
    """An audit record without its rule checks, which come last and are most of its length.

    A ``,"checks":`` inside a string value would be written ``,\\"checks\\":``, so the last
    match is the key; a record without it is parsed whole.
    """
    cut = raw.rfind(',"checks":')
    if cut > 0:
        try:
            found: dict[str, Any] = json.loads(raw[:cut] + "}")
            return found
        except json.JSONDecodeError:
            pass
    whole: dict[str, Any] = json.loads(raw)
    whole.pop("checks", None)
    return whole


def head_json(raw: str) -> str:
    return json.dumps(head(raw), ensure_ascii=False, separators=(",", ":"))
