"""Enrolling an account: a new one, an update in place, or a new cadence (a new *cycle*).

An enrolment with the account's due date and schedule updates its contact data and variables
in place; one with a new due date or schedule restarts the cadence from a fresh state whose
``cycle`` is one more than the state it replaces, so the new cadence's dispatch ids are its own
(``keys.dispatch_id``). A stop or hold is kept per person and debt apart from the state
(``Store.keep_stop``): an enrolment of a stopped debt is refused (``EnrollmentRefused``) and one
of a held debt starts held.
"""

from __future__ import annotations

from datetime import datetime

from worker.accounts import lifecycle
from worker.accounts.lifecycle import DebtMark
from worker.accounts.outcomes import make_outcome
from worker.accounts.places import require_country
from worker.accounts.state import AccountState
from worker.app import App
from worker.cadence.schedule import Schedule
from worker.contracts.account import Account
from worker.contracts.outcome import Outcome
from worker.errors import InvalidInput, ScheduleError, StateError
from worker.storage import phones


class EnrollmentRefused(StateError):
    """An enrolment that would start contact again about a stopped debt. Its ``rejected``
    outcome (``outcome``; reason ``paid``, ``ceased``, ``closed`` or ``represented``) is
    recorded already."""

    def __init__(self, message: str, *, reason: str, outcome: Outcome):
        super().__init__(message)
        self.reason = reason
        self.outcome = outcome


def enroll(app: App, account: Account) -> AccountState:
    """Enroll ``account`` or update it; a new ``due_date`` starts a new cadence.

    The account is pinned to the schedule version current at enrolment (or to its challenger,
    for the person's share: ``App.arm_schedule``); an account enrolled
    late starts at the first step on or after its current day past due. A new cadence for a
    stopped debt raises ``EnrollmentRefused``; one for a held (disputed) debt starts held.
    """
    try:
        # a champion with a challenger sends the person's share to the other version
        schedule = app.arm_schedule(app.current_schedule(account.schedule), account.person)
    except ScheduleError as e:
        raise InvalidInput(str(e), field="schedule") from None
    require_country(account, schedule.country)
    now = app.clock.now()
    previous_person = app.store.person_of(account.account_id)
    if previous_person is not None and previous_person != account.person:
        raise InvalidInput(
            f"account is enrolled for person {previous_person!r}; person_id cannot change",
            field="person_id",
        )
    with app.store.locked(account.person, account.account_id):
        existing = app.store.load(account.account_id)
        before = phones.listed(existing)
        if (
            existing is not None
            and existing.account.due_date == account.due_date
            and (existing.account.schedule == account.schedule)
        ):
            existing.account = account  # same cadence: update contact data and variables
            app.commit(existing, now)
            phones.relink(app.client, existing, before)
        else:
            existing = _start(app, account, existing, schedule, before, now)
    app.confirm_replicated(existing)  # the acknowledgement: on REMIND_REDIS_MIN_REPLICAS replicas
    return existing


def _start(
    app: App, account: Account, existing: AccountState | None, schedule: Schedule,
    before: list[str], now: datetime,
) -> AccountState:  # fmt: skip
    """Start the account's new cadence (under its lock); ``EnrollmentRefused``: a stopped debt.

    The new state's ``cycle`` is one more than ``existing``'s: the sends of the cadence it
    replaces keep their claims (90 days), and the new cadence's dispatch ids must not meet them.
    """
    stop, held = _debt_marks(app, account, existing)
    if stop is not None:
        raise _refused(app, account, schedule, stop, now)
    app.store.pin_schedule(schedule.ref, schedule.source)
    state = AccountState(
        account=account, schedule=schedule.name, version=schedule.version, enrolled_at=now,
        updated_at=now, cycle=0 if existing is None else existing.cycle + 1,
    )  # fmt: skip
    lifecycle.start_cadence(state, schedule, now)
    lifecycle.reimpose(state, None, held)
    app.commit(state, now)
    phones.relink(app.client, state, before)
    return state


def _debt_marks(
    app: App, account: Account, existing: AccountState | None
) -> tuple[DebtMark | None, DebtMark | None]:
    """The stop and hold of the account's debt. A state stopped or held before they were kept
    apart counts too, and is written down now so that it outlives the state."""
    stop, held = app.store.debt_marks(account.person, account.debt)
    if existing is None or existing.account.debt != account.debt:
        return stop, held
    if stop is None and existing.status == "stopped":
        stop = lifecycle.stop_mark(existing, existing.updated_at)
        app.store.keep_stop(account.person, account.debt, stop)
    if held is None and existing.status == "held":
        held = DebtMark("disputed", existing.account_id, existing.updated_at)
        app.store.keep_hold(account.person, account.debt, held)
    return stop, held


def _refused(
    app: App, account: Account, schedule: Schedule, stop: DebtMark, now: datetime
) -> EnrollmentRefused:
    """Record the refusal of a stopped debt's enrolment as ``rejected``; the error to raise."""
    asked = AccountState(
        account=account, schedule=schedule.name, version=schedule.version, enrolled_at=now,
        updated_at=now,
    )  # fmt: skip
    rule = f"lifecycle/{stop.reason}@{schedule.version}"
    out = make_outcome(
        now=now, state=asked, outcome="rejected", zone=None, reason=stop.reason, rule=rule
    )
    app.results.publish(out)
    message = lifecycle.refusal(account.account_id, account.debt, stop)
    return EnrollmentRefused(message, reason=stop.reason, outcome=out)
