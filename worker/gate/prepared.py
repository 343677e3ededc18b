"""The gate's rules sorted out for one kind of step, once: which apply, which are enforced, the
combined window and blocked days, the checks that never change.

None of it depends on the instant or the person's history, only on the rules and on the step's
channel, collector and number kind; a worker decides for the same few rule sets again and
again (``worker.gate.packs.select`` hands out the same rule objects for a schedule and a set of
places), so ``prepare`` keeps the answer per rule set. Rule sets are told apart by the identity
of their rules (a rule does not hash: its mappings do not); the cache holds the rules it was
given, so an identity it keys on cannot be reused by another object while the entry lives. A
decision with stated constraints (new rule objects each time) is sorted out afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from functools import lru_cache

from worker.cadence.policy import BlockedDays, Window, combine_windows
from worker.gate.rules import Rule
from worker.gate.types import Check

#: The whole local day: the window of a decision no hours rule narrows.
ALL_DAY = Window(time(0, 0), time(23, 59, 59, 999999))
#: Kinds of step per rule set (channel x collector x number kind x U mode) a worker keeps.
PREPARED_CACHE_SIZE = 512


@dataclass(frozen=True)
class Prepared:
    """The rules that apply to one kind of step, sorted out for the engine."""

    rules: tuple[Rule, ...]  # those that cover the channel, collector and number kind, in order
    consent: tuple[tuple[Rule, bool], ...]  # (rule, enforced)
    caps: tuple[tuple[Rule, bool], ...]
    clock: tuple[tuple[Rule, bool], ...]  # hours, days and cooldown rules
    window: Window | None  # the enforced windows combined (the whole day when none)
    blocked: BlockedDays  # the enforced blocked days combined
    excluded: tuple[Window, ...]  # the person's enforced inconvenient hours
    content: tuple[Rule, ...]  # enforced content rules: checked on the rendered message
    content_checks: tuple[Check, ...]  # every content rule's check (the same at any instant)
    info: tuple[Rule, ...]  # notes, keywords and retention rules


def enforced(rule: Rule, enforce_unverified: bool) -> bool:
    return rule.certainty != "U" or enforce_unverified


def prepare(
    rules: Sequence[Rule],
    stated: Sequence[Rule],
    channel: str,
    collector: str,
    kind: str | None,
    enforce_unverified: bool,
) -> Prepared:
    """``rules`` then the person's ``stated`` rules, sorted out for a step on ``channel`` to a
    contact of ``kind``; kept per rule set when nothing is stated."""
    if stated:
        return _prepare((*rules, *stated), channel, collector, kind, enforce_unverified)
    return _kept(_Same(tuple(rules)), channel, collector, kind, enforce_unverified)


class _Same:
    """A rule tuple as a cache key: equal to another holding the very same rule objects."""

    __slots__ = ("_hash", "rules")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self._hash = hash(tuple(map(id, rules)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Same) or len(other.rules) != len(self.rules):
            return False
        return all(a is b for a, b in zip(self.rules, other.rules, strict=True))


@lru_cache(maxsize=PREPARED_CACHE_SIZE)
def _kept(
    same: _Same, channel: str, collector: str, kind: str | None, enforce_unverified: bool
) -> Prepared:
    return _prepare(same.rules, channel, collector, kind, enforce_unverified)


def _prepare(
    rules: Sequence[Rule],
    channel: str,
    collector: str,
    kind: str | None,
    enforce_unverified: bool,
) -> Prepared:
    applying = tuple(
        r
        for r in rules
        if r.covers(channel)
        and (not r.collectors or collector in r.collectors)
        and (not r.number_kinds or kind in r.number_kinds)
    )
    flags = [(r, enforced(r, enforce_unverified)) for r in applying]
    on = [r for r, e in flags if e]
    windows = [r.window for r in on if r.kind == "hours" and r.pack != "person"]
    blocked = BlockedDays()
    for r in on:
        if r.kind == "days" and r.blocked is not None:
            blocked = blocked.union(r.blocked)
    return Prepared(
        rules=applying,
        consent=tuple((r, e) for r, e in flags if r.kind == "consent"),
        caps=tuple((r, e) for r, e in flags if r.kind == "cap"),
        clock=tuple((r, e) for r, e in flags if r.kind in ("hours", "days", "cooldown")),
        window=combine_windows(windows) if windows else ALL_DAY,
        blocked=blocked,
        excluded=tuple(
            r.window for r in on if r.kind == "hours" and r.pack == "person" and r.window
        ),
        content=tuple(r for r in on if r.kind == "content"),
        content_checks=tuple(
            Check(r.ref, r.kind, "allow", detail=f"checked when rendering: {r.content}")
            for r in applying
            if r.kind == "content"
        ),
        info=tuple(r for r in applying if r.kind in ("note", "keywords", "retention")),
    )
