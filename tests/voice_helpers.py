"""A live call end to end: an App whose calls go to the Twilio emulator (settings read as from
the environment, ``REMIND_CHANNELS=voice=live``), the web service Twilio fetches the call's
TwiML from, and requests signed as Twilio signs them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from tests.pipeline_helpers import ROOT, TEST_SCHEDULE, account, run_until
from tests.twilio_helpers import AGENT, FROM, PUBLIC, SID, TOKEN
from worker.app import App, default_channels
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.storage import connection
from worker.testing.twilio_emulator import TwilioEmulator
from worker.web.server import create_app

#: When the test cadence's call (late.1, day 8) has been placed: 2026-03-09, 12:00 in New York.
AFTER_CALL = datetime(2026, 3, 9, 16, tzinfo=UTC)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class LiveCall:
    """The web service, the App behind it and the call the emulator received."""

    web: TestClient
    app: App
    fields: dict[str, str]

    @property
    def twiml_url(self) -> str:
        return self.fields["Url"]

    def post(self, url: str, form: dict[str, str], token: str = TOKEN) -> tuple[int, str]:
        """POST ``form`` to ``url`` (a full public URL) signed with ``token``: status, body."""
        return signed_post(self.web, url, form, token)

    def call_form(self, **more: str) -> dict[str, str]:
        """The fields Twilio sends with every request about this call."""
        return {
            "CallSid": "CA" + "1" * 32,
            "AccountSid": SID,
            "From": FROM,
            "To": self.fields["To"],
            "CallStatus": "in-progress",
            "Direction": "outbound-api",
            **more,
        }

    def recorded(self) -> list[dict[str, Any]]:
        return list(self.app.recorded)  # type: ignore[attr-defined]


def signed_post(web: TestClient, url: str, form: dict[str, str], token: str) -> tuple[int, str]:
    """POST as Twilio does: form-encoded, ``X-Twilio-Signature`` over the URL and the form.
    The status and the body; the call's TwiML must come as XML."""
    assert url.startswith(PUBLIC), url
    signature = RequestValidator(token).compute_signature(url, form)
    headers = {**FORM, "X-Twilio-Signature": signature}
    r = web.post(url.removeprefix(PUBLIC), content=urlencode(form), headers=headers)
    if r.status_code == 200 and url.startswith(f"{PUBLIC}/twilio/voice/"):
        assert r.headers["content-type"].startswith("text/xml"), r.headers  # TwiML
    return r.status_code, r.text


def live_call(
    redis_url: str,
    tmp_path: Path,
    clock: SimulatedClock,
    twilio: TwilioEmulator,
    *,
    agent: bool = True,
    **account_fields: Any,
) -> LiveCall:
    """Enroll A-1 and run the cadence to its call, placed live at the emulator."""
    schedules = tmp_path / "schedules"
    schedules.mkdir(exist_ok=True)
    (schedules / "t.yaml").write_text(TEST_SCHEDULE)
    env = {
        "REDIS_URL": redis_url,
        "REMIND_SCHEDULES_DIR": str(schedules),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "REMIND_CHANNELS": "voice=live",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": PUBLIC,
        "REMIND_PROVIDER_TIMEOUT_SECONDS": "2",
    }
    if agent:
        env["REMIND_AGENT_NUMBER"] = AGENT
    settings = Settings.from_env(env)
    client = connection.client(redis_url)

    def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    outcomes: list[dict[str, Any]] = []
    channels = default_channels(settings, clock, client, sleep=sleep)
    app = App(settings, client, clock, channels=channels, sinks=[outcomes.append])
    app.recorded = outcomes  # type: ignore[attr-defined]
    enroll(app, parse_account(account(**account_fields)))
    run_until(app, clock, AFTER_CALL)
    [call] = [r for r in twilio.requests if r.kind == "Calls"]
    return LiveCall(TestClient(create_app(app, settings)), app, call.fields)


def gather_action(twiml: str) -> str:
    """The action URL of the document's ``<Gather>``, as Twilio reads it (XML unescaped)."""
    found = ET.fromstring(twiml).find("Gather")
    assert found is not None, twiml
    return found.attrib["action"]
