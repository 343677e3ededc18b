"""What every live channel does around its provider: pause after a configuration error, pace,
and retry, a few times and at once, a request the provider never processed.

- A ``ProviderConfigurationError`` (bad credentials, unverified sender, ...) pauses the channel
  for every worker process (a key on the state Redis) and is logged once per pause: until the
  pause ends, sends fail fast with the same error and dispatch defers them.
- A ``TransientDeliveryError`` whose wait is short (HTTP 429 with a small Retry-After, a refused
  connection) is retried here with tenacity, at most ``attempts`` times, each try paced again;
  a longer wait is handed back so dispatch defers the step.
- Nothing else is retried: an ambiguous failure may have been sent (docs/integration.md,
  Provider errors).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from worker.channels.base import Channel, OutgoingMessage, Receipt
from worker.channels.pacing import Pacer
from worker.clock import Clock, to_epoch
from worker.errors import ProviderConfigurationError, TransientDeliveryError
from worker.storage import keys

log = logging.getLogger(__name__)

#: Seconds a channel stays paused after its provider refused our configuration.
PAUSE_SECONDS = 900.0
#: Tries of one send, the first included, while the provider answers "not now".
DEFAULT_ATTEMPTS = 3
#: The longest wait retried in place; a longer Retry-After defers the step instead.
MAX_INLINE_WAIT = 10.0
#: Waits between tries when the provider gives no Retry-After: 0.5 s, then 1 s, 2 s, ...
FIRST_BACKOFF = 0.5


class Breaker:
    """The shared pause of one channel after a configuration error."""

    def __init__(self, client: redis.Redis, clock: Clock, channel: str) -> None:
        self.client = client
        self.clock = clock
        self.channel = channel
        self.key = keys.channel_paused(channel)

    def check(self) -> None:
        """Raise the pausing error again while the pause lasts."""
        value = self.client.get(self.key)
        if value is None:
            return
        code, _, until = str(value).partition("|")
        left = float(until) - to_epoch(self.clock.now())
        if left > 0:
            raise ProviderConfigurationError(
                f"{self.channel} is paused for {left:.0f}s more after provider error {code}",
                code=code or None,
                retry_after=left,
            )

    def trip(self, error: ProviderConfigurationError) -> None:
        """Pause the channel and set ``error.retry_after``; the first to pause it alerts."""
        until = to_epoch(self.clock.now()) + PAUSE_SECONDS
        value = f"{error.code or ''}|{until:.17g}"
        ttl = int(PAUSE_SECONDS) + 60  # garbage collection only: the value says until when
        first = self.client.set(self.key, value, nx=True, ex=ttl)
        if not first:
            current = str(self.client.get(self.key) or "|0").partition("|")[2]
            if float(current or 0) > to_epoch(self.clock.now()):
                error.retry_after = float(current) - to_epoch(self.clock.now())
                return  # paused already by another send: alerted then
            self.client.set(self.key, value, ex=ttl)
        log.critical(
            "channel %s paused for %.0fs: the provider refused our configuration (error %s: %s);"
            " sends are deferred until it is fixed",
            self.channel,
            PAUSE_SECONDS,
            error.code,
            error,
        )
        error.retry_after = PAUSE_SECONDS


class Guarded:
    """A live channel behind its pause, its pacer and the in-place retry of unprocessed sends."""

    def __init__(
        self,
        inner: Channel,
        *,
        breaker: Breaker,
        pacer: Pacer | None,
        sleep: Callable[[float], None],
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.breaker = breaker
        self.pacer = pacer
        self.sleep = sleep
        self.attempts = attempts

    def send(self, message: OutgoingMessage) -> Receipt:
        """Send through the provider, or raise the classified ``DeliveryError``."""
        self.breaker.check()
        retrying = Retrying(
            retry=retry_if_exception(_retry_in_place),
            stop=stop_after_attempt(self.attempts),
            wait=_wait,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, message)
        except ProviderConfigurationError as e:
            self.breaker.trip(e)
            raise

    def _once(self, message: OutgoingMessage) -> Receipt:
        if self.pacer is None:
            return self.inner.send(message)
        with self.pacer.slot():
            return self.inner.send(message)


def _retry_in_place(error: BaseException) -> bool:
    if not isinstance(error, TransientDeliveryError):
        return False
    return error.retry_after is None or error.retry_after <= MAX_INLINE_WAIT


def _wait(state: RetryCallState) -> float:
    """The provider's Retry-After when it gave one, else a doubling backoff."""
    error = state.outcome.exception() if state.outcome else None
    backoff: float = FIRST_BACKOFF * 2.0 ** (state.attempt_number - 1)
    if isinstance(error, TransientDeliveryError) and error.retry_after is not None:
        return max(float(error.retry_after), 0.0)
    return backoff
