"""Sending an allowed step: compose, reserve the caps with the at-most-once claim, send, record.

The reservation is the gate's last word: it checks the caps again and claims the dispatch id in
one atomic script, so two workers racing on one step never both send. What the provider says
decides the rest (docs/integration.md, Provider errors): a receipt is ``sent``; a transient
failure gives the reservation back and retries later, up to ``MAX_ATTEMPTS``; a configuration
error gives it back and waits for the paused channel; an ambiguous one is ``unknown`` and never
resent; a permanent one (or the last retry) is ``failed``, and the step's fallback channel is
tried at once when the gate allows it there. With ``REMIND_REDIS_MIN_REPLICAS`` the claim is on
that many replicas before the provider hears of the message (``App.confirm_claim``), or it is
given back and ``ReplicationError`` raised: nothing is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from worker.accounts.plans import current_step
from worker.channels.base import OutgoingMessage
from worker.clock import to_epoch
from worker.contracts.outcome import Outcome
from worker.dispatch.attempt import Attempt, evaluate_step
from worker.dispatch.compose import Composed, Refused, compose
from worker.dispatch.steps import advance, defer, suppress
from worker.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    ProviderConfigurationError,
    RecipientOptedOut,
    ReplicationError,
)
from worker.gate.calls import count_after_send
from worker.gate.caps import Reservation
from worker.gate.disclosure import note_sent
from worker.gate.types import Judgement
from worker.storage import phones
from worker.storage.leases import claim_holder

#: Transient provider failures retried this many times, this far apart, before giving up.
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(hours=1)
#: How long a step waits for a channel paused by a configuration error, when it does not say.
PAUSED_RETRY = timedelta(minutes=15)


def allow(a: Attempt) -> list[Outcome]:
    """Act on an ``allow`` decision: the message goes out unless something stops it last."""
    composed = compose(a)
    if isinstance(composed, Refused):
        return suppress(a, composed.reason, composed.rule)
    judgement = a.decision.judgement
    assert judgement is not None and a.decision.recipient is not None
    specs = [spec for _, spec in judgement.specs]
    a.flush()  # what this dispatch decided before (a fallback's failed first try) goes first
    res = a.app.caps.reserve_specs(
        person_id=a.state.person_id,
        dispatch_id=a.dispatch_id,
        specs=specs,
        now=a.now,
        holder=a.holder,
        batch=a.claim_batch(),  # the worker's lease, held before the claim, in its round trip
    )
    if res.status == "dup":
        return _claimed_before(a, res)
    if res.status == "cap":
        return _capped(a, res)
    try:  # a claim a failover could forget would let the step go out twice
        a.app.confirm_claim(a.state.person_id, a.dispatch_id)
    except ReplicationError:  # as if the worker died before sending: the entry comes back
        a.app.caps.release_keys(
            person_id=a.state.person_id, dispatch_id=a.dispatch_id, cap_keys=[s.key for s in specs]
        )
        raise
    return _send(a, composed, [s.key for s in specs])


def _capped(a: Attempt, res: Reservation) -> list[Outcome]:
    """Another worker filled a cap since the evaluation: wait for the earliest instant every
    rule allows, judged again from the moment the cap frees a slot."""
    assert a.decision.judgement is not None
    assert res.index is not None and res.retry_at is not None
    rule = a.decision.judgement.specs[res.index][0].ref
    later = a.judged_at(res.retry_at)
    at = res.retry_at if later.action == "allow" else later.at
    if later.action == "suppress" or at is None:
        return suppress(a, "no_contact_window", rule)
    return [defer(a, "cap", rule, at)]


def _send(a: Attempt, composed: Composed, cap_keys: Sequence[str]) -> list[Outcome]:
    judgement, recipient = a.decision.judgement, a.decision.recipient
    rendered = composed.rendered
    assert judgement is not None and recipient is not None
    message = OutgoingMessage(
        dispatch_id=a.dispatch_id,
        channel=a.channel,
        to=recipient,
        template=a.step.template,
        locale=rendered.locale,
        text=rendered.text,
        subject=rendered.subject,
        html=rendered.html,
        voicemail=rendered.voicemail,
        account_id=a.state.account_id,
    )
    try:
        receipt = a.app.channels[a.channel].send(message)
    except DeliveryError as e:
        return _failed(a, e, cap_keys, rendered.locale)
    a.finish_claim(f"sent:{receipt.provider_id}")
    a.state.sent_count += 1
    _count(a, judgement)
    note_sent(
        a.state,
        a.channel,
        a.dispatch_id,
        initial_disclosure=composed.initial_disclosure,
        call_result=a.app.simulated_calls,
    )
    sent = a.record(
        "sent",
        channel=a.channel,
        provider=receipt.provider,
        provider_id=receipt.provider_id,
        locale=rendered.locale,
    )
    return [sent, *advance(a)]


def _failed(a: Attempt, e: DeliveryError, cap_keys: Sequence[str], locale: str) -> list[Outcome]:
    """The provider refused: act on the kind of failure (``worker.errors.DeliveryError``)."""
    provider = getattr(a.app.channels[a.channel], "name", None)
    if isinstance(e, AmbiguousDeliveryError):
        return _unknown(a, e, locale, provider)
    retry = _retry_at(a, e)
    if retry is not None and not _is_fallback(a):
        # never processed by the provider: give the reservation back and try again later
        a.app.caps.release_keys(
            person_id=a.state.person_id, dispatch_id=a.dispatch_id, cap_keys=cap_keys
        )
        if isinstance(e, ProviderConfigurationError):
            # the channel is paused, not this message: the same attempt goes again
            return [defer(a, "provider_configuration", None, retry)]
        a.state.attempt += 1
        return [defer(a, "provider_transient", None, retry)]
    a.finish_claim(f"failed:{e.code}")
    if isinstance(e, RecipientOptedOut) and a.decision.recipient is not None:
        # the provider will refuse this address from now on: the gate must know it too
        a.app.store.set_opt_out(a.state.person_id, f"{a.channel}:{a.decision.recipient}")
        if a.channel == "sms":  # and the number's own registry, as an inbound STOP would
            phones.opt_out_number(a.app.client, a.decision.recipient, a.app.clock.now())
    failed = a.record(
        "failed",
        channel=a.channel,
        reason=e.code or ("permanent" if e.permanent else "transient"),
        provider=provider,
        locale=locale,
    )
    # permanent, or transient with its attempts used up: either way this channel is done
    if not _is_fallback(a):
        return [failed, *_fall_back(a)]
    return [failed, *advance(a)]


def _retry_at(a: Attempt, e: DeliveryError) -> datetime | None:
    """When to try a failure the provider never processed again, or None to record it."""
    if isinstance(e, ProviderConfigurationError):
        wait = timedelta(seconds=e.retry_after) if e.retry_after else PAUSED_RETRY
        return a.now + wait
    if e.permanent or a.state.attempt + 1 >= MAX_ATTEMPTS:
        return None
    asked = getattr(e, "retry_after", None) or 0.0
    return a.now + max(RETRY_AFTER, timedelta(seconds=asked))


def _unknown(a: Attempt, e: DeliveryError, locale: str, provider: str | None) -> list[Outcome]:
    """The message may have gone out: count it as sent for the caps, record ``unknown``, and
    never send it again (docs/architecture.md, At most once per step)."""
    judgement = a.decision.judgement
    assert judgement is not None
    a.finish_claim("unknown")
    _count(a, judgement)
    unknown = a.record(
        "unknown", channel=a.channel, reason=e.code or "ambiguous", provider=provider, locale=locale
    )
    return [unknown, *advance(a)]


def _is_fallback(a: Attempt) -> bool:
    """Whether ``a`` is the fallback tried at once after a permanent failure."""
    pending = current_step(a.state, a.schedule)
    return pending is not None and a.step.channel != pending.channel


def _fall_back(a: Attempt) -> list[Outcome]:
    """After a permanent failure, the step's fallback channel, now, if the gate allows it there.

    The fallback is judged like any step (consent, hours, caps) and sent in the same dispatch
    under the next attempt's id; if the gate would defer or suppress it, the step ends with the
    failure and the verdict is recorded (``skipped``/``fallback_deferred`` or ``suppressed``).
    """
    fallback = a.step.fallback
    if fallback is None or fallback == a.channel:
        return advance(a)
    step = replace(a.step, channel=fallback, fallback=None)
    a.state.attempt += 1
    decision = evaluate_step(a.app, a.state, a.schedule, step, a.now)
    b = Attempt(
        a.app, a.state, a.schedule, step, a.now, a.zone, decision, a.holder, a.writes, a.lease
    )
    if decision.action == "allow":
        return allow(b)
    suppressed = decision.action == "suppress"
    verdict = b.record(
        "suppressed" if suppressed else "skipped",
        channel=fallback,
        reason=decision.reason if suppressed else "fallback_deferred",
        rule=decision.rule,
    )
    return [verdict, *advance(a)]


def _claimed_before(a: Attempt, res: Reservation) -> list[Outcome]:
    """The dispatch id was claimed already: by a worker still sending, one that died, or done.

    A claim is in progress for ``REMIND_LEASE_SECONDS`` at most (no send lasts that long), and
    only while the worker it names still beats: a silent one died, and its step is settled at
    once instead of at the end of the lease. A claim naming no worker (a process outside
    ``remind worker``) is judged by its age alone.
    """
    claimed = res.claimed or ""
    if claimed.startswith("claimed:"):
        since, claimer = claim_holder(claimed)
        busy = to_epoch(a.now) - since < a.app.settings.lease_seconds
        if busy and claimer is not None:
            busy = a.app.leases.is_alive(claimer, a.now)
        if busy:
            # another worker is sending it right now: leave it to that worker
            return [a.record("skipped", channel=a.channel, reason="in_progress")]
        # the claimer died between claim and provider answer: the message may have gone out
        a.finish_claim("unknown")
        unknown = a.record("unknown", channel=a.channel, reason="claimed_not_finished")
        return [unknown, *advance(a)]
    return [a.record("skipped", channel=a.channel, reason="duplicate"), *advance(a)]


def _count(a: Attempt, judgement: Judgement) -> None:
    """Count a message that went out (or may have) under the caps settled after the send."""
    count_after_send(
        a.app.client,
        a.state,
        judgement,
        a.channel,
        a.dispatch_id,
        a.now,
        simulated_calls=a.app.simulated_calls,
    )
