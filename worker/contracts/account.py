"""The account contract (docs/contracts.md, "Account"): who to remind about which debt, and how."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, Strict, ValidationInfo, field_validator

from worker.contracts.vocab import ACCOUNT_ID, StrictModel, is_locale

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Validation context of a value this version wrote itself (``worker.accounts.codec``): its
#: phone numbers were normalised on the way in, so they are not parsed again on every read.
STORED = "stored"

#: Longest text a field may hold. Whatever enters an account ends up in a rendered message (an
#: SMS has 1,600 characters at most) and in Redis: a 1 MB name is refused at intake, naming the
#: field, not found later as a message that cannot be sent.
MAX_NAME = 200
MAX_REFERENCE = 128
MAX_URL = 2000
MAX_EMAIL = 254  # RFC 5321: the longest forward path
MAX_VARS = 50
MAX_VAR_KEY = 64
MAX_VAR_VALUE = 1000


def _at_most(limit: int) -> Any:
    """A ``field_validator`` body: refuse text longer than ``limit`` characters."""

    def check(cls: type, v: str | None) -> str | None:
        if v is not None and len(v) > limit:
            raise ValueError(f"must be at most {limit} characters, not {len(v)}")
        return v

    return classmethod(check)


def _check_vars(v: dict[str, Any]) -> dict[str, Any]:
    if len(v) > MAX_VARS:
        raise ValueError(f"must hold at most {MAX_VARS} variables, not {len(v)}")
    for key, value in v.items():
        if len(key) > MAX_VAR_KEY:
            raise ValueError(f"{key[:20]!r}...: a name of at most {MAX_VAR_KEY} characters")
        # A value printed in a template is its text; a list or object its JSON, about as long.
        size = len(value) if isinstance(value, str) else len(json.dumps(value, default=str))
        if size > MAX_VAR_VALUE:
            raise ValueError(f"{key!r}: must be at most {MAX_VAR_VALUE} characters, not {size}")
    return v


class Address(StrictModel):
    country: str | None = None
    region: str | None = None
    postal_code: str | None = None
    city: str | None = None
    line1: str | None = None

    _long = field_validator("postal_code", "city", "line1")(_at_most(MAX_NAME))

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


#: A consent flag: JSON ``true`` or ``false`` only. pydantic would read "yes", "on", "1" or 1 as
#: true, and a consent is not something to guess from a spreadsheet's wording.
Consent = Annotated[bool, Strict()]


class Phone(StrictModel):
    number: str
    kind: Literal["mobile", "landline", "work"] = "mobile"
    sms_consent: Consent = False
    voice_consent: Consent = False

    @field_validator("number")
    @classmethod
    def _e164(cls, v: str, info: ValidationInfo) -> str:
        if info.context is not None and info.context.get(STORED) is True:
            return v  # written by ``encode_state`` from a number validated here
        if not v.startswith("+"):
            raise ValueError("must be in E.164 form, starting with + and the country code")
        try:
            parsed = phonenumbers.parse(v, None)
        except phonenumbers.NumberParseException:
            raise ValueError("is not a phone number in E.164 form") from None
        if not phonenumbers.is_possible_number(parsed):
            raise ValueError("is not a possible phone number")
        if parsed.extension:
            # E.164 has no extensions: keeping the number and dropping "ext 5" would text or
            # call a switchboard, not the person.
            raise ValueError(
                f"has an extension ({parsed.extension}), which SMS and calls cannot dial: "
                "give a direct number in E.164 form"
            )
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Email(StrictModel):
    address: str
    kind: Literal["personal", "work"] = "personal"
    consent: Consent = False

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        if len(v) > MAX_EMAIL or not _EMAIL.match(v):
            raise ValueError("is not an email address")
        return v


class Balance(StrictModel):
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
    if not is_locale(v):
        raise ValueError(f"{v!r} is not a BCP 47 language tag such as en-US or zh-Hans")
    return v


class Account(StrictModel):
    """An overdue account to remind (docs/contracts.md, Account)."""

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

    _names = field_validator("name", "creditor")(_at_most(MAX_NAME))
    _reference = field_validator("reference")(_at_most(MAX_REFERENCE))
    _url = field_validator("payment_url")(_at_most(MAX_URL))
    _vars = field_validator("vars")(classmethod(lambda cls, v: _check_vars(v)))
    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))
    _loc = field_validator("locale")(classmethod(lambda cls, v: _check_locale(v)))

    @property
    def person(self) -> str:
        return self.person_id or self.account_id

    @property
    def debt(self) -> str:
        return self.debt_id or self.account_id
