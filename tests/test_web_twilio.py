"""Twilio callbacks: signed, deduplicated, forward only, recorded as outcomes and call results."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import redis
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from tests.pipeline_helpers import account, run_until
from tests.web_helpers import AUTH, web_client
from worker.app import App
from worker.clock import SimulatedClock
from worker.web.server import create_app

TOKEN = "twilio-auth-token-for-tests"
BASE = "https://remind.example.com"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def web(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> tuple[TestClient, App]:
    _, app = web_client(redis_url, tmp_path, clock)
    app.settings = replace(app.settings, twilio_auth_token=TOKEN, public_base_url=BASE)
    client = TestClient(create_app(app, app.settings))
    assert client.post("/v1/accounts", json=account(), headers=AUTH).status_code == 202
    return client, app


def signed(
    client: TestClient, path: str, dispatch: str, form: dict[str, str], token: str = TOKEN
) -> tuple[int, dict[str, str]]:
    """POST ``form`` to ``path?dispatch=...`` signed as Twilio signs it."""
    target = f"{path}?dispatch={quote(dispatch, safe='')}"
    signature = RequestValidator(token).compute_signature(BASE + target, form)
    headers = {**FORM, "X-Twilio-Signature": signature}
    r = client.post(target, content=urlencode(form), headers=headers)
    return r.status_code, r.json()


def sms_form(status: str, sid: str = "SM1", **more: str) -> dict[str, str]:
    return {"MessageSid": sid, "MessageStatus": status, **more}


def test_an_sms_delivered_callback_records_delivered_once(web: tuple[TestClient, App]) -> None:
    client, app = web
    path = "/twilio/status/sms"
    assert signed(client, path, "A-1:early.1:0", sms_form("sent")) == (200, {"done": "noted"})
    assert signed(client, path, "A-1:early.1:0", sms_form("delivered")) == (
        200,
        {"done": "delivered"},
    )
    assert signed(client, path, "A-1:early.1:0", sms_form("delivered")) == (
        200,
        {"done": "duplicate"},
    )
    recorded = [
        (o["step"], o["channel"], o["outcome"], o["provider_id"])
        for o in app.recorded  # type: ignore[attr-defined]
    ]
    assert recorded == [("early.1", "sms", "delivered", "SM1")]


def test_a_status_arriving_after_a_further_one_is_ignored(web: tuple[TestClient, App]) -> None:
    client, app = web
    path = "/twilio/status/sms"
    form = sms_form("undelivered", ErrorCode="30003")
    assert signed(client, path, "A-1:early.1:0", form) == (200, {"done": "undelivered"})
    assert signed(client, path, "A-1:early.1:0", sms_form("sent")) == (200, {"done": "duplicate"})
    assert signed(client, path, "A-1:early.1:0", sms_form("delivered")) == (
        200,
        {"done": "duplicate"},
    )
    recorded = [(o["outcome"], o["reason"]) for o in app.recorded]  # type: ignore[attr-defined]
    assert recorded == [("undelivered", "30003")]


@pytest.mark.parametrize("path", ["/twilio/status/sms", "/twilio/status/voice"])
def test_a_forged_or_missing_signature_gets_403_and_records_nothing(
    web: tuple[TestClient, App], path: str
) -> None:
    client, app = web
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "CallSid": "CA1",
            "CallStatus": "busy", "AnsweredBy": "human"}  # fmt: skip
    assert signed(client, path, "A-1:late.1:0", form, token="not-the-token") == (
        403,
        {"detail": "a valid X-Twilio-Signature is required"},
    )
    unsigned = client.post(f"{path}?dispatch=A-1:late.1:0", content=urlencode(form), headers=FORM)
    assert unsigned.status_code == 403
    # a valid signature over other fields does not cover these
    target = f"{path}?dispatch={quote('A-1:late.1:0', safe='')}"
    other = RequestValidator(TOKEN).compute_signature(BASE + target, {**form, "CallSid": "CA2"})
    r = client.post(target, content=urlencode(form), headers={**FORM, "X-Twilio-Signature": other})
    assert r.status_code == 403
    assert app.recorded == []  # type: ignore[attr-defined]


def test_without_an_auth_token_no_callback_is_accepted(web: tuple[TestClient, App]) -> None:
    _, app = web
    client = TestClient(create_app(app, replace(app.settings, twilio_auth_token=None)))
    code, _ = signed(client, "/twilio/status/sms", "A-1:early.1:0", sms_form("delivered"))
    assert code == 403


def placed_call(web: tuple[TestClient, App], clock: SimulatedClock) -> str:
    """Run the cadence to its call (late.1, 2026-03-09); the call's dispatch id."""
    _, app = web
    run_until(app, clock, datetime(2026, 3, 9, 16, tzinfo=UTC))
    call = app.store.require("A-1").last_call
    assert call is not None and ":late.1:" in call
    return call


def test_a_status_carrying_a_person_s_answer_records_answered_once(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    # the TwiML request records it first on a live call (tests/test_web_voice.py); a status
    # callback that carries the verdict records it when that request did not
    client, app = web
    call = placed_call(web, clock)
    before = len(app.recorded)  # type: ignore[attr-defined]
    status = {"CallSid": "CA1", "CallStatus": "completed", "AnsweredBy": "human"}
    assert signed(client, "/twilio/status/voice", call, status) == (200, {"done": "answered"})
    assert signed(client, "/twilio/status/voice", call, status) == (200, {"done": "duplicate"})
    new = [(o["step"], o["channel"], o["outcome"]) for o in app.recorded[before:]]  # type: ignore[attr-defined]
    assert new == [("late.1", "voice", "answered")]
    assert "oral" in app.store.require("A-1").communicated


def test_a_completed_call_without_a_verdict_records_nothing(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    client, app = web
    call = placed_call(web, clock)
    before = len(app.recorded)  # type: ignore[attr-defined]
    for verdict in ({}, {"AnsweredBy": "unknown"}, {"AnsweredBy": "fax"}):
        status = {"CallSid": "CA1", "CallStatus": "completed", **verdict}
        assert signed(client, "/twilio/status/voice", call, status) == (200, {"done": "ignored"})
    assert app.recorded[before:] == []  # type: ignore[attr-defined]


def test_a_machine_records_voicemail(web: tuple[TestClient, App], clock: SimulatedClock) -> None:
    client, app = web
    call = placed_call(web, clock)
    before = len(app.recorded)  # type: ignore[attr-defined]
    status = {"CallSid": "CA1", "CallStatus": "completed", "AnsweredBy": "machine_end_beep"}
    assert signed(client, "/twilio/status/voice", call, status) == (200, {"done": "voicemail"})
    new = [o["outcome"] for o in app.recorded[before:]]  # type: ignore[attr-defined]
    assert new == ["voicemail"]


def test_a_call_nobody_answered_gives_the_result_unanswered_without_an_outcome(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    client, app = web
    call = placed_call(web, clock)
    before = len(app.recorded)  # type: ignore[attr-defined]
    status = {"CallSid": "CA1", "CallStatus": "no-answer"}
    assert signed(client, "/twilio/status/voice", call, status) == (200, {"done": "unanswered"})
    # one result per call: the first decides
    late = {"CallSid": "CA1", "CallStatus": "completed", "AnsweredBy": "human"}
    assert signed(client, "/twilio/status/voice", call, late) == (200, {"done": "duplicate"})
    assert app.recorded[before:] == []  # type: ignore[attr-defined]
    assert "oral" not in app.store.require("A-1").communicated


def test_callbacks_of_a_re_enrolled_accounts_new_cycle_find_their_steps(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    """Re-enrolled with a new due date, the account's cadence is its cycle 1: its dispatch ids
    carry ``~c1`` after the step key, and the callbacks still find the account and the step;
    the first cycle's call, answered late, is recorded too."""
    client, app = web
    first = placed_call(web, clock)
    assert first == "A-1:late.1:0"
    due = account(due_date="2026-04-19")
    assert client.post("/v1/accounts", json=due, headers=AUTH).status_code == 202
    run_until(app, clock, datetime(2026, 4, 27, 16, tzinfo=UTC))
    call = app.store.require("A-1").last_call
    assert call == "A-1:late.1~c1:0"
    before = len(app.recorded)  # type: ignore[attr-defined]
    sms = "/twilio/status/sms"
    assert signed(client, sms, "A-1:early.1~c1:0", sms_form("delivered", "SM9")) == (
        200,
        {"done": "delivered"},
    )
    status = {"CallSid": "CA9", "CallStatus": "completed", "AnsweredBy": "human"}
    assert signed(client, "/twilio/status/voice", call, status) == (200, {"done": "answered"})
    status = {"CallSid": "CA1", "CallStatus": "completed", "AnsweredBy": "machine_start"}
    assert signed(client, "/twilio/status/voice", first, status) == (200, {"done": "voicemail"})
    new = [
        (o["step"], o["channel"], o["outcome"], o["provider_id"])
        for o in app.recorded[before:]  # type: ignore[attr-defined]
    ]
    assert new == [
        ("early.1", "sms", "delivered", "SM9"),
        ("late.1", "voice", "answered", "A-1:late.1~c1:0"),
        ("late.1", "voice", "voicemail", "A-1:late.1:0"),
    ]
    assert "oral" in app.store.require("A-1").communicated
