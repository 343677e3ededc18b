"""Provider answers become remind's delivery error kinds at the channel boundary
(docs/integration.md, Provider errors): a table per provider, and the real client's failures."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest

from worker.channels.email import refusal
from worker.channels.sms import Sender, TwilioSms
from worker.channels.twilio_api import twilio_client
from worker.channels.twilio_errors import classify
from worker.channels.visit import http_refusal
from worker.errors import DeliveryError, RecipientOptedOut
from worker.testing.twilio_emulator import (
    Reply,
    TwilioEmulator,
    drop,
    error,
    hang,
    server_error,
    throttled,
)

from .twilio_helpers import FROM, SID, TOKEN, sms


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21211, "permanent"),
        (400, 21614, "permanent"),
        (400, 21635, "permanent"),
        (400, 21610, "permanent"),
        (400, 21612, "permanent"),
        (400, 30005, "permanent"),
        (400, 30006, "permanent"),
        (400, 30004, "permanent"),
        (400, 13224, "permanent"),
        (400, 21214, "permanent"),
        (401, 20003, "configuration"),
        (400, 21408, "configuration"),
        (400, 21606, "configuration"),
        (400, 21608, "configuration"),
        (400, 30032, "configuration"),
        (400, 30034, "configuration"),
        (403, None, "configuration"),
        (429, 20429, "transient"),
        (429, None, "transient"),
        (400, 30003, "transient"),
        (500, None, "ambiguous"),
        (503, None, "ambiguous"),
        (500, 20500, "ambiguous"),
        (400, 21999, "permanent"),  # an unknown refusal is not retried
        (404, None, "permanent"),
    ],
)
def test_each_twilio_answer_has_its_kind(status: int, code: int | None, kind: str) -> None:
    e = classify(status, code)

    assert e.kind == kind
    assert e.code == (str(code) if code else f"http_{status}")
    assert e.permanent == (kind in ("permanent", "ambiguous"))


def test_a_stop_reply_is_an_opt_out_and_twilio_s_message_reaches_the_error_masked() -> None:
    e = classify(400, 21610, "Attempt to send to unsubscribed recipient +12125550123")

    assert isinstance(e, RecipientOptedOut)
    assert "+12125550123" not in str(e)
    assert str(e) == (
        "Twilio error 21610 (HTTP 400): Attempt to send to unsubscribed recipient +*********23"
    )


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emulator:
        yield emulator


def _fail(base_url: str, timeout: float = 5) -> DeliveryError:
    channel = TwilioSms(
        twilio_client(SID, TOKEN, base_url, timeout), Sender(FROM), public_base_url=None
    )
    with pytest.raises(DeliveryError) as failed:
        channel.send(sms())
    return failed.value


@pytest.mark.parametrize(
    ("reply", "kind", "code", "retry_after"),
    [
        (error(21211), "permanent", "21211", None),
        (error(20003, 401), "configuration", "20003", None),
        (throttled(retry_after=7), "transient", "20429", 7.0),
        (server_error(502), "ambiguous", "http_502", None),
        (drop(), "ambiguous", "connection_lost", None),
        (Reply(503, {"code": "not a number"}), "ambiguous", "http_503", None),
    ],
)
def test_the_real_client_s_failures_are_classified_in_the_transport(
    twilio: TwilioEmulator, reply: Reply, kind: str, code: str, retry_after: float | None
) -> None:
    twilio.script(reply)

    e = _fail(twilio.base_url)

    assert (e.kind, e.code, getattr(e, "retry_after", None)) == (kind, code, retry_after)
    assert len(twilio.requests) == 1  # the client itself never retries


def test_a_read_timeout_is_ambiguous_because_the_message_may_have_been_created(
    twilio: TwilioEmulator,
) -> None:
    twilio.script(hang(5))

    e = _fail(twilio.base_url, timeout=0.2)

    assert (e.kind, e.code) == ("ambiguous", "read_timeout")
    assert len(twilio.requests) == 1


def test_a_refused_connection_is_retried_later_because_nothing_was_sent() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    e = _fail(f"http://127.0.0.1:{port}")

    assert (e.kind, e.code) == ("transient", "connection_refused")


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (
            smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"no such user")}),
            "permanent",
            "smtp_550",
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@x.example": (451, b"greylisted")}),
            "transient",
            "smtp_451",
        ),
        (smtplib.SMTPDataError(554, b"spam"), "permanent", "smtp_554"),
        (smtplib.SMTPDataError(452, b"mailbox full"), "transient", "smtp_452"),
        (
            smtplib.SMTPSenderRefused(553, b"not ours", "b@acme.example"),
            "configuration",
            "smtp_553",
        ),
        (smtplib.SMTPServerDisconnected("gone"), "ambiguous", "smtp_lost"),
    ],
)
def test_each_smtp_refusal_has_its_kind(error: smtplib.SMTPException, kind: str, code: str) -> None:
    e = refusal(error)

    assert (e.kind, e.code) == (kind, code)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "permanent"), (401, "configuration"), (403, "configuration"), (429, "transient"),
     (500, "ambiguous"), (504, "ambiguous")],
)  # fmt: skip
def test_each_visit_webhook_refusal_has_its_kind(status: int, kind: str) -> None:
    e = http_refusal(status)

    assert (e.kind, e.code) == (kind, f"http_{status}")
