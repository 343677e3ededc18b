"""The words around a call's script: the order a promised date is keyed in, and how it is
read back, per locale (``worker.channels.voice_words``)."""

from __future__ import annotations

from datetime import date

import pytest

from worker.channels.twiml import say_language
from worker.channels.voice_words import PROMPTS, date_order, keyed_date, spoken_date


@pytest.mark.parametrize(
    ("locale", "order", "digits", "spoken", "language"),
    [
        ("en", "MDY", "03202026", "March 20, 2026", "en-US"),
        ("en-US", "MDY", "03202026", "March 20, 2026", "en-US"),
        ("en-CA", "MDY", "03202026", "March 20, 2026", "en-CA"),
        ("en-GB", "DMY", "20032026", "20 March 2026", "en-GB"),
        ("en-AU", "DMY", "20032026", "20 March 2026", "en-AU"),
        ("en_IN", "DMY", "20032026", "20 March 2026", "en-IN"),
        ("en-NZ", "DMY", "20032026", "20 March 2026", "en-US"),
        ("zh-Hans", "YMD", "20260320", "2026年3月20日", "zh-CN"),
        ("zh-CN", "YMD", "20260320", "2026年3月20日", "zh-CN"),
        ("zh-Hant", "YMD", "20260320", "2026年3月20日", "zh-TW"),
        ("zh-Hant-HK", "YMD", "20260320", "2026年3月20日", "zh-HK"),
    ],
)
def test_a_date_is_keyed_in_and_read_back_in_the_locale_s_order(
    locale: str, order: str, digits: str, spoken: str, language: str
) -> None:
    assert date_order(locale) == order
    assert keyed_date(digits, locale) == date(2026, 3, 20)
    assert spoken_date(date(2026, 3, 20), locale) == spoken
    assert say_language(locale) == language


@pytest.mark.parametrize(
    ("digits", "locale"),
    [
        ("20260320", "en"),  # month 20
        ("02302026", "en"),  # 30 February
        ("0320202", "en"),  # seven digits
        ("032020261", "en"),  # nine
        ("0320-026", "en"),
        ("", "en"),
        ("03202026", "zh-Hans"),  # year 0320, month 20
        ("03202026", "en-GB"),  # month 20
    ],
)
def test_digits_that_are_no_date_give_none(digits: str, locale: str) -> None:
    assert keyed_date(digits, locale) is None


def test_every_family_has_every_prompt_its_dates_need_and_no_stray_spaces() -> None:
    needed = {"not_an_option", "bad_date", "confirm", "promised", "connecting", "stopped",
              "plan_requested", "goodbye"}  # fmt: skip
    assert set(PROMPTS["en"]) == needed | {"ask_date_MDY", "ask_date_DMY"}
    for family in ("zh-Hans", "zh-Hant"):
        assert set(PROMPTS[family]) == needed | {"ask_date_YMD"}  # type: ignore[index]
    for words in PROMPTS.values():
        for text in words.values():
            assert "\xa0" not in text and "  " not in text
