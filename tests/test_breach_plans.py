"""The independent checker (``tests/breach/repayment.py``) speaks up on planted plan breaches:
a collection step during a plan, an instalment step after it was paid, any send after the
balance or an accepted settlement was paid; and stays quiet on the same sends when the plan
allowed them."""

from __future__ import annotations

from typing import Any

from .breach import find_breaches

SCHEDULE = """\
name: open
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "00:00", end: "23:59"}
tiers:
  - name: mid
    steps:
      - {every: 1, from: 1, until: 90, channel: sms, template: reminder}
plan:
  grace_days: 3
  steps:
    - {before: 3, channel: sms, template: plan_reminder}
"""
ACCOUNTS = {
    "A": {
        "account_id": "A",
        "due_date": "2026-03-01",
        "timezone": "America/Los_Angeles",
        "address": {"country": "US", "region": "NY"},
        "phones": [{"number": "+12125550100", "sms_consent": True}],
        "balance": {"amount": "100.00", "currency": "USD"},
    }
}
AGREED = {
    "account_id": "A",
    "type": "plan_agreed",
    "at": "2026-03-05T15:00:00Z",
    "installments": [
        {"due_date": "2026-03-20", "amount": "40"},
        {"due_date": "2026-04-03", "amount": "60"},
    ],
}


def sent(at: str, step: str, tier: str) -> dict[str, Any]:
    return {"at": at, "account_id": "A", "step": step, "tier": tier, "channel": "sms",
            "outcome": "sent", "provider_id": f"A:{step}:0"}  # fmt: skip


def broken(outcomes: list[dict[str, Any]], *events: dict[str, Any]) -> list[str]:
    found = find_breaches(outcomes, ACCOUNTS, SCHEDULE, events=[AGREED, *events])
    # only the plan rules: a send at 01:00 in New York breaks the hours rules as well
    return [b.split(":", 1)[0] for b in found if b.startswith("plan/")]


def payment(at: str, amount: str) -> dict[str, Any]:
    return {"account_id": "A", "type": "payment", "at": at, "amount": amount}


def test_a_collection_step_during_a_plan_is_a_breach_until_it_surely_broke() -> None:
    during = sent("2026-03-10T15:00:00Z", "mid.1#d9", "mid")
    assert broken([during]) == ["plan/collection-during-plan@checker"]
    # 20 March + 3 grace days: broken from 24 March 00:00 in New York AND Los Angeles
    assert broken([sent("2026-03-24T05:00:00Z", "mid.1#d23", "mid")]) == [
        "plan/collection-during-plan@checker"
    ]
    assert broken([sent("2026-03-24T08:00:00Z", "mid.1#d23", "mid")]) == []
    cancelled = {"account_id": "A", "type": "plan_cancelled", "at": "2026-03-09T15:00:00Z",
                 "reason": "asked"}  # fmt: skip
    assert broken([during], cancelled) == []


def test_an_instalment_step_after_the_instalment_was_paid_is_a_breach() -> None:
    reminder = sent("2026-03-17T15:00:00Z", "plan.1.before3", "plan")
    assert broken([reminder]) == []
    assert broken([reminder], payment("2026-03-16T15:00:00Z", "40")) == [
        "plan/step-without-plan@checker"
    ]
    # a payment short of the instalment leaves it open
    assert broken([reminder], payment("2026-03-16T15:00:00Z", "39.99")) == []


def test_nothing_goes_out_once_the_balance_or_an_accepted_settlement_is_paid() -> None:
    later = sent("2026-03-18T15:00:00Z", "plan.2.before3", "plan")
    paid = payment("2026-03-16T15:00:00Z", "100")
    assert broken([later], paid) == ["plan/after-paid@checker", "plan/step-without-plan@checker"]
    offer = {"account_id": "A", "type": "settlement_offer", "at": "2026-03-10T15:00:00Z",
             "amount": "50", "expires": "2026-03-31"}  # fmt: skip
    accepted = {"account_id": "A", "type": "settlement_accepted", "at": "2026-03-11T15:00:00Z"}
    settled = payment("2026-03-16T15:00:00Z", "50")
    assert broken([later], offer, settled) == []  # not accepted: half the balance, plan goes on
    assert "plan/after-paid@checker" in broken([later], offer, accepted, settled)
