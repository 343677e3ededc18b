"""The variables every template sees, built from an account and the step being sent."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from worker.contracts.account import Account
from worker.rendering.locales import language

_STRINGS: dict[str, dict[str, str]] = {
    "en": {"customer": "Customer", "opt_out": "Reply STOP to opt out."},
    "zh-Hans": {"customer": "客户", "opt_out": "回复TD退订"},
    "zh-Hant": {"customer": "客戶", "opt_out": "回覆TD退訂"},
}
_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CNY": "¥"}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_amount(amount: str, currency: str) -> str:
    """``$1,250.00`` for the currencies with a symbol here, else ``1,250.00 XYZ``."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    digits = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"


def format_date(day: date, locale: str) -> str:
    """``March 2, 2026`` in English, ``2026年3月2日`` in Chinese."""
    if language(locale).startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def build_context(
    account: Account,
    *,
    day: int,
    tier: str,
    channel: str,
    locale: str,
    unsubscribe_url: str | None = None,
    disclosure: str | None = None,
    licence_number: str | None = None,
) -> dict[str, Any]:
    """The variables every template sees; the same keys for every account (None when absent).

    ``disclosure`` is the text the applicable rule packs require on this message (see
    ``worker.gate.content.disclosure_text``) and ``licence_number`` the collector's licence
    number to show on written messages. Both are the caller's (rule packs, schedule), never the
    account's, so ``check_content`` verifies the message against the values it was given.
    """
    strings = _STRINGS[language(locale)]
    balance = account.balance
    return {
        "name": account.name or strings["customer"],
        "amount": None if balance is None else format_amount(balance.amount, balance.currency),
        "currency": None if balance is None else balance.currency,
        "creditor": account.creditor,
        "reference": account.reference,
        "payment_url": account.payment_url,
        "due_date": format_date(account.due_date, locale),
        "days_past_due": day,
        "tier": tier,
        "channel": channel,
        "opt_out": strings["opt_out"],
        "unsubscribe_url": unsubscribe_url,
        "disclosure": disclosure,
        "licence_number": licence_number,
        "vars": dict(account.vars),  # a copy: a template never reaches the account itself
    }
