"""The gate's value types: who a step would reach, each rule's check, the combined judgement.

Kept apart from ``worker.gate.engine`` so that the modules the engine uses (``counters``) and
the ones that use the engine's answer (``calls``, ``decide``) can name these types without
importing the engine, and without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from worker.gate.caps import CapSpec
from worker.gate.rules import Rule

__all__ = ["Check", "Judgement", "LogReader", "Target", "Verdict"]

Verdict = Literal["allow", "defer", "block", "warn", "n/a"]

#: A reader of cap logs: key -> the send instants (epoch seconds) it holds, ascending.
LogReader = Callable[[Sequence[str]], Mapping[str, list[float]]]


@dataclass(frozen=True)
class Target:
    """Who the step would reach: channel, address, and what kind of contact it is."""

    channel: str
    address: str
    kind: str | None  # mobile | landline | work (phones), personal | work (emails), None
    consent: bool


@dataclass(frozen=True)
class Check:
    """One rule's verdict on the step at the instant asked."""

    rule: str
    kind: str
    verdict: Verdict
    reason: str | None = None
    at: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Judgement:
    """The combined decision and every rule's check."""

    action: Literal["allow", "defer", "suppress"]
    checks: tuple[Check, ...]
    deciding: Check | None = None
    at: datetime | None = None
    #: caps to reserve atomically at send time (enforced), and U caps to count after it
    specs: tuple[tuple[Rule, CapSpec], ...] = ()
    unverified_specs: tuple[tuple[Rule, CapSpec], ...] = ()
    #: content checks the rendered message must pass, and the rules requiring them
    content: tuple[Rule, ...] = ()
