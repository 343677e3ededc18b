"""Inbound SMS over the signed Twilio webhook: STOP stops the next text and is confirmed once,
START lifts it, HELP answers with contact details, other texts are kept for a person to read."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from tests.pipeline_helpers import account, outbox, run_until
from tests.web_helpers import AUTH, web_client
from worker.app import App
from worker.clock import SimulatedClock
from worker.storage import keys
from worker.storage.results import audit_export
from worker.web.server import create_app

TOKEN = "twilio-auth-token-for-tests"
BASE = "https://remind.example.com"
PATH = "/twilio/sms/inbound"
NUMBER = "+12125550123"  # A-1's mobile
STRANGER = "+12125550999"  # no account lists it
OURS = "+18005550100"
XML = '<?xml version="1.0" encoding="UTF-8"?>'
NOTHING = f"{XML}<Response />"
STOPPED = (
    f"{XML}<Response><Message>You are unsubscribed and will get no more text messages from us. "
    "Reply START to resubscribe.</Message></Response>"
)
STARTED = (
    f"{XML}<Response><Message>You are subscribed to text messages again. Reply STOP to "
    "unsubscribe.</Message></Response>"
)
HELPED = (
    f"{XML}<Response><Message>Northwind Lending: for help call +1 800 555 0100. Reply STOP to "
    "unsubscribe.</Message></Response>"
)
TUESDAY = datetime(2026, 3, 3, 23, tzinfo=UTC)


@pytest.fixture
def web(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> tuple[TestClient, App]:
    _, app = web_client(redis_url, tmp_path, clock)
    app.settings = replace(app.settings, twilio_auth_token=TOKEN, public_base_url=BASE)
    client = TestClient(create_app(app, app.settings))
    assert client.post("/v1/accounts", json=account(), headers=AUTH).status_code == 202
    return client, app


def text(
    client: TestClient, body: str, sid: str = "SM1", sender: str = NUMBER, token: str = TOKEN
) -> tuple[int, str]:
    """POST an inbound text as Twilio signs it; (status, body of the answer)."""
    form = {"MessageSid": sid, "From": sender, "To": OURS, "Body": body, "NumMedia": "0"}
    signature = RequestValidator(token).compute_signature(BASE + PATH, form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    r = client.post(PATH, content=urlencode(form), headers=headers)
    return r.status_code, r.text


def recorded(app: App) -> list[tuple[Any, ...]]:
    """(account, step, outcome, reason) of each outcome recorded."""
    return [(o["account_id"], o["step"], o["outcome"], o["reason"]) for o in app.recorded]  # type: ignore[attr-defined]


def opt_outs(app: App) -> set[str]:
    return app.store.opted_out(app.store.require("A-1").person_id)


def test_a_stop_reply_stops_the_next_sms_and_is_confirmed(web: tuple[TestClient, App]) -> None:
    client, app = web
    assert text(client, "STOP") == (200, STOPPED)
    run_until(app, app.clock, TUESDAY)  # type: ignore[arg-type]
    assert recorded(app) == [
        ("A-1", None, "opted_out", "reply_stop"),
        ("A-1", "early.1", "suppressed", "opted_out"),
        ("A-1", "early.2", "suppressed", "opted_out"),
    ]
    outcomes: Any = app.recorded  # type: ignore[attr-defined]
    assert outcomes[0]["rule"] == "us-federal/T4@2026-11-29"
    assert outcomes[1]["rule"] == "consent/opted_out@1"
    assert outbox(app, "sms") == []
    assert opt_outs(app) == {f"sms:{NUMBER}", f"voice:{NUMBER}"}
    assert app.client.hkeys(keys.SMS_OPTED_OUT_NUMBERS) == [NUMBER]


def test_a_repeated_stop_is_not_answered_again(web: tuple[TestClient, App]) -> None:
    client, app = web
    assert text(client, "STOP", sid="SM1") == (200, STOPPED)
    assert text(client, "stop", sid="SM2") == (200, NOTHING)
    assert text(client, "Unsubscribe", sid="SM3") == (200, NOTHING)
    assert opt_outs(app) == {f"sms:{NUMBER}", f"voice:{NUMBER}"}


def test_the_same_message_delivered_twice_is_handled_once(web: tuple[TestClient, App]) -> None:
    client, app = web
    assert text(client, "I paid yesterday", sid="SM7") == (200, NOTHING)
    assert text(client, "I paid yesterday", sid="SM7") == (200, NOTHING)
    assert recorded(app) == [("A-1", None, "inbound", "reply_text")]


def test_start_after_stop_opts_back_in_for_texts_and_is_confirmed(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    assert text(client, "STOP", sid="SM1") == (200, STOPPED)
    assert text(client, "START", sid="SM2") == (200, STARTED)
    # texts only: the calls the STOP also stopped wait for a person (or an opt_in event)
    assert opt_outs(app) == {f"voice:{NUMBER}"}
    assert app.client.hkeys(keys.SMS_OPTED_OUT_NUMBERS) == []
    run_until(app, app.clock, datetime(2026, 3, 2, 23, tzinfo=UTC))  # type: ignore[arg-type]
    assert recorded(app) == [
        ("A-1", None, "opted_out", "reply_stop"),
        ("A-1", None, "opted_in", "reply_start"),
        ("A-1", "early.1", "sent", None),
    ]
    assert [m["to"] for m in outbox(app, "sms")] == [NUMBER]
    # a STOP after the START is confirmed again: the number was opted in in between
    assert text(client, "STOP", sid="SM3") == (200, STOPPED)


def test_help_answers_with_the_schedules_caller(web: tuple[TestClient, App]) -> None:
    client, app = web
    assert text(client, "HELP") == (200, HELPED)
    assert recorded(app) == [("A-1", None, "inbound", "reply_help")]
    assert opt_outs(app) == set()


def test_an_accounts_vars_name_the_business_in_the_help_answer(
    web: tuple[TestClient, App],
) -> None:
    client, _ = web
    named = account(
        vars={"business_name": "Harbour Services", "callback_number": "+1 800 555 0199"}
    )
    assert client.post("/v1/accounts", json=named, headers=AUTH).status_code == 202
    assert text(client, "info") == (
        200,
        f"{XML}<Response><Message>Harbour Services: for help call +1 800 555 0199. Reply STOP "
        "to unsubscribe.</Message></Response>",
    )


def test_another_text_is_recorded_for_a_person_to_read_with_its_words(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    assert text(client, "I will pay on Friday, call 212 555 0188", sid="SM9") == (200, NOTHING)
    outcome = app.recorded[-1]  # type: ignore[attr-defined]
    assert (outcome["outcome"], outcome["reason"], outcome["channel"]) == (
        "inbound", "reply_text", "sms"
    )  # fmt: skip
    assert (outcome["provider"], outcome["provider_id"], outcome["rule"]) == (
        "twilio", "SM9", "reply/inbound@1"
    )  # fmt: skip
    audit = list(audit_export(app.client, since=datetime(2026, 1, 1, tzinfo=UTC),
                              until=datetime(2027, 1, 1, tzinfo=UTC)))  # fmt: skip
    assert audit[-1]["checks"] == [
        {
            "rule": "reply/inbound@1",
            "kind": "reply",
            "verdict": "n/a",
            "reason": "reply_text",
            "at": "2026-03-02T12:00:00Z",
            "detail": 'sms from +1********23: "I will pay on Friday, call *** *** **88"',
        }
    ]
    assert opt_outs(app) == set()


def test_a_text_asking_in_words_to_stop_opts_out_without_an_answer(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    assert text(client, "please stop texting me") == (200, NOTHING)
    assert recorded(app) == [
        ("A-1", None, "inbound", "reply_text"),
        ("A-1", None, "opted_out", "reply_stop"),
    ]
    assert opt_outs(app) == {"sms", f"sms:{NUMBER}", f"voice:{NUMBER}"}


def test_a_forged_or_missing_signature_gets_403_and_changes_nothing(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    assert text(client, "STOP", token="not-the-token") == (
        403,
        json.dumps({"detail": "a valid X-Twilio-Signature is required"}, separators=(",", ":")),
    )
    form = urlencode({"MessageSid": "SM1", "From": NUMBER, "To": OURS, "Body": "STOP"})
    unsigned = client.post(
        PATH, content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status_code == 403
    assert recorded(app) == []
    assert opt_outs(app) == set()
    assert app.client.exists(keys.SMS_OPTED_OUT_NUMBERS, keys.inbound_message("SM1")) == 0


def test_a_stop_from_an_unknown_number_is_honoured_when_it_is_enrolled_later(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    assert text(client, "STOP", sender=STRANGER) == (200, STOPPED)
    outcome = app.recorded[-1]  # type: ignore[attr-defined]
    assert (outcome["account_id"], outcome["person_id"], outcome["outcome"], outcome["reason"],
            outcome["provider_id"]) == ("?", None, "opted_out", "reply_stop", "SM1")  # fmt: skip
    phones = [{"number": STRANGER, "kind": "mobile", "sms_consent": True}]
    later = account(account_id="B-2", phones=phones)
    assert client.post("/v1/accounts", json=later, headers=AUTH).status_code == 202
    assert app.store.opted_out("B-2") == {f"sms:{STRANGER}"}
    run_until(app, app.clock, datetime(2026, 3, 2, 23, tzinfo=UTC))  # type: ignore[arg-type]
    assert ("B-2", "early.1", "suppressed", "opted_out") in recorded(app)
    assert [m["to"] for m in outbox(app, "sms")] == [NUMBER]  # A-1 only


def test_other_texts_and_help_from_an_unknown_number_have_no_account(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    assert text(client, "who is this?", sid="SM1", sender=STRANGER) == (200, NOTHING)
    assert text(client, "HELP", sid="SM2", sender=STRANGER) == (
        200,
        f"{XML}<Response><Message>Reply STOP to unsubscribe or START to resubscribe."
        "</Message></Response>",
    )
    assert recorded(app) == [
        ("?", None, "inbound", "reply_text"),
        ("?", None, "inbound", "reply_help"),
    ]
    client2 = TestClient(create_app(app, replace(app.settings, help_text="Acme: 800 555 0111")))
    assert text(client2, "HELP", sid="SM3", sender=STRANGER) == (
        200,
        f"{XML}<Response><Message>Acme: 800 555 0111</Message></Response>",
    )


def test_a_changed_or_closed_account_no_longer_finds_its_old_number(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    new = [{"number": "+12125550177", "kind": "mobile", "sms_consent": True}]
    event = {"type": "contact_update", "phones": new}
    assert client.post("/v1/accounts/A-1/events", json=event, headers=AUTH).status_code == 202
    assert text(client, "hello", sid="SM1") == (200, NOTHING)
    assert text(client, "hello", sid="SM2", sender="+12125550177") == (200, NOTHING)
    close = {"type": "close", "reason": "settled"}
    assert client.post("/v1/accounts/A-1/events", json=close, headers=AUTH).status_code == 202
    assert text(client, "hello", sid="SM3", sender="+12125550177") == (200, NOTHING)
    assert [r[:3] for r in recorded(app) if r[2] == "inbound"] == [
        ("?", None, "inbound"),
        ("A-1", None, "inbound"),
        ("?", None, "inbound"),
    ]
    assert app.client.exists(keys.phone_accounts(NUMBER), keys.phone_accounts("+12125550177")) == 0
