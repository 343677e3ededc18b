"""What is stored about a repayment plan and a settlement offer (part of ``AccountState``).

Money is kept as decimal strings, as the account's balance is; ``Decimal`` does the sums.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

#: How an instalment went: ``open`` until paid in full (``kept`` by its due date, ``late``
#: after it but within the grace days) or ``broken`` (unpaid when the grace days ran out).
InstalmentStatus = Literal["open", "kept", "late", "broken"]
PlanStatus = Literal["active", "completed", "broken", "cancelled", "replaced", "ended"]


class Instalment(BaseModel):
    """One agreed instalment and what has been paid towards it."""

    number: int  # 1-based, as step keys name it (plan.2.before3)
    due_date: date
    amount: str
    paid: str = "0"
    status: InstalmentStatus = "open"
    #: when it was paid in full, or found broken
    closed_at: datetime | None = None

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(self.amount) - Decimal(self.paid), Decimal(0))


class Plan(BaseModel):
    """A repayment plan as agreed, and where the account is in it."""

    number: int  # 1 for the account's first plan, 2 after a renegotiation...
    agreed_at: datetime
    currency: str | None = None
    reference: str | None = None
    installments: list[Instalment]
    status: PlanStatus = "active"
    #: why the plan stopped being active (a plan_cancelled reason, "instalment 2 missed")
    reason: str | None = None
    ended_at: datetime | None = None
    #: index of the pending step among the plan's steps (``plans.plan_steps``); None: none left
    cursor: int | None = None
    #: the collection cursor when the account went onto the plan: ``on_broken: resume`` goes
    #: on from there
    left_cursor: int | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def instalment(self, number: int) -> Instalment | None:
        return next((i for i in self.installments if i.number == number), None)

    def next_open(self) -> Instalment | None:
        return next((i for i in self.installments if i.status == "open"), None)


class Settlement(BaseModel):
    """An offer to settle the debt for ``amount``, open through ``expires`` (local date)."""

    amount: str
    expires: date
    offered_at: datetime
    accepted_at: datetime | None = None
    #: set when payments since the offer reached the amount and the debt ended
    paid_at: datetime | None = None


class Queued(BaseModel):
    """A plan message sent on an event (confirmation, thanks, settlement offer), waiting to go
    out before the next step: ``key`` names it (``plan.2.thanks``), ``day`` is the day past due
    it was queued on, ``serial`` makes its send id unique on the account."""

    key: str
    day: int
    serial: int


class PlanFields(BaseModel):
    """The plan fields of the account state (mixed into ``AccountState``)."""

    plan: Plan | None = None
    settlement: Settlement | None = None
    queued: list[Queued] = Field(default_factory=list)
    #: counts queued messages ever, so each has its own send id
    queued_serial: int = 0
