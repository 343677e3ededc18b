"""The worker heartbeat: a ``remind worker`` process says it is alive, so its leases hold.

``Heartbeat`` is dramatiq middleware: when a worker process boots it takes an id
(``<host>-<pid>-<random>``, never reused), beats once, and beats again every third of
``REMIND_WORKER_HEARTBEAT_SECONDS`` from a daemon thread until the worker shuts down. The
``dispatch`` actor passes ``current_worker()`` to the pipeline, which leases the entry and signs
the at-most-once claim with it (``worker/storage/leases.py``). Outside a worker process (the
scheduler, a producer, a test on a stub broker) ``current_worker()`` is None and nothing leases.

A beat that cannot reach Redis (a restart, an outage) is logged and the thread goes on beating
at its pace; the first beat that works again says how many were missed. A worker silent past
the timeout only loses its leases' entries to the scheduler: its claims keep its steps from
going out twice (docs/reliability.md).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from typing import Any

import redis
from dramatiq.middleware import Middleware

from worker.runtime.instance import get_app

log = logging.getLogger(__name__)

_worker_id: str | None = None


def current_worker() -> str | None:
    """This process's worker id once its heartbeat runs, else None."""
    return _worker_id


def new_worker_id() -> str:
    """A fresh worker id; no ``:`` in it, as it is the last field of a claim value."""
    host = socket.gethostname().replace(":", "-")
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


class Heartbeat(Middleware):
    """Beat for this worker process from boot to shutdown."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: beats missed in a row (Redis unreachable)
        self.missed = 0

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        global _worker_id
        _worker_id = new_worker_id()
        self._stop.clear()
        self._beat(_worker_id)
        self._thread = threading.Thread(
            target=self._run, args=(_worker_id,), name="remind-heartbeat", daemon=True
        )
        self._thread.start()
        log.info("worker %s beating every %ss", _worker_id, self._interval())

    def before_worker_shutdown(self, broker: Any, worker: Any) -> None:
        global _worker_id
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if _worker_id is not None:
            try:
                get_app().leases.leave(_worker_id)
            except redis.RedisError:
                log.warning("could not unregister worker %s", _worker_id)
        _worker_id = None

    def _interval(self) -> float:
        """Real seconds between beats: a third of the timeout, which is counted on the app's
        clock, so a clock running ``scale`` times as fast (``remind demo --live``) beats as
        much faster."""
        app = get_app()
        return app.settings.worker_heartbeat_seconds / 3 / getattr(app.clock, "scale", 1.0)

    def _run(self, worker_id: str) -> None:
        # a wait on an event, not a sleep in logic: the thread only paces the beats
        while not self._stop.wait(self._interval()):
            self._beat(worker_id)

    def _beat(self, worker_id: str) -> None:
        app = get_app()
        try:
            app.leases.beat(worker_id, app.clock.now())
        except redis.RedisError as e:
            # a missed beat costs at most a recovered lease; the worker keeps running
            self.missed += 1
            log.warning("heartbeat of %s failed (%d in a row): %s", worker_id, self.missed, e)
            return
        if self.missed:
            log.warning("heartbeat of %s works again after %d missed", worker_id, self.missed)
            self.missed = 0
