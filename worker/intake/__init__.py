"""Intake: enrolling accounts and applying events (the ``intake`` queue's work).

Both take validated contract objects (``worker.models``); ``enroll_raw`` and ``apply_raw`` take
untrusted JSON and turn a contract violation into a ``rejected`` outcome, so a bad message on the
queue is recorded with its reason and never crashes a worker.

A stop or hold is kept per person and debt as well as on the state (``Store.keep_stop``), so an
enrolment of a stopped debt is refused (``EnrollmentRefused``, recorded as ``rejected`` with the
stop reason) and one of a held debt starts held.

``enroll`` and ``apply_event`` return (the acknowledgement) only once the Redis nodes they wrote
have passed the writes to ``REMIND_REDIS_MIN_REPLICAS`` replicas; ``ReplicationError`` otherwise,
and the account or event is delivered again (``App.confirm_replicated``, docs/scaling.md).
"""

from __future__ import annotations

import logging
from typing import Any

from worker.accounts.outcomes import rejected
from worker.accounts.state import AccountState
from worker.app import App
from worker.contracts.outcome import Outcome
from worker.contracts.validation import parse_account, parse_event
from worker.errors import InvalidInput, StateError
from worker.intake.enrol import EnrollmentRefused, enroll
from worker.intake.events import apply_event

log = logging.getLogger(__name__)


def enroll_raw(app: App, data: Any, source: str | None = None) -> AccountState | Outcome:
    """Validate and enroll; on bad input record and return a ``rejected`` outcome instead."""
    try:
        return enroll(app, parse_account(data, source))
    except EnrollmentRefused as e:
        log.warning("refused: %s", e)
        return e.outcome  # recorded by enroll, with the stop's reason
    except InvalidInput as e:
        account_id = data.get("account_id") if isinstance(data, dict) else None
        out = rejected(
            now=app.clock.now(), account_id=str(account_id or "?"), reason=str(e), kind="account"
        )
        app.results.publish(out)
        log.warning("rejected account %s: %s", account_id, e)
        return out


def apply_raw(app: App, data: Any, source: str | None = None) -> AccountState | Outcome:
    """Validate and apply an event; on bad input record and return a ``rejected`` outcome."""
    try:
        return apply_event(app, parse_event(data, source))
    except (InvalidInput, StateError) as e:
        account_id = data.get("account_id") if isinstance(data, dict) else None
        out = rejected(
            now=app.clock.now(), account_id=str(account_id or "?"), reason=str(e), kind="event"
        )
        app.results.publish(out)
        log.warning("rejected event for %s: %s", account_id, e)
        return out


__all__ = ["EnrollmentRefused", "apply_event", "apply_raw", "enroll", "enroll_raw"]
