"""What becomes of a step that is not sent now: deferred, suppressed, or passed over.

Each function records the outcome, moves the account's cadence (``worker.accounts.lifecycle``)
and saves the state with its timeline entry in one ``App.commit``.
"""

from __future__ import annotations

from datetime import datetime

from worker.accounts import lifecycle, plans
from worker.contracts.outcome import Outcome
from worker.dispatch.attempt import Attempt


def defer(a: Attempt, reason: str | None, rule: str | None, at: datetime) -> Outcome:
    """The step waits until ``at``: same step, same attempt, placed again."""
    a.state.due_at = at
    a.commit()
    return a.record("deferred", channel=a.channel, reason=reason, rule=rule, next_attempt_at=at)


def suppress(a: Attempt, reason: str | None, rule: str | None) -> list[Outcome]:
    """The step is not sent: the cadence ends, is held, or moves on to the next step."""
    out = [a.record("suppressed", channel=a.channel, reason=reason, rule=rule)]
    if lifecycle.halt_for(a.state, reason):
        a.commit()
        return out
    return out + advance(a)


def advance(a: Attempt) -> list[Outcome]:
    """Move past the step; record the steps whose day went by (``skipped``/``missed``)."""
    if a.step.tier == plans.PLAN_TIER:  # a plan step or a queued plan message
        missed = plans.advance_past(a.state, a.schedule, a.step, a.now)
    else:
        missed = lifecycle.advance_past(a.state, a.schedule, a.step, a.now)
    out = [a.record("skipped", step=m, reason="missed") for m in missed]
    a.commit()
    return out
