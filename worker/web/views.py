"""What ``GET /v1/accounts/{id}`` shows: state, the next step and when, recent outcomes."""

from __future__ import annotations

from typing import Any

from worker.accounts.plan_view import balance_view, plan_view, settlement_view
from worker.accounts.plans import current_step
from worker.accounts.state import AccountState
from worker.app import App
from worker.clock import isoformat_utc

#: How many of the account's latest outcome records the view carries.
RECENT = 20
#: The statuses whose pending step will be dispatched (a paused one when its pause ends).
WAITING = ("active", "paused")


def account_view(app: App, state: AccountState) -> dict[str, Any]:
    """The account's state as JSON: the same facts ``remind explain`` prints, less the gate."""
    step: dict[str, Any] | None = None
    # a stopped or held account keeps its cursor, but no step of it goes out: none is shown
    schedule = app.pinned_schedule(state.schedule_ref)
    occurrence = current_step(state, schedule)  # a plan step while the account is on a plan
    if state.status in WAITING and occurrence is not None and state.due_at is not None:
        step = {
            "key": occurrence.key,
            "tier": occurrence.tier,
            "day": occurrence.day,
            "channel": occurrence.channel or None,  # None: a plan checkpoint, nothing sent
            "template": occurrence.template or None,
            "due_at": isoformat_utc(state.due_at),
        }
    return {
        "account_id": state.account_id,
        "person_id": state.person_id,
        "schedule": state.schedule_ref,
        "status": state.status,
        "status_reason": state.status_reason,
        "paused_until": isoformat_utc(state.paused_until) if state.paused_until else None,
        "next_step": step,
        "balance": balance_view(state),
        "plan": plan_view(state),
        "settlement": settlement_view(state),
        "recent_outcomes": app.store.recent_outcomes(state.person_id, state.account_id, RECENT),
    }
