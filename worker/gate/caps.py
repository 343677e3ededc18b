"""Rolling-window caps and the at-most-once claim, checked and written in one Lua call.

Each cap keeps a log of sends in a sorted set (member = dispatch id, score = send instant)
(docs/integration.md, Rolling caps): dramatiq's WindowRateLimiter keeps a key per second and
cannot count "N per rolling 7 days". The same script claims the dispatch's idempotency key, so
two workers racing on one person can neither both pass a full cap nor both send one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import redis

from worker.clock import from_epoch, to_epoch
from worker.storage import keys
from worker.storage.scripts import Batch, load_script

#: How long an idempotency claim is remembered (longer than any redelivery or lease).
DEFAULT_IDEMPOTENCY_TTL = 90 * 24 * 3600


@dataclass(frozen=True)
class Reservation:
    """What ``Caps.reserve_specs`` decided."""

    status: Literal["ok", "dup", "cap"]
    retry_at: datetime | None = None
    #: for ``dup``: what the first claimer stored (``claimed:<epoch>[:<worker>]``,
    #: ``sent:<provider id>``, ...)
    claimed: str | None = None
    #: for ``cap``: the position of the full cap in the list given to ``reserve_specs``
    index: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CapSpec:
    """One counter to check and write: the sorted set, and how to count it at an instant."""

    key: str
    limit: int
    #: rolling window in seconds; None for a calendar-day cap
    window_seconds: float | None = None
    #: calendar caps: the instant counting starts (local midnight) and when the days end
    day_start: datetime | None = None
    day_end: datetime | None = None

    @property
    def keep_seconds(self) -> float:
        """How long entries must be kept to count this cap."""
        if self.window_seconds is not None:
            return self.window_seconds
        assert self.day_start is not None and self.day_end is not None
        return (self.day_end - self.day_start).total_seconds() + 2 * 86400

    def lua_args(self, now: datetime) -> list[object]:
        if self.window_seconds is not None:
            return [to_epoch(now) - self.window_seconds, self.limit, self.window_seconds, 0,
                    self.keep_seconds]  # fmt: skip
        assert self.day_start is not None and self.day_end is not None
        return [to_epoch(self.day_start) - 1e-6, self.limit, 0, to_epoch(self.day_end),
                self.keep_seconds]  # fmt: skip


class Caps:
    """Reserve, release and finish dispatches against rolling caps."""

    def __init__(self, client: redis.Redis, *, idempotency_ttl: int = DEFAULT_IDEMPOTENCY_TTL):
        self.client = client
        self.ttl = idempotency_ttl
        self._reserve = load_script(client, "reserve")
        self._release = load_script(client, "release")

    def reserve_specs(
        self,
        *,
        person_id: str,
        dispatch_id: str,
        specs: Sequence[CapSpec],
        now: datetime,
        holder: str | None = None,
        batch: Batch | None = None,
    ) -> Reservation:
        """Claim ``dispatch_id`` and count it under every spec, or say which one is full.

        ``holder`` (the worker's id) is kept in the claim, so a later dispatch can tell a claim
        whose worker died from one still being sent (``worker/storage/leases.py``).
        ``batch``: the claim goes last in it, sent now as one plain pipeline (what was staged
        before it, the worker's lease, runs first).
        """
        args: list[object] = [to_epoch(now), dispatch_id, self.ttl, holder or ""]
        for spec in specs:
            args += spec.lua_args(now)
        keys_ = [keys.idempotency(person_id, dispatch_id)] + [s.key for s in specs]
        if batch is None:
            reply = self._reserve(keys=keys_, args=args)
        else:
            at = batch.script(self._reserve, keys_, args)
            reply = batch.execute(atomic=False)[at]
        status = reply[0]
        if status == "ok":
            return Reservation("ok")
        if status == "dup":
            return Reservation("dup", claimed=reply[1])
        index = int(reply[1]) - 1
        return Reservation("cap", retry_at=from_epoch(float(reply[2])), index=index)

    def release_keys(self, *, person_id: str, dispatch_id: str, cap_keys: Sequence[str]) -> None:
        """Undo a reservation (claim and cap entries) whose message never reached a provider."""
        self._release(
            keys=[keys.idempotency(person_id, dispatch_id), *cap_keys], args=[dispatch_id]
        )

    def finish(self, *, person_id: str, dispatch_id: str, value: str) -> None:
        """Store the outcome on the claim: ``sent:<id>``, ``unknown``, ``failed:<code>``."""
        self.client.set(keys.idempotency(person_id, dispatch_id), value, ex=self.ttl)
