"""End to end: a live SMS goes through the emulator, whose signed status callbacks reach the real
``remind web`` application (uvicorn on loopback), which records the message ``delivered``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
import redis
import uvicorn

from worker.app import App, default_channels
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.storage import connection
from worker.testing.twilio_emulator import TwilioEmulator, delivered, undelivered
from worker.web.server import create_app

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, run_until
from .twilio_helpers import FROM, SID, TOKEN

DAY1_END = datetime(2026, 3, 2, 23, tzinfo=UTC)


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """A loopback socket already listening, so requests queue before uvicorn accepts them."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock
    sock.close()


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(auth=(SID, TOKEN)) as emulator:
        yield emulator


@pytest.fixture
def apps(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    twilio: TwilioEmulator,
    listening: socket.socket,
) -> Iterator[tuple[App, list[dict[str, Any]]]]:
    """The sending App (live SMS) and the outcomes recorded by ``remind web`` serving beside it."""
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "t.yaml").write_text(TEST_SCHEDULE)
    port = listening.getsockname()[1]
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
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    client = connection.client(redis_url)

    def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    channels = default_channels(settings, clock, client, sleep=sleep)
    sender = App(settings, client, clock, channels=channels, sinks=[])
    web_outcomes: list[dict[str, Any]] = []
    web_app = App(settings, client, clock, sinks=[web_outcomes.append])
    server = uvicorn.Server(
        uvicorn.Config(create_app(web_app, settings), log_config=None, lifespan="off")
    )
    thread = Thread(target=server.run, kwargs={"sockets": [listening]})
    thread.start()
    try:
        enroll(sender, parse_account(account()))
        yield sender, web_outcomes
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_live_sms_ends_delivered_through_the_signed_callback(
    apps: tuple[App, list[dict[str, Any]]], clock: SimulatedClock, twilio: TwilioEmulator
) -> None:
    sender, web_outcomes = apps
    twilio.script(delivered())

    run_until(sender, clock, DAY1_END)
    made = twilio.wait_callbacks(3, timeout=15)

    sid = "SM" + "0" * 31 + "1"
    assert [(c.form["MessageStatus"], c.status, c.body) for c in made] == [
        ("queued", 200, '{"done":"noted"}'),
        ("sent", 200, '{"done":"noted"}'),
        ("delivered", 200, '{"done":"delivered"}'),
    ]
    [outcome] = web_outcomes
    assert (outcome["outcome"], outcome["channel"], outcome["provider_id"]) == (
        "delivered",
        "sms",
        sid,
    )
    assert (outcome["account_id"], outcome["step"]) == ("A-1", "early.1")


def test_an_undelivered_sms_is_recorded_with_its_error_code(
    apps: tuple[App, list[dict[str, Any]]], clock: SimulatedClock, twilio: TwilioEmulator
) -> None:
    sender, web_outcomes = apps
    twilio.script(undelivered(30006))

    run_until(sender, clock, DAY1_END)
    twilio.wait_callbacks(3, timeout=15)

    [outcome] = web_outcomes
    assert (outcome["outcome"], outcome["reason"]) == ("undelivered", "30006")
