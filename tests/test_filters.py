"""Template filters for editors: exact strings in en-US, en-GB and zh-CN, and bad input as a
template error naming the file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from worker.contracts.validation import parse_account
from worker.errors import TemplateError
from worker.rendering.context import build_context
from worker.rendering.filters import babel_locale, first_name
from worker.rendering.renderer import Renderer


def account(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "account_id": "f-1",
        "schedule": "standard",
        "due_date": "2026-03-02",
        "name": "Ana Lopez",
        "balance": {"amount": "1250", "currency": "USD"},
        "reference": "NW-4417",
    }
    return {**base, **fields}


def render(
    tmp_path: Path,
    body: str,
    locale: str,
    *,
    channel: str = "email",
    day: int = 12,
    extra: dict[str, Any] | None = None,
    **fields: Any,
) -> str:
    """Render ``body`` as the English default and the zh-Hans file of one template."""
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    for suffix in ("", ".zh-Hans"):
        (folder / f"sms{suffix}.txt").write_text(body, encoding="utf-8")
        (folder / f"email{suffix}.txt").write_text(body, encoding="utf-8")
        (folder / f"email.subject{suffix}.txt").write_text("s", encoding="utf-8")
    parsed = parse_account(account(**fields))
    ctx = build_context(parsed, day=day, tier="mid", channel=channel, locale=locale)
    return Renderer(tmp_path).render("t", channel, locale, {**ctx, **(extra or {})}).text


@pytest.mark.parametrize(
    ("locale", "currency", "amount", "expected"),
    [
        ("en-US", "USD", "1250", "$1,250.00"),
        ("en-GB", "GBP", "80.5", "£80.50"),
        ("en-GB", "USD", "1250", "US$1,250.00"),
        ("zh-CN", "CNY", "3200", "¥3,200.00"),
        ("zh-CN", "USD", "1250", "US$1,250.00"),
        ("en-US", "JPY", "5000", "¥5,000"),
        ("en-US", "USD", "-12.345", "-$12.35"),
    ],
)
def test_money_formats_the_accounts_currency_for_the_locale(
    tmp_path: Path, locale: str, currency: str, amount: str, expected: str
) -> None:
    balance = {"amount": amount, "currency": currency}
    assert render(tmp_path, "{{ amount_due | money }}", locale, balance=balance) == expected


def test_money_takes_a_currency_when_given_one(tmp_path: Path) -> None:
    assert render(tmp_path, "{{ 99.5 | money('EUR') }}", "en-GB") == "€99.50"
    assert render(tmp_path, "{{ '12' | money('eur') }}", "zh-CN") == "€12.00"


@pytest.mark.parametrize(
    ("locale", "style", "expected"),
    [
        ("en-US", "", "March 2, 2026"),
        ("en-GB", "", "2 March 2026"),
        ("zh-CN", "", "2026年3月2日"),
        ("en-US", "('short')", "3/2/26"),
        ("en-GB", "('short')", "02/03/2026"),
        ("zh-CN", "('short')", "2026/3/2"),
        ("en-US", "('medium')", "Mar 2, 2026"),
        ("en-GB", "('full')", "Monday, 2 March 2026"),
        ("zh-CN", "('full')", "2026年3月2日星期一"),
    ],
)
def test_date_writes_the_due_date_for_the_locale(
    tmp_path: Path, locale: str, style: str, expected: str
) -> None:
    assert render(tmp_path, "{{ due_date | date" + style + " }}", locale) == expected


def test_due_date_alone_prints_as_before_and_date_reads_iso_strings(tmp_path: Path) -> None:
    body = "{{ due_date }}|{{ vars.get('promised') | date }}"
    extra = {"vars": {"promised": "2026-04-15"}}
    assert render(tmp_path, body, "en-GB", extra=extra) == "March 2, 2026|15 April 2026"


@pytest.mark.parametrize(
    ("locale", "day", "expected"),
    [
        ("en-US", 12, "12 days"),
        ("en-US", 1, "1 day"),
        ("en-GB", 0, "0 days"),
        ("zh-CN", 12, "12天"),
        ("zh-CN", 1, "1天"),
    ],
)
def test_days_counts_days_past_due_in_the_locales_words(
    tmp_path: Path, locale: str, day: int, expected: str
) -> None:
    assert render(tmp_path, "{{ days_past_due | days }}", locale, day=day) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ana Lopez", "Ana"),
        ("  Mary   Ann  Smith ", "Mary"),
        ("Lopez, Ana", "Ana"),
        ("Cher", "Cher"),
        ("王小明", "王小明"),  # family name first: never split, never the given name alone
        ("欧阳 娜娜", "欧阳 娜娜"),
        ("陳大文", "陳大文"),
    ],
)
def test_first_name_takes_the_given_name_but_keeps_chinese_names_whole(
    name: str, expected: str
) -> None:
    assert first_name(name) == expected


def test_first_name_renders_in_every_locale(tmp_path: Path) -> None:
    body = "{{ name | first_name }}"
    assert render(tmp_path, body, "en-US") == "Ana"
    assert render(tmp_path, body, "en-GB", name="Smith, John") == "John"
    assert render(tmp_path, body, "zh-CN", name="王小明") == "王小明"


@pytest.mark.parametrize(
    ("locale", "channel", "reference", "expected"),
    [
        ("en-US", "email", "NW-4417", "\u2022\u2022\u2022\u20224417"),
        ("en-GB", "email", "4000123412341234", "\u2022\u2022\u2022\u20221234"),
        ("zh-CN", "email", "NW-4417", "\u2022\u2022\u2022\u20224417"),
        ("en-US", "sms", "NW-4417", "****4417"),  # "•" would make the SMS UCS-2
        ("zh-CN", "sms", "4000 1234 1234 1234", "****1234"),
        ("en-US", "email", "NW-1", "\u2022\u2022\u2022\u20221"),
        ("en-US", "email", "AB1", "\u2022\u2022\u2022\u2022"),
    ],
)
def test_masked_never_shows_the_whole_reference(
    tmp_path: Path, locale: str, channel: str, reference: str, expected: str
) -> None:
    text = render(
        tmp_path, "{{ reference | masked }}", locale, channel=channel, reference=reference
    )
    assert text == expected
    assert reference not in text


def test_masked_keeps_fewer_characters_when_asked(tmp_path: Path) -> None:
    assert render(tmp_path, "{{ reference | masked(2) }}", "en-US") == "\u2022\u2022\u2022\u202217"


@pytest.mark.parametrize(
    ("body", "fields", "message"),
    [
        ("{{ amount_due | money }}", {"balance": None}, "money: needs a number, not None"),
        ("{{ 'ten' | money }}", {}, "money: needs a number, not 'ten'"),
        ("{{ true | money }}", {}, "money: needs a number, not True"),
        ("{{ 5 | money('XYZ') }}", {}, "money: 'XYZ' is not an ISO 4217 currency code"),
        ("{{ 'nan' | money }}", {}, "money: needs a finite number, not 'nan'"),
        ("{{ due_date | date('huge') }}", {}, "date: the format must be one of short, medium,"),
        ("{{ 'March 2' | date }}", {}, "date: needs a date such as 2026-03-02, not 'March 2'"),
        ("{{ 12 | date }}", {}, "date: needs a date such as 2026-03-02, not 12"),
        ("{{ 'x' | days }}", {}, "days: needs a whole number of days, not 'x'"),
        ("{{ -3 | days }}", {}, "days: -3 is before the due date; guard with {% if days_past_due"),
        ("{{ '  ' | first_name }}", {}, "first_name: needs a name, not '  '"),
        ("{{ reference | masked }}", {"reference": None}, "masked: needs an account reference"),
        ("{{ reference | masked(0) }}", {}, "masked: keep must be a number from 1 to 8, not 0"),
    ],
)
def test_bad_input_is_a_template_error_naming_the_file_and_line(
    tmp_path: Path, body: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        render(tmp_path, "Hello.\n" + body, "en-US", **fields)
    assert str(caught.value).startswith(f"t/email.txt:2: {message}")


@pytest.mark.parametrize(
    ("person", "file", "expected"),
    [
        ("en-US", "en", "en_US"),
        ("en-GB", "en", "en_GB"),
        ("zh-CN", "zh-Hans", "zh_Hans_CN"),
        ("zh_TW", "zh-Hant", "zh_Hant_TW"),
        ("zh-CN", "en", "en"),  # an English file formats in English
        ("fr-FR", "en", "en"),
        ("en-XX-bogus-tag", "en", "en"),
    ],
)
def test_filters_format_for_the_person_only_in_the_files_language(
    person: str, file: str, expected: str
) -> None:
    assert babel_locale(person, file) == expected


def test_the_context_keeps_the_due_date_and_the_amount_as_values(tmp_path: Path) -> None:
    ctx = build_context(
        parse_account(account()), day=3, tier="early", channel="sms", locale="en-US"
    )
    assert (ctx["due_date"], ctx["due_date"].value) == ("March 2, 2026", date(2026, 3, 2))
    assert (str(ctx["amount_due"]), ctx["amount"]) == ("1250", "$1,250.00")
