"""Repayment plans as the checker recomputes them from the events alone (docs/contracts.md):

- ``plan/collection-during-plan``: no step of the collection cadence (any tier but ``plan``)
  while a plan is surely active: from its ``plan_agreed`` until it is cancelled, paid in full,
  the debt stops, or an instalment is still unpaid when its grace days have run out in every
  candidate zone (the cautious reading: collection may resume only once the plan is broken
  wherever the person may be);
- ``plan/step-without-plan``: no plan step about an instalment (``plan.<n>.before3``,
  ``on0``, ``after2``) unless that plan is active and that instalment still unpaid;
- ``plan/after-paid``: no send at all once the payments cover the account's balance, or reach
  an accepted settlement's amount (paid since the offer): that stops the debt as ``paid`` does.

Payments go to the instalment they name, else the first unpaid one, the rest to the next ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from .sends import Send, instant

Event = Mapping[str, Any]
_FOREVER = datetime.max.replace(tzinfo=UTC)
_STOPS = ("paid", "cease", "close", "represented_by_attorney")


@dataclass
class _Plan:
    start: datetime
    dues: list[date]
    amounts: list[Decimal]
    paid: list[Decimal] = field(default_factory=list)
    end: datetime = _FOREVER
    #: instalment number -> when it was paid in full
    settled: dict[int, datetime] = field(default_factory=dict)


def repayment_breaches(
    sends: Sequence[Send], accounts: Mapping[str, Any], events: Sequence[Event], schedule: str
) -> list[str]:
    """Every send that a repayment plan or a paid balance forbids; [] when none."""
    doc = yaml.safe_load(schedule)
    grace = int((doc.get("plan") or {}).get("grace_days", 3))
    out: list[str] = []
    for account_id, row in accounts.items():
        data = row.model_dump(mode="json") if hasattr(row, "model_dump") else row
        mine = sorted(
            (e for e in events if e["account_id"] == account_id and e.get("at")),
            key=lambda e: instant(e["at"]),
        )
        zones = next((s.person.zones for s in sends if s.person.account_id == account_id), ())
        plans, paid_at = _replay(mine, data.get("balance"), grace, zones)
        for send in (s for s in sends if s.person.account_id == account_id):
            out += _judge(send, plans, paid_at)
    return out


def _judge(send: Send, plans: list[_Plan], paid_at: datetime | None) -> list[str]:
    out: list[str] = []
    if paid_at is not None and send.at > paid_at:
        out.append(f"plan/after-paid@checker: {send.label} follows the payment at {paid_at}")
    active = next((p for p in reversed(plans) if p.start <= send.at < p.end), None)
    if send.tier != "plan" and active is not None:
        out.append(f"plan/collection-during-plan@checker: {send.label} falls in a plan")
    parts = (send.step or "").split(".")
    if send.tier == "plan" and len(parts) == 3 and parts[1].isdigit():
        n = int(parts[1])
        if parts[2] == "thanks":
            return out
        open_then = (
            active is not None
            and n <= len(active.dues)
            and (n not in active.settled or send.at <= active.settled[n])
        )
        if not open_then:
            out.append(f"plan/step-without-plan@checker: {send.label} is about no open instalment")
    return out


def _replay(
    events: Sequence[Event], balance: Mapping[str, Any] | None, grace: int, zones: Sequence[str]
) -> tuple[list[_Plan], datetime | None]:
    plans: list[_Plan] = []
    total = Decimal(0)
    offer: tuple[Decimal, datetime] | None = None
    accepted = False
    since_offer = Decimal(0)
    for e in events:
        at = instant(e["at"])
        current = plans[-1] if plans and at < plans[-1].end else None
        kind = e["type"]
        if kind == "plan_agreed":
            if current is not None:
                current.end = at
            terms = e["installments"]
            plan = _Plan(
                at, [date.fromisoformat(str(t["due_date"])) for t in terms],
                [Decimal(str(t["amount"])) for t in terms],
            )  # fmt: skip
            plan.paid = [Decimal(0)] * len(plan.dues)
            plan.end = _broken_at(plan, grace, zones)
            plans.append(plan)
        elif kind in ("plan_cancelled", *_STOPS) and current is not None:
            current.end = at
        elif kind == "settlement_offer":
            offer, accepted, since_offer = (Decimal(str(e["amount"])), at), False, Decimal(0)
        elif kind == "settlement_accepted":
            accepted = offer is not None
        elif kind == "payment":
            amount = Decimal(str(e["amount"]))
            total += amount
            since_offer += amount if offer is not None else 0
            if current is not None:
                _apply(current, amount, e.get("installment"), at, grace, zones)
            covered = balance is not None and total >= Decimal(str(balance["amount"]))
            if covered or (accepted and offer is not None and since_offer >= offer[0]):
                if current is not None:
                    current.end = min(current.end, at)
                return plans, at
    return plans, None


def _apply(
    plan: _Plan, amount: Decimal, named: Any, at: datetime, grace: int, zones: Sequence[str]
) -> None:
    order = list(range(len(plan.dues)))
    if named is not None and 1 <= int(named) <= len(order):
        order.remove(int(named) - 1)
        order.insert(0, int(named) - 1)
    for i in order:
        if amount <= 0:
            break
        part = min(amount, plan.amounts[i] - plan.paid[i])
        if part <= 0:
            continue
        plan.paid[i] += part
        amount -= part
        if plan.paid[i] >= plan.amounts[i]:
            plan.settled[i + 1] = at
    if len(plan.settled) == len(plan.dues):
        plan.end = min(plan.end, at)
    else:
        plan.end = _broken_at(plan, grace, zones)


def _broken_at(plan: _Plan, grace: int, zones: Sequence[str]) -> datetime:
    """When the first unpaid instalment's grace days have run out in every candidate zone."""
    for i, due in enumerate(plan.dues):
        if i + 1 not in plan.settled:
            day = due + timedelta(days=grace + 1)
            return max(
                datetime.combine(day, time(0), tzinfo=ZoneInfo(z)).astimezone(UTC)
                for z in zones or ("UTC",)
            )
    return _FOREVER
