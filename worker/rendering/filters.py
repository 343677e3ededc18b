"""Filters for template editors: money, dates, day counts, first names, masked references.

Each filter formats for the locale of the message: the person's locale when the template file
used is in the same language (an ``en-GB`` person reading the default English files gets British
dates), else the file's own locale, so a sentence never mixes languages (a ``fr-FR`` person
reading English files gets English formats). The renderer puts that locale in the render
context under ``FORMAT_LOCALE`` (``worker.rendering.renderer``).

A filter given something it cannot format raises ``FilterError``, which the renderer reports as
a ``template_error`` naming the file and line: a message is never sent with a half-formatted
value, and a bad value never crashes a worker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, get_currency_precision, is_currency
from babel.units import format_unit
from jinja2 import pass_context

#: The render-context key holding the locale filters format for; a name no template would use.
FORMAT_LOCALE = "__remind_format_locale__"
#: The date formats ``| date`` accepts, as Babel names them.
DATE_FORMATS = ("short", "medium", "long", "full")
#: Characters a masked reference shows at most, and the mask put before them.
MASK = "\u2022\u2022\u2022\u2022"  # ••••
SMS_MASK = "****"  # "•" is not GSM-7: one would make the whole SMS UCS-2
_HIDDEN_AT_LEAST = 3
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class FilterError(ValueError):
    """A filter was given a value it cannot format; the message says which filter and why."""


class DateText(str):
    """``due_date`` as templates print it (``March 2, 2026``), keeping the date for ``| date``."""

    value: date

    def __new__(cls, text: str, value: date) -> DateText:
        made = super().__new__(cls, text)
        made.value = value
        return made


@lru_cache(maxsize=1024)
def babel_locale(person: str, file_tag: str) -> str:
    """The locale to format in: ``person``'s if its language is the file's, else the file's.

    ``("en-GB", "en") -> "en_GB"``, ``("zh-CN", "zh-Hans") -> "zh_Hans_CN"``,
    ``("fr-FR", "en") -> "en"``; a tag Babel does not know falls back to the file's, then ``en``.
    """
    same = person.replace("_", "-").split("-")[0].lower() == file_tag.split("-")[0].lower()
    for tag in (person, file_tag) if same else (file_tag,):
        try:
            return str(Locale.parse(tag.replace("_", "-"), sep="-"))
        except (ValueError, UnknownLocaleError):
            continue
    return "en"


def _locale(context: Mapping[str, Any]) -> str:
    found = context.get(FORMAT_LOCALE)
    return found if isinstance(found, str) else "en"


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise FilterError(f"{what}: needs a number, not {value!r}")
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str | float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise FilterError(f"{what}: needs a number, not {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise FilterError(f"{what}: needs a finite number, not {value!r}")
    return number


@pass_context
def money(context: Mapping[str, Any], value: Any, currency: str | None = None) -> str:
    """``{{ amount_due | money }}`` -> ``$1,250.00`` (en-US), ``US$1,250.00`` (en-GB),
    ``¥3,200.00`` (zh-CN with CNY): the account's currency unless one is given."""
    amount = _decimal(value, "money")
    code = currency if currency is not None else context.get("currency")
    upper = code.upper() if isinstance(code, str) else None
    step = None if upper is None else _step(upper)
    if upper is None or step is None:
        raise FilterError(
            f"money: {code!r} is not an ISO 4217 currency code; the account has no balance "
            "currency, so guard with {% if amount_due is not none %} or give one: "
            "money('USD')"
        )
    # Half up, as ``amount`` rounds (Babel alone would round half to even).
    rounded = amount.quantize(step, rounding=ROUND_HALF_UP)
    return _currency(str(rounded), upper, _locale(context))


@lru_cache(maxsize=512)
def _step(code: str) -> Decimal | None:
    """The smallest amount of currency ``code`` (0.01 for USD), or None: not ISO 4217."""
    return Decimal(1).scaleb(-get_currency_precision(code)) if is_currency(code) else None


# Babel's formatting costs ~0.1 ms a call and every message prints the same few amounts; the
# amount is keyed as its text, so -0.00 and 0.00 (equal as Decimals) stay apart.
@lru_cache(maxsize=4096)
def _currency(amount: str, code: str, locale: str) -> str:
    return str(format_currency(Decimal(amount), code, locale=locale))


@lru_cache(maxsize=4096)
def _date(day: date, style: str, locale: str) -> str:
    return str(format_date(day, format=style, locale=locale))


@pass_context
def date_filter(context: Mapping[str, Any], value: Any, style: str = "long") -> str:
    """``{{ due_date | date }}`` -> ``March 2, 2026`` (en-US), ``2 March 2026`` (en-GB),
    ``2026年3月2日`` (zh-CN); ``date("short")`` -> ``3/2/26``, ``02/03/2026``, ``2026/3/2``."""
    if style not in DATE_FORMATS:
        raise FilterError(
            f"date: the format must be one of {', '.join(DATE_FORMATS)}, not {style!r}"
        )
    if isinstance(value, DateText):
        day = value.value
    elif isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise FilterError(
                f"date: needs a date such as 2026-03-02, not {value[:40]!r}"
            ) from None
    else:
        raise FilterError(f"date: needs a date such as 2026-03-02, not {value!r}")
    return _date(day, style, _locale(context))


@pass_context
def days(context: Mapping[str, Any], value: Any) -> str:
    """``{{ days_past_due | days }}`` -> ``12 days`` / ``1 day`` (English), ``12天`` (zh-CN),
    ``12 天`` (zh-TW). A negative count (before the due date) is an error: guard it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FilterError(f"days: needs a whole number of days, not {value!r}")
    if value < 0:
        raise FilterError(
            f"days: {value} is before the due date; guard with {{% if days_past_due > 0 %}}"
        )
    return str(format_unit(value, "duration-day", length="long", locale=_locale(context)))


def first_name(value: Any) -> str:
    """``{{ name | first_name }}``: ``Ana`` for ``Ana Lopez`` or ``Lopez, Ana``.

    A name written in Chinese characters is returned whole (``王小明``): the family name comes
    first, a given name alone is too familiar for a payment reminder, and compound family names
    (欧阳, 司马) make any split a guess. A romanised name (``Wang Xiaoming``) cannot be told from
    a Western one, so it gives its first word: use ``name`` in templates for such accounts.
    """
    if not isinstance(value, str) or not value.strip():
        raise FilterError(f"first_name: needs a name, not {value!r}")
    text = " ".join(value.split())
    if _CJK.search(text):
        return text
    if "," in text:  # "Lopez, Ana": the family name is written first, then a comma
        after = text.split(",", 1)[1].strip()
        text = after or text.split(",", 1)[0]
    return text.split(" ", 1)[0]


@pass_context
def masked(context: Mapping[str, Any], value: Any, keep: int = 4) -> str:
    """``{{ reference | masked }}`` -> ``••••4417`` (``****4417`` in an SMS): never the whole.

    At most ``keep`` characters are shown and at least three are hidden (``NW-4417`` ->
    ``••••4417``, ``NW-1`` -> ``••••1``, ``AB1`` -> ``••••``); the mask is always four long, so
    it does not tell the length of the reference either.
    """
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise FilterError(f"masked: needs an account reference, not {value!r}")
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= 8:
        raise FilterError(f"masked: keep must be a number from 1 to 8, not {keep!r}")
    text = "".join(str(value).split())
    shown = max(min(keep, len(text) - _HIDDEN_AT_LEAST), 0)
    mask = SMS_MASK if context.get("channel") == "sms" else MASK
    return mask + (text[-shown:] if shown else "")


#: Every filter editors may use, by the name templates call it.
FILTERS: dict[str, Any] = {
    "money": money,
    "date": date_filter,
    "days": days,
    "first_name": first_name,
    "masked": masked,
}
