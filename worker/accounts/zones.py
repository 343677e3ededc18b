"""Where a person is, in time zones: the candidates whose local hours the gate must respect.

Regulation F (docs/compliance.md, F7, F8) judges contact times at the person's location; when the
location is uncertain, only times convenient in *every* candidate location are allowed. So this
module collects every zone the account points at (its ``timezone`` field, its address and each
phone number) and never picks one: the gate intersects them (``worker.gate.hours``). The
``timezone`` field is one more candidate, never an override: only the person saying where they
are (a ``located_in`` constraint) narrows the candidates to the zone they named. The
jurisdictions are found the same way, in ``worker.accounts.places``.

Phone numbers and email addresses leave this module masked (``mask_phone``, ``mask_email``):
candidate sources end up in explain output and logs. These mask one known field (and mask a
malformed one whole); ``worker.logs.mask`` is the other half, finding numbers and addresses in
free text, and keeps less (no country code).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as phone_tz
from phonenumbers.tzdata import TIMEZONE_DATA

from worker.contracts.account import Account

#: Every zone of the fifty states: the intersection to respect when a US person's location is
#: unknown (docs/compliance.md, Time zones). Zones with identical rules are listed once
#: (Boise = Denver, ...); territories are left out because Guam (UTC+10) would leave no common
#: hour at all.
US_ZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Adak",
    "Pacific/Honolulu",
)

_ET, _CT, _MT, _PT = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"

#: US states and territories (ISO 3166-2:US codes) to the zones of their territory. A state
#: split between zones yields all of them (the gate intersects); within a state, zones that
#: keep the same clock as a listed one are not repeated.
US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": (_CT,), "AK": ("America/Anchorage", "America/Adak"),
    # The Navajo Nation in north-east Arizona keeps daylight saving time.
    "AZ": ("America/Phoenix", _MT),
    "AR": (_CT,), "CA": (_PT,), "CO": (_MT,), "CT": (_ET,), "DE": (_ET,), "DC": (_ET,),
    "FL": (_ET, _CT), "GA": (_ET,), "HI": ("Pacific/Honolulu",), "ID": ("America/Boise", _PT),
    "IL": (_CT,), "IN": ("America/Indiana/Indianapolis", _CT), "IA": (_CT,), "KS": (_CT, _MT),
    "KY": ("America/Kentucky/Louisville", _CT), "LA": (_CT,), "ME": (_ET,), "MD": (_ET,),
    "MA": (_ET,), "MI": ("America/Detroit", "America/Menominee"), "MN": (_CT,), "MS": (_CT,),
    "MO": (_CT,), "MT": (_MT,), "NE": (_CT, _MT), "NV": (_PT, _MT), "NH": (_ET,), "NJ": (_ET,),
    "NM": (_MT,), "NY": (_ET,), "NC": (_ET,), "ND": (_CT, _MT), "OH": (_ET,), "OK": (_CT,),
    "OR": (_PT, "America/Boise"), "PA": (_ET,), "RI": (_ET,), "SC": (_ET,), "SD": (_CT, _MT),
    "TN": (_CT, _ET), "TX": (_CT, _MT), "UT": (_MT,), "VT": (_ET,), "VA": (_ET,), "WA": (_PT,),
    "WV": (_ET,), "WI": (_CT,), "WY": (_MT,),
    "PR": ("America/Puerto_Rico",), "VI": ("America/St_Thomas",), "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",), "AS": ("Pacific/Pago_Pago",),
}  # fmt: skip

#: Countries whose zones phonenumbers cannot give per country: they share a calling code
#: (+1, +44, +61) or span zones it lumps together. Everything else is derived.
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "US": US_ZONES,
    "CN": ("Asia/Shanghai",),
    "GB": ("Europe/London",),
    "CA": (
        "America/St_Johns", "America/Halifax", "America/Toronto", "America/Winnipeg",
        "America/Regina", "America/Edmonton", "America/Whitehorse", "America/Vancouver",
    ),
    "AU": (
        "Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide", "Australia/Darwin",
        "Australia/Perth", "Australia/Eucla", "Australia/Lord_Howe",
    ),
}  # fmt: skip

_UNKNOWN = phone_tz.UNKNOWN_TIMEZONE


@dataclass(frozen=True)
class ZoneCandidate:
    """One place the person may be, and what said so (for explain output)."""

    zone: str  # IANA name
    source: str  # "stated" | "timezone" | "address" | "phone +1********67" | "default"


def candidate_zones(
    account: Account, default_zones: Sequence[str] = US_ZONES, located_in: str | None = None
) -> tuple[ZoneCandidate, ...]:
    """Every zone the person may be in; the gate allows only times allowed in all of them.

    ``located_in``, the zone the person said they are in (a ``located_in`` constraint that
    holds), is then the only candidate. Otherwise the account's ``timezone`` field (first, so it
    stays the zone steps are placed in), the address (country and, in the US, the state) and
    each phone number contribute their zones; with no zone from any of them, ``default_zones``
    (the schedule's country, chosen by the caller) is used. A zone reported by several sources
    appears once per source.
    """
    if located_in:
        return (ZoneCandidate(located_in, "stated"),)
    address = account.address
    return _inferred(
        account.timezone,
        (address.country, address.region) if address is not None and address.country else None,
        tuple(p.number for p in account.phones),
        tuple(default_zones),
    )


@lru_cache(maxsize=4096)
def _inferred(
    timezone: str | None,
    place: tuple[str, str | None] | None,
    numbers: tuple[str, ...],
    default_zones: tuple[str, ...],
) -> tuple[ZoneCandidate, ...]:
    # cached: every decision asks, and parsing phone numbers is the costly part
    found: list[ZoneCandidate] = []
    if timezone:
        found.append(ZoneCandidate(timezone, "timezone"))
    if place is not None:
        found += _candidates(address_zones(place[0], place[1]), "address")
    for number in numbers:
        found += _candidates(phone_zones(number), f"phone {mask_phone(number)}")
    if not found:
        found = list(_candidates(default_zones, "default"))
    return tuple(dict.fromkeys(found))


def zone_names(candidates: Iterable[ZoneCandidate]) -> tuple[str, ...]:
    """The distinct zones of ``candidates``, in order: what ``earliest_allowed`` takes."""
    return tuple(dict.fromkeys(c.zone for c in candidates))


def address_zones(country: str, region: str | None) -> tuple[str, ...]:
    """The zones of a postal address: the state's zones in the US, else the country's."""
    country = country.upper()
    if country == "US" and region and region.upper() in US_STATE_ZONES:
        return US_STATE_ZONES[region.upper()]
    return country_zones(country)


@lru_cache(maxsize=8192)
def parsed_number(number: str) -> phonenumbers.PhoneNumber | None:
    """``number`` parsed by phonenumbers (None when it does not parse), once per process while
    it is asked: a decision reads each of the person's numbers for its zones, its country and
    state, and its mask. Read it, never change it: it is shared."""
    try:
        return phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=8192)
def number_facts(number: str) -> tuple[str | None, bool] | None:
    """The region phonenumbers gives ``number`` and whether the number is geographical (its
    digits say where it rings); None when it does not parse. Both ask for the number's type,
    phonenumbers' costly question, so they are answered once for zones and places."""
    parsed = parsed_number(number)
    if parsed is None:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region, phonenumbers.is_number_geographical(parsed)


def phone_zones(number: str) -> tuple[str, ...]:
    """The zones phonenumbers places an E.164 number in; () when it cannot tell."""
    parsed, facts = parsed_number(number), number_facts(number)
    if parsed is None or facts is None:
        return ()
    region, geographical = facts
    if not geographical:
        # A mobile or toll-free number maps to every zone of its calling code, which for +1
        # includes Guam and Newfoundland: use the zones of the number's own country instead.
        return country_zones(region) if region else ()
    # A geographical number has a known type: phonenumbers' time_zones_for_number would
    # only ask for it again before this.
    return tuple(z for z in phone_tz.time_zones_for_geographical_number(parsed) if z != _UNKNOWN)


@lru_cache(maxsize=512)
def country_zones(country: str) -> tuple[str, ...]:
    """The zones of a country (ISO 3166-1 alpha-2): the table above, else phonenumbers' data."""
    country = country.upper()
    if country in COUNTRY_ZONES:
        return COUNTRY_ZONES[country]
    code = phonenumbers.country_code_for_region(country)
    if not code:
        return ()
    if phonenumbers.region_code_for_country_code(code) == country:
        # The main country of its calling code owns the code's geographic prefixes.
        prefix = str(code)
        zones = (z for p, zs in TIMEZONE_DATA.items() if p.startswith(prefix) for z in zs)
        return tuple(sorted({z for z in zones if z != _UNKNOWN}))
    # A smaller country sharing a calling code (Jersey, Puerto Rico): where its example
    # landline is. Mobile ranges are shared with the main country, so they say nothing.
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        return ()
    return tuple(z for z in phone_tz.time_zones_for_geographical_number(example) if z != _UNKNOWN)


#: Numbers whose masks are kept: the gate masks each of a person's numbers on every decision
#: (``worker.accounts.places``), and parsing one costs ~60 µs; a mask is ~20 bytes.
MASK_CACHE_SIZE = 8192


@lru_cache(maxsize=MASK_CACHE_SIZE)
def mask_phone(number: str) -> str:
    """``+12125550167`` -> ``+1********67``: the country code and the last two digits."""
    digits = "".join(ch for ch in number if ch.isdigit())
    parsed = parsed_number(number)
    code = "" if parsed is None else str(parsed.country_code)
    if not digits.startswith(code):
        code = ""
    national = digits[len(code) :]
    keep = national[-2:] if len(national) > 4 else ""
    return f"+{code}{'*' * (len(national) - len(keep))}{keep}"


def mask_email(address: str) -> str:
    """``jane@example.com`` -> ``j***@example.com``: the first letter and the domain."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def _candidates(zones: Iterable[str], source: str) -> tuple[ZoneCandidate, ...]:
    return tuple(ZoneCandidate(z, source) for z in zones)
