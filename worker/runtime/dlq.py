"""The dead-letter queues, read and redriven (``remind dlq``), on Redis and on RabbitMQ alike.

A dead letter is a message in ``<queue>.XQ``: on Redis the sorted set ``dramatiq:<q>.XQ`` (id →
when, in milliseconds) beside the hash ``dramatiq:<q>.XQ.msgs`` (id → body); on RabbitMQ a queue,
read with ``basic_get`` and left on it (the connection closes with them unacknowledged) unless
redriven. Why it is there comes from the ``DEAD_LETTER`` option a worker wrote
(``worker.runtime.deadletter``), else from what the broker says (RabbitMQ's ``x-death``, a body
that is not a dramatiq message).

Redriving enqueues the message again on its queue, with its id, arguments and options but
without the dead-letter note and dramatiq's retry count, and only then removes the dead letter:
a crash in between leaves both (the actors are safe to run twice); never neither. A message that
is still malformed is dead-lettered again by the worker, with its reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dramatiq
import pika
from dramatiq.common import xq_name
from dramatiq.errors import DecodeError

from worker.clock import isoformat_utc
from worker.logs import mask
from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.deadletter import DEAD_LETTER

#: Options a redriven message leaves behind: the note, and dramatiq's retry bookkeeping.
DROPPED = (DEAD_LETTER, "retries", "traceback", "requeue_timestamp", "redis_message_id", "eta")
#: Counts how often a message was redriven.
REDRIVEN = "remind_redriven"
#: Argument keys whose values are personal whatever they look like: shown as their last 2 chars.
PERSONAL = frozenset({"number", "phone", "to", "from", "address", "email", "line1", "line2"})


@dataclass(frozen=True)
class DeadLetter:
    """One message in a dead-letter queue, as ``remind dlq list`` shows it."""

    queue: str
    message_id: str  # dramatiq's; ``raw:<sha1>`` for a body that is not a dramatiq message
    actor: str | None
    reason: str
    at: str | None  # when it was dead-lettered (ISO 8601, UTC)
    args: str  # the arguments as JSON, phone numbers and emails masked
    message: dramatiq.Message[Any] | None = field(default=None, repr=False, compare=False)
    handle: Any = field(default=None, repr=False, compare=False)  # Redis id / RabbitMQ tag

    def as_json(self) -> dict[str, Any]:
        """The contract of ``remind dlq list --json`` (docs/contracts.md, Command line)."""
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "actor": self.actor,
            "reason": self.reason,
            "at": self.at,
            "args": self.args,
        }


def masked(value: Any) -> Any:
    """``value`` with every phone number and email masked, and the values of personal keys."""
    if isinstance(value, dict):
        return {
            k: _tail(v) if k in PERSONAL and isinstance(v, str) else masked(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return mask(value) if isinstance(value, str) else value


def _tail(value: str) -> str:
    return "*" * max(len(value) - 2, 0) + value[-2:]


def read(queue: str, handle: Any, body: bytes, when: datetime | None, cause: str) -> DeadLetter:
    """A dead letter from its raw body; ``cause`` is what the broker says when no note does."""
    if when is not None and when.tzinfo is None:  # pika decodes AMQP timestamps naive, in UTC
        when = when.replace(tzinfo=UTC)
    try:
        message = dramatiq.Message.decode(body)
    except DecodeError:
        digest = hashlib.sha1(body).hexdigest()[:12]  # an id, not a secret
        at = isoformat_utc(when) if when else None
        return DeadLetter(
            queue, f"raw:{digest}", None, "not a dramatiq message", at, "", None, handle
        )
    note = message.options.get(DEAD_LETTER) or {}
    args = json.dumps(masked({"args": list(message.args), "kwargs": message.kwargs}))
    return DeadLetter(
        queue=queue,
        message_id=message.message_id,
        actor=message.actor_name,
        reason=str(note.get("reason") or cause),
        at=note.get("at") or (isoformat_utc(when) if when else None),
        args=args,
        message=message,
        handle=handle,
    )


def again(message: dramatiq.Message[Any]) -> dramatiq.Message[Any]:
    """The message to enqueue again: same id and arguments, the dead-letter bookkeeping gone."""
    options = {k: v for k, v in message.options.items() if k not in DROPPED}
    options[REDRIVEN] = int(message.options.get(REDRIVEN, 0)) + 1
    return dramatiq.Message(
        queue_name=message.queue_name,
        actor_name=message.actor_name,
        args=message.args,
        kwargs=message.kwargs,
        options=options,
        message_id=message.message_id,
        message_timestamp=message.message_timestamp,
    )


class DeadLetters:
    """The dead-letter queues of ``queues`` on the broker at ``url``; use as a context manager
    (on RabbitMQ the letters read stay held by this session until it ends)."""

    def __init__(self, url: str, queues: tuple[str, ...]) -> None:
        self.url = url
        self.queues = queues
        self.broker = make_broker(url)
        self._held: Any = None  # RabbitMQ: the channel holding the letters read

    def __enter__(self) -> DeadLetters:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._held is not None:
            self._held.connection.close()  # unacknowledged letters go back to their queue
            self._held = None
        self.broker.close()

    def letters(self) -> list[DeadLetter]:
        """Every dead letter of every queue, oldest first within a queue."""
        found: list[DeadLetter] = []
        for queue in self.queues:
            found += self._amqp(queue) if is_amqp(self.url) else self._redis(queue)
        return found

    def redrive(self, letter: DeadLetter) -> None:
        """Enqueue ``letter`` on its queue again, then take it off the dead-letter queue."""
        if letter.message is None:
            raise ValueError(
                f"{letter.message_id} is not a dramatiq message: it cannot be redriven"
            )
        self.broker.declare_queue(letter.queue)
        self.broker.enqueue(again(letter.message))
        if is_amqp(self.url):
            self._held.basic_ack(letter.handle)
            return
        base = f"{self.broker.namespace}:{xq_name(letter.queue)}"
        with self.broker.client.pipeline() as pipe:
            pipe.zrem(base, letter.handle)
            pipe.hdel(f"{base}.msgs", letter.handle)
            pipe.execute()

    def _redis(self, queue: str) -> list[DeadLetter]:
        base = f"{self.broker.namespace}:{xq_name(queue)}"
        client = self.broker.client
        scored = client.zrange(base, 0, -1, withscores=True)
        if not scored:
            return []
        bodies = client.hmget(f"{base}.msgs", [rid for rid, _ in scored])
        out: list[DeadLetter] = []
        for (rid, ms), body in zip(scored, bodies, strict=True):
            if body is None:  # expired between the two reads
                continue
            when = datetime.fromtimestamp(ms / 1000, UTC)
            handle = rid.decode() if isinstance(rid, bytes) else rid
            out.append(read(queue, handle, body, when, "failed"))
        return out

    def _amqp(self, queue: str) -> list[DeadLetter]:
        self.broker.declare_queue(queue, ensure=True)
        if self._held is None:
            connection = pika.BlockingConnection(self.broker.parameters)
            self._held = connection.channel()
        out: list[DeadLetter] = []
        while True:
            method, props, body = self._held.basic_get(xq_name(queue), auto_ack=False)
            if method is None:
                return out
            deaths = (props.headers or {}).get("x-death") or [{}]
            when = deaths[0].get("time")
            cause = str(deaths[0].get("reason") or "failed")
            out.append(read(queue, method.delivery_tag, body, when, cause))


@contextmanager
def dead_letters(url: str, queues: tuple[str, ...]) -> Iterator[DeadLetters]:
    """``DeadLetters`` for the block."""
    with DeadLetters(url, queues) as letters:
        yield letters
