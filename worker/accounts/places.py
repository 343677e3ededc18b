"""Where a person is, in jurisdictions: the candidate places whose rule packs apply.

As with time zones (``worker.accounts.zones``), no place is picked when the sources disagree or
say little: the address, every phone number and a place the person stated are all candidates,
and every candidate's packs apply together, most-restrictively (docs/compliance.md, Which rules
apply). A phone number gives its country and, for a US number, the state of its area
code (+1 617 is Massachusetts), read from phonenumbers' geocoder data. With no country from any
of them the schedule's ``country`` is used; an account with no country at all is refused at
intake (``require_country``), because nobody could say which rules protect the person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from phonenumbers import geocoder

from worker.accounts.state import AccountState
from worker.accounts.zones import US_STATE_ZONES, mask_phone, number_facts, parsed_number
from worker.contracts.account import Account
from worker.contracts.event import StatedConstraint
from worker.errors import InvalidInput

#: What intake says of an account whose country nobody can tell.
NO_COUNTRY = (
    "needed to know which rules apply: give an address country, a phone number, "
    "or a schedule country"
)

#: The names phonenumbers' English geocoder gives US area codes, to ISO 3166-2:US codes.
#: City entries end in the code already ("Boston, MA"); these are the whole-state ones.
US_STATE_NAMES: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Washington D.C.": "DC",
    "District of Columbia": "DC", "Florida": "FL", "Georgia": "GA", "Hawaii": "HI",
    "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH",
    "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN",
    "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA",
    "Washington State": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip


@dataclass(frozen=True)
class Place:
    """One jurisdiction the person may be in, and what said so (for explain output)."""

    country: str  # ISO 3166-1 alpha-2
    region: str | None  # ISO 3166-2 subdivision code without the country
    source: str  # "address" | "phone +1********11" | "stated" | "schedule"

    @property
    def code(self) -> str:
        """``US-MA``, or ``US`` without a region: how licences and explain name it."""
        return f"{self.country}-{self.region}" if self.region else self.country


def candidate_places(
    account: Account, *, schedule_country: str | None = None, stated: Iterable[Place] = ()
) -> tuple[Place, ...]:
    """Every jurisdiction the person may be in; the packs of each apply.

    The address (when it names its country), each phone number and the ``stated`` places come
    first, in that order; with no country from any of them, ``schedule_country``. An address
    region without its country is taken, cautiously, as a region of every country found.
    """
    address = account.address
    found: list[Place] = []
    if address is not None and address.country:
        found.append(Place(address.country, address.region, "address"))
    for phone in account.phones:
        place = phone_place(phone.number)
        if place is not None:
            found.append(Place(place[0], place[1], f"phone {mask_phone(phone.number)}"))
    found += stated
    if not found and schedule_country:
        found.append(Place(schedule_country, None, "schedule"))
    if address is not None and address.region and not address.country:
        countries = dict.fromkeys(p.country for p in found)
        found = [Place(c, address.region, "address") for c in countries] + found
    return tuple(dict.fromkeys(found))


def require_country(account: Account, schedule_country: str | None) -> None:
    """Refuse an account whose country nobody can tell: no rule pack would know it."""
    if not candidate_places(account, schedule_country=schedule_country):
        raise InvalidInput(NO_COUNTRY, field="address.country")


@lru_cache(maxsize=4096)
def phone_place(number: str) -> tuple[str, str | None] | None:
    """The country of an E.164 number and, in the US, its area code's state; None if unknown."""
    parsed, facts = parsed_number(number), number_facts(number)
    if parsed is None or facts is None:
        return None
    country, geographical = facts
    # "001" is phonenumbers' region for global services (satellite, UIFN): no country.
    if not country or country == "001":
        return None
    if country != "US" or not geographical:
        return str(country), None  # a toll-free number says nothing of the state
    # geographical, so of a known type: description_for_number would only ask for it again
    return "US", us_state(geocoder.description_for_valid_number(parsed, "en"))


def us_state(description: str) -> str | None:
    """The state code in a geocoder description: "Massachusetts" or "Boston, MA" -> "MA"."""
    name, _, code = description.rpartition(", ")
    if name and code in US_STATE_ZONES:
        return code
    return US_STATE_NAMES.get(description)


def located_in(state: AccountState, now: datetime) -> StatedConstraint | None:
    """The person's latest statement of where they are that still holds, or None."""
    said = [c for c in state.constraints if c.constraint.kind == "located_in" and c.active(now)]
    return max(reversed(said), key=lambda c: c.at).constraint if said else None


def stated_places(state: AccountState, now: datetime) -> Sequence[Place]:
    """The places the person said they are in, in every statement that still holds."""
    out: list[Place] = []
    for c in state.constraints:
        sc = c.constraint
        if sc.kind == "located_in" and sc.country and c.active(now):
            out.append(Place(sc.country, sc.region, "stated"))
    return tuple(dict.fromkeys(out))
