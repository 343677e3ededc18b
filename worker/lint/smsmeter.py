"""What one rendered SMS costs, as the preview shows it: its encoding, its length in units, its
segments and how full the last one is, and each character that costs extra.

The counting is ``worker.rendering.sms.segment_info``'s, the one counter of the project. A
character costs extra when it is a GSM-7 extension (two septets: ``€ [ ] { } ^ ~ | \\``), when it
forces a Latin-script message into UCS-2 (70 units a segment instead of 160), or when it is
outside the Basic Multilingual Plane (an emoji: two UTF-16 units). In a Chinese message the
Chinese characters are what makes it UCS-2; they are not listed one by one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from worker.rendering.sms import (
    _CJK,
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    Encoding,
    segment_info,
)


@dataclass(frozen=True)
class Costly:
    """A character that costs extra: where it is (1-based, in the message as sent) and why."""

    position: int
    char: str
    name: str  # "U+2019 RIGHT SINGLE QUOTATION MARK"
    cost: str


@dataclass(frozen=True)
class SmsMeter:
    """The cost of one message, and what fills its segments."""

    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    capacity: int  # units the segments hold: 160/70 for one, 153/67 a part beyond that
    characters: tuple[Costly, ...]
    reason: str  # why the encoding is what it is, in a sentence

    def as_json(self) -> dict[str, Any]:
        """The meter as a JSON object (``sms`` of a preview part)."""
        return asdict(self)

    def summary(self) -> str:
        """``UCS-2, 95 units, 2 segments (95 of 134)``: one line for the terminal."""
        plural = "s" if self.segments != 1 else ""
        return (
            f"{self.encoding}, {self.units} units, {self.segments} segment{plural} "
            f"({self.units} of {self.capacity})"
        )


def _gsm(ch: str) -> bool:
    return ch in GSM7_BASIC or ch in GSM7_EXTENSION


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'character')}"


def sms_meter(body: str) -> SmsMeter:
    """What ``body`` (a rendered, normalised SMS) costs, with its costly characters."""
    info = segment_info(body)
    if info.encoding == "GSM-7":
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        single, part = UCS2_SINGLE, UCS2_PART
    capacity = single if info.segments == 1 else part * info.segments
    chinese = bool(_CJK.search(body))
    costly: list[Costly] = []
    if info.encoding == "GSM-7":
        reason = "every character is in the GSM-7 alphabet: 160 a segment, 153 once split"
        for i, ch in enumerate(body, start=1):
            if ch in GSM7_EXTENSION:
                costly.append(Costly(i, ch, _name(ch), "2 septets (GSM-7 extension table)"))
    elif chinese:
        reason = "Chinese text is sent as UCS-2: 70 units a segment, 67 once split"
        for i, ch in enumerate(body, start=1):
            if ord(ch) > 0xFFFF:
                costly.append(Costly(i, ch, _name(ch), "2 UTF-16 units (outside the BMP)"))
    else:
        plain = segment_info("".join(ch if _gsm(ch) else "?" for ch in body)).segments
        extra = info.segments - plain
        cost = (
            f"forces UCS-2: {info.segments} segments instead of {plain}"
            if extra
            else "forces UCS-2: 70 units a segment instead of 160"
        )
        reason = "a character outside GSM-7 makes the whole message UCS-2"
        for i, ch in enumerate(body, start=1):
            if not _gsm(ch):
                costly.append(Costly(i, ch, _name(ch), cost))
    return SmsMeter(info.encoding, info.units, info.segments, capacity, tuple(costly), reason)
