"""What ``remind demo --live`` runs on: its schedule, accounts, clock and child environment.

Cadences count in whole days at ``HH:MM`` send times, so a demo that ends in two minutes needs
time to run faster. The decision, explicit and for the demo only: every process gets
``REMIND_DEMO_CLOCK`` (``worker.clock.ScaledClock``), a clock that reads 09:50 in New York on a
Tuesday when the demo starts and runs ``SCALE`` times as fast as the wall clock, so the demo
schedule's steps, a minute apart, come a second apart. Leases are lengthened to match and the
scheduler ticks twice a second. Nothing else changes: the same worker, scheduler and web
processes as ``remind run``, and the same gate.
"""

from __future__ import annotations

import secrets
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from worker.config import Settings
from worker.errors import ConfigError
from worker.providers import without_password

#: Simulated seconds per real second: a minute of the cadence passes in a second.
SCALE = 60.0
#: The demo's day: a Tuesday without a US public holiday, at 09:50 New York time.
DEMO_START = datetime(2026, 3, 3, 9, 50, tzinfo=ZoneInfo("America/New_York"))
#: Logical Redis databases of the demo (state, broker), emptied before and after it.
STATE_DB, BROKER_DB = 3, 4
#: The Twilio account the emulator plays (a made-up SID; the token is drawn per run).
FAKE_SID = "AC" + "de" * 16
FAKE_FROM = "+14155550100"
SENDER = "Northwind Lending <billing@northwind.example>"

SCHEDULE = """\
# remind demo --live: one step on each channel, a minute apart. The demo clock runs 60 times as
# fast as the wall clock, so the steps come a second apart.
name: live-demo
version: "1"
description: remind demo --live, one step on each channel a minute apart
locale: en
send_time: "10:00"
country: US
licences: {US-CA: exempt}
caller: {name: Northwind Lending, callback_number: "+1 800 555 0100", contact_name: Sam Carter}
tiers:
  - name: live
    steps:
      - {day: 0, channel: sms, template: friendly_nudge}
      - {day: 0, channel: email, template: friendly_nudge, send_time: "10:01"}
      - {day: 0, channel: voice, template: reminder_call, send_time: "10:02"}
"""
#: What the emulator makes of each SMS and call, in turn (``worker.testing.fakes``).
FAKE_SMS = "delivered,undelivered:30005"
FAKE_CALLS = "human:2,machine_end_beep"


@dataclass
class Plan:
    """Where each channel goes, and the environment every child process gets."""

    env: dict[str, str]
    twilio: str  # where SMS and calls go: the emulator or TWILIO_API_BASE_URL
    smtp: str  # where email goes: the sink or SMTP_URL (without its password)
    web: str  # the local web service
    voice_live: bool
    voice_why: str  # why calls stay on the outbox, when they do
    api_key: str


def accounts(phone: str, email: str) -> list[dict[str, Any]]:
    """Two accounts in New York due on the demo day, reachable on every channel."""
    due = DEMO_START.date().isoformat()
    made = []
    for n, name in ((1, "Sam Lee"), (2, "Alex Kim")):
        made.append(
            {
                "account_id": f"live-{n}",
                "schedule": "live-demo",
                "due_date": due,
                "name": name,
                "timezone": "America/New_York",
                "address": {"country": "US", "region": "NY", "city": "New York"},
                "phones": [
                    {"number": phone, "kind": "mobile", "sms_consent": True, "voice_consent": True}
                ],
                "emails": [{"address": email, "kind": "personal", "consent": True}],
                "balance": {"amount": f"{100 + 25 * n}.50", "currency": "USD"},
                "creditor": "Northwind Lending",
                "reference": f"NW-{n}",
                "payment_url": f"https://pay.example.com/{n}",
            }
        )
    return made


def demo_clock(now: float | None = None) -> str:
    """``REMIND_DEMO_CLOCK``: 09:50 New York time on the demo day, starting now."""
    anchor = time.time() if now is None else now
    return f"{DEMO_START.astimezone(UTC).isoformat()},{anchor:.3f},{SCALE:g}"


def free_port() -> int:
    """A TCP port free on loopback now (a child binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plan(
    base: dict[str, str],
    *,
    redis_url: str,
    broker_url: str,
    schedules: Path,
    settings: Settings,
    port: int,
    fakes: dict[str, str] | None,
) -> Plan:
    """The children's environment: ``base`` (the caller's) with the demo's settings on top.

    ``fakes`` holds the emulator's and the sink's URLs (and the token that signs callbacks):
    the emulator stands in for Twilio unless ``base`` sets ``TWILIO_API_BASE_URL`` (then the
    ``TWILIO_*`` of ``base`` are used), the sink for SMTP unless it sets ``SMTP_URL``.
    """
    env = {k: v for k, v in base.items() if k != "REMIND_FIXED_NOW"}
    key = secrets.token_urlsafe(16)
    web = f"http://127.0.0.1:{port}"
    env |= {
        "REDIS_URL": redis_url,
        "BROKER_URL": broker_url,
        "REMIND_SCHEDULES_DIR": str(schedules),
        "REMIND_TEMPLATES_DIR": str(settings.templates_dir.resolve()),
        "REMIND_DATA_DIR": str(settings.data_dir.resolve()),
        "REMIND_DEMO_CLOCK": demo_clock(),
        "REMIND_TICK_SECONDS": "0.5",
        "REMIND_LEASE_SECONDS": str(int(60 * SCALE)),  # a real minute
        # half a real minute of silence before a worker counts as dead, as in production
        "REMIND_WORKER_HEARTBEAT_SECONDS": str(int(30 * SCALE)),
        "REMIND_API_KEYS": key,
        "PUBLIC_BASE_URL": base.get("PUBLIC_BASE_URL") or web,
        "REMIND_SECRET_KEY": base.get("REMIND_SECRET_KEY") or secrets.token_urlsafe(24),
        "PYTHONUNBUFFERED": "1",
    }
    if fakes is not None and not given(base, "TWILIO_API_BASE_URL"):
        env |= {
            "TWILIO_API_BASE_URL": fakes["twilio"],
            "TWILIO_ACCOUNT_SID": FAKE_SID,
            "TWILIO_AUTH_TOKEN": fakes["token"],
            "TWILIO_FROM_NUMBER": FAKE_FROM,
        }
        env.pop("TWILIO_MESSAGING_SERVICE_SID", None)
    if fakes is not None and not given(base, "SMTP_URL"):
        env |= {"SMTP_URL": fakes["smtp"], "EMAIL_FROM": SENDER}
    env.setdefault("EMAIL_FROM", SENDER)
    env["REMIND_CHANNELS"] = "sms=live,email=live"
    Settings.from_env(env)  # a half-configured provider stops the demo here, naming it
    voice_live, why = True, ""
    try:
        Settings.from_env({**env, "REMIND_CHANNELS": "sms=live,email=live,voice=live"})
    except ConfigError as e:  # detected, not assumed: voice goes live once it can
        voice_live, why = False, str(e).removeprefix("REMIND_CHANNELS: ")
    if voice_live:
        env["REMIND_CHANNELS"] += ",voice=live"
    smtp = Settings.from_env(env).smtp_url or ""
    return Plan(
        env=env,
        twilio=env["TWILIO_API_BASE_URL"],
        smtp=without_password(smtp),
        web=web,
        voice_live=voice_live,
        voice_why=why,
        api_key=key,
    )


def given(env: dict[str, str], name: str) -> bool:
    """Whether ``env`` sets ``name`` (an empty value counts as unset, as in ``Settings``)."""
    return bool((env.get(name) or "").strip())


def needs_fakes(env: dict[str, str]) -> bool:
    """Whether a provider is missing, so the fakes process must stand in for it."""
    return not (given(env, "TWILIO_API_BASE_URL") and given(env, "SMTP_URL"))


def children(port: int) -> list[tuple[str, list[str]]]:
    """The processes of ``remind run``, small: web, one worker process, the scheduler."""
    from worker.runtime.processes import worker_command

    remind = [sys.executable, "-m", "worker.cli"]
    return [
        ("web", [*remind, "web", "--port", str(port)]),
        ("worker", worker_command(1, 4)),
        ("scheduler", [*remind, "scheduler"]),
    ]


def fakes_command(token: str) -> list[str]:
    """The emulator and sink process (``worker.testing.fakes``), started, never imported."""
    return [sys.executable, "-m", "worker.testing.fakes", "--account-sid", FAKE_SID,
            "--auth-token", token, "--sms", FAKE_SMS, "--calls", FAKE_CALLS]  # fmt: skip
