"""Which jurisdictions' packs apply when the address is missing or partial (docs/compliance.md,
Which rules apply): every candidate place brings its pack, like every candidate zone.

The address, every phone number (its country, and in the US its state from the area code) and
a place the person stated are all candidates; with none of them, the schedule's ``country``; an
account with no country at all is refused at intake.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import redis
from phonenumbers.geodata import GEOCODE_DATA
from rich.console import Console

from worker.accounts.places import candidate_places, phone_place, us_state
from worker.accounts.state import AccountState
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.attempt import evaluate_step
from worker.dispatch.explain import explain_account
from worker.errors import InvalidInput
from worker.gate.packs.select import jurisdiction, rules_for
from worker.intake import apply_event, enroll, enroll_raw

from .pipeline_helpers import TEST_SCHEDULE, account, make_app

US_SCHEDULE = TEST_SCHEDULE + "country: US\n"
BOSTON_MOBILE = {"number": "+16175550111", "kind": "mobile", "sms_consent": True}
NY_MOBILE = {"number": "+12125550123", "kind": "mobile", "sms_consent": True}
CN_MOBILE = {"number": "+8613800138001", "kind": "mobile", "sms_consent": True}
EMAIL = [{"address": "sam@example.com", "kind": "personal", "consent": True}]


def packs(schedule_text: str = TEST_SCHEDULE, **fields: Any) -> list[str]:
    """The packs whose rules apply to ``account(**fields)``, in the order they are cited."""
    schedule = parse_schedule(schedule_text, file="t.yaml")
    rules = rules_for(schedule, parse_account(account(**fields)))
    return list(dict.fromkeys(r.pack for r in rules))


def bare(**fields: Any) -> dict[str, Any]:
    """Account fields with no time zone, address, phone or email unless given."""
    return {"timezone": None, "phones": [], "emails": [], **fields}


# --- every candidate place brings its pack -----------------------------------------------------


def test_a_boston_mobile_without_an_address_brings_the_massachusetts_pack() -> None:
    assert packs(**bare(phones=[BOSTON_MOBILE])) == ["us-federal", "us-ma", "house"]


def test_a_boston_mobile_on_a_new_york_address_brings_both_states_packs() -> None:
    fields = bare(address={"country": "US", "region": "NY"}, phones=[BOSTON_MOBILE])
    assert packs(**fields) == ["us-federal", "us-ma", "house"]


def test_several_phone_countries_bring_several_countries_packs() -> None:
    assert packs(**bare(phones=[NY_MOBILE, CN_MOBILE])) == ["cn", "us-federal", "house"]


def test_a_foreign_phone_on_a_us_address_brings_its_country_s_pack_too() -> None:
    fields = bare(address={"country": "US", "region": "CA"}, phones=[CN_MOBILE])
    assert packs(**fields) == ["cn", "us-federal", "us-ca", "house"]


def test_an_email_only_account_falls_back_to_the_schedule_country() -> None:
    assert packs(**bare(emails=EMAIL)) == ["house"]
    assert packs(US_SCHEDULE, **bare(emails=EMAIL)) == ["us-federal", "house"]


def test_a_region_without_a_country_takes_the_country_found_elsewhere() -> None:
    assert packs(US_SCHEDULE, **bare(address={"region": "CA"}, emails=EMAIL)) == [
        "us-federal",
        "us-ca",
        "house",
    ]


def test_the_schedule_country_is_not_used_when_a_phone_gives_one() -> None:
    cn = TEST_SCHEDULE + "country: CN\n"
    assert packs(cn, **bare(phones=[NY_MOBILE])) == ["us-federal", "house"]


# --- the gate uses every candidate's rules -----------------------------------------------------


def test_a_boston_mobile_without_an_address_is_judged_by_the_massachusetts_cap(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account(**bare(phones=[BOSTON_MOBILE]))))
    schedule = app.current_schedule("t")
    state = app.store.require("A-1")
    sms = schedule.occurrences[0]
    decision = evaluate_step(app, state, schedule, sms, datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert decision.judgement is not None
    checked = {c.rule.split("@")[0] for c in decision.judgement.checks}
    assert "us-ma/MA1" in checked  # two texts or calls a week to a personal number


def test_an_email_only_person_on_a_chinese_schedule_is_judged_in_shanghai_hours(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    cn = TEST_SCHEDULE.replace("policy:\n", "country: CN\npolicy:\n")
    app = make_app(redis_url, tmp_path, clock, cn)
    enroll(app, parse_account(account(**bare(emails=EMAIL))))
    schedule = app.current_schedule("t")
    state = app.store.require("A-1")
    email = schedule.occurrences[3]
    # 02:00 UTC is 10:00 in Shanghai (inside every window) and the middle of the night in the US
    decision = evaluate_step(app, state, schedule, email, datetime(2026, 3, 6, 2, tzinfo=UTC))
    assert decision.action == "allow"
    assert decision.judgement is not None
    assert any(c.rule.startswith("cn/CN1@") for c in decision.judgement.checks)


# --- no country at all is refused at intake ----------------------------------------------------

NO_COUNTRY = (
    "address.country: needed to know which rules apply: give an address country, "
    "a phone number, or a schedule country"
)


def test_an_account_with_no_country_anywhere_is_refused_naming_the_field(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    with pytest.raises(InvalidInput) as caught:
        enroll(app, parse_account(account(**bare(emails=EMAIL))))
    assert (caught.value.field, str(caught.value)) == ("address.country", NO_COUNTRY)
    assert app.store.load("A-1") is None
    outcome = enroll_raw(app, account(**bare(emails=EMAIL, address={"region": "CA"})))
    assert not isinstance(outcome, AccountState)
    assert (outcome.outcome, outcome.reason) == ("rejected", f"invalid_account: {NO_COUNTRY}")


def test_a_schedule_country_or_a_phone_is_enough_to_enroll(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, US_SCHEDULE)
    assert isinstance(enroll(app, parse_account(account(**bare(emails=EMAIL)))), AccountState)
    (tmp_path / "b").mkdir()
    # t without a country is another version: one version is one content (worker.cadence.pinning)
    other = make_app(
        redis_url, tmp_path / "b", clock, TEST_SCHEDULE.replace('version: "1"', 'version: "2"')
    )
    phone_only = account(account_id="A-2", **bare(phones=[NY_MOBILE]))
    assert isinstance(enroll(other, parse_account(phone_only)), AccountState)


# --- a stated place, and explain ---------------------------------------------------------------


def test_a_place_the_person_states_brings_its_pack_while_it_holds(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    stated = {"kind": "located_in", "timezone": "America/Los_Angeles", "country": "US",
              "region": "CA"}  # fmt: skip
    apply_event(
        app,
        parse_event(
            {"account_id": "A-1", "type": "constraint", "constraint": stated, "until": "2026-03-10"}
        ),
    )
    schedule = app.current_schedule("t")
    state = app.store.require("A-1")
    email = schedule.occurrences[3]
    during = evaluate_step(app, state, schedule, email, datetime(2026, 3, 6, 20, tzinfo=UTC))
    after = evaluate_step(app, state, schedule, email, datetime(2026, 3, 12, 20, tzinfo=UTC))
    assert during.judgement is not None and after.judgement is not None
    assert any(c.rule.startswith("us-ca/CA1@") for c in during.judgement.checks)
    assert not any(c.rule.startswith("us-ca/") for c in after.judgement.checks)


def test_explain_lists_every_candidate_jurisdiction_and_what_said_so(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    fields = bare(address={"country": "US", "region": "NY"}, phones=[BOSTON_MOBILE, CN_MOBILE])
    enroll(app, parse_account(account(**fields)))
    console = Console(record=True, width=240)
    explain_account(app, "A-1", console)
    text = console.export_text()
    assert (
        "jurisdictions: US-NY (address), US-MA (phone +1********11), CN (phone +86*********01);"
        in text
    )


# --- a timezone field is one candidate; only the person's statement narrows ------------------

LEGAL_HOURS = TEST_SCHEDULE.replace(
    'hours: {start: "09:00", end: "20:00"}', 'hours: {start: "08:00", end: "21:00"}'
)
#: Monday 2026-03-02 23:59 in Boston, 20:59 in Los Angeles.
LATE_IN_BOSTON = datetime(2026, 3, 3, 4, 59, tzinfo=UTC)


def boston_with_a_los_angeles_zone(
    redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> tuple[Any, Any]:
    app = make_app(redis_url, tmp_path, clock, LEGAL_HOURS)
    fields = bare(
        timezone="America/Los_Angeles",
        address={"country": "US", "region": "MA", "city": "Boston"},
        phones=[BOSTON_MOBILE],
    )
    enroll(app, parse_account(account(**fields)))
    return app, app.current_schedule("t")


def test_a_los_angeles_timezone_field_does_not_allow_a_text_at_midnight_in_boston(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app, schedule = boston_with_a_los_angeles_zone(redis_url, tmp_path, clock)
    state = app.store.require("A-1")
    decision = evaluate_step(app, state, schedule, schedule.occurrences[0], LATE_IN_BOSTON)
    # the earliest instant inside 08:00-21:00 both in Boston and in Los Angeles: 08:00 Pacific
    assert (decision.action, decision.at) == ("defer", datetime(2026, 3, 3, 16, tzinfo=UTC))


def test_the_person_saying_they_are_in_los_angeles_makes_it_the_only_zone(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app, schedule = boston_with_a_los_angeles_zone(redis_url, tmp_path, clock)
    here = {"kind": "located_in", "timezone": "America/Los_Angeles"}
    apply_event(
        app,
        parse_event(
            {"account_id": "A-1", "type": "constraint", "constraint": here, "until": "2026-03-03"}
        ),
    )
    state = app.store.require("A-1")
    decision = evaluate_step(app, state, schedule, schedule.occurrences[0], LATE_IN_BOSTON)
    assert decision.action == "allow"
    # the statement ran out with its until date (UTC): Boston counts again
    next_day = datetime(2026, 3, 4, 4, 59, tzinfo=UTC)
    assert evaluate_step(app, state, schedule, schedule.occurrences[0], next_day).action == (
        "defer"
    )


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ({"kind": "located_in"}, "located_in needs the timezone the person says they are in"),
        ({"kind": "located_in", "timezone": "Mars/Olympus"}, "is not an IANA time zone name"),
        (
            {"kind": "located_in", "timezone": "America/Chicago", "region": "IL"},
            "region needs country: a region code means nothing without it",
        ),
        (
            {"kind": "located_in", "timezone": "America/Chicago", "country": "USA"},
            "must be an ISO 3166-1 alpha-2 code",
        ),
        (
            {"kind": "refuse_channel", "channel": "sms", "timezone": "America/Chicago"},
            "timezone, country and region are only for located_in",
        ),
    ],
)
def test_a_located_in_statement_is_checked_at_intake(
    constraint: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_event({"account_id": "A-1", "type": "constraint", "constraint": constraint})


# --- the candidate places themselves -----------------------------------------------------------


def place_codes(schedule_country: str | None = None, **fields: Any) -> list[tuple[str, str]]:
    person = parse_account(account(**bare(**fields)))
    return [(p.code, p.source) for p in candidate_places(person, schedule_country=schedule_country)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"address": {"country": "gb"}, "phones": [NY_MOBILE]},
            [("GB", "address"), ("US-NY", "phone +1********23")],
            id="the address and every phone, the phone with its area code's state",
        ),
        pytest.param(
            {"address": {"region": "CA"}, "phones": [CN_MOBILE, NY_MOBILE]},
            [("CN-CA", "address"), ("US-CA", "address"), ("CN", "phone +86*********01"),
             ("US-NY", "phone +1********23")],
            id="a region without its country is a region of every country found",
        ),
        pytest.param(
            {"phones": [{"number": "+447700900123"}, {"number": "+18005550100"}]},
            [("US", "phone +1********00")],
            id="an unplaceable number says nothing and a toll-free one only its country",
        ),
        pytest.param({"timezone": "America/New_York"}, [], id="a time zone is no jurisdiction"),
    ],
)  # fmt: skip
def test_candidate_places_come_from_the_address_and_every_phone(
    fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert place_codes(**fields) == expected


def test_the_schedule_country_is_the_place_only_when_nothing_else_gives_one() -> None:
    assert place_codes("US", emails=EMAIL) == [("US", "schedule")]
    assert place_codes("CN", phones=[NY_MOBILE]) == [("US-NY", "phone +1********23")]


@pytest.mark.parametrize(
    ("number", "place"),
    [
        ("+16175550111", ("US", "MA")),  # the geocoder says "Massachusetts"
        ("+16172531000", ("US", "MA")),  # "Cambridge, MA"
        ("+12065550100", ("US", "WA")),  # "Washington State"
        ("+12025550100", ("US", "DC")),  # "Washington D.C."
        ("+14165550100", ("CA", None)),  # Canada: no provinces needed by any pack
        ("+17875550100", ("PR", None)),
        ("+881612345678", None),  # a satellite number has no country
    ],
)
def test_a_phone_gives_its_country_and_in_the_us_its_area_code_s_state(
    number: str, place: tuple[str, str | None] | None
) -> None:
    assert phone_place(number) == place


def test_every_us_area_code_the_geocoder_knows_names_a_state() -> None:
    missing = []
    for prefix, names in GEOCODE_DATA.items():
        if len(prefix) != 4 or not prefix.startswith("1") or "en" not in names:
            continue
        number = phonenumbers.parse(f"+{prefix}2345678", None)
        if phonenumbers.region_code_for_number(number) == "US" and not us_state(names["en"]):
            missing.append((prefix, names["en"]))
    assert missing == []
    assert us_state("Springfield") is None


def test_jurisdiction_is_the_first_candidate_s_country_and_region() -> None:
    person = parse_account(account(**bare(phones=[BOSTON_MOBILE, CN_MOBILE])))
    assert jurisdiction(person) == ("US", "MA")
    assert jurisdiction(parse_account(account(**bare(emails=EMAIL))), "GB") == ("GB", None)
    assert jurisdiction(parse_account(account(**bare(emails=EMAIL)))) == (None, None)
