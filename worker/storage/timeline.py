"""The timeline: accounts by the instant their pending step is due, in ``keys.TIMELINE_SHARDS``
sorted sets.

Cadence delays live here rather than in dramatiq's delay queue (docs/integration.md, Cadence
delays). Claiming is a Lua range + lease on one shard at a time, so several scheduler replicas
never claim the same entry, and an entry whose claimer died comes back when its lease runs out.

Each shard has its own hash tag (``keys.timeline``), so on a Redis Cluster the shards spread over
the primaries and every claim touches one slot. An account always lives on the shard
``keys.shard_of`` gives its id. A claim walks the shards from a starting point that moves on
with every call, so replicas ticking together start on different shards instead of queueing on
the same one; order is earliest first within a shard, not across shards.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from worker.clock import from_epoch, to_epoch
from worker.storage import keys
from worker.storage.connection import is_cluster
from worker.storage.scripts import load_script, script_source

#: ``LIMIT 0 -1`` in the claim script's ``ZRANGEBYSCORE``: every entry due, however many.
_ALL = -1


@dataclass(frozen=True)
class Claim:
    """A claimed entry: the account and the due instant it had when claimed."""

    account_id: str
    due: float

    @property
    def due_at(self) -> datetime:
        return from_epoch(self.due)


class Timeline:
    """Place, remove and claim timeline entries over every shard."""

    def __init__(self, client: redis.Redis):
        self.client = client
        self._claim = load_script(client, "claim")
        # where this process's next claim starts: spread by process, then moved on per call
        self._start = itertools.count(os.getpid())

    @staticmethod
    def key_of(account_id: str) -> str:
        """The sorted set holding ``account_id``'s entry."""
        return keys.timeline(keys.shard_of(account_id))

    @staticmethod
    def shard_keys() -> list[str]:
        """Every shard's key, shard 0 first."""
        return [keys.timeline(n) for n in range(keys.TIMELINE_SHARDS)]

    def place(
        self, account_id: str, due: datetime, pipe: redis.client.Pipeline | None = None
    ) -> None:
        (pipe or self.client).zadd(self.key_of(account_id), {account_id: to_epoch(due)})

    def remove(self, account_id: str, pipe: redis.client.Pipeline | None = None) -> None:
        (pipe or self.client).zrem(self.key_of(account_id), account_id)

    def due_at(self, account_id: str) -> datetime | None:
        score = self.client.zscore(self.key_of(account_id), account_id)
        return None if score is None else from_epoch(float(score))

    def claim(self, now: datetime, *, lease_seconds: float, limit: int = 500) -> list[Claim]:
        """Claim up to ``limit`` entries due at ``now``, shard by shard (each shard's claim is
        atomic on its own); they stay invisible for the lease. Fewer than ``limit`` back means
        no shard had more due when it was asked. The claims come earliest first; with a
        ``limit`` below what is due they are the earliest of the shards visited, not of all."""
        first = next(self._start) % keys.TIMELINE_SHARDS
        epoch = to_epoch(now)
        # one round trip says which shards have anything due; only those run the script
        due = self._each(lambda pipe, key: pipe.zcount(key, "-inf", epoch))
        claims: list[Claim] = []
        for i in range(keys.TIMELINE_SHARDS):
            shard = (first + i) % keys.TIMELINE_SHARDS
            if not int(due[shard]):
                continue
            flat = self._claim(
                keys=[keys.timeline(shard)], args=[epoch, lease_seconds, limit - len(claims)]
            )
            claims += [Claim(flat[j], float(flat[j + 1])) for j in range(0, len(flat), 2)]
            if len(claims) >= limit:
                break
        claims.sort(key=lambda c: (c.due, c.account_id))  # earliest first, as one sorted set
        return claims

    def claim_all(self, now: datetime, *, lease_seconds: float) -> list[Claim]:
        """Claim every entry due at ``now`` on every shard in one round trip (each shard's claim
        is atomic on its own, as in ``claim``), earliest first, then by account id.

        For a caller that is the timeline's only claimer and takes whatever is due at once (the
        simulator): ``claim`` asks first which shards have anything due and claims at most
        ``limit``, which a scheduler sharing the timeline with other replicas needs. On a Redis
        Cluster, whose pipelines take no scripts, it is ``claim`` without a limit."""
        if is_cluster(self.client):  # its pipelines refuse scripts: one call per shard due
            return self.claim(now, lease_seconds=lease_seconds, limit=2**31 - 1)
        epoch = to_epoch(now)
        shards = self.shard_keys()
        replies = dict(zip(shards, self._claim_each(shards, epoch, lease_seconds), strict=True))
        missing = [k for k, r in replies.items() if isinstance(r, redis.exceptions.NoScriptError)]
        if missing:  # the server's scripts were flushed: load it once, claim those shards again
            self.client.script_load(script_source("claim"))
            again = self._claim_each(missing, epoch, lease_seconds)
            replies.update(zip(missing, again, strict=True))
        claims: list[Claim] = []
        for key in shards:
            flat = replies[key]
            if isinstance(flat, Exception):
                raise flat
            claims += [Claim(flat[j], float(flat[j + 1])) for j in range(0, len(flat), 2)]
        claims.sort(key=lambda c: (c.due, c.account_id))
        return claims

    def _claim_each(self, shards: list[str], epoch: float, lease_seconds: float) -> list[Any]:
        """The claim script on each of ``shards`` (every entry due), on one pipeline; replies and
        errors in order. EVALSHA, not the script object: a pipeline of those asks the server
        whether it knows the script first, a round trip of its own."""
        pipe = self.client.pipeline(transaction=False)
        for key in shards:
            pipe.evalsha(self._claim.sha, 1, key, epoch, lease_seconds, _ALL)
        return list(pipe.execute(raise_on_error=False))

    def adopt_legacy(self, batch: int = 1000) -> int:
        """Move the entries an older version left on its single timeline (``remind:timeline``)
        to their shards; return how many. Each tick calls it; with nothing left it costs one
        ``EXISTS``. An account re-placed on its shard since keeps its shard's entry (``NX``)."""
        legacy, moved = keys.LEGACY_TIMELINE, 0
        while self.client.exists(legacy):
            entries: Any = self.client.zrange(legacy, 0, batch - 1, withscores=True)
            pipe = self.client.pipeline(transaction=False)
            for account_id, score in entries:
                pipe.zadd(self.key_of(account_id), {account_id: score}, nx=True)
            pipe.execute()
            # removed only once on its shard: a crash in between moves it again, harmlessly
            self.client.zrem(legacy, *(a for a, _ in entries))
            moved += len(entries)
        return moved

    def next_due(self) -> datetime | None:
        """The earliest due instant on the timeline (leased entries included)."""
        firsts = self._each(lambda pipe, key: pipe.zrange(key, 0, 0, withscores=True))
        scores = [float(first[0][1]) for first in firsts if first]
        return from_epoch(min(scores)) if scores else None

    def stats(self, now: datetime) -> tuple[int, int, float | None]:
        """Entries in all, entries due at ``now`` and not claimed, and the earliest due score
        (epoch seconds; None when the timeline is empty), for ``/metrics`` and ``remind status``."""
        epoch = to_epoch(now)
        replies = self._each(
            lambda pipe, key: (
                pipe.zcard(key),
                pipe.zcount(key, "-inf", epoch),
                pipe.zrange(key, 0, 0, withscores=True),
            )
        )
        sizes, dues, firsts = replies[0::3], replies[1::3], replies[2::3]
        scores = [float(first[0][1]) for first in firsts if first]
        return sum(map(int, sizes)), sum(map(int, dues)), min(scores) if scores else None

    def entries(self) -> dict[str, float]:
        """Every entry, account id -> due score (tests and small timelines only)."""
        merged: dict[str, float] = {}
        for shard in self._each(lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True)):
            merged.update((str(a), float(s)) for a, s in shard)
        return merged

    def __len__(self) -> int:
        return sum(int(n) for n in self._each(lambda pipe, key: pipe.zcard(key)))

    def _each(self, queue: Any) -> list[Any]:
        """Queue ``queue(pipe, key)`` for every shard on one pipeline; the replies in order."""
        pipe = self.client.pipeline(transaction=False)
        for key in self.shard_keys():
            queue(pipe, key)
        return list(pipe.execute())
