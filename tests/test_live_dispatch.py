"""Dispatch through the live SMS channel, end to end: the gate, the renderer, the official
twilio client and the Twilio emulator, on the real Redis and the simulated clock. What Twilio
answers decides the outcome (docs/integration.md, Provider errors)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.app import App, default_channels
from worker.channels.guard import PAUSE_SECONDS
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.storage import connection, keys, phones
from worker.testing.twilio_emulator import TwilioEmulator, error, hang, throttled

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, brief, outbox, run_until
from .twilio_helpers import FROM, PUBLIC, SID, TOKEN

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 (SMS), 10:00 in New York
DAY1_END = datetime(2026, 3, 2, 23, tzinfo=UTC)
#: One SMS step whose fallback is email (friendly_nudge has both parts).
FALLBACK_SCHEDULE = TEST_SCHEDULE.replace(
    "{day: 1, channel: sms, template: friendly_nudge}",
    "{day: 1, channel: sms, template: friendly_nudge, fallback: email}",
)


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(auth=(SID, TOKEN)) as emulator:
        yield emulator


@pytest.fixture
def live(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    twilio: TwilioEmulator,
):  # type: ignore[no-untyped-def]
    """An App whose SMS goes live to the emulator (settings read as from the environment)."""

    def build(schedule: str = TEST_SCHEDULE, **overrides: Any) -> App:
        schedules = tmp_path / "schedules"
        schedules.mkdir(exist_ok=True)
        (schedules / "t.yaml").write_text(schedule)
        settings = Settings.from_env(
            {
                "REDIS_URL": redis_url,
                "REMIND_SCHEDULES_DIR": str(schedules),
                "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
                "REMIND_DATA_DIR": str(tmp_path / "var"),
                "REMIND_CHANNELS": "sms=live",
                "TWILIO_ACCOUNT_SID": SID,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "TWILIO_FROM_NUMBER": FROM,
                "TWILIO_API_BASE_URL": twilio.base_url,
                "PUBLIC_BASE_URL": PUBLIC,
                "REMIND_PROVIDER_TIMEOUT_SECONDS": "0.3",
            }
        )
        client = connection.client(redis_url)

        def sleep(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        outcomes: list[dict[str, Any]] = []
        channels = default_channels(settings, clock, client, sleep=sleep)
        app = App(settings, client, clock, channels=channels, sinks=[outcomes.append])
        app.recorded = outcomes  # type: ignore[attr-defined]
        enroll(app, parse_account(account(**overrides)))
        return app

    return build


def claim(app: App, dispatch_id: str) -> str | None:
    value: str | None = app.client.get(keys.idempotency("A-1", dispatch_id))
    return value


def caps_counted(app: App) -> set[str]:
    return {
        member
        for key in app.client.scan_iter(match=keys.cap_counter("A-1", "*", "*"))
        for member in app.client.zrange(key, 0, -1)
    }


def test_an_sms_step_goes_to_twilio_as_rendered_and_its_sid_is_recorded(
    live, clock, twilio
) -> None:  # type: ignore[no-untyped-def]
    # A no-break space pasted into the upstream data (the greeting takes only the first name).
    app = live(creditor="Northwind\xa0Lending")
    run_until(app, clock, DAY1_END)

    [request] = twilio.requests
    body = request.fields["Body"]
    assert body.startswith("Northwind Lending: Hi Sam,")
    assert "\xa0" not in body  # it would make the whole message UCS-2
    assert request.fields["To"] == "+12125550123"
    assert (
        request.fields["StatusCallback"] == f"{PUBLIC}/twilio/status/sms?dispatch=A-1%3Aearly.1%3A0"
    )
    [sent] = app.recorded
    assert (sent["outcome"], sent["provider"], sent["provider_id"]) == (
        "sent",
        "twilio",
        "SM" + "0" * 31 + "1",
    )
    assert claim(app, "A-1:early.1:0") == "sent:SM" + "0" * 31 + "1"


def test_an_invalid_number_is_failed_with_reason_21211_and_never_retried(
    live, clock, twilio
) -> None:  # type: ignore[no-untyped-def]
    app = live()
    twilio.script(error(21211))
    run_until(app, clock, DAY1_END)

    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "failed", "21211", None)
    ]
    assert app.recorded[0]["provider"] == "twilio"
    assert len(twilio.requests) == 1
    assert claim(app, "A-1:early.1:0") == "failed:21211"
    assert app.store.require("A-1").cursor == 1


def test_a_429_is_retried_after_its_retry_after_and_then_sent(live, clock, twilio) -> None:  # type: ignore[no-untyped-def]
    app = live()
    twilio.script(throttled(retry_after=1))
    run_until(app, clock, DAY1)

    assert brief(app.recorded) == [("2026-03-02T15:00:00Z", "early.1", "sms", "sent", None, None)]
    assert app.recorded[0]["provider_id"] == "SM" + "0" * 31 + "2"
    assert len(twilio.requests) == 2
    assert twilio.requests[0].fields == twilio.requests[1].fields
    assert clock.now() == DAY1 + timedelta(seconds=1)  # waited on the injected clock


def test_a_read_timeout_is_recorded_unknown_and_the_message_is_never_sent_again(
    live, clock, twilio
) -> None:  # type: ignore[no-untyped-def]
    app = live()
    twilio.script(hang(5))
    run_until(app, clock, DAY1 + timedelta(days=1, hours=8))  # past early.2 the next day

    assert brief(app.recorded)[0] == (
        "2026-03-02T15:00:00Z",
        "early.1",
        "sms",
        "unknown",
        "read_timeout",
        None,
    )
    assert claim(app, "A-1:early.1:0") == "unknown"
    assert "A-1:early.1:0" in caps_counted(app)  # it may have gone: it counts
    callbacks = [r.fields["StatusCallback"].rsplit("=", 1)[1] for r in twilio.requests]
    assert callbacks == ["A-1%3Aearly.1%3A0", "A-1%3Aearly.2%3A0"]  # early.1 once, then on


def test_a_long_retry_after_defers_the_step_with_its_caps_given_back(live, clock, twilio) -> None:  # type: ignore[no-untyped-def]
    app = live()
    twilio.script(throttled(retry_after=7200))
    run_until(app, clock, DAY1)

    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "deferred", "provider_transient",
         "2026-03-02T17:00:00Z"),
    ]  # fmt: skip
    assert (caps_counted(app), claim(app, "A-1:early.1:0")) == (set(), None)
    assert app.store.require("A-1").attempt == 1


def test_a_configuration_error_defers_until_the_channel_pause_ends_then_sends(
    live, clock, twilio
) -> None:  # type: ignore[no-untyped-def]
    app = live()
    twilio.script(error(20003, 401))
    run_until(app, clock, DAY1_END)

    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "deferred", "provider_configuration",
         "2026-03-02T15:15:00Z"),
        ("2026-03-02T15:15:00Z", "early.1", "sms", "sent", None, None),
    ]  # fmt: skip
    assert PAUSE_SECONDS == 15 * 60
    # the same attempt went again: the channel was paused, not the message refused
    assert claim(app, "A-1:early.1:0") == "sent:SM" + "0" * 31 + "2"


def test_a_stop_reply_records_the_opt_out_and_the_fallback_channel_sends_at_once(
    live, clock, twilio
) -> None:  # type: ignore[no-untyped-def]
    app = live(FALLBACK_SCHEDULE)
    twilio.script(error(21610))
    run_until(app, clock, DAY1)

    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "failed", "21610", None),
        ("2026-03-02T15:00:00Z", "early.1", "email", "sent", None, None),
    ]
    assert app.store.opted_out("A-1") == {"sms:+12125550123"}
    assert phones.number_opted_out(app.client, "+12125550123")  # for accounts enrolled later
    assert app.recorded[1]["provider_id"] == "A-1:early.1:1"  # the next attempt's id
    assert [m["dispatch_id"] for m in outbox(app, "email")] == ["A-1:early.1:1"]
    assert claim(app, "A-1:early.1:0") == "failed:21610"
    state = app.store.require("A-1")
    assert (state.cursor, state.attempt) == (1, 0)


def test_a_fallback_the_gate_refuses_is_recorded_and_the_step_ends_with_the_failure(
    live, clock, twilio
) -> None:  # type: ignore[no-untyped-def]
    app = live(FALLBACK_SCHEDULE, emails=[{"address": "sam@example.com", "consent": False}])
    twilio.script(error(21211))
    run_until(app, clock, DAY1)

    assert [(o["channel"], o["outcome"], o["reason"], o["rule"]) for o in app.recorded] == [
        ("sms", "failed", "21211", None),
        ("email", "suppressed", "no_consent", "consent/no_consent@1"),
    ]
    assert outbox(app, "email") == []
    assert app.store.require("A-1").cursor == 1
