"""The event contract (docs/contracts.md, "Event"): something that happened to an account."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import field_validator, model_validator

from worker.contracts.account import Address, Email, Phone, _check_locale, _check_timezone
from worker.contracts.plan_events import (
    PLAN_ALLOWED,
    PLAN_FIELDS,
    PLAN_REQUIRED,
    InstallmentTerm,
    currency_code,
    installments_problem,
    positive_decimal,
)
from worker.contracts.statements import Attorney, CallResult, StatedConstraint
from worker.contracts.vocab import ACCOUNT_ID, CLOSE_REASONS, Channel, StrictModel

__all__ = ["EVENT_TYPES", "Attorney", "CallResult", "Event", "EventType", "StatedConstraint"]

EventType = Literal[
    "paid",
    "payment",
    "promise_to_pay",
    "dispute",
    "dispute_resolved",
    "cease",
    "opt_out",
    "opt_in",
    "conversation",
    "contact_update",
    "close",
    "constraint",
    "call_result",
    "reply",
    "represented_by_attorney",
    "plan_agreed",
    "settlement_offer",
    "settlement_accepted",
    "plan_cancelled",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


class Event(StrictModel):
    """Something that happened to an account (docs/contracts.md, Event).

    Fields beyond the type's are refused.
    """

    account_id: str
    type: EventType
    at: datetime | None = None
    amount: str | None = None
    until: date | None = None
    channel: Channel | None = None
    address: str | None = None
    reason: str | None = None
    # contact_update fields
    name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    phones: list[Phone] | None = None
    emails: list[Email] | None = None
    postal_address: Address | None = None
    # constraint and call_result fields
    constraint: StatedConstraint | None = None
    result: CallResult | None = None
    dispatch_id: str | None = None
    #: conversation: other debts of the same person that were discussed (F2 applies to each)
    debts: list[str] | None = None
    #: reply: the person's own words, without the message they answer
    text: str | None = None
    #: represented_by_attorney: the attorney, when known
    attorney: Attorney | None = None
    #: plan_agreed: the instalments, their currency and the plan's own reference
    installments: list[InstallmentTerm] | None = None
    currency: str | None = None
    reference: str | None = None
    #: payment: the instalment (1-based) it pays; default the first one still open
    installment: int | None = None
    #: settlement_offer: the last local day the offer stands
    expires: date | None = None

    @field_validator("account_id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ACCOUNT_ID.match(v):
            raise ValueError("must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")
        return v

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-03-01T12:00:00Z")
        return v.astimezone(UTC) if v is not None else v

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, v: Any) -> str | None:
        return positive_decimal(v)

    _currency = field_validator("currency")(classmethod(lambda cls, v: currency_code(v)))

    @field_validator("installment")
    @classmethod
    def _installment(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("must be 1 or more: instalments count from 1")
        return v

    @field_validator("reference")
    @classmethod
    def _reference(cls, v: str | None) -> str | None:
        if v is not None and not 1 <= len(v) <= 128:
            raise ValueError("must be 1 to 128 characters")
        return v

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))
    _loc = field_validator("locale")(classmethod(lambda cls, v: _check_locale(v)))

    @model_validator(mode="after")
    def _fields_for_type(self) -> Event:
        required = {
            "payment": ("amount",),
            "promise_to_pay": ("until",),
            "opt_out": ("channel",),
            "opt_in": ("channel",),
            "conversation": ("channel",),
            "close": ("reason",),
            "constraint": ("constraint",),
            "call_result": ("result",),
            "reply": ("channel", "text"),
            **PLAN_REQUIRED,
        }.get(self.type, ())
        for name in required:
            if getattr(self, name) is None:
                raise _FieldMissing(name, f"is required for {_a(self.type)} event")
        if self.type == "close" and self.reason not in CLOSE_REASONS:
            raise _FieldMissing(
                "reason", f"must be one of {', '.join(CLOSE_REASONS)}, not {self.reason!r}"
            )
        allowed_extra = {
            "payment": {"amount"},
            "promise_to_pay": {"until", "amount"},
            "opt_out": {"channel", "address"},
            "opt_in": {"channel", "address"},
            "conversation": {"channel", "debts"},
            "close": {"reason"},
            "dispute": {"reason"},
            "contact_update": {"name", "locale", "timezone", "phones", "emails", "postal_address"},
            "constraint": {"constraint", "until"},
            "call_result": {"result", "dispatch_id"},
            "reply": {"channel", "address", "text"},
            "represented_by_attorney": {"attorney"},
            **PLAN_ALLOWED,
        }.get(self.type, set())
        optional = {
            "amount",
            "until",
            "channel",
            "address",
            "reason",
            "name",
            "locale",
            "timezone",
            "phones",
            "emails",
            "postal_address",
            "constraint",
            "result",
            "dispatch_id",
            "debts",
            "text",
            "attorney",
            *PLAN_FIELDS,
        }
        for name in optional - allowed_extra:
            if getattr(self, name) is not None:
                raise _FieldMissing(name, f"does not apply to {_a(self.type)} event")
        if self.type == "plan_agreed" and self.installments is not None:
            problem = installments_problem(self.installments)
            if problem is not None:
                raise _FieldMissing(*problem)
        if self.type == "reply":
            _check_reply(self.channel, self.address, self.text)
        if self.type == "contact_update" and not any(
            getattr(self, n) is not None for n in allowed_extra
        ):
            # "address", as on the account contract: parse_event maps it to postal_address.
            raise _FieldMissing(
                None,
                "a contact_update event needs at least one of "
                "name, locale, timezone, address, phones, emails",
            )
        return self


#: The longest reply text accepted: a long email, not a whole mailbox.
MAX_REPLY_TEXT = 20_000


def _check_reply(channel: str | None, address: str | None, text: str | None) -> None:
    """A reply comes by text or email, from a number or address of that kind."""
    if channel not in ("sms", "email"):
        raise _FieldMissing("channel", f"a reply comes by sms or email, not {channel}")
    if text is not None and len(text) > MAX_REPLY_TEXT:
        raise _FieldMissing("text", f"is longer than {MAX_REPLY_TEXT} characters")
    if address is None:
        return
    try:
        if channel == "email":
            Email(address=address)
        else:
            Phone(number=address)
    except ValueError:
        want = "an email address" if channel == "email" else "a phone number in E.164 form"
        raise _FieldMissing("address", f"must be {want}") from None


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "an opt_out", "a paid"."""
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


class _FieldMissing(ValueError):
    """A cross-field rule failed; carries the field it is about."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        super().__init__(message)
