"""Account state, stops and holds of debts, opt-outs and pinned schedules in Redis.

All mutations of one account happen under its lock (``Store.locked``), so an event that arrives
while a dispatch is deciding cannot be lost between a read and a write. Stops and holds are kept
per person and debt, apart from the state, and put back on every state read (``load``).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

import redis

from worker.accounts import lifecycle
from worker.accounts.codec import decode_state, encode_state
from worker.accounts.lifecycle import DebtMark
from worker.accounts.recent_codec import decode_outcome
from worker.accounts.state import AccountState
from worker.errors import StateError
from worker.storage import keys
from worker.storage.consent import ConsentStore
from worker.storage.scripts import Batch, load_script

#: Milliseconds an account lock is held at most (a crashed holder frees it by expiry).
DEFAULT_LOCK_MS = 30_000
#: Outcomes kept per account: as many as ``remind explain`` and ``GET /v1/accounts/{id}`` show.
RECENT_OUTCOMES = 20

#: Delete a lock only if it still holds our token: it may have expired and been taken by another
#: holder. Registered once per ``Store``, so an unlock sends its SHA (EVALSHA), not this text.
_UNLOCK = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


class AccountBusy(StateError):
    """Another process holds this account's lock; try again shortly."""


@dataclasses.dataclass
class Held:
    """An account's lock, taken by ``Store.lock_and_read``, and what was read under it."""

    person_id: str
    account_id: str
    token: str
    #: the person the account index names, read after the lock was taken
    indexed: str | None
    state: AccountState | None
    opted_out: set[str]
    opted_in: set[str]
    #: the cap logs read with the lock (``lock_and_read``'s ``logs``): key -> send instants
    logs: dict[str, list[float]] = dataclasses.field(default_factory=dict)


class Store(ConsentStore):
    """Typed access to the state keys of ``worker.storage.keys``."""

    def __init__(self, client: redis.Redis):
        self.client = client
        self._unlock = client.register_script(_UNLOCK)
        self._lock_read = load_script(client, "lock_read")

    # -- accounts -----------------------------------------------------------------------------
    def person_of(self, account_id: str) -> str | None:
        return cast("str | None", self.client.get(keys.account_index(account_id)))

    def persons_of(self, account_ids: Iterable[str]) -> list[str | None]:
        """The person each account index names (None: not enrolled), in one round trip: a plain
        pipeline, as the index keys sit on many slots (a cluster client splits it by node)."""
        pipe = self.client.pipeline(transaction=False)
        for account_id in account_ids:
            pipe.get(keys.account_index(account_id))
        return cast("list[str | None]", pipe.execute()) if len(pipe) else []

    def load(self, account_id: str, person: str | None = None) -> AccountState | None:
        """The account's state, with any stop or hold of its debt put back on it.

        ``person``: the person the caller last read for the account (the one whose lock it
        holds). The index is then read in the same round trip as the state; if it names another
        person now, the read is done again the ordinary way, so the answer is the same.
        """
        if person is None:
            person = self.person_of(account_id)
            if person is None:
                return None
            raw, marks = self._state_and_marks(person, account_id)
        else:
            indexed, raw, marks = self._state_and_marks(person, account_id, with_index=True)
            if indexed != person:
                return self.load(account_id)
        return _state(raw, marks)

    def _state_and_marks(self, person: str, account_id: str, *, with_index: bool = False) -> Any:
        # the index key is on another slot: a plain pipeline, which a cluster client splits
        pipe = self.client.pipeline(transaction=False)
        if with_index:
            pipe.get(keys.account_index(account_id))
        pipe.get(keys.account_state(person, account_id))
        pipe.hgetall(keys.debt_stops(person))
        return pipe.execute()

    def require(self, account_id: str, person: str | None = None) -> AccountState:
        """``load``, or ``StateError`` if the account is not enrolled."""
        state = self.load(account_id, person)
        if state is None:
            raise StateError(f"account {account_id!r} is not enrolled")
        return state

    def save(
        self,
        state: AccountState,
        pipe: redis.client.Pipeline | None = None,
        *,
        indexed: bool = False,
    ) -> None:
        """Write the state, its index entry and the person's set of accounts; ``indexed``: the
        caller read the index naming this person under the account's lock, so the state alone."""
        target = pipe or self.client
        if not indexed:
            target.set(keys.account_index(state.account_id), state.person_id)
        target.set(keys.account_state(state.person_id, state.account_id), encode_state(state))
        if not indexed:
            target.hset(keys.person_accounts(state.person_id), state.account_id, "")

    def account_ids(self) -> list[str]:
        """Every enrolled account id, sorted (a SCAN of the index: for commands such as
        ``remind schedules migrate``, not hot paths)."""
        prefix = keys.account_index("")
        found = self.client.scan_iter(match=keys.account_index("*"), count=1000)
        return sorted(k[len(prefix) :] for k in found)

    def dispatch_claimed(self, person_id: str, dispatch_id: str) -> bool:
        """Whether a send under ``dispatch_id`` was claimed (its idempotency key is held)."""
        return bool(self.client.exists(keys.idempotency(person_id, dispatch_id)))

    def accounts_of(self, person_id: str) -> list[str]:
        """The account ids enrolled for ``person_id``, sorted (an older version's set too)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hkeys(keys.person_accounts(person_id))
        pipe.smembers(keys.legacy_person_accounts(person_id))
        ids, legacy = pipe.execute()
        return sorted({*ids, *legacy})

    @contextmanager
    def locked(self, person_id: str, account_id: str, ms: int = DEFAULT_LOCK_MS) -> Iterator[None]:
        """Hold the account's lock for the block; raise ``AccountBusy`` if someone else has it."""
        key = keys.account_lock(person_id, account_id)
        token = uuid.uuid4().hex
        if not self.client.set(key, token, nx=True, px=ms):
            raise AccountBusy(f"account {account_id!r} is being updated by another process")
        try:
            yield
        finally:
            # delete only our own lock: it may have expired and been taken by another holder
            self._unlock(keys=[key], args=[token])

    def lock_and_read(
        self,
        person_id: str,
        account_id: str,
        ms: int = DEFAULT_LOCK_MS,
        *,
        logs: Sequence[str] = (),
    ) -> Held:
        """Take the account's lock and read its state (stops and holds put back) and the
        person's consent sets under it, then the account index: one round trip (``lock_read``,
        one slot, and the index, another slot, in the same plain pipeline). ``AccountBusy`` if
        another process holds the lock. Give the lock back with ``stage_unlock``.

        ``logs``: cap logs (sorted sets on the person's slot) read in the same trip, after the
        lock, as ``App.read_logs`` reads them (``Held.logs``)."""
        lock = keys.account_lock(person_id, account_id)
        token = uuid.uuid4().hex
        batch = Batch(self.client.pipeline(transaction=False))
        batch.script(
            self._lock_read,
            [lock, keys.account_state(person_id, account_id), keys.debt_stops(person_id),
             keys.opt_outs(person_id), keys.opt_ins(person_id)],
            [token, ms],
        )  # fmt: skip
        batch.pipe.get(keys.account_index(account_id))  # after the lock: as a re-read under it
        for key in logs:
            batch.pipe.zrange(key, 0, -1, withscores=True)
        reply, indexed, *entries = batch.execute()
        if not int(reply[0]):
            raise AccountBusy(f"account {account_id!r} is being updated by another process")
        _, raw, flat, opted_out, opted_in = reply
        marks = dict(zip(flat[::2], flat[1::2], strict=True))
        read = {k: [float(score) for _, score in e] for k, e in zip(logs, entries, strict=True)}
        state = _state(raw, marks)
        return Held(
            person_id, account_id, token, indexed, state, set(opted_out), set(opted_in), read
        )

    def stage_unlock(self, batch: Batch, held: Held) -> None:
        """Add the release of ``held``'s lock (if still ours) to ``batch``."""
        batch.script(
            self._unlock, [keys.account_lock(held.person_id, held.account_id)], [held.token]
        )

    # -- stops and holds of debts ---------------------------------------------------------------
    def debt_marks(self, person_id: str, debt: str) -> tuple[DebtMark | None, DebtMark | None]:
        """(stop, hold) of the person's ``debt``; None where there is none."""
        fields = [f"stop:{debt}", f"hold:{debt}"]
        stop, hold = cast("list[str | None]", self.client.hmget(keys.debt_stops(person_id), fields))
        return _mark(stop), _mark(hold)

    def keep_stop(self, person_id: str, debt: str, mark: DebtMark) -> None:
        """Keep the stop of ``debt`` for good; the first stop's reason stays."""
        self.client.hsetnx(keys.debt_stops(person_id), f"stop:{debt}", _json(mark))

    def keep_hold(self, person_id: str, debt: str, mark: DebtMark) -> None:
        """Keep ``debt`` held until ``lift_hold``."""
        self.client.hset(keys.debt_stops(person_id), f"hold:{debt}", _json(mark))

    def lift_hold(self, person_id: str, debt: str) -> None:
        self.client.hdel(keys.debt_stops(person_id), f"hold:{debt}")

    # -- pinned schedules -----------------------------------------------------------------------
    def pin_schedule(self, ref: str, source: str) -> str:
        """Store the YAML of ``ref`` unless already pinned; return the pinned source."""
        key = keys.pinned_schedule(ref)
        self.client.set(key, source, nx=True)
        pinned = cast("str | None", self.client.get(key))
        assert pinned is not None
        return pinned

    def pinned_schedule(self, ref: str) -> str | None:
        return cast("str | None", self.client.get(keys.pinned_schedule(ref)))

    def pinned_schedules(self) -> dict[str, str]:
        """Every pinned schedule's YAML by ``name@version`` (a SCAN: for commands, not hot
        paths)."""
        prefix = keys.pinned_schedule("")
        found = sorted(self.client.scan_iter(match=keys.pinned_schedule("*"), count=1000))
        sources = cast("list[str | None]", self.client.mget(found)) if found else []
        return {k[len(prefix) :]: v for k, v in zip(found, sources, strict=True) if v is not None}

    # -- outcomes ---------------------------------------------------------------------------------
    def recent_outcomes(self, person_id: str, account_id: str, n: int = 20) -> list[dict[str, Any]]:
        raw = self.client.lrange(keys.recent_outcomes(person_id, account_id), 0, n - 1)
        return [decode_outcome(r, person_id, account_id) for r in raw]


def _state(raw: str | None, marks: dict[str, str]) -> AccountState | None:
    """The state stored as ``raw``, with the stop or hold of its debt in ``marks`` put back."""
    if raw is None:
        return None
    state = decode_state(raw)
    debt = state.account.debt
    lifecycle.reimpose(state, _mark(marks.get(f"stop:{debt}")), _mark(marks.get(f"hold:{debt}")))
    return state


def _json(mark: DebtMark) -> str:
    return json.dumps({**dataclasses.asdict(mark), "at": mark.at.isoformat()})


def _mark(raw: str | None) -> DebtMark | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return DebtMark(**{**data, "at": datetime.fromisoformat(data["at"])})
