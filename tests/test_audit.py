"""The audit log: every decision with the rules evaluated for it, kept for the retention period
and exported by time range."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.intake import apply_event, enroll
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
