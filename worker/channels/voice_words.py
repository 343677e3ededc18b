"""What a call says around its script, per wording family (``en``, ``zh-Hans``, ``zh-Hant``).

The keypress menu and the prompts that follow a key are what the web service's keypress
handlers answer to, so they live with the call rather than in a template. A promised date is
keyed in as 8 digits in the order the locale writes dates: month, day, year in US and Canadian
English; day, month, year in other English regions (GB, AU, IN, ...); year, month, day in
Chinese. It is read back in words before the person confirms it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Family = Literal["en", "zh-Hans", "zh-Hant"]
#: The order of a date's parts as keyed in: (month, day, year), (day, month, year), ...
DateOrder = Literal["MDY", "DMY", "YMD"]

#: English regions that write the month first.
_MONTH_FIRST = frozenset({"US", "CA"})
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip

#: (agent line, the rest of the menu) by family: option 1 is offered only with an agent number.
MENU: dict[Family, tuple[str, str]] = {
    "en": (
        "To speak with someone now, press 1.",
        "To promise a payment, press 2. To ask for a payment plan, press 3. "
        "To stop calls to this number, press 9.",
    ),
    "zh-Hans": (
        "如需人工服务，请按1。",
        "如需承诺还款，请按2。如需申请分期还款方案，请按3。如不想再接到打给此号码的电话，请按9。",
    ),
    "zh-Hant": (
        "如需專人服務，請按1。",
        "如需承諾還款，請按2。如需申請分期還款方案，請按3。如不想再接到打給此號碼的電話，請按9。",
    ),
}

#: The prompts after a key; ``{date}`` and ``{last}`` are dates said in words.
PROMPTS: dict[Family, dict[str, str]] = {
    "en": {
        "not_an_option": "Sorry, that is not an option.",
        "ask_date_MDY": "Please enter the date you will pay by, as 8 digits: two for the month, "
        "two for the day, then four for the year.",
        "ask_date_DMY": "Please enter the date you will pay by, as 8 digits: two for the day, "
        "two for the month, then four for the year.",
        "bad_date": "Sorry, that date cannot be used. Please choose a date from today to {last}.",
        "confirm": "You will pay by {date}. To confirm, press 1. To enter another date, press 2.",
        "promised": "Thank you. Your promise to pay by {date} is recorded. Goodbye.",
        "connecting": "Please hold while we connect you.",
        "stopped": "You will get no more calls from us at this number. Goodbye.",
        "plan_requested": "Thank you. Someone will contact you about a payment plan. Goodbye.",
        "goodbye": "Thank you. Goodbye.",
    },
    "zh-Hans": {
        "not_an_option": "抱歉，没有这个选项。",
        "ask_date_YMD": "请输入您承诺还款的日期，共8位数字：4位年份、2位月份、2位日期。",
        "bad_date": "抱歉，这个日期无法使用。请选择今天至{last}之间的日期。",
        "confirm": "您将在{date}之前还款。确认请按1，重新输入日期请按2。",
        "promised": "谢谢。您在{date}之前还款的承诺已记录。再见。",
        "connecting": "正在为您转接，请稍候。",
        "stopped": "我们不会再拨打此号码。再见。",
        "plan_requested": "谢谢。我们会有专人就分期还款方案与您联系。再见。",
        "goodbye": "谢谢，再见。",
    },
    "zh-Hant": {
        "not_an_option": "抱歉，沒有這個選項。",
        "ask_date_YMD": "請輸入您承諾還款的日期，共8位數字：4位年份、2位月份、2位日期。",
        "bad_date": "抱歉，這個日期無法使用。請選擇今天至{last}之間的日期。",
        "confirm": "您將在{date}之前還款。確認請按1，重新輸入日期請按2。",
        "promised": "謝謝。您在{date}之前還款的承諾已記錄。再見。",
        "connecting": "正在為您轉接，請稍候。",
        "stopped": "我們不會再撥打此號碼。再見。",
        "plan_requested": "謝謝。我們會有專人就分期還款方案與您聯絡。再見。",
        "goodbye": "謝謝，再見。",
    },
}


def family(locale: str) -> Family:
    """The wording family of a template locale (``zh-TW`` and ``zh-Hant-*`` are Traditional)."""
    subtags = [s.lower() for s in _subtags(locale)]
    if not subtags or subtags[0] != "zh":
        return "en"
    if "hant" in subtags or {"tw", "hk", "mo"} & set(subtags):
        return "zh-Hant"
    return "zh-Hans"


def regions(locale: str) -> set[str]:
    """The two-letter region subtags of ``locale``, upper case."""
    return {s.upper() for s in _subtags(locale)[1:] if len(s) == 2}


def _subtags(locale: str) -> list[str]:
    return [s for s in locale.replace("_", "-").split("-") if s]


def menu(locale: str, *, agent: bool) -> str:
    """The keypress menu in the locale's wording; option 1 only with an agent number."""
    agent_line, rest = MENU[family(locale)]
    return f"{agent_line} {rest}" if agent else rest


def say(locale: str, prompt: str, **dates: date) -> str:
    """Prompt ``prompt`` in the locale's wording, each date in ``dates`` said in words."""
    words = {name: spoken_date(d, locale) for name, d in dates.items()}
    return PROMPTS[family(locale)][prompt].format(**words)


def date_order(locale: str) -> DateOrder:
    """The order in which the locale keys a date in (module docstring)."""
    if family(locale) != "en":
        return "YMD"
    found = regions(locale)
    return "MDY" if not found or found & _MONTH_FIRST else "DMY"


def ask_date(locale: str) -> str:
    """The prompt for the promised date, its digits in the locale's order."""
    return PROMPTS[family(locale)][f"ask_date_{date_order(locale)}"]


def keyed_date(digits: str, locale: str) -> date | None:
    """The date 8 keyed digits stand for in the locale's order; None if they are no date."""
    if len(digits) != 8 or not digits.isdigit():
        return None
    order = date_order(locale)
    if order == "YMD":
        year, month, day = digits[:4], digits[4:6], digits[6:]
    elif order == "MDY":
        month, day, year = digits[:2], digits[2:4], digits[4:]
    else:
        day, month, year = digits[:2], digits[2:4], digits[4:]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def spoken_date(d: date, locale: str) -> str:
    """``d`` as a text-to-speech voice should read it: "March 20, 2026", "2026年3月20日"."""
    if family(locale) != "en":
        return f"{d.year}年{d.month}月{d.day}日"
    month = _MONTHS[d.month - 1]
    if date_order(locale) == "MDY":
        return f"{month} {d.day}, {d.year}"
    return f"{d.day} {month} {d.year}"
