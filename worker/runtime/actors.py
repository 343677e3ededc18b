"""Thin dramatiq actors: they take ids or raw JSON and call plain functions.

Import this module only after ``worker.runtime.broker.setup`` (the dramatiq CLI does it with
``dramatiq worker.runtime.broker:setup worker.runtime.actors``); producers use
``worker.runtime.client.connect()``, which does it for them. Imported first, dramatiq would bind
the actors to a default broker on localhost:6379 and every ``send`` would go there without a
word, so the import fails instead (``ConfigError``).
"""

from __future__ import annotations

from typing import Any

import dramatiq

from worker import intake
from worker.dispatch import pipeline as dispatching
from worker.errors import ConfigError
from worker.runtime.broker import is_configured
from worker.runtime.heartbeat import current_worker
from worker.runtime.instance import get_app
from worker.storage.store import AccountBusy

#: Milliseconds before a message that found its account locked is tried again.
BUSY_RETRY_MS = 2_000

if not is_configured():
    raise ConfigError(
        "worker.runtime.actors was imported before the broker was set up, so its messages "
        "would go to a default Redis on localhost:6379; producers: call "
        "worker.runtime.client.connect() first; workers: dramatiq worker.runtime.broker:setup "
        "worker.runtime.actors"
    )


@dramatiq.actor(queue_name="intake", max_retries=10)
def enroll_account(account: Any) -> None:
    """Enroll or update one account (docs/contracts.md, Account).

    Bad input becomes a ``rejected`` outcome.
    """
    try:
        intake.enroll_raw(get_app(), account, source="queue")
    except AccountBusy:
        raise dramatiq.Retry(delay=BUSY_RETRY_MS) from None


@dramatiq.actor(queue_name="intake", max_retries=10)
def apply_event(event: Any) -> None:
    """Apply one event (docs/contracts.md, Event); bad input becomes a ``rejected`` outcome."""
    try:
        intake.apply_raw(get_app(), event, source="queue")
    except AccountBusy:
        raise dramatiq.Retry(delay=BUSY_RETRY_MS) from None


@dramatiq.actor(queue_name="dispatch", max_retries=10)
def dispatch(account_id: str, due: float | None = None, person: str | None = None) -> None:
    """Decide and act on the account's pending step claimed at ``due``; ``person``: whom the
    account index named at the claim (messages queued without it read the index first)."""
    try:
        dispatching.dispatch(get_app(), account_id, due, holder=current_worker(), person=person)
    except AccountBusy:
        raise dramatiq.Retry(delay=BUSY_RETRY_MS) from None
