"""SMS text: how many segments a message costs, and the clean-up that keeps it cheap.

A message that fits the GSM 03.38 alphabet travels as 7-bit septets (160 in one segment, 153 per
part once split, because each part carries a 7-septet concatenation header). Any other character
switches the whole message to UCS-2 (70 UTF-16 code units single, 67 per part). One stray
no-break space or curly quote in a Latin-script message therefore more than doubles its cost,
which is what ``normalise_sms`` prevents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

#: The GSM 03.38 basic alphabet (one septet each), in code order; ESC (0x1B) is left out
#: because it is not a character a message can contain.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The GSM 03.38 extension table: each costs two septets (ESC + code).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7 = GSM7_BASIC | GSM7_EXTENSION

#: Septets in a single GSM-7 segment, and per part of a concatenated message.
GSM7_SINGLE = 160
GSM7_PART = 153
#: UTF-16 code units in a single UCS-2 segment, and per part of a concatenated message.
UCS2_SINGLE = 70
UCS2_PART = 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsInfo:
    """What a message costs: its encoding, its length in units and its number of segments."""

    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def segment_info(text: str) -> SmsInfo:
    """Encoding, length and segment count of ``text`` as a carrier would send it.

    An escape pair (GSM-7) or a surrogate pair (UCS-2) is never split across two parts, so a
    two-unit character that does not fit at the end of a part starts the next one. An empty
    text still takes one segment.
    """
    chars = frozenset(text)
    if chars <= _GSM7:
        units = len(text) + sum(text.count(ch) for ch in chars & GSM7_EXTENSION)
        if units <= GSM7_SINGLE:  # the common case: no need to walk the text
            return SmsInfo("GSM-7", units, 1)
        if units == len(text):  # one septet each: every part but the last is full
            return SmsInfo("GSM-7", units, -(-units // GSM7_PART))
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsInfo("GSM-7", units, _segments(costs, GSM7_SINGLE, GSM7_PART))
    units = len(text) + sum(text.count(ch) for ch in chars if ord(ch) > 0xFFFF)
    if units <= UCS2_SINGLE:
        return SmsInfo("UCS-2", units, 1)
    if units == len(text):
        return SmsInfo("UCS-2", units, -(-units // UCS2_PART))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsInfo("UCS-2", units, _segments(costs, UCS2_SINGLE, UCS2_PART))


def _segments(costs: list[int], single: int, part: int) -> int:
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


# Typography that has a plain GSM-7 equivalent. Applied to Latin-script messages only: in a
# Chinese message (UCS-2 anyway) “”、——、…… are correct punctuation and cost nothing extra.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u201f": '"',  # ‟
        "\u2033": '"',  # ″
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u2026": "...",  # …
    }
)
# Invisible characters that force UCS-2 and carry nothing a reader would miss.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
# Han, kana, hangul, CJK symbols and punctuation, full-width forms.
_CJK = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)


def _plain_space(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Zs" or ch == "\t":
        return " "
    if category in ("Zl", "Zp"):  # U+2028 / U+2029 are line breaks in all but name
        return "\n"
    return ch


class _Plain(dict[int, "str | int | None"]):
    """The ``str.translate`` table of the spaces and invisible characters: every character
    seen is looked up once (its Unicode category), then kept, so a message is cleaned in one
    pass in C instead of one Python call per character."""

    def __missing__(self, code: int) -> str | int | None:
        plain = _plain_space(chr(code))
        found: str | int | None = code if plain == chr(code) else plain
        self[code] = found
        return found


_PLAIN = _Plain(_INVISIBLE)


def normalise_sms(text: str) -> str:
    """Clean rendered SMS text into the one message body that is sent.

    Every Unicode space (no-break, thin, figure, ideographic...) and tab becomes a plain space
    and invisible characters go; in a message without CJK characters curly quotes, dashes and the
    ellipsis become their ASCII forms. Lines lose leading and trailing spaces, blank lines go (an
    SMS has no paragraphs: each costs a character), and the lines are joined with single newlines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_PLAIN)
    if not _CJK.search(text):
        text = text.translate(_TYPOGRAPHY)
    # Leading spaces go too: they are template indentation, and an SMS has no layout to keep.
    lines = (line.strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
