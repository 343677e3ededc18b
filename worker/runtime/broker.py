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
    dramatiq.set_broker(broker)
    return broker


def setup() -> None:
    """Entry point for the dramatiq CLI: settings from the environment, then the broker."""
    setup_broker(Settings.from_env())


def results_sink(settings: Settings) -> Any:
    """The sink that sends every outcome to the results queue on the current broker."""
    return dramatiq_sink(dramatiq.get_broker(), settings.results_queue, settings.results_actor)
