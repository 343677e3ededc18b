"""What a person asks for themselves, by a link in an email or a key on a call.

An unsubscribe link and key 9 both opt a contact out and record one ``opted_out`` outcome; key 3
records a request for a repayment plan. Each is recorded the same way wherever it comes from,
with the rule named after the route and the version of the account's schedule.
"""

from __future__ import annotations

from typing import Any

from worker.accounts.cursor import primary_zone
from worker.accounts.outcomes import make_outcome
from worker.accounts.state import AccountState
from worker.app import App
from worker.contracts.outcome import OutcomeKind
from worker.contracts.validation import parse_event
from worker.web.patience import apply_patiently


def record(
    app: App, state: AccountState, outcome: OutcomeKind, channel: str, reason: str, rule: str
) -> None:
    """Publish ``outcome`` for the account, its rule ``rule@<schedule version>``."""
    schedule = app.pinned_schedule(state.schedule_ref)
    app.results.publish(
        make_outcome(
            now=app.clock.now(),
            state=state,
            outcome=outcome,
            zone=primary_zone(state.account),
            channel=channel,
            reason=reason,
            rule=f"{rule}@{schedule.version}",
        )
    )


def opt_out_once(
    app: App, state: AccountState, channel: str, address: str | None, *, source: str,
    reason: str, rule: str,
) -> bool:  # fmt: skip
    """Apply ``opt_out {channel, address}`` and record one ``opted_out`` outcome; False, and
    nothing done, when the person is already opted out there (asking again changes nothing)."""
    data: dict[str, Any] = {"account_id": state.account_id, "type": "opt_out", "channel": channel}
    if address:
        data["address"] = address
    event = parse_event(data, source)
    entry = f"{channel}:{event.address}" if event.address else channel
    if entry in app.store.opted_out(state.person_id):
        return False
    state = apply_patiently(app, event)
    record(app, state, "opted_out", channel, reason, rule)
    return True
