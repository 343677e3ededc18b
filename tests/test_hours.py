"""The gate's time rules: the earliest instant allowed in every candidate zone, exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.accounts.zones import candidate_zones, zone_names
from worker.cadence.policy import BlockedDays, Window
from worker.contracts.account import Account
from worker.gate.hours import TimeDecision, earliest_allowed, holiday_name, is_holiday

NY, LA, LONDON, SHANGHAI = (
    "America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Shanghai",
)  # fmt: skip
DAYTIME = Window(time(8), time(21))
OPEN = BlockedDays()
SUNDAY = 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def local(
    zone: str, year: int, month: int, day: int, hour: int, minute: int, sec: int = 0
) -> datetime:
    """A wall-clock reading in ``zone``, as the UTC instant tests compare against."""
    return datetime(year, month, day, hour, minute, sec, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def decide(
    now: datetime,
    zones: tuple[str, ...] | list[str],
    window: Window | None = DAYTIME,
    blocked: BlockedDays = OPEN,
    country: str | None = None,
    region: str | None = None,
    horizon_days: int = 60,
    excluded: tuple[Window, ...] = (),
) -> TimeDecision:
    return earliest_allowed(
        now,
        zones,
        window,
        blocked,
        country=country,
        region=region,
        horizon_days=horizon_days,
        excluded=excluded,
    )


# --- daylight-saving changes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "now", "at"),
    [
        # New York springs forward on Sunday 2026-03-08 at 02:00 EST.
        (NY, local(NY, 2026, 3, 7, 20, 59), local(NY, 2026, 3, 7, 20, 59)),
        (NY, local(NY, 2026, 3, 7, 20, 59, 59), local(NY, 2026, 3, 7, 20, 59, 59)),
        (NY, local(NY, 2026, 3, 7, 21, 0), utc(2026, 3, 8, 12, 0)),  # 08:00 EDT
        (NY, local(NY, 2026, 3, 8, 7, 59, 59), utc(2026, 3, 8, 12, 0)),
        (NY, utc(2026, 3, 9, 0, 59), utc(2026, 3, 9, 0, 59)),  # 20:59 EDT
        (NY, utc(2026, 3, 9, 1, 0), utc(2026, 3, 9, 12, 0)),  # 21:00 EDT
        (NY, utc(2026, 3, 8, 12, 0), utc(2026, 3, 8, 12, 0)),
        # and falls back on Sunday 2026-11-01 at 02:00 EDT.
        (NY, local(NY, 2026, 10, 31, 20, 59), utc(2026, 11, 1, 0, 59)),
        (NY, local(NY, 2026, 10, 31, 21, 0), utc(2026, 11, 1, 13, 0)),  # 08:00 EST
        (NY, utc(2026, 11, 2, 1, 59), utc(2026, 11, 2, 1, 59)),  # 20:59 EST
        (NY, utc(2026, 11, 2, 2, 0), utc(2026, 11, 2, 13, 0)),
        # London springs forward on Sunday 2026-03-29 at 01:00 GMT.
        (LONDON, utc(2026, 3, 28, 20, 59), utc(2026, 3, 28, 20, 59)),
        (LONDON, utc(2026, 3, 28, 21, 0), utc(2026, 3, 29, 7, 0)),  # 08:00 BST
        (LONDON, utc(2026, 3, 29, 19, 59), utc(2026, 3, 29, 19, 59)),  # 20:59 BST
        (LONDON, utc(2026, 3, 29, 20, 0), utc(2026, 3, 30, 7, 0)),
    ],
)
def test_daytime_window_follows_the_local_clock_across_dst(
    zone: str, now: datetime, at: datetime
) -> None:
    got = decide(now, [zone])
    assert (got.allowed, got.at) == (now == at, at)


@pytest.mark.parametrize(
    ("zone", "window", "now", "at"),
    [
        # 02:30 does not exist in New York on 2026-03-08: the window opens when the clock
        # jumps to 03:00 EDT, not an hour later at "02:30 EST" = 03:30 EDT.
        (NY, Window(time(2, 30), time(21)), utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 7, 0)),
        (NY, Window(time(2, 30), time(21)), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 0)),
        (NY, Window(time(2, 0), time(21)), utc(2026, 3, 8, 6, 59, 59), utc(2026, 3, 8, 7, 0)),
        # An end inside the gap closes the window at the jump.
        (NY, Window(time(1), time(2, 30)), utc(2026, 3, 8, 6, 59, 59), utc(2026, 3, 8, 6, 59, 59)),
        (NY, Window(time(1), time(2, 30)), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 5, 0)),
        # London: 01:30 does not exist on 2026-03-29; the window opens at 02:00 BST.
        (LONDON, Window(time(1, 30), time(9)), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),
        # 01:00-02:00 happens twice in New York on 2026-11-01 (EDT, then EST).
        (NY, Window(time(1, 30), time(21)), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 30)),
        (NY, Window(time(1, 30), time(21)), utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 5, 45)),
        (NY, Window(time(1, 30), time(21)), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30)),
        # A window ending at 01:30 closes at 01:30 EDT and opens again at 01:00 EST.
        (NY, Window(time(0), time(1, 30)), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 0)),
        (NY, Window(time(0), time(1, 30)), utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 5, 0)),
    ],
)
def test_a_window_boundary_inside_a_dst_gap_or_fold_gives_the_exact_instant(
    zone: str, window: Window, now: datetime, at: datetime
) -> None:
    got = decide(now, [zone], window)
    assert (got.allowed, got.at) == (now == at, at)


# --- several candidate zones -------------------------------------------------------------------


def eastern_mobile_with_pacific_address() -> tuple[str, ...]:
    person = Account.model_validate(
        {
            "account_id": "a1",
            "schedule": "standard",
            "due_date": "2026-02-01",
            "address": {"country": "US", "region": "CA"},
            "phones": [{"number": "+12125550167"}],
        }
    )
    return zone_names(candidate_zones(person))


@pytest.mark.parametrize(
    ("now", "at"),
    [
        (local(NY, 2026, 3, 2, 10, 59), local(NY, 2026, 3, 2, 11, 0)),
        (local(NY, 2026, 3, 2, 11, 0), local(NY, 2026, 3, 2, 11, 0)),
        (local(NY, 2026, 3, 2, 20, 59, 59), local(NY, 2026, 3, 2, 20, 59, 59)),
        (local(NY, 2026, 3, 2, 21, 0), local(NY, 2026, 3, 3, 11, 0)),
        (local(NY, 2026, 3, 2, 3, 0), local(NY, 2026, 3, 2, 11, 0)),
    ],
)
def test_an_eastern_mobile_and_a_pacific_address_allow_only_11_to_21_eastern(
    now: datetime, at: datetime
) -> None:
    got = decide(now, eastern_mobile_with_pacific_address())
    assert (got.allowed, got.at) == (now == at, at)


def test_the_zone_that_blocks_now_is_named_with_its_local_time() -> None:
    got = decide(local(NY, 2026, 3, 2, 10, 59), eastern_mobile_with_pacific_address())
    assert got == TimeDecision(
        allowed=False,
        at=local(NY, 2026, 3, 2, 11, 0),
        reason="quiet_hours",
        zone=LA,
        detail="07:59 in America/Los_Angeles is outside 08:00-21:00",
    )


def test_an_allowed_instant_is_returned_unchanged_with_no_reason() -> None:
    now = datetime(2026, 3, 2, 16, 0, 0, 123456, tzinfo=UTC)
    assert decide(now, [NY, LA]) == TimeDecision(True, now, None, None, None)


def test_now_in_another_offset_is_answered_in_utc() -> None:
    now = datetime(2026, 3, 2, 7, 0, tzinfo=ZoneInfo(NY))
    got = decide(now, [NY])
    assert got.at == utc(2026, 3, 2, 13, 0)
    assert got.at is not None and got.at.tzinfo is UTC


def test_zones_that_never_share_an_hour_leave_no_contact_window() -> None:
    # 09:00-20:00 in Shanghai is 01:00-12:00Z; in New York 14:00-01:00Z (EST), 13:00-00:00Z (EDT).
    got = decide(utc(2026, 3, 2, 12, 0), [SHANGHAI, NY], Window(time(9), time(20)))
    assert got == TimeDecision(
        allowed=False,
        at=None,
        reason="no_contact_window",
        zone=SHANGHAI,
        detail="no instant in the next 60 days is allowed in all of Asia/Shanghai, "
        "America/New_York (09:00-20:00); now: 20:00 in Asia/Shanghai is outside 09:00-20:00",
    )


def test_shanghai_and_los_angeles_share_the_shanghai_morning() -> None:
    # 09:00-12:00 in Shanghai is 17:00-20:00 of the previous day in Los Angeles (PST).
    window = Window(time(9), time(20))
    assert decide(utc(2026, 3, 2, 12, 0), [SHANGHAI, LA], window).at == utc(2026, 3, 3, 1, 0)
    assert decide(utc(2026, 3, 3, 3, 59, 59), [SHANGHAI, LA], window).allowed
    assert decide(utc(2026, 3, 3, 4, 0), [SHANGHAI, LA], window).at == utc(2026, 3, 4, 1, 0)


def test_an_empty_combined_window_is_no_contact_window() -> None:
    assert decide(utc(2026, 3, 2, 16, 0), [NY], None) == TimeDecision(
        False, None, "no_contact_window", None, "the combined contact window is empty"
    )


def test_nothing_within_the_horizon_is_no_contact_window() -> None:
    blocked = BlockedDays(dates=frozenset({date(2026, 3, 2), date(2026, 3, 3)}))
    got = decide(utc(2026, 3, 2, 16, 0), [NY], blocked=blocked, horizon_days=1)
    assert (got.at, got.reason, got.zone) == (None, "no_contact_window", NY)
    assert decide(utc(2026, 3, 2, 16, 0), [NY], blocked=blocked).at == utc(2026, 3, 4, 13, 0)


def test_every_weekday_blocked_is_no_contact_window() -> None:
    got = decide(utc(2026, 3, 2, 16, 0), [NY], blocked=BlockedDays(frozenset(range(7))))
    assert (got.at, got.reason) == (None, "no_contact_window")


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(datetime(2026, 3, 2, 16, 0), [NY])


def test_no_candidate_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        decide(utc(2026, 3, 2, 16, 0), [])


# --- blocked days and holidays -----------------------------------------------------------------


def test_a_blocked_sunday_defers_to_monday_morning() -> None:
    got = decide(local(NY, 2026, 3, 8, 12, 0), [NY], blocked=BlockedDays(frozenset({SUNDAY})))
    assert got == TimeDecision(
        allowed=False,
        at=local(NY, 2026, 3, 9, 8, 0),
        reason="blocked_day",
        zone=NY,
        detail="Sunday 2026-03-08 in America/New_York is a blocked day",
    )


def test_saturday_night_before_a_blocked_sunday_is_quiet_hours_until_monday() -> None:
    got = decide(local(NY, 2026, 3, 7, 21, 0), [NY], blocked=BlockedDays(frozenset({SUNDAY})))
    assert (got.reason, got.at) == ("quiet_hours", local(NY, 2026, 3, 9, 8, 0))


def test_a_blocked_date_is_judged_in_each_zones_own_date() -> None:
    # 2026-03-03 03:00Z is still 2026-03-02 in Los Angeles (19:00 PST) but the 3rd in London.
    blocked = BlockedDays(dates=frozenset({date(2026, 3, 3)}))
    window = Window(time(0), time(23, 59))
    assert decide(utc(2026, 3, 3, 3, 0), [LA], window, blocked).allowed
    got = decide(utc(2026, 3, 3, 3, 0), [LA, LONDON], window, blocked)
    # London opens at 03-04 00:00Z, still the 3rd in Los Angeles until 08:00Z.
    assert (got.reason, got.zone, got.at) == ("blocked_day", LONDON, utc(2026, 3, 4, 8, 0))


def test_independence_day_observed_and_the_day_itself_defer_to_monday() -> None:
    # 2026-07-04 is a Saturday: Friday the 3rd is the observed holiday, Saturday the holiday.
    blocked = BlockedDays(frozenset({SUNDAY}), public_holidays=True)
    got = decide(local(NY, 2026, 7, 3, 10, 0), [NY], blocked=blocked, country="US")
    assert got == TimeDecision(
        allowed=False,
        at=local(NY, 2026, 7, 6, 8, 0),
        reason="holiday",
        zone=NY,
        detail="2026-07-03 in America/New_York is a public holiday (Independence Day (observed))",
    )


def test_holidays_count_only_when_the_policy_blocks_them() -> None:
    now = local(NY, 2026, 7, 3, 10, 0)
    assert decide(now, [NY], country="US").allowed


def test_chinese_national_day_defers_to_the_first_day_the_holidays_package_leaves_open() -> None:
    # holidays lists 10-01..03 and 10-05..07; Sunday the 4th is a weekend day, not a holiday.
    blocked = BlockedDays(public_holidays=True)
    got = decide(local(SHANGHAI, 2026, 10, 1, 10, 0), [SHANGHAI], blocked=blocked, country="CN")
    assert (got.reason, got.at) == ("holiday", local(SHANGHAI, 2026, 10, 4, 8, 0))
    blocked = BlockedDays(frozenset({SUNDAY}), public_holidays=True)
    got = decide(local(SHANGHAI, 2026, 10, 1, 10, 0), [SHANGHAI], blocked=blocked, country="CN")
    assert got.at == local(SHANGHAI, 2026, 10, 8, 8, 0)


@pytest.mark.parametrize(
    ("region", "allowed", "at"),
    [
        ("SCT", False, utc(2026, 1, 3, 8, 0)),  # 2 January is a bank holiday in Scotland only
        ("ENG", True, utc(2026, 1, 2, 10, 0)),
        (None, True, utc(2026, 1, 2, 10, 0)),
    ],
)
def test_a_british_bank_holiday_depends_on_the_nation(
    region: str | None, allowed: bool, at: datetime
) -> None:
    blocked = BlockedDays(public_holidays=True)
    got = decide(utc(2026, 1, 2, 10, 0), [LONDON], blocked=blocked, country="GB", region=region)
    assert (got.allowed, got.at) == (allowed, at)


@pytest.mark.parametrize(
    ("day", "country", "region", "expected"),
    [
        (date(2026, 7, 3), "US", None, True),
        (date(2026, 7, 2), "US", None, False),
        (date(2026, 7, 3), "us", "ca", True),
        (date(2026, 4, 20), "US", "MA", True),  # Patriots' Day
        (date(2026, 4, 20), "US", "CA", False),
        (date(2026, 7, 3), "US", "XX", True),  # an unknown state falls back to the country
        (date(2026, 1, 2), "GB", "SCT", True),
        (date(2026, 1, 2), "GB", "ENG", False),
        (date(2026, 10, 1), "CN", None, True),
        (date(2026, 10, 4), "CN", None, False),
        (date(2026, 1, 1), "XX", None, False),  # a country holidays does not know: none
        (date(2026, 1, 1), None, None, False),
    ],
)
def test_is_holiday_per_country_and_region(
    day: date, country: str | None, region: str | None, expected: bool
) -> None:
    assert is_holiday(day, country, region) is expected


def test_holiday_name_names_the_holiday() -> None:
    assert holiday_name(date(2026, 10, 1), "CN", None) == "National Day"


# --- hours the person said are inconvenient (Reg F 1006.6(b)(1)) ---------------------------------

LUNCH = Window(time(12), time(14))


@pytest.mark.parametrize(
    ("now", "at", "reason"),
    [
        (local(NY, 2026, 3, 2, 11, 59, 59), local(NY, 2026, 3, 2, 11, 59, 59), None),
        (local(NY, 2026, 3, 2, 12, 0), local(NY, 2026, 3, 2, 14, 0), "stated_constraint"),
        (local(NY, 2026, 3, 2, 13, 59, 59), local(NY, 2026, 3, 2, 14, 0), "stated_constraint"),
        (local(NY, 2026, 3, 2, 14, 0), local(NY, 2026, 3, 2, 14, 0), None),
        (local(NY, 2026, 3, 2, 7, 0), local(NY, 2026, 3, 2, 8, 0), "quiet_hours"),
        (local(NY, 2026, 3, 2, 21, 0), local(NY, 2026, 3, 3, 8, 0), "quiet_hours"),
    ],
)
def test_a_lunch_exclusion_splits_the_window_in_two(
    now: datetime, at: datetime, reason: str | None
) -> None:
    got = decide(now, [NY], excluded=(LUNCH,))
    assert (got.allowed, got.at, got.reason) == (now == at, at, reason)


def test_an_instant_inside_an_exclusion_names_the_stated_constraint() -> None:
    got = decide(local(NY, 2026, 3, 2, 12, 30), [NY], excluded=(LUNCH,))
    assert got == TimeDecision(
        allowed=False,
        at=local(NY, 2026, 3, 2, 14, 0),
        reason="stated_constraint",
        zone=NY,
        detail="12:30 in America/New_York is within the inconvenient 12:00-14:00",
    )


@pytest.mark.parametrize(
    "excluded",
    [
        (Window(time(8), time(9, 30)),),  # touching the window start
        (Window(time(6), time(9, 30)),),  # reaching over it
        (Window(time(8), time(9)), Window(time(9), time(9, 30))),  # two that touch each other
        (Window(time(8, 30), time(9, 30)), Window(time(8), time(9))),  # overlapping, unsorted
    ],
)
def test_an_exclusion_at_the_window_start_moves_the_opening(excluded: tuple[Window, ...]) -> None:
    before = decide(local(NY, 2026, 3, 2, 7, 0), [NY], excluded=excluded)
    assert (before.reason, before.at) == ("quiet_hours", local(NY, 2026, 3, 2, 9, 30))
    inside = decide(local(NY, 2026, 3, 2, 8, 0), [NY], excluded=excluded)
    assert (inside.reason, inside.at) == ("stated_constraint", local(NY, 2026, 3, 2, 9, 30))


def test_an_exclusion_at_the_window_end_closes_the_day_early() -> None:
    got = decide(local(NY, 2026, 3, 2, 20, 0), [NY], excluded=(Window(time(20), time(23)),))
    assert (got.reason, got.at) == ("stated_constraint", local(NY, 2026, 3, 3, 8, 0))
    assert decide(local(NY, 2026, 3, 2, 19, 59, 59), [NY], excluded=(LUNCH,)).allowed


def test_an_exclusion_outside_the_window_changes_nothing() -> None:
    early = Window(time(5), time(8))
    got = decide(local(NY, 2026, 3, 2, 7, 0), [NY], excluded=(early,))
    assert (got.reason, got.at) == ("quiet_hours", local(NY, 2026, 3, 2, 8, 0))


@pytest.mark.parametrize(
    ("excluded", "shown"),
    [
        ((Window(time(7), time(22)),), "08:00-21:00 except 07:00-22:00"),
        ((Window(time(8), time(21)),), "08:00-21:00 except 08:00-21:00"),
        (
            (Window(time(12), time(21)), Window(time(8), time(12))),
            "08:00-21:00 except 08:00-12:00, 12:00-21:00",
        ),
    ],
)
def test_exclusions_covering_the_whole_window_leave_no_contact_window(
    excluded: tuple[Window, ...], shown: str
) -> None:
    assert decide(local(NY, 2026, 3, 2, 10, 0), [NY], excluded=excluded) == TimeDecision(
        False,
        None,
        "no_contact_window",
        None,
        f"the stated inconvenient hours cover the whole window ({shown})",
    )


def test_exclusions_that_leave_no_shared_hour_across_zones_name_them_in_the_detail() -> None:
    # Shanghai and Los Angeles share only the Shanghai morning (see above); excluding it leaves
    # Shanghai 12:00-20:00 (04:00-12:00Z) and Los Angeles 12:00-20:00 (19:00/20:00-03:00/04:00Z).
    got = decide(
        utc(2026, 3, 2, 2, 0),
        [SHANGHAI, LA],
        Window(time(9), time(20)),
        excluded=(Window(time(9), time(12)),),
    )
    assert got == TimeDecision(
        allowed=False,
        at=None,
        reason="no_contact_window",
        zone=SHANGHAI,
        detail="no instant in the next 60 days is allowed in all of Asia/Shanghai, "
        "America/Los_Angeles (09:00-20:00 except 09:00-12:00); now: 10:00 in Asia/Shanghai is "
        "within the inconvenient 09:00-12:00",
    )


@pytest.mark.parametrize(
    ("now", "at"),
    [
        (local(NY, 2026, 3, 2, 11, 30), local(NY, 2026, 3, 2, 11, 30)),
        (local(NY, 2026, 3, 2, 12, 0), local(NY, 2026, 3, 2, 14, 0)),  # lunch in New York
        (local(NY, 2026, 3, 2, 14, 30), local(NY, 2026, 3, 2, 14, 30)),
        (local(NY, 2026, 3, 2, 15, 0), local(NY, 2026, 3, 2, 17, 0)),  # lunch in Los Angeles
        (local(NY, 2026, 3, 2, 20, 59), local(NY, 2026, 3, 2, 20, 59)),
    ],
)
def test_an_exclusion_holds_in_every_candidate_zone(now: datetime, at: datetime) -> None:
    got = decide(now, eastern_mobile_with_pacific_address(), excluded=(LUNCH,))
    assert (got.allowed, got.at) == (now == at, at)


def test_lunch_in_los_angeles_is_named_as_the_blocking_zone() -> None:
    got = decide(
        local(NY, 2026, 3, 2, 15, 0), eastern_mobile_with_pacific_address(), excluded=(LUNCH,)
    )
    assert (got.reason, got.zone, got.detail) == (
        "stated_constraint",
        LA,
        "12:00 in America/Los_Angeles is within the inconvenient 12:00-14:00",
    )


@pytest.mark.parametrize(
    ("zone", "window", "excluded", "now", "at"),
    [
        # Lunch on the day London springs forward: 12:00-14:00 BST is 11:00-13:00Z.
        (LONDON, DAYTIME, LUNCH, utc(2026, 3, 29, 10, 59), utc(2026, 3, 29, 10, 59)),
        (LONDON, DAYTIME, LUNCH, utc(2026, 3, 29, 11, 0), utc(2026, 3, 29, 13, 0)),
        # An exclusion ending inside New York's gap (02:00-03:00 on 2026-03-08) ends at the jump.
        (NY, Window(time(0), time(21)), Window(time(1, 30), time(2, 30)),
         utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 0)),
        # An exclusion starting inside the gap starts at the jump: 01:59:59 EST is still open.
        (NY, Window(time(0), time(21)), Window(time(2, 30), time(4)),
         utc(2026, 3, 8, 6, 59, 59), utc(2026, 3, 8, 6, 59, 59)),
        (NY, Window(time(0), time(21)), Window(time(2, 30), time(4)),
         utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0)),
        # 01:30-01:45 happens twice in New York on 2026-11-01, so it is excluded twice; the spans
        # either side interleave in UTC (01:45 EDT comes before 01:00 EST).
        (NY, Window(time(0), time(21)), Window(time(1, 30), time(1, 45)),
         utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 5, 45)),
        (NY, Window(time(0), time(21)), Window(time(1, 30), time(1, 45)),
         utc(2026, 11, 1, 5, 59, 59), utc(2026, 11, 1, 5, 59, 59)),
        (NY, Window(time(0), time(21)), Window(time(1, 30), time(1, 45)),
         utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 0)),
        (NY, Window(time(0), time(21)), Window(time(1, 30), time(1, 45)),
         utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 6, 45)),
    ],
)  # fmt: skip
def test_an_exclusion_on_a_dst_day_gives_the_exact_instant(
    zone: str, window: Window, excluded: Window, now: datetime, at: datetime
) -> None:
    got = decide(now, [zone], window, excluded=(excluded,))
    assert (got.allowed, got.at) == (now == at, at)
    if not got.allowed:
        assert got.reason == "stated_constraint"


# --- property: the answer is allowed, and nothing before it is ----------------------------------

POOL = (NY, LA, LONDON, SHANGHAI, "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata")
TRANSITIONS = (
    utc(2026, 3, 8, 7, 0), utc(2026, 11, 1, 6, 0), utc(2026, 3, 29, 1, 0),
    utc(2026, 10, 25, 1, 0), utc(2026, 4, 4, 15, 0), utc(2026, 10, 3, 15, 0),
    utc(2026, 4, 5, 3, 0), utc(2026, 9, 6, 4, 0),
)  # fmt: skip
SAMPLE_MINUTES = 2 * 24 * 60


def blocked_by_spec(
    t: datetime, zone: str, window: Window, blocked: BlockedDays, excluded: list[Window]
) -> str | None:
    """Why ``zone`` refuses ``t``, written from the rules directly; None when it allows it."""
    wall = t.astimezone(ZoneInfo(zone))
    if wall.weekday() in blocked.weekdays:
        return "blocked_day"
    if not window.start <= wall.time() < window.end:
        return "quiet_hours"
    if any(e.start <= wall.time() < e.end for e in excluded):
        return "stated_constraint"
    return None


def allowed_by_spec(
    t: datetime,
    zones: list[str],
    window: Window,
    blocked: BlockedDays,
    excluded: list[Window] | None = None,
) -> bool:
    return all(blocked_by_spec(t, z, window, blocked, excluded or []) is None for z in zones)


seconds = st.integers(min_value=0, max_value=86_399)
instants = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)).map(
        lambda d: d.replace(microsecond=0, tzinfo=UTC)
    ),
    st.tuples(st.sampled_from(TRANSITIONS), st.integers(-6 * 3600, 6 * 3600)).map(
        lambda p: p[0] + timedelta(seconds=p[1])
    ),
)
windows = (
    st.tuples(seconds, seconds)
    .filter(lambda p: p[0] != p[1])
    .map(
        lambda p: Window(
            time(min(p) // 3600, min(p) // 60 % 60, min(p) % 60),
            time(max(p) // 3600, max(p) // 60 % 60, max(p) % 60),
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(
    now=instants,
    zones=st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True),
    window=windows,
    weekdays=st.frozensets(st.integers(0, 6), max_size=3),
    excluded=st.lists(windows, max_size=3),
)
def test_the_answer_is_allowed_and_no_earlier_instant_is(
    now: datetime,
    zones: list[str],
    window: Window,
    weekdays: frozenset[int],
    excluded: list[Window],
) -> None:
    blocked = BlockedDays(weekdays)

    def allowed(t: datetime) -> bool:
        return allowed_by_spec(t, zones, window, blocked, excluded)

    got = decide(now, zones, window, blocked, excluded=tuple(excluded))
    assert got.allowed == allowed(now)
    if not got.allowed and got.reason != "no_contact_window":
        first = next(z for z in zones if blocked_by_spec(now, z, window, blocked, excluded))
        assert (got.zone, got.reason) == (
            first,
            blocked_by_spec(now, first, window, blocked, excluded),
        )
    if got.at is not None:
        assert got.at >= now
        assert allowed(got.at)
        if got.at > now:
            assert not allowed(got.at - timedelta(seconds=1))
    end = got.at if got.at is not None else now + timedelta(minutes=SAMPLE_MINUTES)
    step = 0
    while step < SAMPLE_MINUTES and now + timedelta(minutes=step) < end:
        assert not allowed(now + timedelta(minutes=step))
        step += 1
