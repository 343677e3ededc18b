"""The variables every template sees, built from an account and the step being sent."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from worker.cadence.caller import Caller
from worker.contracts.account import Account
from worker.rendering.filters import DateText
from worker.rendering.locales import language

# ``call_opt_out`` is the automated opt-out a prerecorded call offers (47 CFR 64.1200(b)(3),
# rule T6): the voice channel must act on the key it names.
_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "customer": "Customer",
        "opt_out": "Reply STOP to opt out.",
        "call_opt_out": "To stop calls to this number, press 9.",
    },
    "zh-Hans": {
        "customer": "客户",
        "opt_out": "回复TD退订",
        "call_opt_out": "如需停止向此号码来电，请按9。",
    },
    "zh-Hant": {
        "customer": "客戶",
        "opt_out": "回覆TD退訂",
        "call_opt_out": "如需停止向此號碼來電，請按9。",
    },
}
#: Account ``vars`` that override the schedule's caller for one account, by context variable.
_CALLER_VARS = {
    "caller_name": "business_name",
    "callback_number": "callback_number",
    "contact_name": "contact_name",
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
    caller: Caller | None = None,
) -> dict[str, Any]:
    """The variables every template sees; the same keys for every account (None when absent).

    ``disclosure`` is the text the applicable rule packs require on this message (see
    ``worker.gate.content.disclosure_text``) and ``licence_number`` the collector's licence
    number to show on written messages. Both are the caller's (rule packs, schedule), never the
    account's, so ``check_content`` verifies the message against the values it was given.
    ``caller`` is the schedule's (who calls, the number to call back, a person to ask for);
    the account's ``vars`` ``business_name``, ``callback_number`` and ``contact_name`` win.
    """
    strings = _STRINGS[language(locale)]
    balance = account.balance
    return {
        "name": account.name or strings["customer"],
        "amount": None if balance is None else format_amount(balance.amount, balance.currency),
        "amount_due": None if balance is None else Decimal(balance.amount),
        "currency": None if balance is None else balance.currency,
        "creditor": account.creditor,
        "reference": account.reference,
        "payment_url": account.payment_url,
        # Prints as before; ``| date`` reads the date it carries.
        "due_date": DateText(format_date(account.due_date, locale), account.due_date),
        "days_past_due": day,
        "tier": tier,
        "channel": channel,
        "opt_out": strings["opt_out"],
        "unsubscribe_url": unsubscribe_url,
        "disclosure": disclosure,
        "licence_number": licence_number,
        **_caller(account, caller),
        "call_opt_out": strings["call_opt_out"],
        "vars": dict(account.vars),  # a copy: a template never reaches the account itself
    }


def _caller(account: Account, caller: Caller | None) -> dict[str, str | None]:
    """``caller_name``, ``callback_number``, ``contact_name``: the account's vars, else the
    schedule's caller, else None."""
    configured = {
        "caller_name": caller.name if caller else None,
        "callback_number": caller.callback_number if caller else None,
        "contact_name": caller.contact_name if caller else None,
    }
    values: dict[str, str | None] = {}
    for key, var in _CALLER_VARS.items():
        given = account.vars.get(var)
        values[key] = given.strip() if isinstance(given, str) and given.strip() else configured[key]
    return values
