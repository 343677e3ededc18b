"""The rule packs and a schedule's house policy, read from their YAML files with PyYAML alone.

Nothing here comes from ``worker``: the pack files (``worker/gate/packs/*.yaml``) are found by
path, not by importing the package, and read into this module's own small ``Rule``. Only the
fields the checker judges are read: hours, days, caps, cooldowns and consent rules, with their
certainty, channels and collector types. A key this reader does not know is ignored, so a new
content or keyword field never breaks the checker; a rule that cannot be read is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

#: The shipped packs, beside the engine that reads them (found by path: no import of worker).
PACK_DIR = Path(__file__).resolve().parents[2] / "worker" / "gate" / "packs"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = {"d": 86_400, "h": 3_600, "m": 60}
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_CHECKED = frozenset({"hours", "days", "cap", "cooldown", "consent"})
#: What a schedule's events block holds when it has none (docs/contracts.md, Schedule).
_DEFAULT_EVENTS = {
    "stop": ["paid", "cease", "close", "represented_by_attorney"],
    "hold": ["dispute"],
    "resume": ["dispute_resolved"],
}


@dataclass(frozen=True)
class Rule:
    """One rule the checker judges; fields beside the common ones depend on ``kind``."""

    ref: str  # pack/id@version, as breach lines cite it
    certainty: str  # V | S | U
    kind: str  # hours | days | cap | cooldown | consent
    channels: frozenset[str] = frozenset()  # empty: every channel
    collectors: frozenset[str] = frozenset()  # empty: every collector type
    start: time | None = None  # hours: [start, end) local
    end: time | None = None
    weekdays: frozenset[int] = frozenset()  # days: 0 = Monday
    holidays: bool = False
    dates: frozenset[date] = frozenset()
    limit: int = 0  # cap
    seconds: int | None = None  # rolling window, else calendar_days local days
    calendar_days: int | None = None
    per: str = "person"  # person | debt | number | number_class
    counts: frozenset[str] = frozenset({"sent"})
    number_kinds: frozenset[str] = frozenset()
    after: str | None = None  # cooldown: the event type that starts it, for ``days`` days
    days: int = 0
    requires: str | None = None  # consent

    @property
    def counter(self) -> str:
        """``pack/id``: what a cap counts under, whatever the pack version."""
        return self.ref.split("@", 1)[0]

    def covers(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


@dataclass(frozen=True)
class Pack:
    """A pack's rules and who it applies to (empty or None: anyone)."""

    name: str
    country: str | None
    regions: frozenset[str]
    collectors: frozenset[str]
    rules: tuple[Rule, ...]

    def applies(self, country: str | None, region: str | None, collector: str) -> bool:
        if self.country is not None and country != self.country:
            return False
        if self.regions and region not in self.regions:
            return False
        return not self.collectors or collector in self.collectors


@dataclass(frozen=True)
class Plan:
    """What the checker needs of a schedule: its house rules and how it reads packs and events."""

    name: str
    collector: str
    enforce_unverified: bool
    country: str | None  # the schedule's declared country, the last fallback for jurisdiction
    packs: tuple[str, ...]  # packs named on top of the person's jurisdiction
    house: tuple[Rule, ...]
    stops: frozenset[str]  # event types that end contact for good
    holds: frozenset[str]  # event types that hold contact until a resume event
    resumes: frozenset[str]


def read_packs(folder: Path = PACK_DIR) -> dict[str, Pack]:
    """Every ``*.yaml`` pack in ``folder``, by name."""
    packs = [_pack(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in folder.glob("*.yaml")]
    return {p.name: p for p in packs}


def read_plan(schedule: Path | str) -> Plan:
    """The schedule in the file at ``schedule`` (a ``Path``) or in the YAML text ``schedule``."""
    text = schedule.read_text(encoding="utf-8") if isinstance(schedule, Path) else schedule
    doc: dict[str, Any] = yaml.safe_load(text)
    version = str(doc["version"])
    events = doc.get("events") or _DEFAULT_EVENTS
    return Plan(
        name=str(doc["name"]),
        collector=str(doc.get("collector", "creditor")),
        enforce_unverified=bool(doc.get("enforce_unverified", False)),
        country=str(doc["country"]).upper() if doc.get("country") else None,
        packs=tuple(doc.get("packs") or ()),
        house=_house(doc.get("policy") or {}, version),
        # cease, close and an attorney always stop, whatever the schedule lists (the cautious
        # reading of 1006.6(c) and 1692c(a)(2))
        stops=frozenset(events.get("stop") or ()) | {"cease", "close", "represented_by_attorney"},
        holds=frozenset(events.get("hold") or ()),
        resumes=frozenset(events.get("resume") or ()),
    )


def enforced(
    plan: Plan, packs: Mapping[str, Pack], regions: Iterable[tuple[str, str | None]]
) -> list[Rule]:
    """The enforced rules for a person in any of ``regions``: every pack that applies to one of
    them or that the schedule names, then the house rules; U rules only when the schedule
    enforces them, and only the rules binding the schedule's collector type."""
    places = list(regions)
    chosen = [p for p in packs.values() if any(p.applies(c, r, plan.collector) for c, r in places)]
    chosen += [packs[name] for name in plan.packs if packs[name] not in chosen]
    rules = [r for p in chosen for r in p.rules] + list(plan.house)
    return [
        r
        for r in rules
        if (r.certainty != "U" or plan.enforce_unverified)
        and (not r.collectors or plan.collector in r.collectors)
    ]


# --- reading ------------------------------------------------------------------------------------


def _pack(doc: Mapping[str, Any]) -> Pack:
    where = doc.get("applies_when") or {}
    name, version = str(doc["pack"]), str(doc["version"])
    rules = tuple(
        _rule(f"{name}/{r['id']}@{version}", r) for r in doc["rules"] if r["kind"] in _CHECKED
    )
    return Pack(
        name=name,
        country=where.get("country"),
        regions=frozenset(where.get("regions") or ()),
        collectors=frozenset(where.get("collectors") or ()),
        rules=rules,
    )


def _rule(ref: str, r: Mapping[str, Any]) -> Rule:
    common: dict[str, Any] = dict(
        ref=ref,
        certainty=str(r["certainty"]),
        kind=str(r["kind"]),
        channels=frozenset(r.get("channels") or ()),
        collectors=frozenset(r.get("collectors") or ()),
    )
    kind = r["kind"]
    if kind == "hours":
        return Rule(**common, start=_clock(r["hours"]["start"]), end=_clock(r["hours"]["end"]))
    if kind == "days":
        return Rule(**common, **_blocked(r))
    if kind == "cap":
        counts = frozenset("sent" if c == "placed" else str(c) for c in r.get("counts", ["sent"]))
        return Rule(
            **common,
            limit=int(r["limit"]),
            seconds=_seconds(r["window"]) if "window" in r else None,
            calendar_days=int(r["calendar_days"]) if "calendar_days" in r else None,
            per=str(r.get("per", "person")),
            counts=counts,
            number_kinds=frozenset(r.get("number_kinds") or ()),
        )
    if kind == "cooldown":
        per = str(r.get("per", "person"))
        return Rule(**common, after=str(r["after"]), days=int(r["days"]), per=per)
    return Rule(**common, requires=str(r["requires"]))


def _house(policy: Mapping[str, Any], version: str) -> tuple[Rule, ...]:
    """The policy block as rules; without ``hours`` the house window is 08:00-21:00."""
    common: dict[str, Any] = dict(certainty="V")
    hours = policy.get("hours") or {"start": "08:00", "end": "21:00"}
    ref = f"house/quiet-hours@{version}"
    out = [
        Rule(ref, kind="hours", start=_clock(hours["start"]), end=_clock(hours["end"]), **common)
    ]
    for channel, w in sorted((policy.get("channel_hours") or {}).items()):
        out.append(
            Rule(ref, kind="hours", channels=frozenset({channel}), start=_clock(w["start"]),
                 end=_clock(w["end"]), **common)
        )  # fmt: skip
    blocked = _blocked(policy.get("blocked_days") or {})
    if blocked["weekdays"] or blocked["dates"]:
        days = {**blocked, "holidays": False}
        out.append(Rule(f"house/blocked-days@{version}", kind="days", **days, **common))
    if blocked["holidays"]:
        out.append(Rule(f"house/public-holidays@{version}", kind="days", holidays=True, **common))
    for cap in policy.get("caps") or ():
        channel, per = str(cap["channel"]), str(cap["per"])
        cap_id = cap.get("id") or f"{channel}-{cap['limit']}-per-{per.replace(' ', '')}"
        out.append(
            Rule(
                f"house/{cap_id}@{version}",
                kind="cap",
                channels=frozenset() if channel == "any" else frozenset({channel}),
                limit=int(cap["limit"]),
                seconds=_seconds(per),
                per="debt" if cap.get("count") == "debt" else "person",
                **common,
            )
        )
    return tuple(out)


def _blocked(r: Mapping[str, Any]) -> dict[str, Any]:
    return dict(
        weekdays=frozenset(WEEKDAYS.index(str(d).lower()) for d in r.get("weekdays") or ()),
        holidays=bool(r.get("public_holidays", False)),
        dates=frozenset(_date(d) for d in r.get("dates") or ()),
    )


def _clock(value: Any) -> time:
    """``"08:00"``; PyYAML reads an unquoted 08:00 as the sexagesimal integer 480."""
    if isinstance(value, int):
        return time(value // 60, value % 60)
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def _seconds(value: Any) -> int:
    match = _DURATION.match(str(value).strip())
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    return int(match[1]) * _UNITS[match[2]]


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
