"""Statements inside events: a person's stated constraints, their attorney, a call's result.

Split from ``worker.contracts.event`` (which re-exports them) so each module keeps one job.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal, TypeVar

from pydantic import ValidationError, field_validator, model_validator

from worker.contracts.account import Email, Phone, _check_timezone
from worker.contracts.vocab import WEEKDAYS, Channel, StrictModel

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


def _check_place(field: str | None, value: str | None) -> str | None:
    """A located_in country or region, in the forms the account's address takes."""
    if value is None:
        return value
    if field == "country" and not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("must be an ISO 3166-1 alpha-2 code such as US, CN or GB")
    if field == "region" and not re.fullmatch(r"[A-Za-z0-9]{1,3}", value):
        raise ValueError("must be an ISO 3166-2 subdivision code without the country, e.g. CA")
    return value.upper()
