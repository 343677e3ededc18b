"""SMS segment counting at the exact boundaries carriers bill on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.rendering.sms import GSM7_BASIC, GSM7_EXTENSION, SmsInfo, segment_info

EMOJI = "\U0001f600"  # 😀, outside the BMP: a surrogate pair, two UTF-16 units
HAN = "你"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # GSM-7: 160 septets fit one segment, then 153 per part.
        ("", SmsInfo("GSM-7", 0, 1)),
        ("a" * 160, SmsInfo("GSM-7", 160, 1)),
        ("a" * 161, SmsInfo("GSM-7", 161, 2)),
        ("a" * 306, SmsInfo("GSM-7", 306, 2)),
        ("a" * 307, SmsInfo("GSM-7", 307, 3)),
        ("a" * 459, SmsInfo("GSM-7", 459, 3)),
        # The whole basic alphabet is one septet a character, accents and Greek included.
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑ\u00dc§¿äöñüà\n\r", SmsInfo("GSM-7", 44, 1)),
        # Extension characters cost two septets.
        ("€" * 80, SmsInfo("GSM-7", 160, 1)),
        ("€" * 80 + "a", SmsInfo("GSM-7", 161, 2)),
        ("{}[]~|^\\\f", SmsInfo("GSM-7", 18, 1)),
        # An escape pair that would straddle a part edge moves whole to the next part:
        # 152 + [€] does not fit 153, so the parts are 152 | €+151 | 1.
        ("a" * 152 + "€" + "a" * 152, SmsInfo("GSM-7", 306, 3)),
        # ... while one that ends exactly on the edge fits: 151 + € = 153 | 153.
        ("a" * 151 + "€" + "a" * 153, SmsInfo("GSM-7", 306, 2)),
        # UCS-2: 70 units single, 67 per part.
        (HAN * 70, SmsInfo("UCS-2", 70, 1)),
        (HAN * 71, SmsInfo("UCS-2", 71, 2)),
        (HAN * 134, SmsInfo("UCS-2", 134, 2)),
        (HAN * 135, SmsInfo("UCS-2", 135, 3)),
        # Emoji cost two units and a surrogate pair is never split: 66 | 😀+65 | 1.
        (EMOJI * 35, SmsInfo("UCS-2", 70, 1)),
        (EMOJI * 35 + "a", SmsInfo("UCS-2", 71, 2)),
        (HAN * 66 + EMOJI + HAN * 66, SmsInfo("UCS-2", 134, 3)),
        (HAN * 65 + EMOJI + HAN * 67, SmsInfo("UCS-2", 134, 2)),
        # One character outside GSM-7 turns the whole message into UCS-2.
        ("Hello\xa0there", SmsInfo("UCS-2", 11, 1)),
        ("a" * 70 + "\xa0", SmsInfo("UCS-2", 71, 2)),
        ("a" * 159 + "\u2019", SmsInfo("UCS-2", 160, 3)),
        ("Zoë", SmsInfo("UCS-2", 3, 1)),
        ("tab\there", SmsInfo("UCS-2", 8, 1)),
    ],
)
def test_segment_info_counts_units_and_segments_at_the_boundaries(
    text: str, expected: SmsInfo
) -> None:
    assert segment_info(text) == expected


_gsm = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
_any = st.text(max_size=400)


@given(text=_gsm | _any, extra=st.characters())
def test_appending_a_character_never_lowers_the_segment_count(text: str, extra: str) -> None:
    assert segment_info(text + extra).segments >= segment_info(text).segments


@given(text=_gsm)
def test_gsm7_segments_stay_between_the_naive_bounds(text: str) -> None:
    info = segment_info(text)
    assert info.encoding == "GSM-7"
    if info.units <= 160:
        assert info.segments == 1
    else:
        # Moving an escape pair wastes at most one septet per part.
        assert -(-info.units // 153) <= info.segments <= -(-info.units // 152)
