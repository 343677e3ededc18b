"""Shared vocabularies of the contracts, defined once: channels, weekdays, locale tags, ids."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

#: An account id, person id or debt id: what upstream systems may use as keys.
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: A BCP 47 language tag as accepted in accounts, schedules and rule packs (``en``, ``zh-Hans``).
LOCALE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")

Channel = Literal["sms", "email", "voice", "visit"]
#: Every channel remind can contact a person on.
CHANNELS: tuple[str, ...] = ("sms", "email", "voice", "visit")

#: Weekday names in ``date.weekday()`` order (Monday is 0), as schedules and events spell them.
WEEKDAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip

#: Who a schedule collects for; some rules (the FDCPA disclosure) bind only debt collectors.
COLLECTORS: tuple[str, ...] = ("creditor", "third_party")

#: Why an account was closed (the ``close`` event's ``reason``).
CLOSE_REASONS: tuple[str, ...] = ("bankrupt", "deceased", "settled", "recalled", "other")


class StrictModel(BaseModel):
    """A contract object: unknown fields refused, strings stripped, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def is_locale(tag: str) -> bool:
    """Whether ``tag`` is a well-formed BCP 47 tag (the subset remind accepts)."""
    return LOCALE_TAG.fullmatch(tag) is not None
