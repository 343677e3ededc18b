"""Where a person may be: candidate regions (for packs and holidays) and time zones (for hours).

The checker's own reading, written without the engine (docs/compliance.md, Time zones):

- regions: the address's (country, state), and each phone number's (country, and in the US
  the state of its area code, from phonenumbers' geocoder); with none of these, the schedule's
  declared country; with no country at all, none (the account should have been rejected);
- zones: the ``timezone`` field (one candidate, never an override), the address's zones (the
  state's, else the country's), and each phone's (a geographic number's own zones and those of
  its state, else its country's); with none, the zones of the schedule's country.

Every pack of every candidate region applies, and hours must hold in every candidate zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import holidays
import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_tz

Place = tuple[str, str | None]  # (country, region or None)

_E, _C, _M, _P = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
_AZ, _AK, _ADAK, _HI = "America/Phoenix", "America/Anchorage", "America/Adak", "Pacific/Honolulu"
#: Every state's zones; a state split between zones has all of them (Arizona: the Navajo Nation
#: keeps daylight saving time). Zones that keep the same clock are given once.
STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": (_C,), "AK": (_AK, _ADAK), "AZ": (_AZ, _M), "AR": (_C,), "CA": (_P,), "CO": (_M,),
    "CT": (_E,), "DE": (_E,), "DC": (_E,), "FL": (_E, _C), "GA": (_E,), "HI": (_HI,),
    "ID": (_M, _P), "IL": (_C,), "IN": (_E, _C), "IA": (_C,), "KS": (_C, _M), "KY": (_E, _C),
    "LA": (_C,), "ME": (_E,), "MD": (_E,), "MA": (_E,), "MI": (_E, _C), "MN": (_C,),
    "MS": (_C,), "MO": (_C,), "MT": (_M,), "NE": (_C, _M), "NV": (_P, _M), "NH": (_E,),
    "NJ": (_E,), "NM": (_M,), "NY": (_E,), "NC": (_E,), "ND": (_C, _M), "OH": (_E,),
    "OK": (_C,), "OR": (_P, _M), "PA": (_E,), "RI": (_E,), "SC": (_E,), "SD": (_C, _M),
    "TN": (_C, _E), "TX": (_C, _M), "UT": (_M,), "VT": (_E,), "VA": (_E,), "WA": (_P,),
    "WV": (_E,), "WI": (_C,), "WY": (_M,),
}  # fmt: skip
#: The geocoder names a state in full ("Massachusetts") or after a city ("Boston, MA").
STATE_NAMES: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Washington D.C.": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL",
    "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT",
    "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ",
    "New Mexico": "NM", "New York": "NY", "North Carolina": "NC", "North Dakota": "ND",
    "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI",
    "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington State": "WA",
    "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip
#: A country's zones when nothing narrower is known; others come from phonenumbers' data.
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "US": (_E, _C, _M, _AZ, _P, _AK, _ADAK, _HI),
    "CN": ("Asia/Shanghai",),
    "GB": ("Europe/London",),
}


@dataclass(frozen=True)
class Contact:
    """A phone number or email address of the person, with its kind and consent."""

    address: str
    kind: str  # mobile | landline | work (phones); personal | work (emails)
    sms: bool = False
    voice: bool = False
    email: bool = False


@dataclass(frozen=True)
class Person:
    """One account as the checker reads it, with where the person may be."""

    account_id: str
    person: str
    debt: str
    phones: tuple[Contact, ...]
    emails: tuple[Contact, ...]
    regions: tuple[Place, ...]  # empty: no country known at all
    zones: tuple[str, ...]


def read_person(account: Any, default_country: str | None) -> Person:
    """``account`` (an account row, or a model with ``model_dump``) read by this checker."""
    row: Mapping[str, Any] = (
        account.model_dump(mode="json") if hasattr(account, "model_dump") else account
    )
    address = row.get("address") or {}
    country, region = address.get("country"), address.get("region")
    phones = tuple(
        Contact(str(p["number"]), p.get("kind", "mobile"), bool(p.get("sms_consent")),
                bool(p.get("voice_consent")))
        for p in row.get("phones") or ()
    )  # fmt: skip
    emails = tuple(
        Contact(str(e["address"]), e.get("kind", "personal"), email=bool(e.get("consent")))
        for e in row.get("emails") or ()
    )
    regions: list[Place] = [(country.upper(), region and region.upper())] if country else []
    zones: list[str] = [row["timezone"]] if row.get("timezone") else []
    if country:
        zones += place_zones(country.upper(), region and region.upper())
    for phone in phones:
        place, found = phone_place(phone.address)
        regions += [place] if place else []
        zones += found
    if not regions and default_country:
        regions.append((default_country, None))
    if not zones and regions:
        zones += [z for c, r in regions for z in place_zones(c, r)]
    return Person(
        account_id=str(row["account_id"]),
        person=str(row.get("person_id") or row["account_id"]),
        debt=str(row.get("debt_id") or row["account_id"]),
        phones=phones,
        emails=emails,
        regions=tuple(dict.fromkeys(regions)),
        zones=tuple(dict.fromkeys(zones)),
    )


def place_zones(country: str, region: str | None) -> tuple[str, ...]:
    """The zones of a country, or of a US state when ``region`` names one."""
    if country == "US" and region in STATE_ZONES:
        return STATE_ZONES[region]
    return country_zones(country)


@cache
def country_zones(country: str) -> tuple[str, ...]:
    if country in COUNTRY_ZONES:
        return COUNTRY_ZONES[country]
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    return () if example is None else _known(phone_tz.time_zones_for_number(example))


@cache
def phone_place(number: str) -> tuple[Place | None, tuple[str, ...]]:
    """The region a phone number points at (US: the area code's state) and its zones."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None, ()
    country = phonenumbers.region_code_for_number(parsed)
    if not country or country == "001":  # 001: global services, no country
        return None, ()
    if not phonenumbers.is_number_geographical(parsed):
        return (country, None), country_zones(country)
    state = _state(geocoder.description_for_number(parsed, "en")) if country == "US" else None
    zones = _known(phone_tz.time_zones_for_number(parsed))
    zones += place_zones(country, state) if state else ()
    return (country, state), tuple(dict.fromkeys(zones)) or country_zones(country)


def holiday(day: date, regions: Iterable[Place]) -> str | None:
    """The name of a public holiday on ``day`` in any of ``regions``, or None."""
    for country, region in regions:
        name = _calendar(country, region, day.year).get(day)
        if name:
            return f"{name} ({country}{'-' + region if region else ''})"
    return None


@cache
def _calendar(country: str, region: str | None, year: int) -> Mapping[date, str]:
    try:
        found = holidays.country_holidays(country, subdiv=region, years=year)
    except NotImplementedError:  # a region or country the package does not know
        return {} if region is None else _calendar(country, None, year)
    return {d: str(n) for d, n in found.items()}


def _state(description: str) -> str | None:
    if description in STATE_NAMES:
        return STATE_NAMES[description]
    code = description.rpartition(", ")[2]
    return code if code in STATE_ZONES else None


def _known(zones: Iterable[str]) -> tuple[str, ...]:
    return tuple(z for z in zones if z != phone_tz.UNKNOWN_TIMEZONE)
