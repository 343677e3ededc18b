"""The stable JSON contracts of DESIGN §4: Account (4.1), Event (4.2) and Outcome (4.3).

``parse_account`` and ``parse_event`` are the doors for untrusted input: they turn pydantic's
errors into one ``InvalidInput`` whose message names the field (``phones.0.number``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from worker.errors import InvalidInput

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Channel = Literal["sms", "email", "voice", "visit"]
CHANNELS: tuple[str, ...] = ("sms", "email", "voice", "visit")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Address(_Strict):
    country: str | None = None
    region: str | None = None
    postal_code: str | None = None
    city: str | None = None
    line1: str | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(r"[A-Za-z]{2}", v):
            raise ValueError("must be an ISO 3166-1 alpha-2 code such as US, CN or GB")
        return v.upper()

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(r"[A-Za-z0-9]{1,3}", v):
            raise ValueError("must be an ISO 3166-2 subdivision code without the country, e.g. CA")
        return v.upper()


class Phone(_Strict):
    number: str
    kind: Literal["mobile", "landline", "work"] = "mobile"
    sms_consent: bool = False
    voice_consent: bool = False

    @field_validator("number")
    @classmethod
    def _e164(cls, v: str) -> str:
        if not v.startswith("+"):
            raise ValueError("must be in E.164 form, starting with + and the country code")
        try:
            parsed = phonenumbers.parse(v, None)
        except phonenumbers.NumberParseException:
            raise ValueError("is not a phone number in E.164 form") from None
        if not phonenumbers.is_possible_number(parsed):
            raise ValueError("is not a possible phone number")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Email(_Strict):
    address: str
    kind: Literal["personal", "work"] = "personal"
    consent: bool = False

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise ValueError("is not an email address")
        return v


class Balance(_Strict):
    amount: str
    currency: str

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, v: Any) -> str:
        try:
            value = Decimal(str(v))
        except InvalidOperation:
            raise ValueError("must be a decimal string such as '125.50'") from None
        if not value.is_finite():
            raise ValueError("must be a finite decimal")
        return str(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", v):
            raise ValueError("must be an ISO 4217 code such as USD")
        return v.upper()


def _check_timezone(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{v!r} is not an IANA time zone name such as America/New_York") from None
    return v


def _check_locale(v: str | None) -> str | None:
    if v is None:
        return v
    if not _LOCALE.match(v):
        raise ValueError(f"{v!r} is not a BCP 47 language tag such as en-US or zh-Hans")
    return v


class Account(_Strict):
    """An overdue account to remind (DESIGN §4.1)."""

    account_id: str
    schedule: str
    due_date: date
    person_id: str | None = None
    debt_id: str | None = None
    name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    address: Address | None = None
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    balance: Balance | None = None
    creditor: str | None = None
    reference: str | None = None
    payment_url: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)

    @field_validator("account_id", "person_id", "debt_id")
    @classmethod
    def _ids(cls, v: str | None) -> str | None:
        if v is not None and not ACCOUNT_ID.match(v):
            raise ValueError("must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")
        return v

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", v):
            raise ValueError("must be a schedule name such as 'standard'")
        return v

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))
    _loc = field_validator("locale")(classmethod(lambda cls, v: _check_locale(v)))

    @property
    def person(self) -> str:
        return self.person_id or self.account_id

    @property
    def debt(self) -> str:
        return self.debt_id or self.account_id


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
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]
CLOSE_REASONS = ("bankrupt", "deceased", "settled", "recalled", "other")


ConstraintKind = Literal[
    "inconvenient_hours", "inconvenient_days", "no_work_calls", "refuse_channel"
]
CallResult = Literal["answered", "unanswered", "voicemail"]
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class StatedConstraint(_Strict):
    """Something the person said about when or how not to be contacted (Reg F 1006.6(b)(1),
    1006.14(h); CONC 7.9.4R): honoured by the gate until the event's ``until`` date."""

    kind: ConstraintKind
    start: time | None = None
    end: time | None = None
    weekdays: list[str] | None = None
    channel: Channel | None = None

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
            bad = [d for d in self.weekdays if d.lower() not in WEEKDAY_NAMES]
            if bad:
                raise ValueError(f"weekdays must be English day names, not {bad[0]!r}")
        if self.kind == "refuse_channel" and self.channel is None:
            raise ValueError("refuse_channel needs the channel refused")
        return self


class Event(_Strict):
    """Something that happened to an account (DESIGN §4.2). Fields beyond the type's are refused."""

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
        }
        for name in optional - allowed_extra:
            if getattr(self, name) is not None:
                raise _FieldMissing(name, f"does not apply to {_a(self.type)} event")
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


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "an opt_out", "a paid"."""
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


class _FieldMissing(ValueError):
    """A cross-field rule failed; carries the field it is about."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        super().__init__(message)


OutcomeKind = Literal[
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "deferred",
    "suppressed",
    "skipped",
    "unknown",
    "answered",
    "voicemail",
    "opted_out",
    "rejected",
]


class Outcome(BaseModel):
    """One recorded decision or delivery result (DESIGN §4.3)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    at: str
    local_time: str | None
    account_id: str
    person_id: str | None
    debt_id: str | None
    schedule: str | None
    tier: str | None
    step: str | None
    channel: Channel | None
    outcome: OutcomeKind
    reason: str | None
    rule: str | None
    next_attempt_at: str | None
    provider: str | None
    provider_id: str | None
    template: str | None
    locale: str | None

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) if loc else "(record)"


#: pydantic's own wording ("Input should be a valid date or datetime, input is too short") in the
#: phrasing of the contract's messages, so every error reads "<field>: must be ...".
_PLAIN_MESSAGES = {
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "date_type": "must be a date such as 2026-03-01",
    "date_parsing": "must be a date such as 2026-03-01",
    "date_from_datetime_parsing": "must be a date such as 2026-03-01",
    "date_from_datetime_inexact": "must be a date such as 2026-03-01, without a time",
    "datetime_type": "must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
    "datetime_parsing": "must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
    "datetime_from_date_parsing": "must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
}


def _plain_message(error: Any) -> str:
    kind = error.get("type")
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", (error.get("ctx") or {}).get("expected", ""))
        got = error.get("input")
        suffix = f", not {got!r}" if isinstance(got, str) else ""
        return f"must be one of {', '.join(options)}{suffix}"
    if kind in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[kind]
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def _raise_invalid(err: ValidationError, kind: str, source: str | None) -> None:
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _FieldMissing):
        field, msg = ctx_error.field, str(ctx_error)
    else:
        field = _field_path(loc)
        msg = _plain_message(first)
        if first.get("type") == "missing":
            msg = f"is required in {_a(kind)}"
        elif first.get("type") == "extra_forbidden":
            msg = f"is not a field of the {kind} contract"
    more = len(err.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    raise InvalidInput(msg, field=field, source=source) from None


def parse_account(data: Any, source: str | None = None) -> Account:
    """Validate an account JSON object; raise ``InvalidInput`` naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("an account must be a JSON object", source=source)
    try:
        return Account.model_validate(data)
    except ValidationError as err:
        _raise_invalid(err, "account", source)
        raise AssertionError("unreachable") from None


def parse_event(data: Any, source: str | None = None) -> Event:
    """Validate an event JSON object; raise ``InvalidInput`` naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("an event must be a JSON object", source=source)
    data = dict(data)
    # contact_update may carry the postal address under its account-contract name.
    if data.get("type") == "contact_update" and isinstance(data.get("address"), dict):
        data["postal_address"] = data.pop("address")
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        _raise_invalid(err, "event", source)
        raise AssertionError("unreachable") from None
