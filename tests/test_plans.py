"""Repayment plans through the production pipeline on the simulated clock: while a plan is
active only plan steps go out, each through the gate; payments move the plan forward; a missed
instalment breaks it after the grace days and collection resumes; a paid settlement ends the
debt. The independent checker (``tests/breach/``) judges every send of these runs too.
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
from rich.console import Console

from worker.accounts import plans
from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.explain import explain_account
from worker.intake import apply_raw, enroll
from worker.migration import migrate

from .breach import find_breaches
from .pipeline_helpers import ROOT, account, make_app, outbox, run_until
from .web_helpers import AUTH, web_client

#: A cadence long enough to resume after a broken plan, and a plan section around each date.
PLAN_SCHEDULE = """\
name: t
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "09:00", end: "20:00"}
  blocked_days: {weekdays: [sunday]}
  caps:
    - {channel: sms, limit: 2, per: 7d}
tiers:
  - name: early
    steps:
      - {day: 1, channel: sms, template: friendly_nudge}
      - {day: 5, channel: email, template: reminder}
  - name: mid
    steps:
      - {every: 7, from: 10, until: 80, channel: email, template: past_due_notice}
  - name: late
    steps:
      - {every: 7, from: 85, until: 120, channel: email, template: final_notice}
plan:
  grace_days: 3
  on_broken: resume
  confirmation: {channel: email, template: plan_confirmation}
  thanks: {channel: sms, template: plan_thanks}
  settlement_offer: {channel: email, template: settlement_offer}
  steps:
    - {before: 3, channel: sms, template: plan_reminder}
    - {on: 0, channel: email, template: plan_reminder, send_time: "09:30"}
    - {after: 2, channel: sms, template: plan_missed}
"""
PLAN = [
    {"due_date": "2026-03-20", "amount": "50.00"},
    {"due_date": "2026-04-03", "amount": "50.00"},
    {"due_date": "2026-04-17", "amount": "25.50"},
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    return make_app(redis_url, tmp_path, clock, PLAN_SCHEDULE)


class Run:
    """Drives the pipeline and applies events at their instants, keeping every event."""

    def __init__(self, app: App, clock: SimulatedClock):
        self.app, self.clock = app, clock
        self.events: list[dict[str, Any]] = []

    def event(self, when: datetime, **fields: Any) -> Any:
        run_until(self.app, self.clock, when)
        self.clock.set(when)
        event = {"account_id": "A-1", "at": when.isoformat(), **fields}
        self.events.append(event)
        return apply_raw(self.app, event)

    def sent(self) -> list[tuple[str, str, str]]:
        """(local date, step, channel) of each send."""
        return [
            (o["local_time"][:10], o["step"], o["channel"])
            for o in self.app.recorded  # type: ignore[attr-defined]
            if o["outcome"] == "sent"
        ]

    def plan_outcomes(self) -> list[tuple[str, str, str]]:
        return [
            (o["local_time"][:10], o["step"], o["reason"])
            for o in self.app.recorded  # type: ignore[attr-defined]
            if o["outcome"] == "plan"
        ]


def checked(run: Run) -> list[str]:
    """The independent checker's breaches over the run's sends (every rule read cautiously)."""
    recipients = {
        m["dispatch_id"]: m["to"] for channel in ("sms", "email") for m in outbox(run.app, channel)
    }
    return find_breaches(
        run.app.recorded,  # type: ignore[attr-defined]
        {"A-1": parse_account(account())},
        PLAN_SCHEDULE,
        recipients=recipients,
        events=run.events,
    )


def test_a_plan_replaces_collection_until_an_instalment_is_missed(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN, reference="P-1")
    run.event(utc(2026, 3, 19, 16), type="payment", amount="50.00")
    run_until(app, clock, utc(2026, 4, 20))

    assert run.sent() == [
        ("2026-03-02", "early.1", "sms"),
        ("2026-03-06", "early.2", "email"),
        # on the plan: its confirmation, then instalment 1's reminder three days before
        ("2026-03-07", "plan.confirmation", "email"),
        ("2026-03-17", "plan.1.before3", "sms"),
        # paid on the 19th: a thank-you, and no on0 reminder for a paid instalment
        ("2026-03-19", "plan.1.thanks", "sms"),
        ("2026-03-31", "plan.2.before3", "sms"),
        ("2026-04-03", "plan.2.on0", "email"),
        # after2 falls on Sunday 5 April: the gate defers it to Monday
        ("2026-04-06", "plan.2.after2", "sms"),
        # 3 grace days over on the 6th: broken, collection resumes where it left (mid tier)
        ("2026-04-08", "mid.1#d38", "email"),
        ("2026-04-15", "mid.1#d45", "email"),
    ]
    assert run.plan_outcomes() == [
        ("2026-03-07", "plan", "agreed"),
        ("2026-03-19", "plan.1", "kept"),
        ("2026-04-07", "plan.2", "broken"),
    ]
    deferred = [o for o in app.recorded if o["outcome"] == "deferred"]  # type: ignore[attr-defined]
    assert [(o["step"], o["reason"]) for o in deferred] == [("plan.2.after2", "blocked_day")]
    # collection steps mid.1#d10 to #d31 fell in the plan: none was sent or tried
    tried = {o["step"] for o in app.recorded}  # type: ignore[attr-defined]
    assert not tried & {f"mid.1#d{d}" for d in (10, 17, 24, 31)}
    assert checked(run) == []
    state = app.store.require("A-1")
    assert state.plan is not None and state.plan.status == "broken"
    assert [i.status for i in state.plan.installments] == ["kept", "broken", "open"]


def test_instalment_messages_carry_their_dates_and_amounts(app: App, clock: SimulatedClock) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN)
    run_until(app, clock, utc(2026, 3, 18))

    email = outbox(app, "email")[-1]
    assert email["subject"] == "Your payment plan with Northwind Lending"
    assert (
        "Here is what we agreed: 3 payments, $125.50 in all.\n"
        "- $50.00 by March 20, 2026\n- $50.00 by April 3, 2026\n- $25.50 by April 17, 2026\n"
    ) in email["text"]
    sms = outbox(app, "sms")[-1]
    assert sms["dispatch_id"] == "A-1:plan.1.before3~p1:0"
    assert sms["text"].startswith(
        "Northwind Lending: Hi Sam Lee, a reminder of your payment plan: payment 1 of 3,"
        " $50.00, is due by March 20, 2026. If you have already paid, thank you."
    )


def test_payments_keep_the_plan_and_paying_the_balance_ends_the_debt(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN)
    run.event(utc(2026, 3, 16, 16), type="payment", amount="30.00")  # part of instalment 1
    run.event(utc(2026, 3, 20, 16), type="payment", amount="20.00")
    run.event(utc(2026, 4, 1, 16), type="payment", amount="50.00", installment=2)
    run.event(utc(2026, 4, 19, 16), type="payment", amount="25.50")  # two days late
    run_until(app, clock, utc(2026, 6, 1))

    assert run.plan_outcomes() == [
        ("2026-03-07", "plan", "agreed"),
        ("2026-03-20", "plan.1", "kept"),
        ("2026-04-01", "plan.2", "kept"),
        ("2026-04-19", "plan.3", "late"),
        ("2026-04-19", "plan", "completed"),
        ("2026-04-19", "plan", "balance_paid"),
    ]
    assert [s for s in run.sent() if s[0] >= "2026-03-07"] == [
        ("2026-03-07", "plan.confirmation", "email"),
        ("2026-03-17", "plan.1.before3", "sms"),  # 20 of 50 still open
        ("2026-03-20", "plan.1.on0", "email"),  # sent at 09:30, paid in full at 12:00
        ("2026-03-20", "plan.1.thanks", "sms"),
        ("2026-03-31", "plan.2.before3", "sms"),
        ("2026-04-01", "plan.2.thanks", "sms"),  # paid early: no on0 reminder
        ("2026-04-14", "plan.3.before3", "sms"),
        ("2026-04-17", "plan.3.on0", "email"),
        # after2 fell on Sunday the 19th and waited for Monday; the balance was paid first
    ]
    state = app.store.require("A-1")
    assert (state.status, state.status_reason) == ("stopped", "paid")
    assert app.timeline.next_due() is None
    assert checked(run) == []


def test_an_accepted_settlement_ends_the_debt_once_its_amount_arrives(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 9, 16), type="settlement_offer", amount="80.00", expires="2026-03-31")
    run.event(utc(2026, 3, 10, 16), type="settlement_accepted")
    run.event(utc(2026, 3, 12, 16), type="payment", amount="40.00")
    assert app.store.require("A-1").status == "active"  # half of it: collection goes on
    run.event(utc(2026, 3, 16, 16), type="payment", amount="40.00")
    run_until(app, clock, utc(2026, 4, 30))

    assert run.sent() == [
        ("2026-03-02", "early.1", "sms"),
        ("2026-03-06", "early.2", "email"),
        ("2026-03-09", "plan.settlement_offer", "email"),
        ("2026-03-11", "mid.1#d10", "email"),
    ]
    offer = outbox(app, "email")[1]
    assert offer["subject"] == "An offer to settle your account with Northwind Lending"
    assert offer["text"].startswith(
        "Hi Sam Lee,\n\nWe can settle your account with Northwind Lending for $80.00, instead of"
        " the balance of $125.50. The offer stands until March 31, 2026.\n\nYou do not have to"
        " accept it."
    )
    assert run.plan_outcomes() == [
        ("2026-03-09", "plan", "settlement_offered"),
        ("2026-03-10", "plan", "settlement_accepted"),
        ("2026-03-16", "plan", "settled"),
    ]
    state = app.store.require("A-1")
    assert (state.status, state.status_reason) == ("stopped", "paid")
    assert state.settlement is not None and state.settlement.paid_at == utc(2026, 3, 16, 16)
    assert checked(run) == []


def test_a_settlement_cannot_be_accepted_after_it_expires(app: App, clock: SimulatedClock) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 3, 16), type="settlement_offer", amount="80.00", expires="2026-03-05")
    out = run.event(utc(2026, 3, 6, 16), type="settlement_accepted")

    assert out.outcome == "rejected"
    assert out.reason == "invalid_event: account 'A-1' has no settlement offer open"


def test_a_new_plan_replaces_the_old_one_with_sends_of_its_own(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN[:1])
    run.event(utc(2026, 3, 8, 16), type="plan_agreed", installments=PLAN[:1])
    run_until(app, clock, utc(2026, 3, 18))

    assert [s for s in run.sent() if s[1].startswith("plan")] == [
        ("2026-03-07", "plan.confirmation", "email"),
        ("2026-03-09", "plan.confirmation", "email"),  # Sunday the 8th is blocked
        ("2026-03-17", "plan.1.before3", "sms"),
    ]
    assert [m["dispatch_id"] for m in outbox(app, "email")][1:] == [
        "A-1:plan.confirmation~q1:0",
        "A-1:plan.confirmation~q2:0",
    ]
    assert outbox(app, "sms")[-1]["dispatch_id"] == "A-1:plan.1.before3~p2:0"
    assert run.plan_outcomes() == [
        ("2026-03-07", "plan", "agreed"),
        ("2026-03-08", "plan", "replaced"),
        ("2026-03-08", "plan", "agreed"),
    ]


def test_a_broken_plan_goes_to_the_tier_the_schedule_names(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    schedule = PLAN_SCHEDULE.replace("on_broken: resume", "on_broken: tier late")
    app = make_app(redis_url, tmp_path, clock, schedule)
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN[:1])
    run_until(app, clock, utc(2026, 5, 31))

    assert [s for s in run.sent() if s[0] > "2026-03-21"] == [
        ("2026-03-23", "plan.1.after2", "sms"),
        # broken on the 24th: the mid tier is passed over, collection goes on at tier late
        ("2026-05-25", "late.1#d85", "email"),
    ]
    assert run.plan_outcomes()[-1] == ("2026-03-24", "plan.1", "broken")


def test_a_cancelled_plan_resumes_collection_where_it_left(app: App, clock: SimulatedClock) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN)
    run.event(utc(2026, 3, 12, 16), type="plan_cancelled", reason="asked to end the plan")
    run_until(app, clock, utc(2026, 3, 20))

    assert [s for s in run.sent() if s[0] > "2026-03-07"] == [("2026-03-18", "mid.1#d17", "email")]
    assert run.plan_outcomes() == [
        ("2026-03-07", "plan", "agreed"),
        ("2026-03-12", "plan", "cancelled"),
    ]
    assert app.store.require("A-1").plan.reason == "asked to end the plan"  # type: ignore[union-attr]


def test_a_stopped_debt_takes_no_plan(app: App, clock: SimulatedClock) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 3, 16), type="cease")
    out = run.event(utc(2026, 3, 4, 16), type="plan_agreed", installments=PLAN)

    assert out.outcome == "rejected"
    assert out.reason == (
        "invalid_event: account 'A-1' is stopped (ceased): a stopped debt takes no plan_agreed"
    )


def test_a_plan_in_another_currency_than_the_balance_is_refused(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    out = Run(app, clock).event(
        utc(2026, 3, 3, 16), type="plan_agreed", installments=PLAN, currency="EUR"
    )

    assert out.outcome == "rejected"
    assert out.reason == "invalid_event: currency: is EUR, but the account's balance is in USD"


def test_explain_shows_the_balance_each_instalment_and_the_next_plan_step(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN, reference="P-1")
    run.event(utc(2026, 3, 19, 16), type="payment", amount="60.00")
    run_until(app, clock, utc(2026, 3, 20))
    console = Console(record=True, width=200)
    explain_account(app, "A-1", console)
    lines = [line.rstrip() for line in console.export_text().splitlines()]

    assert lines[lines.index("balance: 125.50 USD, paid 60.00, outstanding 65.50") :][:5] == [
        "balance: 125.50 USD, paid 60.00, outstanding 65.50",
        "plan 1: active, agreed 2026-03-07T16:00:00Z, reference P-1",
        "  instalment 1: 50.00 due 2026-03-20, paid 50.00, kept",
        "  instalment 2: 50.00 due 2026-04-03, paid 10.00, open",
        "  instalment 3: 25.50 due 2026-04-17, paid 0, open",
    ]
    assert any(
        line.startswith("next step: plan.2.before3 (plan, day 30) sms template plan_reminder")
        for line in lines
    )


def test_the_account_api_shows_balance_plan_and_settlement(
    redis_client: object, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    assert client.post("/v1/accounts", json=account(), headers=AUTH).status_code == 202
    agreed = {"type": "plan_agreed", "installments": PLAN[:2], "currency": "USD"}
    assert client.post("/v1/accounts/A-1/events", json=agreed, headers=AUTH).status_code == 202
    pay = {"type": "payment", "amount": "50", "installment": 2}
    assert client.post("/v1/accounts/A-1/events", json=pay, headers=AUTH).status_code == 202
    offer = {"type": "settlement_offer", "amount": "60", "expires": "2026-03-31"}
    assert client.post("/v1/accounts/A-1/events", json=offer, headers=AUTH).status_code == 202
    got = client.get("/v1/accounts/A-1", headers=AUTH).json()

    assert got["balance"] == {
        "amount": "125.50", "currency": "USD", "paid": "50", "outstanding": "75.50"
    }  # fmt: skip
    assert got["plan"] == {
        "number": 1,
        "status": "active",
        "reason": None,
        "agreed_at": "2026-03-02T12:00:00Z",
        "currency": "USD",
        "reference": None,
        "installments": [
            {"number": 1, "due_date": "2026-03-20", "amount": "50.00", "paid": "0",
             "status": "open"},
            {"number": 2, "due_date": "2026-04-03", "amount": "50.00", "paid": "50",
             "status": "kept"},
        ],
    }  # fmt: skip
    assert got["settlement"] == {
        "amount": "60", "expires": "2026-03-31", "offered_at": "2026-03-02T12:00:00Z",
        "accepted_at": None, "paid_at": None,
    }  # fmt: skip
    # schedule t has no plan section: the plan is kept, its only step is instalment 1's checkpoint
    assert got["next_step"] == {
        "key": "plan.1.due", "tier": "plan", "day": 23, "channel": None, "template": None,
        "due_at": "2026-03-24T04:00:00Z",
    }  # fmt: skip
    wrong = {"type": "payment", "amount": "5", "installment": 3}
    refused_payment = client.post("/v1/accounts/A-1/events", json=wrong, headers=AUTH)
    assert (refused_payment.status_code, refused_payment.json()["field"]) == (422, "installment")
    assert refused_payment.json()["detail"] == "installment: plan 1 has instalments 1 to 2, not 3"
    cancel = {"type": "plan_cancelled"}
    refused = client.post("/v1/accounts/A-1/events", json=cancel, headers=AUTH)
    assert (refused.status_code, refused.json()["field"]) == (422, "reason")
    stopped = client.post("/v1/accounts/A-1/events", json={"type": "cease"}, headers=AUTH)
    assert stopped.status_code == 202
    again = client.post("/v1/accounts/A-1/events", json=agreed, headers=AUTH)
    assert again.status_code == 409


def test_explain_names_a_checkpoint_and_asks_no_gate_about_it(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN[:1])
    run_until(app, clock, utc(2026, 3, 23, 18))  # after the after2 step, before the checkpoint
    console = Console(record=True, width=200)
    explain_account(app, "A-1", console)
    text = console.export_text()

    assert (
        "next step: plan.1.due, the plan's checkpoint at 2026-03-24T04:00:00Z: nothing is sent;"
        " the plan breaks if the instalment is still unpaid"
    ) in text
    assert "gate at" not in text


def test_a_plan_agreed_during_a_dispute_waits_for_its_resolution(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 3, 16), type="dispute", reason="amount")
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN[:1])
    assert app.timeline.next_due() is None  # held: nothing is placed, the plan's steps neither
    run.event(utc(2026, 3, 16, 16), type="dispute_resolved")
    run_until(app, clock, utc(2026, 3, 21))

    assert [s for s in run.sent() if s[0] > "2026-03-02"] == [
        ("2026-03-16", "plan.confirmation", "email"),
        ("2026-03-17", "plan.1.before3", "sms"),
        ("2026-03-20", "plan.1.on0", "email"),
    ]


def test_the_command_line_agrees_a_plan_and_pays_an_instalment(
    redis_url: str, redis_client: object, tmp_path: Path
) -> None:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(PLAN_SCHEDULE)
    env = {
        **os.environ, "REDIS_URL": redis_url, "REMIND_FIXED_NOW": "2026-03-07T16:00:00Z",
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_DATA_DIR": str(tmp_path / "var"), "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "COLUMNS": "200",
    }  # fmt: skip

    def remind(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "worker.cli", *args], env=env, input=stdin,
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    remind("enroll", "-", stdin=json.dumps(account()) + "\n")
    terms = json.dumps({"installments": PLAN, "reference": "P-1"})
    assert remind("event", "A-1", "plan_agreed", "--json", terms).strip() == (
        "A-1: plan_agreed applied; status active"
    )
    remind("event", "A-1", "payment", "--amount", "50", "--installment", "2")
    remind("event", "A-1", "settlement_offer", "--amount", "60", "--expires", "2026-03-31")
    shown = remind("explain", "A-1")

    assert "plan 1: active, agreed 2026-03-07T16:00:00Z, reference P-1" in shown
    assert "  instalment 2: 50.00 due 2026-04-03, paid 50, kept" in shown
    assert "settlement: 60 until 2026-03-31, offered" in shown
    assert "next step: plan.confirmation (plan, day 6) email template plan_confirmation" in shown


def test_a_migration_keeps_an_account_on_its_plan_with_the_new_versions_steps(
    app: App, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    run = Run(app, clock)
    run.event(utc(2026, 3, 7, 16), type="plan_agreed", installments=PLAN[:1])
    run_until(app, clock, utc(2026, 3, 10))
    v2 = PLAN_SCHEDULE.replace('version: "1"', 'version: "2"').replace("before: 3", "before: 5")
    (app.settings.schedules_dir / "t.yaml").write_text(v2)
    migrate(app, "t", "2")
    state = app.store.require("A-1")
    assert plans.current_step(state, app.pinned_schedule("t@2")).key == "plan.1.before5"  # type: ignore[union-attr]
    run_until(app, clock, utc(2026, 3, 31))

    assert [s for s in run.sent() if s[0] > "2026-03-07"] == [
        ("2026-03-16", "plan.1.before5", "sms"),  # Sunday the 15th is blocked
        ("2026-03-20", "plan.1.on0", "email"),
        ("2026-03-23", "plan.1.after2", "sms"),  # Sunday the 22nd is blocked
        # broken on the 24th; collection resumes at the migrated cursor, from today on
        ("2026-03-25", "mid.1#d24", "email"),
    ]
