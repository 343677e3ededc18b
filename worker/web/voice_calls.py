"""What a live call says, request by request: the TwiML Twilio fetches once it knows who
answered, and the answer to each key the person presses (docs/contracts.md, HTTP).

- The TwiML request carries ``AnsweredBy``. ``human`` gets the script and the menu and records
  the call ``answered``; every other verdict (``machine_*``, ``fax``, ``unknown``) gets only the
  limited-content voicemail part: the cautious reading, as a person taken for a machine hears a
  lawful message and a machine never records the script. A machine records ``voicemail``
  (``unanswered`` when the step has no voicemail part to leave); ``fax`` and ``unknown`` record
  no result, so the call keeps counting under every call cap.
- Keys: 1 dials ``REMIND_AGENT_NUMBER`` (offered only when set); 2 asks for the date the person
  will pay by, reads it back and, once confirmed with 1, applies ``promise_to_pay`` (today to
  ``MAX_PROMISE_DAYS`` ahead in the person's time zone; another date is asked again); 9 applies
  ``opt_out {channel: voice, address: <the number called>}`` and records ``opted_out``. A key
  that is not an option says the menu again, at most ``MAX_RETRIES`` times, then goodbye.

Each next request's state (the retries so far, the date to confirm) travels in the action URL's
query, which Twilio's signature covers. An unknown dispatch or parts that expired get a goodbye
and a hang-up, never an error: Twilio would read an error to the person.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from worker.accounts.cursor import primary_zone
from worker.accounts.state import AccountState
from worker.app import App
from worker.channels import twiml, voice
from worker.channels.twiml import action_url
from worker.channels.voice_words import keyed_date
from worker.config import Settings
from worker.contracts.validation import parse_event
from worker.errors import InvalidInput, StateError
from worker.storage import keys
from worker.storage.call_parts import CallParts, load_call_parts
from worker.web.asked import opt_out_once, record
from worker.web.callbacks import call_result
from worker.web.patience import apply_patiently

log = logging.getLogger(__name__)

#: Times a prompt is said again after a key or a date that cannot be used.
MAX_RETRIES = 2
#: The latest promised date a call takes, in days from the person's today: a longer
#: arrangement is one to make with a person (key 1) or through the intake API.
MAX_PROMISE_DAYS = 30
#: The outcome reason and rule name of an opt-out by key 9 (docs/contracts.md, Outcome).
REASON = "call_keypress"
#: The reason of the ``review`` outcome of key 3, as for a reply asking for a plan.
PLAN_REASON = "plan_requested"
#: The prefix of the ``AnsweredBy`` values that mean a machine (its greeting has ended).
_MACHINE = "machine_"


class Call:
    """One live call: its account and the parts it says, found from the dispatch id."""

    def __init__(self, app: App, settings: Settings, dispatch_id: str) -> None:
        self.app, self.dispatch_id = app, dispatch_id
        self.base = settings.public_base_url or ""
        self.agent_number = settings.agent_number
        self.caller_id = settings.twilio_from_number
        account_id = keys.split_dispatch_id(dispatch_id)[0] if dispatch_id else ""
        self.state: AccountState | None = app.store.load(account_id) if account_id else None
        self.parts: CallParts | None = (
            load_call_parts(app.client, dispatch_id) if self.state is not None else None
        )

    @property
    def locale(self) -> str:
        if self.parts is not None:
            return self.parts.locale
        return (self.state.account.locale if self.state else None) or "en"

    def url(self, path: str, **more: str | int) -> str:
        return action_url(self.base, path, self.dispatch_id, **more)


def answer(app: App, settings: Settings, dispatch_id: str, form: dict[str, str]) -> str:
    """The TwiML for the answered call, by ``AnsweredBy``; the call's result recorded once."""
    call = Call(app, settings, dispatch_id)
    if call.state is None or call.parts is None:
        log.warning("call %s: no parts to say (unknown or expired); hanging up", dispatch_id)
        return twiml.goodbye_twiml(call.locale)
    parts, sid = call.parts, form.get("CallSid", "")
    verdict = form.get("AnsweredBy", "unknown")
    if verdict == "human":
        _record_result(app, dispatch_id, sid, "answered")
        keypress = call.url(voice.KEYPRESS_PATH)
        return twiml.call_twiml(parts, keypress_url=keypress, agent=call.agent_number is not None)
    result = None
    if verdict.startswith(_MACHINE):
        result = "voicemail" if parts.voicemail else "unanswered"
    _record_result(app, dispatch_id, sid, result)
    return twiml.voicemail_twiml(parts.voicemail, parts.locale)


def _record_result(app: App, dispatch_id: str, sid: str, result: str | None) -> None:
    """Record the call's result; the TwiML is served whatever happens here (a machine waiting
    on silence would record it), and the status callback records the result if this could not."""
    try:
        call_result(app, dispatch_id, sid, result)
    except StateError as e:
        log.warning("call %s: result not recorded yet (%s); its status callback will", sid, e)


def keypress(
    app: App, settings: Settings, dispatch_id: str, form: dict[str, str], tries: int
) -> str:
    """The answer to a key pressed at the menu."""
    call = Call(app, settings, dispatch_id)
    if call.state is None or call.parts is None:
        return twiml.goodbye_twiml(call.locale)
    digits, locale = form.get("Digits", ""), call.locale
    if digits == "1" and call.agent_number is not None:
        return twiml.dial_twiml(locale, call.agent_number, call.caller_id)
    if digits == "2":
        return twiml.date_twiml(locale, action=call.url(voice.PROMISE_PATH))
    if digits == "3":
        _ask_for_plan(app, call.state)
        return twiml.goodbye_twiml(locale, "plan_requested")
    if digits == "9":
        _stop_calls(app, call.state, call.parts.to or form.get("To", ""))
        return twiml.goodbye_twiml(locale, "stopped")
    if tries >= MAX_RETRIES:
        return twiml.goodbye_twiml(locale)
    action = call.url(voice.KEYPRESS_PATH, tries=tries + 1)
    return twiml.menu_twiml(locale, action=action, agent=call.agent_number is not None)


def promise(
    app: App, settings: Settings, dispatch_id: str, form: dict[str, str], tries: int
) -> str:
    """The answer to a keyed date: read back for confirmation, or asked for again."""
    call = Call(app, settings, dispatch_id)
    if call.state is None or call.parts is None:
        return twiml.goodbye_twiml(call.locale)
    locale = call.locale
    promised = keyed_date(form.get("Digits", ""), locale)
    first, last = promise_window(app, call.state)
    if promised is None or not first <= promised <= last:
        if tries >= MAX_RETRIES:
            return twiml.goodbye_twiml(locale)
        action = call.url(voice.PROMISE_PATH, tries=tries + 1)
        return twiml.date_twiml(locale, action=action, last=last)
    action = call.url(voice.CONFIRM_PATH, date=promised.isoformat(), tries=tries)
    return twiml.confirm_twiml(locale, action=action, promised=promised)


def confirm(
    app: App,
    settings: Settings,
    dispatch_id: str,
    form: dict[str, str],
    promised_on: str,
    tries: int,
) -> str:
    """The answer to the read-back date: 1 records the promise, 2 asks for another date."""
    call = Call(app, settings, dispatch_id)
    if call.state is None or call.parts is None:
        return twiml.goodbye_twiml(call.locale)
    locale, digits = call.locale, form.get("Digits", "")
    try:
        promised = date.fromisoformat(promised_on)
    except ValueError:
        return twiml.goodbye_twiml(locale)
    first, last = promise_window(app, call.state)
    if digits == "1" and first <= promised <= last:
        if _record_promise(app, call.state, promised):
            return twiml.goodbye_twiml(locale, "promised", date=promised)
        return twiml.goodbye_twiml(locale)
    if tries >= MAX_RETRIES:
        return twiml.goodbye_twiml(locale)
    if digits == "1":  # the day turned while the date was read back: ask again
        action = call.url(voice.PROMISE_PATH, tries=tries + 1)
        return twiml.date_twiml(locale, action=action, last=last)
    if digits == "2":
        return twiml.date_twiml(locale, action=call.url(voice.PROMISE_PATH, tries=tries + 1))
    action = call.url(voice.CONFIRM_PATH, date=promised.isoformat(), tries=tries + 1)
    return twiml.confirm_twiml(locale, action=action, promised=promised)


def promise_window(app: App, state: AccountState) -> tuple[date, date]:
    """The first and last date a call takes a promise for: the person's today and
    ``MAX_PROMISE_DAYS`` after it."""
    today = app.clock.now().astimezone(ZoneInfo(primary_zone(state.account))).date()
    return today, today + timedelta(days=MAX_PROMISE_DAYS)


def _record_promise(app: App, state: AccountState, promised: date) -> bool:
    """Apply ``promise_to_pay`` until ``promised``; False (and logged) if it cannot be."""
    data = {"account_id": state.account_id, "type": "promise_to_pay",
            "until": promised.isoformat()}  # fmt: skip
    try:
        apply_patiently(app, parse_event(data, "call keypress"))
    except (InvalidInput, StateError) as e:
        log.warning("promise by call on %s not applied: %s", state.account_id, e)
        return False
    return True


def _stop_calls(app: App, state: AccountState, number: str) -> None:
    """Opt the number out of calls, as an ``opt_out`` event would, and record ``opted_out``
    once (pressing 9 again changes nothing)."""
    opt_out_once(app, state, "voice", number or None, source="call keypress", reason=REASON,
                 rule=REASON)  # fmt: skip


def _ask_for_plan(app: App, state: AccountState) -> None:
    """Record the person's request for a repayment plan for a person (or an upstream system)
    to answer with ``plan_agreed``, as a reply "PLAN" would; nothing is held or paused."""
    record(app, state, "review", "voice", PLAN_REASON, REASON)
