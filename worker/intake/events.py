"""Applying an event to its account's state, under the account's lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from worker.accounts import lifecycle, plans
from worker.accounts.cursor import primary_zone
from worker.accounts.lifecycle import DebtMark
from worker.accounts.outcomes import make_outcome
from worker.accounts.state import AccountState, Constraint, Conversation, Payment
from worker.app import App
from worker.cadence.schedule import Schedule
from worker.contracts.account import Account
from worker.contracts.event import Event
from worker.contracts.outcome import Outcome
from worker.errors import InvalidInput
from worker.gate.calls import record_call_result
from worker.gate.disclosure import note_call_result
from worker.gate.inbound import on_event
from worker.gate.planflow import on_plan_event
from worker.storage import keys, phones


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
