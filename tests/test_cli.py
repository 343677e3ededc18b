"""The ``remind`` command as a user runs it: a real process, real Redis, exact output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from worker.accounts.codec import decode_state

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account


@pytest.fixture
def env(redis_url: str, redis_client: redis.Redis, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": "2026-03-02T12:00:00Z",
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
    }


def remind(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env["REMIND_DATA_DIR"].rsplit("/", 1)[0],
    )


def test_enroll_reads_json_lines_and_explain_shows_the_next_step(
    env: dict[str, str], tmp_path: Path
) -> None:
    f = tmp_path / "accounts.jsonl"
    f.write_text(json.dumps(account()) + "\n" + json.dumps(account(account_id="A-2")) + "\n")
    done = remind(env, "enroll", str(f))
    assert (done.returncode, done.stdout.strip()) == (0, "enrolled 2 account(s)")
    shown = remind(env, "explain", "A-1")
    assert shown.returncode == 0, shown.stderr
    assert "schedule t@1, status active" in shown.stdout
    assert (
        "next step: early.1 (early, day 1) sms template friendly_nudge, due 2026-03-02T15:00:00Z"
        in shown.stdout
    )
    assert "(local 2026-03-02 10:00 EST)" in shown.stdout
    assert "gate at 2026-03-02T12:00:00Z: defer (quiet_hours, house/quiet-hours@1)" in shown.stdout
    assert "+1********23" in shown.stdout and "+12125550123" not in shown.stdout
    # every rule evaluated for the step, with its verdict
    assert "rules evaluated for early.1 on sms" in shown.stdout
    for line in ("us-federal/F7@2026-11-29", "house/quiet-hours@1", "house/sms-2-per-7d@1",
                 "us-federal/F10@2026-11-29"):  # fmt: skip
        assert line in shown.stdout, line


def test_enroll_refuses_the_whole_file_when_one_row_is_bad_and_names_line_and_field(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis
) -> None:
    f = tmp_path / "accounts.jsonl"
    f.write_text(
        json.dumps(account()) + "\n" + json.dumps(account(account_id="A-2", due_date="soon")) + "\n"
    )
    done = remind(env, "enroll", str(f))
    assert done.returncode == 2
    assert f"error: {f}:2: due_date: " in done.stderr
    assert done.stderr.strip().endswith("error: 1 invalid account(s); nothing was enrolled")
    assert "Traceback" not in done.stderr
    assert redis_client.exists("remind:idx:A-1") == 0


def test_enroll_reads_csv_with_flattened_nested_fields(env: dict[str, str], tmp_path: Path) -> None:
    f = tmp_path / "accounts.csv"
    f.write_text(
        "account_id,schedule,due_date,timezone,phones.0.number,phones.0.sms_consent,balance.amount,balance.currency\n"
        "C-1,t,2026-03-01,America/Chicago,+13125550100,true,99.00,USD\n"
    )
    assert remind(env, "enroll", str(f)).returncode == 0
    shown = remind(env, "explain", "C-1")
    assert "(local 2026-03-02 10:00 CST)" in shown.stdout


def test_enroll_reads_a_csv_saved_by_excel_with_a_byte_order_mark(
    env: dict[str, str], tmp_path: Path
) -> None:
    f = tmp_path / "accounts.csv"
    f.write_bytes(
        "account_id,schedule,due_date,phones.0.number\r\nC-2,t,2026-03-01,+13125550100\r\n".encode(
            "utf-8-sig"
        )
    )
    assert f.read_bytes()[:3] == b"\xef\xbb\xbf"
    done = remind(env, "enroll", str(f))
    assert (done.returncode, done.stdout.strip()) == (0, "enrolled 1 account(s)"), done.stderr


def test_enroll_refuses_a_file_that_gives_one_account_twice(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis
) -> None:
    f = tmp_path / "accounts.jsonl"
    rows = [account(), account(account_id="A-2"), account(name="Other Name")]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = remind(env, "enroll", str(f))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {f}:3: account_id: 'A-1' is also at {f}:1; give each account once",
        "error: 1 invalid account(s); nothing was enrolled",
    ]
    assert redis_client.exists("remind:idx:A-1", "remind:idx:A-2") == 0


def test_enroll_reads_standard_input(env: dict[str, str]) -> None:
    done = remind(env, "enroll", "-", stdin=json.dumps(account()) + "\n")
    assert done.stdout.strip() == "enrolled 1 account(s)"


def test_event_applies_fields_given_as_options(env: dict[str, str]) -> None:
    remind(env, "enroll", "-", stdin=json.dumps(account()) + "\n")
    done = remind(env, "event", "A-1", "promise_to_pay", "--until", "2026-03-05")
    assert (done.returncode, done.stdout.strip()) == (
        0,
        "A-1: promise_to_pay applied; status paused",
    )


def test_event_sends_a_constraint_built_from_its_options(env: dict[str, str]) -> None:
    remind(env, "enroll", "-", stdin=json.dumps(account()) + "\n")
    done = remind(
        env, "event", "A-1", "constraint", "--kind", "inconvenient_hours",
        "--start", "09:00", "--end", "11:00", "--until", "2026-03-31",
    )  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "A-1: constraint applied; status active")
    located = remind(
        env, "event", "A-1", "constraint", "--kind", "located_in",
        "--timezone", "America/Los_Angeles", "--country", "US", "--region", "CA",
    )  # fmt: skip
    assert located.returncode == 0, located.stderr
    shown = remind(env, "explain", "A-1").stdout
    assert "stated constraint: inconvenient_hours until 2026-03-31" in shown
    assert "stated constraint: located_in America/Los_Angeles\n" in shown


def test_event_help_lists_every_option_and_the_event_types(env: dict[str, str]) -> None:
    shown = remind(env, "event", "--help").stdout
    for option in ("--until", "--amount", "--channel", "--address", "--reason", "--result",
                   "--dispatch-id", "--text", "--debt", "--kind", "--start", "--end",
                   "--weekday", "--timezone", "--country", "--region", "--json"):  # fmt: skip
        assert option in shown, option
    assert "represented_by_attorney" in shown and "constraint" in shown


def test_an_unknown_event_option_is_refused_by_name(env: dict[str, str]) -> None:
    done = remind(env, "event", "A-1", "paid", "--colour", "red")
    assert done.returncode == 2
    assert "No such option: --colour" in done.stderr


def test_an_invalid_event_is_one_clear_line(env: dict[str, str]) -> None:
    remind(env, "enroll", "-", stdin=json.dumps(account()) + "\n")
    done = remind(env, "event", "A-1", "opt_out")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: command line: channel: is required for an opt_out event"


def test_an_account_enrolled_again_after_a_cease_is_refused_and_stays_stopped(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis
) -> None:
    f = tmp_path / "accounts.jsonl"
    f.write_text(json.dumps(account(account_id="E-1")) + "\n")
    assert remind(env, "enroll", str(f)).stdout.strip() == "enrolled 1 account(s)"
    ceased = remind(env, "event", "E-1", "cease")
    assert ceased.stdout.strip() == "E-1: cease applied; status stopped"
    f.write_text(json.dumps(account(account_id="E-1", due_date="2026-03-09")) + "\n")
    again = remind(env, "enroll", str(f))
    assert (again.returncode, again.stdout.strip()) == (1, "enrolled 0 account(s), 1 refused")
    assert again.stderr.strip() == (
        "refused: account 'E-1' is not enrolled again: its debt 'E-1' is ceased, "
        "and a cease is final"
    )
    outcomes = [json.loads(f["outcome"]) for _, f in redis_client.xrange("remind:results")]
    assert [(o["account_id"], o["outcome"], o["reason"]) for o in outcomes] == [
        ("E-1", "rejected", "ceased")
    ]
    shown = remind(env, "explain", "E-1")
    assert "status stopped (ceased)" in shown.stdout
    stored = decode_state(redis_client.get("remind:{p:E-1}:acct:E-1"))
    assert (stored.status, stored.account.due_date.isoformat()) == ("stopped", "2026-03-01")


def test_schedules_check_refuses_a_debt_collector_that_does_not_hold_on_a_dispute(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "schedules" / "collector.yaml"
    bad.write_text(
        TEST_SCHEDULE.replace("name: t", "name: collector").replace(
            "tiers:", "collector: third_party\nevents:\n  stop: [paid, cease, close]\ntiers:"
        )
    )
    done = remind(env, "schedules", "check")
    assert done.returncode == 1
    assert f"{bad}:13: events.hold: must hold on dispute for a third_party collector" in (
        done.stderr
    )


def test_explain_of_an_unknown_account_is_an_error_not_a_traceback(env: dict[str, str]) -> None:
    done = remind(env, "explain", "nobody")
    assert (done.returncode, done.stderr.strip()) == (2, "error: account 'nobody' is not enrolled")


def test_schedules_check_names_file_line_and_field(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "schedules" / "bad.yaml").write_text(
        TEST_SCHEDULE.replace("name: t", "name: bad").replace("channel: email", "channel: fax", 1)
    )
    done = remind(env, "schedules", "check")
    assert done.returncode == 1
    assert "ok   t@1: 6 steps over days 1-12" in done.stdout
    assert f"{tmp_path}/schedules/bad.yaml:17: tiers.0.steps.3.channel: " in done.stderr


def test_results_tail_prints_outcomes_as_json_lines(env: dict[str, str]) -> None:
    remind(env, "enroll", "-", stdin=json.dumps({"account_id": "x"}) + "\n")  # refused by the CLI

    r = redis.Redis.from_url(env["REDIS_URL"])
    r.xadd("remind:results", {"outcome": json.dumps({"outcome": "sent", "account_id": "A-1"})})
    done = remind(env, "results", "tail", "--from-start", "--count", "1")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"outcome": "sent", "account_id": "A-1"}


def test_simulate_writes_one_outcome_line_per_decision_and_a_plot(
    env: dict[str, str], tmp_path: Path
) -> None:
    accounts = tmp_path / "a.jsonl"
    accounts.write_text(json.dumps(account()) + "\n")
    events = tmp_path / "e.jsonl"
    events.write_text(
        json.dumps({"account_id": "A-1", "type": "paid", "at": "2026-03-05T00:00:00Z"}) + "\n"
    )
    out = tmp_path / "sim" / "out.jsonl"
    done = remind(
        env,
        "simulate",
        "--accounts",
        str(accounts),
        "--events",
        str(events),
        "--start",
        "2026-03-02T12:00:00Z",
        "--days",
        "10",
        "--json",
        str(out),
        "--plot",
        str(tmp_path / "sim" / "plot.png"),
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(o["step"], o["outcome"], o["reason"]) for o in lines] == [
        ("early.1", "sent", None),
        ("early.2", "sent", None),
        ("early.3", "deferred", "cap"),
        ("early.3", "suppressed", "paid"),
    ]
    assert (tmp_path / "sim" / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        "1 accounts enrolled, 0 rejected, 1 events applied, 0 events rejected, 4 decisions"
        in done.stdout
    )


def test_every_command_has_help(env: dict[str, str]) -> None:
    for cmd in ("demo", "simulate", "run", "worker", "scheduler", "enroll", "event", "explain",
                "results tail", "schedules check", "schedules plan", "templates lint",
                "templates preview",
                "audit export", "packs list", "packs show", "web", "status"):  # fmt: skip
        done = remind(env, *cmd.split(), "--help")
        assert done.returncode == 0 and f" {cmd} [OPTIONS]" in done.stdout, cmd


def test_templates_help_promises_lint_and_preview(env: dict[str, str]) -> None:
    shown = remind(env, "templates", "--help")
    assert "Lint templates, and preview one as it would be sent." in shown.stdout
    assert " lint " in shown.stdout and " preview " in shown.stdout


def plan_dates(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The planned date column of `remind schedules plan`, one per step."""
    assert done.returncode == 0, done.stderr
    return [line.split()[4] for line in done.stdout.splitlines() if not line.startswith("note:")]


def test_schedules_plan_counts_from_today_on_the_injected_clock_not_the_wall_clock(
    env: dict[str, str],
) -> None:
    done = remind({**env, "TZ": "UTC"}, "schedules", "plan", "t")  # REMIND_FIXED_NOW: 2026-03-02
    assert plan_dates(done) == [
        "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-07", "2026-03-10", "2026-03-14",
    ]  # fmt: skip


def test_schedules_plan_takes_today_as_the_local_date_where_the_command_runs(
    env: dict[str, str],
) -> None:
    evening_before = {
        **env,
        "REMIND_FIXED_NOW": "2026-03-02T03:00:00Z",
        "TZ": "America/Los_Angeles",
    }
    assert plan_dates(remind(evening_before, "schedules", "plan", "t"))[0] == "2026-03-02"


def test_schedules_plan_due_option_overrides_today(env: dict[str, str]) -> None:
    done = remind(env, "schedules", "plan", "t", "--due", "2026-05-01")
    assert plan_dates(done)[0] == "2026-05-02"


def test_schedules_plan_says_which_dates_the_house_policy_blocks(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = remind(env, "schedules", "plan", "t", "--due", "2026-03-06")  # a Friday
    lines = done.stdout.splitlines()
    assert lines[1] == (
        "early.2            early  day   2  2026-03-08 10:00  sms   reminder"
        "  <- Sundays are blocked by the house policy: the gate defers it to the next allowed day"
    )
    assert [line for line in lines if "blocked" in line] == [lines[1]]
    # a policy that also blocks public holidays says it cannot mark them without a person
    holidays = TEST_SCHEDULE.replace("{weekdays: [sunday]}", "{public_holidays: true}")
    (tmp_path / "schedules" / "t.yaml").write_text(holidays)
    shown = remind(env, "schedules", "plan", "t", "--due", "2026-03-06").stdout.splitlines()
    assert "blocked by" not in "".join(shown)
    assert shown[-1] == (
        "note: the house policy also blocks the public holidays of the person's region, "
        "which depend on where each person is and are not marked above"
    )


def test_schedules_check_output_piped_keeps_each_line_whole_and_says_days(
    env: dict[str, str],
) -> None:
    piped = {k: v for k, v in env.items() if k != "COLUMNS"}  # rich would wrap at 80
    done = remind(piped, "schedules", "check", "t")
    lines = done.stdout.splitlines()
    assert (
        "warn t@1: for everyone, house/sms-2-per-7d@1 (2 sms per 7 days) would defer 1 step(s), "
        "the longest by 5.0 days, and skip 1 whose day would pass"
    ) in lines
    assert lines[-1] == "ok   t@1: 6 steps over days 1-12"
    assert all(line.startswith(("warn ", "ok   ")) for line in lines), lines


def test_schedules_plan_refuses_a_due_date_that_is_not_a_date_in_one_line(
    env: dict[str, str],
) -> None:
    done = remind(env, "schedules", "plan", "t", "--due", "notadate")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --due: must be a date such as 2026-03-01, not 'notadate'"
    assert "Traceback" not in done.stderr


def test_simulate_refuses_a_call_result_it_does_not_know_naming_the_option(
    env: dict[str, str],
) -> None:
    done = remind(
        env, "simulate", "--accounts", "missing.jsonl", "--start", "2026-03-02T00:00:00Z",
        "--json", "out.jsonl", "--call-results", "maybe",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--call-results: must be one of unknown, answered, voicemail, unanswered" in " ".join(
        done.stderr.split()
    )
