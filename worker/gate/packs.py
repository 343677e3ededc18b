"""Rule packs: named, versioned policies the gate combines most-restrictively.

In this version the only pack is the schedule's house policy (``house``); jurisdiction packs
(Regulation F, TCPA, state rules, China, UK) plug in as more ``RulePack`` values built from data
files, and the gate needs no change: it intersects windows, unions blocked days and enforces
every pack's caps, each cap with its own counter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from worker.policy import BlockedDays, Cap, Policy, Window, combine_windows


@dataclass(frozen=True)
class RulePack:
    """A policy with a name and a version, so every decision can cite ``pack/rule@version``."""

    name: str
    version: str
    policy: Policy

    def rule(self, rule_id: str) -> str:
        return f"{self.name}/{rule_id}@{self.version}"


def house_pack(schedule_version: str, policy: Policy) -> RulePack:
    return RulePack("house", schedule_version, policy)


def combined_window(packs: Sequence[RulePack], channel: str) -> Window | None:
    return combine_windows(p.policy.window_for(channel) for p in packs)


def combined_blocked_days(packs: Sequence[RulePack]) -> BlockedDays:
    result = BlockedDays()
    for p in packs:
        result = result.union(p.policy.blocked_days)
    return result


def caps_for(packs: Sequence[RulePack], channel: str) -> list[tuple[RulePack, Cap]]:
    """Every cap that counts ``channel``, with the pack that owns it."""
    return [(p, c) for p in packs for c in p.policy.caps_for(channel)]


def window_rule(packs: Sequence[RulePack], channel: str, local: time) -> str:
    """The rule of the first pack whose own window excludes ``local`` (the deciding one)."""
    for p in packs:
        w = p.policy.window_for(channel)
        if w is None or not w.contains(local):
            return p.rule("quiet-hours")
    return packs[0].rule("quiet-hours") if packs else "house/quiet-hours@0"
