"""What the person said, as rules: stated constraints become a pseudo-pack ``person``.

Reg F 1006.6(b)(1) and 1006.14(h), and CONC 7.9.4R, ask a collector to honour times, days and
media the person says are inconvenient or refused. Each active ``constraint`` event becomes a
rule citing the day it was stated (``person/inconvenient-hours@2026-03-02``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from worker.accounts.state import AccountState
from worker.cadence.policy import BlockedDays, Window
from worker.contracts.vocab import WEEKDAYS
from worker.gate.rules import Rule


def stated_rules(state: AccountState, now: datetime) -> list[Rule]:
    """The person's active stated constraints as rules of a pseudo-pack ``person``."""
    out: list[Rule] = []
    for c in state.constraints:
        if not c.active(now):
            continue
        sc = c.constraint
        base: dict[str, Any] = dict(
            pack="person",
            pack_version=c.at.date().isoformat(),
            citation="stated by the person (12 CFR 1006.6(b)(1), 1006.14(h))",
            certainty="V",
        )
        channels = frozenset({sc.channel}) if sc.channel else frozenset()
        if sc.kind == "inconvenient_hours" and sc.start and sc.end:
            out.append(
                Rule(
                    id="inconvenient-hours",
                    title=f"not {sc.start:%H:%M}-{sc.end:%H:%M}",
                    kind="hours",
                    action="defer",
                    channels=channels,
                    window=Window(sc.start, sc.end),
                    **base,
                )
            )
        elif sc.kind == "inconvenient_days" and sc.weekdays:
            days = frozenset(WEEKDAYS.index(d.lower()) for d in sc.weekdays)
            out.append(
                Rule(
                    id="inconvenient-days",
                    title="days the person named",
                    kind="days",
                    channels=channels,
                    blocked=BlockedDays(weekdays=days),
                    **base,
                )
            )
        elif sc.kind == "no_work_calls":
            out.append(
                Rule(
                    id="no-work-calls",
                    title="no calls at work",
                    kind="consent",
                    action="block",
                    channels=frozenset({"voice"}),
                    number_kinds=frozenset({"work"}),
                    requires="never",
                    **base,
                )
            )
        elif sc.kind == "refuse_channel":
            out.append(
                Rule(
                    id="refused-channel",
                    title=f"refused {sc.channel}",
                    kind="consent",
                    action="block",
                    channels=channels,
                    requires="never",
                    **base,
                )
            )
    return out
