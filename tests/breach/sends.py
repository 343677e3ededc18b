"""The sends to judge: ``sent`` outcomes with their recipient, its kind and a call's result.

An outcome does not say where a message went. ``recipients`` maps a send's dispatch id (its
``provider_id`` on the outbox) to the number or address; without it, an SMS is taken to have
gone to the first mobile with SMS consent, a call to the first phone with voice consent
(mobiles, then landlines, then work numbers), an email to the first address with consent
(personal ones first). A call's result is the last recorded for it, by an ``answered`` or
``voicemail`` outcome (``provider_id``) or a ``call_result`` event (``dispatch_id``, else the
account's last call before it); without one the call's result is unknown, and it counts under
every call cap, unless ``call_results`` replays a simulation run that assumed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .where import Contact, Person

CallResults = Literal["unknown", "answered", "voicemail", "unanswered"]
Rows = Sequence[Mapping[str, Any]]  # outcome records or events
_VOICE_ORDER = {"mobile": 0, "landline": 1, "work": 2}


@dataclass(frozen=True)
class Send:
    """One ``sent`` outcome with what the checker needs to judge it."""

    at: datetime
    person: Person
    channel: str
    label: str  # "<account> <step> <channel> at <instant>", for messages
    to: str | None  # the number or address; None when the account has none usable
    kind: str | None  # its kind: mobile | landline | work | personal
    consent: bool  # the contact carries the channel's consent flag
    result: str | None  # a call's result (event contract CallResult); None: unknown or no call
    step: str | None = None  # the outcome's step key (plan.2.before3, early.1)
    tier: str | None = None  # the outcome's tier (plan for a repayment plan's messages)


def instant(value: Any) -> datetime:
    """An outcome's or event's ``at`` (ISO 8601 text or a datetime) as aware UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def read_sends(
    records: Rows,
    people: Mapping[str, Person],
    call_results: CallResults,
    recipients: Mapping[str, str],
    events: Rows,
) -> list[Send]:
    """The ``sent`` outcomes of ``people``'s accounts, oldest first."""
    sent = [o for o in records if o["outcome"] == "sent" and o["account_id"] in people]
    results = _call_results(records, sent, events)
    assumed = None if call_results == "unknown" else call_results
    out: list[Send] = []
    for o in sent:
        person = people[o["account_id"]]
        channel = str(o["channel"])
        dispatch_id = str(o.get("provider_id") or "")
        contact = _recipient(person, channel, recipients.get(dispatch_id))
        result = results.get(dispatch_id, assumed) if channel == "voice" else None
        label = f"{o['account_id']} {o.get('step')} {channel} at {o['at']}"
        out.append(
            Send(
                instant(o["at"]),
                person,
                channel,
                label,
                contact.address if contact else None,
                contact.kind if contact else None,
                _consented(contact, channel),
                result,
                o.get("step"),
                o.get("tier"),
            )
        )
    return sorted(out, key=lambda s: s.at)


def _call_results(records: Rows, sent: Rows, events: Rows) -> dict[str, str]:
    """Dispatch id -> the last result recorded for that call, by outcome or by event."""
    found = [
        (instant(o["at"]), str(o["provider_id"]), str(o["outcome"]))
        for o in records
        if o["outcome"] in ("answered", "voicemail") and o.get("provider_id")
    ]
    for e in (e for e in events if e["type"] == "call_result" and e.get("at")):
        at = instant(e["at"])
        # no dispatch id: the account's last call before the event (the simulator applies an
        # instant's events before its sends)
        before = [(instant(o["at"]), str(o["provider_id"])) for o in sent
                  if o["account_id"] == e["account_id"] and o["channel"] == "voice"
                  and instant(o["at"]) < at]  # fmt: skip
        call = e.get("dispatch_id") or (max(before)[1] if before else None)
        if call is not None:
            found.append((at, str(call), str(e["result"])))
    return {call: result for _, call, result in sorted(found, key=lambda f: f[0])}


def _recipient(person: Person, channel: str, known: str | None) -> Contact | None:
    contacts = _reachable(person, channel)
    if known is not None:
        every = (*person.phones, *person.emails)
        # a recipient the account does not list: its kind is unknown (None)
        return next((c for c in every if c.address == known), Contact(known, ""))
    usable = [c for c in contacts if _consented(c, channel)]
    return usable[0] if usable else None


def _reachable(person: Person, channel: str) -> Iterable[Contact]:
    if channel == "sms":
        return [p for p in person.phones if p.kind == "mobile"]
    if channel == "voice":
        return sorted(person.phones, key=lambda p: _VOICE_ORDER.get(p.kind, 3))
    if channel == "email":
        return sorted(person.emails, key=lambda e: e.kind != "personal")
    return []


def _consented(contact: Contact | None, channel: str) -> bool:
    if contact is None:
        return False
    return {"sms": contact.sms, "voice": contact.voice, "email": contact.email}.get(channel, True)
