"""Duties remind cannot perform are rules too: notes that cite the law and warn where it bites.

remind sends no validation notice (15 U.S.C. 1692g; 12 CFR 1006.34) and does not know whether a
debt is time-barred (Cal. Civ. Code 1788.14(d)). Each is a ``note`` rule in its pack, shown by
``remind packs show``; with ``warns_on`` the gate records a ``warn`` check on the messages where
the duty arises, so the audit log shows who must act: on a message that may be the initial
communication, and on every written message to a Californian.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import evaluate_step
from worker.gate.packs.files import builtin_packs
from worker.gate.types import Check
from worker.intake import enroll

from .pipeline_helpers import account, make_app

SCHEDULE = """\
name: t
version: "1"
locale: en
send_time: "10:00"
collector: third_party
policy:
  hours: {start: "00:00", end: "23:59"}
tiers:
  - name: early
    steps:
      - {day: 1, channel: sms, template: reminder}
      - {day: 2, channel: voice, template: reminder_call}
"""
CA_ADDRESS = {"country": "US", "region": "CA", "city": "Fresno"}
AT = datetime(2026, 3, 2, 18, tzinfo=UTC)


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    return make_app(redis_url, tmp_path, clock, schedule=SCHEDULE)


def check_of(app: App, rule: str, step: int = 0, **state_fields: object) -> Check | None:
    state = app.store.require("A-1")
    for name, value in state_fields.items():
        setattr(state, name, value)
    schedule = app.pinned_schedule(state.schedule_ref)
    decision = evaluate_step(app, state, schedule, schedule.occurrences[step], AT)
    assert decision.judgement is not None
    return next((c for c in decision.judgement.checks if c.rule.split("@")[0] == rule), None)


def test_the_validation_notice_is_a_cited_note_of_the_federal_pack() -> None:
    rule = builtin_packs()["us-federal"].rule("F-validation")
    assert (rule.kind, rule.citation, rule.collectors, rule.warns_on) == (
        "note",
        "15 U.S.C. 1692g(a); 12 CFR 1006.34(a)(1)",
        frozenset({"third_party"}),
        "initial_communication",
    )


def test_the_california_time_barred_notice_is_a_cited_note_of_the_california_pack() -> None:
    rule = builtin_packs()["us-ca"].rule("CA-time-barred")
    assert (rule.kind, rule.citation, rule.channels, rule.warns_on) == (
        "note",
        "Cal. Civ. Code 1788.14(d)",
        frozenset({"sms", "email"}),
        "written",
    )


def test_a_message_that_may_be_the_initial_communication_warns_of_the_validation_notice(
    app: App,
) -> None:
    enroll(app, parse_account(account()))
    check = check_of(app, "us-federal/F-validation")
    assert check is not None and check.verdict == "warn"
    assert check.detail is not None and "within five days" in check.detail


def test_once_something_was_communicated_the_validation_notice_no_longer_warns(app: App) -> None:
    enroll(app, parse_account(account()))
    check = check_of(app, "us-federal/F-validation", communicated=["written"])
    assert check is not None and check.verdict == "n/a"


def test_a_call_before_any_communication_warns_too_since_it_may_be_answered(app: App) -> None:
    enroll(app, parse_account(account()))
    check = check_of(app, "us-federal/F-validation", step=1, sent_count=3)
    assert check is not None and check.verdict == "warn"


@pytest.mark.parametrize(("step", "verdict"), [(0, "warn"), (1, None)])
def test_every_written_message_to_a_californian_warns_of_the_time_barred_notice(
    app: App, step: int, verdict: str | None
) -> None:
    enroll(app, parse_account(account(address=CA_ADDRESS)))
    check = check_of(app, "us-ca/CA-time-barred", step=step, communicated=["written"])
    assert (check.verdict if check else None) == verdict
