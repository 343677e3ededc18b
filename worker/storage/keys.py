"""Every Redis key remind uses, in one place, and which Redis Cluster slot each lands on.

Keys one gate decision touches carry the person's hash tag ``{p:<person>}`` so a person's whole
keyspace lands on one Redis Cluster slot. The timeline is split into ``TIMELINE_SHARDS`` sorted
sets, each with its own hash tag ``{tl:<n>}`` shared by that shard's leases, so one claim or one
lease script touches one slot; an account's shard is fixed by a hash of its id (``shard_of``).
The account index, the phone index and the other global keys stand alone: no script and no
transaction combines them with a key of another slot (docs/architecture.md, Timeline shards
and Redis Cluster).

Every key starts with the prefix (``remind``). ``remind simulate`` on a Redis Cluster, which has
one database only, runs under its own prefix instead of a database number (``use_prefix``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

#: The prefix of every key of a normal run.
PREFIX = "remind"
#: Sorted sets the timeline is split into (``timeline``); fixed for the life of a keyspace:
#: changing it moves accounts to other shards, so entries placed before are no longer found.
TIMELINE_SHARDS = 16

_prefix = PREFIX

#: The global keys without arguments (read as attributes: ``keys.WORKERS``), under the prefix.
_GLOBAL = {
    # Stream of every outcome record (docs/contracts.md, Outcome).
    "RESULTS_STREAM": "results",
    # Before timeline shards: the one timeline sorted set and the one audit sorted set, read
    # only to move what an older version left there (``Timeline.adopt_legacy``, the export).
    "LEGACY_TIMELINE": "timeline",
    "LEGACY_AUDIT": "audit",
    # Hash: E.164 number -> UTC instant of the STOP that opted it out of SMS, whoever holds it.
    "SMS_OPTED_OUT_NUMBERS": "optout:sms",
    # Hash: one field per kind of outcome (``worker.storage.metrics``) -> how many were published.
    "METRICS_OUTCOMES": "metrics:outcomes",
    # Sorted set of live worker processes: member = worker id, score = its last heartbeat (epoch
    # seconds, from the clock). A worker silent for ``REMIND_WORKER_HEARTBEAT_SECONDS`` is dead.
    "WORKERS": "workers",
}


def __getattr__(name: str) -> str:
    """``keys.WORKERS`` and the other global keys of ``_GLOBAL``, under the current prefix."""
    if name in _GLOBAL:
        return f"{_prefix}:{_GLOBAL[name]}"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def prefix() -> str:
    """The prefix keys are made with now."""
    return _prefix


@contextmanager
def use_prefix(name: str) -> Iterator[None]:
    """Make every key under ``name`` instead of ``remind`` for the block (the whole process: a
    simulation on a Redis Cluster keeps its keys apart from a live run's this way)."""
    global _prefix
    before, _prefix = _prefix, name
    try:
        yield
    finally:
        _prefix = before


def shard_of(account_id: str) -> int:
    """The timeline shard of ``account_id``: CRC-32 of its id, stable across processes and
    Python versions (``hash()`` is salted per process)."""
    return zlib.crc32(account_id.encode()) % TIMELINE_SHARDS


def timeline(shard: int) -> str:
    """Sorted set of one shard: member = account id, score = instant its pending step is due."""
    return f"{_prefix}:{{tl:{shard}}}:timeline"


def leases(shard: int) -> str:
    """Hash of the leases workers hold on one timeline shard's entries: account id -> JSON
    ``{"holder", "due", "hidden", "since", "lock", "token"}`` (``worker/storage/leases.py``).
    Same hash tag as the shard, so the lease scripts touch one slot."""
    return f"{_prefix}:{{tl:{shard}}}:leases"


def audit(shard: int) -> str:
    """Sorted set of one shard of the audit log of older versions: whole decision records (score
    = decision instant), read only to move them to the archive (``worker.storage.auditlog``)."""
    return f"{_prefix}:{{au:{shard}}}:audit"


def audit_log(shard: int) -> str:
    """Stream of one shard of the audit log: each decision record (``r``) of the accounts of
    timeline shard ``shard`` until the archiver has stored it durably and trimmed it. Its own
    hash tag, so the log's writes spread over the cluster apart from the timeline's."""
    return f"{_prefix}:{{au:{shard}}}:audit:log"


def audit_recent(shard: int) -> str:
    """Sorted set of one shard's recent decisions without their rule checks (score = decision
    instant), kept ``REMIND_AUDIT_REDIS_DAYS`` for ``remind status``; same slot as its stream."""
    return f"{_prefix}:{{au:{shard}}}:audit:recent"


def person_tag(person_id: str) -> str:
    return "{p:" + person_id + "}"


def account_index(account_id: str) -> str:
    """String: account id -> person id (events name only the account)."""
    return f"{_prefix}:idx:{account_id}"


def account_state(person_id: str, account_id: str) -> str:
    return f"{_prefix}:{person_tag(person_id)}:acct:{account_id}"


def person_accounts(person_id: str) -> str:
    """Hash whose fields are the account ids of one person, values empty (a conversation can
    cover several of its debts). A hash, not a set: Redis keeps a small hash as a listpack
    (~100 B) and a set of strings as a hash table (~250 B) whatever its size."""
    return f"{_prefix}:{person_tag(person_id)}:accts"


def legacy_person_accounts(person_id: str) -> str:
    """Set of a person's account ids as older versions kept it: read along with
    ``person_accounts``, never written."""
    return f"{_prefix}:{person_tag(person_id)}:accounts"


def account_lock(person_id: str, account_id: str) -> str:
    return f"{_prefix}:{person_tag(person_id)}:lock:{account_id}"


def opt_outs(person_id: str) -> str:
    """Set of ``channel`` (whole channel) or ``channel:address`` entries."""
    return f"{_prefix}:{person_tag(person_id)}:optout"


def opt_ins(person_id: str) -> str:
    """Set of ``channel`` or ``channel:address`` entries consented to by an opt_in event."""
    return f"{_prefix}:{person_tag(person_id)}:optin"


def debt_stops(person_id: str) -> str:
    """Hash of the person's stopped and held debts: ``stop:<debt>`` and ``hold:<debt>`` -> JSON.

    Apart from the account state on purpose: a re-enrolment rewrites that, and a stop (a cease,
    a close, a payment, an attorney) or a hold (a dispute) must outlive it.
    """
    return f"{_prefix}:{person_tag(person_id)}:stops"


def recent_outcomes(person_id: str, account_id: str) -> str:
    return f"{_prefix}:{person_tag(person_id)}:outcomes:{account_id}"


#: Between a step key and its cadence's cycle in a dispatch id: ``early.1~c2``. Step keys hold
#: a-z 0-9 ``_ - . #`` and a plan's ``~p<n>`` or ``~q<n>``; account ids hold no ``~``.
CYCLE_MARK = "~c"


def dispatch_id(account_id: str, step_key: str, attempt: int, cycle: int = 0) -> str:
    """The id of one send attempt of a step: its idempotency key, cap log member and receipt.

    ``<account>:<step key>:<attempt>`` in an account's first cadence (``cycle`` 0, the
    ``AccountState.cycle`` of an account never re-enrolled with a new due date), and
    ``<account>:<step key>~c<cycle>:<attempt>`` in a later one, so a new cadence's steps are
    new sends and the claims its earlier cadence left (kept 90 days) do not match them.
    The account id may itself hold ``:``; a reader splits from the right (``rsplit(":", 2)``).
    """
    step = step_key if cycle == 0 else f"{step_key}{CYCLE_MARK}{cycle}"
    return f"{account_id}:{step}:{attempt}"


def split_dispatch_id(value: str) -> tuple[str, str | None]:
    """The account id and step key of a dispatch id, without its cycle (the step key is None if
    it has none)."""
    parts = value.rsplit(":", 2)
    if len(parts) != 3:
        return parts[0], None
    return parts[0], parts[1].partition(CYCLE_MARK)[0]


def provider_status(person_id: str, what: str) -> str:
    """String: the furthest status rank a provider reported for ``what`` (``sms:<sid>``, ...)."""
    return f"{_prefix}:{person_tag(person_id)}:twilio:{what}"


def call_parts(dispatch_id: str) -> str:
    """Hash: what a placed call says (script, voicemail, locale, number), read by the web service
    when Twilio fetches the call's TwiML; it expires a day after the call is placed."""
    return f"{_prefix}:call:parts:{dispatch_id}"


def idempotency(person_id: str, dispatch_id: str) -> str:
    """String: the at-most-once claim of one send (``Caps``), kept 90 days.

    It may go only when its dispatch id can never come up again, and it can: in the same
    cadence on a redelivered message or a dead worker's recovered entry, and whenever
    ``remind schedules migrate`` looks for an attempt never claimed. (A new cadence, started by
    an enrolment with a new due date, sends under ids of its own cycle: ``dispatch_id``.) Only
    a debt stopped for good never runs a step again, and its claims cannot be found without a
    scan: hence no shorter TTL (benchmarks/RESULTS.md, Memory, 2026-11-29)."""
    return f"{_prefix}:{person_tag(person_id)}:sent:{dispatch_id}"


def cap_counter(person_id: str, cap_id: str, scope: str) -> str:
    """Rolling log of sends counted by one cap; ``scope`` is the person or ``debt:<id>``."""
    return f"{_prefix}:{person_tag(person_id)}:cap:{cap_id}:{scope}"


def pinned_schedule(ref: str) -> str:
    """String: the YAML source of schedule ``name@version`` as first enrolled under."""
    return f"{_prefix}:schedule:{ref}"


def call_counts(person_id: str, dispatch_id: str) -> str:
    """Hash: cap log key -> "score|counts" for a placed call whose result moves it between logs
    (kept ``call_counts_ttl``)."""
    return f"{_prefix}:{person_tag(person_id)}:call:{dispatch_id}"


def call_counts_ttl(keep_seconds: float) -> int:
    """Seconds a call's ``call_counts`` hash is kept, given the longest time its logs keep an
    entry (``CapSpec.keep_seconds``, from the call's instant): past it the call counts in none
    of them (the reservation trims what is older), so a result moving it in or out of a log
    changes no count. It was 40 days, whatever the logs; a week for the usual 7-day caps."""
    return math.ceil(keep_seconds) + 1


def pace_sender(provider: str, sender: str) -> str:
    """Sorted set of one sender's recent provider requests (``pace.lua``)."""
    return f"{_prefix}:{{pace:{provider}}}:sender:{sender}"


def pace_in_flight(provider: str) -> str:
    """Sorted set of a provider's requests in flight; same hash tag as its senders' sets."""
    return f"{_prefix}:{{pace:{provider}}}:inflight"


def channel_paused(channel: str) -> str:
    """String ``code|until``: a channel stopped after its provider refused our configuration."""
    return f"{_prefix}:paused:{channel}"


def phone_accounts(number: str) -> str:
    """Hash whose fields are the ids of the accounts that list ``number`` (E.164), values
    empty, for inbound SMS (a hash for the reason ``person_accounts`` is one).

    Global like the account index: an inbound message names only the number it came from.
    """
    return f"{_prefix}:phones:{number}"


def legacy_phone_accounts(number: str) -> str:
    """Set of the ids of the accounts listing ``number`` as older versions kept it: read along
    with ``phone_accounts``; an account that stops listing the number is taken out of both."""
    return f"{_prefix}:phone:{number}"


def inbound_message(sid: str) -> str:
    """String: an inbound SMS's ``MessageSid`` seen, so a repeated delivery is handled once."""
    return f"{_prefix}:inbound:{sid}"


SIMULATION_MARKER = f"{PREFIX}:simulation"
"""String: marks a logical database as ``remind simulate``'s own, to empty at every run
(``worker.sim.scratch``); a database without it that holds keys is never emptied. Not under a
simulation's prefix: on a Redis Cluster simulations own the ``remind-sim`` keys and need none."""


def beside(key: str, name: str) -> str:
    """A key called ``name`` on the Redis Cluster slot of ``key``: under its hash tag, or, for a
    key without one, with the whole key as the tag (the slot hashes the same text; remind makes
    no key with an empty tag ``{}``, the one case this cannot match)."""
    start = key.find("{")
    end = key.find("}", start + 1) if start != -1 else -1
    tag = key[start + 1 : end] if end > start + 1 else key
    return f"{_prefix}:{{{tag}}}:{name}"
