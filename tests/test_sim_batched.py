"""The simulator's batched claim (``Timeline.claim_all``, the default of ``simulate``) decides
exactly what the production scheduler tick does at each instant (``simulate(stepwise=True)``):
the same outcomes, byte for byte but their random ids, in the same order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.clock import to_epoch
from worker.config import Settings
from worker.sim.demo_data import generate_accounts, generate_events
from worker.sim.simulate import SimulationResult, simulate
from worker.storage import connection
from worker.storage.timeline import Claim, Timeline

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _rows(name: str) -> list[dict[str, Any]]:
    text = (ROOT / "examples" / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _run(
    redis_url: str, work: Path, accounts: list[dict[str, Any]], events: list[dict[str, Any]],
    days: int, *, stepwise: bool,
) -> tuple[SimulationResult, bytes]:  # fmt: skip
    client = connection.client(redis_url)
    client.flushall()
    settings = Settings(
        redis_url=redis_url,
        schedules_dir=ROOT / "schedules",
        templates_dir=ROOT / "templates",
        data_dir=work / "var",
    )
    work.mkdir()
    out = work / "outcomes.jsonl"
    result = simulate(
        settings,
        client,
        accounts=[(f"accounts:{i + 1}", a) for i, a in enumerate(accounts)],
        events=[(f"events:{i + 1}", e) for i, e in enumerate(events)],
        start=START,
        days=days,
        json_out=out,
        stepwise=stepwise,
    )
    client.close()
    return result, _without_ids(out.read_bytes())


def _without_ids(lines: bytes) -> bytes:
    """The outcome lines with their ``id`` (a random UUID per outcome, different in every run)
    cut out, the rest of each line byte for byte."""
    return b"".join(
        line.split(b", ", 1)[1] if line.startswith(b'{"id": "') else line
        for line in lines.splitlines(keepends=True)
    )


@pytest.mark.parametrize(
    ("accounts", "events", "days"),
    [
        pytest.param("demo", "demo", 60, id="demo-60"),
        pytest.param("accounts-plans.jsonl", "events-plans.jsonl", 75, id="plans"),
    ],
)
def test_a_batched_simulation_decides_byte_for_byte_what_the_stepwise_one_does(
    redis_url: str, tmp_path: Path, accounts: str, events: str, days: int
) -> None:
    if accounts == "demo":
        rows = generate_accounts(START.date(), 60)
        happenings = generate_events(rows, START)
    else:
        rows, happenings = _rows(accounts), _rows(events)

    stepwise, stepwise_lines = _run(
        redis_url, tmp_path / "stepwise", rows, happenings, days, stepwise=True
    )
    batched, batched_lines = _run(
        redis_url, tmp_path / "batched", rows, happenings, days, stepwise=False
    )

    assert len(stepwise.outcomes) > 50  # a run with something to compare
    assert {o["outcome"] for o in stepwise.outcomes} >= {"sent", "deferred"}
    assert batched_lines == stepwise_lines
    assert [{**o, "id": ""} for o in batched.outcomes] == [
        {**o, "id": ""} for o in stepwise.outcomes
    ]
    assert (batched.enrolled, batched.rejected) == (stepwise.enrolled, stepwise.rejected)
    assert (batched.events_applied, batched.events_rejected) == (
        stepwise.events_applied,
        stepwise.events_rejected,
    )
    assert batched.applied == stepwise.applied
    assert batched.enrolled_refs == stepwise.enrolled_refs


def _place_due_and_later(timeline: Timeline, n: int) -> tuple[list[Claim], list[str]]:
    """``n`` entries due by ``NOW`` on every shard (more than a tick's batch), and a few later."""
    due = [Claim(f"acct-{i}", to_epoch(NOW - timedelta(seconds=i % 97))) for i in range(n)]
    for c in due:
        timeline.place(c.account_id, c.due_at)
    later = [f"later-{i}" for i in range(5)]
    for i, account_id in enumerate(later):
        timeline.place(account_id, NOW + timedelta(microseconds=1 + i))
    return sorted(due, key=lambda c: (c.due, c.account_id)), later


def test_claim_all_claims_every_due_entry_of_every_shard_at_once_earliest_first(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    due, later = _place_due_and_later(timeline, 700)

    claims = timeline.claim_all(NOW, lease_seconds=600)

    assert claims == due  # all 700, though a tick claims 500 at a time; each once, in order
    leased = to_epoch(NOW) + 600
    entries = timeline.entries()
    assert all(entries[c.account_id] == leased for c in due)  # hidden for the lease
    assert all(entries[a] > to_epoch(NOW) and entries[a] < leased for a in later)
    assert timeline.claim_all(NOW, lease_seconds=600) == []


def test_claim_all_loads_its_script_again_when_the_server_forgot_it(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    due, _ = _place_due_and_later(timeline, 40)
    redis_client.script_flush()

    assert timeline.claim_all(NOW, lease_seconds=600) == due


def test_claim_all_claims_across_the_primaries_of_a_cluster(cluster_client: redis.Redis) -> None:
    timeline = Timeline(cluster_client)
    due, later = _place_due_and_later(timeline, 300)

    assert timeline.claim_all(NOW, lease_seconds=600) == due
    assert timeline.claim_all(NOW, lease_seconds=600) == []
    assert sorted(a for a, s in timeline.entries().items() if s < to_epoch(NOW) + 600) == later
