"""Dispatching one account's pending step: gate, render, send, record, advance.

``dispatch`` is what the ``dispatch`` actor runs. It is safe to run twice for the same claim: a
stale message (its step already decided) is dropped and the timeline entry put back, a message
racing another worker on the same step is recorded as ``skipped``, and the at-most-once claim
taken with the cap reservation means a step is never sent twice. A claim found unfinished after
its lease (the worker died between claim and provider answer) is recorded as ``unknown`` and not
resent.

The work is split by what happens to the step: ``attempt`` (the gate's decision on it),
``steps`` (deferred, suppressed, passed over), ``compose`` (render and check the message) and
``send`` (reserve, send, and what the provider said).
"""

from __future__ import annotations

import logging

from worker.accounts import lifecycle, plans
from worker.accounts.cursor import primary_zone
from worker.accounts.state import AccountState
from worker.app import App
from worker.clock import to_epoch
from worker.contracts.outcome import Outcome
from worker.dispatch.attempt import Attempt, evaluate_step
from worker.dispatch.planstep import reach_checkpoint
from worker.dispatch.send import allow
from worker.dispatch.steps import defer, suppress
from worker.gate.engine import Check

__all__ = ["dispatch", "evaluate_step"]

log = logging.getLogger(__name__)


def dispatch(
    app: App, account_id: str, claimed_due: float | None = None, *, holder: str | None = None
) -> list[Outcome]:
    """Decide and act on ``account_id``'s pending step; return the outcomes recorded.

    ``holder`` is the worker's id when a ``remind worker`` process runs it: the worker leases
    the entry for as long as its heartbeat lasts, so a crash is recovered within seconds
    (``worker/storage/leases.py``), and its id goes into the at-most-once claim.
    """
    state, now = app.store.load(account_id), app.clock.now()
    if state is None:
        log.warning("dispatch for unknown account %s ignored", account_id)
        app.timeline.remove(account_id)
        return []
    with app.store.locked(state.person_id, account_id):
        if holder is not None:
            due = claimed_due if claimed_due is not None else to_epoch(state.due_at or now)
            app.leases.hold(state.person_id, account_id, holder, due, now)
        try:
            # re-read under the lock, the index with the state: one round trip
            state = app.store.require(account_id, state.person_id)
            outcomes, checks = _dispatch_locked(app, state, claimed_due, holder)
        finally:
            if holder is not None:
                app.leases.drop(account_id, holder)
    for o in outcomes:
        app.results.publish(o, checks=() if o.reason == "missed" else checks)
    return outcomes


def _dispatch_locked(
    app: App, state: AccountState, claimed_due: float | None, holder: str | None
) -> tuple[list[Outcome], tuple[Check, ...]]:
    now = app.clock.now()
    schedule = app.pinned_schedule(state.schedule_ref)
    step = plans.current_step(state, schedule)  # a queued plan message, a plan or cadence step
    if step is None or state.due_at is None:
        app.timeline.remove(state.account_id)  # nothing pending: a leftover entry
        return [], ()
    if state.due_at > now or (
        claimed_due is not None and abs(to_epoch(state.due_at) - claimed_due) > 0.5
    ):
        # Stale message: the step it was claimed for has been decided already. Nothing is
        # decided, so nothing is recorded; put the entry back (the lease may have hidden it).
        app.timeline.place(state.account_id, state.due_at)
        return [], ()
    lifecycle.lift_expired_pause(state, now)
    if plans.is_checkpoint(step):
        return reach_checkpoint(app, state, schedule, step, now), ()
    decision = evaluate_step(app, state, schedule, step, now)
    a = Attempt(app, state, schedule, step, now, primary_zone(state.account), decision, holder)
    checks = decision.judgement.checks if decision.judgement else ()
    return _act(a), checks


def _act(a: Attempt) -> list[Outcome]:
    d = a.decision
    if d.action == "defer":
        assert d.at is not None
        return [defer(a, d.reason, d.rule, d.at)]
    if d.action == "suppress":
        return suppress(a, d.reason, d.rule)
    return allow(a)
