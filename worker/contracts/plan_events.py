"""The repayment-plan part of the event contract: instalments, money, and what each type takes.

``plan_agreed {installments: [{due_date, amount}], currency?, reference?}`` puts the account on
a plan, ``payment {amount, installment?}`` pays towards it, ``settlement_offer {amount,
expires}`` and ``settlement_accepted`` settle the debt for less, ``plan_cancelled {reason}`` ends
the plan. Money is a decimal string, as on the account's ``balance``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import field_validator

from worker.contracts.vocab import StrictModel

#: The most instalments one plan may have (five years of monthly payments).
MAX_INSTALLMENTS = 60
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def positive_decimal(v: Any) -> str | None:
    """A positive, finite decimal as its canonical string (``"125.50"``); None stays None."""
    if v is None:
        return v
    if isinstance(v, bool):
        raise ValueError("must be a decimal string such as '125.50'")
    try:
        value = Decimal(str(v))
    except InvalidOperation:
        raise ValueError("must be a decimal string such as '125.50'") from None
    # NaN or a zero/negative amount would corrupt the payment history the cadence reads.
    if not value.is_finite() or value <= 0:
        raise ValueError("must be a positive decimal string such as '125.50'")
    return str(value)


def currency_code(v: str | None) -> str | None:
    """An ISO 4217 code, upper-cased."""
    if v is None:
        return v
    if not _CURRENCY.fullmatch(v):
        raise ValueError("must be an ISO 4217 currency code such as USD or CNY")
    return v.upper()


class InstallmentTerm(StrictModel):
    """One agreed instalment: pay ``amount`` by ``due_date`` (the person's local date)."""

    due_date: date
    amount: str

    _amount = field_validator("amount", mode="before")(
        classmethod(lambda cls, v: positive_decimal(v))
    )


#: Fields each plan event type requires, and every field it may carry.
PLAN_REQUIRED: dict[str, tuple[str, ...]] = {
    "plan_agreed": ("installments",),
    "settlement_offer": ("amount", "expires"),
    "plan_cancelled": ("reason",),
}
PLAN_ALLOWED: dict[str, set[str]] = {
    "plan_agreed": {"installments", "currency", "reference"},
    "payment": {"amount", "installment"},
    "settlement_offer": {"amount", "expires"},
    "plan_cancelled": {"reason"},
}
#: The fields only plan events use (refused on every other type).
PLAN_FIELDS = ("installments", "currency", "reference", "installment", "expires")


def installments_problem(terms: list[InstallmentTerm]) -> tuple[str, str] | None:
    """The first field of a plan's instalments that is wrong, and why; None when sound.

    Instalments come in date order, one a day at most, and a plan has at least one.
    """
    if not terms:
        return "installments", "must list at least one instalment"
    if len(terms) > MAX_INSTALLMENTS:
        return "installments", f"must list at most {MAX_INSTALLMENTS} instalments"
    for i in range(1, len(terms)):
        if terms[i].due_date <= terms[i - 1].due_date:
            return (
                f"installments.{i}.due_date",
                f"must come after {terms[i - 1].due_date} (instalment {i - 1}): instalments"
                " are listed in date order, one a day at most",
            )
    return None
