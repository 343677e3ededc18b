"""The audit log: every decision with the rules evaluated for it, kept for the retention period
and exported by time range."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.intake import apply_event, enroll
from worker.runtime.scheduler import ARCHIVE_JOB, build_scheduler
from worker.storage import keys
from worker.storage.auditarchive import archive_once
from worker.storage.auditfiles import FileArchive
from worker.storage.results import audit_export

from .pipeline_helpers import ROOT, account, make_app, run_until


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    return make_app(redis_url, tmp_path, clock)


def test_each_decision_is_audited_with_every_rule_checked(app, clock, redis_client) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 5, tzinfo=UTC))
    records = list(
        audit_export(
            redis_client,
            since=datetime(2026, 3, 1, tzinfo=UTC),
            until=datetime(2026, 3, 6, tzinfo=UTC),
        )
    )
    assert [(r["step"], r["outcome"]) for r in records] == [
        ("early.1", "sent"),
        ("early.2", "sent"),
        ("early.3", "deferred"),
    ]
    deferred = records[2]
    verdicts = {c["rule"]: c["verdict"] for c in deferred["checks"]}
    assert verdicts["house/sms-2-per-7d@1"] == "defer"
    assert verdicts["us-federal/F7@2026-11-29"] == "allow"
    assert verdicts["us-federal/F10@2026-11-29"] == "allow"  # the opt-out, checked at render
    cap = next(c for c in deferred["checks"] if c["rule"] == "house/sms-2-per-7d@1")
    assert cap["at"] == "2026-03-09T15:00:00Z"


def test_the_export_range_is_inclusive_of_since_and_exclusive_of_until(
    app, clock, redis_client
) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 5, tzinfo=UTC))
    first = datetime(2026, 3, 2, 15, tzinfo=UTC)
    assert [r["at"] for r in audit_export(redis_client, since=first, until=first)] == []
    assert [
        r["at"] for r in audit_export(redis_client, since=first, until=first + timedelta(seconds=1))
    ] == ["2026-03-02T15:00:00Z"]


def test_records_older_than_the_retention_period_are_dropped_from_the_archive(
    redis_url, redis_client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    clock = SimulatedClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 20, tzinfo=UTC))
    archive = FileArchive(tmp_path / "audit")
    last = datetime.fromisoformat(app.recorded[-1]["at"].replace("Z", "+00:00"))
    run = archive_once(redis_client, archive, now=last, retention_days=2, redis_days=2)
    kept = (last - timedelta(days=2)).date().isoformat()
    ats = [
        r["at"]
        for r in audit_export(
            redis_client,
            since=datetime(2026, 1, 1, tzinfo=UTC),
            until=datetime(2026, 4, 1, tzinfo=UTC),
            archive=archive,
        )
    ]
    # whole UTC days are dropped: what is left was decided on the cutoff's day or later
    assert run.dropped > 0
    assert ats and all(a >= kept for a in ats)
    assert len(ats) < len(app.recorded)
    days = sorted(p.name for p in (tmp_path / "audit").iterdir() if not p.name.startswith("."))
    assert days[0] >= kept


def test_a_call_result_event_is_recorded_as_an_outcome(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    clock.set(datetime(2026, 3, 9, 13, tzinfo=UTC))
    run_until(app, clock, datetime(2026, 3, 9, 15, tzinfo=UTC))
    assert [o["channel"] for o in app.recorded if o["outcome"] == "sent"][-1] == "voice"
    apply_event(
        app, parse_event({"account_id": "A-1", "type": "call_result", "result": "voicemail"})
    )
    last = app.recorded[-1]
    assert (last["outcome"], last["channel"], last["step"]) == ("voicemail", "voice", "late.1")
    assert last["provider_id"].startswith("A-1:late.1:")


def test_remind_audit_export_writes_json_lines(redis_url, redis_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = SimulatedClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 4, tzinfo=UTC))
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
    }
    out = tmp_path / "audit.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "worker.cli",
            "audit",
            "export",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-04",
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "exported 2 decision record(s)" in done.stdout
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["outcome"] for x in lines] == ["sent", "sent"]
    assert all(x["checks"] for x in lines)


def _remind(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", *args],
        env=env, capture_output=True, text=True, timeout=60, cwd=cwd,
    )  # fmt: skip


def test_remind_audit_archive_moves_the_log_and_export_reads_it_back(
    redis_url, redis_client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    clock = SimulatedClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 5, tzinfo=UTC))
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_DATA_DIR": str(tmp_path / "data"),
        "REMIND_FIXED_NOW": "2026-03-05T00:00:00Z",
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
    }
    env.pop("AUDIT_DATABASE_URL", None)
    export = ("audit", "export", "--since", "2026-03-01", "--until", "2026-03-06")
    before = _remind(env, tmp_path, *export)

    archived = _remind(env, tmp_path, "audit", "archive")
    after = _remind(env, tmp_path, *export)

    assert archived.returncode == 0, archived.stderr
    assert f"archived 3 decision record(s) to {tmp_path / 'data' / 'audit'}" in archived.stdout
    assert sorted(p.name for p in (tmp_path / "data" / "audit").glob("2026-*")) == [
        "2026-03-02", "2026-03-03", "2026-03-04",
    ]  # fmt: skip
    assert all(redis_client.xlen(keys.audit_log(n)) == 0 for n in range(keys.TIMELINE_SHARDS))
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert [json.loads(x)["step"] for x in after.stdout.splitlines()] == [
        "early.1", "early.2", "early.3",
    ]  # fmt: skip


def test_the_scheduler_runs_the_archiver_as_a_job_of_its_own(
    redis_url, redis_client, tmp_path, clock
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 4, tzinfo=UTC))
    job = build_scheduler(app, lambda account_id, due: None).get_job(ARCHIVE_JOB)
    assert job is not None
    assert job.trigger.interval == timedelta(seconds=app.settings.audit_archive_seconds)

    job.func()

    archive = FileArchive(app.settings.audit_dir)
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)
    assert [r["step"] for r in archive_export(redis_client, archive, since, until)] == [
        "early.1", "early.2",
    ]  # fmt: skip
    assert sum(redis_client.xlen(keys.audit_log(n)) for n in range(keys.TIMELINE_SHARDS)) == 0


def archive_export(client, archive, since, until):  # type: ignore[no-untyped-def]
    return list(audit_export(client, since=since, until=until, archive=archive))


def test_a_simulation_archives_its_decisions_beside_its_outbox_not_in_the_archive(
    redis_url, redis_client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from worker.config import Settings
    from worker.sim.simulate import simulate

    settings = Settings(
        redis_url=redis_url, schedules_dir=tmp_path / "schedules",
        templates_dir=ROOT / "templates", data_dir=tmp_path / "out",
        audit_database_url="postgresql://nobody@127.0.0.1:1/never",  # never used by a simulation
    )  # fmt: skip
    make_app(redis_url, tmp_path, SimulatedClock(datetime(2026, 3, 2, tzinfo=UTC)))  # the schedule
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for _ in range(2):  # a second run replaces the first one's archive
        result = simulate(settings, redis_client, accounts=[("a", account())], start=start, days=4)
        redis_client.flushdb()
    archive = FileArchive(tmp_path / "out" / "audit-simulated")
    records = archive_export(redis_client, archive, start, start + timedelta(days=5))
    assert [r["at"] for r in records] == [o["at"] for o in result.outcomes]
    assert not (tmp_path / "out" / "audit").exists()


def test_the_checks_json_is_the_same_when_a_checks_json_is_reused() -> None:
    # the audit record's checks are written from a cache of repeated checks' JSON: every
    # list, repeats and first sightings, checks with an instant (never cached: an equal
    # instant in another zone writes another text) and plain dicts, writes what json.dumps does
    from dataclasses import dataclass

    from worker.gate.types import Check
    from worker.storage import results

    @dataclass(frozen=True)
    class Other:  # another kind of check with the same values writes its own field names
        name: str
        kind: str
        verdict: str

    at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    checks: list[object] = [
        Check("house/quiet-hours@1", "hours", "allow", detail="09:00-20:00"),
        Check("us/F15@1", "note", "n/a", detail='a "quoted" détail, 不要再打\n'),
        Check("house/caps@1", "cap", "defer", "cap", at),
        Check("house/caps@1", "cap", "defer", "cap", at.astimezone(timezone(timedelta(hours=-5)))),
        Other("house/quiet-hours@1", "hours", "allow"),
        {"rule": "r", "kind": "k", "verdict": "allow", "at": None},
    ]
    for chosen in (checks, checks[::-1], checks + checks, checks[:1], []):
        plain = [results._check_dict(c) for c in chosen]
        expected = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
        assert results._checks_json(chosen) == expected
        assert results._checks_json(chosen) == expected  # again, from the cache
    assert '"at":"2026-03-02T15:00:00Z"' in results._checks_json(checks[2:3])
    assert '"at":"2026-03-02T10:00:00-05:00"' in results._checks_json(checks[3:4])
