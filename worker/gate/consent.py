"""Who can be reached on a channel: consent, opt-outs, holds and usable addresses.

A contact is usable on a channel when it can carry it (SMS needs a mobile number), it carries the
consent flag for that channel or an ``opt_in`` event gave it, neither the channel nor that
address is opted out, and the address is not held for review. ``opt_out`` without an address
stops the whole channel.

The person's opt-out set holds, besides ``channel`` and ``channel:address`` entries, one
``held:<address>`` entry per number or address held while a person reviews an uncertain reply
(no contact on it, on any channel; ``held:visit`` holds visits). The opt-in set holds, besides
the consents, one ``used:email:<address>`` entry per address a reply came from.

Consent is per address: ``Reach.consent`` says whether the address itself has it (its own flag,
an ``opt_in`` naming it) or the person wrote from it. Consent to the whole channel makes an
address reachable but does not make it consented, so an employer's email address still needs
its own consent or a message from it (12 CFR 1006.22(f)(3), rule F12).
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from worker.contracts.account import Account

#: The reason a step finds no usable contact while a reply is being reviewed.
HELD_FOR_REVIEW = "held_for_review"


@dataclass(frozen=True)
class Reach:
    """The chosen recipient, or the reason there is none."""

    recipient: str | None
    reason: str | None  # opted_out | held_for_review | no_consent | invalid_contact
    kind: str | None = None  # the contact's kind: mobile | landline | work | personal
    #: consent given for this very address (not just for its channel), or a message from it
    consent: bool = False


def held_entry(key: str) -> str:
    """The opt-out set entry that holds ``key`` (a number, an address, or ``visit``)."""
    return f"held:{key}"


def used_entry(channel: str, address: str) -> str:
    """The opt-in set entry recording that the person wrote from ``address`` on ``channel``."""
    return f"used:{channel}:{address}"


def _entries(channel: str, address: str) -> tuple[str, str]:
    return channel, f"{channel}:{address}"


def _pick(
    channel: str,
    candidates: Sequence[tuple[str, bool, str]],
    opted_out: Set[str],
    opted_in: Set[str],
) -> Reach:
    if not candidates:
        return Reach(None, "invalid_contact")
    if channel in opted_out:
        return Reach(None, "opted_out")
    saw_opted_out = saw_held = False
    for address, consent, kind in candidates:
        whole, one = _entries(channel, address)
        if one in opted_out:
            saw_opted_out = True
            continue
        own = consent or one in opted_in
        if not (own or whole in opted_in):
            continue
        if held_entry(address) in opted_out:
            saw_held = True
            continue
        return Reach(address, None, kind, own or used_entry(channel, address) in opted_in)
    if saw_held:
        return Reach(None, HELD_FOR_REVIEW)
    return Reach(None, "opted_out" if saw_opted_out else "no_consent")


def contacts(account: Account, channel: str) -> list[str]:
    """The numbers or addresses of ``account`` that could carry ``channel`` (``visit``: the
    word itself, as visits have no address entry)."""
    if channel == "sms":
        return [p.number for p in account.phones if p.kind == "mobile"]
    if channel == "voice":
        return [p.number for p in account.phones]
    if channel == "email":
        return [e.address for e in account.emails]
    return [channel]


def reach(account: Account, channel: str, opted_out: Set[str], opted_in: Set[str]) -> Reach:
    """The first usable recipient for ``channel`` in the account's order of contacts."""
    if channel == "sms":
        phones = [(p.number, p.sms_consent, p.kind) for p in account.phones if p.kind == "mobile"]
        return _pick(channel, phones, opted_out, opted_in)
    if channel == "voice":
        order = {"mobile": 0, "landline": 1, "work": 2}
        ranked = sorted(account.phones, key=lambda p: order[p.kind])
        by_rank = [(p.number, p.voice_consent, p.kind) for p in ranked]
        return _pick(channel, by_rank, opted_out, opted_in)
    if channel == "email":
        ranked_e = sorted(account.emails, key=lambda e: e.kind != "personal")
        by_kind = [(e.address, e.consent, e.kind) for e in ranked_e]
        return _pick(channel, by_kind, opted_out, opted_in)
    if channel == "visit":
        a = account.address
        if a is None or not (a.line1 or a.city):
            return Reach(None, "invalid_contact")
        if "visit" in opted_out:
            return Reach(None, "opted_out")
        if held_entry("visit") in opted_out:
            return Reach(None, HELD_FOR_REVIEW)
        line = ", ".join(x for x in (a.line1, a.city, a.region, a.postal_code, a.country) if x)
        return Reach(line, None, "address", True)
    return Reach(None, "invalid_contact")
