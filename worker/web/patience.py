"""Applying an event from a provider's callback when the account may be busy for a moment.

A Twilio callback can arrive while a worker still holds the account's lock: the TwiML of a
call is fetched while the worker that placed it is recording the send, and an inbound STOP can
cross a dispatch. Twilio does not retry these requests, so a 409 would lose the event. The
lock is held for milliseconds, so the web service waits for it, a bounded while.
"""

from __future__ import annotations

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from worker.accounts.state import AccountState
from worker.app import App
from worker.contracts.event import Event
from worker.intake import apply_event
from worker.storage.store import AccountBusy

#: How long a callback waits for a busy account, and how often it looks again (real seconds).
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


def apply_patiently(app: App, event: Event) -> AccountState:
    """``apply_event``, tried again while the account is locked, for up to ``WAIT_SECONDS``;
    ``AccountBusy`` if it stays locked that long."""
    for attempt in Retrying(
        retry=retry_if_exception_type(AccountBusy),
        wait=wait_fixed(POLL_SECONDS),
        stop=stop_after_delay(WAIT_SECONDS),
        reraise=True,
    ):
        with attempt:
            return apply_event(app, event)
    raise AssertionError("unreachable: Retrying either returns or re-raises")
