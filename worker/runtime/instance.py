"""The process-wide ``App`` used by actors and the scheduler, built once from the environment."""

from __future__ import annotations

import threading

from worker.app import App
from worker.clock import Clock, ScaledClock, SimulatedClock, SystemClock
from worker.config import Settings
from worker.errors import ConfigError
from worker.runtime.broker import results_sink
from worker.storage.connection import client

_app: App | None = None
_lock = threading.Lock()


def clock_for(settings: Settings) -> Clock:
    """The system clock, or a fixed instant when ``REMIND_FIXED_NOW`` is set (tests, drills), or
    the fast demo clock of ``remind demo --live`` when ``REMIND_DEMO_CLOCK`` is set."""
    if settings.fixed_now is not None:
        return SimulatedClock(settings.fixed_now)
    if settings.demo_clock is not None:
        return ScaledClock(*settings.demo_clock)
    return SystemClock()


def get_app() -> App:
    """The process's App; needs ``REDIS_URL`` (``remind worker`` sets it for its children)."""
    global _app
    with _lock:
        if _app is None:
            settings = Settings.from_env()
            if settings.redis_url is None:
                raise ConfigError("REDIS_URL must be set for worker processes")
            _app = App(
                settings,
                client(settings.redis_url),
                clock_for(settings),
                sinks=[results_sink(settings)],
            )
        return _app


def reset_app() -> None:
    """Forget the process's App (tests that change the environment)."""
    global _app
    with _lock:
        _app = None
