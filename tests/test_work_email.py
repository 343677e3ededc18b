"""F12 (12 CFR 1006.22(f)(3)): no email to an employer's address unless the person consented to
that address or wrote from it. Consent to the email channel as a whole is not consent to it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.pipeline import evaluate_step
from worker.gate.consent import reach
from worker.gate.decide import Decision
from worker.intake import apply_event, enroll

from .pipeline_helpers import account, make_app

EMAIL_FIRST = """\
name: t
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "00:00", end: "23:59"}
tiers:
  - name: early
    steps:
      - {day: 1, channel: email, template: reminder}
"""

WORK = "sam@corp.example"
F12 = "us-federal/F12@2026-11-29"
NOON_NY = datetime(2026, 3, 2, 17, tzinfo=UTC)


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    return make_app(redis_url, tmp_path, clock, schedule=EMAIL_FIRST)


def enrolled(app: App, consent: bool = False, **fields: Any) -> None:
    emails = [{"address": WORK, "kind": "work", "consent": consent}]
    data = account(timezone="America/New_York", emails=emails, **fields)
    enroll(app, parse_account(data))


def event(app: App, type_: str, **fields: Any) -> None:
    apply_event(app, parse_event({"account_id": "A-1", "type": type_, **fields}))


def judged(app: App) -> Decision:
    state = app.store.require("A-1")
    schedule = app.pinned_schedule(state.schedule_ref)
    return evaluate_step(app, state, schedule, schedule.occurrences[0], NOON_NY)


def test_consent_to_the_email_channel_does_not_unlock_a_work_address(app: App) -> None:
    enrolled(app)
    event(app, "opt_in", channel="email")
    d = judged(app)
    assert (d.action, d.rule) == ("suppress", F12)


def test_an_opt_in_naming_the_work_address_unlocks_it(app: App) -> None:
    enrolled(app)
    event(app, "opt_in", channel="email", address=WORK)
    assert judged(app).action == "allow"


def test_the_work_addresss_own_consent_flag_unlocks_it(app: App) -> None:
    enrolled(app, consent=True)
    assert judged(app).action == "allow"


def test_an_email_from_the_work_address_unlocks_it(app: App) -> None:
    enrolled(app)
    event(app, "opt_in", channel="email")
    event(app, "reply", channel="email", address=WORK, text="I will pay on Friday")
    d = judged(app)
    assert (d.action, d.recipient) == ("allow", WORK)


def test_an_email_from_another_address_does_not_unlock_the_work_address(app: App) -> None:
    enrolled(app)
    event(app, "opt_in", channel="email")
    event(app, "reply", channel="email", address="sam@home.example", text="I will pay on Friday")
    assert judged(app).rule == F12


def test_an_email_from_the_work_address_is_not_consent_to_email_at_all(app: App) -> None:
    # the house asks for consent to a channel before using it; a message is not that consent
    enrolled(app)
    event(app, "reply", channel="email", address=WORK, text="I will pay on Friday")
    d = judged(app)
    assert (d.action, d.reason) == ("suppress", "no_consent")


def test_a_personal_address_still_goes_on_consent_to_the_channel(app: App) -> None:
    emails = [{"address": "sam@home.example", "kind": "personal", "consent": False}]
    enroll(app, parse_account(account(timezone="America/New_York", emails=emails)))
    event(app, "opt_in", channel="email")
    d = judged(app)
    assert (d.action, d.recipient) == ("allow", "sam@home.example")


def test_reach_says_whether_the_address_itself_has_consent() -> None:
    acct = parse_account(account(emails=[{"address": WORK, "kind": "work", "consent": False}]))
    assert reach(acct, "email", set(), {"email"}).consent is False
    assert reach(acct, "email", set(), {f"email:{WORK}"}).consent is True
    assert reach(acct, "email", set(), {"email", f"used:email:{WORK}"}).consent is True
