"""Dead-lettering messages that can never succeed, at once and with a reason in the log.

dramatiq dead-letters by itself a message it cannot decode (RabbitMQ) or whose actor does not
exist. A message that decodes but whose arguments do not fit its actor (a missing account id, a
due score that is a string) would instead fail inside the actor and be retried ``max_retries``
times with growing backoff, for hours, before reaching the dead-letter queue. ``MalformedMessages``
checks the arguments against the actor's signature before it runs and sends such a message to the
dead-letter queue (``<queue>.XQ``) straight away, without a retry. Argument values are never
logged: an enrolment carries phone numbers and addresses.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any

from dramatiq import Middleware
from dramatiq.middleware import SkipMessage

log = logging.getLogger(__name__)

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


class MalformedMessages(Middleware):
    """Fails (dead-letters) a message whose arguments do not fit its actor, before it runs."""

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
        raise SkipMessage(f"malformed message: {message.actor_name}: {reason}")
