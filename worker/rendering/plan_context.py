"""The template variables of a repayment plan, beside ``build_context``'s: amounts and dates
formatted for the message's locale, ``None`` when the account has no plan or offer.

============  ===========================================================================
``plan``      ``{count, total, reference, installments: [{number, due_date, amount, status}]}``
``installment``  the instalment the step is about (else the next open one):
              ``{number, due_date, amount, remaining}``
``balance_left``  the balance less every payment recorded
``settlement``  an open settlement offer: ``{amount, expires}`` (its last day)
============  ===========================================================================
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from worker.accounts.balance import offer_open, outstanding
from worker.accounts.plan_state import Instalment, Plan, Settlement
from worker.accounts.state import AccountState
from worker.rendering.context import format_amount, format_date

#: The keys ``plan_context`` always returns.
PLAN_KEYS = ("plan", "installment", "balance_left", "settlement")


def plan_context(
    state: AccountState, locale: str, now: datetime, number: int | None = None
) -> dict[str, Any]:
    """The plan variables for ``state`` at ``now``; ``number``: the step's instalment."""
    balance = state.account.balance
    currency = (state.plan.currency if state.plan else None) or (
        balance.currency if balance else None
    )
    left = outstanding(state)
    plan = state.plan
    inst = None
    if plan is not None:
        inst = plan.instalment(number) if number is not None else plan.next_open()
    return {
        "plan": _plan(plan, currency, locale) if plan is not None else None,
        "installment": _instalment(inst, currency, locale) if inst is not None else None,
        "balance_left": _money(str(max(left, Decimal(0))), currency) if left is not None else None,
        "settlement": (
            _settlement(state.settlement, currency, locale)
            if state.settlement is not None and offer_open(state, now)
            else None
        ),
    }


def sample_plan_context(locale: str, currency: str = "USD") -> dict[str, Any]:
    """Plan variables for a sample account (``remind templates lint`` and ``preview``)."""
    plan = Plan(
        number=1,
        agreed_at=datetime(2026, 3, 10),
        currency=currency,
        reference="PLAN-1",
        installments=[
            Instalment(number=1, due_date=date(2026, 4, 1), amount="50.00", paid="50.00"),
            Instalment(number=2, due_date=date(2026, 5, 1), amount="50.00"),
            Instalment(number=3, due_date=date(2026, 6, 1), amount="25.50"),
        ],
    )
    offer = Settlement(amount="100.00", expires=date(2026, 4, 30), offered_at=datetime(2026, 4, 2))
    return {
        "plan": _plan(plan, currency, locale),
        "installment": _instalment(plan.installments[1], currency, locale),
        "balance_left": _money("75.50", currency),
        "settlement": _settlement(offer, currency, locale),
    }


def _money(amount: str, currency: str | None) -> str:
    return format_amount(amount, currency) if currency else f"{Decimal(amount):,.2f}"


def _plan(plan: Plan, currency: str | None, locale: str) -> dict[str, Any]:
    total = sum((Decimal(i.amount) for i in plan.installments), Decimal(0))
    return {
        "count": len(plan.installments),
        "total": _money(str(total), currency),
        "reference": plan.reference,
        "installments": [
            {
                "number": i.number,
                "due_date": format_date(i.due_date, locale),
                "amount": _money(i.amount, currency),
                "status": i.status,
            }
            for i in plan.installments
        ],
    }


def _instalment(inst: Instalment, currency: str | None, locale: str) -> dict[str, Any]:
    return {
        "number": inst.number,
        "due_date": format_date(inst.due_date, locale),
        "amount": _money(inst.amount, currency),
        "remaining": _money(str(inst.remaining), currency),
    }


def _settlement(offer: Settlement, currency: str | None, locale: str) -> dict[str, Any]:
    return {"amount": _money(offer.amount, currency), "expires": format_date(offer.expires, locale)}
