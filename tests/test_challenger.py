"""Champion / challenger: a schedule splits its new enrolments between two versions.

The split is stable by person and close to the percent asked; each enrolment is pinned to its
arm's version; a simulation compares the arms' outcomes with Wilson score intervals, checked
against published values and exactly on a small run, in the CLI summary and the HTML report.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
import redis

from worker.cadence.challenger import CHALLENGER, CHAMPION, Challenger, arm_of
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.errors import InvalidInput, ScheduleError
from worker.intake import enroll, enroll_raw
from worker.sim.arms import Arm, arms_html, compare_arms, wilson

from .pipeline_helpers import ROOT, account, make_app
from .test_cli import remind
from .test_migration import V1, V2

BLOCK = 'challenger: {version: "2", file: challengers/m-2.yaml, percent: 50}\n'
#: persons P-1 .. P-8 and their arms under BLOCK (the hash of schedule, version and person)
ARMS = {1: CHAMPION, 2: CHALLENGER, 3: CHAMPION, 4: CHALLENGER, 5: CHAMPION, 6: CHALLENGER,
        7: CHALLENGER, 8: CHALLENGER}  # fmt: skip


def _folder(tmp_path: Path, champion: str = V1 + BLOCK, challenger: str | None = V2) -> Path:
    schedules = tmp_path / "schedules"
    (schedules / "challengers").mkdir(parents=True, exist_ok=True)
    (schedules / "m.yaml").write_text(champion)
    if challenger is not None:
        (schedules / "challengers" / "m-2.yaml").write_text(challenger)
    return schedules


# -- the split ---------------------------------------------------------------------------------


def test_the_split_is_stable_by_person_and_close_to_the_percent() -> None:
    block = Challenger("2026-12-01", 20, None, "s.yaml", 1)
    people = [f"person-{i}" for i in range(10_000)]
    arms = [arm_of("standard", block, p) for p in people]
    share = Counter(arms)[CHALLENGER] / len(people)
    assert 0.185 <= share <= 0.215, share
    assert arms == [arm_of("standard", block, p) for p in people]  # the same person, same arm
    # another experiment (another challenger version) draws a fresh split
    other = Challenger("2027-01-01", 20, None, "s.yaml", 1)
    moved = sum(a != arm_of("standard", other, p) for a, p in zip(arms, people, strict=True))
    assert moved > 1_000


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('challenger: {version: "2", percent: 0}',
         "m.yaml:8: challenger.percent: must be at least 1, not 0"),
        ('challenger: {version: "2", percent: 100}',
         "m.yaml:8: challenger.percent: must be 1 to 99"),
        ("challenger: {percent: 20}", "m.yaml:8: challenger.version: is required"),
        ('challenger: {version: "2", percent: 20, file: m-2.yaml}',
         "m.yaml:8: challenger.file: must be in a sub-folder (challengers/...)"),
        ('challenger: {version: "2", percent: 20, file: ../m-2.yaml}',
         "m.yaml:8: challenger.file: must be a path inside the schedules folder"),
        ('challenger: {version: "2", percent: 20, arms: 3}', "m.yaml:8: challenger"),
    ],
    ids=["zero", "hundred", "no version", "top folder", "outside", "unknown key"],
)  # fmt: skip
def test_a_bad_challenger_block_is_refused_naming_file_line_and_field(
    block: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(V1.replace("tiers:\n", block + "\ntiers:\n"), file="m.yaml")
    assert str(caught.value).startswith(message), str(caught.value)


# -- enrolment -----------------------------------------------------------------------------------


def test_each_enrolment_is_pinned_to_its_arms_version(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    _folder(tmp_path)
    refs = {
        i: enroll(
            app, parse_account(account(account_id=f"A-{i}", person_id=f"P-{i}", schedule="m"))
        ).schedule_ref
        for i in ARMS
    }
    assert refs == {i: "m@1" if arm == CHAMPION else "m@2" for i, arm in ARMS.items()}
    assert app.store.pinned_schedule("m@2") == V2  # the challenger's YAML, pinned as any version
    assert app.pinned_schedule("m@2").occurrences[1].day == 4


@pytest.mark.parametrize(
    ("challenger", "message"),
    [
        (None, "m.yaml:19: challenger: file 'challengers/m-2.yaml' not found in"),
        (V2.replace('version: "2"', 'version: "3"'),
         "m.yaml:19: challenger: says version '2', the challenger is '3'"),
        (V2.replace("name: m", "name: n"), "m.yaml:19: challenger: the challenger is schedule 'n'"),
    ],
    ids=["missing", "other version", "other schedule"],
)  # fmt: skip
def test_a_challenger_that_does_not_fit_rejects_the_enrolments_of_its_arm(
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
    clock: SimulatedClock,
    challenger: str | None,
    message: str,
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    _folder(tmp_path, challenger=challenger)
    out = enroll_raw(app, account(account_id="A-2", person_id="P-2", schedule="m"), "queue")
    assert getattr(out, "outcome", None) == "rejected"
    assert message in (getattr(out, "reason", "") or "")


def test_without_a_file_the_challenger_is_the_version_pinned_in_redis(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    block = 'challenger: {version: "2", percent: 50}\n'
    _folder(tmp_path, champion=V1 + block, challenger=None)
    with pytest.raises(InvalidInput, match="version '2' is not pinned in this Redis"):
        enroll(app, parse_account(account(account_id="A-2", person_id="P-2", schedule="m")))
    app.store.pin_schedule("m@2", V2)
    state = enroll(app, parse_account(account(account_id="A-2", person_id="P-2", schedule="m")))
    assert state.schedule_ref == "m@2"


# -- comparing the arms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(0, 10, 0.0, 0.2775), (1, 10, 0.0179, 0.4042), (5, 10, 0.2366, 0.7634),
     (81, 263, 0.2553, 0.3662), (10, 10, 0.7225, 1.0)],
)  # fmt: skip
def test_the_wilson_interval_matches_published_values(
    k: int, n: int, low: float, high: float
) -> None:
    """Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 is 0.2553 to 0.3662."""
    got = wilson(k, n)
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_compare_arms_counts_each_account_once_per_measure() -> None:
    enrolled = {"A": "m@1", "B": "m@1", "C": "m@2", "D": "other@1"}
    outcomes = [
        {"account_id": "A", "outcome": "sent"}, {"account_id": "A", "outcome": "sent"},
        {"account_id": "C", "outcome": "opted_out"}, {"account_id": "D", "outcome": "sent"},
    ]  # fmt: skip
    events = {"A": ["payment", "paid"], "B": ["dispute", "cease"], "C": ["promise_to_pay"]}
    arms = compare_arms(enrolled, outcomes, events)
    assert arms == [
        Arm("m@1", 2, {"contacted": 1, "paid": 1, "promised": 0, "opted out": 0, "complaints": 1}),
        Arm("m@2", 1, {"contacted": 0, "paid": 0, "promised": 1, "opted out": 1, "complaints": 0}),
    ]  # one version of "other" ran: no comparison for it
    assert "<td class='n'>1/2  50.0% [9.5%–90.5%]</td>" in arms_html(arms)


def test_a_simulation_compares_the_arms_in_its_summary_and_its_report(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Eight people on ``m`` split 50 %: champion P-1, P-3, P-5; challenger the others."""
    schedules = _folder(tmp_path)
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text("".join(
        json.dumps(account(account_id=f"A-{i}", person_id=f"P-{i}", schedule="m")) + "\n"
        for i in ARMS
    ))  # fmt: skip
    events = [
        ("A-1", "paid", "2026-03-03T00:00:00Z", {}),
        ("A-3", "payment", "2026-03-03T00:00:00Z", {"amount": "50.00"}),
        ("A-2", "promise_to_pay", "2026-03-02T13:00:00Z", {"until": "2026-03-10"}),
        ("A-4", "dispute", "2026-03-02T13:00:00Z", {}),
        ("A-6", "opt_out", "2026-03-02T13:00:00Z", {"channel": "sms"}),
        ("A-7", "cease", "2026-03-03T00:00:00Z", {}),
    ]
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(
        json.dumps({"account_id": a, "type": t, "at": at, **more}) + "\n"
        for a, t, at, more in events
    ))  # fmt: skip
    env = {
        **os.environ, "REDIS_URL": redis_url, "REMIND_SCHEDULES_DIR": str(schedules),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"), "REMIND_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "240",
    }  # fmt: skip
    report = tmp_path / "sim" / "report.html"
    done = remind(
        env, "simulate", "--accounts", str(accounts), "--events", str(events_file),
        "--start", "2026-03-02T12:00:00Z", "--days", "3", "--json",
        str(tmp_path / "sim" / "out.jsonl"), "--report", str(report),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [" ".join(line.replace("│", " ").split()) for line in done.stdout.splitlines()]
    assert (
        "m@1 3 3/3 100.0% [43.9%–100.0%] 2/3 66.7% [20.8%–93.9%] 0/3 0.0% [0.0%–56.1%] "
        "0/3 0.0% [0.0%–56.1%] 0/3 0.0% [0.0%–56.1%]"
    ) in rows, done.stdout
    assert (
        "m@2 5 2/5 40.0% [11.8%–76.9%] 0/5 0.0% [0.0%–43.4%] 1/5 20.0% [3.6%–62.4%] "
        "1/5 20.0% [3.6%–62.4%] 2/5 40.0% [11.8%–76.9%]"
    ) in rows, done.stdout
    html = report.read_text()
    assert "<h3>m@1</h3>" in html and "<h3>m@2</h3>" in html  # both plans, the challenger's too
    table = re.search(r"<table id='arms'>(.*?)</table>", html)
    assert table is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table.group(1))
    assert cells == [
        "m@1", "3", "3/3  100.0% [43.9%–100.0%]", "2/3  66.7% [20.8%–93.9%]",
        "0/3  0.0% [0.0%–56.1%]", "0/3  0.0% [0.0%–56.1%]", "0/3  0.0% [0.0%–56.1%]",
        "m@2", "5", "2/5  40.0% [11.8%–76.9%]", "0/5  0.0% [0.0%–43.4%]",
        "1/5  20.0% [3.6%–62.4%]", "1/5  20.0% [3.6%–62.4%]", "2/5  40.0% [11.8%–76.9%]",
    ]  # fmt: skip


def test_schedules_check_fails_on_a_challenger_that_does_not_fit(tmp_path: Path) -> None:
    schedules = _folder(tmp_path, challenger=V2.replace('version: "2"', 'version: "3"'))
    env = {
        **os.environ, "REMIND_SCHEDULES_DIR": str(schedules),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"), "REMIND_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "240",
    }  # fmt: skip
    done = remind(env, "schedules", "check", "m")
    assert done.returncode == 1
    assert f"{schedules / 'm.yaml'}:19: challenger: says version '2', the challenger is '3'" in (
        " ".join(done.stderr.split())
    )
