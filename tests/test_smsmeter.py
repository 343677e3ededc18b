"""What the preview says an SMS costs, and each character that costs extra."""

from __future__ import annotations

from worker.lint.smsmeter import Costly, sms_meter


def test_a_gsm7_extension_character_costs_two_septets_and_is_named() -> None:
    meter = sms_meter("Pay €10 now")
    assert (meter.encoding, meter.units, meter.segments, meter.capacity) == ("GSM-7", 12, 1, 160)
    assert meter.characters == (
        Costly(5, "€", "U+20AC EURO SIGN", "2 septets (GSM-7 extension table)"),
    )


def test_a_character_outside_gsm7_names_the_segments_it_adds() -> None:
    meter = sms_meter("x" * 150 + "ç")
    assert (meter.encoding, meter.units, meter.segments, meter.capacity) == ("UCS-2", 151, 3, 201)
    assert meter.characters == (
        Costly(151, "ç", "U+00E7 LATIN SMALL LETTER C WITH CEDILLA",
               "forces UCS-2: 3 segments instead of 1"),
    )  # fmt: skip
    assert meter.summary() == "UCS-2, 151 units, 3 segments (151 of 201)"


def test_chinese_text_is_ucs2_and_only_an_emoji_in_it_is_listed() -> None:
    meter = sms_meter("您好\U0001f600")
    assert (meter.encoding, meter.units, meter.segments) == ("UCS-2", 4, 1)
    assert meter.reason == "Chinese text is sent as UCS-2: 70 units a segment, 67 once split"
    assert meter.characters == (
        Costly(3, "\U0001f600", "U+1F600 GRINNING FACE", "2 UTF-16 units (outside the BMP)"),
    )
