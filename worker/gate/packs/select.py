"""Which rules apply to a step: the packs of every jurisdiction the person may be in, the
schedule's extra packs, and the schedule's house policy turned into one more pack named ``house``.

The candidate jurisdictions (``worker.accounts.places``) are combined like the candidate time
zones: every candidate's packs apply, and the gate combines their rules most-restrictively.

The house pack's rules carry the schedule's version, so an outcome cites exactly the policy that
decided it (``house/quiet-hours@2026-11-01``). Its counters are named without the version, so a
new schedule version keeps counting what the old one sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from worker.accounts.places import Place, candidate_places, located_in, stated_places
from worker.accounts.state import AccountState
from worker.accounts.zones import US_ZONES, ZoneCandidate, candidate_zones, country_zones
from worker.cadence.policy import BlockedDays
from worker.cadence.schedule import Schedule
from worker.cadence.yamlnodes import describe_duration
from worker.contracts.account import Account
from worker.gate.packs.files import applicable_packs, find_pack
from worker.gate.rules import AppliesWhen, Pack, Rule

HOUSE = "house"


#: Schedule versions whose house rules are kept: a process sees a handful (every version an
#: enrolled account is pinned to), and a miss only costs a rebuild (~0.15 ms for 7 rules).
HOUSE_CACHE_SIZE = 64


# Keyed by the schedule's value (Schedule hashes its name, version and source, and compares
# every field), so a re-read file with the same name@version but a new policy is a new key.
@lru_cache(maxsize=HOUSE_CACHE_SIZE)
def house_rules(schedule: Schedule) -> tuple[Rule, ...]:
    """The schedule's ``policy`` block as rules (always enforced: certainty V)."""
    p = schedule.policy
    cite = f"house policy of schedule {schedule.ref}"
    base: dict[str, Any] = dict(
        pack=HOUSE, pack_version=schedule.version, citation=cite, certainty="V"
    )
    out: list[Rule] = [
        Rule(
            id="quiet-hours",
            title=f"contact only {p.hours} local",
            kind="hours",
            window=p.hours,
            **base,
        ),
    ]
    for channel, window in sorted(p.channel_hours.items()):
        out.append(
            Rule(
                id="quiet-hours",
                title=f"{channel} only {window} local",
                kind="hours",
                channels=frozenset({channel}),
                window=window,
                **base,
            )
        )
    b = p.blocked_days
    if b.weekdays or b.dates:
        out.append(
            Rule(
                id="blocked-days",
                title="blocked weekdays and dates",
                kind="days",
                blocked=BlockedDays(b.weekdays, False, b.dates),
                **base,
            )
        )
    if b.public_holidays:
        out.append(
            Rule(
                id="public-holidays",
                title="public holidays of the person's region",
                kind="days",
                blocked=BlockedDays(public_holidays=True),
                **base,
            )
        )
    for cap in p.caps:
        out.append(
            Rule(
                id=cap.id,
                title=f"{cap.limit} {cap.channel} per {describe_duration(cap.window_seconds)}",
                kind="cap",
                channels=frozenset() if cap.channel == "any" else frozenset({cap.channel}),
                limit=cap.limit,
                window_seconds=cap.window_seconds,
                per="debt" if cap.count == "debt" else "person",
                **base,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Whereabouts:
    """Where the person may be: the candidate zones and jurisdictions, with what said so."""

    zones: tuple[ZoneCandidate, ...]
    places: tuple[Place, ...]

    @property
    def primary(self) -> tuple[str | None, str | None]:
        """The first candidate's country and region: whose public holidays a house rule uses."""
        first = self.places[0] if self.places else None
        return (first.country, first.region) if first else (None, None)


def whereabouts(
    state: AccountState, now: datetime, schedule_country: str | None = None
) -> Whereabouts:
    """The person's candidate zones and places at ``now``, stated locations included."""
    said = located_in(state, now)
    default = country_zones(schedule_country) if schedule_country else ()
    zones = candidate_zones(state.account, default or US_ZONES, said.timezone if said else None)
    places = candidate_places(
        state.account, schedule_country=schedule_country, stated=stated_places(state, now)
    )
    return Whereabouts(zones, places)


def jurisdiction(
    account: Account, schedule_country: str | None = None
) -> tuple[str | None, str | None]:
    """The first candidate jurisdiction's country and region; (None, None) when there is none."""
    places = candidate_places(account, schedule_country=schedule_country)
    return (places[0].country, places[0].region) if places else (None, None)


def rules_for(schedule: Schedule, account: Account, stated: Iterable[Place] = ()) -> list[Rule]:
    """Every rule that applies to ``account`` under ``schedule``: packs first, house last.

    The packs are those of every candidate jurisdiction (``stated`` ones included).
    """
    places = candidate_places(account, schedule_country=schedule.country, stated=stated)
    # Only the jurisdictions choose packs (not what said so, nor the order): one key for every
    # person in the same places, whatever their numbers.
    where = sorted({(p.country, p.region) for p in places}, key=lambda c: (c[0], c[1] or ""))
    return list(compiled_rules(schedule, tuple(where)))


#: (schedule, jurisdictions) pairs whose rules are kept: a process sees a handful of schedule
#: versions and, per version, the few sets of jurisdictions its people may be in.
RULES_CACHE_SIZE = 1024


# Keyed like ``house_rules``, by the schedule's value: a new version, or the same name@version
# re-read with another policy, is another key. The shipped packs are read once per process.
@lru_cache(maxsize=RULES_CACHE_SIZE)
def compiled_rules(
    schedule: Schedule, where: tuple[tuple[str, str | None], ...]
) -> tuple[Rule, ...]:
    """The rules of the packs of ``where`` (country, region pairs) and of ``schedule``'s extra
    packs, then its house rules."""
    places = [Place(country, region, "") for country, region in where]
    packs = packs_for(places, schedule.collector, schedule.packs)
    return (*(r for p in packs for r in p.rules), *house_rules(schedule))


def packs_for(places: Iterable[Place], collector: str, extra: Sequence[str] = ()) -> list[Pack]:
    """The packs of every place, plus ``extra``; each once, broader packs first."""
    chosen: dict[str, Pack] = {}
    for place in places:
        for pack in applicable_packs(place.country, place.region, collector):
            chosen.setdefault(pack.name, pack)
    for pack in applicable_packs(None, None, collector, extra=extra):
        chosen.setdefault(pack.name, pack)
    return sorted(chosen.values(), key=_breadth)


def licence_keys(pack: Pack | str) -> tuple[str, ...]:
    """The ``licences`` keys (``US-CA``) a licence rule of ``pack`` (or the shipped pack of
    that name) asks for.

    A pack for a whole country gives no key a schedule could hold: its licence rule then always
    fails, which is the safe side until such a pack exists.
    """
    when = (find_pack(pack) if isinstance(pack, str) else pack).applies_when
    return tuple(f"{when.country}-{r}" for r in sorted(when.regions)) if when.country else ()


def _breadth(pack: Pack) -> tuple[bool, bool, str]:
    # any country, then a whole country, then a region: federal rules are cited before state ones
    return pack.applies_when.country is not None, bool(pack.applies_when.regions), pack.name


def house_pack(schedule: Schedule) -> Pack:
    """The house policy as a pack, for reports that take packs."""
    return Pack(
        name=HOUSE, version=schedule.version, title=f"house policy of {schedule.ref}",
        disclaimer="", applies_when=AppliesWhen(), rules=house_rules(schedule),
    )  # fmt: skip
