"""`remind schedules check`'s dry run: a cadence that a pack's caps will reshape is reported."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from worker.cadence.schedule import find_schedule, parse_schedule
from worker.cadence.yamlnodes import describe_duration
from worker.cli.schedules import packs_to_check
from worker.gate.packs.files import builtin_packs, find_pack, parse_pack
from worker.gate.plancheck import check_schedule

DAILY_CALLS = """\
name: daily
version: "1"
locale: en
send_time: "10:00"
tiers:
  - name: early
    steps:
      - {every: 1, from: 1, until: 14, channel: voice, template: reminder_call}
"""


def test_a_call_every_day_conflicts_with_massachusetts_two_per_seven_days() -> None:
    schedule = parse_schedule(DAILY_CALLS, file="daily.yaml")
    [ma1, ma2] = check_schedule(schedule, [find_pack("us-ma")])
    assert ma1.rule == "us-ma/MA1@2026-11-29"
    assert ma1.scope == "persons in US-MA, landline/mobile numbers"
    # days 1 and 2 go out; day 3 waits for day 8 (days 4-7 skipped), day 8's step for day 9,
    # day 9's for day 15 (days 10-14 skipped): 3 deferred, the longest by 6 days, 9 skipped
    assert (ma1.deferred, ma1.longest, ma1.skipped) == (3, timedelta(days=6), 9)
    assert ma2.rule == "us-ma/MA2@2026-11-29"


def test_a_cadence_within_every_cap_is_not_reported() -> None:
    weekly = DAILY_CALLS.replace("every: 1, from: 1, until: 14", "every: 7, from: 1, until: 14")
    schedule = parse_schedule(weekly, file="weekly.yaml")
    assert check_schedule(schedule, [find_pack("us-federal"), find_pack("us-ma")]) == []


#: No shipped cap is unverified: this one stands in.
UNVERIFIED_PACK = """\
pack: inline
version: "1"
title: Inline pack
disclaimer: Not legal advice.
applies_when: {country: US}
rules:
  - {id: U1, title: at most 3 calls a week, citation: C, certainty: U, kind: cap,
     channels: [voice], limit: 3, window: 7d}
"""


def test_unverified_rules_are_not_reported_unless_the_schedule_enforces_them() -> None:
    calls = DAILY_CALLS.replace("every: 1, from: 1, until: 14", "every: 2, from: 1, until: 14")
    lenient = parse_schedule(calls, file="a.yaml")
    strict = parse_schedule(calls.replace("send_time:", "enforce_unverified: true\nsend_time:"),
                            file="b.yaml")  # fmt: skip
    pack = parse_pack(UNVERIFIED_PACK, file="inline.yaml")
    assert [r.rule for r in check_schedule(lenient, [pack])] == []
    assert [r.rule for r in check_schedule(strict, [pack])] == ["inline/U1@1"]


ROOT = Path(__file__).resolve().parent.parent


# --- which packs `schedules check` runs a cadence against ----------------------------------------


def test_a_schedule_of_a_country_is_checked_against_that_countrys_packs_only() -> None:
    schedules = ROOT / "schedules"
    zh = find_schedule("zh-cn", schedules)
    assert zh.country == "CN"
    assert sorted(p.name for p in packs_to_check(zh)) == ["cn"]
    us = find_schedule("standard", schedules)
    assert sorted(p.name for p in packs_to_check(us)) == [
        "us-ca", "us-federal", "us-ma", "us-wa",
    ]  # fmt: skip
    anywhere = replace(us, country=None)
    assert sorted(p.name for p in packs_to_check(anywhere)) == sorted(builtin_packs())
    # a pack the schedule names itself is checked whatever its country
    assert "uk" in {p.name for p in packs_to_check(replace(zh, packs=("uk",)))}


def test_the_zh_cn_schedule_is_not_warned_about_us_rules(tmp_path: Path) -> None:
    root = ROOT
    zh = find_schedule("zh-cn", root / "schedules")
    done = subprocess.run(
        [sys.executable, "-m", "worker.cli", "schedules", "check", "zh-cn"],
        env={**os.environ, "REMIND_SCHEDULES_DIR": str(root / "schedules"),
             "REMIND_TEMPLATES_DIR": str(root / "templates")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # before: four warnings about US, US-MA and US-WA caps, which no person of a CN schedule has
    assert done.stdout.splitlines() == [f"ok   {zh.ref}: 15 steps over days 1-45"]


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (604800, "7 days"),
        (86400, "1 day"),
        (7200, "2 hours"),
        (5400, "90 minutes"),
        (61, "61 seconds"),
    ],
)
def test_cap_windows_are_described_in_days_hours_or_minutes(seconds: int, said: str) -> None:
    assert describe_duration(seconds) == said
