"""Account lifecycle: every change of an account's status, and what the status holds back.

::

    active ──stop event──▶ stopped   (paid | ceased | closed | represented, + close_reason)
    active ──promise────▶ paused     (promise_to_pay, until the day after the promised date)
    paused ──date passes─▶ active    (at the next dispatch: ``lift_expired_pause``)
    active | paused ──dispute──▶ held (disputed; the cadence waits, no step is placed)
    held ──dispute_resolved──▶ active (the pending step is placed again)
    active ──cadence ends──▶ completed

A repayment plan is not a status: an active account on a plan follows the plan's steps instead
of the cadence's, and its transitions (agreed, paid, broken, cancelled) are in
``worker.accounts.plans``.

Intake applies the events (which event types stop, pause, hold or resume is the schedule's
``events`` block), dispatch moves the cursor, and the gate asks ``hold`` before any rule. The
functions change the state in place; the caller saves it (``App.commit``).

A stop and a hold belong to the person's debt, not to one state record: each is also kept as a
``DebtMark`` (``Store.keep_stop``, ``Store.keep_hold``) and put back on any state of that debt
read later (``reimpose``), so a re-enrolment cannot undo it (docs/contracts.md, Account).
Every stop is final for its debt: ``paid`` too, since asking again for a paid debt misstates
what is owed; a new debt comes with a new ``debt_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from worker.accounts.cursor import next_step, place_at, primary_zone
from worker.accounts.state import AccountState
from worker.cadence.schedule import Occurrence, Schedule

#: Stop reasons that end the cadence for good (a suppression for one of them clears the cursor).
FINAL_REASONS = frozenset({"paid", "ceased", "closed", "represented"})
#: The stop reason of each stop event; any other stop event (``close`` always) closes.
_STOP_REASONS = {"paid": "paid", "cease": "ceased", "represented_by_attorney": "represented"}
#: Why a stopped debt is not enrolled again, by stop reason.
_FINAL_BECAUSE = {
    "paid": "and a paid debt is not asked for again (a new debt needs a new debt_id)",
    "ceased": "and a cease is final",
    "closed": "and a closed account is never contacted again",
    "represented": "and contact about it goes to the person's attorney, not to the person",
}


@dataclass(frozen=True)
class Hold:
    """Why the account's status keeps a step from going out: suppressed, or deferred ``until``."""

    action: Literal["suppress", "defer"]
    reason: str  # the outcome reason: paid | ceased | closed | represented | disputed | ...
    rule: str  # the lifecycle rule id the outcome cites: lifecycle/<rule>@<version>
    until: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DebtMark:
    """A stop or a hold of one debt, kept apart from the account state so that it outlives it."""

    reason: str  # the status reason: paid | ceased | closed | represented, or disputed (a hold)
    account_id: str  # the account whose event set it
    at: datetime
    close_reason: str | None = None
    attorney: dict[str, str] | None = None  # who represents the person, when known


def stop_mark(
    state: AccountState, at: datetime, attorney: dict[str, str] | None = None
) -> DebtMark:
    """The mark a stopped ``state`` leaves on its debt."""
    reason = state.status_reason or "ceased"
    return DebtMark(reason, state.account_id, at, state.close_reason, attorney)


def reimpose(state: AccountState, stop: DebtMark | None, held: DebtMark | None) -> None:
    """Put the stop or hold of the state's debt back on ``state``; a stop already there stays."""
    if stop is not None and state.status != "stopped":
        state.status, state.status_reason, state.paused_until = "stopped", stop.reason, None
        state.close_reason = stop.close_reason
    elif held is not None:
        hold_for_dispute(state)


def refusal(account_id: str, debt: str, stop: DebtMark) -> str:
    """Why enrolling ``account_id`` again is refused: its debt is stopped for good."""
    shown = f"{stop.reason}:{stop.close_reason}" if stop.close_reason else stop.reason
    because = _FINAL_BECAUSE.get(stop.reason, "and a stop is final")
    return f"account {account_id!r} is not enrolled again: its debt {debt!r} is {shown}, {because}"


def start_cadence(state: AccountState, schedule: Schedule, now: datetime) -> None:
    """Place the first step on or after today; a cadence with none left is completed."""
    step, _ = next_step(schedule, state.account, now, None)
    state.cursor = step.index if step else None
    state.due_at = place_at(state.account, step, now) if step else None
    if step is None:
        _complete(state)


def stop(state: AccountState, event_type: str, close_reason: str | None) -> None:
    """A stop event (paid, cease, close...): no step goes out again. A second stop is ignored."""
    if state.status == "stopped":
        return
    state.status = "stopped"
    state.status_reason = _STOP_REASONS.get(event_type, "closed")
    state.close_reason = close_reason if event_type == "close" else None
    state.paused_until = None


def pause_for_promise(state: AccountState, schedule: Schedule, until: date | None) -> None:
    """A promise to pay by ``until`` pauses an active account through that date."""
    if state.status != "active" or until is None:
        return
    state.status, state.status_reason = "paused", "promise_to_pay"
    state.paused_until = _resume_at(state, schedule, until)


def hold_for_dispute(state: AccountState) -> None:
    """A dispute holds an active or paused account until it is resolved."""
    if state.status not in ("active", "paused"):
        return
    state.status, state.status_reason, state.paused_until = "held", "disputed", None


def resume_after_dispute(state: AccountState, schedule: Schedule, now: datetime) -> None:
    """A resolved dispute makes a held account active and places its pending step again.

    Steps whose day went by while held are passed over, as after a late enrolment.
    """
    if state.status != "held":
        return
    state.status, state.status_reason = "active", None
    if state.cursor is not None:
        after = state.cursor - 1 if state.cursor > 0 else None
        following, _ = next_step(schedule, state.account, now, after)
        state.cursor = following.index if following else None
        state.due_at = place_at(state.account, following, now) if following else None


def lift_expired_pause(state: AccountState, now: datetime) -> None:
    """A pause whose promise date has passed ends: the account is active again."""
    if state.status == "paused" and state.paused_until and now >= state.paused_until:
        state.status, state.status_reason, state.paused_until = "active", None, None


def advance_past(
    state: AccountState, schedule: Schedule, step: Occurrence, now: datetime
) -> list[Occurrence]:
    """Move the cursor past ``step``; return the steps passed over because their day went by.

    The attempt count starts again at 0; when no step is left an active account is completed.
    """
    following, missed = next_step(schedule, state.account, now, step.index)
    state.attempt = 0
    if following is None:
        state.cursor, state.due_at = None, None
        _complete(state)
    else:
        state.cursor, state.due_at = following.index, place_at(state.account, following, now)
    return missed


def halt_for(state: AccountState, reason: str | None) -> bool:
    """End or hold the cadence when a step is suppressed for a lifecycle ``reason``.

    A final stop reason ends it (no pending step), a dispute holds it (the step stays pending
    but is not placed until ``resume_after_dispute``). Returns False for any other reason: the
    caller moves past the step.
    """
    if reason in FINAL_REASONS:
        state.cursor, state.due_at = None, None
        return True
    if reason == "disputed":
        state.due_at = None
        return True
    return False


def hold(state: AccountState, now: datetime) -> Hold | None:
    """What the account's status holds back at ``now``, or None when a step may be judged."""
    if state.status == "stopped":
        reason = state.status_reason or "ceased"
        return Hold("suppress", reason, reason, detail=status_text(state))
    if state.status == "held":
        return Hold("suppress", "disputed", "dispute")
    if state.status == "paused" and state.paused_until and now < state.paused_until:
        return Hold("defer", "promise_to_pay", "promise_to_pay", until=state.paused_until)
    return None


def status_text(state: AccountState) -> str | None:
    """The status reason as people read it: ``closed:bankrupt`` for a close with its reason."""
    if state.close_reason is not None:
        return f"{state.status_reason}:{state.close_reason}"
    return state.status_reason


def _complete(state: AccountState) -> None:
    if state.status == "active":
        state.status = "completed"


def _resume_at(state: AccountState, schedule: Schedule, until: date) -> datetime:
    """A promise runs through its date; contact resumes the next local day at the send time."""
    zone = ZoneInfo(primary_zone(state.account))
    local = datetime.combine(until + timedelta(days=1), schedule.send_time, tzinfo=zone)
    return local.astimezone(UTC)
