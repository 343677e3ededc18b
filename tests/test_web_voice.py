"""A live call end to end: placed at the Twilio emulator with a ``Url`` and synchronous machine
detection, its TwiML fetched from the web service as Twilio fetches it (signed, ``AnsweredBy``
set), and each key followed through the ``<Gather action>`` it names to the event or outcome it
records (docs/contracts.md, HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from twilio.request_validator import RequestValidator

from worker.clock import SimulatedClock
from worker.gate.consent import reach
from worker.storage import keys
from worker.storage.call_parts import CallParts, save_call_parts
from worker.testing.twilio_emulator import TwilioEmulator
from worker.web import patience

from .twilio_helpers import AGENT, FROM, PUBLIC, SID, TOKEN
from .voice_helpers import FORM, LiveCall, gather_action, live_call

DISPATCH = "dispatch=A-1%3Alate.1%3A0"
TWIML_URL = f"{PUBLIC}/twilio/voice/twiml?{DISPATCH}"
KEYPRESS_URL = f"{PUBLIC}/twilio/voice/keypress?{DISPATCH}"
PROMISE_URL = f"{PUBLIC}/twilio/voice/promise?{DISPATCH}"
SCRIPT = (
    '<Say language="en-US">Hello. This is an automated call from Northwind Lending for Sam Lee. '
    "To stop calls to this number, press 9. If you are not Sam Lee, please hang up now. We are "
    "sorry to have troubled you.</Say>"
    '<Say language="en-US">Sam Lee, we are calling with a reminder that your payment of $125.50, '
    "reference NW-1, was due on March 1, 2026. If you have already paid, thank you, and please "
    "ignore this call.</Say>"
    '<Say language="en-US">To pay, or to talk about your options, please call us on '
    "+1 800 555 0100. Thank you.</Say>"
)
MENU = (
    "To speak with someone now, press 1. To promise a payment, press 2. "
    "To ask for a payment plan, press 3. To stop calls to this number, press 9."
)
VOICEMAIL = (
    '<Say language="en-US">Hello. This is Sam Carter calling from Northwind Lending. Please call '
    "us back on +1 800 555 0100. You can ask for Sam Carter or any of our representatives.</Say>"
)
GOODBYE = '<Say language="en-US">Thank you. Goodbye.</Say><Hangup />'
ASK_DATE = (
    '<Say language="en-US">Please enter the date you will pay by, as 8 digits: two for the '
    "month, two for the day, then four for the year.</Say>"
)


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(auth=(SID, TOKEN)) as emulator:
        yield emulator


@pytest.fixture
def call(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    twilio: TwilioEmulator,
) -> LiveCall:
    return live_call(redis_url, tmp_path, clock, twilio)


def outcomes_after(call: LiveCall, before: int) -> list[tuple[str, str, str | None]]:
    return [(o["outcome"], o["channel"], o["reason"]) for o in call.recorded()[before:]]


def menu_gather(action: str, says: str) -> str:
    return (
        f'<Gather action="{action}" input="dtmf" method="POST" numDigits="1" timeout="6">'
        f"{says}</Gather>"
    )


def date_gather(action: str, says: str) -> str:
    return (
        f'<Gather action="{action}" input="dtmf" method="POST" numDigits="8" timeout="10">'
        f"{says}</Gather>"
    )


def test_the_call_asks_twilio_to_fetch_its_twiml_once_machine_detection_has_decided(
    call: LiveCall,
) -> None:
    # the script is never in the request: no Twiml, and no AsyncAmd (Twilio waits for the
    # verdict and a machine's beep before it fetches the Url)
    assert call.fields == {
        "To": "+12125550123",
        "From": "+14155550100",
        "Url": TWIML_URL,
        "Method": "POST",
        "MachineDetection": "DetectMessageEnd",
        "StatusCallback": f"{PUBLIC}/twilio/status/voice?{DISPATCH}",
        "Timeout": "45",
    }


def test_a_person_hears_the_script_and_the_menu_and_the_call_is_answered(
    call: LiveCall,
) -> None:
    before = len(call.recorded())

    status, twiml = call.post(TWIML_URL, call.call_form(AnsweredBy="human"))

    assert status == 200
    assert twiml == (
        "<Response>"
        + menu_gather(KEYPRESS_URL, SCRIPT + f'<Say language="en-US">{MENU}</Say>')
        + VOICEMAIL
        + "<Hangup /></Response>"
    )
    assert "\xa0" not in twiml
    assert outcomes_after(call, before) == [("answered", "voice", None)]
    assert "oral" in call.app.store.require("A-1").communicated
    # Twilio fetching again, or the status callback after the call, records nothing more
    assert call.post(TWIML_URL, call.call_form(AnsweredBy="human")) == (200, twiml)
    done = call.post(
        f"{PUBLIC}/twilio/status/voice?{DISPATCH}",
        call.call_form(CallStatus="completed", AnsweredBy="human"),
    )
    assert done == (200, '{"done":"duplicate"}')
    assert outcomes_after(call, before) == [("answered", "voice", None)]


@pytest.mark.parametrize(
    ("verdict", "outcome"),
    [
        ("machine_end_beep", [("voicemail", "voice", None)]),
        ("machine_end_silence", [("voicemail", "voice", None)]),
        ("machine_end_other", [("voicemail", "voice", None)]),
        # not known to be a machine: the lawful voicemail part all the same, and no result, so
        # the call keeps counting under every call cap
        ("fax", []),
        ("unknown", []),
        (None, []),
    ],
)
def test_anything_but_a_person_hears_only_the_voicemail_part(
    call: LiveCall, verdict: str | None, outcome: list[tuple[str, str, str | None]]
) -> None:
    before = len(call.recorded())
    form = call.call_form(**({"AnsweredBy": verdict} if verdict else {}))

    status, twiml = call.post(TWIML_URL, form)

    assert (status, twiml) == (200, f"<Response>{VOICEMAIL}<Hangup /></Response>")
    for private in ("Sam Lee", "125.50", "NW-1", "payment", "press"):
        assert private not in twiml
    assert outcomes_after(call, before) == outcome


def test_a_machine_with_no_voicemail_part_to_leave_gets_a_hang_up_and_the_call_unanswered(
    call: LiveCall,
) -> None:
    save_call_parts(
        call.app.client, "A-1:late.1:0", CallParts("Hello.", None, "en", "+12125550123")
    )
    before = len(call.recorded())

    twiml = call.post(TWIML_URL, call.call_form(AnsweredBy="machine_end_beep"))

    assert twiml == (200, "<Response><Hangup /></Response>")
    assert outcomes_after(call, before) == []  # unanswered records no outcome
    # ... but it is the call's result: a later verdict is a duplicate
    done = call.post(
        f"{PUBLIC}/twilio/status/voice?{DISPATCH}",
        call.call_form(CallStatus="completed", AnsweredBy="machine_end_beep"),
    )
    assert done == (200, '{"done":"duplicate"}')


def test_an_unknown_call_or_one_whose_parts_expired_gets_a_goodbye_never_an_error(
    call: LiveCall,
) -> None:
    before = len(call.recorded())
    human = call.call_form(AnsweredBy="human")
    goodbye = (200, f"<Response>{GOODBYE}</Response>")

    assert call.post(f"{PUBLIC}/twilio/voice/twiml?dispatch=B-9%3Alate.1%3A0", human) == goodbye
    assert call.post(f"{PUBLIC}/twilio/voice/twiml", human) == goodbye
    call.app.client.delete(keys.call_parts("A-1:late.1:0"))
    assert call.post(TWIML_URL, human) == goodbye
    assert call.post(KEYPRESS_URL, call.call_form(Digits="9")) == goodbye
    assert outcomes_after(call, before) == []
    assert call.app.store.opted_out("A-1") == set()


@pytest.mark.parametrize(
    "url",
    [
        TWIML_URL,
        KEYPRESS_URL,
        PROMISE_URL,
        f"{PUBLIC}/twilio/voice/promise/confirm?{DISPATCH}&date=2026-03-20&tries=0",
    ],
)
def test_a_forged_or_missing_signature_gets_403_and_changes_nothing(
    call: LiveCall, url: str
) -> None:
    before = len(call.recorded())
    form = call.call_form(AnsweredBy="human", Digits="9")
    target = url.removeprefix(PUBLIC)

    assert call.post(url, form, token="not-the-token")[0] == 403
    unsigned = call.web.post(target, content=urlencode(form), headers=FORM)
    assert (unsigned.status_code, unsigned.json()) == (
        403,
        {"detail": "a valid X-Twilio-Signature is required"},
    )
    # Twilio's signature over this URL does not cover another state in the query
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    headers = {**FORM, "X-Twilio-Signature": signature}
    other = call.web.post(
        target.replace("dispatch=", "tries=1&dispatch="), content=urlencode(form), headers=headers
    )
    assert other.status_code == 403
    assert call.recorded()[before:] == []
    assert call.app.store.opted_out("A-1") == set()
    assert call.app.client.get(keys.provider_status("A-1", "call:" + form["CallSid"])) is None


def test_key_1_connects_the_person_to_the_agent(call: LiveCall) -> None:
    assert call.post(KEYPRESS_URL, call.call_form(Digits="1")) == (
        200,
        '<Response><Say language="en-US">Please hold while we connect you.</Say>'
        f'<Dial callerId="{FROM}">{AGENT}</Dial>{GOODBYE}</Response>',
    )


def test_without_an_agent_number_1_is_not_offered_and_not_an_option(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    twilio: TwilioEmulator,
) -> None:
    call = live_call(redis_url, tmp_path, clock, twilio, agent=False)
    _, twiml = call.post(TWIML_URL, call.call_form(AnsweredBy="human"))
    assert (
        '<Say language="en-US">To promise a payment, press 2. To ask for a payment plan, press '
        "3. To stop calls to this number, press 9.</Say></Gather>" in twiml
    )

    status, again = call.post(KEYPRESS_URL, call.call_form(Digits="1"))

    assert (status, again) == (
        200,
        "<Response>"
        + menu_gather(
            f"{KEYPRESS_URL}&amp;tries=1",
            '<Say language="en-US">Sorry, that is not an option.</Say>'
            '<Say language="en-US">To promise a payment, press 2. To ask for a payment plan, '
            "press 3. To stop calls to this number, press 9.</Say>",
        )
        + f"{GOODBYE}</Response>",
    )
    assert "<Dial" not in again


def test_key_3_asks_for_a_payment_plan_for_a_person_to_answer_and_holds_nothing(
    call: LiveCall,
) -> None:
    before = len(call.recorded())
    assert call.post(KEYPRESS_URL, call.call_form(Digits="3")) == (
        200,
        '<Response><Say language="en-US">Thank you. Someone will contact you about a payment '
        "plan. Goodbye.</Say><Hangup /></Response>",
    )
    assert outcomes_after(call, before) == [("review", "voice", "plan_requested")]
    assert call.recorded()[-1]["rule"].startswith("call_keypress@")
    assert call.app.store.require("A-1").status == "active"  # nothing paused or held
    assert call.app.store.opted_out(call.app.store.require("A-1").person_id) == set()


def test_a_key_that_is_no_option_says_the_menu_again_twice_then_goodbye(call: LiveCall) -> None:
    _, first = call.post(KEYPRESS_URL, call.call_form(Digits="5"))
    assert first == (
        "<Response>"
        + menu_gather(
            f"{KEYPRESS_URL}&amp;tries=1",
            '<Say language="en-US">Sorry, that is not an option.</Say>'
            f'<Say language="en-US">{MENU}</Say>',
        )
        + f"{GOODBYE}</Response>"
    )
    _, second = call.post(gather_action(first), call.call_form(Digits="*"))
    assert gather_action(second) == f"{KEYPRESS_URL}&tries=2"
    _, third = call.post(gather_action(second), call.call_form(Digits="0"))
    assert third == f"<Response>{GOODBYE}</Response>"
    assert call.app.store.require("A-1").status == "active"


def test_key_2_takes_a_date_reads_it_back_and_records_the_promise_once_confirmed(
    call: LiveCall,
) -> None:
    _, ask = call.post(KEYPRESS_URL, call.call_form(Digits="2"))
    assert ask == f"<Response>{date_gather(PROMISE_URL, ASK_DATE)}{GOODBYE}</Response>"

    _, read_back = call.post(gather_action(ask), call.call_form(Digits="03202026"))
    confirm_url = f"{PUBLIC}/twilio/voice/promise/confirm?{DISPATCH}&date=2026-03-20&tries=0"
    assert read_back == (
        "<Response>"
        + menu_gather(
            confirm_url.replace("&", "&amp;"),
            '<Say language="en-US">You will pay by March 20, 2026. To confirm, press 1. '
            "To enter another date, press 2.</Say>",
        )
        + f"{GOODBYE}</Response>"
    )
    assert call.app.store.require("A-1").status == "active"  # nothing until confirmed

    done = call.post(gather_action(read_back), call.call_form(Digits="1"))

    assert done == (
        200,
        '<Response><Say language="en-US">Thank you. Your promise to pay by March 20, 2026 is '
        "recorded. Goodbye.</Say><Hangup /></Response>",
    )
    state = call.app.store.require("A-1")
    assert (state.status, state.status_reason) == ("paused", "promise_to_pay")
    # the promise runs through its date: contact resumes the next day at the send time
    assert state.paused_until == datetime(2026, 3, 21, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    "digits",
    [
        "03082026",  # yesterday in New York
        "04092026",  # 31 days ahead
        "02302026",  # no such day
        "0320",  # too short (# pressed early)
        "20260320",  # the wrong order
    ],
)
def test_a_date_that_cannot_be_used_is_asked_again_twice_then_goodbye(
    call: LiveCall, digits: str
) -> None:
    _, again = call.post(PROMISE_URL, call.call_form(Digits=digits))

    assert again == (
        "<Response>"
        + date_gather(
            f"{PROMISE_URL}&amp;tries=1",
            '<Say language="en-US">Sorry, that date cannot be used. Please choose a date from '
            "today to April 8, 2026.</Say>" + ASK_DATE,
        )
        + f"{GOODBYE}</Response>"
    )
    _, last = call.post(gather_action(again), call.call_form(Digits=digits))
    assert gather_action(last) == f"{PROMISE_URL}&tries=2"
    assert call.post(gather_action(last), call.call_form(Digits=digits)) == (
        200,
        f"<Response>{GOODBYE}</Response>",
    )
    assert call.app.store.require("A-1").status == "active"


def test_today_and_the_thirtieth_day_can_be_promised(call: LiveCall) -> None:
    for digits, spoken in (("03092026", "March 9, 2026"), ("04082026", "April 8, 2026")):
        _, read_back = call.post(PROMISE_URL, call.call_form(Digits=digits))
        assert f"You will pay by {spoken}." in read_back


def test_2_at_the_read_back_asks_for_another_date(call: LiveCall) -> None:
    _, read_back = call.post(PROMISE_URL, call.call_form(Digits="03202026"))

    _, ask = call.post(gather_action(read_back), call.call_form(Digits="2"))

    assert ask == (
        f"<Response>{date_gather(f'{PROMISE_URL}&amp;tries=1', ASK_DATE)}{GOODBYE}</Response>"
    )
    assert call.app.store.require("A-1").status == "active"


def test_key_9_stops_calls_to_the_number_called_and_records_it_once(call: LiveCall) -> None:
    before = len(call.recorded())
    stopped = (
        200,
        '<Response><Say language="en-US">You will get no more calls from us at this number. '
        "Goodbye.</Say><Hangup /></Response>",
    )

    assert call.post(KEYPRESS_URL, call.call_form(Digits="9")) == stopped
    assert call.post(KEYPRESS_URL, call.call_form(Digits="9")) == stopped

    assert call.app.store.opted_out("A-1") == {"voice:+12125550123"}  # texts may go on
    assert outcomes_after(call, before) == [("opted_out", "voice", "call_keypress")]
    assert call.recorded()[-1]["rule"] == "call_keypress@1"
    # the gate finds no number to call any more; the same number still gets texts
    account = call.app.store.require("A-1").account
    out, opted_in = call.app.store.consent_sets("A-1")
    assert reach(account, "voice", out, opted_in).reason == "opted_out"
    assert reach(account, "sms", out, opted_in).recipient == "+12125550123"


def test_a_chinese_call_takes_the_date_year_first_and_reads_it_back_in_chinese(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    twilio: TwilioEmulator,
) -> None:
    call = live_call(redis_url, tmp_path, clock, twilio, locale="zh-Hant")
    _, twiml = call.post(TWIML_URL, call.call_form(AnsweredBy="human"))
    assert (
        '<Say language="zh-TW">如需專人服務，請按1。 如需承諾還款，請按2。'
        "如需申請分期還款方案，請按3。如不想再接到打給此號碼的電話，請按9。</Say></Gather>" in twiml
    )

    _, ask = call.post(KEYPRESS_URL, call.call_form(Digits="2"))
    assert (
        '<Say language="zh-TW">請輸入您承諾還款的日期，共8位數字：4位年份、2位月份、2位日期。</Say>'
        in ask
    )
    _, read_back = call.post(gather_action(ask), call.call_form(Digits="20260320"))
    assert (
        '<Say language="zh-TW">您將在2026年3月20日之前還款。確認請按1，重新輸入日期請按2。</Say>'
        in read_back
    )
    _, done = call.post(gather_action(read_back), call.call_form(Digits="1"))

    assert done == (
        '<Response><Say language="zh-TW">謝謝。您在2026年3月20日之前還款的承諾已記錄。再見。</Say>'
        "<Hangup /></Response>"
    )
    assert call.app.store.require("A-1").status == "paused"


def test_the_openapi_document_lists_the_voice_routes_answering_xml(call: LiveCall) -> None:
    paths = call.web.get("/openapi.json").json()["paths"]

    for path in ("twiml", "keypress", "promise", "promise/confirm"):
        answers = paths[f"/twilio/voice/{path}"]["post"]["responses"]["200"]["content"]
        assert "text/xml" in answers, path
    assert "/twilio/voice/amd" not in paths


def test_another_key_at_the_read_back_reads_it_again_twice_then_goodbye(call: LiveCall) -> None:
    _, read_back = call.post(PROMISE_URL, call.call_form(Digits="03202026"))

    _, again = call.post(gather_action(read_back), call.call_form(Digits="7"))
    assert gather_action(again).endswith("&date=2026-03-20&tries=1")
    assert "You will pay by March 20, 2026." in again
    _, last = call.post(gather_action(again), call.call_form(Digits="7"))
    assert gather_action(last).endswith("&tries=2")
    assert call.post(gather_action(last), call.call_form(Digits="7")) == (
        200,
        f"<Response>{GOODBYE}</Response>",
    )
    assert call.app.store.require("A-1").status == "active"


def test_a_date_read_back_that_has_gone_by_is_asked_for_again_not_recorded(
    call: LiveCall,
) -> None:
    # read back yesterday evening, confirmed after midnight: the date is checked again
    confirm_url = f"{PUBLIC}/twilio/voice/promise/confirm?{DISPATCH}&date=2026-03-08&tries=0"

    _, ask = call.post(confirm_url, call.call_form(Digits="1"))

    assert gather_action(ask) == f"{PROMISE_URL}&tries=1"
    assert "Please choose a date from today to April 8, 2026." in ask
    assert call.app.store.require("A-1").status == "active"


def test_a_busy_account_still_gets_its_twiml_and_the_status_callback_records_the_result(
    call: LiveCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a worker holds the account's lock through the fetch (it is still recording the send)
    monkeypatch.setattr(patience, "WAIT_SECONDS", 0.2)
    state = call.app.store.require("A-1")
    lock = keys.account_lock(state.person_id, "A-1")
    call.app.client.set(lock, "another-process", px=60_000)
    before = len(call.recorded())

    status, twiml = call.post(TWIML_URL, call.call_form(AnsweredBy="machine_end_beep"))

    assert (status, twiml) == (200, f"<Response>{VOICEMAIL}<Hangup /></Response>")
    assert outcomes_after(call, before) == []  # not recorded while the lock is held ...
    call.app.client.delete(lock)
    done = call.post(
        f"{PUBLIC}/twilio/status/voice?{DISPATCH}",
        call.call_form(CallStatus="completed", AnsweredBy="machine_end_beep"),
    )
    # ... and the result is not lost: the status callback records it, once
    assert done == (200, '{"done":"voicemail"}')
    assert outcomes_after(call, before) == [("voicemail", "voice", None)]
