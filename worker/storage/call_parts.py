"""What a placed call says, kept for the web service that serves it (``keys.call_parts``).

A live call carries no TwiML: Twilio fetches it from ``PUBLIC_BASE_URL/twilio/voice/twiml`` once
answering-machine detection has decided who answered (``worker.channels.voice``). The rendered
script, the voicemail part, the locale and the number called are written here when the call is
placed and read back by ``worker.web`` for the TwiML and the keypresses that follow. They expire
after ``TTL_SECONDS``: a call is over long before, and the script names the person and the debt,
so it is not kept longer than the call needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import redis

from worker.storage import keys

#: Seconds the parts of a call are kept after it is placed.
TTL_SECONDS = 86_400


@dataclass(frozen=True)
class CallParts:
    """The rendered parts of one call."""

    script: str
    voicemail: str | None
    locale: str
    to: str


def save_call_parts(client: redis.Redis, dispatch_id: str, parts: CallParts) -> None:
    """Keep ``parts`` for ``TTL_SECONDS`` under the call's dispatch id (replacing older ones)."""
    key = keys.call_parts(dispatch_id)
    fields: dict[str | bytes, str] = {
        "script": parts.script,
        "locale": parts.locale,
        "to": parts.to,
    }
    if parts.voicemail is not None:
        fields["voicemail"] = parts.voicemail
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    pipe.hset(key, mapping=cast("dict[Any, Any]", fields))
    pipe.expire(key, TTL_SECONDS)
    pipe.execute()


def load_call_parts(client: redis.Redis, dispatch_id: str) -> CallParts | None:
    """The parts of the call ``dispatch_id``; None if never placed or expired."""
    raw: dict[str, str] = client.hgetall(keys.call_parts(dispatch_id))  # type: ignore[assignment]
    if not raw or "script" not in raw or "locale" not in raw:
        return None
    return CallParts(raw["script"], raw.get("voicemail"), raw["locale"], raw.get("to", ""))


def forget_call_parts(client: redis.Redis, dispatch_id: str) -> None:
    """Drop the parts of a call that was never placed."""
    client.delete(keys.call_parts(dispatch_id))
