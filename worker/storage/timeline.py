"""The timeline: one sorted set of accounts by the instant their pending step is due.

Cadence delays live here rather than in dramatiq's delay queue (docs/integration.md, Cadence
delays). Claiming is a Lua range + lease, so several scheduler replicas never claim the same
entry, and an entry whose claimer died comes back when its lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis

from worker.clock import from_epoch, to_epoch
from worker.storage import keys
from worker.storage.scripts import load_script


@dataclass(frozen=True)
class Claim:
    """A claimed entry: the account and the due instant it had when claimed."""

    account_id: str
    due: float

    @property
    def due_at(self) -> datetime:
        return from_epoch(self.due)


class Timeline:
    """Place, remove and claim timeline entries."""

    def __init__(self, client: redis.Redis, key: str = keys.TIMELINE):
        self.client = client
        self.key = key
        self._claim = load_script(client, "claim")

    def place(
        self, account_id: str, due: datetime, pipe: redis.client.Pipeline | None = None
    ) -> None:
        (pipe or self.client).zadd(self.key, {account_id: to_epoch(due)})

    def remove(self, account_id: str, pipe: redis.client.Pipeline | None = None) -> None:
        (pipe or self.client).zrem(self.key, account_id)

    def due_at(self, account_id: str) -> datetime | None:
        score = self.client.zscore(self.key, account_id)
        return None if score is None else from_epoch(float(score))

    def claim(self, now: datetime, *, lease_seconds: float, limit: int = 500) -> list[Claim]:
        """Claim up to ``limit`` entries due at ``now``; they stay invisible for the lease."""
        flat = self._claim(keys=[self.key], args=[to_epoch(now), lease_seconds, limit])
        return [Claim(flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2)]

    def next_due(self) -> datetime | None:
        """The earliest due instant on the timeline (leased entries included)."""
        first = self.client.zrange(self.key, 0, 0, withscores=True)
        return from_epoch(float(first[0][1])) if first else None

    def __len__(self) -> int:
        return int(self.client.zcard(self.key))
