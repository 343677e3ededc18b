"""The gate's time rules: local contact hours, blocked weekdays and dates, public holidays.

An instant is allowed when, in EVERY candidate zone of the person (docs/compliance.md, F8), its
local time lies in the window ``[start, end)`` but in none of the hours the person said are
inconvenient (``excluded``, Reg F 1006.6(b)(1)), and its local date is neither a blocked
weekday, nor a blocked date, nor (when the policy says so) a public holiday of the person's
country and region. ``earliest_allowed`` finds the first such instant at or after ``now``, to
the second and exactly across daylight-saving changes, so a deferred step lands where the
window really opens.

How: the window minus the excluded hours is a few local spans. Per zone, a local date's allowed
instants are computed as UTC intervals from the zone's offsets over that date (a DST change
splits the date into pieces of constant offset; ``worker.gate.localtime`` does this). Then,
from ``now``, each zone that does not allow ``t`` moves ``t`` to its own next allowed instant;
no allowed instant is skipped (every zone forbids everything in between), so the first ``t``
all zones accept is the earliest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from worker.cadence.policy import BlockedDays, Window
from worker.gate.localtime import day_intervals, earliest_instant

#: How far ahead ``earliest_allowed`` looks before deciding that nothing is allowed.
DEFAULT_HORIZON_DAYS = 60

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class TimeDecision:
    """Whether ``now`` is allowed and, if not, the earliest instant that is, and why."""

    allowed: bool  # True when `now` itself is allowed
    at: datetime | None  # earliest allowed instant >= now (== now when allowed); None: none found
    #: "quiet_hours" | "stated_constraint" | "blocked_day" | "holiday" | "no_contact_window"
    reason: str | None
    zone: str | None  # the candidate zone that blocked `now` (None when allowed)
    detail: str | None  # human text, e.g. "21:30 in America/Los_Angeles is outside 09:00-20:00"


def earliest_allowed(
    now: datetime,
    zones: Sequence[str],
    window: Window | None,
    blocked: BlockedDays,
    *,
    country: str | None,
    region: str | None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    excluded: Sequence[Window] = (),
    explain: bool = True,
) -> TimeDecision:
    """The earliest instant at or after ``now`` allowed in every zone of ``zones``.

    ``window`` is the combined contact window (None when the combination is empty).
    ``excluded`` are local hours ``[start, end)`` the person said are inconvenient: closed on
    every day in every zone, wherever they fall (an instant inside one is reported as
    ``stated_constraint``). Holidays are those of ``country``/``region`` when
    ``blocked.public_holidays`` is set. ``now`` must be aware; the returned ``at`` is aware UTC,
    or None when no instant within ``horizon_days`` is allowed (``no_contact_window``).
    ``explain=False`` leaves ``reason``, ``zone`` and ``detail`` of a refusal out (None), for
    callers that only ask whether and until when.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not zones:
        raise ValueError("earliest_allowed needs at least one candidate zone")
    now = now.astimezone(UTC)
    if window is None:
        detail = "the combined contact window is empty"
        return TimeDecision(False, None, "no_contact_window", None, detail)
    hours = _hours(window, tuple(excluded))
    if not hours.spans:
        detail = f"the stated inconvenient hours cover the whole window ({hours})"
        return TimeDecision(False, None, "no_contact_window", None, detail)
    days = _Days(blocked, country, region)
    distinct = tuple(dict.fromkeys(zones))
    blocker = next((z for z in distinct if not _allows(now, z, hours, days)), None)
    if blocker is None:
        return TimeDecision(True, now, None, None, None)
    at = _search(now, distinct, hours, days, now + timedelta(days=horizon_days))
    if not explain:
        return TimeDecision(False, at, None, None, None)
    reason, detail = _why(now, blocker, hours, days)
    if at is None:
        detail = (
            f"no instant in the next {horizon_days} days is allowed in all of "
            f"{', '.join(distinct)} ({hours}); now: {detail}"
        )
        return TimeDecision(False, None, "no_contact_window", blocker, detail)
    return TimeDecision(False, at, reason, blocker, detail)


def is_holiday(day: date, country: str | None, region: str | None) -> bool:
    """Whether ``day`` is a public holiday of ``country`` (and ``region``), per ``holidays``."""
    return holiday_name(day, country, region) is not None


def holiday_name(day: date, country: str | None, region: str | None) -> str | None:
    """The public holiday's name on ``day`` in ``country``/``region``, or None."""
    if not country:
        return None
    return _holiday_calendar(country.upper(), region.upper() if region else None, day.year).get(day)


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, region: str | None, year: int) -> Mapping[date, str]:
    # A plain read-only mapping per year: holidays' own objects fill in years lazily on lookup,
    # which is not safe to share between worker threads.
    try:
        calendar = holidays.country_holidays(country, subdiv=region, years=year)
    except NotImplementedError:
        if region is None:
            return MappingProxyType({})  # a country the package does not know: no holidays
        return _holiday_calendar(country, None, year)  # an unknown subdivision: the country's
    return MappingProxyType({d: str(name) for d, name in calendar.items()})


def _bounds(w: Window) -> tuple[time, time]:
    return (w.start, w.end)


@lru_cache(maxsize=1024)
def _hours(window: Window, excluded: tuple[Window, ...]) -> _Hours:
    # Built once per window and excluded hours: every decision asks for the same few.
    return _Hours(window, tuple(sorted(set(excluded), key=_bounds)))


@dataclass(frozen=True)
class _Hours:
    """The contact window less the excluded hours: the local spans in which contact may happen."""

    window: Window
    excluded: tuple[Window, ...]  # sorted by start

    @cached_property
    def spans(self) -> tuple[tuple[time, time], ...]:
        """``window`` minus every excluded interval, as sorted disjoint ``[start, end)`` spans."""
        return _subtract(self.window, self.excluded)

    def excluding(self, t: time) -> Window | None:
        """The excluded interval that holds ``t``, if any."""
        return next((w for w in self.excluded if w.contains(t)), None)

    def __str__(self) -> str:
        if not self.excluded:
            return str(self.window)
        return f"{self.window} except {', '.join(map(str, self.excluded))}"


@lru_cache(maxsize=1024)
def _subtract(window: Window, excluded: tuple[Window, ...]) -> tuple[tuple[time, time], ...]:
    spans: list[tuple[time, time]] = []
    cursor = window.start  # everything before it is either emitted or excluded
    for cut in excluded:  # sorted by start, so each cut can only move the cursor forward
        if cut.start >= window.end:
            break
        if cut.start > cursor:
            spans.append((cursor, cut.start))
        cursor = max(cursor, cut.end)
        if cursor >= window.end:
            return tuple(spans)
    spans.append((cursor, window.end))
    return tuple(spans)


@dataclass(frozen=True)
class _Days:
    """Which local dates are closed: blocked weekdays and dates, and public holidays."""

    blocked: BlockedDays
    country: str | None
    region: str | None

    def closed(self, day: date) -> str | None:
        """Why ``day`` is closed ("blocked_day" or "holiday"), or None when it is open."""
        return _closed(day, self.blocked, self.country, self.region)


@lru_cache(maxsize=4096)
def _closed(day: date, blocked: BlockedDays, country: str | None, region: str | None) -> str | None:
    # Kept per local date: every time rule of a decision asks about the same day or two.
    if day.weekday() in blocked.weekdays or day in blocked.dates:
        return "blocked_day"
    if blocked.public_holidays and is_holiday(day, country, region):
        return "holiday"
    return None


@lru_cache(maxsize=1024)
def _local(t: datetime, zone: str) -> tuple[time, date]:
    # The wall time and date of ``t`` in ``zone``: every time rule of one decision asks for
    # the same instant in the same zones (an aware instant hashes by its UTC value).
    local = t.astimezone(ZoneInfo(zone))
    return local.time(), local.date()


def _allows(t: datetime, zone: str, hours: _Hours, days: _Days) -> bool:
    wall, day = _local(t, zone)
    in_span = any(start <= wall < end for start, end in hours.spans)
    return in_span and days.closed(day) is None


def _why(t: datetime, zone: str, hours: _Hours, days: _Days) -> tuple[str, str]:
    local = t.astimezone(ZoneInfo(zone))
    day = local.date()
    closed = days.closed(day)
    if closed == "holiday":
        name = holiday_name(day, days.country, days.region)
        return closed, f"{day} in {zone} is a public holiday ({name})"
    if closed == "blocked_day":
        return closed, f"{day:%A} {day} in {zone} is a blocked day"
    if not hours.window.contains(local.time()):
        return "quiet_hours", f"{local:%H:%M} in {zone} is outside {hours.window}"
    cut = hours.excluding(local.time())
    return "stated_constraint", f"{local:%H:%M} in {zone} is within the inconvenient {cut}"


def _search(
    now: datetime, zones: Sequence[str], hours: _Hours, days: _Days, limit: datetime
) -> datetime | None:
    """The first instant in [now, limit] every zone allows (a fixed point of the moves)."""
    t = now
    settled = 0  # zones in a row that accepted t unchanged
    i = 0
    while settled < len(zones):
        moved = _next_open(t, zones[i % len(zones)], hours, days, limit)
        if moved is None:
            return None
        settled = settled + 1 if moved == t else 1
        t = moved
        i += 1
    return t


def _next_open(
    t: datetime, zone: str, hours: _Hours, days: _Days, limit: datetime
) -> datetime | None:
    """The first instant >= t (and <= limit) that ``zone`` alone allows."""
    # Local dates are not in UTC order around a fall-back at midnight (the previous date comes
    # back), so start a day early and keep looking while a later date could still open sooner.
    day = t.astimezone(ZoneInfo(zone)).date() - _DAY
    best: datetime | None = None
    while True:
        earliest_of_day = earliest_instant(day)
        if earliest_of_day > limit or (best is not None and earliest_of_day > best):
            break
        if days.closed(day) is None:
            for start, end in day_intervals(zone, day, hours.spans):
                if end > t:
                    found = max(start, t)
                    best = found if best is None else min(best, found)
                    break
        day += _DAY
    return best if best is not None and best <= limit else None
