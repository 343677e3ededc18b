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
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

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
from worker.gate.types import LogReader
from worker.storage.scripts import Batch
from worker.storage.store import Held

__all__ = ["dispatch", "evaluate_step"]

log = logging.getLogger(__name__)


def dispatch(
    app: App,
    account_id: str,
    claimed_due: float | None = None,
    *,
    holder: str | None = None,
    person: str | None = None,
) -> list[Outcome]:
    """Decide and act on ``account_id``'s pending step; return the outcomes recorded.

    ``holder`` is the worker's id when a ``remind worker`` process runs it: the worker leases
    the entry for as long as its heartbeat lasts, so a crash is recovered within seconds
    (``worker/storage/leases.py``), and its id goes into the at-most-once claim.

    ``person``: the person the account index named when the scheduler claimed the entry (the
    dispatch message carries it), so the lock is taken without reading the index first; the
    index is read again under the lock either way, and one that names another person (or none)
    now sends the dispatch the ordinary way, reading the index first.

    Round trips to the state Redis, for a step sent: the account index (whose person names the
    lock), unless ``person`` names it; the lock with everything decided on read under it, the
    cap logs the last dispatches asked for included (``Store.lock_and_read``, ``CapKeyMemory``);
    the worker's lease then the claim (``Caps.reserve_specs``); then the claim's answer, the
    state and timeline entry, the outcomes, the lease and the lock given back, in one
    (``writes``). A step not sent skips the claim (its lease goes with the writes); a cap log
    not guessed costs a trip of its own, before the claim.
    """
    if person is None:
        person = app.store.person_of(account_id)
    if person is None:
        log.warning("dispatch for unknown account %s ignored", account_id)
        app.timeline.remove(account_id)
        return []
    held = app.store.lock_and_read(person, account_id, logs=app.cap_keys.guess(person, account_id))
    writes = app.writes()
    if held.indexed != person:  # re-enrolled under another person, or gone, meanwhile:
        app.store.stage_unlock(writes, held)  # give that lock back and start again
        writes.execute()
        return dispatch(app, account_id, claimed_due, holder=holder)
    staged: list[tuple[int, dict[str, Any]]] = []
    lease: _Lease | None = None
    try:
        state, now = held.state, app.clock.now()
        if state is None:
            log.warning("dispatch for unknown account %s ignored", account_id)
            app.timeline.remove(account_id, writes.pipe)
            return []
        if holder is not None:
            due = claimed_due if claimed_due is not None else to_epoch(state.due_at or now)
            lease = _Lease(app, held, holder, due, now)
        outcomes, checks = _dispatch_locked(app, state, claimed_due, holder, writes, held, lease)
        for o in outcomes:
            at = len(writes)
            staged.append(
                (at, app.results.stage(writes.pipe, o, () if o.reason == "missed" else checks))
            )
    finally:
        if lease is not None:
            lease(writes, claim=False)  # no claim took it: held and given back with the writes
        if holder is not None:
            app.leases.stage_drop(writes, account_id, holder)
        app.store.stage_unlock(writes, held)
        replies = writes.execute()
    for at, record in staged:  # the sinks (the results queue) once the lock is given back
        app.results.finish(record, replies[at])
    return outcomes


class _Lease:
    """The worker's lease on the entry, staged in the first batch given: the claim's round trip
    (before the claim), or the dispatch's writes when nothing is claimed."""

    def __init__(self, app: App, held: Held, holder: str, due: float, now: datetime) -> None:
        self.app, self.held, self.holder, self.due, self.now = app, held, holder, due, now
        self.staged = False

    def __call__(self, batch: Batch, *, claim: bool = True) -> None:
        if not self.staged:
            self.staged = True
            lock = (self.held.person_id, self.held.account_id, self.held.token)
            # before a claim, as its text: held first even on a server that forgot the lease's
            # script but knows the claim's (a NOSCRIPT would run it again after the claim)
            self.app.leases.stage_hold(batch, lock, self.holder, self.due, self.now, whole=claim)


def _read_logs(app: App, held: Held) -> LogReader:
    """The gate's cap log reader: the logs read with the lock, a round trip for any other
    (the guess of ``CapKeyMemory`` missed it); what was asked is remembered for next time."""

    def read(cap_keys: Sequence[str]) -> Mapping[str, list[float]]:
        logs = {k: held.logs[k] for k in cap_keys if k in held.logs}
        if missing := [k for k in cap_keys if k not in held.logs]:
            logs.update(app.read_logs(missing))
        app.cap_keys.learn(held.person_id, held.account_id, cap_keys)
        return logs

    return read


def _dispatch_locked(
    app: App,
    state: AccountState,
    claimed_due: float | None,
    holder: str | None,
    writes: Batch,
    held: Held,
    lease: _Lease | None,
) -> tuple[list[Outcome], tuple[Check, ...]]:
    now = app.clock.now()
    schedule = app.pinned_schedule(state.schedule_ref)
    step = plans.current_step(state, schedule)  # a queued plan message, a plan or cadence step
    if step is None or state.due_at is None:
        app.timeline.remove(state.account_id, writes.pipe)  # nothing pending: a leftover entry
        return [], ()
    if state.due_at > now or (
        claimed_due is not None and abs(to_epoch(state.due_at) - claimed_due) > 0.5
    ):
        # Stale message: the step it was claimed for has been decided already. Nothing is
        # decided, so nothing is recorded; put the entry back (the lease may have hidden it).
        app.timeline.place(state.account_id, state.due_at, writes.pipe)
        return [], ()
    lifecycle.lift_expired_pause(state, now)
    if plans.is_checkpoint(step):
        return reach_checkpoint(app, state, schedule, step, now, writes), ()
    decision = evaluate_step(
        app,
        state,
        schedule,
        step,
        now,
        consent=(held.opted_out, held.opted_in),
        read_logs=_read_logs(app, held),
    )
    zone = primary_zone(state.account)
    a = Attempt(app, state, schedule, step, now, zone, decision, holder, writes, lease)
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
