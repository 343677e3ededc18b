"""Building outcome records (docs/contracts.md, Outcome) from a decision and its context."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from worker.accounts.state import AccountState
from worker.cadence.schedule import Occurrence
from worker.clock import isoformat_utc
from worker.contracts.outcome import Outcome, OutcomeKind


def make_outcome(
    *,
    now: datetime,
    state: AccountState,
    outcome: OutcomeKind,
    zone: str | None,
    step: Occurrence | None = None,
    channel: str | None = None,
    reason: str | None = None,
    rule: str | None = None,
    next_attempt_at: datetime | None = None,
    provider: str | None = None,
    provider_id: str | None = None,
    locale: str | None = None,
) -> Outcome:
    """An outcome for ``state``'s account; ``zone`` gives ``local_time`` its offset."""
    local = now.astimezone(ZoneInfo(zone)).isoformat() if zone else None
    return Outcome(
        id=uuid.uuid4().hex,
        at=isoformat_utc(now),
        local_time=local,
        account_id=state.account_id,
        person_id=state.person_id,
        debt_id=state.account.debt,
        schedule=state.schedule_ref,
        tier=step.tier if step else None,
        step=step.key if step else None,
        channel=(channel or (step.channel if step else None)) or None,  # type: ignore[arg-type]
        outcome=outcome,
        reason=reason,
        rule=rule,
        next_attempt_at=isoformat_utc(next_attempt_at) if next_attempt_at else None,
        provider=provider,
        provider_id=provider_id,
        template=step.template if step else None,
        locale=locale,
    )


def rejected(
    *, now: datetime, account_id: str, reason: str, kind: str, person_id: str | None = None
) -> Outcome:
    """A record for input refused on the queue: the reason names the field."""
    return Outcome(
        id=uuid.uuid4().hex,
        at=isoformat_utc(now),
        local_time=None,
        account_id=account_id or "?",
        person_id=person_id,
        debt_id=None,
        schedule=None,
        tier=None,
        step=None,
        channel=None,
        outcome="rejected",
        reason=f"invalid_{kind}: {reason}",
        rule=None,
        next_attempt_at=None,
        provider=None,
        provider_id=None,
        template=None,
        locale=None,
    )
