"""The email channel as a real SMTP server receives it (aiosmtpd, ``worker.testing.smtp_sink``),
the signed tokens the web service will read back, and the field-visit tasks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker

from worker.channels.base import OutgoingMessage, Receipt
from worker.channels.email import SmtpEmail, SmtpServer
from worker.channels.signing import (
    UNSUBSCRIBE,
    address_digest,
    body_signature,
    make_token,
    read_token,
)
from worker.channels.visit import QueuedVisit, WebhookVisit, dramatiq_enqueue
from worker.clock import SimulatedClock
from worker.errors import PermanentDeliveryError, ProviderConfigurationError
from worker.testing.smtp_sink import SmtpSink

KEY = "secret-key-e4b1"


def email(to: str = "sam@example.com") -> OutgoingMessage:
    return OutgoingMessage(
        dispatch_id="A-1:early.4:0",
        channel="email",
        to=to,
        template="friendly_nudge",
        locale="en",
        text="Hi Sam,\nyour payment is due.",
        subject="A friendly reminder",
        html="<p>Hi Sam,<br>your payment is due.</p>",
        account_id="A-1",
    )


def channel(sink: SmtpSink, clock: SimulatedClock, url: str | None = None) -> SmtpEmail:
    return SmtpEmail(
        SmtpServer.from_url(url or sink.url),
        "Northwind Lending <billing@northwind.example>",
        clock,
        public_base_url="https://remind.example.com/",
        secret_key=KEY,
        timeout=5,
    )


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink(login=("mailer", "smtp-pass")) as server:
        yield server


def test_the_server_receives_text_and_html_with_one_click_unsubscribe_headers(
    sink: SmtpSink, clock: SimulatedClock
) -> None:
    receipt = channel(sink, clock).send(email())

    [got] = sink.messages
    m = got.message
    assert (got.mail_from, got.rcpt_tos, got.login) == (
        "billing@northwind.example",
        ["sam@example.com"],
        "mailer",
    )
    assert m["From"] == "Northwind Lending <billing@northwind.example>"
    assert (m["To"], m["Subject"]) == ("sam@example.com", "A friendly reminder")
    assert m["Date"] == "Mon, 02 Mar 2026 12:00:00 +0000"
    assert m["Message-ID"] == receipt.provider_id
    assert receipt.provider_id.endswith("@northwind.example>")
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = m["List-Unsubscribe"]
    prefix = "<https://remind.example.com/unsubscribe/"
    assert link.startswith(prefix) and link.endswith(">")
    assert b"\r\nList-Unsubscribe: " + link.encode() + b"\r\n" in got.raw  # one unfolded line
    token = link[len(prefix) : -1]
    assert read_token(KEY, UNSUBSCRIBE, token) == {
        "a": "A-1",
        "c": "email",
        "h": address_digest("Sam@Example.com"),
    }
    assert b"sam@example.com" not in token.encode()
    assert m.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in m.iter_parts())
    assert (text, html) == (
        "Hi Sam,\nyour payment is due.\n",
        "<p>Hi Sam,<br>your payment is due.</p>\n",
    )


def test_a_refused_mailbox_is_a_permanent_failure(clock: SimulatedClock) -> None:
    with SmtpSink(refuse={"gone@example.com": "550 5.1.1 No such user"}) as server:
        with pytest.raises(PermanentDeliveryError) as refused:
            channel(server, clock).send(email("gone@example.com"))
        assert (refused.value.code, server.messages) == ("smtp_550", [])


def test_a_wrong_password_is_a_configuration_error(sink: SmtpSink, clock: SimulatedClock) -> None:
    url = sink.url.replace("smtp-pass", "wrong")

    with pytest.raises(ProviderConfigurationError) as refused:
        channel(sink, clock, url).send(email())

    assert refused.value.code == "smtp_535"


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://mail.example.com", SmtpServer("mail.example.com", 25, "plain")),
        (
            "smtp://u%40x:p%2Fw@mail.example.com:587?starttls=true",
            SmtpServer("mail.example.com", 587, "starttls", "u@x", "p/w"),
        ),
        ("smtps://u:p@mail.example.com", SmtpServer("mail.example.com", 465, "tls", "u", "p")),
    ],
)
def test_smtp_url_says_host_port_security_and_login(url: str, server: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == server
    assert "p/w" not in repr(SmtpServer.from_url(url))


def test_a_token_is_refused_when_tampered_with_signed_with_another_key_or_for_another_use() -> None:
    token = make_token(KEY, UNSUBSCRIBE, {"a": "A-1"})
    body, _, signature = token.partition(".")
    forged = make_token(KEY, UNSUBSCRIBE, {"a": "A-2"}).partition(".")[0] + "." + signature

    assert read_token(KEY, UNSUBSCRIBE, token) == {"a": "A-1"}
    assert read_token(KEY, UNSUBSCRIBE, forged) is None
    assert read_token("another key", UNSUBSCRIBE, token) is None
    assert read_token(KEY, "visit", token) is None
    assert read_token(KEY, UNSUBSCRIBE, body) is None
    assert read_token(KEY, UNSUBSCRIBE, "!!.!!") is None


def visit() -> OutgoingMessage:
    return OutgoingMessage(
        dispatch_id="A-1:late.2:0",
        channel="visit",
        to="1 Main St, Springfield, IL, 62701, US",
        template="cn_field_visit",
        locale="en",
        text="FIELD VISIT BRIEF\nCustomer: Sam Lee",
        account_id="A-1",
    )


TASK = {
    "dispatch_id": "A-1:late.2:0",
    "account_id": "A-1",
    "address": "1 Main St, Springfield, IL, 62701, US",
    "template": "cn_field_visit",
    "locale": "en",
    "brief": "FIELD VISIT BRIEF\nCustomer: Sam Lee",
    "created_at": "2026-03-02T12:00:00Z",
}


def test_a_visit_without_a_webhook_goes_to_the_field_visits_queue(clock: SimulatedClock) -> None:
    broker = StubBroker()
    broker.emit_after("process_boot")

    receipt = QueuedVisit(dramatiq_enqueue(broker), clock).send(visit())

    [message] = broker.queues["field_visits"].queue
    decoded = json.loads(message)
    assert (decoded["actor_name"], decoded["args"]) == ("field_visit", [TASK])
    assert receipt == Receipt("queue", decoded["message_id"])
    broker.close()


def test_a_visit_webhook_gets_the_task_signed_with_the_secret_key(clock: SimulatedClock) -> None:
    got: list[tuple[dict[str, str], bytes]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(
                (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
            )
            answer = b'{"id": "task-7"}'
            self.send_response(201)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tasks"

    receipt = WebhookVisit(url, KEY, clock, timeout=5).send(visit())
    server.server_close()

    [(headers, body)] = got
    assert json.loads(body) == TASK
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Remind-Timestamp"] == "1772452800"
    assert headers["X-Remind-Signature"] == body_signature(KEY, "1772452800", body)
    assert receipt == Receipt("webhook", "task-7")
