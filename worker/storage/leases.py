"""Worker heartbeats and the leases they hold on timeline entries, so a crash costs seconds.

The scheduler's claim hides a due entry for ``REMIND_LEASE_SECONDS`` (600 s) while its message
waits in the queue. Once a worker takes the message it holds a *lease* on the entry, tied to its
heartbeat: every worker process beats into ``remind:workers`` (``beat``) and a worker silent for
``REMIND_WORKER_HEARTBEAT_SECONDS`` is dead. ``recover`` (run by every scheduler tick) puts a dead
holder's entry back on the timeline at its due instant, so a crash delays a step by the
heartbeat timeout and a tick instead of the whole lease.

At most once is kept by the claim on the dispatch id, not by the lease: a worker that died after
claiming left ``claimed:<epoch>:<worker>`` behind, and the next dispatch records that step
``unknown`` without sending (``is_alive`` says the holder is gone). A live worker's lease is
never recovered, and its claim is left to it for the whole ``REMIND_LEASE_SECONDS``.

Leases live beside their timeline shard (``keys.leases``, same hash tag), so holding, dropping
and recovering touch one Redis Cluster slot each; the heartbeats and the account locks live on
other slots and are read or broken by separate commands (``recover`` explains the order).

Time comes from the caller's clock; Lua never reads Redis ``TIME``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from worker.clock import from_epoch, to_epoch
from worker.storage import keys
from worker.storage.scripts import Batch, load_script


@dataclass(frozen=True)
class Lease:
    """A worker's lease on one account's timeline entry."""

    account_id: str
    holder: str
    #: the due score the entry had when the scheduler claimed it (it goes back there)
    due: datetime
    #: when the scheduler's own lease ends (the entry's score while the worker holds it)
    hidden_until: datetime | None
    since: datetime
    #: the holder's last heartbeat, None if it never beat or has been forgotten
    last_beat: datetime | None

    def alive(self, now: datetime, timeout: float) -> bool:
        """Whether the holder beat within ``timeout`` seconds of ``now``."""
        return self.last_beat is not None and (now - self.last_beat).total_seconds() <= timeout


#: Seconds after its last beat a worker is forgotten (its id is not coming back).
FORGET_SECONDS = 86_400

#: Delete a lock only if it still holds the dead holder's token (it may have expired and been
#: taken by a live worker since).
_UNLOCK = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


class Leases:
    """Heartbeats, leases, and the recovery of dead workers' leases."""

    def __init__(self, client: redis.Redis, *, heartbeat_timeout: float):
        self.client = client
        self.timeout = heartbeat_timeout
        self._hold = load_script(client, "lease_hold")
        self._drop = load_script(client, "lease_drop")
        self._recover = load_script(client, "lease_recover")
        self._unlock = client.register_script(_UNLOCK)

    def beat(self, worker_id: str, now: datetime) -> None:
        """Record that ``worker_id`` is alive at ``now``."""
        self.client.zadd(keys.WORKERS, {worker_id: to_epoch(now)})

    def leave(self, worker_id: str) -> None:
        """Forget a worker that stopped cleanly (its leases were all dropped)."""
        self.client.zrem(keys.WORKERS, worker_id)

    def last_beat(self, worker_id: str) -> datetime | None:
        score = self.client.zscore(keys.WORKERS, worker_id)
        return None if score is None else from_epoch(float(score))

    def is_alive(self, worker_id: str, now: datetime) -> bool:
        """Whether ``worker_id`` beat within the heartbeat timeout of ``now``."""
        beat = self.last_beat(worker_id)
        return beat is not None and (now - beat).total_seconds() <= self.timeout

    def alive_workers(self, now: datetime) -> list[str]:
        """The ids of the workers that beat within the heartbeat timeout of ``now``."""
        ids: Any = self.client.zrangebyscore(keys.WORKERS, to_epoch(now) - self.timeout, "+inf")
        return [str(i) for i in ids]

    def hold(self, person_id: str, account_id: str, holder: str, due: float, now: datetime) -> None:
        """``holder`` takes the lease on ``account_id``'s claimed entry (due at ``due``); call it
        holding the account's lock, whose token the lease keeps."""
        lock = keys.account_lock(person_id, account_id)
        token: Any = self.client.get(lock)  # the person's slot: read here, not in the script
        shard = keys.shard_of(account_id)
        self._hold(
            keys=[keys.leases(shard), keys.timeline(shard)],
            args=[account_id, holder, due, to_epoch(now), lock, token or ""],
        )

    def stage_hold(
        self,
        batch: Batch,
        lock: tuple[str, str, str],
        holder: str,
        due: float,
        now: datetime,
        *,
        whole: bool = False,
    ) -> None:
        """``hold``, added to ``batch`` (its next round trip), for a caller that took the lock
        itself and knows its token: ``lock`` is (person id, account id, token). ``whole``: as
        the script's text (``Batch.script``), for a batch with a claim after it."""
        person_id, account_id, token = lock
        shard = keys.shard_of(account_id)
        batch.script(
            self._hold,
            [keys.leases(shard), keys.timeline(shard)],
            [account_id, holder, due, to_epoch(now), keys.account_lock(person_id, account_id),
             token],
            whole=whole,
        )  # fmt: skip

    def stage_drop(self, batch: Batch, account_id: str, holder: str) -> None:
        """``drop``, added to ``batch``."""
        batch.script(self._drop, [keys.leases(keys.shard_of(account_id))], [account_id, holder])

    def drop(self, account_id: str, holder: str) -> None:
        """Give the lease back, if ``holder`` still holds it."""
        self._drop(keys=[keys.leases(keys.shard_of(account_id))], args=[account_id, holder])

    def get(self, account_id: str) -> Lease | None:
        """The lease on ``account_id``'s entry, if a worker holds one."""
        raw: Any = self.client.hget(keys.leases(keys.shard_of(account_id)), account_id)
        return None if raw is None else self._lease(account_id, str(raw))

    def all(self) -> list[Lease]:
        """Every lease held now, on every timeline shard (``remind status`` shows them)."""
        pipe = self.client.pipeline(transaction=False)
        for shard in range(keys.TIMELINE_SHARDS):
            pipe.hgetall(keys.leases(shard))
        return [self._lease(str(a), str(raw)) for held in pipe.execute() for a, raw in held.items()]

    def recover(self, now: datetime) -> list[str]:
        """Put back the entries of dead holders' leases, shard by shard, and break the account
        locks they still hold; return the account ids put back.

        The heartbeats are read once, before the shards: each shard's script gets them as
        arguments, since the workers' set lives on another slot than the shard."""
        epoch = to_epoch(now)
        beats: Any = self.client.zrange(keys.WORKERS, 0, -1, withscores=True)
        flat_beats = [v for worker, beat in beats for v in (str(worker), float(beat))]
        pipe = self.client.pipeline(transaction=False)
        for shard in range(keys.TIMELINE_SHARDS):
            pipe.hlen(keys.leases(shard))
        held = [shard for shard, n in enumerate(pipe.execute()) if int(n)]
        back = []
        for shard in held:  # only shards with a lease run the script
            flat: Any = self._recover(
                keys=[keys.leases(shard), keys.timeline(shard)],
                args=[epoch, self.timeout, *flat_beats],
            )
            for i in range(0, len(flat), 4):
                account_id, put_back, lock, token = flat[i : i + 4]
                if lock and token:
                    self._unlock(keys=[lock], args=[token])
                if int(put_back):
                    back.append(str(account_id))
        # forget workers silent for a day: they are not coming back under the same id
        self.client.zremrangebyscore(keys.WORKERS, "-inf", epoch - FORGET_SECONDS)
        return back

    def _lease(self, account_id: str, raw: str) -> Lease:
        data = json.loads(raw)
        hidden = data.get("hidden")
        return Lease(
            account_id=account_id,
            holder=str(data["holder"]),
            due=from_epoch(float(data["due"])),
            hidden_until=from_epoch(float(hidden)) if hidden else None,
            since=from_epoch(float(data["since"])),
            last_beat=self.last_beat(str(data["holder"])),
        )


def claim_holder(claimed: str) -> tuple[float, str | None]:
    """The instant and the holder of a claim value ``claimed:<epoch>[:<worker id>]``."""
    parts = claimed.split(":", 2)
    return float(parts[1]), (parts[2] if len(parts) == 3 and parts[2] else None)
