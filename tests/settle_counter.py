"""Loaded into test worker processes after the actors: counts, in the test Redis, the messages
of the ``intake`` and ``dispatch`` queues the workers enqueue (retries, delayed messages coming
due) and every message they settle (ack or dead-letter).

A test that also counts what it enqueued knows that nothing is queued, delayed or being
processed anywhere once ``settled == enqueued by the test + enqueued by the workers``. dramatiq's
own ``join`` cannot say that on RabbitMQ: a queue's message count there leaves out the messages
consumers hold unacknowledged, so it reads zero while the workers are still deciding.
Only worker processes import this module (it adds the middleware to their broker on import).
"""

from __future__ import annotations

import os
from typing import Any

import dramatiq
import redis
from dramatiq.common import q_name

from tests.broker_helpers import ENQUEUED, SETTLED

WATCHED = ("intake", "dispatch")


class SettleCounter(dramatiq.Middleware):
    """INCRs ``ENQUEUED`` and ``SETTLED`` for messages of the watched queues."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)

    def after_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
        if q_name(message.queue_name) in WATCHED:
            self.client.incr(ENQUEUED)

    def after_ack(self, broker: Any, message: Any) -> None:
        self.client.incr(SETTLED)

    def after_nack(self, broker: Any, message: Any) -> None:
        self.client.incr(SETTLED)


# the test Redis: REDIS_URL, unless the state is on a Redis Cluster (tests/test_property_workers.py)
_COUNTER_URL = os.environ.get("TEST_COUNTER_REDIS_URL") or os.environ["REDIS_URL"]
dramatiq.get_broker().add_middleware(SettleCounter(_COUNTER_URL))
