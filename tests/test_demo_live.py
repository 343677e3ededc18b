"""``remind demo --live``: its fast clock, its plan, and the whole demo run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.clock import ScaledClock
from worker.config import Settings
from worker.errors import ConfigError
from worker.runtime.instance import clock_for
from worker.sim import live_setup
from worker.testing.fakes import call_fate, sms_fate
from worker.testing.twilio_callbacks import Fate

from .pipeline_helpers import ROOT

START = datetime(2026, 3, 3, 14, 50, tzinfo=UTC)


def test_the_demo_clock_reads_its_start_at_the_anchor_and_runs_scale_times_as_fast() -> None:
    settings = Settings.from_env({"REMIND_DEMO_CLOCK": "2026-03-03T09:50:00-05:00,1000.5,60"})
    assert settings.demo_clock == (START, 1000.5, 60.0)

    wall = [1000.5]
    clock = ScaledClock(*settings.demo_clock, wall=lambda: wall[0])
    assert clock.now() == START
    wall[0] = 1010.5  # ten real seconds: ten minutes of the cadence
    assert clock.now() == START + timedelta(minutes=10)
    assert isinstance(clock_for(settings), ScaledClock)


@pytest.mark.parametrize(
    "raw",
    ["2026-03-03T14:50:00Z", "2026-03-03T14:50:00,1,60", "2026-03-03T14:50:00Z,x,60",
     "2026-03-03T14:50:00Z,1,0", "2026-03-03T14:50:00Z,1,inf"],
)  # fmt: skip
def test_a_bad_demo_clock_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="REMIND_DEMO_CLOCK"):
        Settings.from_env({"REMIND_DEMO_CLOCK": raw})


def plan(base: dict[str, str], tmp_path: Path) -> live_setup.Plan:
    fakes = {"twilio": "http://127.0.0.1:9", "smtp": "smtp://127.0.0.1:10", "token": "t0k"}
    return live_setup.plan(
        base,
        redis_url="redis://127.0.0.1:1/3",
        broker_url="redis://127.0.0.1:1/4",
        schedules=tmp_path,
        settings=Settings(),
        port=8123,
        fakes=fakes,
    )


def test_the_plan_points_twilio_and_smtp_at_the_fakes_and_voice_only_where_it_can_go_live(
    tmp_path: Path,
) -> None:
    made = plan({"REMIND_FIXED_NOW": "2026-01-01T00:00:00Z"}, tmp_path)

    env = made.env
    assert (env["TWILIO_API_BASE_URL"], env["SMTP_URL"]) == ("http://127.0.0.1:9", made.smtp)
    assert env["TWILIO_AUTH_TOKEN"] == "t0k"  # the emulator signs callbacks with it
    assert env["PUBLIC_BASE_URL"] == made.web == "http://127.0.0.1:8123"
    assert "REMIND_FIXED_NOW" not in env
    assert env["REDIS_URL"].endswith("/3") and env["BROKER_URL"].endswith("/4")
    # detected from the settings, never assumed: calls go live only once voice can
    voice_can = "voice" in _voice_check(env)
    assert made.voice_live is voice_can
    assert ("voice=live" in env["REMIND_CHANNELS"]) is voice_can
    assert env["REMIND_CHANNELS"].startswith("sms=live,email=live")
    if not voice_can:
        assert made.voice_why.startswith("live calls are not available yet")


def _voice_check(env: dict[str, str]) -> frozenset[str]:
    try:
        return Settings.from_env({**env, "REMIND_CHANNELS": "voice=live"}).live_channels
    except ConfigError:
        return frozenset()


def test_a_configured_twilio_and_smtp_are_used_instead_of_the_fakes(tmp_path: Path) -> None:
    sid = "AC" + "12" * 16
    base = {"TWILIO_API_BASE_URL": "https://api.twilio.com", "TWILIO_ACCOUNT_SID": sid,
            "TWILIO_AUTH_TOKEN": "real", "TWILIO_FROM_NUMBER": "+14155550111",
            "SMTP_URL": "smtp://u:pw@mail.example.com:587?starttls=true",
            "EMAIL_FROM": "Billing <b@example.com>",
            "PUBLIC_BASE_URL": "https://tunnel.example.com"}  # fmt: skip

    env = plan(base, tmp_path).env

    assert {k: env[k] for k in base} == base
    assert plan(base, tmp_path).smtp == "smtp://u:***@mail.example.com:587?starttls=true"


def test_the_fakes_read_their_scripted_fates() -> None:
    assert sms_fate("undelivered:30005").fate == Fate("undelivered", error_code=30005)
    assert call_fate("human:29").fate == Fate("completed", answered_by="human", digits=("2", "9"))
    assert call_fate("no-answer").fate == Fate("no-answer")
    with pytest.raises(ValueError, match="--sms"):
        sms_fate("lost")


def _ours(marker: str) -> list[str]:
    """Processes whose environment holds ``marker`` (the demo's data directory)."""
    left = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return left


def test_remind_demo_live_shows_the_callbacks_and_ends_leaving_no_process(tmp_path: Path) -> None:
    data = tmp_path / "var"
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {"REMIND_DATA_DIR": str(data), "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
            "COLUMNS": "200"}  # fmt: skip

    done = subprocess.run(
        [sys.executable, "-m", "worker.cli", "demo", "--live", "--seconds", "90"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,  # ends by itself within two minutes, or the test fails
    )

    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "(the Twilio emulator)" in out and "(the SMTP sink)" in out
    assert 'MessageStatus=delivered  <- 200 {"done":"delivered"}' in out
    assert 'MessageStatus=undelivered ErrorCode=30005  <- 200 {"done":"undelivered"}' in out
    # which account's message the emulator delivers depends on which worker thread sent first
    assert out.count(" sms    delivered    SM") == 1
    assert out.count(" sms    undelivered  30005 SM") == 1
    assert out.count("with List-Unsubscribe") == 2  # both emails reached the sink
    assert "+12125550123" not in out and "sam.lee@" not in out  # masked
    assert "done in " in out
    assert "stopped: scheduler, worker, web, fakes" in out
    assert _ours(str(data)) == []
