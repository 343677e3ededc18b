"""Where an account is in its cadence: days past due, when a step is due, what comes next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from worker.accounts.zones import candidate_zones
from worker.cadence.schedule import Occurrence, Schedule
from worker.contracts.account import Account


def primary_zone(account: Account) -> str:
    """The zone used to place steps and show local times: the first candidate."""
    return candidate_zones(account)[0].zone


def day_past_due(account: Account, now: datetime) -> int:
    """Days past due at ``now`` in the person's local date (day 0 = the due date)."""
    local_date = now.astimezone(ZoneInfo(primary_zone(account))).date()
    return (local_date - account.due_date).days


def due_instant(account: Account, step: Occurrence) -> datetime:
    """The UTC instant a step is planned: its day at its send time, in the person's zone."""
    day = account.due_date + timedelta(days=step.day)
    local = datetime.combine(day, step.send_time, tzinfo=ZoneInfo(primary_zone(account)))
    return local.astimezone(UTC)


def next_step(
    schedule: Schedule, account: Account, now: datetime, after: int | None
) -> tuple[Occurrence | None, list[Occurrence]]:
    """The next step to place and the steps passed over because their day is gone.

    Missed steps are not replayed: after an enrolment that comes late, or a pause, the cadence
    goes on from the first step on or after today.
    """
    today = day_past_due(account, now)
    candidate = schedule.occurrences[0] if after is None else schedule.after(after)
    if after is None:
        first = schedule.first_on_or_after(today)
        return first, []
    missed: list[Occurrence] = []
    while candidate is not None and candidate.day < today:
        missed.append(candidate)
        candidate = schedule.after(candidate.index)
    return candidate, missed


def place_at(account: Account, step: Occurrence, now: datetime) -> datetime:
    """When to place ``step``: its planned instant, or now if that has passed."""
    return max(due_instant(account, step), now)
