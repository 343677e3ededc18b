"""Balance, plan and settlement as ``remind explain`` prints them and ``GET /v1/accounts/{id}``
returns them (money as decimal strings, dates as ``YYYY-MM-DD``, instants as UTC ISO 8601)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from worker.accounts.balance import outstanding
from worker.accounts.state import AccountState
from worker.clock import isoformat_utc


def balance_view(state: AccountState) -> dict[str, Any] | None:
    """``{amount, currency, paid, outstanding}``, or None when the account gives no balance."""
    balance = state.account.balance
    left = outstanding(state)
    if balance is None or left is None:
        return None
    paid = sum((Decimal(p.amount) for p in state.payments), Decimal(0))
    return {
        "amount": balance.amount,
        "currency": balance.currency,
        "paid": str(paid),
        "outstanding": str(max(left, Decimal(0))),
    }


def plan_view(state: AccountState) -> dict[str, Any] | None:
    """The latest plan with each instalment's state, or None when there never was one."""
    plan = state.plan
    if plan is None:
        return None
    return {
        "number": plan.number,
        "status": plan.status,
        "reason": plan.reason,
        "agreed_at": isoformat_utc(plan.agreed_at),
        "currency": plan.currency,
        "reference": plan.reference,
        "installments": [
            {
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "amount": i.amount,
                "paid": i.paid,
                "status": i.status,
            }
            for i in plan.installments
        ],
    }


def settlement_view(state: AccountState) -> dict[str, Any] | None:
    """The latest settlement offer: amount, last day, and when accepted and paid."""
    offer = state.settlement
    if offer is None:
        return None
    return {
        "amount": offer.amount,
        "expires": offer.expires.isoformat(),
        "offered_at": isoformat_utc(offer.offered_at),
        "accepted_at": isoformat_utc(offer.accepted_at) if offer.accepted_at else None,
        "paid_at": isoformat_utc(offer.paid_at) if offer.paid_at else None,
    }


def plan_lines(state: AccountState) -> list[str]:
    """The lines ``remind explain`` prints about the balance, the plan and an offer."""
    lines: list[str] = []
    balance = balance_view(state)
    if balance is not None:
        lines.append(
            f"balance: {balance['amount']} {balance['currency']}, paid {balance['paid']},"
            f" outstanding {balance['outstanding']}"
        )
    plan = plan_view(state)
    if plan is not None:
        why = f" ({plan['reason']})" if plan["reason"] else ""
        ref = f", reference {plan['reference']}" if plan["reference"] else ""
        lines.append(
            f"plan {plan['number']}: {plan['status']}{why}, agreed {plan['agreed_at']}{ref}"
        )
        lines += [
            f"  instalment {i['number']}: {i['amount']} due {i['due_date']},"
            f" paid {i['paid']}, {i['status']}"
            for i in plan["installments"]
        ]
    offer = settlement_view(state)
    if offer is not None:
        said = "accepted" if offer["accepted_at"] else "offered"
        said = "paid" if offer["paid_at"] else said
        lines.append(f"settlement: {offer['amount']} until {offer['expires']}, {said}")
    return lines
