"""``/unsubscribe/{token}``: a confirm page on GET, RFC 8058 one-click on POST, signed tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from tests.pipeline_helpers import account, run_until
from tests.web_helpers import AUTH, SECRET, web_client
from worker.app import App
from worker.channels.signing import unsubscribe_token
from worker.clock import SimulatedClock

ONE_CLICK = {"content": b"List-Unsubscribe=One-Click"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def web(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> tuple[TestClient, App]:
    client, app = web_client(redis_url, tmp_path, clock)
    r = client.post("/v1/accounts", json=account(), headers=AUTH)
    assert r.status_code == 202
    return client, app


def link(address: str = "sam@example.com", account_id: str = "A-1") -> str:
    return "/unsubscribe/" + unsubscribe_token(SECRET, account_id, "email", address)


def test_the_page_asks_to_confirm_and_changes_nothing(web: tuple[TestClient, App]) -> None:
    client, app = web
    r = client.get(link())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Stop reminder emails to s***@example.com about account A-1?" in r.text
    assert '<form method="post">' in r.text
    assert "sam@example.com" not in r.text
    assert app.store.opted_out("A-1") == set()


def test_one_click_post_opts_the_address_out_and_records_it(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    r = client.post(link(), headers=FORM, **ONE_CLICK)
    assert r.status_code == 200
    assert "You will get no more reminder emails at this address." in r.text
    assert app.store.opted_out("A-1") == {"email:sam@example.com"}
    recorded = [(o["outcome"], o["channel"], o["reason"], o["rule"]) for o in app.recorded]  # type: ignore[attr-defined]
    assert recorded == [("opted_out", "email", "unsubscribe_link", "unsubscribe@1")]


def test_a_second_click_records_nothing_more(web: tuple[TestClient, App]) -> None:
    client, app = web
    client.post(link(), headers=FORM, **ONE_CLICK)
    again = client.post(link(), headers=FORM, **ONE_CLICK)
    assert again.status_code == 200
    assert len(app.recorded) == 1  # type: ignore[attr-defined]


def test_after_unsubscribing_the_next_email_step_is_suppressed_opted_out(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    client, app = web
    assert client.post(link(), headers=FORM, **ONE_CLICK).status_code == 200
    # the SMS cap pushes early.4 past its day (skipped, missed); late.2 is the next email
    run_until(app, clock, datetime(2026, 3, 14, tzinfo=UTC))
    email = [
        (o["step"], o["outcome"], o["reason"])
        for o in app.recorded  # type: ignore[attr-defined]
        if o["channel"] == "email" and o["step"] is not None
    ]
    assert email == [("early.4", "skipped", "missed"), ("late.2", "suppressed", "opted_out")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_is_refused_with_400(web: tuple[TestClient, App], method: str) -> None:
    client, app = web
    body, _, signature = link().removeprefix("/unsubscribe/").partition(".")
    forged = unsubscribe_token("another-key", "A-1", "email", "sam@example.com")
    for token in (f"{body}.{signature[:-2]}AA", forged, "garbage", body):
        r = client.request(method, f"/unsubscribe/{token}")
        assert (r.status_code, r.json()) == (400, {"detail": "this unsubscribe link is not valid"})
    assert app.store.opted_out("A-1") == set()


def test_a_link_for_an_account_not_enrolled_is_404(web: tuple[TestClient, App]) -> None:
    client, _ = web
    r = client.post(link(account_id="A-404"), headers=FORM, **ONE_CLICK)
    assert r.status_code == 404


def test_an_address_no_longer_on_the_account_stops_email_altogether(
    web: tuple[TestClient, App],
) -> None:
    client, app = web
    r = client.post(link("old@example.com"), headers=FORM, **ONE_CLICK)
    assert r.status_code == 200
    assert app.store.opted_out("A-1") == {"email"}
