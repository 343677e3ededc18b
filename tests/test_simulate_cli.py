"""``remind simulate`` as a user runs it, on outputs and databases that are not its own.

The server here is the test session's redis-server: from the command's side it is a server
``REDIS_URL`` names, not one remind started, so nothing in it is remind's to empty unless it
says so (the simulation marker) or is empty.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from worker.config import Settings
from worker.errors import ConfigError
from worker.sim.simulate import simulate
from worker.storage import connection, keys

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, remind_or_stop
from .test_cli import remind

START = ("--start", "2026-03-02T12:00:00Z", "--days", "3")


@pytest.fixture
def env(redis_url: str, redis_client: redis.Redis, tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose ``REDIS_URL`` names the (freshly emptied) test server."""
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
    }


def _simulate(env: dict[str, str], accounts: Path, out: Path, *more: str):  # type: ignore[no-untyped-def]
    return remind(env, "simulate", "--accounts", str(accounts), *START, "--json", str(out), *more)


def _accounts(tmp_path: Path, *rows: dict[str, object]) -> Path:
    path = tmp_path / "accounts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _db(redis_url: str, db: int) -> redis.Redis:
    return connection.client(connection.with_db(redis_url, db))


# -- the database ------------------------------------------------------------------------------


def test_a_database_holding_someone_elses_keys_is_left_alone_and_the_run_says_how_to_choose(
    env: dict[str, str], redis_url: str, tmp_path: Path
) -> None:
    theirs = _db(redis_url, 2)
    theirs.set("their:key", "precious")
    done = _simulate(env, _accounts(tmp_path, account()), tmp_path / "sim" / "out.jsonl")
    assert done.returncode != 0
    assert "database 2 of" in done.stderr and "holds 1 key(s)" in done.stderr
    assert "REMIND_SIMULATION_DB=5" in done.stderr
    assert theirs.get("their:key") == "precious"
    assert theirs.dbsize() == 1
    assert not (tmp_path / "sim" / "out.jsonl").exists()


def test_the_database_remind_simulation_db_names_is_used_and_marked_as_the_simulations(
    env: dict[str, str], redis_url: str, tmp_path: Path
) -> None:
    _db(redis_url, 2).set("their:key", "precious")
    sim = {**env, "REMIND_SIMULATION_DB": "5"}
    rows = _accounts(tmp_path, account())
    first = _simulate(sim, rows, tmp_path / "one" / "out.jsonl")
    assert first.returncode == 0, first.stderr
    # emptied after the run but for the marker, which lets the next run empty it again
    assert _db(redis_url, 5).keys("*") == [keys.SIMULATION_MARKER]
    _db(redis_url, 5).set("left:over", "by a run that crashed")
    second = _simulate(sim, rows, tmp_path / "two" / "out.jsonl")
    assert second.returncode == 0, second.stderr
    assert _db(redis_url, 5).keys("*") == [keys.SIMULATION_MARKER]
    assert _db(redis_url, 2).get("their:key") == "precious"


def test_the_state_and_broker_databases_are_never_the_simulations(
    env: dict[str, str], tmp_path: Path
) -> None:
    rows = _accounts(tmp_path, account())
    state = _simulate({**env, "REMIND_SIMULATION_DB": "0"}, rows, tmp_path / "a" / "out.jsonl")
    assert state.returncode != 0
    assert "REMIND_SIMULATION_DB 0 is the database REDIS_URL keeps remind's state in" in (
        state.stderr
    )
    broker = _simulate({**env, "REMIND_SIMULATION_DB": "1"}, rows, tmp_path / "b" / "out.jsonl")
    assert broker.returncode != 0
    assert "REMIND_SIMULATION_DB 1 is the dramatiq broker's database" in broker.stderr


# -- the accounts, the counts and the outputs --------------------------------------------------


def test_schedule_overrides_the_schedule_the_accounts_name(
    env: dict[str, str], tmp_path: Path
) -> None:
    rows = _accounts(tmp_path, account(schedule="standard"), account(account_id="A-2"))
    out = tmp_path / "sim" / "out.jsonl"
    done = _simulate(env, rows, out, "--schedule", "t")
    assert done.returncode == 0, done.stderr
    outcomes = [json.loads(line) for line in out.read_text().splitlines()]
    assert {(o["account_id"], o["schedule"]) for o in outcomes} == {("A-1", "t@1"), ("A-2", "t@1")}
    assert "2 accounts enrolled, 0 rejected" in done.stdout


def test_rejected_events_are_counted_as_rejected_not_applied(
    env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps({"account_id": "A-1", "type": "paid", "at": "2026-03-03T00:00:00Z"})
        + "\n"
        + json.dumps({"account_id": "nobody", "type": "paid", "at": "2026-03-03T00:00:00Z"})
        + "\n"
    )
    rows = _accounts(tmp_path, account())
    done = _simulate(env, rows, tmp_path / "sim" / "out.jsonl", "--events", str(events))
    assert done.returncode == 0, done.stderr
    assert "1 accounts enrolled, 0 rejected, 1 events applied, 1 events rejected" in done.stdout


def test_a_run_in_which_every_account_was_rejected_exits_non_zero(
    env: dict[str, str], tmp_path: Path
) -> None:
    rows = _accounts(tmp_path, account(schedule="nope"), account(account_id="A-2", due_date="x"))
    done = _simulate(env, rows, tmp_path / "sim" / "out.jsonl")
    assert done.returncode != 0
    assert "0 accounts enrolled, 2 rejected" in done.stdout
    assert "no account was enrolled: all 2 were rejected" in done.stderr


def test_a_second_run_in_the_same_folder_never_destroys_the_first_runs_outbox(
    env: dict[str, str], tmp_path: Path
) -> None:
    rows = _accounts(tmp_path, account())
    first = _simulate(env, rows, tmp_path / "sim" / "one.jsonl")
    assert first.returncode == 0, first.stderr
    sent = (tmp_path / "sim" / "outbox" / "sms.jsonl").read_text()
    assert sent
    second = _simulate(env, rows, tmp_path / "sim" / "two.jsonl")
    assert second.returncode != 0
    assert "outbox already hold(s) the output of an earlier run" in second.stderr
    assert "--force" in second.stderr
    assert (tmp_path / "sim" / "outbox" / "sms.jsonl").read_text() == sent
    assert not (tmp_path / "sim" / "two.jsonl").exists()
    again = _simulate(env, rows, tmp_path / "sim" / "one.jsonl")
    assert again.returncode != 0 and "one.jsonl" in again.stderr


def test_force_replaces_the_outputs_of_an_earlier_run(env: dict[str, str], tmp_path: Path) -> None:
    rows = _accounts(tmp_path, account())
    out = tmp_path / "sim" / "out.jsonl"
    assert _simulate(env, rows, out).returncode == 0
    (tmp_path / "sim" / "outbox" / "stale.jsonl").write_text("from before\n")
    done = _simulate(env, rows, out, "--force")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "sim" / "outbox" / "stale.jsonl").exists()
    assert (tmp_path / "sim" / "outbox" / "sms.jsonl").read_text()


@pytest.mark.parametrize("raw", ["five", "-1", "2.0", "٣"])
def test_a_simulation_database_that_is_no_database_number_stops_at_start(raw: str) -> None:
    with pytest.raises(ConfigError, match="REMIND_SIMULATION_DB must be a Redis database number"):
        Settings.from_env({"REMIND_SIMULATION_DB": raw})


def test_a_simulation_sends_nothing_live_whatever_remind_channels_says(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A production environment (email live, here to an SMTP port nothing listens on) running a
    simulation: every message still goes to the outbox, none to the provider."""
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    settings = Settings(
        redis_url=redis_url,
        schedules_dir=tmp_path / "schedules",
        templates_dir=ROOT / "templates",
        data_dir=tmp_path / "var",
        live_channels=frozenset({"email"}),
        smtp_url="smtp://127.0.0.1:9",
        email_from="billing@example.com",
        public_base_url="https://remind.example.com",
        secret_key="s" * 32,
    )
    result = simulate(
        settings,
        redis_client,
        accounts=[("test", account())],
        start=datetime(2026, 3, 2, 12, tzinfo=UTC),
        days=13,
    )
    acted = {(o["step"], o["outcome"], o["provider"]) for o in result.outcomes if o["provider"]}
    assert ("late.2", "sent", "outbox") in acted
    assert {provider for _, _, provider in acted} == {"outbox"}
    assert (tmp_path / "var" / "outbox" / "email.jsonl").read_text()


def test_a_worker_refuses_a_state_database_marked_as_the_simulations(
    env: dict[str, str], redis_client: redis.Redis
) -> None:
    """The other side of the marker: a database a simulation may empty never holds live state."""
    redis_client.set(keys.SIMULATION_MARKER, "left by remind simulate")
    done = remind_or_stop(env, "scheduler")
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert "is marked as remind simulate's database (key remind:simulation)" in message
