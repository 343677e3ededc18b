"""Dead-lettering messages that can never succeed, at once and with a reason in the log.

dramatiq dead-letters by itself a message it cannot decode (RabbitMQ) or whose actor does not
exist. A message that decodes but whose arguments do not fit its actor (a missing account id, a
due score that is a string) would instead fail inside the actor and be retried ``max_retries``
times with growing backoff, for hours, before reaching the dead-letter queue. ``MalformedMessages``
checks the arguments against the actor's signature before it runs and sends such a message to the
dead-letter queue (``<queue>.XQ``) straight away, without a retry. Argument values are never
logged: an enrolment carries phone numbers and addresses.

Every message a worker dead-letters, whatever the cause (arguments that do not fit, an actor this
worker does not have, retries used up), carries why in its options under ``DEAD_LETTER``:
``{"reason", "at", "queue", "actor"}``, ``at`` read from remind's clock. On Redis the copy in the
dead-letter queue is rewritten with it after dramatiq moved it there; on RabbitMQ, where a
rejected message is dead-lettered as it arrived, the consumer publishes the annotated message to
the dead-letter queue and acknowledges the original (``worker.runtime.rabbitmq``). ``remind dlq``
reads it (``worker.runtime.dlq``). The reason never quotes argument values; an exception's text
is masked.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any

from dramatiq import Middleware
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import q_name, xq_name
from dramatiq.errors import ActorNotFound, DecodeError
from dramatiq.middleware import SkipMessage

from worker.clock import Clock, SystemClock, isoformat_utc
from worker.errors import RemindError
from worker.logs import mask

log = logging.getLogger(__name__)

#: The message option that says why, when and from where a message was dead-lettered.
DEAD_LETTER = "remind_dead_letter"
#: The longest exception text kept in a reason.
MAX_DETAIL = 200

#: The JSON types an annotated actor parameter may arrive as, by annotation.
_ACCEPTS: dict[Any, tuple[type, ...]] = {
    str: (str,),
    float: (int, float),
    int: (int,),
    type(None): (type(None),),
}


def misfit(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """Why ``args`` and ``kwargs`` cannot be passed to ``fn``, or ``None`` if they can.

    Arity and names are checked against the signature; a parameter annotated with ``str``,
    ``float``, ``int`` or a union of them and ``None`` must hold a value of that JSON type (``Any``
    is not checked: the actor validates it against the contract).
    """
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        return str(e)
    hints = typing.get_type_hints(fn)
    for name, value in bound.arguments.items():
        accepted = _accepted(hints.get(name, Any))
        if accepted is not None and (
            not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted)
        ):
            wanted = " or ".join(sorted({_json_name(t) for t in accepted}))
            return f"{name}: expected {wanted}, got {_json_name(type(value))}"
    return None


def _accepted(hint: Any) -> tuple[type, ...] | None:
    if hint in _ACCEPTS:
        return _ACCEPTS[hint]
    members = typing.get_args(hint)
    if members and all(m in _ACCEPTS for m in members):
        return tuple(t for m in members for t in _ACCEPTS[m])
    return None  # Any, or a type this check does not know: left to the actor


def _json_name(t: type) -> str:
    return {
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        type(None): "null",
        list: "array",
        dict: "object",
    }.get(t, t.__name__)


def why(message: Any) -> str:
    """The reason a failed message is dead-lettered, from what the worker stuffed into it."""
    error = getattr(message, "_exception", None)
    if isinstance(error, SkipMessage) and str(error).startswith(_MALFORMED):
        return f"malformed: {str(error).removeprefix(_MALFORMED)}"
    if isinstance(error, ActorNotFound):
        return f"unknown actor: {message.actor_name}"
    if error is not None:
        detail = mask(str(error))[:MAX_DETAIL]
        said = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        retries = message.options.get("retries")
        return f"failed after {retries} tries: {said}" if retries else said
    return "failed by middleware (age or time limit)"


def annotate(message: Any, clock: Clock) -> dict[str, Any]:
    """Write ``DEAD_LETTER`` into a failed message's options (once) and return it; the
    traceback dramatiq kept in them is masked."""
    note: dict[str, Any] = message.options.get(DEAD_LETTER) or {}
    if "at" not in note:
        note = {
            "reason": why(message),
            "at": isoformat_utc(clock.now()),
            "queue": q_name(message.queue_name),
            "actor": message.actor_name,
        }
        message.options[DEAD_LETTER] = note
        if isinstance(message.options.get("traceback"), str):
            # dramatiq's Retries keeps the last failure's traceback, which may quote a number
            message.options["traceback"] = mask(message.options["traceback"])
    return note


def _app_clock() -> Clock:
    try:  # imported here: the app's module imports the broker, which imports this one
        from worker.runtime.instance import get_app

        return get_app().clock
    except RemindError:  # a process without remind's settings: the wall clock
        return SystemClock()


_MALFORMED = "malformed message: "


class MalformedMessages(Middleware):
    """Fails (dead-letters) a message whose arguments do not fit its actor, before it runs, and
    writes why into every message a worker dead-letters (``DEAD_LETTER``)."""

    def __init__(self, clock: Callable[[], Clock] = _app_clock) -> None:
        self.clock = clock

    def before_process_message(self, broker: Any, message: Any) -> None:
        """Check the arguments; on a misfit, fail the message and skip it (no retry)."""
        actor = broker.get_actor(message.actor_name)
        reason = misfit(actor.fn, tuple(message.args), dict(message.kwargs))
        if reason is None:
            return
        log.error(
            "dead-lettering message %s for actor %s on queue %s: %s",
            message.message_id,
            message.actor_name,
            message.queue_name,
            reason,
        )
        message.fail()
        raise SkipMessage(f"{_MALFORMED}{reason}")

    def before_nack(self, broker: Any, message: Any) -> None:
        """Say why: RabbitMQ's consumer publishes the annotated message in place of the nack."""
        annotate(message, self.clock())

    def after_nack(self, broker: Any, message: Any) -> None:
        """On Redis, rewrite the dead-lettered copy (dramatiq moved it as it was enqueued)."""
        redis_id = message.options.get("redis_message_id")
        client = getattr(broker, "client", None)
        if redis_id is None or client is None:
            return
        dead = f"{broker.namespace}:{xq_name(q_name(message.queue_name))}.msgs"
        if client.hexists(dead, redis_id):
            client.hset(dead, redis_id, message._message.encode())


class DeadLetteringRedisConsumer(_RedisConsumer):
    """dramatiq's Redis consumer, except that a body that is not a dramatiq message is
    dead-lettered at once, as RabbitMQ's consumer does, instead of crashing the consumer (which
    then drops the messages it had prefetched until the worker restarts, and meets the same
    body again when they come back)."""

    def __next__(self) -> Any:
        while True:
            try:
                return super().__next__()  # type: ignore[no-untyped-call]
            except DecodeError as e:
                self._dead_letter_raw(e.data)

    def _dead_letter_raw(self, data: Any) -> None:
        broker = self.broker
        acks = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        bodies = f"{broker.namespace}:{self.queue_name}.msgs"
        for rid in broker.client.smembers(acks):
            if broker.client.hget(bodies, rid) == data:
                log.error(
                    "dead-lettering a body on queue %s that is not a dramatiq message (%d bytes)",
                    self.queue_name,
                    len(data),
                )
                broker.do_nack(self.queue_name, rid.decode())
                return


class RemindRedisBroker(RedisBroker):
    """``RedisBroker`` whose consumers dead-letter a body that is not a dramatiq message."""

    @property
    def consumer_class(self) -> type[DeadLetteringRedisConsumer]:
        """The consumer every queue gets."""
        return DeadLetteringRedisConsumer
