"""Acting on plan events and payments (docs/contracts.md, Event): intake calls ``on_plan_event``
for every event, under the account's lock, after the schedule's stop, pause and hold.

- ``plan_agreed``: the account goes onto the plan (``worker.accounts.plans.agree``), a plan that
  was active is replaced; outcomes ``plan`` / ``replaced`` and ``plan`` / ``agreed``.
- ``payment``: applied to the balance and to the plan's open instalments; each instalment it
  pays in full is an outcome ``plan`` / ``kept`` (by its due date) or ``late``. A payment that
  covers the balance, or the amount of an accepted settlement, stops the debt as ``paid`` does.
- ``settlement_offer`` / ``settlement_accepted``: the offer is kept (and its message queued); an
  accepted offer ends the debt once payments since the offer reach its amount.
- ``plan_cancelled``: the plan ends and collection resumes where it left (``cancelled``).

A stopped debt takes no plan and no offer: a ``StateError`` (HTTP 409, or ``rejected``).
"""

from __future__ import annotations

from datetime import datetime

from worker.accounts import balance, lifecycle, plans
from worker.accounts.cursor import primary_zone
from worker.accounts.outcomes import make_outcome
from worker.accounts.plan_state import Settlement
from worker.accounts.state import AccountState
from worker.cadence.schedule import Occurrence, Schedule
from worker.contracts.event import Event
from worker.contracts.outcome import Outcome
from worker.errors import InvalidInput, StateError
from worker.storage.results import Results
from worker.storage.store import Store

__all__ = ["PLAN_EVENTS", "on_plan_event", "plan_outcome"]

#: The event types this module acts on (``payment`` as well: it may pay an instalment).
PLAN_EVENTS = frozenset(
    {"plan_agreed", "payment", "settlement_offer", "settlement_accepted", "plan_cancelled"}
)


def on_plan_event(
    store: Store, results: Results, state: AccountState, schedule: Schedule, event: Event,
    at: datetime,
) -> list[Outcome]:  # fmt: skip
    """Apply a plan event or a payment to ``state``; publish and return the outcomes."""
    if state.status == "stopped":
        # a stop (paid, cease...) ends the plan too: nothing of it is sent any more
        if state.plan is not None and state.plan.active:
            state.plan.status, state.plan.reason, state.plan.ended_at = "ended", event.type, at
        state.queued = []
    if event.type not in PLAN_EVENTS:
        return []
    if event.type != "payment" and state.status == "stopped":
        raise StateError(
            f"account {state.account_id!r} is stopped ({lifecycle.status_text(state)}):"
            f" a stopped debt takes no {event.type}"
        )
    out: list[Outcome] = []
    if event.type == "plan_agreed":
        out += _agreed(state, schedule, event, at)
    elif event.type == "payment" and event.amount is not None:
        _check_installment(state, event.installment)
        closed = plans.pay(state, schedule, event.amount, event.installment, at)
        out += [plan_outcome(state, at, i.status, f"plan.{i.number}") for i in closed]
        if state.plan is not None and state.plan.status == "completed" and closed:
            out.append(plan_outcome(state, at, "completed", "plan"))
        out += _stop_if_paid(store, state, at)
    elif event.type == "settlement_offer" and event.amount and event.expires:
        state.settlement = Settlement(amount=event.amount, expires=event.expires, offered_at=at)
        plans.queue(state, schedule, "plan.settlement_offer", at)
        plans.place(state, schedule, at)
        out.append(plan_outcome(state, at, "settlement_offered", "plan"))
    elif event.type == "settlement_accepted":
        if not balance.offer_open(state, at):
            raise StateError(f"account {state.account_id!r} has no settlement offer open")
        assert state.settlement is not None
        state.settlement.accepted_at = at
        out.append(plan_outcome(state, at, "settlement_accepted", "plan"))
        out += _stop_if_paid(store, state, at)
    elif event.type == "plan_cancelled":
        if state.plan is None or not state.plan.active:
            raise StateError(f"account {state.account_id!r} has no active plan to cancel")
        plans.end(state, "cancelled", event.reason or "cancelled", schedule, at)
        out.append(plan_outcome(state, at, "cancelled", "plan"))
    for o in out:
        results.publish(o)
    return out


def _agreed(state: AccountState, schedule: Schedule, event: Event, at: datetime) -> list[Outcome]:
    assert event.installments is not None
    owed = state.account.balance
    if event.currency and owed is not None and owed.currency != event.currency:
        raise InvalidInput(
            f"is {event.currency}, but the account's balance is in {owed.currency}",
            field="currency",
        )
    old = plans.agree(
        state, schedule, event.installments, at, currency=event.currency or
        (owed.currency if owed else None), reference=event.reference,
    )  # fmt: skip
    out = [plan_outcome(state, at, "replaced", "plan")] if old is not None else []
    return [*out, plan_outcome(state, at, "agreed", "plan")]


def _check_installment(state: AccountState, number: int | None) -> None:
    """A payment naming an instalment the active plan does not have is refused (the payment
    is then recorded as ``rejected``, and upstream can send it again)."""
    plan = state.plan
    if number is None or plan is None or not plan.active:
        return  # no plan: the payment counts against the balance alone
    if plan.instalment(number) is None:
        raise InvalidInput(
            f"plan {plan.number} has instalments 1 to {len(plan.installments)}, not {number}",
            field="installment",
        )


def _stop_if_paid(store: Store, state: AccountState, at: datetime) -> list[Outcome]:
    """A balance paid in full, or an accepted settlement's amount arrived: stop as ``paid``."""
    left = balance.outstanding(state)
    settled = balance.settlement_paid(state)
    if state.status == "stopped" or not (settled or (left is not None and left <= 0)):
        return []
    lifecycle.stop(state, "paid", None)
    store.keep_stop(state.person_id, state.account.debt, lifecycle.stop_mark(state, at))
    if state.plan is not None and state.plan.active:
        state.plan.status, state.plan.reason, state.plan.ended_at = "ended", "paid", at
    state.queued = []
    if settled and state.settlement is not None:
        state.settlement.paid_at = at
    return [plan_outcome(state, at, "settled" if settled else "balance_paid", "plan")]


def plan_outcome(state: AccountState, at: datetime, reason: str, key: str) -> Outcome:
    """An outcome ``plan`` for ``state``: tier ``plan``, step ``key`` (``plan.2``, ``plan``)."""
    step = Occurrence(-1, key, plans.PLAN_TIER, 0, "", "", at.time(), None)
    out = make_outcome(
        now=at, state=state, outcome="plan", zone=primary_zone(state.account), step=step,
        reason=reason,
    )  # fmt: skip
    return out.model_copy(update={"template": None, "channel": None})
