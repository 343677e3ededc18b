"""The house pack: a schedule's policy as rules, cached by the schedule's value, within bounds."""

from __future__ import annotations

import gc
from datetime import time

from worker.cadence.policy import Window
from worker.cadence.schedule import Schedule, parse_schedule
from worker.gate.packs.select import HOUSE_CACHE_SIZE, house_rules


def schedule(start: str, *, version: str = "1") -> Schedule:
    """A one-step schedule whose house hours start at ``start``; the name is always ``house``."""
    return parse_schedule(
        f"""
name: house
version: "{version}"
locale: en
send_time: "12:00"
policy:
  hours: {{start: "{start}", end: "20:00"}}
tiers:
  - name: early
    steps:
      - {{day: 1, channel: sms, template: reminder}}
""",
        file="house.yaml",
    )


def quiet_hours(s: Schedule) -> Window | None:
    return next(r.window for r in house_rules(s) if r.id == "quiet-hours")


def test_the_house_rules_cite_the_schedule_version_and_keep_its_hours() -> None:
    rules = house_rules(schedule("09:00", version="7"))

    assert [r.ref for r in rules] == ["house/quiet-hours@7"]
    assert rules[0].window == Window(time(9, 0), time(20, 0))


def test_a_schedule_re_read_with_a_new_policy_under_the_same_version_gets_its_own_rules() -> None:
    # A file edited without bumping its version has the same name@version. The cache once keyed
    # on id(policy), which Python reuses once the old schedule is collected: each re-read must
    # see its own hours however the objects happen to be laid out in memory.
    for hour in range(6, 12):
        s = schedule(f"{hour:02d}:00")
        assert quiet_hours(s) == Window(time(hour, 0), time(20, 0))
        del s
        gc.collect()


def test_equal_schedules_share_one_cached_tuple() -> None:
    assert house_rules(schedule("10:00")) is house_rules(schedule("10:00"))


def test_the_cache_holds_at_most_its_size_however_many_versions_pass_through() -> None:
    for n in range(HOUSE_CACHE_SIZE + 10):
        house_rules(schedule("09:00", version=f"v{n}"))

    assert house_rules.cache_info().currsize <= HOUSE_CACHE_SIZE
