"""The one import upstream producers need: ``connect()`` sets the broker up, then the actors.

``worker.runtime.actors`` bound before the broker is set up would send to a default Redis on
localhost:6379 without a word, so it refuses to import unconfigured; ``connect`` configures the
broker from the environment first (``BROKER_URL``, else ``REDIS_URL`` on its broker database,
else the embedded server of the data directory, if it runs) and only then imports them::

    from worker.runtime.client import connect

    remind = connect()
    remind.enroll({"account_id": "A-1", ...})         # docs/contracts.md, Account
    remind.event({"account_id": "A-1", "type": "paid", ...})

``examples/producer.py`` is a runnable version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.config import Settings
from worker.errors import ConfigError
from worker.runtime.broker import is_configured, setup_broker
from worker.storage.embedded import EmbeddedRedis


@dataclass(frozen=True)
class Producer:
    """Sends accounts and events to remind's ``intake`` queue on the configured broker."""

    settings: Settings
    enroll_account: Any
    apply_event: Any

    def enroll(self, account: dict[str, Any]) -> str:
        """Enqueue one account (validated by the worker); the message id."""
        return str(self.enroll_account.send(account).message_id)

    def event(self, event: dict[str, Any]) -> str:
        """Enqueue one event (validated by the worker); the message id."""
        return str(self.apply_event.send(event).message_id)


def connect(settings: Settings | None = None) -> Producer:
    """Set the broker up (once per process) and return a ``Producer`` bound to it."""
    settings = settings or Settings.from_env()
    if settings.broker_url is None and settings.redis_url is None:
        url = EmbeddedRedis(settings.redis_dir).running()
        if url is None:
            raise ConfigError(
                "REDIS_URL is not set and no embedded Redis runs for "
                f"{settings.redis_dir}: start `remind run` there, or set REDIS_URL (the embedded "
                f"server listens on redis://127.0.0.1:{settings.redis_port})"
            )
        settings = settings.with_redis(url)
    if not is_configured():
        setup_broker(settings)
    # Imported here, after the broker: at module level it would run before any setup.
    from worker.runtime import actors

    return Producer(settings, actors.enroll_account, actors.apply_event)
