"""Acting on a person's reply (the ``reply`` event): opt-outs, holds for review, the record.

Intake calls ``on_event`` for every event, under the account's lock (worker/intake/). A reply
is read (``worker.gate.replies``) and acted on at once: the TCPA allows up to ten business days
(47 CFR 64.1200(a)(10)-(12)), remind takes none, so the next step already finds the opt-out.

- **stop**: the reply's channel is opted out for the number or address it came from (a text
  from a number opts out calls to it too: 64.1200 revokes robocalls and robotexts alike), or for
  the whole channel when the sender is unknown; each channel the reply names ("don't call me")
  is opted out whole (12 CFR 1006.14(h)). Outcome ``opted_out``, reason ``reply_stop``.
- **review**: the number or address it came from is held (no contact on it, on any channel),
  and so is every contact on each channel it names; outcome ``review``, reason
  ``uncertain_reply``. A person ends the hold with an ``opt_out`` (it was a stop) or an
  ``opt_in`` (it was not) naming that number or address.
- **start** (a whole-reply START): outcome ``review``, reason ``reply_start``; consent is not
  given back without a person, as a revocation must never be undone by mistake.
- **help**, or nothing to act on: no outcome.

Every reply by email records the address it came from: a message from an employer's address
lets remind write back to it (12 CFR 1006.22(f)(3), F12). Each outcome's audit record carries
the reply as evidence, its numbers and addresses masked.
"""

from __future__ import annotations

import re
from datetime import datetime

import phonenumbers

from worker.accounts.cursor import primary_zone
from worker.accounts.outcomes import make_outcome
from worker.accounts.state import AccountState
from worker.accounts.zones import mask_email, mask_phone
from worker.cadence.schedule import Schedule
from worker.contracts.event import Event
from worker.contracts.outcome import Outcome
from worker.gate.consent import contacts, held_entry, used_entry
from worker.gate.packs.select import rules_for
from worker.gate.replies import Reading, decided_by, read_reply
from worker.gate.types import Check
from worker.logs import mask
from worker.storage.results import Results
from worker.storage.store import Store

__all__ = ["apply_reply", "on_event", "stop_entries"]

#: The reason of a ``review`` outcome, by what the reply asks: a plan request holds nothing and
#: waits for a person (or an upstream system) to answer with ``plan_agreed``.
_REVIEW_REASONS = {"review": "uncertain_reply", "start": "reply_start", "plan": "plan_requested"}
#: How much of a reply the audit record keeps.
EVIDENCE_CHARS = 500
_DIGIT_RUN = re.compile(r"\d[\d\s().-]{2,}\d")


def on_event(
    store: Store, results: Results, state: AccountState, schedule: Schedule, event: Event,
    at: datetime,
) -> None:  # fmt: skip
    """Apply a ``reply``; release the hold an ``opt_in`` or ``opt_out`` names; else nothing."""
    if event.type == "reply":
        apply_reply(store, results, state, schedule, event, at)
    elif event.type in ("opt_in", "opt_out") and event.channel is not None:
        store.remove_opt_outs(state.person_id, [held_entry(event.address or event.channel)])


def apply_reply(
    store: Store, results: Results, state: AccountState, schedule: Schedule, event: Event,
    at: datetime,
) -> Outcome | None:  # fmt: skip
    """Read ``event``'s text and act on it (see the module's docstring); the outcome, if any."""
    channel, text = event.channel or "sms", event.text or ""
    sender = _sender(state, channel, event.address)
    keywords = [
        r
        for r in rules_for(schedule, state.account)
        if r.kind == "keywords" and (not r.collectors or schedule.collector in r.collectors)
    ]
    reading = read_reply(text, [r.keywords for r in keywords])
    person = state.person_id
    if channel == "email" and sender is not None:
        store.add_opt_ins(person, [used_entry("email", sender)])
    if reading.intent == "stop":
        entries = stop_entries(channel, sender, reading.media)
        for entry in entries:
            store.set_opt_out(person, entry)
        cited = next(
            (r.ref for r in keywords if decided_by(reading, r.keywords.get("stop", ()))), None
        )
        rule = cited or f"reply/stop@{schedule.version}"
        kind, reason, effect = "opted_out", "reply_stop", "opted out: " + _masked(entries)
    elif reading.intent in ("review", "start", "plan"):
        held = _held(state, channel, sender, reading) if reading.intent == "review" else []
        store.add_opt_outs(person, [held_entry(k) for k in held])
        rule = f"reply/{'plan' if reading.intent == 'plan' else 'review'}@{schedule.version}"
        kind, reason = "review", _REVIEW_REASONS[reading.intent]
        effect = "held: " + _masked(held) if held else "nothing held"
    else:
        return None
    detail = _detail(channel, sender, text, reading, effect)
    return _record(results, state, channel, kind, reason, rule, at, detail)


def _masked(entries: list[str]) -> str:
    return ", ".join(mask(e) for e in entries)


def stop_entries(channel: str, sender: str | None, media: frozenset[str]) -> list[str]:
    """The opt-out entries a stop by ``channel`` from ``sender`` naming ``media`` makes."""
    entries = sorted(media)
    if sender is None:
        entries.append(channel)
    else:
        entries.append(f"{channel}:{sender}")
        if channel == "sms":
            entries.append(f"voice:{sender}")
    return list(dict.fromkeys(entries))


def _held(state: AccountState, channel: str, sender: str | None, reading: Reading) -> list[str]:
    """The numbers and addresses a review holds: the sender (else every contact on the
    reply's channel) and every contact on each channel the reply names."""
    held = [sender] if sender is not None else contacts(state.account, channel)
    for medium in sorted(reading.media):
        held += contacts(state.account, medium)
    return list(dict.fromkeys(held))


def _sender(state: AccountState, channel: str, address: str | None) -> str | None:
    """The reply's number or address as the account spells it (E.164; an email address in
    the account's case), or as given when the account does not hold it."""
    if address is None:
        return None
    if channel == "sms":
        parsed = phonenumbers.parse(address, None)  # the event contract checked it parses
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    known = (e.address for e in state.account.emails if e.address.casefold() == address.casefold())
    return next(known, address)


def _record(
    results: Results, state: AccountState, channel: str, kind: str, reason: str, rule: str,
    at: datetime, detail: str,
) -> Outcome:  # fmt: skip
    outcome = make_outcome(
        now=at,
        state=state,
        outcome=kind,  # type: ignore[arg-type]
        zone=primary_zone(state.account),
        channel=channel,
        reason=reason,
        rule=rule,
    )
    verdict = "block" if reason == "uncertain_reply" or kind == "opted_out" else "n/a"
    results.publish(outcome, [Check(rule, "reply", verdict, reason, at, detail)])  # type: ignore[arg-type]
    return outcome


def _detail(channel: str, sender: str | None, text: str, reading: Reading, effect: str) -> str:
    """The evidence: who replied, what they wrote (masked), how it was read, what was done."""
    who = "an unknown sender" if sender is None else (
        mask_email(sender) if channel == "email" else mask_phone(sender)
    )  # fmt: skip
    said = masked_text(text)
    words = ", ".join(reading.words)
    return f'{channel} reply from {who}: "{said}"; read as {reading.intent} ({words}); {effect}'


def masked_text(text: str) -> str:
    """``text`` fit for the audit log: numbers and addresses masked (every digit of a run of
    four or more but the last two), cut to ``EVIDENCE_CHARS``."""

    def digits(m: re.Match[str]) -> str:
        run = m.group(0)
        total = sum(c.isdigit() for c in run)
        if total < 4:
            return run
        seen = 0
        out = []
        for c in run:
            if c.isdigit():
                seen += 1
                out.append(c if seen > total - 2 else "*")
            else:
                out.append(c)
        return "".join(out)

    cut = text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"
    return _DIGIT_RUN.sub(digits, mask(cut))
