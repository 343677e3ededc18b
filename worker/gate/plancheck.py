"""``remind schedules check``: will a schedule's own cadence run into a pack's caps?

A dry run of the cadence the way the dispatcher runs it: steps in order, one at a time, each
sent at its day and send time unless a cap of the pack is full, in which case it waits for the
slot (and steps whose day went by meanwhile are skipped). Calls count under every call rule (the
cautious reading: results are unknown in advance). Hours, days and time zones are left out:
this is about frequency, which no choice of hours can fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from worker.cadence.schedule import Schedule
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
