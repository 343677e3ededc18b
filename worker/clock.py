"""The one source of time. Every time-dependent decision reads a ``Clock``.

Production uses ``SystemClock``; the simulator and the tests use ``SimulatedClock`` so the same
code runs on virtual time. Instants are always timezone-aware UTC datetimes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to; safe to share between threads."""

    def __init__(self, start: datetime):
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant``; moving backwards is refused (it would break every window)."""
        instant = as_utc(instant)
        with self._lock:
            if instant < self._now:
                raise ValueError(f"simulated clock cannot go back from {self._now} to {instant}")
            self._now = instant

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new instant."""
        with self._lock:
            if delta < timedelta(0):
                raise ValueError("simulated clock cannot go back")
            self._now += delta
            return self._now


class ScaledClock:
    """A demo clock: reads ``start`` at the real instant ``anchor`` (epoch seconds) and runs
    ``scale`` times faster than the wall clock, the same in every process given the same three
    (``REMIND_DEMO_CLOCK``, for ``remind demo --live`` only: cadences count in days)."""

    def __init__(
        self, start: datetime, anchor: float, scale: float, wall: Callable[[], float] = time.time
    ):
        self.start = as_utc(start)
        self.anchor = anchor
        self.scale = scale
        self.wall = wall

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self.wall() - self.anchor) * self.scale)


def as_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; a naive datetime is refused, never guessed."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()} has no time zone")
    return instant.astimezone(UTC)


def to_epoch(instant: datetime) -> float:
    """Seconds since the epoch, the score unit of every Redis sorted set."""
    return as_utc(instant).timestamp()


def from_epoch(seconds: float) -> datetime:
    """The UTC instant at ``seconds`` since the epoch."""
    return datetime.fromtimestamp(seconds, UTC)


def isoformat_utc(instant: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` suffix, as the outcome contract writes instants."""
    return as_utc(instant).isoformat().replace("+00:00", "Z")
