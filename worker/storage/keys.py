"""Every Redis key remind uses, in one place.

Keys one gate decision touches carry the person's hash tag ``{p:<person>}`` so a person's whole
keyspace lands on one Redis Cluster slot. The timeline and the account index are global.
"""

from __future__ import annotations

PREFIX = "remind"
#: Sorted set: member = account id, score = instant the account's pending step is due.
TIMELINE = f"{PREFIX}:timeline"
#: Stream of every outcome record (docs/contracts.md, Outcome).
RESULTS_STREAM = f"{PREFIX}:results"


def person_tag(person_id: str) -> str:
    return "{p:" + person_id + "}"


def account_index(account_id: str) -> str:
    """String: account id -> person id (events name only the account)."""
    return f"{PREFIX}:idx:{account_id}"


def account_state(person_id: str, account_id: str) -> str:
    return f"{PREFIX}:{person_tag(person_id)}:acct:{account_id}"


def person_accounts(person_id: str) -> str:
    """Set of the account ids of one person (a conversation can cover several of its debts)."""
    return f"{PREFIX}:{person_tag(person_id)}:accounts"


def account_lock(person_id: str, account_id: str) -> str:
    return f"{PREFIX}:{person_tag(person_id)}:lock:{account_id}"


def opt_outs(person_id: str) -> str:
    """Set of ``channel`` (whole channel) or ``channel:address`` entries."""
    return f"{PREFIX}:{person_tag(person_id)}:optout"


def opt_ins(person_id: str) -> str:
    """Set of ``channel`` or ``channel:address`` entries consented to by an opt_in event."""
    return f"{PREFIX}:{person_tag(person_id)}:optin"


def debt_stops(person_id: str) -> str:
    """Hash of the person's stopped and held debts: ``stop:<debt>`` and ``hold:<debt>`` -> JSON.

    Apart from the account state on purpose: a re-enrolment rewrites that, and a stop (a cease,
    a close, a payment, an attorney) or a hold (a dispute) must outlive it.
    """
    return f"{PREFIX}:{person_tag(person_id)}:stops"


def recent_outcomes(person_id: str, account_id: str) -> str:
    return f"{PREFIX}:{person_tag(person_id)}:outcomes:{account_id}"


def dispatch_id(account_id: str, step_key: str, attempt: int) -> str:
    """The id of one send attempt of a step: its idempotency key, cap log member and receipt.

    The account id may itself hold ``:``; a reader splits from the right (``rsplit(":", 2)``).
    """
    return f"{account_id}:{step_key}:{attempt}"


def split_dispatch_id(value: str) -> tuple[str, str | None]:
    """The account id and step key of a dispatch id (the step key is None if it has none)."""
    parts = value.rsplit(":", 2)
    return (parts[0], parts[1]) if len(parts) == 3 else (parts[0], None)


def provider_status(person_id: str, what: str) -> str:
    """String: the furthest status rank a provider reported for ``what`` (``sms:<sid>``, ...)."""
    return f"{PREFIX}:{person_tag(person_id)}:twilio:{what}"


def call_parts(dispatch_id: str) -> str:
    """Hash: what a placed call says (script, voicemail, locale, number), read by the web service
    when Twilio fetches the call's TwiML; it expires a day after the call is placed."""
    return f"{PREFIX}:call:parts:{dispatch_id}"


def idempotency(person_id: str, dispatch_id: str) -> str:
    return f"{PREFIX}:{person_tag(person_id)}:sent:{dispatch_id}"


def cap_counter(person_id: str, cap_id: str, scope: str) -> str:
    """Rolling log of sends counted by one cap; ``scope`` is the person or ``debt:<id>``."""
    return f"{PREFIX}:{person_tag(person_id)}:cap:{cap_id}:{scope}"


def pinned_schedule(ref: str) -> str:
    """String: the YAML source of schedule ``name@version`` as first enrolled under."""
    return f"{PREFIX}:schedule:{ref}"


def call_counts(person_id: str, dispatch_id: str) -> str:
    """Hash: cap log key -> "score|counts" for a placed call whose result moves it between logs."""
    return f"{PREFIX}:{person_tag(person_id)}:call:{dispatch_id}"


AUDIT = f"{PREFIX}:audit"
"""Sorted set of decision records (score = decision instant), kept for the retention period."""


def pace_sender(provider: str, sender: str) -> str:
    """Sorted set of one sender's recent provider requests (``pace.lua``)."""
    return f"{PREFIX}:{{pace:{provider}}}:sender:{sender}"


def pace_in_flight(provider: str) -> str:
    """Sorted set of a provider's requests in flight; same hash tag as its senders' sets."""
    return f"{PREFIX}:{{pace:{provider}}}:inflight"


def channel_paused(channel: str) -> str:
    """String ``code|until``: a channel stopped after its provider refused our configuration."""
    return f"{PREFIX}:paused:{channel}"


def phone_accounts(number: str) -> str:
    """Set of the ids of the accounts that list ``number`` (E.164), for inbound SMS.

    Global like the account index: an inbound message names only the number it came from.
    """
    return f"{PREFIX}:phone:{number}"


#: Hash: E.164 number -> UTC instant of the STOP that opted it out of SMS, whoever holds it.
SMS_OPTED_OUT_NUMBERS = f"{PREFIX}:optout:sms"


def inbound_message(sid: str) -> str:
    """String: an inbound SMS's ``MessageSid`` seen, so a repeated delivery is handled once."""
    return f"{PREFIX}:inbound:{sid}"


#: Hash: one field per kind of outcome (``worker.storage.metrics``) -> how many were published.
METRICS_OUTCOMES = f"{PREFIX}:metrics:outcomes"


#: Sorted set of live worker processes: member = worker id, score = its last heartbeat (epoch
#: seconds, from the clock). A worker silent for ``REMIND_WORKER_HEARTBEAT_SECONDS`` is dead.
WORKERS = f"{PREFIX}:workers"
#: Hash of the leases workers hold on timeline entries: account id -> JSON ``{"holder", "due",
#: "hidden", "since", "lock", "token"}`` (``worker/storage/leases.py``); a dead holder's lease
#: is recovered.
LEASES = f"{PREFIX}:leases"

SIMULATION_MARKER = f"{PREFIX}:simulation"
"""String: marks a logical database as ``remind simulate``'s own, to empty at every run
(``worker.sim.scratch``); a database without it that holds keys is never emptied."""
