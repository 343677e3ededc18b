"""A schedule's ``plan:`` section (worker.cadence.plan): what it reads, and every mistake named
with its file, line and field."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from worker.cadence.schedule import parse_schedule
from worker.errors import ScheduleError
from worker.rendering.lint import schedule_gaps
from worker.rendering.renderer import Renderer

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
name: t
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "09:00", end: "20:00"}
tiers:
  - name: early
    steps:
      - {day: 1, channel: sms, template: reminder}
  - name: late
    steps:
      - {day: 30, channel: email, template: final_notice}
"""
PLAN = """\
plan:
  grace_days: 5
  on_broken: tier late
  thanks: {channel: sms, template: plan_thanks}
  steps:
    - {after: 2, channel: sms, template: plan_missed}
    - {before: 3, channel: sms, template: plan_reminder}
    - {on: 0, channel: email, template: plan_reminder, send_time: "09:30", fallback: sms}
"""


def test_the_plan_section_is_read_in_the_order_its_steps_come() -> None:
    plan = parse_schedule(BASE + PLAN, file="t.yaml").plan

    assert plan is not None
    assert (plan.grace_days, plan.broken_tier, plan.on_broken) == (5, "late", "tier late")
    assert [(s.name, s.offset, s.channel, s.send_time, s.fallback) for s in plan.steps] == [
        ("before3", -3, "sms", time(10), None),
        ("on0", 0, "email", time(9, 30), "sms"),
        ("after2", 2, "sms", time(10), None),
    ]
    assert plan.thanks is not None and plan.thanks.template == "plan_thanks"
    assert plan.confirmation is None and plan.settlement_offer is None


def test_a_schedule_without_a_plan_section_has_none() -> None:
    assert parse_schedule(BASE, file="t.yaml").plan is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("grace_days: 5", "grace_days: 40"),
            "t.yaml:15: plan.grace_days: must be at most 30 days",
        ),
        (
            ("on_broken: tier late", "on_broken: tier later"),
            "t.yaml:16: plan.on_broken: names tier 'later', which is not a tier here (early, late)",
        ),
        (
            ("on_broken: tier late", "on_broken: restart"),
            "t.yaml:16: plan.on_broken: must be 'resume' or 'tier NAME', not 'restart'",
        ),
        (
            ("{after: 2,", "{after: 6,"),
            "t.yaml:19: plan.steps.0.after: must be at most grace_days (5): later, the plan is"
            " broken and collection has taken over",
        ),
        (
            ("{before: 3,", "{before: 3, after: 1,"),
            "t.yaml:20: plan.steps.1: a plan step has one of before:, on: or after: (days)",
        ),
        (
            ("{on: 0,", "{on: 1,"),
            "t.yaml:21: plan.steps.2.on: must be 0: on: is the instalment's due date",
        ),
        (
            ('send_time: "09:30"', 'send_time: "21:30"'),
            "t.yaml:21: plan.steps.2.send_time: send time 21:30 is outside the email hours"
            " 09:00-20:00",
        ),
        (
            ("template: plan_thanks", "template: Plan-Thanks"),
            "t.yaml:17: plan.thanks.template: must be a template name of a-z, 0-9 and _",
        ),
        (
            ("{before: 3, channel: sms", "{after: 2, channel: email"),
            "t.yaml:20: plan.steps.1: after: 2 is given twice; one step a day",
        ),
    ],
)
def test_plan_section_mistakes_are_named_with_file_line_and_field(
    change: tuple[str, str], message: str
) -> None:
    text = BASE + PLAN.replace(*change)
    with pytest.raises(ScheduleError) as err:
        parse_schedule(text, file="t.yaml")

    assert str(err.value).startswith(message)


def test_schedules_check_names_a_plan_message_whose_template_lacks_its_part() -> None:
    text = BASE + PLAN.replace(
        "thanks: {channel: sms, template: plan_thanks}",
        "thanks: {channel: sms, template: plan_thanks, fallback: email}",
    )
    schedule = parse_schedule(text, file="t.yaml")

    assert schedule_gaps(schedule, Renderer(ROOT / "templates")) == [
        "t@1 plan.thanks: template 'plan_thanks' has no email.txt for its email fallback"
    ]
    shipped = parse_schedule(BASE + PLAN, file="t.yaml")
    assert schedule_gaps(shipped, Renderer(ROOT / "templates")) == []


def test_schedules_plan_lists_the_plan_section_after_the_cadence() -> None:
    env = {**os.environ, "REMIND_SCHEDULES_DIR": str(ROOT / "schedules"), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "worker.cli", "schedules", "plan", "zh-cn", "--due", "2026-03-01"],
        env=env, capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-7:] == [
        "plan: grace_days 3, on_broken resume",
        "plan.<n>.before2   -2 days  10:00  sms   plan_reminder",
        "plan.<n>.on0       +0 days  09:30  sms   plan_reminder",
        "plan.<n>.after1    +1 days  10:00  sms   plan_missed",
        "on confirmation: sms plan_confirmation",
        "on thanks: sms plan_thanks",
        "on settlement_offer: sms settlement_offer",
    ]
