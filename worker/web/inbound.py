"""``POST /twilio/sms/inbound``: a text a person sent to remind's number.

Twilio posts ``From``, ``To``, ``Body`` and ``MessageSid``, signed like every Twilio webhook
(``worker.web.twilio_auth``). Each ``MessageSid`` is handled once (a repeat gets an empty
answer); the sender is found through the phone index (``worker.storage.phones``) and the body
is read with ``classify_reply`` under the packs of the sender's number and of each account's
schedule, the strongest reading winning (stop over start over help):

- **STOP** family: the number is opted out of SMS, in the number registry and in the opt-out
  set of every person whose account lists it (the set the gate reads), and the text is applied
  to each account as a ``reply`` event (outcome ``opted_out``, reason ``reply_stop``, with the
  reply as evidence). The confirmation is answered once: a STOP from a number already opted out
  gets an empty answer. A number no account lists is opted out all the same (opting out is by
  number), with one ``opted_out`` outcome whose ``account_id`` is ``?``.
- **START** family: the number's SMS opt-out is lifted (registry and each person's
  ``sms:<number>`` entry; a refusal of texting as a whole, a hold for review and the calls a
  STOP also stopped stay for a person to lift) and confirmed; outcome ``opted_in``.
- **HELP** family: answered with contact details (``worker.web.answers``); outcome ``inbound``,
  reason ``reply_help``.
- anything else: an ``inbound`` outcome, reason ``reply_text``, per account (or one with
  ``account_id`` ``?``) for a person to read, the text as evidence in its audit record; and the
  text is applied as a ``reply`` event, so that "please stop texting me" still opts out and a
  reply that may mean stop holds the number (``worker.gate.inbound``). No answer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from worker.accounts.cursor import primary_zone
from worker.accounts.outcomes import make_outcome
from worker.accounts.places import phone_place
from worker.accounts.state import AccountState
from worker.accounts.zones import mask_phone
from worker.app import App
from worker.clock import isoformat_utc
from worker.config import Settings
from worker.contracts.outcome import Outcome, OutcomeKind
from worker.contracts.validation import parse_event
from worker.gate.inbound import masked_text
from worker.gate.keywords import INTENTS, Intent, classify_reply
from worker.gate.types import Check
from worker.storage import keys, phones
from worker.web.answers import START_ANSWER, STOP_ANSWER, help_answer, twiml
from worker.web.patience import apply_patiently
from worker.web.twilio_auth import signed_form

log = logging.getLogger(__name__)

#: Where Twilio posts inbound texts (the number's or messaging service's webhook URL).
INBOUND_PATH = "/twilio/sms/inbound"
#: Days a ``MessageSid`` is remembered; Twilio never delivers one again that late.
SEEN_DAYS = 30
#: The collector a number no account lists is read for (keywords binding creditors bind all).
UNKNOWN_COLLECTOR = "creditor"


@dataclass(frozen=True)
class Handled:
    """What was done with one inbound text: the reading, the accounts, the answer sent."""

    done: str  # opted_out | already_opted_out | opted_in | help | recorded | duplicate | ignored
    intent: Intent | None = None
    accounts: tuple[str, ...] = ()
    answer: str | None = None


def inbound_router(app: App, settings: Settings) -> APIRouter:
    """The signed inbound SMS webhook; 403 without a valid ``X-Twilio-Signature``."""
    router = APIRouter(tags=["twilio"])

    @router.post(INBOUND_PATH, response_class=Response)
    async def inbound_sms(request: Request) -> Response:
        """An inbound text: STOP, START and HELP answered in TwiML; other texts recorded."""
        form = await signed_form(request, settings)
        handled = await run_in_threadpool(receive, app, settings, form)
        # no number and no text in the log: the SID finds them at Twilio
        log.info("inbound sms %s: %s, %d accounts", form.get("MessageSid"), handled.done,
                 len(handled.accounts))  # fmt: skip
        return Response(twiml(handled.answer), media_type="application/xml")

    return router


def receive(app: App, settings: Settings, form: dict[str, str]) -> Handled:
    """Handle one inbound text once per ``MessageSid`` (see the module's docstring)."""
    sid, sender = form.get("MessageSid", ""), phones.e164(form.get("From", ""))
    if not sid or not sender:
        return Handled("ignored")
    seen = keys.inbound_message(sid)
    if not app.client.set(seen, isoformat_utc(app.clock.now()), nx=True, ex=SEEN_DAYS * 86400):
        return Handled("duplicate")
    try:
        return _handle(app, settings, sid, sender, form.get("Body", ""))
    except BaseException:
        app.client.delete(seen)  # not handled: a redelivery must be able to try again
        raise


def _handle(app: App, settings: Settings, sid: str, sender: str, body: str) -> Handled:
    now = app.clock.now()
    states = [s for a in phones.accounts_for(app.client, sender) if (s := app.store.load(a))]
    ids = tuple(s.account_id for s in states)
    intent = _intent(app, body, sender, states)
    if intent == "stop":
        fresh = phones.opt_out_number(app.client, sender, now)
        for state in states:  # first the opt-out the gate reads; the record may then fail
            app.store.set_opt_out(state.person_id, f"sms:{sender}")
        for state in states:
            _reply(app, state, sender, body)
        if not states:
            _record_unknown(app, now, "opted_out", "reply_stop", sid, sender, body)
        done, answer = ("opted_out", STOP_ANSWER) if fresh else ("already_opted_out", None)
        return Handled(done, intent, ids, answer)
    if intent == "start":
        phones.opt_in_number(app.client, sender)
        for state in states:
            app.store.remove_opt_outs(state.person_id, [f"sms:{sender}"])
        _record(app, states, now, "opted_in", "reply_start", sid, sender, body)
        return Handled("opted_in", intent, ids, START_ANSWER)
    if intent == "help":
        _record(app, states, now, "inbound", "reply_help", sid, sender, body)
        return Handled("help", intent, ids, help_answer(app, settings, states))
    _record(app, states, now, "inbound", "reply_text", sid, sender, body)
    if body.strip():
        for state in states:
            _reply(app, state, sender, body)
    return Handled("recorded", None, ids)


def _intent(app: App, body: str, sender: str, states: Sequence[AccountState]) -> Intent | None:
    """The strongest keyword reading of ``body`` under the packs of the sender's number and
    each account's schedule collector."""
    country, region = phone_place(sender) or (None, None)
    collectors = {app.pinned_schedule(s.schedule_ref).collector for s in states}
    readings = {classify_reply(body, country, region, collector=c)
                for c in sorted(collectors or {UNKNOWN_COLLECTOR})}  # fmt: skip
    return next((i for i in INTENTS if i in readings), None)


def _reply(app: App, state: AccountState, sender: str, body: str) -> None:
    """Apply the text to the account as a ``reply`` event (read, acted on, recorded)."""
    data = {"account_id": state.account_id, "type": "reply", "channel": "sms",
            "text": body, "address": sender}  # fmt: skip
    apply_patiently(app, parse_event(data, "twilio inbound sms"))


def _record(
    app: App, states: Sequence[AccountState], now: datetime, kind: OutcomeKind, reason: str,
    sid: str, sender: str, body: str,
) -> None:  # fmt: skip
    """One outcome per account (or one with no account) with the text as evidence."""
    if not states:
        _record_unknown(app, now, kind, reason, sid, sender, body)
    for state in states:
        version = app.pinned_schedule(state.schedule_ref).version
        outcome = make_outcome(
            now=now,
            state=state,
            outcome=kind,
            zone=primary_zone(state.account),
            channel="sms",
            reason=reason,
            rule=f"reply/{kind}@{version}",
            provider="twilio",
            provider_id=sid,
        )
        app.results.publish(outcome, [_evidence(outcome, now, sender, body)])


def _record_unknown(
    app: App, now: datetime, kind: OutcomeKind, reason: str, sid: str, sender: str, body: str
) -> None:
    """The outcome of a text from a number no account lists: ``account_id`` is ``?``."""
    outcome = Outcome(
        id=uuid.uuid4().hex, at=isoformat_utc(now), local_time=None, account_id="?",
        person_id=None, debt_id=None, schedule=None, tier=None, step=None, channel="sms",
        outcome=kind, reason=reason, rule=None, next_attempt_at=None, provider="twilio",
        provider_id=sid, template=None, locale=None,
    )  # fmt: skip
    app.results.publish(outcome, [_evidence(outcome, now, sender, body)])


def _evidence(outcome: Outcome, now: datetime, sender: str, body: str) -> Check:
    """The audit record's check: who wrote (masked) and what (numbers and addresses masked)."""
    detail = f'sms from {mask_phone(sender)}: "{masked_text(body)}"'
    return Check(outcome.rule or f"reply/{outcome.outcome}", "reply", "n/a", outcome.reason,
                 now, detail)  # fmt: skip
