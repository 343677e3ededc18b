"""Rule packs as data: the model every pack file (``worker/gate/packs/*.yaml``) is read into.

A pack is a versioned set of rules with the citation and certainty of each, and the condition
under which it applies to a person (country, region, collector type). The gate evaluates every
applicable pack together with the schedule's house policy (itself turned into a pack named
``house``) and combines them most-restrictively: windows intersect, caps all hold, blocks win.

This is not legal advice. Each rule names its source so counsel can check it.

Rule kinds and the fields they use:

======== ============================================================================
hours    ``window`` (local, end exclusive): contact only inside it
days     ``weekdays``, ``public_holidays``, ``dates``: no contact on those local days
cap      ``limit`` per ``window_seconds`` (rolling) or per ``calendar_days`` (local days),
         counted ``per`` person / debt / number / number_class, over the call results in
         ``counts`` (sent, answered, unanswered, voicemail, unreachable; non-call channels
         count every send; a call counts under every cap until its result is known), for the
         ``number_kinds`` given (empty: every kind)
cooldown no contact on the channels for ``days`` local days after an ``after`` event
         (the event's day is day 1)
consent  ``requires``: ``work_email_consent`` (no email to a work address without consent)
content  ``content``: ``opt_out`` | ``disclosure`` | ``voicemail_limited`` |
         ``caller_identity`` | ``call_opt_out`` | ``licence``, for the ``number_kinds`` given
         (empty: every kind); the message is suppressed as ``template_noncompliant`` when it
         fails
keywords ``keywords``: {stop: [...], start: [...], help: [...]} for inbound messages
wording  ``forbidden``: {locale: [phrases]} a template must not say (threats, false claims),
         ``allowed``: {locale: [phrases]} lawful phrasings that contain one of them; checked by
         ``remind templates lint`` (``worker.lint``), not by the gate at send time
retention ``retention_days``: keep the decision records at least this long
note     a row enforced elsewhere (``enforced_by`` says where) or not automatable; with
         ``warns_on`` (``initial_communication``, ``written``) it is recorded as a ``warn``
         check on those messages, so the audit shows where a person must act
======== ============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from worker.cadence.policy import BlockedDays, Window
from worker.contracts.event import CallResult

Certainty = Literal["V", "S", "U"]
Kind = Literal[
    "hours",
    "cap",
    "days",
    "cooldown",
    "consent",
    "content",
    "keywords",
    "retention",
    "note",
    "wording",
]
Scope = Literal["person", "debt", "number", "number_class"]
Action = Literal["defer", "block", "warn", "require", "record"]

KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
SCOPES: tuple[str, ...] = Scope.__args__  # type: ignore[attr-defined]
#: Call results a cap can count (``CallResult`` of the event contract); ``sent`` is every send
#: (a placed call, a sent SMS or email).
COUNTABLE: tuple[str, ...] = ("sent", *CallResult.__args__)  # type: ignore[attr-defined]
CONTENT_CHECKS: tuple[str, ...] = (
    "opt_out", "disclosure", "voicemail_limited", "caller_identity", "call_opt_out", "licence",
)  # fmt: skip
#: When a ``note`` warns (``worker.gate.notes``): on a message that may be the initial
#: communication on the debt, or on every written message (SMS, email).
WARNS_ON: tuple[str, ...] = ("initial_communication", "written")


def _empty_map() -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Rule:
    """One row of a pack. Fields other than the common ones depend on ``kind``."""

    pack: str
    pack_version: str
    id: str
    title: str
    citation: str
    certainty: Certainty
    kind: Kind
    action: Action = "defer"
    channels: frozenset[str] = frozenset()  # empty: every channel
    effective: date | None = None
    #: collector types the rule binds (empty: all), e.g. {"third_party"} for FDCPA-only rows
    collectors: frozenset[str] = frozenset()
    # hours
    window: Window | None = None
    # days
    blocked: BlockedDays | None = None
    # cap
    limit: int | None = None
    window_seconds: int | None = None
    calendar_days: int | None = None
    per: Scope = "person"
    counts: frozenset[str] = frozenset({"sent"})
    number_kinds: frozenset[str] = frozenset()
    # cooldown
    after: str | None = None
    days: int | None = None
    # consent
    requires: str | None = None
    # content
    content: str | None = None
    #: content texts by variant then locale, e.g. {"initial": {"en": "..."}, "subsequent": {...}}
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=_empty_map)
    # keywords
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # wording: phrases by locale ("en", "zh"), casefolded
    forbidden: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # retention
    retention_days: int | None = None
    # note
    enforced_by: str | None = None
    warns_on: str | None = None  # one of WARNS_ON

    @cached_property
    def ref(self) -> str:
        """``pack/rule@version``: what an outcome's ``rule`` field cites (built once per rule:
        every check of every decision cites it)."""
        return f"{self.pack}/{self.id}@{self.pack_version}"

    @property
    def counter_id(self) -> str:
        """The Redis counter name: stable across pack versions, so a new version keeps counting."""
        return f"{self.pack}/{self.id}"

    def covers(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


@dataclass(frozen=True)
class AppliesWhen:
    """Who a pack applies to; None or empty means any."""

    country: str | None = None
    regions: frozenset[str] = frozenset()
    collectors: frozenset[str] = frozenset()

    def matches(self, country: str | None, region: str | None, collector: str) -> bool:
        if self.country is not None and country != self.country:
            return False
        if self.regions and region not in self.regions:
            return False
        return not self.collectors or collector in self.collectors


@dataclass(frozen=True)
class Pack:
    """A versioned, cited set of rules."""

    name: str
    version: str
    title: str
    disclaimer: str
    applies_when: AppliesWhen
    rules: tuple[Rule, ...]
    source: str = ""  # file the pack was read from

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"pack {self.name} has no rule {rule_id}")
