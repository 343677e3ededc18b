"""Fake channels for tests of code that sends: one made from a function, one that fails.

Shipped with the package so that a project wiring remind can test its own code without a
provider: ``App(settings, client, clock, channels={"sms": FunctionChannel(...)})``. Both stand
at the outermost seam, ``worker.channels.base.Channel``, like a provider adapter would.
"""

from __future__ import annotations

from collections.abc import Callable

from worker.channels.base import Channel, OutgoingMessage, Receipt
from worker.errors import PermanentDeliveryError, TransientDeliveryError

__all__ = ["FailingChannel", "FunctionChannel"]


class FunctionChannel:
    """A channel whose ``send`` is ``handler``: ``FunctionChannel(lambda m: Receipt("p", "1"))``.

    ``handler`` may raise ``DeliveryError`` as a provider adapter would. Every message handed to
    ``send`` is kept in ``sent``, in order, whatever the handler did with it.
    """

    def __init__(
        self, handler: Callable[[OutgoingMessage], Receipt], *, name: str = "function"
    ) -> None:
        self.name = name
        self.handler = handler
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> Receipt:
        """Keep ``message`` and return what the handler says."""
        self.sent.append(message)
        return self.handler(message)


class FailingChannel:
    """A channel that raises ``DeliveryError``: on every send, or on the first ``times`` only.

    ``permanent`` chooses ``PermanentDeliveryError`` (never retried) or
    ``TransientDeliveryError`` (retried later); ``code`` is the provider's error code. Once
    ``times`` failures have been raised, sends go to ``then`` (by default a receipt from this
    channel whose provider id is the dispatch id). Every message handed to ``send`` is kept in
    ``sent``; ``failures`` counts the errors raised.
    """

    def __init__(
        self,
        *,
        permanent: bool,
        code: str | None = None,
        times: int | None = None,
        then: Channel | None = None,
        name: str = "failing",
    ) -> None:
        self.name = name
        self.permanent = permanent
        self.code = code
        self.times = times
        self.then = then
        self.sent: list[OutgoingMessage] = []
        self.failures = 0

    def send(self, message: OutgoingMessage) -> Receipt:
        """Fail while failures are due; then hand the message on."""
        self.sent.append(message)
        if self.times is None or self.failures < self.times:
            self.failures += 1
            error = PermanentDeliveryError if self.permanent else TransientDeliveryError
            # the dispatch id, never the recipient: errors end up in logs
            raise error(f"{self.name} refused dispatch {message.dispatch_id}", code=self.code)
        if self.then is not None:
            return self.then.send(message)
        return Receipt(self.name, message.dispatch_id)


#: mypy checks here that both fakes satisfy the Channel protocol.
_CHANNELS: tuple[type[Channel], ...] = (FunctionChannel, FailingChannel)
