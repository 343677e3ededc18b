"""The one place the dramatiq broker is configured.

``setup`` is what ``dramatiq worker.runtime.broker:setup worker.runtime.actors`` calls before the
actors are imported (importing actors first silently binds them to a default broker). Redis
brokers use their own logical DB, because dramatiq's maintenance runs ``KEYS`` over its database
(docs/integration.md, The broker).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse, urlunparse

import dramatiq
from dramatiq.middleware import CurrentMessage

from worker.config import DEFAULT_BROKER_DB, Settings
from worker.errors import ConfigError


def broker_url(settings: Settings) -> str:
    """``BROKER_URL``, else the state server's URL on the broker's own DB."""
    if settings.broker_url:
        return settings.broker_url
    if settings.redis_url is None:
        raise ConfigError("REDIS_URL is not set and the embedded Redis has not been started")
    parts = urlparse(settings.redis_url)
    return urlunparse(parts._replace(path=f"/{DEFAULT_BROKER_DB}"))


def setup_broker(settings: Settings) -> Any:
    """Create the broker for ``settings`` and make it dramatiq's global broker."""
    url = broker_url(settings)
    broker: Any
    if url.startswith(("amqp://", "amqps://")):
        try:
            from dramatiq.brokers.rabbitmq import RabbitmqBroker
        except ImportError as e:  # pika is an optional extra
            raise ConfigError(
                "BROKER_URL is amqp:// but RabbitMQ support is not installed "
                "(pip install 'dramatiq[rabbitmq]')"
            ) from e
        broker = RabbitmqBroker(url=url)
    else:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]  # untyped upstream
    broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    return broker


def setup() -> None:
    """Entry point for the dramatiq CLI: settings from the environment, then the broker."""
    setup_broker(Settings.from_env())


def results_sink(settings: Settings) -> Any:
    """The sink that sends every outcome to the results queue on the current broker."""
    from worker.storage.results import dramatiq_sink

    return dramatiq_sink(dramatiq.get_broker(), settings.results_queue, settings.results_actor)
