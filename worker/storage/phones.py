"""The phone index and the number opt-out registry: who an inbound SMS is from, and whether its
number said STOP.

An inbound SMS names only the number it came from, so intake keeps, for each number (E.164), the
accounts that list it (``keys.phone_accounts``):

- an enrolment or a ``contact_update`` links the account to the numbers it lists now and unlinks
  it from the numbers it no longer lists (a number that changed hands stops finding the account);
- a ``close`` unlinks every number of the account: a closed account is finished for good, so a
  later message from its numbers is read as from an unknown number (still honoured if it says
  STOP, and still recorded for a person to read);
- other stops (paid, cease, an attorney) keep the links: the person may still write about that
  debt, and what they write should be found on it.

The registry (``keys.SMS_OPTED_OUT_NUMBERS``) holds every number that said STOP, whether or not
an account held it then: opting out is by number. When a number joins an account, its STOP is
copied into the person's opt-out set (``sms:<number>``), the set the gate reads, so a number
that said STOP before it was enrolled is not texted either. Only on joining: an ``opt_in``
event that later lifts the person's entry is not undone by the next enrolment. A START from the
number takes it out of the registry; an ``opt_in`` event does not (it speaks for one person).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import phonenumbers
import redis

from worker.accounts.state import AccountState
from worker.clock import isoformat_utc
from worker.storage import keys


def e164(number: str) -> str:
    """``number`` in E.164 form when it parses as a phone number, else as given (stripped):
    a short code or an alphanumeric sender keeps its own spelling."""
    raw = number.strip()
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return raw
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def listed(state: AccountState | None) -> list[str]:
    """The numbers the index holds for the account: none once it is closed."""
    if state is None or (state.status == "stopped" and state.status_reason == "closed"):
        return []
    return [p.number for p in state.account.phones]


def relink(
    client: redis.Redis, state: AccountState, before: Iterable[str], *, changes_only: bool = False
) -> None:
    """Point the index at the numbers ``state`` lists now (``before``: those it listed), and
    copy the STOP of each number that joins into the person's opt-out set. ``changes_only``: do
    nothing when the numbers are the same (an event; an enrolment always writes, which also
    indexes an account stored before the index existed)."""
    account_id, person_id = state.account_id, state.person_id
    old, new = {e164(n) for n in before}, {e164(n) for n in listed(state)}
    if changes_only and old == new:
        return
    joining = sorted(new - old)
    pipe = client.pipeline(transaction=False)
    for number in old - new:
        pipe.hdel(keys.phone_accounts(number), account_id)
        pipe.srem(keys.legacy_phone_accounts(number), account_id)
    for number in sorted(new):
        pipe.hset(keys.phone_accounts(number), account_id, "")
    if joining:
        pipe.hmget(keys.SMS_OPTED_OUT_NUMBERS, joining)
    replies = pipe.execute()
    stopped = [n for n, at in zip(joining, replies[-1], strict=True) if at] if joining else []
    if stopped:
        client.sadd(keys.opt_outs(person_id), *(f"sms:{n}" for n in stopped))


def accounts_for(client: redis.Redis, number: str) -> list[str]:
    """The ids of the accounts that list ``number``, sorted (an older version's set too)."""
    pipe = client.pipeline(transaction=False)
    pipe.hkeys(keys.phone_accounts(e164(number)))
    pipe.smembers(keys.legacy_phone_accounts(e164(number)))
    ids, legacy = pipe.execute()
    return sorted({*ids, *legacy})


def opt_out_number(client: redis.Redis, number: str, at: datetime) -> bool:
    """Record that ``number`` said STOP; False if it had already (and had not said START)."""
    return bool(client.hsetnx(keys.SMS_OPTED_OUT_NUMBERS, e164(number), isoformat_utc(at)))


def opt_in_number(client: redis.Redis, number: str) -> bool:
    """Take ``number`` out of the registry after a START; False if it was not in it."""
    return bool(client.hdel(keys.SMS_OPTED_OUT_NUMBERS, e164(number)))


def number_opted_out(client: redis.Redis, number: str) -> bool:
    """Whether ``number`` said STOP and has not said START since."""
    return bool(client.hexists(keys.SMS_OPTED_OUT_NUMBERS, e164(number)))
