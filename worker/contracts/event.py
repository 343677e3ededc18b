"""The event contract (docs/contracts.md, "Event"): something that happened to an account."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from pydantic import ValidationError, field_validator, model_validator

from worker.contracts.account import Address, Email, Phone, _check_locale, _check_timezone
from worker.contracts.vocab import ACCOUNT_ID, CLOSE_REASONS, WEEKDAYS, Channel, StrictModel

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
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


ConstraintKind = Literal[
    "inconvenient_hours", "inconvenient_days", "no_work_calls", "refuse_channel", "located_in"
]
#: The fields of a ``located_in`` statement, refused on the other kinds.
_PLACE_FIELDS = ("timezone", "country", "region")
#: How a placed call went: ``answered`` (the person picked up), ``voicemail`` (a message was
#: left), ``unanswered`` (it rang and no message was left, by choice or for want of a voicemail)
#: or ``unreachable`` (it could reach neither the person nor a voicemail: busy, failed, not in
#: service). Added to by appending only (docs/contracts.md, "Event").
CallResult = Literal["answered", "unanswered", "voicemail", "unreachable"]


class Attorney(StrictModel):
    """Who represents the person about the debt, as far as known: contact goes to them, not to
    the person (15 U.S.C. 1692c(a)(2)). remind never contacts an attorney; it keeps this for the
    people who do."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return None if v is None else _checked(Phone, number=v).number

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return None if v is None else _checked(Email, address=v).address


_M = TypeVar("_M", bound=StrictModel)


def _checked(model: type[_M], **fields: str) -> _M:
    """``model`` built from ``fields``, its first error raised as this field's own."""
    try:
        return model(**fields)
    except ValidationError as e:
        raise ValueError(e.errors()[0]["ctx"]["error"]) from None


class StatedConstraint(StrictModel):
    """Something the person said about when or how not to be contacted (Reg F 1006.6(b)(1),
    1006.14(h); CONC 7.9.4R): honoured by the gate until the event's ``until`` date."""

    kind: ConstraintKind
    start: time | None = None
    end: time | None = None
    weekdays: list[str] | None = None
    channel: Channel | None = None
    #: located_in: where the person says they are. The zone becomes the only candidate zone
    #: while the statement holds; the country and region add their packs (docs/contracts.md).
    timezone: str | None = None
    country: str | None = None
    region: str | None = None

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))
    _place = field_validator("country", "region")(
        classmethod(lambda cls, v, info: _check_place(info.field_name, v))
    )

    @model_validator(mode="after")
    def _fields_for_kind(self) -> StatedConstraint:
        if self.kind == "inconvenient_hours":
            if self.start is None or self.end is None:
                raise ValueError("inconvenient_hours needs start and end, e.g. 12:00 and 14:00")
            if not self.start < self.end:
                raise ValueError("start must be before end")
        if self.kind == "inconvenient_days":
            if not self.weekdays:
                raise ValueError("inconvenient_days needs weekdays, e.g. [sunday]")
            bad = [d for d in self.weekdays if d.lower() not in WEEKDAYS]
            if bad:
                raise ValueError(f"weekdays must be English day names, not {bad[0]!r}")
        if self.kind == "refuse_channel" and self.channel is None:
            raise ValueError("refuse_channel needs the channel refused")
        if self.kind == "located_in":
            if self.timezone is None:
                raise ValueError("located_in needs the timezone the person says they are in")
            if self.region is not None and self.country is None:
                raise ValueError("region needs country: a region code means nothing without it")
        elif any(getattr(self, name) is not None for name in _PLACE_FIELDS):
            raise ValueError("timezone, country and region are only for located_in")
        return self


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
        if v is None:
            return v
        try:
            value = Decimal(str(v))
        except InvalidOperation:
            raise ValueError("must be a decimal string such as '125.50'") from None
        # NaN or a zero/negative payment would corrupt the payment history the cadence reads.
        if not value.is_finite() or value <= 0:
            raise ValueError("must be a positive decimal string such as '125.50'")
        return str(value)

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
        }
        for name in optional - allowed_extra:
            if getattr(self, name) is not None:
                raise _FieldMissing(name, f"does not apply to {_a(self.type)} event")
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


def _check_place(field: str | None, value: str | None) -> str | None:
    """A located_in country or region, in the forms the account's address takes."""
    if value is None:
        return value
    if field == "country" and not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("must be an ISO 3166-1 alpha-2 code such as US, CN or GB")
    if field == "region" and not re.fullmatch(r"[A-Za-z0-9]{1,3}", value):
        raise ValueError("must be an ISO 3166-2 subdivision code without the country, e.g. CA")
    return value.upper()


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
