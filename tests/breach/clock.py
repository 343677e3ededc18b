"""Time rules: contact hours, blocked days and holidays, cooldowns, in every candidate zone.

- hours: the send's local time in EVERY candidate zone lies in every enforced hours window
  (a rule's window holds wherever the person may be);
- days: no send on a blocked weekday or date, nor (when a days rule says so) on a public holiday
  of ANY candidate region, judged on the local date in every candidate zone;
- cooldowns: no send on a cooled-down channel from the starting event's local day (day 1)
  through day ``days``, in every candidate zone, for the debt of the event's account and every
  debt it lists (``debts``), or the whole person when the rule counts per person. A
  conversation without a channel may have been a call, so it starts every cooldown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from .packs import Rule
from .sends import Send, instant
from .where import Person, holiday


def clock_breaches(send: Send, rules: Sequence[Rule]) -> list[str]:
    """The hours and days rules ``send`` breaks, one line per rule and zone."""
    out: list[str] = []
    for zone in send.person.zones:
        local = send.at.astimezone(ZoneInfo(zone))
        for rule in rules:
            if not rule.covers(send.channel):
                continue
            if rule.kind == "hours":
                assert rule.start is not None and rule.end is not None
                if not rule.start <= local.time() < rule.end:
                    out.append(
                        f"{rule.ref}: {send.label} is {local:%H:%M} in {zone}, outside "
                        f"{rule.start:%H:%M}-{rule.end:%H:%M}"
                    )
            elif rule.kind == "days":
                why = _closed(rule, local.date(), send.person)
                if why is not None:
                    out.append(f"{rule.ref}: {send.label} is on {local:%A %Y-%m-%d} in {zone}{why}")
    return out


def _closed(rule: Rule, day: date, person: Person) -> str | None:
    """Why ``day`` is closed under ``rule`` ("" for a blocked weekday or date), or None."""
    if day.weekday() in rule.weekdays or day in rule.dates:
        return ""
    name = holiday(day, person.regions) if rule.holidays else None
    return f", {name}" if name else None


def cooldown_breaches(
    sends: Sequence[Send],
    rules: Mapping[str, Sequence[Rule]],
    events: Sequence[Mapping[str, Any]],
    people: Mapping[str, Person],
) -> list[str]:
    """Sends inside a cooldown that an event started."""
    out: list[str] = []
    for send in sends:
        for rule in rules[send.person.account_id]:
            if rule.kind != "cooldown" or not rule.covers(send.channel):
                continue
            for e in events:
                if _starts(rule, e, send, people):
                    zone = _inside(rule, instant(e["at"]), send)
                    if zone is not None:
                        out.append(
                            f"{rule.ref}: {send.label} is within the {rule.days}-day cooldown "
                            f"from {e['at']} ({e['account_id']}), counted in {zone}"
                        )
    return out


def _starts(rule: Rule, e: Mapping[str, Any], send: Send, people: Mapping[str, Person]) -> bool:
    """Whether event ``e`` starts ``rule``'s cooldown for ``send``'s account."""
    source = people.get(str(e["account_id"]))
    if e["type"] != rule.after or not e.get("at") or source is None:
        return False
    if rule.channels and e.get("channel") is not None and e["channel"] not in rule.channels:
        return False
    if source.person != send.person.person:
        return False
    return rule.per == "person" or send.person.debt in {source.debt, *(e.get("debts") or ())}


def _inside(rule: Rule, started: Any, send: Send) -> str | None:
    """The first zone in which ``send`` falls on days 1..``days`` counted from ``started``."""
    if send.at < started:
        return None
    for zone in send.person.zones:
        tz = ZoneInfo(zone)
        if (send.at.astimezone(tz).date() - started.astimezone(tz).date()).days < rule.days:
            return zone
    return None
