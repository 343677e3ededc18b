"""The done-when run of repayment plans: ``examples/accounts-plans.jsonl`` and
``examples/events-plans.jsonl`` on the shipped ``standard`` schedule, as ``remind simulate``
runs them. Plans kept, kept late, broken, renegotiated and cancelled, and a settlement: the
adherence is counted in the summary and the report, and the independent checker
(``tests/breach/``, plans included) finds no breach."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from worker.cadence.schedule import find_schedule
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.sim.plan_summary import plan_counts
from worker.sim.report import render_report
from worker.sim.simulate import simulate
from worker.storage import connection

from .breach import find_breaches

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, tzinfo=UTC)


def _rows(name: str) -> list[dict[str, Any]]:
    text = (ROOT / "examples" / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_the_plan_examples_keep_to_every_rule_and_count_each_instalment(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=redis_url,
        schedules_dir=ROOT / "schedules",
        templates_dir=ROOT / "templates",
        data_dir=tmp_path / "var",
    )
    accounts, events = _rows("accounts-plans.jsonl"), _rows("events-plans.jsonl")
    result = simulate(
        settings,
        connection.client(redis_url),
        accounts=[("plans", a) for a in accounts],
        events=[("plans", e) for e in events],
        start=START,
        days=75,
    )
    outcomes = result.outcomes

    assert plan_counts(outcomes) == {
        "kept": 6, "late": 1, "broken": 1, "agreed": 5, "replaced": 1, "cancelled": 1,
        "completed": 2, "balance_paid": 2, "settlement_offered": 1, "settlement_accepted": 1,
        "settled": 1,
    }  # fmt: skip
    adherence = {
        (o["account_id"], o["step"]): o["reason"]
        for o in outcomes
        if o["outcome"] == "plan" and o["reason"] in ("kept", "late", "broken")
    }
    assert adherence == {
        ("PLAN-KEPT", "plan.1"): "kept",
        ("PLAN-KEPT", "plan.2"): "kept",
        ("PLAN-KEPT", "plan.3"): "kept",
        ("PLAN-BROKEN", "plan.1"): "kept",
        ("PLAN-BROKEN", "plan.2"): "broken",
        ("PLAN-LATE", "plan.1"): "late",
        ("PLAN-LATE", "plan.2"): "kept",
        ("RENEGOTIATE", "plan.1"): "kept",
    }
    sent = [o for o in outcomes if o["outcome"] == "sent"]
    # each instalment of the kept plan had its reminder three days before its date
    assert [
        (o["local_time"][:10], o["step"]) for o in sent
        if o["account_id"] == "PLAN-KEPT" and o["step"].endswith("before3")
    ] == [
        ("2026-03-17", "plan.1.before3"), ("2026-03-31", "plan.2.before3"),
        ("2026-04-14", "plan.3.before3"),
    ]  # fmt: skip
    # once paid, nothing more goes to the kept plan, the late plan or the settlement
    for account, paid in (("PLAN-KEPT", "2026-04-17"), ("SETTLE", "2026-03-20")):
        assert not [o for o in sent if o["account_id"] == account and o["at"][:10] > paid]
    # the broken plan went back to collection: the late tier, from its next day on
    after = [o["step"] for o in sent if o["account_id"] == "PLAN-BROKEN" and o["at"] > "2026-04-09"]
    assert after[:2] == ["late.1", "late.2"]

    rows = {a["account_id"]: parse_account(a) for a in accounts}
    schedule = ROOT / "schedules" / "standard.yaml"
    assert find_breaches(outcomes, rows, schedule, events=events) == []

    html = render_report(
        outcomes,
        schedules=[find_schedule("standard", ROOT / "schedules")],
        start=START,
        days=75,
        title="plans",
    )
    assert "<h2 id='repayment'>Repayment plans</h2>" in html
    assert "7 of 8 instalments paid" in html
    assert "<tr><td>instalments</td><td>broken</td><td class='n'>1</td></tr>" in html
