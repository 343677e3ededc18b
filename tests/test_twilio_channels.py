"""The SMS and voice channels send exactly what Twilio expects, through the official client,
to the Twilio emulator remind ships (``worker.testing.twilio_emulator``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from twilio.rest import Client

from worker.channels.sms import Sender, TwilioSms
from worker.channels.twilio_api import twilio_client
from worker.channels.twiml import call_twiml, voicemail_twiml
from worker.channels.voice import TwilioVoice
from worker.errors import AmbiguousDeliveryError, PermanentDeliveryError
from worker.storage import keys
from worker.storage.call_parts import CallParts, load_call_parts
from worker.testing.twilio_emulator import TwilioEmulator, error, hang

from .twilio_helpers import AGENT, FROM, PUBLIC, SID, TOKEN, call, sms


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(auth=(SID, TOKEN)) as emulator:
        yield emulator


@pytest.fixture
def client(twilio: TwilioEmulator) -> Client:
    return twilio_client(SID, TOKEN, twilio.base_url, timeout=5)


def test_an_sms_carries_to_from_body_and_a_status_callback_naming_the_dispatch(
    twilio: TwilioEmulator, client: Client
) -> None:
    channel = TwilioSms(client, Sender(FROM), public_base_url=PUBLIC)

    receipt = channel.send(sms("Hi Sam, a reminder. Reply STOP to opt out."))

    [request] = twilio.requests
    assert (request.kind, request.account_sid) == ("Messages", SID)
    assert request.fields == {
        "To": "+12125550123",
        "From": FROM,
        "Body": "Hi Sam, a reminder. Reply STOP to opt out.",
        "StatusCallback": f"{PUBLIC}/twilio/status/sms?dispatch=A-1%3Aearly.1%3A0",
    }
    assert (receipt.provider, receipt.provider_id) == ("twilio", "SM" + "0" * 31 + "1")


def test_a_messaging_service_sends_instead_of_a_number_and_no_callback_without_a_public_url(
    twilio: TwilioEmulator, client: Client
) -> None:
    service = "MG" + "a" * 32
    TwilioSms(client, Sender(messaging_service_sid=service), public_base_url=None).send(sms())

    assert twilio.requests[0].fields == {
        "To": "+12125550123",
        "MessagingServiceSid": service,
        "Body": "Hi Sam, a reminder.",
    }


def test_the_body_goes_out_as_given_unicode_included(
    twilio: TwilioEmulator, client: Client
) -> None:
    TwilioSms(client, Sender(FROM), public_base_url=None).send(sms("王小明您好，回复TD退订"))

    assert twilio.requests[0].fields["Body"] == "王小明您好，回复TD退订"


def test_a_body_over_1600_characters_is_refused_without_a_request(
    twilio: TwilioEmulator, client: Client
) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        TwilioSms(client, Sender(FROM), public_base_url=None).send(sms("x" * 1601))

    assert refused.value.code == "body_too_long"
    assert twilio.requests == []


def voice_channel(client: Client, store: redis.Redis, agent: str | None = AGENT) -> TwilioVoice:
    return TwilioVoice(client, FROM, public_base_url=PUBLIC, agent_number=agent, store=store)


def test_a_call_fetches_its_twiml_from_the_web_service_once_machine_detection_has_decided(
    twilio: TwilioEmulator, client: Client, redis_client: redis.Redis
) -> None:
    receipt = voice_channel(client, redis_client).send(call())

    [request] = twilio.requests
    dispatch = "dispatch=A-1%3Alate.1%3A0"
    assert request.kind == "Calls"
    # no Twiml and no AsyncAmd: Twilio waits for the verdict, then fetches Url with AnsweredBy
    assert request.fields == {
        "To": "+12125550123",
        "From": FROM,
        "Url": f"{PUBLIC}/twilio/voice/twiml?{dispatch}",
        "Method": "POST",
        "MachineDetection": "DetectMessageEnd",
        "StatusCallback": f"{PUBLIC}/twilio/status/voice?{dispatch}",
        "Timeout": "45",
    }
    assert receipt.provider_id.startswith("CA")
    # what the web service will say, kept for a day under the dispatch id
    assert load_call_parts(redis_client, "A-1:late.1:0") == CallParts(
        "Hello Sam.\n\nYour payment is due.", "Please call us back.", "en", "+12125550123"
    )
    assert 86_000 < redis_client.ttl(keys.call_parts("A-1:late.1:0")) <= 86_400


def test_a_person_hears_the_script_the_menu_and_then_the_voicemail() -> None:
    parts = CallParts("Hello Sam.\n\nYour payment is due.", "Please call us back.", "en", "+1")
    keypress = f"{PUBLIC}/twilio/voice/keypress?dispatch=A-1%3Alate.1%3A0"

    assert call_twiml(parts, keypress_url=keypress, agent=True) == (
        "<Response>"
        f'<Gather action="{keypress}" input="dtmf" method="POST" numDigits="1" timeout="6">'
        '<Say language="en-US">Hello Sam.</Say>'
        '<Say language="en-US">Your payment is due.</Say>'
        '<Say language="en-US">To speak with someone now, press 1. To promise a payment, '
        "press 2. To ask for a payment plan, press 3. To stop calls to this number, press 9."
        "</Say>"
        "</Gather>"
        '<Say language="en-US">Please call us back.</Say>'
        "<Hangup />"
        "</Response>"
    )
    assert voicemail_twiml("Please call us back.", "en") == (
        '<Response><Say language="en-US">Please call us back.</Say><Hangup /></Response>'
    )
    assert voicemail_twiml(None, "en") == "<Response><Hangup /></Response>"


def test_a_chinese_call_is_said_in_chinese_and_offers_no_agent_without_an_agent_number(
    twilio: TwilioEmulator, client: Client, redis_client: redis.Redis
) -> None:
    voice_channel(client, redis_client, agent=None).send(call("您好。", "请回电。", "zh-Hans"))

    parts = load_call_parts(redis_client, "A-1:late.1:0")
    assert parts is not None and parts.locale == "zh-Hans"
    twiml = call_twiml(parts, keypress_url=f"{PUBLIC}/k", agent=False)
    assert '<Say language="zh-CN">您好。</Say>' in twiml
    assert (
        '<Say language="zh-CN">如需承诺还款，请按2。如需申请分期还款方案，请按3。'
        "如不想再接到打给此号码的电话，请按9。</Say>" in twiml
    )
    assert "按1" not in twiml
    assert '<Say language="zh-CN">请回电。</Say>' in twiml


# the voicemail is said after the menu too, so the person's document holds both parts
@pytest.mark.parametrize(
    ("script", "voicemail"), [("word " * 800, "Please call us back."), ("Hello.", "x" * 3700)]
)
def test_a_call_whose_twiml_is_over_4000_characters_is_refused_without_a_request(
    twilio: TwilioEmulator,
    client: Client,
    redis_client: redis.Redis,
    script: str,
    voicemail: str,
) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        voice_channel(client, redis_client).send(call(script, voicemail))

    assert refused.value.code == "twiml_too_long"
    assert str(refused.value).startswith("call TwiML of ")
    assert twilio.requests == []
    assert load_call_parts(redis_client, "A-1:late.1:0") is None


def test_a_refused_call_keeps_no_script_but_one_whose_answer_was_lost_keeps_it(
    twilio: TwilioEmulator, redis_client: redis.Redis
) -> None:
    # refused: never placed, so nothing will fetch its TwiML
    twilio.script(error(21211))
    with pytest.raises(PermanentDeliveryError):
        voice_channel(twilio_client(SID, TOKEN, twilio.base_url, 5), redis_client).send(call())
    assert load_call_parts(redis_client, "A-1:late.1:0") is None

    # the answer lost: the call may ring, and Twilio would fetch its TwiML
    twilio.script(hang(2))
    quick = twilio_client(SID, TOKEN, twilio.base_url, timeout=0.3)
    with pytest.raises(AmbiguousDeliveryError):
        voice_channel(quick, redis_client).send(call())
    assert load_call_parts(redis_client, "A-1:late.1:0") is not None
