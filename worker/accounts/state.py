"""Account state: what remind knows about one enrolled account between messages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.accounts.plan_state import PlanFields
from worker.contracts.account import Account
from worker.contracts.event import StatedConstraint

Status = Literal["active", "paused", "held", "stopped", "completed"]
#: How a message reaches the person, as 12 CFR 1006.18(e) tells initial communications apart.
Medium = Literal["written", "oral"]


class Payment(BaseModel):
    at: datetime
    amount: str


class Conversation(BaseModel):
    at: datetime
    channel: str


class Constraint(BaseModel):
    """A stated constraint as recorded: what, since when, until which date (inclusive)."""

    at: datetime
    until: date | None = None
    constraint: StatedConstraint

    def active(self, now: datetime) -> bool:
        return self.until is None or now.date() <= self.until


class AccountState(PlanFields):
    """The stored record of an enrolled account (JSON in Redis)."""

    model_config = ConfigDict(extra="ignore")

    account: Account
    schedule: str  # name
    version: str  # pinned schedule version
    status: Status = "active"
    #: paid | ceased | closed when stopped; disputed when held; promise_to_pay when paused
    status_reason: str | None = None
    #: why a ``close`` event closed the account (bankrupt, deceased...; ``CLOSE_REASONS``)
    close_reason: str | None = None
    paused_until: datetime | None = None
    #: index of the pending occurrence in the pinned schedule; None when the cadence has ended
    cursor: int | None = None
    #: when the pending step is due (mirrors its timeline score; guards against stale messages)
    due_at: datetime | None = None
    attempt: int = 0
    #: which cadence of the account this is: 0 for the first, one more each time an enrolment
    #: restarts the schedule (a new due date or schedule); the dispatch ids carry it, so a new
    #: cadence's sends are never taken for the earlier one's (``keys.dispatch_id``)
    cycle: int = 0
    enrolled_at: datetime
    updated_at: datetime
    payments: list[Payment] = Field(default_factory=list)
    conversations: list[Conversation] = Field(default_factory=list)
    constraints: list[Constraint] = Field(default_factory=list)
    #: messages sent on this account's debt, calls included whatever their result
    sent_count: int = 0
    #: media ("written": SMS and email; "oral": calls) in which a message carried the initial
    #: disclosure of 12 CFR 1006.18(e)(1) (F16); later messages there carry the subsequent one
    disclosed: list[Medium] = Field(default_factory=list)
    #: media in which remind is known to have communicated on this debt: a sent SMS or email, an
    #: answered call (a limited-content voicemail and an unanswered call are no communication)
    communicated: list[Medium] = Field(default_factory=list)
    #: calls that said the initial disclosure, their result not yet known to be ``answered``
    #: (the latest few): the first of them answered gives the oral disclosure
    disclosing_calls: list[str] = Field(default_factory=list)
    #: the last call placed, so a call_result event without a dispatch id finds it
    last_call: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_close_reason(cls, data: Any) -> Any:
        """States saved before ``close_reason`` existed hold ``status_reason: closed:<reason>``."""
        if isinstance(data, dict):
            reason = data.get("status_reason")
            if isinstance(reason, str) and reason.startswith("closed:"):
                data = {**data, "status_reason": "closed", "close_reason": reason[len("closed:") :]}
        return data

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def person_id(self) -> str:
        return self.account.person

    @property
    def schedule_ref(self) -> str:
        return f"{self.schedule}@{self.version}"
