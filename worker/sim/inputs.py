"""What ``remind simulate`` reads besides its files' rows: ``--schedule`` applied to them.

``--schedule`` names the schedule every account runs on, whatever schedule the account names, so
a schedule can be tried on account files written for another. A path also becomes the schedules
directory, so its file must be named after the schedule's ``name:`` (accounts find it by name).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from worker.cadence.schedule import SCHEDULE_SUFFIX, find_schedule
from worker.config import Settings
from worker.errors import InvalidInput

Rows = list[tuple[str, Any]]


def schedule_option(settings: Settings, schedule: str) -> tuple[Settings, str]:
    """Settings that find ``--schedule``, and the name the accounts are to use; a bad schedule
    file fails here, before anything runs."""
    found = find_schedule(schedule, Path(settings.schedules_dir))
    if "/" in schedule or schedule.endswith(SCHEDULE_SUFFIX):
        path = Path(schedule)
        if found.name != path.stem:
            raise InvalidInput(
                f"{path} names its schedule {found.name!r}; the file must be named "
                f"{found.name}{SCHEDULE_SUFFIX} to be used by name",
                field="--schedule",
            )
        settings = replace(settings, schedules_dir=path.parent)
    return settings, found.name


def on_schedule(rows: Rows, name: str) -> Rows:
    """The account rows with their ``schedule`` replaced by ``name`` (a row that is no JSON
    object is left for enrolment to reject)."""
    return [(src, {**row, "schedule": name} if isinstance(row, dict) else row) for src, row in rows]
