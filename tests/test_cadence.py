"""Schedules: the YAML format, its validation errors, repeat expansion and the shipped files."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.cadence.policy import BlockedDays, Cap, Policy, Window
from worker.cadence.schedule import (
    LICENCE_EXEMPT,
    Schedule,
    find_schedule,
    list_schedules,
    load_schedule,
    parse_schedule,
)
from worker.cadence.tiers import repeat_days
from worker.cadence.yamlnodes import parse_clock_time, parse_duration
from worker.errors import ScheduleError

ROOT = Path(__file__).resolve().parent.parent
SCHEDULES = ROOT / "schedules"
BROKEN = Path(__file__).resolve().parent / "fixtures" / "schedules"

MINIMAL = """\
name: minimal
version: "1"
locale: en
send_time: "10:00"
tiers:
  - name: only
    steps:
      - {day: 1, channel: sms, template: nudge}
"""

STANDARD_TEMPLATES = {
    "sms": {"friendly_nudge", "reminder", "past_due_notice", "firm_notice", "final_notice"},
    "email": {"friendly_nudge", "reminder", "past_due_notice", "firm_notice", "final_notice"},
    "voice": {"reminder_call", "final_call"},
}
ZH_CN_TEMPLATES = {
    "sms": {"cn_gentle", "cn_overdue", "cn_final"},
    "email": {"cn_overdue", "cn_final"},
    "voice": {"cn_call"},
    "visit": {"cn_field_visit"},
}


@pytest.fixture(scope="module")
def standard() -> Schedule:
    return find_schedule("standard", SCHEDULES)


@pytest.fixture(scope="module")
def zh_cn() -> Schedule:
    return find_schedule("zh-cn", SCHEDULES)


def plan(schedule: Schedule) -> list[tuple[str, int, str, str, str]]:
    """(key, day, channel, template, HH:MM) of every occurrence, in order."""
    return [
        (o.key, o.day, o.channel, o.template, f"{o.send_time:%H:%M}") for o in schedule.occurrences
    ]


# --- the shipped schedules ---------------------------------------------------------------------


def test_the_shipped_schedules_are_listed_by_name() -> None:
    # An ops team may add its own schedules to the folder: the shipped ones must be there.
    names = list_schedules(SCHEDULES)
    assert {"standard", "zh-cn"} <= set(names)
    assert names == sorted(names)


def test_a_schedule_added_to_the_folder_is_listed_beside_the_shipped_ones(tmp_path: Path) -> None:
    shutil.copytree(SCHEDULES, tmp_path / "schedules")
    text = (SCHEDULES / "standard.yaml").read_text()
    (tmp_path / "schedules" / "ops.yaml").write_text(text.replace("name: standard", "name: ops"))
    assert list_schedules(tmp_path / "schedules") == sorted([*list_schedules(SCHEDULES), "ops"])
    assert find_schedule("ops", tmp_path / "schedules").occurrences == (
        find_schedule("standard", SCHEDULES).occurrences
    )


def test_the_standard_schedule_runs_sixty_days_from_gentle_to_final(standard: Schedule) -> None:
    assert standard.ref == "standard@2026-11-29"
    assert standard.locale == "en"
    assert standard.send_time == time(10, 0)
    assert standard.packs == ()
    assert standard.tiers() == ("early", "mid", "late")
    assert plan(standard) == [
        ("early.1", 1, "sms", "friendly_nudge", "10:00"),
        ("early.2", 3, "email", "friendly_nudge", "09:30"),
        ("early.3", 7, "sms", "reminder", "10:00"),
        ("early.4", 10, "voice", "reminder_call", "11:00"),
        ("mid.1", 14, "email", "past_due_notice", "09:30"),
        ("mid.2", 15, "sms", "past_due_notice", "10:00"),
        ("mid.3#d18", 18, "voice", "reminder_call", "11:00"),
        ("mid.3#d25", 25, "voice", "reminder_call", "11:00"),
        ("mid.4", 25, "sms", "reminder", "14:00"),
        ("mid.5", 30, "email", "firm_notice", "09:30"),
        ("mid.6", 31, "sms", "firm_notice", "10:00"),
        ("mid.3#d32", 32, "voice", "reminder_call", "11:00"),
        ("late.1", 40, "voice", "final_call", "17:30"),
        ("late.2", 45, "email", "final_notice", "09:30"),
        ("late.3", 46, "sms", "final_notice", "10:00"),
        ("late.4", 52, "voice", "final_call", "17:30"),
        ("late.5", 60, "email", "final_notice", "09:30"),
    ]
    assert [o.key for o in standard.occurrences if o.fallback == "sms"] == [
        "early.4", "mid.3#d18", "mid.3#d25", "mid.3#d32", "late.1", "late.4",
    ]  # fmt: skip


def test_the_standard_house_policy_matches_the_brief(standard: Schedule) -> None:
    assert standard.policy == Policy(
        hours=Window(time(9, 0), time(20, 0)),
        channel_hours={"voice": Window(time(10, 0), time(19, 0))},
        blocked_days=BlockedDays(weekdays=frozenset({6}), public_holidays=True),
        caps=(
            Cap("sms-2-per-7d", "sms", 2, 7 * 86_400),
            Cap("voice-3-per-7d", "voice", 3, 7 * 86_400, count="debt"),
            Cap("any-5-per-7d", "any", 5, 7 * 86_400),
        ),
    )
    assert standard.policy.window_for("voice") == Window(time(10, 0), time(19, 0))
    assert standard.policy.window_for("sms") == Window(time(9, 0), time(20, 0))


def test_the_standard_schedule_uses_the_default_events(standard: Schedule) -> None:
    assert standard.stop_events == {"paid", "cease", "close", "represented_by_attorney"}
    assert standard.pause_events == {"promise_to_pay"}
    assert standard.hold_events == {"dispute"}
    assert standard.resume_events == {"dispute_resolved"}


def test_the_zh_cn_schedule_ends_in_a_field_visit(zh_cn: Schedule) -> None:
    assert zh_cn.ref == "zh-cn@2026-11-29"
    assert zh_cn.locale == "zh-Hans"
    assert zh_cn.tiers() == ("early", "mid", "late")
    assert plan(zh_cn) == [
        ("early.1", 1, "sms", "cn_gentle", "10:00"),
        ("early.2", 3, "voice", "cn_call", "11:00"),
        ("early.3", 5, "sms", "cn_gentle", "10:00"),
        ("mid.1", 8, "sms", "cn_overdue", "10:00"),
        ("mid.2#d10", 10, "voice", "cn_call", "14:00"),
        ("mid.2#d13", 13, "voice", "cn_call", "14:00"),
        ("mid.3", 15, "email", "cn_overdue", "10:00"),
        ("mid.2#d16", 16, "voice", "cn_call", "14:00"),
        ("mid.2#d19", 19, "voice", "cn_call", "14:00"),
        ("mid.2#d22", 22, "voice", "cn_call", "14:00"),
        ("mid.2#d25", 25, "voice", "cn_call", "14:00"),
        ("late.1", 31, "sms", "cn_final", "10:00"),
        ("late.2", 35, "email", "cn_final", "10:00"),
        ("late.3", 40, "voice", "cn_call", "14:00"),
        ("late.4", 45, "visit", "cn_field_visit", "14:00"),
    ]


def test_the_zh_cn_house_policy_blocks_holidays_but_no_weekday(zh_cn: Schedule) -> None:
    assert zh_cn.policy == Policy(
        hours=Window(time(9, 0), time(21, 0)),
        blocked_days=BlockedDays(public_holidays=True),
        caps=(
            Cap("voice-3-per-1d", "voice", 3, 86_400),
            Cap("sms-1-per-1d", "sms", 1, 86_400),
            Cap("any-4-per-1d", "any", 4, 86_400),
        ),
    )


@pytest.mark.parametrize(
    ("name", "templates"), [("standard", STANDARD_TEMPLATES), ("zh-cn", ZH_CN_TEMPLATES)]
)
def test_shipped_schedules_use_only_the_agreed_template_names(
    name: str, templates: dict[str, set[str]]
) -> None:
    schedule = find_schedule(name, SCHEDULES)
    used = {(o.channel, o.template) for o in schedule.occurrences}
    assert used <= {(channel, t) for channel, names in templates.items() for t in names}


def test_a_schedule_keeps_its_source_text_so_a_version_can_be_pinned(standard: Schedule) -> None:
    text = (SCHEDULES / "standard.yaml").read_text(encoding="utf-8")
    assert standard.source == text
    assert parse_schedule(standard.source, file="pinned") == standard


# --- occurrences and navigation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "every", "until", "limit", "days"),
    [
        (18, 7, 32, 3, [18, 25, 32]),
        (18, 7, 31, 3, [18, 25]),
        (10, 3, 28, 6, [10, 13, 16, 19, 22, 25]),
        (10, 3, 28, None, [10, 13, 16, 19, 22, 25, 28]),
        (5, 2, None, 3, [5, 7, 9]),
        (0, 7, 0, None, [0]),
        (4, 1, 6, None, [4, 5, 6]),
        (21, 7, 42, 1, [21]),
    ],
)
def test_a_repeat_expands_to_its_days(
    start: int, every: int, until: int | None, limit: int | None, days: list[int]
) -> None:
    assert repeat_days(start, every, until, limit) == days


@given(
    start=st.integers(0, 100),
    every=st.integers(1, 30),
    until=st.none() | st.integers(0, 200),
    limit=st.integers(1, 20),
)
def test_repeat_days_are_evenly_spaced_and_within_both_bounds(
    start: int, every: int, until: int | None, limit: int
) -> None:
    days = repeat_days(start, every, until, limit)
    assert len(days) <= limit
    assert days == [start + i * every for i in range(len(days))]
    if until is not None:
        assert all(d <= until for d in days)
        assert len(days) == limit or days == [] or days[-1] + every > until


def test_a_repeat_without_any_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="until or a limit"):
        repeat_days(1, 7, None, None)


def test_occurrences_on_one_day_run_by_send_time_then_declaration_order() -> None:
    text = MINIMAL.replace(
        "      - {day: 1, channel: sms, template: nudge}\n",
        "      - {day: 1, channel: sms, template: nudge, send_time: '15:00'}\n"
        "      - {day: 1, channel: email, template: nudge}\n"
        "      - {day: 1, channel: voice, template: call}\n"
        "      - {every: 2, from: 1, max: 2, channel: visit, template: visit,"
        " send_time: '09:00'}\n",
    )
    schedule = parse_schedule(text, file="t.yaml")
    assert [(o.index, o.key, o.day) for o in schedule.occurrences] == [
        (0, "only.4#d1", 1),
        (1, "only.2", 1),
        (2, "only.3", 1),
        (3, "only.1", 1),
        (4, "only.4#d3", 3),
    ]


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (0, "early.1"),
        (1, "early.1"),
        (2, "early.2"),
        (12, "mid.1"),
        (25, "mid.3#d25"),
        (26, "mid.5"),
        (33, "late.1"),
        (60, "late.5"),
        (61, None),
        (400, None),
    ],
)
def test_a_late_enrolment_starts_at_the_first_step_on_or_after_its_day(
    standard: Schedule, day: int, key: str | None
) -> None:
    found = standard.first_on_or_after(day)
    assert (found.key if found else None) == key


def test_after_walks_the_occurrences_and_ends_with_none(standard: Schedule) -> None:
    walked = [standard.occurrences[0].key]
    current = standard.occurrences[0]
    while (following := standard.after(current.index)) is not None:
        walked.append(following.key)
        current = following
    assert walked == [o.key for o in standard.occurrences]
    assert current.key == "late.5"


@pytest.mark.parametrize("index", [-1, 17])
def test_after_refuses_an_index_that_is_not_an_occurrence(standard: Schedule, index: int) -> None:
    with pytest.raises(IndexError):
        standard.after(index)


def test_an_occurrence_is_found_by_its_key(standard: Schedule) -> None:
    found = standard.find("mid.3#d25")
    assert found is not None
    assert (found.index, found.day, found.channel) == (7, 25, "voice")
    assert standard.find("mid.3") is None


# --- defaults and readable YAML ----------------------------------------------------------------


def test_a_schedule_without_policy_or_events_gets_the_legal_window_and_default_events() -> None:
    schedule = parse_schedule(MINIMAL, file="minimal.yaml")
    assert schedule.policy == Policy()
    assert schedule.policy.hours == Window(time(8, 0), time(21, 0))
    assert schedule.description == ""
    assert schedule.packs == ()
    assert schedule.stop_events == {"paid", "cease", "close", "represented_by_attorney"}
    assert schedule.pause_events == {"promise_to_pay"}


def test_unquoted_times_and_numeric_versions_read_as_written() -> None:
    text = MINIMAL.replace('send_time: "10:00"', "send_time: 10:00").replace(
        'version: "1"', "version: 3"
    )
    schedule = parse_schedule(text, file="t.yaml")
    assert schedule.send_time == time(10, 0)
    assert schedule.version == "3"
    assert schedule.ref == "minimal@3"


def test_blocked_dates_and_named_caps_are_read() -> None:
    text = MINIMAL + (
        "policy:\n"
        "  blocked_days: {weekdays: [saturday, sunday], dates: [2026-12-24, '2026-12-31']}\n"
        "  caps:\n"
        "    - {id: weekly-texts, channel: sms, limit: 3, per: 168h, count: debt}\n"
        "    - {channel: email, limit: 1, per: 90m}\n"
        "packs: [us-ma, house_extra]\n"
    )
    schedule = parse_schedule(text, file="t.yaml")
    assert schedule.policy.blocked_days == BlockedDays(
        weekdays=frozenset({5, 6}), dates=frozenset({date(2026, 12, 24), date(2026, 12, 31)})
    )
    assert schedule.policy.caps == (
        Cap("weekly-texts", "sms", 3, 168 * 3_600, count="debt"),
        Cap("email-1-per-90m", "email", 1, 5_400),
    )
    assert schedule.packs == ("us-ma", "house_extra")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7d", 604_800), ("30d", 2_592_000), ("1d", 86_400), ("24h", 86_400), ("90m", 5_400)],
)
def test_cap_durations_parse_to_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["7", "7w", "d", "-1d", "1.5d", "7 days", "7D", ""])
def test_malformed_cap_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be a duration such as 7d, 24h or 90m"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "value"), [("09:30", time(9, 30)), ("9:05", time(9, 5)), ("23:59", time(23, 59))]
)
def test_clock_times_parse(text: str, value: time) -> None:
    assert parse_clock_time(text) == value


@pytest.mark.parametrize("text", ["24:00", "12:60", "0930", "9.30", "09:30:00", "noon"])
def test_malformed_clock_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be a time of day HH:MM"):
        parse_clock_time(text)


# --- who sends, unverified rules and licence numbers ---------------------------------------------


def test_without_the_new_keys_a_schedule_is_a_creditor_enforcing_verified_rules_only() -> None:
    schedule = parse_schedule(MINIMAL, file="minimal.yaml")
    assert (schedule.collector, schedule.enforce_unverified, dict(schedule.licences)) == (
        "creditor",
        False,
        {},
    )


@pytest.mark.parametrize(
    ("name", "country", "licences"),
    [("standard", "US", {"US-CA": "exempt"}), ("zh-cn", "CN", {})],
)
def test_the_shipped_schedules_keep_the_compliance_defaults_and_declare_their_country(
    name: str, country: str, licences: dict[str, str]
) -> None:
    schedule = find_schedule(name, SCHEDULES)
    assert (
        schedule.collector,
        schedule.enforce_unverified,
        schedule.country,
        dict(schedule.licences),
    ) == ("creditor", False, country, licences)


def test_the_aggressive_example_declares_the_united_states() -> None:
    schedule = load_schedule(ROOT / "examples" / "aggressive.yaml")
    assert (schedule.country, dict(schedule.licences)) == ("US", {"US-CA": "exempt"})


def test_a_schedule_declares_its_country_or_none() -> None:
    assert parse_schedule(MINIMAL, file="t.yaml").country is None
    assert parse_schedule(MINIMAL + "country: GB\n", file="t.yaml").country == "GB"


def test_a_licence_may_be_declared_exempt() -> None:
    schedule = parse_schedule(MINIMAL + "licences: {US-CA: exempt}\n", file="t.yaml")
    assert dict(schedule.licences) == {"US-CA": LICENCE_EXEMPT}


def test_collector_enforce_unverified_and_licences_are_read() -> None:
    text = MINIMAL + (
        "collector: third_party\n"
        "enforce_unverified: true\n"
        "licences:\n"
        '  US-CA: "10012345"\n'
        "  US-NY: 2073421\n"  # unquoted: still the text as written
        "  GB-SCT: ABC/123-4\n"
    )
    schedule = parse_schedule(text, file="t.yaml")
    assert schedule.collector == "third_party"
    assert schedule.enforce_unverified is True
    assert dict(schedule.licences) == {
        "US-CA": "10012345",
        "US-NY": "2073421",
        "GB-SCT": "ABC/123-4",
    }
    assert parse_schedule(text, file="again.yaml") == schedule


@pytest.mark.parametrize(
    ("line", "value"), [("collector: creditor\n", "creditor"), ("licences: {}\n", "creditor")]
)
def test_explicit_defaults_read_like_absent_keys(line: str, value: str) -> None:
    schedule = parse_schedule(MINIMAL + line, file="t.yaml")
    assert (schedule.collector, dict(schedule.licences)) == (value, {})


def test_equal_schedules_hash_equal_so_they_can_key_a_cache() -> None:
    text = MINIMAL + "licences: {US-CA: '1'}\n"
    first, second = parse_schedule(text, file="a.yaml"), parse_schedule(text, file="b.yaml")
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second, parse_schedule(MINIMAL, file="c.yaml")}) == 2


def test_a_schedule_and_its_licences_cannot_be_changed_after_reading() -> None:
    schedule = parse_schedule(MINIMAL + "licences: {US-CA: '1'}\n", file="t.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.collector = "third_party"  # type: ignore[misc]
    with pytest.raises(TypeError):
        schedule.licences["US-CA"] = "2"  # type: ignore[index]


@pytest.mark.parametrize(
    ("extra", "line", "field", "message"),
    [
        ("collector: debt_buyer\n", 9, "collector",
         "must be one of creditor, third_party, not 'debt_buyer'"),
        ("collector: [creditor]\n", 9, "collector", "must be a single value"),
        ("enforce_unverified: yes\n", 9, "enforce_unverified", "must be true or false, not 'yes'"),
        ("country: usa\n", 9, "country",
         "must be an ISO 3166-1 alpha-2 code such as US or CN, not 'usa'"),
        ("country: us\n", 9, "country",
         "must be an ISO 3166-1 alpha-2 code such as US or CN, not 'us'"),
        ("country: XX\n", 9, "country", "'XX' is not a country known to the phone number data"),
        ("country: [US]\n", 9, "country", "must be a single value"),
        ("licences: [US-CA]\n", 9, "licences", "must be a mapping of key: value"),
        ("licences: US-CA 10012345\n", 9, "licences", "must be a mapping of key: value"),
        ("licences:\n  US-CA: '1'\n  us-ny: '2'\n", 11, "licences.us-ny",
         "must be keyed by COUNTRY-REGION such as US-CA, not 'us-ny'"),
        ("licences: {CA: '1'}\n", 9, "licences.CA", "must be keyed by COUNTRY-REGION"),
        ("licences: {USA-CA: '1'}\n", 9, "licences.USA-CA", "must be keyed by COUNTRY-REGION"),
        ("licences: {US-CALI: '1'}\n", 9, "licences.US-CALI", "must be keyed by COUNTRY-REGION"),
        ("licences:\n  US-CA:\n", 10, "licences.US-CA", "must not be empty"),
        ("licences: {US-CA: ''}\n", 9, "licences.US-CA", "must not be empty"),
        ("licences: {US-CA: [1, 2]}\n", 9, "licences.US-CA", "must be a single value"),
        ("licences:\n  US-CA: '1'\n  US-CA: '2'\n", 11, "licences.US-CA", "key written twice"),
        (f"licences: {{US-CA: '{'9' * 65}'}}\n", 9, "licences.US-CA",
         "must be one line of at most 64 characters"),
        ("licences:\n  US-CA: |\n    123\n    456\n", 10, "licences.US-CA",
         "must be one line of at most 64 characters"),
    ],
)  # fmt: skip
def test_malformed_compliance_keys_are_refused_naming_line_and_field(
    extra: str, line: int, field: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(MINIMAL + extra, file="inline.yaml")
    error = raised.value
    assert (error.file, error.line, error.field) == ("inline.yaml", line, field)
    assert message in str(error)


# --- errors name the file, the line and the field ----------------------------------------------


#: (fixture file, line, field, part of the message) of every file in tests/fixtures/schedules.
BROKEN_CASES = [
    ("unknown_key", 10, "tiers.0.steps.1.chanel", "unknown key (known keys: channel, day,"),
    ("bad_channel", 11, "tiers.0.steps.1.channel", "must be one of sms, email, voice, visit"),
    ("bad_time", 9, "tiers.0.steps.0.send_time", "must be a time of day HH:MM"),
    ("bad_duration", 9, "policy.caps.1.per", "must be a duration such as 7d, 24h or 90m"),
    ("cease_in_pause", 8, "events.pause.1", "cease must be in events.stop"),
    ("event_in_two_lists", 8, "events.hold.0", "dispute is already in events.stop"),
    ("decreasing_days", 11, "tiers.0.steps.2.day", "day 3 comes before day 7"),
    ("repeat_without_bound", 13, "tiers.1.steps.0.every", "needs until: or max:"),
    ("invalid_syntax", 10, None, "invalid YAML: expected ',' or '}'"),
    ("missing_name", 2, "name", "is required"),
    ("tiers_overlap", 13, "tiers.1.steps.0.day", "tier 'mid' starts on day 2, not after day 3"),
    ("fallback_same_channel", 9, "tiers.0.steps.0.fallback", "must differ from"),
    ("hours_reversed", 7, "policy.hours.end", "must be after start 20:00"),
    ("close_missing", 7, "events.stop", "must include close"),
    ("duplicate_key", 12, "tiers.0.steps.0.template", "key written twice"),
    ("bad_template_name", 9, "tiers.0.steps.0.template", "must be a template name"),
    ("cap_limit_zero", 8, "policy.caps.0.limit", "must be at least 1, not 0"),
    ("send_time_outside_hours", 17, "tiers.1.steps.0.send_time", "outside the voice hours"),
    ("same_day_same_channel", 14, "tiers.1.steps.1", "day 25 already has a voice step"),
    ("unknown_event", 7, "events.stop.0", "not 'payed'"),
    ("bad_weekday", 7, "policy.blocked_days.weekdays.0", "not 'Sunday'"),
    ("attorney_in_pause", 8, "events.pause.1", "represented_by_attorney must be in events.stop"),
    ("third_party_dispute_paused", 9, "events.pause.1",
     "dispute must be in events.hold for a third_party collector"),
    ("third_party_dispute_missing", 8, "events.hold",
     "must hold on dispute for a third_party collector"),
]  # fmt: skip


@pytest.mark.parametrize(("fixture", "line", "field", "message"), BROKEN_CASES)
def test_a_broken_schedule_is_refused_naming_file_line_and_field(
    fixture: str, line: int, field: str | None, message: str
) -> None:
    path = BROKEN / f"{fixture}.yaml"
    with pytest.raises(ScheduleError) as raised:
        load_schedule(path)
    error = raised.value
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert message in str(error)


def test_the_error_message_reads_file_line_field_then_the_problem() -> None:
    path = BROKEN / "bad_channel.yaml"
    with pytest.raises(ScheduleError) as raised:
        load_schedule(path)
    assert str(raised.value) == (
        f"{path}:11: tiers.0.steps.1.channel: must be one of sms, email, voice, visit, not 'fax'"
    )


def test_every_broken_fixture_is_in_the_table() -> None:
    """A fixture nobody asserts on is a test that cannot fail."""
    tested = {case[0] for case in BROKEN_CASES}
    assert tested == {p.stem for p in BROKEN.glob("*.yaml")}


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("", 1, None, "the file holds no YAML document"),
        ("- a\n- b\n", 1, None, "must be a mapping of key: value"),
        ("name: x\n---\nname: y\n", 2, None, "invalid YAML: but found another document"),
        (MINIMAL.split("tiers:")[0] + "tiers: []\n", 5, "tiers", "must not be an empty list"),
        (MINIMAL + "events: {}\n", 9, "events.stop", "must include cease"),
        (MINIMAL + "policy: {blocked_days: {public_holidays: yes}}\n", 9,
         "policy.blocked_days.public_holidays", "must be true or false, not 'yes'"),
        (MINIMAL + "policy:\n  channel_hours: {voice: {start: '07:00', end: '19:00'}}\n", 10,
         "policy.channel_hours.voice", "voice hours 07:00-19:00 must lie within"),
        (MINIMAL.replace("day: 1,", "day: 1, every: 7,"), 8, "tiers.0.steps.0.every",
         "either day: or a repeat"),
        (MINIMAL.replace("day: 1,", "from: 1,"), 8, "tiers.0.steps.0",
         "needs day: or a repeat with every: and from:; every: is missing"),
        (MINIMAL.replace("locale: en", "locale: en_US"), 3, "locale", "BCP 47"),
        (MINIMAL.replace("name: minimal", "name: Minimal Plan"), 1, "name", "must be a name"),
        (MINIMAL.replace('version: "1"', 'version: "1@2"'), 2, "version", "must be a version"),
        (MINIMAL.replace("template: nudge", "template: [nudge]"), 8,
         "tiers.0.steps.0.template", "must be a single value"),
    ],
)  # fmt: skip
def test_malformed_text_is_refused_naming_line_and_field(
    text: str, line: int, field: str | None, message: str
) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text, file="inline.yaml")
    assert (raised.value.file, raised.value.line, raised.value.field) == (
        "inline.yaml",
        line,
        field,
    )
    assert message in str(raised.value)


def test_a_schedule_default_send_time_outside_the_hours_points_at_the_step() -> None:
    text = MINIMAL.replace('send_time: "10:00"', 'send_time: "08:30"') + (
        "policy: {hours: {start: '09:00', end: '20:00'}}\n"
    )
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text, file="t.yaml")
    assert (raised.value.line, raised.value.field) == (8, "tiers.0.steps.0")
    assert "send_time 08:30 (the schedule's default) is outside the sms hours 09:00-20:00" in str(
        raised.value
    )


# --- finding schedule files --------------------------------------------------------------------


def test_a_schedule_is_found_by_path_as_well_as_by_name(standard: Schedule) -> None:
    assert find_schedule(str(SCHEDULES / "standard.yaml"), SCHEDULES) == standard
    assert load_schedule(SCHEDULES / "standard.yaml") == standard


def test_an_unknown_name_names_the_directory_and_the_schedules_there() -> None:
    with pytest.raises(ScheduleError) as raised:
        find_schedule("gentle", SCHEDULES)
    assert raised.value.file == str(SCHEDULES)
    listed = ", ".join(list_schedules(SCHEDULES))  # the shipped ones and any an ops team added
    assert "standard, zh-cn" in listed
    assert str(raised.value) == (
        f"{SCHEDULES}: no schedule named 'gentle' here (schedules: {listed})"
    )


def test_an_unknown_name_in_an_empty_directory_says_there_are_none(tmp_path: Path) -> None:
    with pytest.raises(
        ScheduleError, match=r"no schedule named 'standard' here \(schedules: none\)"
    ):
        find_schedule("standard", tmp_path)
    assert list_schedules(tmp_path / "missing") == []


def test_a_file_whose_name_differs_from_its_name_key_is_refused(tmp_path: Path) -> None:
    shutil.copy(SCHEDULES / "standard.yaml", tmp_path / "gentle.yaml")
    with pytest.raises(ScheduleError) as raised:
        find_schedule("gentle", tmp_path)
    assert (raised.value.line, raised.value.field) == (12, "name")
    assert "must be 'gentle', the file's name, not 'standard'" in str(raised.value)


def test_a_missing_file_is_a_schedule_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ScheduleError) as raised:
        load_schedule(path)
    assert (raised.value.file, raised.value.line) == (str(path), None)
    assert "cannot be read: No such file or directory" in str(raised.value)


def test_a_file_that_is_not_utf8_is_a_schedule_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("minimal", "caf\xe9").encode("latin-1"))
    with pytest.raises(ScheduleError, match="is not UTF-8 text"):
        load_schedule(path)


# --- stops no schedule can move, holds a debt collector must keep -------------------------------


def test_a_schedule_written_before_attorney_representation_still_stops_on_it() -> None:
    """Pinned schedules and schedules in the field list only cease and close; they must load."""
    text = MINIMAL + "events:\n  stop: [paid, cease, close]\n  hold: [dispute]\n"
    schedule = parse_schedule(text, file="old.yaml")
    assert schedule.stop_events == {"paid", "cease", "close", "represented_by_attorney"}


@pytest.mark.parametrize(
    "events",
    [
        None,  # the default events hold on a dispute
        "  stop: [paid, cease, close]\n  hold: [dispute]\n",
        # stopping for good on a dispute is stricter than holding: a house may choose it
        "  stop: [paid, cease, close, dispute]\n",
    ],
)
def test_a_third_party_collector_that_holds_or_stops_on_a_dispute_is_accepted(
    events: str | None,
) -> None:
    text = MINIMAL + "collector: third_party\n" + (f"events:\n{events}" if events else "")
    schedule = parse_schedule(text, file="t.yaml")
    assert "dispute" in schedule.hold_events | schedule.stop_events


def test_a_creditor_may_leave_disputes_out_of_its_holds() -> None:
    text = MINIMAL + "events:\n  stop: [paid, cease, close]\n"
    assert parse_schedule(text, file="t.yaml").hold_events == frozenset()
