"""Caps: no more sends in a cap's window than its limit, counted cautiously.

A cap counts a send when it covers the channel and the recipient's kind (an unknown kind counts
under every kind), and, for a call, when it counts ``sent`` or the call's result; a call whose
result is unknown counts under every call cap. Sends are grouped by what the rule counts
together: the person, the person's debt, the number (whoever's account called it) or the
person's number class. A rolling window counts ``(t - W, t]``; a calendar cap counts the local
days ending on the send's local day, in EVERY candidate zone of the person: the count must hold
wherever the person is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .packs import Rule
from .sends import Send

_PHONE = ("sms", "voice")


def cap_breaches(sends: Sequence[Send], rules: Mapping[str, Sequence[Rule]]) -> list[str]:
    """Every send at which a cap's window holds more sends than its limit, one line each."""
    groups: dict[tuple[str, str], list[tuple[Rule, Send]]] = defaultdict(list)
    for send in sends:
        for rule in rules[send.person.account_id]:
            if rule.kind != "cap" or not counts(rule, send):
                continue
            scope = _scope(rule, send)
            if scope is not None:
                groups[(rule.counter, scope)].append((rule, send))
    out: list[str] = []
    for (_, scope), members in sorted(groups.items()):
        sent = [s for _, s in members]
        for rule, send in members:
            found = _over(rule, send, sent)
            if found is not None:
                window, counted = found
                out.append(
                    f"{rule.ref}: {len(counted)} sends to {scope} in {window} ending at "
                    f"{send.label}, limit {rule.limit}: " + "; ".join(s.label for s in counted)
                )
    return out


def counts(rule: Rule, send: Send) -> bool:
    """Whether ``rule`` counts ``send``: channel, number kind, a call's result."""
    if not rule.covers(send.channel):
        return False
    if rule.number_kinds and send.kind and send.kind not in rule.number_kinds:
        return False
    if send.channel != "voice" or send.result is None or "sent" in rule.counts:
        return True
    return send.result in rule.counts


def _scope(rule: Rule, send: Send) -> str | None:
    """What the rule counts together; None when it cannot count the send."""
    if rule.per == "person":
        return f"person {send.person.person}"
    if rule.per == "debt":
        return f"person {send.person.person} debt {send.person.debt}"
    if send.channel not in _PHONE or send.to is None:
        return None  # per-number rules count calls and texts
    if rule.per == "number":
        return f"number {send.to}"
    return f"person {send.person.person} {send.kind or 'unknown'} numbers"


def _over(rule: Rule, send: Send, group: Sequence[Send]) -> tuple[str, list[Send]] | None:
    """The window ending at ``send`` that holds too many of ``group``, and what it holds."""
    if rule.seconds is not None:
        start = send.at - timedelta(seconds=rule.seconds)
        counted = [s for s in group if start < s.at <= send.at]
        return (
            (f"the rolling {_span(rule.seconds)}", counted) if len(counted) > rule.limit else None
        )
    n = rule.calendar_days or 1
    for zone in send.person.zones:
        last = _day(send.at, zone)
        first = last - timedelta(days=n - 1)
        counted = [s for s in group if s.at <= send.at and first <= _day(s.at, zone) <= last]
        if len(counted) > rule.limit:
            return f"{n} local day(s) to {last} in {zone}", counted
    return None


def _day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def _span(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
