"""The scheduler process: an APScheduler tick that turns due timeline entries into messages.

One ``BlockingScheduler`` per replica with an in-memory job (APScheduler cannot share a job store
between processes); replicas are safe because claiming is atomic (``Timeline.claim``).

A Redis restart does not stop it: each command is retried for a few seconds on a new connection
(``worker.storage.connection.retry_policy``); a tick that still fails is logged in one line and
the next tick, ``REMIND_TICK_SECONDS`` later, tries again, for as long as it takes. Claims a
failed tick could not hand out are put back on the timeline when Redis lets it, else they come
back when their lease ends: a step is deferred, never dropped (docs/reliability.md).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from zoneinfo import ZoneInfo

import redis
from apscheduler.schedulers.blocking import BlockingScheduler
from dramatiq.errors import BrokerError

from worker.app import App
from worker.clock import SystemClock, from_epoch
from worker.storage.auditarchive import archive_settings

log = logging.getLogger(__name__)

#: Entries claimed per Lua call; a tick loops until fewer come back.
DEFAULT_BATCH = 500

#: ``send(account_id, due)``; with ``tick(..., people=True)``, ``send(account_id, due, person)``
Send = Callable[..., None]
#: The id of the tick job in the scheduler.
TICK_JOB = "tick"
#: The id of the job that moves the audit log from Redis to its archive (docs/audit.md).
ARCHIVE_JOB = "audit-archive"
#: What a tick survives (the next tick tries again): Redis or the broker unreachable.
OUTAGES: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError, BrokerError)


def tick(app: App, send: Send, *, batch: int = DEFAULT_BATCH, people: bool = False) -> int:
    """Claim every due entry and hand each to ``send(account_id, due)``; return how many.

    ``people``: ``send(account_id, due, person)`` instead, ``person`` the one the account index
    names (None if it names none), read for the whole batch of claims in one round trip: the
    dispatch then takes the account's lock without reading the index first (it re-reads it under
    the lock, so a person that changed meanwhile is caught there).

    First the entries an older version left on its single timeline are moved to their shards,
    and the leases of dead workers are recovered, so their entries are claimed again in the
    same tick (``worker/storage/leases.py``).
    """
    if moved := app.timeline.adopt_legacy():
        log.warning("moved %d entries from the single timeline of an older version", moved)
    recovered = app.leases.recover(app.clock.now())
    if recovered:
        log.warning("recovered %d entries held by dead workers", len(recovered))
    total = 0
    while True:
        claims = app.timeline.claim(
            app.clock.now(), lease_seconds=app.settings.lease_seconds, limit=batch
        )
        try:
            persons = app.store.persons_of(c.account_id for c in claims) if people else None
        except OUTAGES:
            _put_back(app, [(c.account_id, c.due) for c in claims])
            raise
        for n, c in enumerate(claims):
            try:
                if persons is None:
                    send(c.account_id, c.due)
                else:
                    send(c.account_id, c.due, persons[n])
            except OUTAGES:
                _put_back(app, [(u.account_id, u.due) for u in claims[n:]])
                raise
        total += len(claims)
        if len(claims) < batch:
            return total


def _put_back(app: App, unsent: list[tuple[str, float]]) -> None:
    """Return claims whose message could not be sent to the timeline at their due instant, so
    the next tick claims them again; if Redis cannot be reached either, their lease brings them
    back."""
    try:
        for account_id, due in unsent:
            app.timeline.place(account_id, from_epoch(due))
    except OUTAGES as e:
        log.warning("%d claims not sent; they come back when their lease ends (%s)", len(unsent), e)
    else:
        log.warning("%d claims not sent were put back on the timeline", len(unsent))


class TickJob:
    """The scheduler's job: a tick, which a Redis or broker outage fails without stopping the
    scheduler. A failure is logged in one line (not a traceback a tick); the first tick that
    works again says how many failed before it."""

    def __init__(self, app: App, send: Send, *, people: bool = False) -> None:
        self.app, self.send, self.people = app, send, people
        self.failures = 0

    def __call__(self) -> None:
        try:
            n = tick(self.app, self.send, people=self.people)
        except OUTAGES as e:
            self.failures += 1
            log.warning(
                "tick failed (%d in a row), next try in %ss: %s: %s",
                self.failures,
                self.app.settings.tick_seconds,
                type(e).__name__,
                e,
            )
            return
        if self.failures:
            log.warning("tick works again after %d failed ticks", self.failures)
            self.failures = 0
        if n:
            log.info("tick enqueued %d dispatch messages", n)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)  # a requested stop is a clean one (systemd, `remind run`)


def run_scheduler(app: App) -> None:
    """Block, ticking every ``REMIND_TICK_SECONDS``, until SIGTERM or Ctrl-C.

    SIGTERM (what ``remind run``, systemd and container runtimes send) is turned into
    ``SystemExit``, so the caller's ``finally`` blocks run: without it Python dies on the spot and
    an embedded redis-server the command started is left running.
    """
    # Importing the actors declares them on dramatiq's current broker, so it waits until the
    # caller has set the broker up; at module level it would bind them to a default one.
    from worker.runtime import actors

    def send(account_id: str, due: float, person: str | None) -> None:
        if person is None:  # not enrolled any more: the worker reads the index and finds out
            actors.dispatch.send(account_id, due)
        else:
            actors.dispatch.send(account_id, due, person)

    scheduler = build_scheduler(app, send, people=True)
    log.info("scheduler ticking every %ss", app.settings.tick_seconds)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        log.info("scheduler interrupted")  # Ctrl-C: a stop asked for, not a crash to trace
    finally:
        signal.signal(signal.SIGTERM, previous)
        if scheduler.running:
            scheduler.shutdown(wait=True)  # a tick in flight finishes handing out its claims
        log.info("scheduler stopped")


def build_scheduler(app: App, send: Send, *, people: bool = False) -> BlockingScheduler:
    """The scheduler with its tick job added, not started: ``tick(app, send)`` on an interval.

    APScheduler waits on the wall clock, so the job's first run is the wall clock's now, never
    ``app.clock``'s: a drill's fixed (``REMIND_FIXED_NOW``) or fast (``remind demo --live``)
    instant decides what is due at each tick, but a future one must not postpone the first tick
    to that day (a past one would be dropped as a misfire).
    """
    scheduler = BlockingScheduler(timezone=ZoneInfo("UTC"))
    scheduler.add_job(
        TickJob(app, send, people=people),
        "interval",
        seconds=app.settings.tick_seconds,
        id=TICK_JOB,
        next_run_time=SystemClock().now(),
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        lambda: archive_settings(app.settings, app.client, app.clock.now()),
        "interval",
        seconds=app.settings.audit_archive_seconds,
        id=ARCHIVE_JOB,
        max_instances=1,
        coalesce=True,
    )  # its own job, so a slow disk or database never holds up a tick
    return scheduler
