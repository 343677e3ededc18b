"""``remind explain``, in process: state, next step, the gate's verdict and every rule's check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from rich.console import Console

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.explain import explain_account
from worker.intake import apply_event, enroll

from .pipeline_helpers import account, make_app, run_until


@pytest.fixture
def app(redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock) -> App:
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def event(app: App, type_: str, **fields: Any) -> None:
    apply_event(app, parse_event({"account_id": "A-1", "type": type_, **fields}))


def explain(app: App) -> list[str]:
    console = Console(record=True, width=240)
    explain_account(app, "A-1", console)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_explain_shows_the_next_step_the_deferral_and_each_rule_checked(app: App) -> None:
    lines = explain(app)
    assert lines[:2] == ["A-1 person A-1, debt A-1", "schedule t@1, status active"]
    assert "opted out" not in "\n".join(lines)
    assert (
        "gate at 2026-03-02T12:00:00Z: defer (quiet_hours, house/quiet-hours@1) until "
        "2026-03-02T14:00:00Z — 07:00 in America/New_York is outside 09:00-20:00"
    ) in lines
    [quiet] = [line for line in lines if "house/quiet-hours@1" in line and "│" in line]
    cells = [cell.strip() for cell in quiet.split("│")[2:6]]
    assert cells == [
        "hours",
        "defer",
        "07:00 in America/New_York is outside 09:00-20:00",
        "2026-03-02T14:00:00Z",
    ]
    assert "recent outcomes (0)" in "\n".join(lines)


def test_explain_shows_opt_outs_constraints_in_force_and_recent_outcomes(
    app: App, clock: SimulatedClock
) -> None:
    event(app, "opt_out", channel="email")
    refuse = {"kind": "refuse_channel", "channel": "voice"}
    event(app, "constraint", constraint=refuse, until="2026-04-01")
    event(app, "constraint", constraint={**refuse, "channel": "email"})
    event(app, "constraint", constraint={**refuse, "channel": "sms"}, until="2026-03-01")
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    text = "\n".join(explain(app))
    assert "opted out: email" in text
    assert (
        "stated constraint: refuse_channel until 2026-04-01\nstated constraint: refuse_channel\n"
        in text
    )
    assert "until 2026-03-01" not in text  # that one has run out
    assert "gate at 2026-03-02T16:00:00Z: allow\n" in text
    assert "recent outcomes (1)" in text and "│ early.1 │ sms     │ sent    │" in text


def test_explain_of_a_closed_account_shows_the_close_reason_and_no_rules(app: App) -> None:
    event(app, "close", reason="bankrupt")
    lines = explain(app)
    assert lines[1] == "schedule t@1, status stopped (closed:bankrupt)"
    assert (
        "gate at 2026-03-02T12:00:00Z: suppress (closed, lifecycle/closed@1) — closed:bankrupt"
        in lines
    )
    assert not any("rules evaluated" in line for line in lines)


def test_explain_of_a_paused_account_shows_until_when(app: App) -> None:
    event(app, "promise_to_pay", until="2026-03-05")
    lines = explain(app)
    assert lines[1] == "schedule t@1, status paused (promise_to_pay) until 2026-03-06T15:00:00Z"


def test_explain_of_an_account_whose_cadence_ended_says_there_is_no_next_step(
    app: App, clock: SimulatedClock
) -> None:
    run_until(app, clock, datetime(2026, 3, 20, tzinfo=UTC))
    lines = explain(app)
    assert lines[1] == "schedule t@1, status completed"
    assert "next step: none (the cadence has ended or is held)" in lines
