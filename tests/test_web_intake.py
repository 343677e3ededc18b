"""The intake API of ``remind web``: bearer keys, accounts and events in, an account's state out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from tests.pipeline_helpers import account, run_until
from tests.web_helpers import AUTH, web_client
from worker.app import App
from worker.clock import SimulatedClock
from worker.web.auth import known


@pytest.fixture
def web(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> tuple[TestClient, App]:
    return web_client(redis_url, tmp_path, clock)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic azp0ZXN0LTE="}],
    ids=["none", "unknown key", "not bearer"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/v1/accounts"), ("post", "/v1/accounts/A-1/events"), ("get", "/v1/accounts/A-1")],
)
def test_every_intake_route_refuses_a_request_without_a_known_key(
    web: tuple[TestClient, App], headers: dict[str, str], method: str, path: str
) -> None:
    client, app = web
    body = account() if path == "/v1/accounts" else None
    r = client.request(method, path, headers=headers, json=body)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"detail": "a valid API key is required (Authorization: Bearer <key>)"}
    assert app.store.load("A-1") is None


def test_no_configured_key_means_no_request_is_let_in() -> None:
    assert not known("", ())
    assert not known("k", ())
    assert known("k2", ("k1", "k2"))
    assert not known("k", ("k1", "k2"))


def test_posting_an_account_then_getting_it_shows_its_next_step_and_due_time(
    web: tuple[TestClient, App],
) -> None:
    client, _ = web
    r = client.post("/v1/accounts", json=account(), headers=AUTH)
    assert (r.status_code, r.json()) == (202, {"enrolled": 1, "refused": []})
    got = client.get("/v1/accounts/A-1", headers=AUTH)
    assert got.status_code == 200
    assert got.json() == {
        "account_id": "A-1",
        "person_id": "A-1",
        "schedule": "t@1",
        "status": "active",
        "status_reason": None,
        "paused_until": None,
        "next_step": {
            "key": "early.1",
            "tier": "early",
            "day": 1,
            "channel": "sms",
            "template": "friendly_nudge",
            "due_at": "2026-03-02T15:00:00Z",
        },
        "balance": {"amount": "125.50", "currency": "USD", "paid": "0", "outstanding": "125.50"},
        "plan": None,
        "settlement": None,
        "recent_outcomes": [],
    }


def test_a_list_of_accounts_is_enrolled_with_its_count(web: tuple[TestClient, App]) -> None:
    client, app = web
    r = client.post(
        "/v1/accounts",
        json=[account(), account(account_id="A-2"), account(account_id="A-3")],
        headers=AUTH,
    )
    assert (r.status_code, r.json()) == (202, {"enrolled": 3, "refused": []})
    assert all(app.store.load(a) is not None for a in ("A-1", "A-2", "A-3"))


def test_one_invalid_account_in_a_list_names_its_field_and_enrolls_none(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    bad = account(account_id="A-2", timezone="Mars/Olympus")
    r = client.post("/v1/accounts", json=[account(), bad], headers=AUTH)
    assert r.status_code == 422
    assert r.json()["field"] == "timezone"
    assert r.json()["error"] == "invalid"
    assert "account 1" in r.json()["detail"]
    assert app.store.load("A-1") is None


def test_an_account_missing_a_required_field_is_refused_naming_it(
    web: tuple[TestClient, App],
) -> None:
    client, _ = web
    data = account()
    del data["due_date"]
    r = client.post("/v1/accounts", json=data, headers=AUTH)
    assert (r.status_code, r.json()["field"]) == (422, "due_date")


def test_an_unknown_schedule_is_refused_naming_the_schedule_field(
    web: tuple[TestClient, App],
) -> None:
    client, _ = web
    r = client.post("/v1/accounts", json=account(schedule="nope"), headers=AUTH)
    assert (r.status_code, r.json()["field"]) == (422, "schedule")


def test_a_paid_event_stops_the_account_as_the_cli_would(web: tuple[TestClient, App]) -> None:
    client, _ = web
    client.post("/v1/accounts", json=account(), headers=AUTH)
    r = client.post("/v1/accounts/A-1/events", json={"type": "paid"}, headers=AUTH)
    assert (r.status_code, r.json()) == (
        202,
        {"account_id": "A-1", "type": "paid", "status": "stopped"},
    )
    shown = client.get("/v1/accounts/A-1", headers=AUTH).json()
    assert (shown["status"], shown["status_reason"], shown["next_step"]) == (
        "stopped",
        "paid",
        None,
    )


def test_an_event_whose_account_id_differs_from_the_path_is_refused(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    client.post("/v1/accounts", json=account(), headers=AUTH)
    r = client.post(
        "/v1/accounts/A-1/events", json={"type": "paid", "account_id": "A-2"}, headers=AUTH
    )
    assert (r.status_code, r.json()["field"]) == (422, "account_id")
    assert app.store.require("A-1").status == "active"


def test_an_event_with_a_bad_field_is_refused_naming_it(web: tuple[TestClient, App]) -> None:
    client, _ = web
    client.post("/v1/accounts", json=account(), headers=AUTH)
    r = client.post(
        "/v1/accounts/A-1/events",
        json={"type": "promise_to_pay", "until": "someday"},
        headers=AUTH,
    )
    assert (r.status_code, r.json()["field"]) == (422, "until")
    bad_type = client.post("/v1/accounts/A-1/events", json={"type": "teleport"}, headers=AUTH)
    assert (bad_type.status_code, bad_type.json()["field"]) == (422, "type")


def test_an_unknown_account_is_404_for_its_state_and_its_events(
    web: tuple[TestClient, App],
) -> None:
    client, _ = web
    got = client.get("/v1/accounts/nobody", headers=AUTH)
    assert (got.status_code, got.json()) == (404, {"detail": "account 'nobody' is not enrolled"})
    ev = client.post("/v1/accounts/nobody/events", json={"type": "paid"}, headers=AUTH)
    assert (ev.status_code, ev.json()) == (404, {"detail": "account 'nobody' is not enrolled"})


def test_a_stopped_debt_enrolled_again_is_counted_as_refused(web: tuple[TestClient, App]) -> None:
    client, _ = web
    client.post("/v1/accounts", json=account(), headers=AUTH)
    client.post("/v1/accounts/A-1/events", json={"type": "paid"}, headers=AUTH)
    again = client.post("/v1/accounts", json=account(due_date="2026-04-01"), headers=AUTH)
    assert (again.status_code, again.json()) == (
        202,
        {"enrolled": 0, "refused": [{"account_id": "A-1", "reason": "paid"}]},
    )


def test_the_account_view_carries_its_recent_outcomes_newest_first(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    client, app = web
    client.post("/v1/accounts", json=account(), headers=AUTH)
    run_until(app, clock, datetime(2026, 3, 3, 16, tzinfo=UTC))
    shown = client.get("/v1/accounts/A-1", headers=AUTH).json()
    assert [(o["step"], o["outcome"]) for o in shown["recent_outcomes"]] == [
        ("early.2", "sent"),
        ("early.1", "sent"),
    ]
    assert shown["next_step"]["key"] == "early.3"


def test_the_openapi_document_names_the_bearer_scheme_of_the_intake_routes(
    web: tuple[TestClient, App],
) -> None:
    client, _ = web
    doc = client.get("/openapi.json").json()
    assert set(doc["paths"]) >= {"/v1/accounts", "/v1/accounts/{account_id}/events",
                                 "/v1/accounts/{account_id}", "/unsubscribe/{token}"}  # fmt: skip
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
