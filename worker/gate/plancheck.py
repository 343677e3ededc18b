"""``remind schedules check``: will a schedule's own cadence run into a pack's caps?

A dry run of the cadence the way the dispatcher runs it: steps in order, one at a time, each
sent at its day and send time unless a cap of the pack is full, in which case it waits for the
slot (and steps whose day went by meanwhile are skipped). Calls count under every call rule (the
cautious reading: results are unknown in advance). Hours, days and time zones are left out:
this is about frequency, which no choice of hours can fix.

It also checks the licence numbers a pack asks written messages to show (CA1): a schedule of a
country must give one, or say ``exempt``, for every region of that country with such a rule,
since its people may live there (``licence_gaps``). A schedule without a country is only
reminded (``licence_reminders``). At send time a missing number suppresses the message anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from worker.cadence.schedule import Schedule
from worker.gate.packs.files import builtin_packs
from worker.gate.packs.select import licence_keys
from worker.gate.rules import Pack, Rule


@dataclass(frozen=True)
class PlanReport:
    """How one rule would reshape the cadence."""

    rule: str
    text: str
    #: who the rule binds: "persons in US-MA", "calls to landline numbers"...
    scope: str
    deferred: int
    longest: timedelta
    skipped: int

    @property
    def conflict(self) -> bool:
        return self.deferred > 0 or self.skipped > 0


def _minutes(day: int, hhmm: timedelta) -> float:
    return day * 1440 + hhmm.total_seconds() / 60


def check_rule(schedule: Schedule, rule: Rule) -> PlanReport | None:
    """Run the cadence against one cap rule; None when the rule counts none of its steps."""
    if rule.kind != "cap" or rule.limit is None:
        return None
    steps = [o for o in schedule.occurrences if rule.covers(o.channel)]
    if not steps:
        return None
    window = (rule.window_seconds / 60) if rule.window_seconds else (rule.calendar_days or 1) * 1440
    calendar = rule.window_seconds is None
    sent: list[float] = []
    deferred, skipped, longest, clock = 0, 0, 0.0, 0.0
    for occ in schedule.occurrences:
        planned = _minutes(
            occ.day, timedelta(hours=occ.send_time.hour, minutes=occ.send_time.minute)
        )
        if planned < clock and occ.day < clock // 1440:
            skipped += 1  # its day went by while an earlier step waited
            continue
        at = max(planned, clock)
        if rule.covers(occ.channel):
            while True:
                start = (at // 1440 - (window // 1440 - 1)) * 1440 if calendar else at - window
                counted = [s for s in sent if (s >= start if calendar else s > start)]
                if len(counted) < rule.limit:
                    break
                leave = counted[len(counted) - rule.limit]
                at = ((leave // 1440) + window // 1440) * 1440 if calendar else leave + window
            if at > planned:
                deferred += 1
                longest = max(longest, at - planned)
            sent.append(at)
        clock = at
    return PlanReport(rule.ref, rule.title, "", deferred, timedelta(minutes=longest), skipped)


def check_schedule(schedule: Schedule, packs: Sequence[Pack]) -> list[PlanReport]:
    """Reports for every cap of ``packs`` (enforced ones) that reshapes ``schedule``."""
    reports = []
    for pack in packs:
        for rule in pack.rules:
            if rule.certainty == "U" and not schedule.enforce_unverified:
                continue
            if rule.collectors and schedule.collector not in rule.collectors:
                continue
            report = check_rule(schedule, rule)
            if report is not None and report.conflict:
                reports.append(replace(report, scope=_scope(pack, rule)))
    return reports


def _scope(pack: Pack, rule: Rule) -> str:
    w = pack.applies_when
    where = (
        "everyone"
        if w.country is None
        else f"persons in {w.country}" + (f"-{'/'.join(sorted(w.regions))}" if w.regions else "")
    )
    if rule.number_kinds:
        where += f", {'/'.join(sorted(rule.number_kinds))} numbers"
    return where


def licence_gaps(schedule: Schedule, packs: Iterable[Pack] | None = None) -> list[str]:
    """What a schedule with a ``country`` lacks of the licences its country's packs ask for."""
    if schedule.country is None:
        return []
    return [
        f"licences.{key}: a {schedule.country} schedule may reach people in {key}, whose "
        f"written messages must show the collector's licence number ({rule.ref}): give the "
        "number, or exempt"
        for key, rule in _unlicensed(schedule, packs)
        if key.split("-", 1)[0] == schedule.country
    ]


def licence_reminders(schedule: Schedule, packs: Iterable[Pack] | None = None) -> list[str]:
    """For a schedule without a ``country``: every licence it lacks, as a reminder."""
    if schedule.country is not None:
        return []
    return [
        f"no country: if it may reach people in {key}, set licences.{key} "
        "(a licence number, or exempt)"
        for key, _ in _unlicensed(schedule, packs)
    ]


def _unlicensed(schedule: Schedule, packs: Iterable[Pack] | None) -> list[tuple[str, Rule]]:
    """(licence key, rule) for each licence rule binding the schedule's collector that the
    schedule's ``licences`` do not answer."""
    out: list[tuple[str, Rule]] = []
    for pack in builtin_packs().values() if packs is None else packs:
        for rule in pack.rules:
            if rule.content != "licence" or (
                rule.collectors and schedule.collector not in rule.collectors
            ):
                continue
            out += [(k, rule) for k in licence_keys(pack) if k not in schedule.licences]
    return out
