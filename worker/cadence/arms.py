"""Reading a champion's challenger version from its file, and checking that it fits.

``worker.cadence.challenger`` reads the ``challenger:`` block; this module reads the file it
names (relative to the schedules folder) and checks that the file is the same schedule under the
version the block names, so that ``remind schedules check`` and enrolment refuse a mismatch with
the champion's file and line.
"""

from __future__ import annotations

from pathlib import Path

from worker.cadence.challenger import challenger_error
from worker.cadence.schedule import Schedule, load_schedule
from worker.errors import ScheduleError


def challenger_from_file(champion: Schedule, schedules_dir: Path) -> Schedule | None:
    """The challenger version read from the file the champion names; None when the block names
    no file (the version is then the one pinned in Redis) or there is no ``challenger:``."""
    block = champion.challenger
    if block is None or block.file is None:
        return None
    path = schedules_dir / block.file
    if not path.is_file():
        raise challenger_error(block, f"file {block.file!r} not found in {schedules_dir}")
    schedule = load_schedule(path)
    check_challenger(champion, schedule)
    return schedule


def check_challenger(champion: Schedule, challenger: Schedule) -> None:
    """Raise ``ScheduleError`` unless ``challenger`` is the champion's schedule, under the version
    its ``challenger:`` block names, and another version than the champion's."""
    block = champion.challenger
    if block is None:
        raise ScheduleError("has no challenger: block", file=champion.name)
    if challenger.name != champion.name:
        raise challenger_error(
            block, f"the challenger is schedule {challenger.name!r}, not {champion.name!r}"
        )
    if challenger.version != block.version:
        raise challenger_error(
            block, f"says version {block.version!r}, the challenger is {challenger.version!r}"
        )
    if challenger.version == champion.version:
        raise challenger_error(block, "the challenger must be another version than the champion")
    if challenger.challenger is not None:
        raise challenger_error(block, "a challenger cannot have a challenger of its own")
