"""CA1: a schedule that may reach people in California says its licence number, or that it needs
none (``licences: {US-CA: exempt}``). Without either, ``remind schedules check`` fails for a US
schedule and every SMS and email to a person in California is suppressed citing CA1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from worker.cadence.schedule import list_schedules, parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.gate.plancheck import licence_gaps
from worker.intake import enroll

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, outbox, run_until

CA1 = "us-ca/CA1@2026-11-29"
US_SCHEDULE = TEST_SCHEDULE + "country: US\n"
CA_PERSON = {
    "timezone": "America/Los_Angeles",
    "address": {"country": "US", "region": "CA", "city": "Fresno"},
    "phones": [{"number": "+15595550123", "kind": "mobile", "sms_consent": True}],
}
MISSING = (
    "licences.US-CA: a US schedule may reach people in US-CA, whose written messages "
    f"must show the collector's licence number ({CA1}): give the number, or exempt"
)


# --- the schedule check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "gaps"),
    [
        ("country: US\n", [MISSING]),
        ("country: US\nlicences: {US-CA: exempt}\n", []),
        ("country: US\nlicences: {US-CA: '10012345'}\n", []),
        ("country: CN\n", []),
        ("", []),  # no country: warned about by the command, not failed
    ],
)
def test_a_us_schedule_must_give_a_california_licence_or_say_exempt(
    extra: str, gaps: list[str]
) -> None:
    assert licence_gaps(parse_schedule(TEST_SCHEDULE + extra, file="t.yaml")) == gaps


def check(schedules: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", "schedules", "check", *names],
        env={
            **os.environ,
            "REMIND_SCHEDULES_DIR": str(schedules),
            "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
            "COLUMNS": "300",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_schedules_check_fails_a_us_schedule_without_a_california_licence(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(US_SCHEDULE)
    (tmp_path / "e.yaml").write_text(
        US_SCHEDULE.replace("name: t", "name: e") + "licences: {US-CA: exempt}\n"
    )
    (tmp_path / "n.yaml").write_text(TEST_SCHEDULE.replace("name: t", "name: n"))
    done = check(tmp_path)
    assert done.returncode == 1
    assert f"fail t@1: {MISSING}" in done.stderr
    assert "ok   e@1: 6 steps over days 1-12" in done.stdout
    assert (
        "warn n@1: no country: if it may reach people in US-CA, set licences.US-CA "
        "(a licence number, or exempt)"
    ) in done.stdout
    assert "ok   n@1: 6 steps over days 1-12" in done.stdout


def test_every_schedule_in_the_folder_and_the_aggressive_example_pass_the_check() -> None:
    # Every file in schedules/, not a fixed list: an ops team's own schedule is checked too.
    names = list_schedules(ROOT / "schedules")
    assert {"standard", "zh-cn"} <= set(names)
    done = check(ROOT / "schedules", *names, str(ROOT / "examples" / "aggressive.yaml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok   ") == len(names) + 1


def test_a_schedule_an_ops_team_adds_is_checked_with_the_shipped_ones(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "schedules", tmp_path / "schedules")
    text = (ROOT / "schedules" / "standard.yaml").read_text()
    (tmp_path / "schedules" / "ops.yaml").write_text(text.replace("name: standard", "name: ops"))
    done = check(tmp_path / "schedules")  # no names: every schedule in the folder
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok   ") == len(list_schedules(ROOT / "schedules")) + 1
    assert "ok   ops@" in done.stdout


# --- sends to people in California ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("licences", "outcome", "rule"),
    [
        ("", "suppressed", CA1),
        ("licences: {US-CA: exempt}\n", "sent", None),
        ("licences: {US-CA: '10012345'}\n", "sent", None),
    ],
)
def test_a_text_to_california_without_a_licence_or_exemption_is_suppressed_citing_ca1(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    licences: str,
    outcome: str,
    rule: str | None,
) -> None:
    app = make_app(redis_url, tmp_path, clock, TEST_SCHEDULE + licences)
    enroll(app, parse_account(account(**CA_PERSON)))
    run_until(app, clock, datetime(2026, 3, 2, 22, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["step"], first["channel"], first["outcome"], first["rule"]) == (
        "early.1",
        "sms",
        outcome,
        rule,
    )
    sent = outbox(app, "sms")
    assert len(sent) == (outcome == "sent")
    if "10012345" in licences:
        assert "Licence no. 10012345" in sent[0]["text"]
    if outcome == "suppressed":
        assert first["reason"] == "template_noncompliant"
