"""The one place the dramatiq broker is configured.

``setup`` is what ``dramatiq worker.runtime.broker:setup worker.runtime.actors`` calls before the
actors are imported (importing actors first silently binds them to a default broker). Redis
brokers use their own logical DB, because dramatiq's maintenance runs ``KEYS`` over its database
(docs/integration.md, The broker).
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from worker.config import Settings
from worker.errors import ConfigError
from worker.storage.connection import broker_url
from worker.storage.results import dramatiq_sink


def setup_broker(settings: Settings) -> Any:
    """Create the broker for ``settings`` and make it dramatiq's global broker."""
    url = broker_url(settings)
    broker: Any
    if url.startswith(("amqp://", "amqps://")):
        try:  # imported here: pika is an optional extra, needed only for amqp:// URLs
            from dramatiq.brokers.rabbitmq import RabbitmqBroker
        except ImportError as e:  # pika is an optional extra
            raise ConfigError(
                "BROKER_URL is amqp:// but RabbitMQ support is not installed "
                "(pip install 'dramatiq[rabbitmq]')"
            ) from e
        broker = RabbitmqBroker(url=url)
    else:
        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]  # untyped upstream
    broker.add_middleware(CurrentMessage())
    # Imported here: the heartbeat builds the process's App, which imports this module.
    from worker.runtime.heartbeat import Heartbeat

    broker.add_middleware(Heartbeat())
    return use_broker(broker)


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
    """Entry point for the dramatiq CLI: settings from the environment, then the broker."""
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
