"""The SMTP server down, then back, through the real dispatch path (gate, renderer, guard, the
email channel, an aiosmtpd sink that is stopped and started on its port).

A refused connection was never processed: the guard tries again in place (three tries, 0.5 s
and 1 s apart on the injected clock), then dispatch gives the reservation back and puts the
step on remind's own timeline an hour later (not a dramatiq delay: docs/integration.md, Cadence
delays), three attempts in all (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.app import App, default_channels
from worker.clock import SimulatedClock, to_epoch
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.storage import connection, keys
from worker.testing.smtp_sink import SmtpSink

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, brief, outbox, run_until

pytestmark = pytest.mark.faults

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 is due, 10:00 in New York
DAY1_END = datetime(2026, 3, 2, 23, tzinfo=UTC)
#: Day 1 is an email whose fallback is SMS (on the outbox).
EMAIL_SCHEDULE = TEST_SCHEDULE.replace(
    "{day: 1, channel: sms, template: friendly_nudge}",
    "{day: 1, channel: email, template: friendly_nudge, fallback: sms}",
)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def live(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    sink: SmtpSink,
) -> Any:
    """An App whose email goes live to the sink; ``app.sleeps`` lists the guard's waits."""

    def build() -> App:
        schedules = tmp_path / "schedules"
        schedules.mkdir(exist_ok=True)
        (schedules / "t.yaml").write_text(EMAIL_SCHEDULE)
        settings = Settings.from_env(
            {
                "REDIS_URL": redis_url,
                "REMIND_SCHEDULES_DIR": str(schedules),
                "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
                "REMIND_DATA_DIR": str(tmp_path / "var"),
                "REMIND_CHANNELS": "email=live",
                "SMTP_URL": sink.url,
                "EMAIL_FROM": "Northwind <billing@northwind.example>",
                "PUBLIC_BASE_URL": "https://remind.example.com",
                "REMIND_SECRET_KEY": "secret-key-5d1e",
                "REMIND_PROVIDER_TIMEOUT_SECONDS": "2",
            }
        )
        client = connection.client(redis_url)
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            clock.advance(timedelta(seconds=seconds))

        outcomes: list[dict[str, Any]] = []
        channels = default_channels(settings, clock, client, sleep=sleep)
        app = App(settings, client, clock, channels=channels, sinks=[outcomes.append])
        app.recorded = outcomes  # type: ignore[attr-defined]
        app.sleeps = sleeps  # type: ignore[attr-defined]
        enroll(app, parse_account(account()))
        return app

    return build


def _due(app: App) -> float | None:
    score: float | None = app.client.zscore(keys.timeline(keys.shard_of("A-1")), "A-1")
    return score


def test_an_email_sent_while_the_smtp_server_is_down_goes_out_on_the_next_attempt(
    live: Any, clock: SimulatedClock, sink: SmtpSink
) -> None:
    app = live()
    sink.stop()
    run_until(app, clock, DAY1 + timedelta(minutes=30))

    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "email", "deferred", "provider_transient",
         "2026-03-02T16:00:00Z"),
    ]  # fmt: skip
    assert app.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]  # three tries in place
    # the retry waits on remind's timeline, its caps and claim given back
    assert _due(app) == to_epoch(DAY1 + timedelta(hours=1))
    assert app.client.get(keys.idempotency("A-1", "A-1:early.1:0")) is None

    sink.start()
    run_until(app, clock, DAY1_END)

    assert brief(app.recorded)[1:] == [
        ("2026-03-02T16:00:00Z", "early.1", "email", "sent", None, None),
    ]
    [received] = sink.messages
    assert received.rcpt_tos == ["sam@example.com"]
    assert received.message["Subject"]
    sent = app.recorded[1]  # type: ignore[attr-defined]
    assert sent["provider_id"] == received.message["Message-ID"]
    claim = app.client.get(keys.idempotency("A-1", "A-1:early.1:1"))
    assert claim == f"sent:{received.message['Message-ID']}"
    assert outbox(app, "sms") == []  # no fallback: the email itself went out
    assert app.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_an_outage_over_two_attempts_still_sends_on_the_third(
    live: Any, clock: SimulatedClock, sink: SmtpSink
) -> None:
    app = live()
    sink.stop()
    run_until(app, clock, DAY1 + timedelta(hours=1, minutes=30))
    sink.start()
    run_until(app, clock, DAY1_END)

    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "email", "deferred", "provider_transient",
         "2026-03-02T16:00:00Z"),
        ("2026-03-02T16:00:00Z", "early.1", "email", "deferred", "provider_transient",
         "2026-03-02T17:00:00Z"),
        ("2026-03-02T17:00:00Z", "early.1", "email", "sent", None, None),
    ]  # fmt: skip
    assert len(sink.messages) == 1
    assert app.sleeps == [0.5, 1.0] * 2  # type: ignore[attr-defined]


def test_an_smtp_server_down_for_every_attempt_fails_the_email_after_nine_tries(
    live: Any, clock: SimulatedClock, sink: SmtpSink
) -> None:
    app = live()
    sink.stop()
    run_until(app, clock, DAY1_END)
    sink.start()

    email = [o for o in brief(app.recorded) if o[2] == "email"]
    assert email == [
        ("2026-03-02T15:00:00Z", "early.1", "email", "deferred", "provider_transient",
         "2026-03-02T16:00:00Z"),
        ("2026-03-02T16:00:00Z", "early.1", "email", "deferred", "provider_transient",
         "2026-03-02T17:00:00Z"),
        ("2026-03-02T17:00:00Z", "early.1", "email", "failed", "smtp_connect", None),
    ]  # fmt: skip
    assert app.sleeps == [0.5, 1.0] * 3  # type: ignore[attr-defined]  # 3 attempts x 3 tries
    assert app.client.get(keys.idempotency("A-1", "A-1:early.1:2")) == "failed:smtp_connect"
    assert sink.messages == []
    assert app.store.require("A-1").cursor == 1  # the step is over: never sent later


def test_an_email_that_used_up_its_attempts_falls_back_to_the_steps_sms(
    live: Any, clock: SimulatedClock, sink: SmtpSink
) -> None:
    app = live()
    sink.stop()
    run_until(app, clock, DAY1_END)

    assert brief(app.recorded)[2:] == [
        ("2026-03-02T17:00:00Z", "early.1", "email", "failed", "smtp_connect", None),
        ("2026-03-02T17:00:00Z", "early.1", "sms", "sent", None, None),
    ]
    assert [m["dispatch_id"] for m in outbox(app, "sms")] == ["A-1:early.1:3"]
