"""Repayment plans: which step comes next while a person is on a plan, and what events do.

::

    (collection) ──plan_agreed──▶ plan active: only plan steps, collection waits at its cursor
    plan active ──plan_agreed──▶ the old plan is replaced, the new one starts
    plan active ──every instalment paid──▶ completed (the cadence ends; a balance paid: stop)
    plan active ──instalment unpaid after grace_days──▶ broken ─▶ collection resumes
    plan active ──plan_cancelled──▶ cancelled ─▶ collection resumes where it left

A plan's steps are ``Occurrence`` objects of tier ``plan`` built from the instalments and the
schedule's ``plan:`` section (``plan_steps``): the schedule's steps around each due date, and
after the grace days a *checkpoint* (``plan.<n>.due``, no channel) at which the dispatcher
finds a still-open instalment broken. Messages sent on an event (confirmation, thanks, the
settlement offer) wait in ``state.queued`` and go before any step. The functions change the
state in place; the caller saves it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from worker.accounts.cursor import day_past_due, place_at, primary_zone
from worker.accounts.plan_state import Instalment, Plan, Queued
from worker.accounts.state import AccountState
from worker.cadence.plan import PlanMessage
from worker.cadence.schedule import Occurrence, Schedule
from worker.contracts.plan_events import InstallmentTerm

#: The tier of every plan step and plan message in outcomes.
PLAN_TIER = "plan"
#: The last part of a checkpoint's key: ``plan.2.due``.
CHECKPOINT = "due"
#: Grace days when the schedule has no plan section.
DEFAULT_GRACE_DAYS = 3


def plan_steps(schedule: Schedule, state: AccountState) -> tuple[Occurrence, ...]:
    """The active plan's steps and checkpoints, in the order they come."""
    plan = state.plan
    if plan is None:
        return ()
    section = schedule.plan
    grace = section.grace_days if section else DEFAULT_GRACE_DAYS
    items: list[Occurrence] = []
    for inst in plan.installments:
        base = (inst.due_date - state.account.due_date).days
        for m in section.steps if section else ():
            items.append(_occurrence(f"plan.{inst.number}.{m.name}", base + m.offset, m))
        check = PlanMessage("", "", time(0, 0), None)
        items.append(_occurrence(f"plan.{inst.number}.{CHECKPOINT}", base + grace + 1, check))
    ordered = sorted(items, key=lambda o: (o.day, o.send_time))
    return tuple(replace(o, index=i) for i, o in enumerate(ordered))


def _occurrence(key: str, day: int, m: PlanMessage) -> Occurrence:
    return Occurrence(-1, key, PLAN_TIER, day, m.channel, m.template, m.send_time, m.fallback)


def is_checkpoint(step: Occurrence) -> bool:
    """Whether ``step`` is a plan checkpoint (nothing is sent; a missed instalment breaks)."""
    return step.tier == PLAN_TIER and step.key.endswith(f".{CHECKPOINT}")


def instalment_number(step: Occurrence) -> int | None:
    """The instalment a plan step is about (``plan.2.before3`` → 2), or None."""
    parts = step.key.split(".")
    return int(parts[1]) if step.tier == PLAN_TIER and parts[1].isdigit() else None


def current_step(state: AccountState, schedule: Schedule) -> Occurrence | None:
    """The account's pending step: a queued plan message, a plan step, or a collection step."""
    if state.queued:
        return queued_step(schedule, state.queued[0])
    plan = state.plan
    if plan is not None and plan.active:
        steps = plan_steps(schedule, state)
        return steps[plan.cursor] if plan.cursor is not None else None
    return schedule.occurrences[state.cursor] if state.cursor is not None else None


def queued_step(schedule: Schedule, queued: Queued) -> Occurrence:
    """The occurrence of a queued plan message (its message comes from the plan section)."""
    section = schedule.plan
    name = queued.key.rsplit(".", 1)[1]
    message = getattr(section, name, None)
    if not isinstance(message, PlanMessage):
        raise LookupError(f"{schedule.ref} has no plan message {name!r}")
    return _occurrence(queued.key, queued.day, message)


def claim_key(state: AccountState, step: Occurrence) -> str:
    """The step key in a send id: plan steps carry the plan's number, queued messages their
    serial, so a renegotiated plan's ``plan.1.before3`` is a new send."""
    if step.tier != PLAN_TIER:
        return step.key
    if state.queued and state.queued[0].key == step.key:
        return f"{step.key}~q{state.queued[0].serial}"
    return f"{step.key}~p{state.plan.number if state.plan else 0}"


def place(state: AccountState, schedule: Schedule, now: datetime) -> None:
    """Put the pending step's instant in ``due_at`` (none while held or when none is left)."""
    step = current_step(state, schedule)
    if step is None or state.status == "held":
        state.due_at = None
    elif state.status != "stopped":  # a stopped account's pending step is left to the gate
        state.due_at = place_at(state.account, step, now)


def queue(state: AccountState, schedule: Schedule, key: str, now: datetime) -> None:
    """Queue the plan message ``key`` (``plan.confirmation``) if the schedule has one."""
    name = key.rsplit(".", 1)[1]
    if schedule.plan is None or getattr(schedule.plan, name, None) is None:
        return
    state.queued_serial += 1
    day = day_past_due(state.account, now)
    state.queued.append(Queued(key=key, day=day, serial=state.queued_serial))


def agree(
    state: AccountState,
    schedule: Schedule,
    terms: list[InstallmentTerm],
    now: datetime,
    *,
    currency: str | None = None,
    reference: str | None = None,
) -> Plan | None:
    """Put the account on a new plan; return the plan it replaces, if one was active."""
    old = state.plan if state.plan is not None and state.plan.active else None
    if old is not None:
        old.status, old.reason, old.ended_at = "replaced", "a new plan was agreed", now
    state.plan = Plan(
        number=(state.plan.number + 1) if state.plan else 1,
        agreed_at=now,
        currency=currency,
        reference=reference,
        installments=[
            Instalment(number=i, due_date=t.due_date, amount=t.amount)
            for i, t in enumerate(terms, start=1)
        ],
        left_cursor=old.left_cursor if old is not None else state.cursor,
    )
    state.attempt = 0  # the pending step changes: a new one starts at attempt 0
    if state.status in ("paused", "completed"):  # the plan supersedes a promise
        state.status, state.status_reason, state.paused_until = "active", None, None
    state.queued = [q for q in state.queued if not q.key.startswith("plan.confirmation")]
    queue(state, schedule, "plan.confirmation", now)
    _seek(state, schedule, now, None)
    place(state, schedule, now)
    return old


def pay(
    state: AccountState, schedule: Schedule, amount: str, number: int | None, at: datetime
) -> list[Instalment]:
    """Apply a payment to the active plan: instalment ``number`` (default the first open one)
    and, for what is left over, the next open ones. Returns the instalments it paid in full."""
    plan = state.plan
    if plan is None or not plan.active:
        return []
    left = Decimal(amount)
    target = plan.instalment(number) if number is not None else plan.next_open()
    order = [target] if target is not None and target.status == "open" else []
    order += [i for i in plan.installments if i.status == "open" and i not in order]
    closed: list[Instalment] = []
    local = at.astimezone(ZoneInfo(primary_zone(state.account))).date()
    for inst in order:
        if left <= 0:
            break
        part = min(left, inst.remaining)
        inst.paid, left = str(Decimal(inst.paid) + part), left - part
        if inst.remaining == 0:
            inst.status = "kept" if local <= inst.due_date else "late"
            inst.closed_at = at
            closed.append(inst)
            queue(state, schedule, f"plan.{inst.number}.thanks", at)
    if plan.next_open() is None:
        plan.status, plan.reason, plan.ended_at = "completed", "every instalment paid", at
        state.status = "completed" if state.status == "active" else state.status
        state.cursor = None
    else:
        _seek(state, schedule, at, None)
    place(state, schedule, at)
    return closed


def end(
    state: AccountState,
    status: Literal["broken", "cancelled"],
    reason: str,
    schedule: Schedule,
    now: datetime,
) -> None:
    """End the active plan (``broken`` or ``cancelled``) and resume collection: where the
    account left it, or for a broken plan at the schedule's ``on_broken`` tier."""
    plan = state.plan
    if plan is None or not plan.active:
        return
    plan.status, plan.reason, plan.ended_at = status, reason, now
    state.attempt = 0
    section = schedule.plan
    tier = section.broken_tier if section is not None and status == "broken" else None
    if tier is not None:
        start: int | None = next(o.index for o in schedule.occurrences if o.tier == tier)
    else:
        start = plan.left_cursor
    today = day_past_due(state.account, now)
    following = None
    if start is not None:
        later = schedule.occurrences[start:]
        following = next((o for o in later if o.day >= today), None)
    state.cursor = following.index if following else None
    if following is None and state.status == "active":
        state.status = "completed"
    place(state, schedule, now)


def advance_past(
    state: AccountState, schedule: Schedule, step: Occurrence, now: datetime
) -> list[Occurrence]:
    """Move past a plan step or a queued message; return plan steps whose day went by."""
    state.attempt = 0
    missed: list[Occurrence] = []
    if state.queued and state.queued[0].key == step.key:
        state.queued.pop(0)
    elif state.plan is not None and state.plan.active:
        missed = _seek(state, schedule, now, step.index)
    place(state, schedule, now)
    return missed


def _seek(
    state: AccountState, schedule: Schedule, now: datetime, after: int | None
) -> list[Occurrence]:
    """Point the plan's cursor at its next step for an open instalment. Steps before today are
    passed over (recorded as missed when moving on from ``after``; not at the plan's start)."""
    plan = state.plan
    assert plan is not None
    steps = plan_steps(schedule, state)
    today = day_past_due(state.account, now)
    i = 0 if after is None else after + 1
    missed: list[Occurrence] = []
    while i < len(steps):
        inst = plan.instalment(instalment_number(steps[i]) or 0)
        if inst is not None and inst.status != "open":
            i += 1
        elif is_checkpoint(steps[i]) or steps[i].day >= today:
            break
        else:
            if after is not None:
                missed.append(steps[i])
            i += 1
    plan.cursor = i if i < len(steps) else None
    return missed


def rebase(state: AccountState, schedule: Schedule, now: datetime) -> None:
    """After a migration to ``schedule`` (the cadence's cursor moved already): the plan's steps
    come from its plan section, from today on, and collection resumes from the moved cursor.
    Queued messages the new version has no message for are dropped."""
    section = schedule.plan
    state.queued = [
        q for q in state.queued
        if section is not None and getattr(section, q.key.rsplit(".", 1)[1], None) is not None
    ]  # fmt: skip
    plan = state.plan
    if plan is not None and plan.active:
        plan.left_cursor = state.cursor
        _seek(state, schedule, now, None)
    if state.queued or (plan is not None and plan.active):
        place(state, schedule, now)
