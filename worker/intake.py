"""Intake: enrolling accounts and applying events (the ``intake`` queue's work).

Both take validated contract objects (``worker.models``); ``enroll_raw`` and ``apply_raw`` take
untrusted JSON and turn a contract violation into a ``rejected`` outcome, so a bad message on the
queue is recorded with its reason and never crashes a worker.

A stop or hold is kept per person and debt as well as on the state (``Store.keep_stop``), so an
enrolment of a stopped debt is refused (``EnrollmentRefused``, recorded as ``rejected`` with the
stop reason) and one of a held debt starts held.

``enroll`` and ``apply_event`` return (the acknowledgement) only once the Redis nodes they wrote
have passed the writes to ``REMIND_REDIS_MIN_REPLICAS`` replicas; ``ReplicationError`` otherwise,
and the account or event is delivered again (``App.confirm_replicated``, docs/scaling.md).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from worker.accounts import lifecycle, plans
from worker.accounts.cursor import primary_zone
from worker.accounts.lifecycle import DebtMark
from worker.accounts.outcomes import make_outcome, rejected
from worker.accounts.places import require_country
from worker.accounts.state import AccountState, Constraint, Conversation, Payment
from worker.app import App
from worker.cadence.schedule import Schedule
from worker.contracts.account import Account
from worker.contracts.event import Event
from worker.contracts.outcome import Outcome
from worker.contracts.validation import parse_account, parse_event
from worker.errors import InvalidInput, ScheduleError, StateError
from worker.gate.calls import record_call_result
from worker.gate.disclosure import note_call_result
from worker.gate.inbound import on_event
from worker.gate.planflow import on_plan_event
from worker.storage import keys, phones

log = logging.getLogger(__name__)


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
    """Start the account's new cadence (under its lock); ``EnrollmentRefused``: a stopped debt."""
    stop, held = _debt_marks(app, account, existing)
    if stop is not None:
        raise _refused(app, account, schedule, stop, now)
    app.store.pin_schedule(schedule.ref, schedule.source)
    state = AccountState(
        account=account, schedule=schedule.name, version=schedule.version, enrolled_at=now,
        updated_at=now,
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


def apply_event(app: App, event: Event) -> AccountState:
    """Apply ``event`` to its account's state; the gate acts on the result at the next step."""
    state = app.store.load(event.account_id)
    if state is None:
        raise InvalidInput(f"account {event.account_id!r} is not enrolled", field="account_id")
    now = app.clock.now()
    with app.store.locked(state.person_id, state.account_id):
        state = app.store.require(event.account_id)
        before = phones.listed(state)
        schedule = app.pinned_schedule(state.schedule_ref)
        at = event.at or now
        t = event.type
        # the schedule's events block says which event types stop, pause, hold or resume
        if t in schedule.stop_events:
            lifecycle.stop(state, t, event.reason)
        elif t in schedule.pause_events:
            lifecycle.pause_for_promise(state, schedule, event.until)
        elif t in schedule.hold_events:
            lifecycle.hold_for_dispute(state)
        elif t in schedule.resume_events:
            lifecycle.resume_after_dispute(state, schedule, now)
            plans.place(state, schedule, now)  # a plan's step, when the account is on one
        _remember(app, state, schedule, event, at)
        if t == "payment" and event.amount is not None:
            state.payments.append(Payment(at=at, amount=event.amount))
        elif t == "conversation" and event.channel is not None:
            state.conversations.append(Conversation(at=at, channel=event.channel))
        elif t in ("opt_out", "opt_in") and event.channel is not None:
            entry = event.channel if event.address is None else f"{event.channel}:{event.address}"
            if t == "opt_out":
                app.store.set_opt_out(state.person_id, entry)
            else:
                app.store.set_opt_in(state.person_id, entry)
        elif t == "contact_update":
            state.account = _updated(state.account, event)
        elif t == "constraint" and event.constraint is not None:
            state.constraints.append(
                Constraint(at=at, until=event.until, constraint=event.constraint)
            )
        elif t == "call_result" and event.result is not None:
            call = event.dispatch_id or state.last_call
            if call is None:
                raise InvalidInput("no call has been placed on this account", field="dispatch_id")
            record_call_result(app.client, state.person_id, call, event.result)
            note_call_result(state, call, event.result)  # an answered call communicated (F16)
            if event.result in ("answered", "voicemail"):
                outcome = call_outcome(app, state, call, event.result, at)
                if outcome is not None:
                    app.results.publish(outcome)
        on_event(app.store, app.results, state, schedule, event, at)  # replies, review holds
        on_plan_event(app.store, app.results, state, schedule, event, at)  # plans, payments
        app.commit(state, now)
        phones.relink(app.client, state, before, changes_only=True)  # contact_update, close
    shared: list[AccountState] = []
    if t == "conversation" and event.channel is not None and event.debts:
        talk = Conversation(at=at, channel=event.channel)
        shared = _share_conversation(app, state, set(event.debts), talk)
    app.confirm_replicated(state, *shared)  # the acknowledgement (REMIND_REDIS_MIN_REPLICAS)
    return state


def _remember(
    app: App, state: AccountState, schedule: Schedule, event: Event, at: datetime
) -> None:
    """Keep a stop or hold of the account's debt apart from its state, so it outlives it."""
    person, debt, t = state.person_id, state.account.debt, event.type
    if t in schedule.stop_events:
        attorney = event.attorney.model_dump(exclude_none=True) if event.attorney else None
        app.store.keep_stop(person, debt, lifecycle.stop_mark(state, at, attorney))
    elif t in schedule.hold_events:
        app.store.keep_hold(person, debt, DebtMark("disputed", state.account_id, at))
    elif t in schedule.resume_events:
        app.store.lift_hold(person, debt)


def _share_conversation(
    app: App, state: AccountState, debts: set[str], conversation: Conversation
) -> list[AccountState]:
    """Record the conversation on the other accounts whose debt was discussed (F2): those."""
    now = app.clock.now()
    shared = []
    for other_id in app.store.accounts_of(state.person_id):
        if other_id == state.account_id:
            continue
        with app.store.locked(state.person_id, other_id):
            other = app.store.load(other_id)
            if other is not None and other.account.debt in debts:
                other.conversations.append(conversation)
                app.commit(other, now)
                shared.append(other)
    return shared


def _updated(account: Account, event: Event) -> Account:
    changes: dict[str, Any] = {}
    for name in ("name", "locale", "timezone", "phones", "emails"):
        value = getattr(event, name)
        if value is not None:
            changes[name] = value
    if event.postal_address is not None:
        changes["address"] = event.postal_address
    return account.model_copy(update=changes)


def enroll_raw(app: App, data: Any, source: str | None = None) -> AccountState | Outcome:
    """Validate and enroll; on bad input record and return a ``rejected`` outcome instead."""
    try:
        return enroll(app, parse_account(data, source))
    except EnrollmentRefused as e:
        log.warning("refused: %s", e)
        return e.outcome  # recorded by enroll, with the stop's reason
    except InvalidInput as e:
        account_id = data.get("account_id") if isinstance(data, dict) else None
        out = rejected(
            now=app.clock.now(), account_id=str(account_id or "?"), reason=str(e), kind="account"
        )
        app.results.publish(out)
        log.warning("rejected account %s: %s", account_id, e)
        return out


def apply_raw(app: App, data: Any, source: str | None = None) -> AccountState | Outcome:
    """Validate and apply an event; on bad input record and return a ``rejected`` outcome."""
    try:
        return apply_event(app, parse_event(data, source))
    except (InvalidInput, StateError) as e:
        account_id = data.get("account_id") if isinstance(data, dict) else None
        out = rejected(
            now=app.clock.now(), account_id=str(account_id or "?"), reason=str(e), kind="event"
        )
        app.results.publish(out)
        log.warning("rejected event for %s: %s", account_id, e)
        return out


__all__ = ["EnrollmentRefused", "apply_event", "apply_raw", "enroll", "enroll_raw"]


def call_outcome(
    app: App, state: AccountState, dispatch_id: str, result: str, at: datetime
) -> Outcome | None:
    """The outcome record of a call's result (``answered`` or ``voicemail``)."""
    schedule = app.pinned_schedule(state.schedule_ref)
    step_key = keys.split_dispatch_id(dispatch_id)[1]
    step = schedule.find(step_key) if step_key else None
    return make_outcome(
        now=at,
        state=state,
        step=step,
        zone=primary_zone(state.account),
        channel="voice",
        outcome=result,  # type: ignore[arg-type]
        provider_id=dispatch_id,
    )
