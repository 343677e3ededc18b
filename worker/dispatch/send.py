"""Sending an allowed step: compose, reserve the caps with the at-most-once claim, send, record.

The reservation is the gate's last word: it checks the caps again and claims the dispatch id in
one atomic script, so two workers racing on one step never both send. What the provider says
decides the rest: a receipt is ``sent``; a transient failure gives the reservation back and
retries later, up to ``MAX_ATTEMPTS``; a permanent one (or the last retry) is ``failed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from worker.channels.base import OutgoingMessage
from worker.clock import to_epoch
from worker.contracts.outcome import Outcome
from worker.dispatch.attempt import Attempt
from worker.dispatch.compose import Composed, Refused, compose
from worker.dispatch.steps import advance, defer, suppress
from worker.errors import DeliveryError
from worker.gate.calls import count_after_send
from worker.gate.caps import Reservation
from worker.gate.disclosure import note_sent

#: Transient provider failures retried this many times, this far apart, before giving up.
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(hours=1)


def allow(a: Attempt) -> list[Outcome]:
    """Act on an ``allow`` decision: the message goes out unless something stops it last."""
    composed = compose(a)
    if isinstance(composed, Refused):
        return suppress(a, composed.reason, composed.rule)
    judgement = a.decision.judgement
    assert judgement is not None and a.decision.recipient is not None
    specs = [spec for _, spec in judgement.specs]
    res = a.app.caps.reserve_specs(
        person_id=a.state.person_id, dispatch_id=a.dispatch_id, specs=specs, now=a.now
    )
    if res.status == "dup":
        return _claimed_before(a, res)
    if res.status == "cap":
        return _capped(a, res)
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
    a.app.caps.finish(
        person_id=a.state.person_id, dispatch_id=a.dispatch_id, value=f"sent:{receipt.provider_id}"
    )
    a.state.sent_count += 1
    count_after_send(
        a.app.client,
        a.state,
        judgement,
        a.channel,
        a.dispatch_id,
        a.now,
        simulated_calls=a.app.simulated_calls,
    )
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
    """The provider refused: retry a transient failure later, else record it and move on."""
    provider = getattr(a.app.channels[a.channel], "name", None)
    if not e.permanent and a.state.attempt + 1 < MAX_ATTEMPTS:
        # never processed by the provider: give the reservation back and try again later
        a.app.caps.release_keys(
            person_id=a.state.person_id, dispatch_id=a.dispatch_id, cap_keys=cap_keys
        )
        a.state.attempt += 1
        return [defer(a, "provider_transient", None, a.now + RETRY_AFTER)]
    a.app.caps.finish(
        person_id=a.state.person_id, dispatch_id=a.dispatch_id, value=f"failed:{e.code}"
    )
    failed = a.record(
        "failed",
        channel=a.channel,
        reason=e.code or ("permanent" if e.permanent else "transient"),
        provider=provider,
        locale=locale,
    )
    return [failed, *advance(a)]


def _claimed_before(a: Attempt, res: Reservation) -> list[Outcome]:
    """The dispatch id was claimed already: by a worker still sending, one that died, or done."""
    claimed = res.claimed or ""
    if claimed.startswith("claimed:"):
        since = float(claimed.split(":", 1)[1])
        if to_epoch(a.now) - since < a.app.settings.lease_seconds:
            # another worker is sending it right now: leave it to that worker
            return [a.record("skipped", channel=a.channel, reason="in_progress")]
        # the claimer died between claim and provider answer: the message may have gone out
        a.app.caps.finish(person_id=a.state.person_id, dispatch_id=a.dispatch_id, value="unknown")
        unknown = a.record("unknown", channel=a.channel, reason="claimed_not_finished")
        return [unknown, *advance(a)]
    return [a.record("skipped", channel=a.channel, reason="duplicate"), *advance(a)]
