"""Broker throughput on Redis and RabbitMQ, with remind's own broker configuration, as JSON.

Run: ``.venv/bin/python benchmarks/bench_brokers.py`` (``--help`` for sizes and the RabbitMQ
URL). Redis is the embedded redis-server in a temporary directory; RabbitMQ is the server at
``--amqp-url`` (skipped when none answers). Each figure is messages per second:

- ``enqueue``: one thread sending ``dispatch``-like messages (``make_broker``: publisher confirms
  on RabbitMQ, so each send waits for the server to have it on disk), and on RabbitMQ
  ``enqueue_unconfirmed_per_s`` as the scheduler sends (no confirms);
- ``results_sink``: one thread putting outcomes on the results queue through ``dramatiq_sink``,
  which reads the queue's depth before each send (its bound, ``REMIND_RESULTS_QUEUE_MAX``);
- ``consume``: a dramatiq worker in this process, ``--threads`` threads, running a no-op actor
  over the messages enqueued first.

The queues are named ``bench_*`` and deleted (RabbitMQ) or dropped with the server (Redis).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from typing import Any

import dramatiq

from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.heartbeat import Heartbeat
from worker.storage import connection
from worker.storage.embedded import EmbeddedRedis
from worker.storage.results import dramatiq_sink

QUEUE = "bench_dispatch"
RESULTS = "bench_results"


def _message(n: int) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=QUEUE, actor_name="bench_noop", args=(f"A-{n}", 1.0), kwargs={}, options={}
    )


def _broker(url: str, *, confirm: bool = True) -> Any:
    broker = make_broker(url, confirm=confirm)
    # no worker heartbeat: it needs remind's App, and this worker runs no remind actor
    broker.middleware[:] = [m for m in broker.middleware if not isinstance(m, Heartbeat)]
    return broker


def _enqueue_rate(broker: Any, messages: int) -> float:
    started = time.perf_counter()
    for n in range(messages):
        broker.enqueue(_message(n))
    return messages / (time.perf_counter() - started)


def measure(url: str, messages: int, threads: int) -> dict[str, float]:
    """The rates on the broker at ``url``."""
    figures: dict[str, float] = {}
    if is_amqp(url):
        unconfirmed = _broker(url, confirm=False)
        unconfirmed.declare_queue(QUEUE)
        figures["enqueue_unconfirmed_per_s"] = round(_enqueue_rate(unconfirmed, messages))
        unconfirmed.close()
    broker = _broker(url)
    done = threading.Semaphore(0)

    @dramatiq.actor(actor_name="bench_noop", queue_name=QUEUE, broker=broker)
    def noop(account_id: str, due: float) -> None:
        done.release()

    broker.declare_queue(QUEUE)
    enqueue = _enqueue_rate(broker, messages)

    sink = dramatiq_sink(broker, RESULTS, "bench_result", max_messages=messages + 1)
    started = time.perf_counter()
    for n in range(messages):
        sink({"account_id": f"A-{n}", "outcome": "sent"})
    results = messages / (time.perf_counter() - started)

    worker = dramatiq.Worker(broker, worker_threads=threads, queues={QUEUE})
    started = time.perf_counter()
    worker.start()
    for _ in range(messages * (2 if is_amqp(url) else 1)):
        done.acquire()
    consume = messages * (2 if is_amqp(url) else 1) / (time.perf_counter() - started)
    worker.stop()
    if is_amqp(url):
        channel = broker.channel
        for queue in (QUEUE, RESULTS):
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)
    broker.close()
    return {
        **figures,
        "enqueue_per_s": round(enqueue),
        "results_sink_per_s": round(results),
        "consume_per_s": round(consume),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse sizes, measure on Redis and (if it answers) RabbitMQ, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=5_000, help="messages per figure")
    parser.add_argument("--threads", type=int, default=8, help="worker threads for consume")
    parser.add_argument(
        "--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/%2F", help="RabbitMQ to measure"
    )
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"messages": args.messages, "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(tmp)
        url = server.start()
        try:
            report["redis"] = measure(
                connection.with_db(url, connection.DEFAULT_BROKER_DB), args.messages, args.threads
            )
        finally:
            server.stop()
    try:
        report["rabbitmq"] = measure(args.amqp_url, args.messages, args.threads)
    except dramatiq.errors.BrokerConnectionError as e:
        report["rabbitmq"] = f"not measured: {e}"
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
