"""A plan checkpoint reached by the dispatcher: the grace days of an instalment have run out.

Nothing is sent at a checkpoint (``plan.<n>.due``), so the gate is not asked. An instalment
still open there is missed: it is recorded ``broken`` (outcome ``plan``, step ``plan.<n>``), the
plan ends as broken, and collection resumes as the schedule's ``on_broken`` says
(``worker.accounts.plans.end``). An instalment paid meanwhile was passed over already.
"""

from __future__ import annotations

from datetime import datetime

from worker.accounts import plans
from worker.accounts.state import AccountState
from worker.app import App
from worker.cadence.schedule import Occurrence, Schedule
from worker.contracts.outcome import Outcome
from worker.gate.planflow import plan_outcome
from worker.storage.scripts import Batch


def reach_checkpoint(
    app: App,
    state: AccountState,
    schedule: Schedule,
    step: Occurrence,
    now: datetime,
    writes: Batch | None = None,
) -> list[Outcome]:
    """Break the plan if the checkpoint's instalment is unpaid, else move on; save the state."""
    plan = state.plan
    number = plans.instalment_number(step)
    inst = plan.instalment(number) if plan is not None and number is not None else None
    out: list[Outcome] = []
    if inst is not None and inst.status == "open":
        inst.status, inst.closed_at = "broken", now
        out.append(plan_outcome(state, now, "broken", f"plan.{inst.number}"))
        plans.end(state, "broken", f"instalment {inst.number} missed", schedule, now)
    else:
        plans.advance_past(state, schedule, step, now)
    app.commit(state, now, writes)
    return out
