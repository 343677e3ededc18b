"""A results consumer as a dramatiq actor on remind's results queue.

    dramatiq results_consumer --path examples     # a worker for the actor, as your system runs it
    REDIS_URL=redis://127.0.0.1:6390 python examples/results_consumer.py --drain

remind enqueues every outcome as a message for the actor ``reminder_result`` on the queue
``reminder_results`` (``REMIND_RESULTS_ACTOR``, ``REMIND_RESULTS_QUEUE``) on its broker
(``BROKER_URL``, else the Redis server's DB 1; an ``amqp://`` URL is RabbitMQ). Your system
declares that actor on a broker pointing there; it needs none of remind's code. The queue holds
at most ``REMIND_RESULTS_QUEUE_MAX`` messages: past that, outcomes wait on the stream
``remind:results`` only (see ``examples/results_stream.py``). ``--drain`` handles what is queued
and exits.
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dramatiq
from dramatiq.broker import Broker
from dramatiq.brokers.redis import RedisBroker


def broker_url() -> str:
    """``BROKER_URL``, else ``REDIS_URL`` on database 1, as remind itself chooses."""
    if os.environ.get("BROKER_URL"):
        return os.environ["BROKER_URL"]
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6390"))
    return urlunsplit(parts._replace(path="/1"))


def make_broker(url: str) -> Broker:
    """RabbitMQ for ``amqp://`` and ``amqps://`` URLs (``pip install 'dramatiq[rabbitmq]'``),
    else Redis."""
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    return RedisBroker(url=url)


broker = make_broker(broker_url())
dramatiq.set_broker(broker)
QUEUE = os.environ.get("REMIND_RESULTS_QUEUE", "reminder_results")
ACTOR = os.environ.get("REMIND_RESULTS_ACTOR", "reminder_result")


@dramatiq.actor(actor_name=ACTOR, queue_name=QUEUE, max_retries=3)
def reminder_result(outcome: dict[str, Any]) -> None:
    """Your system's work: here, one line per outcome (docs/contracts.md, Outcome)."""
    print(outcome["account_id"], outcome["outcome"], outcome.get("reason") or "-", flush=True)


def drain(timeout_ms: int) -> None:
    """Run a worker in this process until the queue is empty, then stop it."""
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        broker.join(QUEUE, timeout=timeout_ms)  # nothing waits on the queue any more
        worker.join()  # and what the worker had already fetched is handled
    finally:
        worker.stop()


if __name__ == "__main__":
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--drain", action="store_true", help="handle what is queued, then exit")
    args.add_argument("--timeout-ms", type=int, default=30_000)
    opts = args.parse_args()
    if opts.drain:
        drain(opts.timeout_ms)
    else:
        args.error(
            "run it under dramatiq (dramatiq results_consumer --path examples), or with --drain"
        )
