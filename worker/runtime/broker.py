"""The one place the dramatiq broker is configured.

``setup`` is what ``dramatiq worker.runtime.broker:setup worker.runtime.actors`` calls before the
actors are imported (importing actors first silently binds them to a default broker). Redis
brokers use their own logical DB, because dramatiq's maintenance runs ``KEYS`` over its database
(docs/integration.md, The broker). ``amqp://`` and ``amqps://`` URLs run every queue on RabbitMQ
(``rabbitmq_broker``); the actors, the results queue and the dead-letter queues are the same.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from worker.config import Settings
from worker.errors import ConfigError
from worker.runtime.deadletter import MalformedMessages
from worker.storage.connection import broker_url
from worker.storage.results import dramatiq_sink

#: URL schemes that mean RabbitMQ rather than Redis.
AMQP_SCHEMES = ("amqp://", "amqps://")


def is_amqp(url: str) -> bool:
    """Whether ``url`` names a RabbitMQ server (``amqp://`` or ``amqps://``)."""
    return url.startswith(AMQP_SCHEMES)


def rabbitmq_broker(url: str) -> Any:
    """A RabbitMQ broker for ``url`` (the vhost is the URL's path, ``%2F`` for ``/``).

    Publisher confirms are on: ``enqueue`` returns only once RabbitMQ has taken the message, so a
    dispatch, a retry or an outcome on the results queue is not lost on a dropped connection,
    and a queue deleted under a running process is declared again.
    """
    try:  # imported here: the Redis broker does not need pika
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
    except ImportError as e:
        raise ConfigError(
            "BROKER_URL is amqp:// but RabbitMQ support is not installed "
            "(pip install 'dramatiq[rabbitmq]')"
        ) from e
    return RabbitmqBroker(url=url, confirm_delivery=True)


def redis_broker(url: str) -> Any:
    """A Redis broker for ``url`` (its own logical database; see the module docstring)."""
    return RedisBroker(url=url)  # type: ignore[no-untyped-call]  # untyped upstream


def make_broker(url: str) -> Any:
    """The broker for ``url`` with remind's middleware, not yet dramatiq's global one."""
    broker = rabbitmq_broker(url) if is_amqp(url) else redis_broker(url)
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(MalformedMessages())
    return broker


def setup_broker(settings: Settings) -> Any:
    """Create the broker for ``settings`` and make it dramatiq's global broker."""
    broker = make_broker(broker_url(settings))
    dramatiq.set_broker(broker)
    return broker


def setup() -> None:
    """Entry point for the dramatiq CLI: settings from the environment, then the broker."""
    setup_broker(Settings.from_env())


def results_sink(settings: Settings) -> Any:
    """The sink that sends every outcome to the results queue on the current broker."""
    return dramatiq_sink(dramatiq.get_broker(), settings.results_queue, settings.results_actor)
