"""``GET /metrics``: outcome counters every process adds to in Redis, queue depths read from the
real dramatiq Redis broker, and scheduler lag, in Prometheus's text format."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from fastapi.testclient import TestClient

from tests.pipeline_helpers import account, run_until
from tests.web_helpers import AUTH, web_client
from worker.accounts.outcomes import make_outcome
from worker.app import App
from worker.clock import SimulatedClock
from worker.storage import keys
from worker.storage.connection import broker_url
from worker.storage.metrics import field, outcome_counts
from worker.web.exposition import Family, render
from worker.web.server import create_app

SCRAPER = "metrics-only-key"


@pytest.fixture
def web(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> tuple[TestClient, App]:
    _, app = web_client(redis_url, tmp_path, clock)
    app.settings = replace(app.settings, metrics_keys=(SCRAPER,))
    client = TestClient(create_app(app, app.settings))
    assert client.post("/v1/accounts", json=account(), headers=AUTH).status_code == 202
    return client, app


def scrape(client: TestClient, key: str = SCRAPER) -> list[str]:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return [line for line in r.text.splitlines() if not line.startswith("#")]


def message(n: int) -> dramatiq.Message[object]:
    return dramatiq.Message(
        queue_name="dispatch", actor_name="dispatch", args=(n,), kwargs={}, options={}
    )


def test_metrics_count_sends_deferrals_suppressions_and_provider_errors(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    client, app = web
    phones = [{"number": "+12125550155", "kind": "mobile", "sms_consent": False}]
    no_texts = account(account_id="B-2", phones=phones, emails=[])
    assert client.post("/v1/accounts", json=no_texts, headers=AUTH).status_code == 202
    run_until(app, clock, datetime(2026, 3, 6, 23, tzinfo=UTC))
    state = app.store.require("A-1")
    app.results.publish(  # as the SMS channel records a number Twilio refuses
        make_outcome(
            now=clock.now(),
            state=state,
            outcome="failed",
            zone=None,
            channel="sms",
            reason="21211",
            provider="twilio",
            provider_id="SM1",
        )
    )
    kinds = [(o["account_id"], o["step"], o["outcome"], o["reason"]) for o in app.recorded]  # type: ignore[attr-defined]
    assert kinds == [
        ("A-1", "early.1", "sent", None),
        ("B-2", "early.1", "suppressed", "no_consent"),
        ("A-1", "early.2", "sent", None),
        ("B-2", "early.2", "suppressed", "no_consent"),
        ("A-1", "early.3", "deferred", "cap"),
        ("B-2", "early.3", "suppressed", "no_consent"),
        ("B-2", "early.4", "suppressed", "invalid_contact"),
        ("A-1", None, "failed", "21211"),
    ]
    lines = scrape(client)
    assert lines[: lines.index("remind_timeline_entries 2")] == [
        'remind_sends_total{channel="sms",provider="outbox"} 2',
        'remind_deferrals_total{channel="sms",reason="cap",rule="house/sms-2-per-7d"} 1',
        'remind_suppressions_total{channel="email",reason="invalid_contact",'
        'rule="consent/invalid_contact"} 1',
        'remind_suppressions_total{channel="sms",reason="no_consent",rule="consent/no_consent"} 3',
        'remind_provider_errors_total{channel="sms",provider="twilio",outcome="failed",'
        'code="21211"} 1',
        'remind_outcomes_total{outcome="deferred",channel="sms"} 1',
        'remind_outcomes_total{outcome="failed",channel="sms"} 1',
        'remind_outcomes_total{outcome="sent",channel="sms"} 2',
        'remind_outcomes_total{outcome="suppressed",channel="email"} 1',
        'remind_outcomes_total{outcome="suppressed",channel="sms"} 3',
    ]


def test_metrics_show_queue_depths_of_the_redis_broker_and_the_scheduler_lag(
    web: tuple[TestClient, App], clock: SimulatedClock
) -> None:
    client, app = web
    broker = RedisBroker(url=broker_url(app.settings))  # type: ignore[no-untyped-call]
    broker.declare_queue("dispatch")
    for n in range(3):
        broker.enqueue(message(n))
    broker.enqueue(message(9), delay=60_000)
    consumer = broker.consume("dispatch", prefetch=1, timeout=1000)
    assert next(consumer) is not None  # fetched and not acknowledged: in flight
    # A-1's first step is due 2026-03-02 15:00 UTC; no scheduler has ticked 90 s later
    clock.set(datetime(2026, 3, 2, 15, 1, 30, tzinfo=UTC))
    lines = scrape(client, key=AUTH["Authorization"].removeprefix("Bearer "))
    start = lines.index("remind_timeline_entries 1")
    assert lines[start:] == [
        "remind_timeline_entries 1",
        "remind_timeline_due_entries 1",
        "remind_scheduler_lag_seconds 90",
        'remind_queue_messages{queue="dispatch",state="dead"} 0',
        'remind_queue_messages{queue="dispatch",state="delayed"} 1',
        'remind_queue_messages{queue="dispatch",state="in_flight"} 1',
        'remind_queue_messages{queue="dispatch",state="ready"} 2',
        *[
            f'remind_queue_messages{{queue="{q}",state="{s}"}} 0'
            for q in ("field_visits", "intake", "reminder_results")
            for s in ("dead", "delayed", "in_flight", "ready")
        ],
    ]
    consumer.close()
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))  # the tick claims and sends it
    after = scrape(client)
    assert "remind_scheduler_lag_seconds 0" in after
    assert "remind_timeline_due_entries 0" in after


def test_metrics_need_a_metrics_or_api_key(web: tuple[TestClient, App]) -> None:
    client, _ = web
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
    # the scraper's key opens /metrics only, not the intake API
    assert (
        client.get("/v1/accounts/A-1", headers={"Authorization": f"Bearer {SCRAPER}"}).status_code
        == 401
    )


def test_counter_fields_drop_rule_versions_and_free_text_reasons(
    redis_client: redis.Redis,
) -> None:
    rejected = {"outcome": "rejected", "channel": None,
                "reason": "invalid_account: phones.0.number: is not a phone number",
                "rule": None, "provider": None}  # fmt: skip
    stated = {"outcome": "deferred", "channel": "voice", "reason": "stated_constraint",
              "rule": "person/inconvenient-hours@2026-03-04", "provider": None}  # fmt: skip
    redis_client.hincrby(keys.METRICS_OUTCOMES, field(rejected), 2)
    redis_client.hincrby(keys.METRICS_OUTCOMES, field(stated), 1)
    redis_client.hincrby(keys.METRICS_OUTCOMES, "from\x1fanother version", 5)
    assert [tuple(c) for c in outcome_counts(redis_client)] == [
        ("deferred", "voice", "stated_constraint", "person/inconvenient-hours", "", 1),
        ("rejected", "", "invalid_account", "", "", 2),
    ]


def test_label_values_are_escaped_and_projected_counters_add_up() -> None:
    family = Family("x_total", "Help.", "counter")
    family.add(1, code='a"b\\c\nd')
    family.add(2, code="plain")
    family.add(3, code="plain")
    assert render([family]) == (
        "# HELP x_total Help.\n"
        "# TYPE x_total counter\n"
        'x_total{code="a\\"b\\\\c\\nd"} 1\n'
        'x_total{code="plain"} 5\n'
    )
