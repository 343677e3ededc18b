"""The no-op actor the pipeline benchmark compares dispatch with, on the same broker.

It only counts itself (one ``INCR`` on the state database), so the harness can tell when every
message has been handled; that is the least a message can cost and still be seen to finish.
Started as ``dramatiq worker.runtime.broker:setup benchmarks.noop --queues bench_noop``.
"""

from __future__ import annotations

import os

import dramatiq
import redis

from benchmarks.fixtures import NOOP_COUNTER, NOOP_QUEUE

_client: redis.Redis | None = None


@dramatiq.actor(queue_name=NOOP_QUEUE, max_retries=0)
def noop() -> None:
    """Do nothing but say so."""
    global _client
    if _client is None:  # a benchmark helper, not remind code: REDIS_URL read directly
        _client = redis.Redis.from_url(os.environ["REDIS_URL"])
    _client.incr(NOOP_COUNTER)
