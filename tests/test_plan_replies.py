"""Self-service: a reply asking for a repayment plan ("PLAN", "方案", "a payment plan") becomes
an outcome ``review`` / ``plan_requested`` for a person to answer with ``plan_agreed``; nothing
is held and the cadence goes on. A stop in the same reply still wins."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.gate.replies import Reading, read_reply
from worker.intake import apply_event, enroll
from worker.storage.results import audit_export
from worker.web.server import create_app

from .pipeline_helpers import account, make_app, run_until
from .web_helpers import AUTH, web_client

NUMBER = "+12125550123"


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("PLAN", Reading("plan", words=("plan",))),
        ("Plan.", Reading("plan", words=("plan",))),
        ("方案", Reading("plan", words=("方案",))),
        ("Can I get a payment plan please?", Reading("plan", words=("payment plan",))),
        ("我想分期付款", Reading("plan", words=("分期付款",))),
        ("I plan to pay on Friday", Reading(None)),  # "plan" inside a sentence asks for nothing
        ("stop. payment plan", Reading("stop", words=("stop",))),  # a stop always wins
        ("cancel the plan", Reading("review", words=("cancel the plan",))),
    ],
)
def test_a_reply_asking_for_a_plan_is_read_as_a_plan_request(text: str, reading: Reading) -> None:
    assert read_reply(text) == reading


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def test_a_plan_request_is_recorded_for_a_person_and_holds_nothing(app: App) -> None:
    data: dict[str, Any] = {
        "account_id": "A-1", "type": "reply", "channel": "sms", "text": "方案", "address": NUMBER
    }  # fmt: skip
    apply_event(app, parse_event(data))
    run_until(app, app.clock, datetime(2026, 3, 3, tzinfo=UTC))  # type: ignore[arg-type]

    recorded: Any = app.recorded  # type: ignore[attr-defined]
    assert [(o["step"], o["outcome"], o["reason"], o["rule"]) for o in recorded] == [
        (None, "review", "plan_requested", "reply/plan@1"),
        ("early.1", "sent", None, None),  # nothing held: the cadence goes on
    ]
    assert app.store.opted_out(app.store.require("A-1").person_id) == set()
    audit = list(
        audit_export(
            app.client,
            since=datetime(2026, 3, 2, tzinfo=UTC),
            until=datetime(2026, 3, 2, 13, tzinfo=UTC),
        )
    )
    check = audit[0]["checks"][0]
    assert (check["kind"], check["verdict"], check["reason"]) == ("reply", "n/a", "plan_requested")
    assert check["detail"].endswith('"方案"; read as plan (方案); nothing held')


def test_an_inbound_text_plan_reaches_a_person_as_a_plan_request(
    redis_client: object, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    token, base, path = (
        "twilio-auth-token-for-tests",
        "https://remind.example.com",
        "/twilio/sms/inbound",
    )
    _, app = web_client(redis_url, tmp_path, clock)
    app.settings = replace(app.settings, twilio_auth_token=token, public_base_url=base)
    client = TestClient(create_app(app, app.settings))
    assert client.post("/v1/accounts", json=account(), headers=AUTH).status_code == 202
    form = {"MessageSid": "SM7", "From": NUMBER, "To": "+18005550100", "Body": "PLAN",
            "NumMedia": "0"}  # fmt: skip
    signature = RequestValidator(token).compute_signature(base + path, form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    assert client.post(path, content=urlencode(form), headers=headers).status_code == 200

    recorded: Any = app.recorded  # type: ignore[attr-defined]
    assert sorted((o["outcome"], o["reason"]) for o in recorded) == [
        ("inbound", "reply_text"),
        ("review", "plan_requested"),
    ]
