"""Which rules apply to a step: the person's jurisdiction packs, the schedule's extra packs,
and the schedule's house policy turned into one more pack named ``house``.

The house pack's rules carry the schedule's version, so an outcome cites exactly the policy that
decided it (``house/quiet-hours@2026-11-01``). Its counters are named without the version, so a
new schedule version keeps counting what the old one sent.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from worker.accounts.zones import person_country
from worker.cadence.policy import BlockedDays
from worker.cadence.schedule import Schedule
from worker.contracts.account import Account
from worker.gate.packs.files import applicable_packs
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
                title=f"{cap.limit} {cap.channel} per {cap.window_seconds}s",
                kind="cap",
                channels=frozenset() if cap.channel == "any" else frozenset({cap.channel}),
                limit=cap.limit,
                window_seconds=cap.window_seconds,
                per="debt" if cap.count == "debt" else "person",
                **base,
            )
        )
    return tuple(out)


def jurisdiction(account: Account) -> tuple[str | None, str | None]:
    """The person's country and region: the address, else the first phone's country."""
    country = person_country(account)
    region = account.address.region if account.address else None
    return country, region


def rules_for(schedule: Schedule, account: Account) -> list[Rule]:
    """Every rule that applies to ``account`` under ``schedule``: packs first, house last."""
    country, region = jurisdiction(account)
    packs = applicable_packs(country, region, schedule.collector, extra=schedule.packs)
    return [r for p in packs for r in p.rules] + list(house_rules(schedule))


def house_pack(schedule: Schedule) -> Pack:
    """The house policy as a pack, for reports that take packs."""
    return Pack(
        name=HOUSE, version=schedule.version, title=f"house policy of {schedule.ref}",
        disclaimer="", applies_when=AppliesWhen(), rules=house_rules(schedule),
    )  # fmt: skip
