"""Provider pacing shared by every worker process: messages a second per sender, and a cap on
the provider requests in flight at once (``pace.lua``, on the state Redis).

A carrier filters a long code that sends faster than it may, and Twilio answers 429 to an
account with too many requests open; both are cheaper to avoid than to retry. Time comes from
the injected clock and waiting from the injected ``sleep``, so tests run on virtual time.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from worker.clock import Clock, to_epoch
from worker.errors import TransientDeliveryError
from worker.storage import keys
from worker.storage.scripts import load_script

#: Seconds a request may wait for its slot before the send is handed back to be retried later.
DEFAULT_MAX_WAIT = 30.0
#: Seconds to wait before asking again when every slot in flight is taken.
IN_FLIGHT_RETRY = 0.05


class Pacer:
    """Slots for one sender of one provider: ``with pacer.slot(): <one provider request>``."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        *,
        provider: str,
        sender: str,
        per_second: float,
        in_flight: int,
        hold_seconds: float,
        sleep: Callable[[float], None],
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        self.client = client
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait
        self.in_flight = in_flight
        self.hold_seconds = hold_seconds
        self.limit, self.window = window_for(per_second)
        self._keys = [keys.pace_sender(provider, sender), keys.pace_in_flight(provider)]
        self._script = load_script(client, "pace")

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a slot, hold it while the block runs, give it back after."""
        request = uuid.uuid4().hex
        waited = 0.0
        while (wait := self._take(request)) > 0:
            if waited + wait > self.max_wait:
                raise TransientDeliveryError(
                    f"no provider slot within {self.max_wait:g}s", code="paced", retry_after=wait
                )
            self.sleep(wait)
            waited += wait
        try:
            yield
        finally:
            self.client.zrem(self._keys[1], request)

    def _take(self, request: str) -> float:
        args = [
            f"{to_epoch(self.clock.now()):.17g}",
            request,
            self.limit,
            f"{self.window:.17g}",
            self.in_flight,
            f"{self.hold_seconds:.17g}",
            IN_FLIGHT_RETRY,
        ]
        return float(self._script(keys=self._keys, args=args))


def window_for(per_second: float) -> tuple[int, float]:
    """(requests, seconds): ``2.5`` a second is 2 in any second; ``0.5`` is 1 in any 2 seconds."""
    if per_second >= 1:
        return math.floor(per_second), 1.0
    return 1, 1 / per_second
