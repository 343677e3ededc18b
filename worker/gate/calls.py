"""Counting a send under the caps whose count depends on what happened after it.

A placed call counts under every call cap of its channel until its result is known (the
cautious reading); ``record_call_result`` then moves it into the logs of the caps that count
that result and out of the others. Unverified (U) caps, which only warn, are written here after
the send rather than checked in the atomic reservation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

import redis

from worker.accounts.state import AccountState
from worker.clock import to_epoch
from worker.gate.types import Judgement
from worker.storage import keys

#: The result a placed call is given right after it is sent. ``unknown`` (live workers, and the
#: simulator unless asked otherwise) waits for a ``call_result`` event, the call counting under
#: every call cap meanwhile; the others answer a simulation's "what if every call went so?".
CallResults = Literal["unknown", "answered", "voicemail", "unanswered"]


def count_after_send(
    client: redis.Redis,
    state: AccountState,
    j: Judgement,
    channel: str,
    dispatch_id: str,
    now: datetime,
    *,
    simulated_calls: CallResults = "unknown",
) -> None:
    """Count the send under unverified caps (warnings only), and for a call remember which
    logs depend on its result, so a result can move it (``record_call_result``).

    ``simulated_calls``: the result a call is given at once (``CallResults``); a later
    ``call_result`` event still moves it.
    """
    pipe = client.pipeline(transaction=False)
    for _, spec in j.unverified_specs:
        pipe.zadd(spec.key, {dispatch_id: to_epoch(now)})
        pipe.expire(spec.key, int(spec.keep_seconds) + 1)
    if channel == "voice":
        state.last_call = dispatch_id
        moved = [
            (rule, spec)
            for rule, spec in (*j.specs, *j.unverified_specs)
            if rule.counts != frozenset({"sent"})
        ]
        fields = {
            spec.key: f"{to_epoch(now)}|{','.join(sorted(rule.counts))}" for rule, spec in moved
        }
        if fields:
            key = keys.call_counts(state.person_id, dispatch_id)
            pipe.hset(key, mapping=cast("dict[Any, Any]", fields))
            pipe.expire(key, keys.call_counts_ttl(max(spec.keep_seconds for _, spec in moved)))
    pipe.execute()
    if channel == "voice" and simulated_calls != "unknown":
        record_call_result(client, state.person_id, dispatch_id, simulated_calls)


def record_call_result(client: redis.Redis, person_id: str, dispatch_id: str, result: str) -> None:
    """Move a placed call into the logs of the caps that count its result, out of the others.

    Until its result is known a call counts under every cap of its channel (the cautious
    reading); the result takes it out of those that do not count it (an answered call is not
    an unanswered one). Applying a later, different result moves it back.
    """
    fields = cast("dict[str, str]", client.hgetall(keys.call_counts(person_id, dispatch_id)))
    pipe = client.pipeline(transaction=False)
    for key, value in fields.items():
        score, counts = value.split("|", 1)
        if result in counts.split(","):
            pipe.zadd(key, {dispatch_id: float(score)})
        else:
            pipe.zrem(key, dispatch_id)
    pipe.execute()
