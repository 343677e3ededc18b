"""``remind schedules migrate``: accounts move to another version at the equivalent position.

Schedule ``m`` version 1 has six steps; version 2 removes the day-2 SMS, moves the day-3 SMS to
day 4, adds SMS on days 6 and 10 and drops the day-12 email. Accounts enrolled at different
days past due sit at different steps of version 1; the migration's report, their new pending
steps and timeline entries are checked exactly, as is what the pipeline then sends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from rich.console import Console

from worker.app import App
from worker.cadence.migration import equivalent_step
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.explain import explain_account
from worker.errors import InvalidInput
from worker.intake import apply_event, enroll
from worker.migration import migrate

from .pipeline_helpers import ROOT, account, make_app, run_until

HEAD = """\
name: m
version: "{version}"
locale: en
send_time: "10:00"
policy:
  hours: {{start: "09:00", end: "20:00"}}
caller: {{name: Northwind Lending, callback_number: "+1 800 555 0100", contact_name: Sam Carter}}
tiers:
"""
V1 = (
    HEAD.format(version="1")
    + """\
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
"""
)
V2 = (
    HEAD.format(version="2")
    + """\
  - name: early
    steps:
      - {day: 1, channel: sms, template: friendly_nudge}
      - {day: 4, channel: sms, template: reminder}
      - {day: 5, channel: email, template: friendly_nudge}
      - {day: 6, channel: sms, template: reminder}
  - name: late
    steps:
      - {day: 8, channel: voice, template: reminder_call, fallback: sms}
      - {day: 10, channel: sms, template: reminder}
"""
)


def _app(redis_url: str, tmp_path: Path, clock: SimulatedClock) -> App:
    app = make_app(redis_url, tmp_path, clock)
    (tmp_path / "schedules" / "t.yaml").unlink()
    (tmp_path / "schedules" / "m.yaml").write_text(V1)
    return app


def _publish_v2(tmp_path: Path) -> None:
    path = tmp_path / "schedules" / "m.yaml"
    path.write_text(V2)
    stat = path.stat()  # an editor's save moves the mtime on; the App re-reads on it
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _enroll_at_positions(app: App) -> None:
    """A-1 at day 1 (early.1), A-2 at day 2 (early.2), A-3 at day 4 (early.4, the day-5 email),
    A-4 at day 9 (late.2, day 12), A-5 at day 3 (early.3) and then held by a dispute, A-6 at
    day 12 (late.2)."""
    for account_id, due in [
        ("A-1", "2026-03-01"),
        ("A-2", "2026-02-28"),
        ("A-3", "2026-02-26"),
        ("A-4", "2026-02-21"),
        ("A-5", "2026-02-27"),
        ("A-6", "2026-02-18"),
    ]:
        enroll(app, parse_account(account(account_id=account_id, schedule="m", due_date=due,
                                          person_id=f"P-{account_id}")))  # fmt: skip
    apply_event(app, parse_event({"account_id": "A-5", "type": "dispute"}))


def _snapshot(client: redis.Redis) -> dict[str, Any]:
    return {k: client.dump(k) for k in sorted(client.scan_iter(count=1000))}


EXPECTED_TEXT = [
    "A-1 [active] m@1: early.1 (day 1, early, sms) due 2026-03-02T15:00:00Z"
    " -> early.1 (day 1, early, sms) due 2026-03-02T15:00:00Z",
    "A-2 [active] m@1: early.2 (day 2, early, sms) due 2026-03-02T15:00:00Z"
    " -> early.2 (day 4, early, sms) due 2026-03-04T15:00:00Z",
    # on day 4, version 2's day-4 SMS (version 1's day 3, moved) is due today
    "A-3 [active] m@1: early.4 (day 5, early, email) due 2026-03-03T15:00:00Z"
    " -> early.2 (day 4, early, sms) due 2026-03-02T15:00:00Z",
    # on day 9, the day-10 SMS version 2 adds comes before the day-12 email it drops
    "A-4 [active] m@1: late.2 (day 12, late, email) due 2026-03-05T15:00:00Z"
    " -> late.2 (day 10, late, sms) due 2026-03-03T15:00:00Z",
    "A-5 [held] m@1: early.3 (day 3, early, sms) due 2026-03-02T15:00:00Z"
    " -> early.2 (day 4, early, sms) due 2026-03-03T15:00:00Z",
    "A-6 [completed] m@1: late.2 (day 12, late, email) due 2026-03-02T15:00:00Z -> no pending step",
]
EXPECTED_COUNTS = {
    "moved": 6, "busy": 0, "already_on_target": 0, "same_step": 1, "other_step": 4,
    "cadence_ends": 1, "no_pending_step": 0,
}  # fmt: skip


def test_a_dry_run_reports_every_move_exactly_and_leaves_redis_unchanged(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = _app(redis_url, tmp_path, clock)
    _enroll_at_positions(app)
    _publish_v2(tmp_path)
    before = _snapshot(redis_client)
    report = migrate(app, "m", "2", dry_run=True)
    assert [m.text() for m in report.moves] == EXPECTED_TEXT
    assert {m.result for m in report.moves} == {"would_move"}
    assert report.counts() == EXPECTED_COUNTS
    assert _snapshot(redis_client) == before


def test_a_migration_moves_each_account_and_its_timeline_entry_and_a_second_run_is_a_no_op(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = _app(redis_url, tmp_path, clock)
    _enroll_at_positions(app)
    _publish_v2(tmp_path)
    report = migrate(app, "m", "2")
    assert [m.text() for m in report.moves] == EXPECTED_TEXT
    assert report.counts() == EXPECTED_COUNTS
    states = {a: app.store.require(a) for a in ("A-1", "A-2", "A-3", "A-4", "A-5", "A-6")}
    assert {a: (s.schedule_ref, s.status, s.cursor) for a, s in states.items()} == {
        "A-1": ("m@2", "active", 0), "A-2": ("m@2", "active", 1), "A-3": ("m@2", "active", 1),
        "A-4": ("m@2", "active", 5), "A-5": ("m@2", "held", 1),
        "A-6": ("m@2", "completed", None),
    }  # fmt: skip
    timeline = {a: app.timeline.due_at(a) for a in states}
    assert timeline == {
        "A-1": datetime(2026, 3, 2, 15, tzinfo=UTC), "A-2": datetime(2026, 3, 4, 15, tzinfo=UTC),
        "A-3": datetime(2026, 3, 2, 15, tzinfo=UTC), "A-4": datetime(2026, 3, 3, 15, tzinfo=UTC),
        "A-5": datetime(2026, 3, 3, 15, tzinfo=UTC), "A-6": None,
    }  # fmt: skip
    records = [o for o in app.recorded if o["outcome"] == "migrated"]  # type: ignore[attr-defined]
    assert [(o["account_id"], o["schedule"], o["step"], o["reason"], o["next_attempt_at"])
            for o in records] == [
        ("A-1", "m@2", "early.1", "migrated_from: m@1 at early.1", "2026-03-02T15:00:00Z"),
        ("A-2", "m@2", "early.2", "migrated_from: m@1 at early.2", "2026-03-04T15:00:00Z"),
        ("A-3", "m@2", "early.2", "migrated_from: m@1 at early.4", "2026-03-02T15:00:00Z"),
        ("A-4", "m@2", "late.2", "migrated_from: m@1 at late.2", "2026-03-03T15:00:00Z"),
        ("A-5", "m@2", "early.2", "migrated_from: m@1 at early.3", "2026-03-03T15:00:00Z"),
        ("A-6", "m@2", None, "migrated_from: m@1 at late.2", None),
    ]  # fmt: skip
    # the record shows in `remind explain`
    console = Console(record=True, width=240)
    explain_account(app, "A-2", console)
    shown = console.export_text()
    assert "schedule m@2, status active" in shown
    assert "next step: early.2 (early, day 4) sms template reminder" in shown
    assert "migrated" in shown and "migrated_from: m@1 at early.2" in shown
    # a second run finds nothing to move and writes nothing
    before = _snapshot(redis_client)
    again = migrate(app, "m", "2")
    assert again.moves == [] and again.already == 6
    assert _snapshot(redis_client) == before


def test_after_a_migration_the_pipeline_sends_the_new_version_without_a_step_already_sent(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    """Version 1 sent early.1 and early.2 (keys ``A-1:early.1:0``, ``A-1:early.2:0``); version 2
    reuses the key early.2 for its day-4 SMS, which goes out under attempt 1, not as a
    duplicate."""
    app = _app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account(schedule="m")))
    run_until(app, clock, datetime(2026, 3, 3, 16, tzinfo=UTC))
    _publish_v2(tmp_path)
    report = migrate(app, "m", "2")
    assert [m.text() for m in report.moves] == [
        "A-1 [active] m@1: early.3 (day 3, early, sms) due 2026-03-04T15:00:00Z"
        " -> early.2 (day 4, early, sms) due 2026-03-05T15:00:00Z"
    ]
    run_until(app, clock, datetime(2026, 3, 14, tzinfo=UTC))
    sent = [
        (o["at"], o["schedule"], o["step"], o["channel"], o["provider_id"].rsplit(":", 2)[1:])
        for o in app.recorded  # type: ignore[attr-defined]
        if o["outcome"] == "sent"
    ]
    assert sent == [
        ("2026-03-02T15:00:00Z", "m@1", "early.1", "sms", ["early.1", "0"]),
        ("2026-03-03T15:00:00Z", "m@1", "early.2", "sms", ["early.2", "0"]),
        ("2026-03-05T15:00:00Z", "m@2", "early.2", "sms", ["early.2", "1"]),
        ("2026-03-06T15:00:00Z", "m@2", "early.3", "email", ["early.3", "0"]),
        ("2026-03-07T15:00:00Z", "m@2", "early.4", "sms", ["early.4", "0"]),
        ("2026-03-09T14:00:00Z", "m@2", "late.1", "voice", ["late.1", "0"]),
        ("2026-03-11T14:00:00Z", "m@2", "late.2", "sms", ["late.2", "0"]),
    ]


def test_a_migration_in_a_later_cycle_looks_for_an_attempt_unclaimed_in_that_cycle(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    """The first cadence sent early.1 only; re-enrolled with a new due date, the second sent
    early.1 and early.2 (``A-1:early.2~c1:0``). Version 2's early.2 (day 4) must go out under
    attempt 1 of that cycle: ``A-1:early.2:0``, never claimed, says nothing about it."""
    app = _app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account(schedule="m")))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert enroll(app, parse_account(account(schedule="m", due_date="2026-03-08"))).cycle == 1
    run_until(app, clock, datetime(2026, 3, 10, 15, tzinfo=UTC))
    _publish_v2(tmp_path)
    report = migrate(app, "m", "2")
    assert [m.text() for m in report.moves] == [
        "A-1 [active] m@1: early.3 (day 3, early, sms) due 2026-03-11T14:00:00Z"
        " -> early.2 (day 4, early, sms) due 2026-03-12T14:00:00Z"
    ]
    assert app.store.require("A-1").attempt == 1
    run_until(app, clock, datetime(2026, 3, 14, tzinfo=UTC))
    sent = [
        (o["at"], o["schedule"], o["step"], o["provider_id"])
        for o in app.recorded  # type: ignore[attr-defined]
        if o["outcome"] in ("sent", "skipped")
    ]
    assert sent == [
        ("2026-03-02T15:00:00Z", "m@1", "early.1", "A-1:early.1:0"),
        ("2026-03-09T14:00:00Z", "m@1", "early.1", "A-1:early.1~c1:0"),
        ("2026-03-10T14:00:00Z", "m@1", "early.2", "A-1:early.2~c1:0"),
        ("2026-03-12T14:00:00Z", "m@2", "early.2", "A-1:early.2~c1:1"),
        ("2026-03-13T14:00:00Z", "m@2", "early.3", "A-1:early.3~c1:0"),
    ]


def test_an_unknown_version_names_the_versions_there_are(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = _app(redis_url, tmp_path, clock)
    _enroll_at_positions(app)
    _publish_v2(tmp_path)
    with pytest.raises(InvalidInput) as caught:
        migrate(app, "m", "3", dry_run=True)
    assert (
        str(caught.value) == "--to: schedule 'm' has no version '3'; versions: 1 (pinned), 2 (file)"
    )


def test_a_version_pinned_in_redis_is_a_target_too(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    """Back from version 2 to version 1, no longer the file's: the pinned copy serves. On day 2,
    version 1's day-2 SMS is due today."""
    app = _app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account(schedule="m", due_date="2026-02-28")))
    _publish_v2(tmp_path)
    migrate(app, "m", "2")
    back = migrate(app, "m", "1")
    assert [m.text() for m in back.moves] == [
        "A-1 [active] m@2: early.2 (day 4, early, sms) due 2026-03-04T15:00:00Z"
        " -> early.2 (day 2, early, sms) due 2026-03-02T15:00:00Z"
    ]


S = """\
name: s
version: "{v}"
locale: en
send_time: "10:00"
tiers:
  - name: early
    steps:
{steps}
"""


def _s(v: str, *steps: str) -> Any:
    return parse_schedule(S.format(v=v, steps="".join(f"      - {s}\n" for s in steps)), file="s")


A = "{day: 1, channel: sms, template: a}"


@pytest.mark.parametrize(
    ("old_steps", "cursor", "today", "new_steps", "expected"),
    [
        # unchanged cadence: the same step
        ([A, "{day: 3, channel: sms, template: a}"], 1, 2,
         [A, "{day: 3, channel: sms, template: a}"], "early.2"),
        # a step added before today is not replayed; one between today and the pending day is sent
        ([A, "{day: 5, channel: sms, template: a}"], 1, 3,
         [A, "{day: 2, channel: email, template: a}", "{day: 4, channel: email, template: a}",
          "{day: 5, channel: sms, template: a}"], "early.3"),
        # a pending step deferred past its day stays due from its own day
        ([A, "{day: 5, channel: sms, template: a}"], 1, 7,
         [A, "{day: 5, channel: sms, template: b}"], "early.2"),
        # two steps on the pending day, one done: the done one is not sent again
        (["{day: 2, channel: sms, template: a}", "{day: 2, channel: email, template: a}"], 1, 2,
         ["{day: 2, channel: email, template: a}", "{day: 2, channel: sms, template: b}"],
         "early.1"),
        (["{day: 2, channel: sms, template: a}", "{day: 2, channel: email, template: a}"], 1, 2,
         ["{day: 2, channel: sms, template: b}", "{day: 4, channel: voice, template: a}"],
         "early.2"),
        # nothing left at or after the position: the cadence ends
        ([A, "{day: 9, channel: sms, template: a}"], 1, 6,
         [A, "{day: 5, channel: sms, template: a}"], None),
    ],
    ids=["unchanged", "added before and between", "deferred", "same day done", "same day other",
         "none left"],
)  # fmt: skip
def test_the_equivalent_step(
    old_steps: list[str], cursor: int, today: int, new_steps: list[str], expected: str | None
) -> None:
    found = equivalent_step(_s("1", *old_steps), cursor, _s("2", *new_steps), today)
    assert (found.key if found else None) == expected


def test_the_command_prints_the_report_and_json(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = _app(redis_url, tmp_path, clock)
    _enroll_at_positions(app)
    _publish_v2(tmp_path)
    env = {
        **os.environ, "REDIS_URL": redis_url, "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"), "REMIND_DATA_DIR": str(tmp_path / "var"),
        "REMIND_FIXED_NOW": "2026-03-02T12:00:00Z", "COLUMNS": "200",
    }  # fmt: skip

    def remind(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "worker.cli", *args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)

    dry = remind("schedules", "migrate", "m", "--to", "2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        *EXPECTED_TEXT,
        "m -> m@2: 6 account(s) would move (1 to the same step, 4 to another, 1 whose cadence "
        "ends, 0 without a pending step), 0 busy (run again), 0 already on it — dry run, "
        "nothing changed",
    ]
    done = remind("schedules", "migrate", "m", "--to", "2", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"] == EXPECTED_COUNTS and report["dry_run"] is False
    assert report["accounts"][1] == {
        "account_id": "A-2", "status": "active", "from": "m@1", "to": "m@2",
        "old": {"step": "early.2", "tier": "early", "day": 2, "channel": "sms",
                "due": "2026-03-02T15:00:00Z"},
        "new": {"step": "early.2", "tier": "early", "day": 4, "channel": "sms",
                "due": "2026-03-04T15:00:00Z"},
        "result": "moved",
    }  # fmt: skip
    unknown = remind("schedules", "migrate", "m", "--to", "7")
    assert unknown.returncode == 2
    assert (
        "schedule 'm' has no version '7'; versions: 1 (pinned), 2 (file, pinned)" in unknown.stderr
    )


def test_an_account_whose_lock_is_held_is_reported_busy_and_left_as_it_was(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = _app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account(schedule="m", due_date="2026-02-28")))
    _publish_v2(tmp_path)
    with app.store.locked("A-1", "A-1"):  # a dispatch deciding it, say
        report = migrate(app, "m", "2")
    assert [(m.account_id, m.result) for m in report.moves] == [("A-1", "busy")]
    assert report.counts()["busy"] == 1 and report.counts()["moved"] == 0
    assert app.store.require("A-1").schedule_ref == "m@1"
    assert app.timeline.due_at("A-1") == datetime(2026, 3, 2, 15, tzinfo=UTC)
    assert [m.result for m in migrate(app, "m", "2").moves] == ["moved"]  # run again


def test_only_from_leaves_the_accounts_of_other_versions(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    """A challenger's accounts stay on it while the champion's move on."""
    app = _app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account(account_id="A-1", schedule="m")))
    _publish_v2(tmp_path)
    enroll(app, parse_account(account(account_id="A-2", person_id="P-2", schedule="m")))
    path = tmp_path / "schedules" / "m.yaml"
    path.write_text(V2.replace('version: "2"', 'version: "3"'))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000_000))
    report = migrate(app, "m", "3", only_from="1")
    assert [(m.account_id, m.from_ref) for m in report.moves] == [("A-1", "m@1")]
    assert app.store.require("A-2").schedule_ref == "m@2"
