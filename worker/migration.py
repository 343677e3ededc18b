"""``remind schedules migrate``: move the accounts of a schedule to another version.

Every account pinned to another version of the schedule than the target is moved to the
target's *equivalent position* (``worker.cadence.migration``: from today's day past due, or the
pending step's if earlier, on; never a step already done again). Ended accounts (stopped,
completed) move too, with no pending step, so that no account is left on the old version; a held
one moves with its step unplaced.

Nothing is sent by a migration. The new pending step's instant is recomputed as enrolment does
(its planned instant, or now when that has passed) and put on the timeline, so the step goes
through the gate when it is due like any other. Each account moves under its lock, its state and
timeline entry in one transaction, and gets an outcome ``migrated`` (reason ``migrated_from: <old
ref> at <old step>``) that ``remind explain``, the audit log and the results stream show. A dry
run reads the same and writes nothing; a second run finds nothing left to move.

A new step's send is keyed by its step key and attempt (in the account's cycle: the dispatch id
of ``keys.dispatch_id``). A key the new version reuses for another step than the one sent under
it in the old version would make the dispatch take the new step for a duplicate; the migration
gives such a step the first attempt number whose key was never claimed in the account's cycle.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.accounts import plans
from worker.accounts.cursor import day_past_due, place_at, primary_zone
from worker.accounts.outcomes import make_outcome
from worker.accounts.state import AccountState
from worker.app import App
from worker.cadence.migration import equivalent_step
from worker.cadence.schedule import Occurrence, Schedule
from worker.clock import isoformat_utc
from worker.errors import InvalidInput, ScheduleError
from worker.storage.keys import dispatch_id
from worker.storage.store import AccountBusy


@dataclass(frozen=True)
class Position:
    """A pending step and when it is due (``due`` None: held, not placed)."""

    key: str
    tier: str
    day: int
    channel: str
    due: datetime | None

    def text(self) -> str:
        when = f"due {isoformat_utc(self.due)}" if self.due else "not placed (held)"
        return f"{self.key} (day {self.day}, {self.tier}, {self.channel}) {when}"

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.key, "tier": self.tier, "day": self.day, "channel": self.channel,
            "due": isoformat_utc(self.due) if self.due else None,
        }  # fmt: skip


@dataclass(frozen=True)
class Move:
    """What a migration changes for one account; ``result``: moved, would_move (dry run) or
    busy (its lock was held: run again)."""

    account_id: str
    status: str
    from_ref: str
    to_ref: str
    old: Position | None
    new: Position | None
    result: str

    def text(self) -> str:
        old = self.old.text() if self.old else "no pending step"
        new = self.new.text() if self.new else "no pending step"
        return f"{self.account_id} [{self.status}] {self.from_ref}: {old} -> {new}"

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id, "status": self.status, "from": self.from_ref,
            "to": self.to_ref, "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None, "result": self.result,
        }  # fmt: skip


@dataclass
class MigrationReport:
    """Every account a migration of ``schedule`` to ``to_ref`` moved (or would move)."""

    schedule: str
    to_ref: str
    dry_run: bool
    moves: list[Move] = field(default_factory=list)
    #: accounts of the schedule already on the target version
    already: int = 0

    def counts(self) -> dict[str, int]:
        """Accounts by result, step changes and versions left, for the summary line."""
        moved = [m for m in self.moves if m.result != "busy"]
        return {
            "moved": len(moved),
            "busy": len(self.moves) - len(moved),
            "already_on_target": self.already,
            "same_step": sum(_same(m) for m in moved),
            "other_step": sum(
                m.old is not None and m.new is not None and not _same(m) for m in moved
            ),
            "cadence_ends": sum(m.old is not None and m.new is None for m in moved),
            "no_pending_step": sum(m.old is None for m in moved),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule, "to": self.to_ref, "dry_run": self.dry_run,
            "counts": self.counts(), "accounts": [m.to_json() for m in self.moves],
        }  # fmt: skip


def target_schedule(app: App, name: str, version: str) -> Schedule:
    """Version ``version`` of schedule ``name``: its file's if the file is at that version, else
    the copy pinned in Redis; ``InvalidInput`` naming the versions there are otherwise."""
    current: Schedule | None = None
    with contextlib.suppress(ScheduleError):  # a file gone or broken: pinned versions count
        current = app.current_schedule(name)
    if current is not None and current.version == version:
        return current
    ref = f"{name}@{version}"
    if app.store.pinned_schedule(ref) is not None:
        return app.pinned_schedule(ref)
    where: dict[str, list[str]] = {}
    if current is not None:
        where[current.version] = ["file"]
    for pinned in app.store.pinned_schedules():
        pinned_name, _, pinned_version = pinned.partition("@")
        if pinned_name == name:
            where.setdefault(pinned_version, []).append("pinned")
    known = ", ".join(f"{v} ({', '.join(w)})" for v, w in sorted(where.items())) or "none"
    raise InvalidInput(
        f"schedule {name!r} has no version {version!r}; versions: {known}", field="--to"
    )


def migrate(
    app: App, name: str, version: str, *, dry_run: bool = False, only_from: str | None = None
) -> MigrationReport:
    """Move every account of schedule ``name`` on another version to ``version`` (see the
    module docstring), or only those on version ``only_from``; with ``dry_run``, only report
    what would change."""
    target = target_schedule(app, name, version)
    report = MigrationReport(name, target.ref, dry_run)
    if not dry_run:
        app.store.pin_schedule(target.ref, target.source)
    for account_id in app.store.account_ids():
        state = app.store.load(account_id)
        if state is None or state.schedule != name:
            continue
        if state.version == target.version:
            report.already += 1
            continue
        if only_from is not None and state.version != only_from:
            continue  # another arm of a champion / challenger split, say
        if dry_run:
            report.moves.append(_move(app, state, target, app.clock.now(), "would_move"))
            continue
        try:
            with app.store.locked(state.person_id, account_id):
                move = _move_locked(app, account_id, target)
        except AccountBusy:
            move = _move(app, state, target, app.clock.now(), "busy")
        if move is None:
            report.already += 1  # moved meanwhile by another run
        else:
            report.moves.append(move)
    return report


def _move_locked(app: App, account_id: str, target: Schedule) -> Move | None:
    """Move the account (its lock held); None when it is on the target already."""
    state = app.store.require(account_id)
    if state.version == target.version:
        return None
    now = app.clock.now()
    move = _move(app, state, target, now, "moved")
    app.commit(state, now)  # state and timeline entry in one transaction
    out = make_outcome(
        now=now, state=state, outcome="migrated", zone=primary_zone(state.account),
        step=target.occurrences[state.cursor] if state.cursor is not None else None,
        reason=f"migrated_from: {move.from_ref} at {move.old.key if move.old else 'no step'}",
        next_attempt_at=state.due_at,
    )  # fmt: skip
    app.results.publish(out)
    return move


def _move(app: App, state: AccountState, target: Schedule, now: datetime, result: str) -> Move:
    """Set ``state`` on ``target`` at the equivalent position; the move it makes."""
    old_schedule = app.pinned_schedule(state.schedule_ref)
    from_ref = state.schedule_ref
    old_step = None if state.cursor is None else old_schedule.occurrences[state.cursor]
    old = _position(old_step, state.due_at)
    today = day_past_due(state.account, now)
    new_step = (
        None if old_step is None else equivalent_step(old_schedule, old_step.index, target, today)
    )
    state.version = target.version
    if old_step is not None:
        if new_step is None:
            state.cursor, state.due_at = None, None
            if state.status == "active":
                state.status = "completed"
        else:
            held = state.due_at is None  # a held step stays unplaced until resumed
            state.cursor = new_step.index
            state.due_at = None if held else place_at(state.account, new_step, now)
            state.attempt = _free_attempt(app, state, new_step, old_step)
    plans.rebase(state, target, now)  # an account on a plan: its pending step is the plan's
    new = _position(new_step, state.due_at)
    return Move(state.account_id, state.status, from_ref, target.ref, old, new, result)


def _free_attempt(app: App, state: AccountState, new: Occurrence, old: Occurrence) -> int:
    """The attempt to go on with: the same as before for the same step key, else 0; past any
    attempt whose send was claimed already (see the module docstring)."""
    attempt = state.attempt if new.key == old.key else 0
    if new.key == old.key and (new.tier, new.day, new.channel) == (old.tier, old.day, old.channel):
        return attempt
    while app.store.dispatch_claimed(
        state.person_id, dispatch_id(state.account_id, new.key, attempt, state.cycle)
    ):
        attempt += 1
    return attempt


def _position(step: Occurrence | None, due: datetime | None) -> Position | None:
    if step is None:
        return None
    return Position(step.key, step.tier, step.day, step.channel, due)


def _same(move: Move) -> bool:
    old, new = move.old, move.new
    return (
        old is not None
        and new is not None
        and (old.tier, old.day, old.channel) == (new.tier, new.day, new.channel)
    )
