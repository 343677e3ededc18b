"""The SMS and voice channels send exactly what Twilio expects, through the official client,
to the Twilio emulator remind ships (``worker.testing.twilio_emulator``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from worker.channels.sms import Sender, TwilioSms
from worker.channels.twilio_api import twilio_client
from worker.channels.voice import TwilioVoice
from worker.errors import PermanentDeliveryError
from worker.testing.twilio_emulator import TwilioEmulator

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


def test_a_call_carries_the_script_the_menu_and_the_voicemail_with_async_machine_detection(
    twilio: TwilioEmulator, client: Client
) -> None:
    channel = TwilioVoice(client, FROM, public_base_url=PUBLIC, agent_number=AGENT)

    receipt = channel.send(call())

    [request] = twilio.requests
    dispatch = "dispatch=A-1%3Alate.1%3A0"
    assert request.kind == "Calls"
    assert request.fields == {
        "To": "+12125550123",
        "From": FROM,
        "Twiml": (
            "<Response>"
            f'<Gather action="{PUBLIC}/twilio/voice/keypress?{dispatch}" input="dtmf" '
            'method="POST" numDigits="1" timeout="6">'
            '<Say language="en-US">Hello Sam.</Say>'
            '<Say language="en-US">Your payment is due.</Say>'
            '<Say language="en-US">To speak with someone now, press 1. To promise a payment, '
            "press 2. To stop calls to this number, press 9.</Say>"
            "</Gather>"
            '<Say language="en-US">Please call us back.</Say>'
            "<Hangup />"
            "</Response>"
        ),
        "MachineDetection": "DetectMessageEnd",
        "AsyncAmd": "true",
        "AsyncAmdStatusCallback": f"{PUBLIC}/twilio/voice/amd?{dispatch}",
        "StatusCallback": f"{PUBLIC}/twilio/status/voice?{dispatch}",
    }
    assert receipt.provider_id.startswith("CA")


def test_without_a_public_url_a_call_has_no_menu_and_no_callbacks(
    twilio: TwilioEmulator, client: Client
) -> None:
    TwilioVoice(client, FROM, public_base_url=None, agent_number=None).send(call(voicemail=None))

    fields = twilio.requests[0].fields
    assert fields["Twiml"] == (
        '<Response><Say language="en-US">Hello Sam.</Say>'
        '<Say language="en-US">Your payment is due.</Say><Hangup /></Response>'
    )
    assert set(fields) == {"To", "From", "Twiml", "MachineDetection", "AsyncAmd"}


def test_a_chinese_call_is_said_in_chinese_and_offers_no_agent_without_an_agent_number(
    twilio: TwilioEmulator, client: Client
) -> None:
    channel = TwilioVoice(client, FROM, public_base_url=PUBLIC, agent_number=None)

    channel.send(call("您好。", "请回电。", locale="zh-Hans"))

    twiml = twilio.requests[0].fields["Twiml"]
    assert '<Say language="zh-CN">您好。</Say>' in twiml
    assert (
        '<Say language="zh-CN">如需承诺还款，请按2。如不想再接到打给此号码的电话，请按9。</Say>'
        in twiml
    )
    assert "按1" not in twiml
    assert '<Say language="zh-CN">请回电。</Say>' in twiml


def test_a_call_whose_twiml_is_over_4000_characters_is_refused_without_a_request(
    twilio: TwilioEmulator, client: Client
) -> None:
    channel = TwilioVoice(client, FROM, public_base_url=None, agent_number=None)

    with pytest.raises(PermanentDeliveryError) as refused:
        channel.send(call("word " * 800))

    assert refused.value.code == "twiml_too_long"
    assert twilio.requests == []
