"""The Twilio emulator's callbacks: what Twilio posts after a create, exactly, and signed.

A small recording server in the test stands where remind's web service would be and answers the
call's URL and keypresses with TwiML; every request is checked with twilio's own
``RequestValidator``, as the web service checks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from worker.channels.twilio_api import twilio_client
from worker.testing.twilio_callbacks import Callback
from worker.testing.twilio_emulator import (
    TwilioEmulator,
    answered,
    busy,
    delivered,
    error,
    no_answer,
    undelivered,
)

from .twilio_helpers import FROM, SID, TOKEN

TO = "+12125550123"
GATHER = (
    '<Response><Gather action="{action}" numDigits="1"><Say>Press 2 to promise.</Say></Gather>'
    "<Hangup/></Response>"
)


class Receiver:
    """Records every POST (path with query, signature, form); answers TwiML by path."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str, dict[str, str]]] = []
        self.twiml: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = dict(parse_qsl(raw, keep_blank_values=True))
                receiver.got.append((self.path, self.headers["X-Twilio-Signature"], form))
                body = receiver.twiml.get(self.path.partition("?")[0], "{}").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(auth=(SID, TOKEN)) as emulator:
        yield emulator


@pytest.fixture
def client(twilio: TwilioEmulator) -> Client:
    return twilio_client(SID, TOKEN, twilio.base_url, timeout=5)


def signed_right(made: list[Callback]) -> bool:
    """Every callback's signature is valid for its URL and form under the auth token."""
    validator = RequestValidator(TOKEN)
    return all(c.signature and validator.validate(c.url, c.form, c.signature) for c in made)


def message(client: Client, receiver: Receiver) -> str:
    created = client.api.v2010.account.messages.create(
        to=TO, from_=FROM, body="Hi", status_callback=f"{receiver.base}/sms?dispatch=A-1%3As%3A0"
    )
    return str(created.sid)


def test_a_message_is_queued_sent_and_delivered_each_posted_signed(
    twilio: TwilioEmulator, client: Client, receiver: Receiver
) -> None:
    twilio.script(delivered())
    sid = message(client, receiver)

    made = twilio.wait_callbacks(3, timeout=10)

    base = {"MessageSid": sid, "SmsSid": sid, "AccountSid": SID, "To": TO, "From": FROM,
            "ApiVersion": "2010-04-01"}  # fmt: skip
    assert [c.form for c in made] == [
        {**base, "MessageStatus": s, "SmsStatus": s} for s in ("queued", "sent", "delivered")
    ]
    assert [(c.kind, c.url, c.status) for c in made] == [
        ("sms-status", f"{receiver.base}/sms?dispatch=A-1%3As%3A0", 200)
    ] * 3
    assert signed_right(made)
    # what the receiver got is what the log says was sent, signature included
    assert [(p, s, f) for p, s, f in receiver.got] == [
        ("/sms?dispatch=A-1%3As%3A0", c.signature, c.form) for c in made
    ]


def test_an_undelivered_message_carries_its_error_code_and_a_forged_token_fails_validation(
    twilio: TwilioEmulator, client: Client, receiver: Receiver
) -> None:
    twilio.script(undelivered(30005))
    message(client, receiver)

    made = twilio.wait_callbacks(3, timeout=10)

    assert [(c.form["MessageStatus"], c.form.get("ErrorCode")) for c in made] == [
        ("queued", None),
        ("sent", None),
        ("undelivered", "30005"),
    ]
    last = made[-1]
    assert last.signature is not None
    assert not RequestValidator("another-token").validate(last.url, last.form, last.signature)


def test_a_refused_create_and_a_message_without_status_callback_make_no_callback(
    twilio: TwilioEmulator, client: Client, receiver: Receiver
) -> None:
    twilio.script(error(21211), delivered(), delivered())
    with pytest.raises(Exception, match="21211"):
        message(client, receiver)
    client.api.v2010.account.messages.create(to=TO, from_=FROM, body="no callback")
    message(client, receiver)

    made = twilio.wait_callbacks(3, timeout=10)

    assert len(twilio.requests) == 3
    assert [c.form["MessageSid"] for c in made] == ["SM" + "0" * 31 + "3"] * 3


def test_a_call_with_a_url_is_fetched_answered_by_a_person_who_presses_keys_then_completed(
    twilio: TwilioEmulator, client: Client, receiver: Receiver
) -> None:
    receiver.twiml["/twiml"] = GATHER.format(action=f"{receiver.base}/keys?dispatch=D1&amp;n=1")
    receiver.twiml["/keys"] = GATHER.format(action="/keys2?dispatch=D1")  # relative: resolved
    receiver.twiml["/keys2"] = "<Response><Say>Thank you.</Say></Response>"
    twilio.script(answered("human", digits=("2", "1"), duration=61))
    created = client.api.v2010.account.calls.create(
        to=TO,
        from_=FROM,
        url=f"{receiver.base}/twiml?dispatch=D1",
        machine_detection="DetectMessageEnd",
        status_callback=f"{receiver.base}/status?dispatch=D1",
    )

    made = twilio.wait_callbacks(4, timeout=10)

    live = {"CallSid": created.sid, "AccountSid": SID, "From": FROM, "To": TO,
            "Direction": "outbound-api", "ApiVersion": "2010-04-01"}  # fmt: skip
    assert [(c.kind, c.url.removeprefix(receiver.base), c.form) for c in made] == [
        ("call-url", "/twiml?dispatch=D1",
         {**live, "CallStatus": "in-progress", "AnsweredBy": "human"}),
        ("gather", "/keys?dispatch=D1&n=1", {**live, "CallStatus": "in-progress", "Digits": "2"}),
        ("gather", "/keys2?dispatch=D1", {**live, "CallStatus": "in-progress", "Digits": "1"}),
        ("call-status", "/status?dispatch=D1",
         {**live, "CallStatus": "completed", "CallDuration": "61", "AnsweredBy": "human"}),
    ]  # fmt: skip
    assert signed_right(made)
    assert [c.status for c in made] == [200] * 4
    assert "<Say>Thank you.</Say>" in made[2].body


def test_a_machine_presses_nothing_and_busy_or_unanswered_calls_get_only_their_status(
    twilio: TwilioEmulator, client: Client, receiver: Receiver
) -> None:
    receiver.twiml["/twiml"] = GATHER.format(action=f"{receiver.base}/keys")
    twilio.script(answered("machine_end_beep", digits=("1",)), busy(), no_answer())
    calls = client.api.v2010.account.calls
    for _ in range(3):
        calls.create(
            to=TO,
            from_=FROM,
            url=f"{receiver.base}/twiml",
            machine_detection="DetectMessageEnd",
            status_callback=f"{receiver.base}/status",
        )

    made = twilio.wait_callbacks(4, timeout=10)

    assert [(c.kind, c.form["CallStatus"], c.form.get("AnsweredBy"),
             c.form.get("CallDuration")) for c in made] == [
        ("call-url", "in-progress", "machine_end_beep", None),
        ("call-status", "completed", "machine_end_beep", "42"),
        ("call-status", "busy", None, "0"),
        ("call-status", "no-answer", None, "0"),
    ]  # fmt: skip
    assert signed_right(made)


def test_an_inline_twiml_call_gathers_and_reports_its_async_verdict(
    twilio: TwilioEmulator, client: Client, receiver: Receiver
) -> None:
    twilio.script(answered("human", digits=("9",)))
    client.api.v2010.account.calls.create(
        to=TO,
        from_=FROM,
        twiml=GATHER.format(action=f"{receiver.base}/keys"),
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=f"{receiver.base}/amd",
        status_callback=f"{receiver.base}/status",
    )

    made = twilio.wait_callbacks(3, timeout=10)

    assert [(c.kind, c.form.get("Digits"), c.form.get("AnsweredBy")) for c in made] == [
        ("gather", "9", None),
        ("amd", None, "human"),
        ("call-status", None, "human"),
    ]
    assert made[1].form["MachineDetectionDuration"] == "2500"
    assert signed_right(made)


def test_waiting_for_callbacks_that_never_come_times_out(
    twilio: TwilioEmulator, client: Client
) -> None:
    client.api.v2010.account.messages.create(to=TO, from_=FROM, body="no callback asked")
    with pytest.raises(TimeoutError, match="0 of 1 callbacks"):
        twilio.wait_callbacks(1, timeout=0.2)


def test_observers_hear_of_each_request_and_each_answered_callback(receiver: Receiver) -> None:
    heard: list[object] = []
    with TwilioEmulator(
        auth=(SID, TOKEN), on_request=heard.append, on_callback=heard.append
    ) as twilio:
        message(twilio_client(SID, TOKEN, twilio.base_url, timeout=5), receiver)
        made = twilio.wait_callbacks(3, timeout=10)

    assert heard == [twilio.requests[0], *made]
