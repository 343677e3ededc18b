"""Candidate time zones of a person, and the masking of contact details in their sources."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from worker.accounts.zones import (
    COUNTRY_ZONES,
    US_STATE_ZONES,
    US_ZONES,
    ZoneCandidate,
    address_zones,
    candidate_zones,
    country_zones,
    mask_email,
    mask_phone,
    phone_zones,
    zone_names,
)
from worker.contracts.account import Account

NY, CHI, LA = "America/New_York", "America/Chicago", "America/Los_Angeles"
NY_MOBILE, LA_MOBILE, CN_MOBILE = "+12125550167", "+13105550142", "+8613800138000"


def account(**fields: Any) -> Account:
    return Account.model_validate(
        {"account_id": "a1", "schedule": "standard", "due_date": date(2026, 2, 1), **fields}
    )


def phones(*numbers: str) -> list[dict[str, str]]:
    return [{"number": n} for n in numbers]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {
                "timezone": "Europe/London",
                "address": {"country": "US", "region": "CA"},
                "phones": phones(NY_MOBILE),
            },
            [("Europe/London", "timezone"), (LA, "address"), (NY, "phone +1********67")],
            id="the timezone field is one more candidate, first, beside address and phones",
        ),
        pytest.param(
            {"timezone": "America/Los_Angeles", "address": {"country": "US", "region": "MA"}},
            [(LA, "timezone"), (NY, "address")],
            id="a Los Angeles timezone field does not hide a Boston address",
        ),
        pytest.param(
            {"timezone": "Asia/Tokyo", "emails": [{"address": "sam@example.com"}]},
            [("Asia/Tokyo", "timezone")],
            id="a timezone field alone is a zone, so the default is not needed",
        ),
        pytest.param(
            {"address": {"country": "US", "region": "CA"}},
            [(LA, "address")],
            id="a California address is Pacific",
        ),
        pytest.param(
            {"address": {"country": "US", "region": "TN"}},
            [(CHI, "address"), (NY, "address")],
            id="a Tennessee address is Central and Eastern",
        ),
        pytest.param(
            {"address": {"country": "US"}},
            [(z, "address") for z in US_ZONES],
            id="a US address without a state is every US zone",
        ),
        pytest.param(
            {"phones": phones(CN_MOBILE)},
            [("Asia/Shanghai", "phone +86*********00")],
            id="a Chinese mobile is Shanghai",
        ),
        pytest.param(
            {"address": {"country": "US", "region": "CA"}, "phones": phones(NY_MOBILE)},
            [(LA, "address"), (NY, "phone +1********67")],
            id="an address and a phone that disagree are both candidates",
        ),
        pytest.param(
            {"address": {"country": "US", "region": "NY"}, "phones": phones(NY_MOBILE)},
            [(NY, "address"), (NY, "phone +1********67")],
            id="sources that agree are each recorded",
        ),
        pytest.param(
            {"phones": phones(NY_MOBILE, LA_MOBILE, NY_MOBILE)},
            [(NY, "phone +1********67"), (LA, "phone +1********42")],
            id="every phone counts and a repeated number counts once",
        ),
        pytest.param(
            {"phones": phones("+18005550100")},
            [(z, "phone +1********00") for z in US_ZONES],
            id="a toll-free number is anywhere in its country",
        ),
        pytest.param(
            {"address": {"country": "GB", "region": "SCT"}, "phones": phones("+447400123456")},
            [("Europe/London", "address"), ("Europe/London", "phone +44********56")],
            id="a British address and mobile are London",
        ),
        pytest.param(
            {"address": {"country": "DE"}},
            [("Europe/Berlin", "address")],
            id="a country outside the table is derived from phone number data",
        ),
        pytest.param(
            {"address": {"country": "PR"}},
            [("America/Puerto_Rico", "address")],
            id="a country sharing a calling code gets its own zone",
        ),
        pytest.param({}, [(z, "default") for z in US_ZONES], id="nothing at all is the default"),
        pytest.param(
            {"address": {"region": "CA"}, "phones": phones("+447700900123")},
            [(z, "default") for z in US_ZONES],
            id="a region without a country and an unplaceable number are nothing",
        ),
    ],
)
def test_candidate_zones_come_from_the_timezone_field_the_address_and_every_phone(
    fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert candidate_zones(account(**fields)) == tuple(ZoneCandidate(*e) for e in expected)


def test_a_stated_location_is_the_only_candidate_while_it_holds() -> None:
    person = account(
        timezone="Europe/London",
        address={"country": "US", "region": "MA"},
        phones=phones(LA_MOBILE),
    )
    assert candidate_zones(person, located_in="Asia/Tokyo") == (
        ZoneCandidate("Asia/Tokyo", "stated"),
    )
    assert zone_names(candidate_zones(person, located_in=None)) == ("Europe/London", NY, LA)


def test_a_person_with_nothing_known_gets_the_default_zones_the_caller_passes() -> None:
    assert candidate_zones(account(), default_zones=("Asia/Shanghai",)) == (
        ZoneCandidate("Asia/Shanghai", "default"),
    )


def test_the_default_is_not_used_when_any_source_gives_a_zone() -> None:
    got = candidate_zones(account(phones=phones(CN_MOBILE)), default_zones=(NY,))
    assert zone_names(got) == ("Asia/Shanghai",)


def test_zone_names_lists_each_zone_once_in_order() -> None:
    got = candidate_zones(
        account(address={"country": "US", "region": "TN"}, phones=phones(NY_MOBILE, LA_MOBILE))
    )
    assert zone_names(got) == (CHI, NY, LA)


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        ("US", "IN", ("America/Indiana/Indianapolis", CHI)),
        ("US", "ky", ("America/Kentucky/Louisville", CHI)),
        ("US", "MI", ("America/Detroit", "America/Menominee")),
        ("US", "FL", (NY, CHI)),
        ("US", "TX", (CHI, "America/Denver")),
        ("US", "AK", ("America/Anchorage", "America/Adak")),
        ("US", "HI", ("Pacific/Honolulu",)),
        ("US", "ZZ", US_ZONES),
        ("CN", "11", ("Asia/Shanghai",)),
        ("gb", None, ("Europe/London",)),
        ("FR", None, ("Europe/Paris",)),
        ("JE", None, ("Europe/Jersey",)),
    ],
)
def test_address_zones_by_country_and_state(
    country: str, region: str | None, expected: tuple[str, ...]
) -> None:
    assert address_zones(country, region) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (NY_MOBILE, (NY,)),
        ("+16155550123", (CHI,)),
        (CN_MOBILE, ("Asia/Shanghai",)),
        ("+4915123456789", ("Europe/Berlin",)),
        ("+447700900123", ()),
        ("not a number", ()),
    ],
)
def test_phone_zones_ignore_numbers_phonenumbers_cannot_place(
    number: str, expected: tuple[str, ...]
) -> None:
    assert phone_zones(number) == expected


def test_an_unknown_country_has_no_zones() -> None:
    assert country_zones("XX") == ()


def test_every_state_and_dc_has_zones() -> None:
    states = {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
        "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
        "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    }  # fmt: skip
    assert states <= set(US_STATE_ZONES)


def test_every_zone_in_the_tables_is_a_real_iana_zone() -> None:
    tables = [*US_STATE_ZONES.values(), *COUNTRY_ZONES.values()]
    names = sorted({z for zones in tables for z in zones})
    assert [str(ZoneInfo(n)) for n in names] == names


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+12125550167", "+1********67"),
        ("+8613800138000", "+86*********00"),
        ("+447400123456", "+44********56"),
        ("+1 (212) 555-0167", "+1********67"),
        ("12345", "+***45"),
        ("+999", "+***"),
        ("", "+"),
    ],
)
def test_mask_phone_keeps_only_the_country_code_and_last_two_digits(
    number: str, masked: str
) -> None:
    assert mask_phone(number) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),
        ('"a@b"@example.com', '"***@example.com'),
        ("@example.com", "***@example.com"),
        ("no-at-sign", "***"),
    ],
)
def test_mask_email_keeps_the_first_character_and_the_domain(address: str, masked: str) -> None:
    assert mask_email(address) == masked
