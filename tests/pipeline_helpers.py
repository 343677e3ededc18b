"""Helpers for pipeline tests: an App on the real Redis with a small schedule, and a runner
that drives the production tick + dispatch on the simulated clock."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from worker.app import App, default_channels
from worker.channels.base import Channel
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.dispatch.pipeline import dispatch
from worker.runtime.scheduler import tick
from worker.storage import connection

ROOT = Path(__file__).resolve().parent.parent

#: A short cadence with exact, known instants; Sunday blocked, SMS capped at 2 per 7 days; calls
#: name their caller (T5) and leave limited-content voicemails (F17).
TEST_SCHEDULE = """\
name: t
version: "1"
description: pipeline test cadence
locale: en
send_time: "10:00"
policy:
  hours: {start: "09:00", end: "20:00"}
  blocked_days: {weekdays: [sunday]}
  caps:
    - {channel: sms, limit: 2, per: 7d}
tiers:
  - name: early
    steps:
      - {day: 1, channel: sms, template: friendly_nudge}
      - {day: 2, channel: sms, template: reminder}
      - {day: 3, channel: sms, template: reminder}
      - {day: 5, channel: email, template: friendly_nudge}
  - name: late
    steps:
      - {day: 8, channel: voice, template: reminder_call, fallback: sms}
      - {day: 12, channel: email, template: final_notice}
caller: {name: Northwind Lending, callback_number: "+1 800 555 0100", contact_name: Sam Carter}
"""


def account(**overrides: Any) -> dict[str, Any]:
    """A valid account on schedule ``t`` in New York, due Sunday 2026-03-01."""
    data: dict[str, Any] = {
        "account_id": "A-1",
        "schedule": "t",
        "due_date": "2026-03-01",
        "name": "Sam Lee",
        "timezone": "America/New_York",
        "phones": [
            {"number": "+12125550123", "kind": "mobile", "sms_consent": True, "voice_consent": True}
        ],
        "emails": [{"address": "sam@example.com", "kind": "personal", "consent": True}],
        "balance": {"amount": "125.50", "currency": "USD"},
        "creditor": "Northwind Lending",
        "reference": "NW-1",
        "payment_url": "https://pay.example.com/1",
    }
    data.update(overrides)
    return data


def make_app(
    redis_url: str,
    tmp_path: Path,
    clock: SimulatedClock,
    schedule: str = TEST_SCHEDULE,
    *,
    templates_dir: Path = ROOT / "templates",
    channels: Mapping[str, Channel] | None = None,
) -> App:
    """An App on schedule ``t`` whose outcomes are also kept in ``app.recorded``.

    ``channels`` replace the outbox for the channels named (a fake provider, say).
    """
    schedules = tmp_path / "schedules"
    schedules.mkdir(exist_ok=True)
    (schedules / "t.yaml").write_text(schedule)
    settings = Settings(
        redis_url=redis_url,
        schedules_dir=schedules,
        templates_dir=templates_dir,
        data_dir=tmp_path / "var",
    )
    outcomes: list[dict[str, Any]] = []
    wired = {**default_channels(settings, clock), **(channels or {})}
    app = App(
        settings, connection.client(redis_url), clock, channels=wired, sinks=[outcomes.append]
    )
    app.recorded = outcomes  # type: ignore[attr-defined]
    return app


def run_until(app: App, clock: SimulatedClock, end: datetime) -> None:
    """Tick and dispatch, jumping the clock to each next due instant, up to ``end``."""
    while True:
        tick(app, lambda account_id, due: dispatch(app, account_id, due))
        nxt = app.timeline.next_due()
        if nxt is None or nxt > end:
            clock.set(max(end, clock.now()))
            return
        clock.set(max(nxt, clock.now()))


def brief(outcomes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(at, step, channel, outcome, reason, next_attempt_at) of each outcome."""
    return [
        (o["at"], o["step"], o["channel"], o["outcome"], o["reason"], o["next_attempt_at"])
        for o in outcomes
    ]


def outbox(app: App, channel: str) -> list[dict[str, Any]]:
    path = app.settings.outbox_dir / f"{channel}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def clear_simulation_db(redis_url: str) -> None:
    """Empty the simulation database of the test session's server before a ``remind simulate``.

    To the command, the test server is one ``REDIS_URL`` names, whose databases it refuses to
    empty when they hold keys no simulation wrote; keys other tests left there are the suite's.
    """
    with connection.client(connection.with_db(redis_url, connection.DEFAULT_SIMULATION_DB)) as c:
        c.flushdb()


def remind_or_stop(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``remind`` as a user would; a command that starts instead of refusing is stopped
    with SIGTERM (so a supervisor stops its own children) and reported."""
    argv = [sys.executable, "-m", "worker.cli", *args]
    cwd = env["REMIND_DATA_DIR"].rsplit("/", 1)[0]
    with subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            out, err = proc.communicate(timeout=60)  # a refusal comes at once
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"remind {' '.join(args)} started instead of refusing: {err[-2000:]}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)
