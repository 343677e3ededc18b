"""Whether a send was allowed at all: a known country, consent, no stop, hold or opt-out.

- ``where/no-country``: a send to an account with no country from its address, its phones or
  the schedule's ``country``: such an account is to be rejected at intake, so nothing is sent
  (docs/compliance.md, Which rules apply);
- ``consent/no-consent``: the recipient lacks the channel's consent flag and no ``opt_in`` for
  the channel or that address came before;
- consent rules (``work_email_consent``): no email to a work address without consent;
- ``lifecycle/<event>``: no send after a stop event of the schedule (``cease`` and ``close``
  always among them), nor between a hold event and the next resume event;
- ``consent/opted-out``: no send on a channel (to the address, when the event names one) after
  an ``opt_out`` for it, until an ``opt_in`` for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .packs import Plan, Rule
from .sends import Send, instant

Event = Mapping[str, Any]


def standing_breaches(
    send: Send, rules: Sequence[Rule], plan: Plan, events: Sequence[Event]
) -> list[str]:
    """Why ``send`` should not have happened at all; [] when it could."""
    mine = sorted(
        (e for e in events if e["account_id"] == send.person.account_id and e.get("at")),
        key=lambda e: instant(e["at"]),
    )
    before = [e for e in mine if instant(e["at"]) <= send.at]
    out: list[str] = []
    if not send.person.regions:
        out.append(
            f"where/no-country@checker: {send.label} went to an account with no country "
            "(no address, no phone country, no schedule country): intake must reject it"
        )
    if send.channel in ("sms", "voice", "email") and not (
        send.consent or _opted_in(before, send.channel, send.to)
    ):
        out.append(f"consent/no-consent@checker: {send.label} went to a {send.kind or 'unknown'} "
                   f"contact without {send.channel} consent")  # fmt: skip
    for rule in rules:
        if (
            rule.kind == "consent"
            and rule.covers(send.channel)
            and rule.requires == "work_email_consent"
            and send.channel == "email"
            and send.kind == "work"
            and not (send.consent or _opted_in(before, "email", send.to))
        ):
            out.append(f"{rule.ref}: {send.label} went to a work address without consent")
    for e in before:
        if e["type"] in plan.stops:
            out.append(f"lifecycle/{e['type']}@checker: {send.label} follows {e['at']}")
    hold = _open_hold(before, plan)
    if hold is not None:
        out.append(f"lifecycle/{hold['type']}@checker: {send.label} is held since {hold['at']}")
    refused = _opted_out(before, send.channel, send.to)
    if refused is not None:
        out.append(f"consent/opted-out@checker: {send.label} follows the opt-out at {refused}")
    return out


def _open_hold(before: Sequence[Event], plan: Plan) -> Event | None:
    hold: Event | None = None
    for e in before:
        if e["type"] in plan.holds and hold is None:
            hold = e
        elif e["type"] in plan.resumes:
            hold = None
    return hold


def _names(e: Event, channel: str, to: str | None) -> bool:
    """Whether an opt-in or opt-out event is about this channel (and this address)."""
    if e.get("channel") not in (None, channel):
        return False
    return e.get("address") in (None, to)


def _opted_in(before: Sequence[Event], channel: str, to: str | None) -> bool:
    state = False
    for e in before:
        if e["type"] in ("opt_in", "opt_out") and _names(e, channel, to):
            state = e["type"] == "opt_in"
    return state


def _opted_out(before: Sequence[Event], channel: str, to: str | None) -> datetime | None:
    since: datetime | None = None
    for e in before:
        if e["type"] in ("opt_in", "opt_out") and _names(e, channel, to):
            since = instant(e["at"]) if e["type"] == "opt_out" else None
    return since
