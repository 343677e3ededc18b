"""The one place the dramatiq broker is configured.

``setup`` is what ``dramatiq worker.runtime.broker:setup worker.runtime.actors`` calls before the
actors are imported (importing actors first silently binds them to a default broker). Redis
brokers use their own logical DB, because dramatiq's maintenance runs ``KEYS`` over its database
(docs/integration.md, The broker). ``amqp://`` and ``amqps://`` URLs run every queue on RabbitMQ
(``rabbitmq_broker``); the actors, the results queue and the dead-letter queues are the same.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from worker.config import Settings
from worker.errors import ConfigError
from worker.logs import MaskingFilter
from worker.runtime.deadletter import MalformedMessages, RemindRedisBroker
from worker.storage.connection import broker_url, bytes_client
from worker.storage.results import dramatiq_sink

#: URL schemes that mean RabbitMQ rather than Redis.
AMQP_SCHEMES = ("amqp://", "amqps://")


def is_amqp(url: str) -> bool:
    """Whether ``url`` names a RabbitMQ server (``amqp://`` or ``amqps://``)."""
    return url.startswith(AMQP_SCHEMES)


def rabbitmq_broker(url: str, *, confirm: bool = True) -> Any:
    """A RabbitMQ broker for ``url`` (the vhost is the URL's path, ``%2F`` for ``/``).

    With ``confirm`` (publisher confirms) ``enqueue`` returns only once RabbitMQ has the message
    on disk, so an enrolment, a retry or an outcome on the results queue is not lost on a dropped
    connection, and a queue deleted under a running process is declared again. It costs a round
    trip and a disk sync per message (benchmarks/bench_brokers.py).
    """
    try:  # imported here: the Redis broker does not need pika
        from worker.runtime.rabbitmq import RemindRabbitmqBroker
    except ImportError as e:
        raise ConfigError(
            "BROKER_URL is amqp:// but RabbitMQ support is not installed "
            "(pip install 'dramatiq[rabbitmq]')"
        ) from e
    return RemindRabbitmqBroker(url=url, confirm_delivery=confirm)


def redis_broker(url: str) -> Any:
    """A Redis broker for ``url`` (its own logical database; see the module docstring), whose
    client rides out a Redis restart as remind's own do (``connection.retry_policy``)."""
    return RemindRedisBroker(client=bytes_client(url))  # type: ignore[no-untyped-call]  # untyped


def make_broker(url: str, *, confirm: bool = True) -> Any:
    """The broker for ``url`` with remind's middleware, not yet dramatiq's global one
    (``confirm``: RabbitMQ's publisher confirms, see ``rabbitmq_broker``)."""
    broker = rabbitmq_broker(url, confirm=confirm) if is_amqp(url) else redis_broker(url)
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(MalformedMessages())
    # Imported here: the heartbeat builds the process's App, which imports this module.
    from worker.runtime.heartbeat import Heartbeat

    broker.add_middleware(Heartbeat())
    return broker


def setup_broker(settings: Settings, *, confirm: bool = True) -> Any:
    """Create the broker for ``settings`` and make it dramatiq's global broker."""
    return use_broker(make_broker(broker_url(settings), confirm=confirm))


def use_broker(broker: Any) -> Any:
    """Make ``broker`` dramatiq's global broker and mark it as set up by remind (tests use this
    for a ``StubBroker``): ``worker.runtime.actors`` refuses to bind to any other."""
    broker.remind_configured = True
    dramatiq.set_broker(broker)
    return broker


def is_configured() -> bool:
    """Whether dramatiq's global broker was set up here, not dramatiq's implicit default (a
    ``RedisBroker`` on localhost:6379, made by the first ``get_broker()`` of an unset process)."""
    current = dramatiq.broker.global_broker
    return current is not None and bool(getattr(current, "remind_configured", False))


def setup() -> None:
    """Entry point for the dramatiq CLI: settings from the environment, then the broker.

    dramatiq has set up its own logging by then, and logs a failed or skipped message with its
    arguments (an enrolment's numbers and emails): its handlers get remind's masking filter."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
    setup_broker(Settings.from_env())


def results_sink(settings: Settings) -> Any:
    """The sink that sends every outcome to the results queue on the current broker (at most
    ``REMIND_RESULTS_QUEUE_MAX`` waiting; the stream keeps the rest)."""
    return dramatiq_sink(
        dramatiq.get_broker(),
        settings.results_queue,
        settings.results_actor,
        max_messages=settings.results_queue_max,
    )
