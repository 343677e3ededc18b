"""Contact policy values shared by schedules (house policy) and rule packs.

These are plain data. ``worker.cadence`` builds them from a schedule's ``policy`` block, the
gate combines several of them most-restrictively (``combine``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from types import MappingProxyType

#: The legal baseline when nothing narrower is set: 08:00-21:00 local (Reg F 1006.6(b)(1)(i)).
DEFAULT_WINDOW_START = time(8, 0)
DEFAULT_WINDOW_END = time(21, 0)


@dataclass(frozen=True)
class Window:
    """Allowed local hours ``[start, end)``; ``start < end`` on the same day."""

    start: time = DEFAULT_WINDOW_START
    end: time = DEFAULT_WINDOW_END

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"window start {self.start} must be before end {self.end}")

    def intersect(self, other: Window) -> Window | None:
        """The hours inside both windows, or None when they do not overlap."""
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Window(start, end) if start < end else None

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end

    @cached_property
    def _text(self) -> str:
        # Built once per window: the gate cites a window in the checks of every decision.
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def __str__(self) -> str:
        return self._text


@dataclass(frozen=True)
class BlockedDays:
    """Local days on which no contact is made."""

    weekdays: frozenset[int] = frozenset()  # 0 = Monday .. 6 = Sunday
    public_holidays: bool = False
    dates: frozenset[date] = frozenset()

    def union(self, other: BlockedDays) -> BlockedDays:
        return BlockedDays(
            self.weekdays | other.weekdays,
            self.public_holidays or other.public_holidays,
            self.dates | other.dates,
        )


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` contacts on ``channel`` ("any" for all) per rolling ``window_seconds``."""

    id: str
    channel: str
    limit: int
    window_seconds: int
    count: str = "person"  # "person" | "debt"

    def applies_to(self, channel: str) -> bool:
        return self.channel in ("any", channel)


@dataclass(frozen=True)
class Policy:
    """A house policy: hours (overall and per channel), blocked days and caps."""

    hours: Window = field(default_factory=Window)
    channel_hours: Mapping[str, Window] = field(default_factory=lambda: MappingProxyType({}))
    blocked_days: BlockedDays = field(default_factory=BlockedDays)
    caps: tuple[Cap, ...] = ()

    def window_for(self, channel: str) -> Window | None:
        """The hours for ``channel``: the overall window narrowed by any per-channel one."""
        specific = self.channel_hours.get(channel)
        return self.hours if specific is None else self.hours.intersect(specific)


def combine_windows(windows: Iterable[Window | None]) -> Window | None:
    """Intersect windows (most restrictive); None as soon as one is empty."""
    result: Window | None = None
    first = True
    for w in windows:
        if w is None:
            return None
        if first:
            result, first = w, False
        elif result is not None:
            result = result.intersect(w)
            if result is None:
                return None
    return result
