"""Who can be reached on a channel: consent, opt-outs and usable addresses.

A contact is usable on a channel when it can carry it (SMS needs a mobile number), it carries the
consent flag for that channel or an ``opt_in`` event gave it, and neither the channel nor that
address is opted out. ``opt_out`` without an address stops the whole channel.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from worker.contracts.account import Account


@dataclass(frozen=True)
class Reach:
    """The chosen recipient, or the reason there is none."""

    recipient: str | None
    reason: str | None  # opted_out | no_consent | invalid_contact
    kind: str | None = None  # the contact's kind: mobile | landline | work | personal
    consent: bool = False


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
    saw_opted_out = False
    for address, consent, kind in candidates:
        whole, one = _entries(channel, address)
        if one in opted_out:
            saw_opted_out = True
            continue
        if consent or whole in opted_in or one in opted_in:
            return Reach(address, None, kind, True)
    return Reach(None, "opted_out" if saw_opted_out else "no_consent")


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
        line = ", ".join(x for x in (a.line1, a.city, a.region, a.postal_code, a.country) if x)
        return Reach(line, None, "address", True)
    return Reach(None, "invalid_contact")
