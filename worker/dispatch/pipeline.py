"""Dispatching one account's pending step: gate, render, send, record, advance.

``dispatch`` is what the ``dispatch`` actor runs. It is safe to run twice for the same claim: a
stale message (its step already decided) is dropped and the timeline entry put back, a message
racing another worker on the same step is recorded as ``skipped``, and the at-most-once claim
taken with the cap reservation means a step is never sent twice. A claim found unfinished after
its lease (the worker died between claim and provider answer) is recorded as ``unknown`` and not
resent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from worker.accounts import lifecycle
from worker.accounts.cursor import primary_zone
from worker.accounts.outcomes import make_outcome
from worker.accounts.state import AccountState
from worker.app import App
from worker.cadence.schedule import Occurrence, Schedule
from worker.channels.base import OutgoingMessage
from worker.clock import to_epoch
from worker.contracts.outcome import Outcome
from worker.errors import DeliveryError, TemplateError
from worker.gate.calls import count_after_send
from worker.gate.caps import Reservation
from worker.gate.content import check_content, content_requirements
from worker.gate.decide import Decision, Setting, evaluate
from worker.gate.engine import Check
from worker.rendering.context import build_context
from worker.storage import keys

log = logging.getLogger(__name__)

#: Transient provider failures retried this many times, this far apart, before giving up.
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(hours=1)


def dispatch(app: App, account_id: str, claimed_due: float | None = None) -> list[Outcome]:
    """Decide and act on ``account_id``'s pending step; return the outcomes recorded."""
    state = app.store.load(account_id)
    if state is None:
        log.warning("dispatch for unknown account %s ignored", account_id)
        app.timeline.remove(account_id)
        return []
    with app.store.locked(state.person_id, account_id):
        state = app.store.require(account_id)  # re-read under the lock
        outcomes, checks = _dispatch_locked(app, state, claimed_due)
    for o in outcomes:
        app.results.publish(o, checks=() if o.reason == "missed" else checks)
    return outcomes


def _dispatch_locked(
    app: App, state: AccountState, claimed_due: float | None
) -> tuple[list[Outcome], tuple[Check, ...]]:
    now = app.clock.now()
    if state.cursor is None or state.due_at is None:
        app.timeline.remove(state.account_id)  # nothing pending: a leftover entry
        return [], ()
    if state.due_at > now or (
        claimed_due is not None and abs(to_epoch(state.due_at) - claimed_due) > 0.5
    ):
        # Stale message: the step it was claimed for has been decided already. Nothing is
        # decided, so nothing is recorded; put the entry back (the lease may have hidden it).
        app.timeline.place(state.account_id, state.due_at)
        return [], ()
    schedule = app.pinned_schedule(state.schedule_ref)
    step = schedule.occurrences[state.cursor]
    lifecycle.lift_expired_pause(state, now)
    decision = evaluate_step(app, state, schedule, step, now)
    zone = primary_zone(state.account)
    checks = decision.judgement.checks if decision.judgement else ()
    if decision.action == "defer":
        return [_defer(app, state, step, decision, now, zone)], checks
    if decision.action == "suppress":
        return _suppress(app, state, schedule, step, decision, now, zone), checks
    return _allow(app, state, schedule, step, decision, now, zone), checks


def setting_of(schedule: Schedule) -> Setting:
    return Setting(schedule.version, schedule.collector, schedule.enforce_unverified)


def evaluate_step(
    app: App, state: AccountState, schedule: Schedule, step: Occurrence, at: datetime
) -> Decision:
    """The gate's decision on ``step`` at ``at`` (no reservation): also what explain shows."""
    opted_out, opted_in = app.store.consent_sets(state.person_id)
    return evaluate(
        state,
        step,
        app.rules(schedule, state.account),
        at,
        opted_out=opted_out,
        opted_in=opted_in,
        read_logs=app.read_logs,
        setting=setting_of(schedule),
    )


def _record(
    state: AccountState, step: Occurrence, now: datetime, zone: str, kind: str, **kw: object
) -> Outcome:
    return make_outcome(now=now, state=state, step=step, zone=zone, outcome=kind, **kw)  # type: ignore[arg-type]


def _defer(
    app: App, state: AccountState, step: Occurrence, d: Decision, now: datetime, zone: str
) -> Outcome:
    assert d.at is not None
    state.due_at = d.at
    app.commit(state, now)
    return _record(
        state,
        step,
        now,
        zone,
        "deferred",
        channel=d.channel,
        reason=d.reason,
        rule=d.rule,
        next_attempt_at=d.at,
    )


def _advance(
    app: App, state: AccountState, schedule: Schedule, step: Occurrence, now: datetime, zone: str
) -> list[Outcome]:
    """Move the cursor past ``step``; record steps whose day went by; save and re-place."""
    missed = lifecycle.advance_past(state, schedule, step, now)
    out = [_record(state, m, now, zone, "skipped", reason="missed", rule=None) for m in missed]
    app.commit(state, now)
    return out


def _suppress(
    app: App,
    state: AccountState,
    schedule: Schedule,
    step: Occurrence,
    d: Decision,
    now: datetime,
    zone: str,
) -> list[Outcome]:
    out = [
        _record(
            state, step, now, zone, "suppressed", channel=d.channel, reason=d.reason, rule=d.rule
        )
    ]
    if lifecycle.halt_for(state, d.reason):
        app.commit(state, now)
    else:
        out += _advance(app, state, schedule, step, now, zone)
    return out


def _allow(
    app: App,
    state: AccountState,
    schedule: Schedule,
    step: Occurrence,
    d: Decision,
    now: datetime,
    zone: str,
) -> list[Outcome]:
    account = state.account
    locale = account.locale or schedule.locale
    assert d.recipient is not None and d.judgement is not None
    j = d.judgement
    need = content_requirements(j, channel=d.channel, state=state, schedule=schedule, locale=locale)
    try:
        context = build_context(
            account,
            day=step.day,
            tier=step.tier,
            channel=d.channel,
            locale=locale,
            disclosure=need.disclosure,
            licence_number=need.licence_number,
        )
        rendered = app.renderer.render(step.template, d.channel, locale, context)
    except TemplateError as e:
        log.error("template %s for %s refused: %s", step.template, d.channel, e)
        refused = Decision(
            "suppress", d.channel, "template_error", f"content/template_error@{schedule.version}"
        )
        return _suppress(app, state, schedule, step, refused, now, zone)
    problems = check_content(rendered, checks=need.checks, context=context)
    if problems:
        failure = "; ".join(p.message for p in problems)
        log.error("template %s for %s refused: %s", step.template, d.channel, failure)
        refused = Decision(
            "suppress", d.channel, "template_noncompliant", need.rule_of(problems[0])
        )
        return _suppress(app, state, schedule, step, refused, now, zone)

    specs = [spec for _, spec in j.specs]
    dispatch_id = keys.dispatch_id(account.account_id, step.key, state.attempt)
    res = app.caps.reserve_specs(
        person_id=state.person_id, dispatch_id=dispatch_id, specs=specs, now=now
    )
    if res.status == "dup":
        return _duplicate(app, state, schedule, step, d, res, now, zone)
    if res.status == "cap":
        # another worker filled a cap since the evaluation: wait for the earliest instant
        # every rule allows, judged again from the moment the cap frees a slot
        assert res.index is not None and res.retry_at is not None
        rule = j.specs[res.index][0].ref
        later = evaluate_step(app, state, schedule, step, res.retry_at)
        at = res.retry_at if later.action == "allow" else later.at
        if later.action == "suppress" or at is None:
            return _suppress(
                app,
                state,
                schedule,
                step,
                Decision("suppress", d.channel, "no_contact_window", rule),
                now,
                zone,
            )
        return [_defer(app, state, step, Decision("defer", d.channel, "cap", rule, at), now, zone)]

    message = OutgoingMessage(
        dispatch_id=dispatch_id,
        channel=d.channel,
        to=d.recipient,
        template=step.template,
        locale=rendered.locale,
        text=rendered.text,
        subject=rendered.subject,
        html=rendered.html,
        voicemail=rendered.voicemail,
        account_id=account.account_id,
    )
    channel = app.channels[d.channel]
    try:
        receipt = channel.send(message)
    except DeliveryError as e:
        cap_keys = [s.key for s in specs]
        return _failed(
            app, state, schedule, step, d, e, cap_keys, dispatch_id, now, zone, rendered.locale
        )
    app.caps.finish(
        person_id=state.person_id, dispatch_id=dispatch_id, value=f"sent:{receipt.provider_id}"
    )
    state.sent_count += 1
    count_after_send(
        app.client, state, j, d.channel, dispatch_id, now, simulated_calls=app.simulated_calls
    )
    sent = _record(
        state,
        step,
        now,
        zone,
        "sent",
        channel=d.channel,
        provider=receipt.provider,
        provider_id=receipt.provider_id,
        locale=rendered.locale,
    )
    return [sent, *_advance(app, state, schedule, step, now, zone)]


def _failed(
    app: App,
    state: AccountState,
    schedule: Schedule,
    step: Occurrence,
    d: Decision,
    e: DeliveryError,
    cap_keys: Sequence[str],
    dispatch_id: str,
    now: datetime,
    zone: str,
    locale: str,
) -> list[Outcome]:
    provider = getattr(app.channels[d.channel], "name", None)
    if not e.permanent and state.attempt + 1 < MAX_ATTEMPTS:
        # never processed by the provider: give the reservation back and try again later
        app.caps.release_keys(person_id=state.person_id, dispatch_id=dispatch_id, cap_keys=cap_keys)
        state.attempt += 1
        retry = Decision("defer", d.channel, "provider_transient", None, now + RETRY_AFTER)
        return [_defer(app, state, step, retry, now, zone)]
    app.caps.finish(person_id=state.person_id, dispatch_id=dispatch_id, value=f"failed:{e.code}")
    failed = _record(
        state,
        step,
        now,
        zone,
        "failed",
        channel=d.channel,
        reason=e.code or ("permanent" if e.permanent else "transient"),
        provider=provider,
        locale=locale,
    )
    return [failed, *_advance(app, state, schedule, step, now, zone)]


def _duplicate(
    app: App,
    state: AccountState,
    schedule: Schedule,
    step: Occurrence,
    d: Decision,
    res: Reservation,
    now: datetime,
    zone: str,
) -> list[Outcome]:
    claimed = res.claimed or ""
    if claimed.startswith("claimed:"):
        since = float(claimed.split(":", 1)[1])
        if to_epoch(now) - since < app.settings.lease_seconds:
            # another worker is sending it right now: leave it to that worker
            return [
                _record(state, step, now, zone, "skipped", channel=d.channel, reason="in_progress")
            ]
        # the claimer died between claim and provider answer: the message may have gone out
        app.caps.finish(
            person_id=state.person_id,
            dispatch_id=keys.dispatch_id(state.account_id, step.key, state.attempt),
            value="unknown",
        )
        out = [
            _record(
                state, step, now, zone, "unknown", channel=d.channel, reason="claimed_not_finished"
            )
        ]
        return out + _advance(app, state, schedule, step, now, zone)
    out = [_record(state, step, now, zone, "skipped", channel=d.channel, reason="duplicate")]
    return out + _advance(app, state, schedule, step, now, zone)
