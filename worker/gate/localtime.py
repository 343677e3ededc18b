"""Exact UTC intervals of local wall-clock spans, across daylight-saving changes.

The gate's hours are local ("09:00-20:00 where the person is"), but deferring a step needs the
UTC instants they cover, to the second. Converting the span's two ends is wrong on the days
that matter: a DST change inside the span shifts or splits it, a wall-clock start inside a
spring-forward gap opens at the first instant after the gap, and a fall-back repeats an hour
(so a local date's instants are not even in UTC order). ``day_intervals`` gets these right by
cutting the instants whose local date may be ``day`` into pieces of constant UTC offset (the
offset changes are found to the second by sampling, then bisecting) and intersecting each
piece with the span.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["day_intervals", "earliest_instant"]

# Local dates lie within this distance of the same wall-clock reading taken as UTC: real UTC
# offsets stay within -12:00..+14:00 (historical local mean times reached about 15:56).
_OFFSET_BOUND = timedelta(hours=16)
# Offsets are sampled this far apart before bisecting to the changing second; no zone changes
# its offset twice within this span (transitions are months, at the least weeks, apart).
_SAMPLE_STEP = timedelta(hours=4)
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)


@lru_cache(maxsize=4096)
def earliest_instant(day: date) -> datetime:
    """A UTC instant at or before every instant whose local date, in any zone, is ``day``."""
    return _wall(day, time.min) - _OFFSET_BOUND


@lru_cache(maxsize=8192)
def day_intervals(
    zone: str, day: date, spans: tuple[tuple[time, time], ...]
) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC intervals, sorted and merged, whose local time on ``day`` lies in any span.

    Spans are disjoint in local time, but a fold can interleave their instants (the later span's
    first pass comes before the earlier span's repeat), and a gap can make two spans touch.
    """
    pieces = sorted(i for start, end in spans for i in _open_intervals(zone, day, start, end))
    merged: list[tuple[datetime, datetime]] = []
    for a, b in pieces:
        if merged and merged[-1][1] >= a:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


@lru_cache(maxsize=8192)
def _open_intervals(
    zone: str, day: date, start: time, end: time
) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC intervals [a, b) whose local time in ``zone`` is on ``day`` within [start, end).

    Usually one interval; a DST change inside the window shifts or splits it (a wall-clock
    start inside a spring-forward gap opens at the first instant after the gap).
    """
    result: list[tuple[datetime, datetime]] = []
    for piece_start, piece_end, offset in _pieces(zone, day):
        a = max(piece_start, _wall(day, start) - offset)
        b = min(piece_end, _wall(day, end) - offset)
        if a < b:
            if result and result[-1][1] == a:
                a = result.pop()[0]
            result.append((a, b))
    return tuple(result)


@lru_cache(maxsize=4096)
def _pieces(zone: str, day: date) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """Spans of constant UTC offset covering every instant whose local date may be ``day``."""
    tz = ZoneInfo(zone)
    lo = earliest_instant(day)
    hi = _wall(day + _DAY, time.min) + _OFFSET_BOUND
    pieces: list[tuple[datetime, datetime, timedelta]] = []
    piece_start, offset = lo, _offset(tz, lo)
    probe = lo
    while probe < hi:
        nxt = min(probe + _SAMPLE_STEP, hi)
        if _offset(tz, nxt) != offset:
            change = _first_change(tz, probe, nxt, offset)
            pieces.append((piece_start, change, offset))
            piece_start, offset = change, _offset(tz, change)
        probe = nxt
    pieces.append((piece_start, hi, offset))
    return tuple(pieces)


def _first_change(tz: ZoneInfo, lo: datetime, hi: datetime, offset: timedelta) -> datetime:
    """The first second in (lo, hi] whose offset differs from ``offset`` (the one at ``lo``)."""
    lo_s, hi_s = 0, int((hi - lo).total_seconds())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset(tz, lo + mid * _SECOND) == offset:
            lo_s = mid
        else:
            hi_s = mid
    return lo + hi_s * _SECOND


def _offset(tz: ZoneInfo, t: datetime) -> timedelta:
    offset = t.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _wall(day: date, at: time) -> datetime:
    """The wall-clock reading ``day at`` taken as UTC: minus a UTC offset, it is an instant."""
    return datetime.combine(day, at, tzinfo=UTC)
