"""Champion / challenger: a schedule that sends a share of its new enrolments to another version.

In the champion's file::

    challenger:
      version: "2026-12-01"          # the challenger's version (required)
      file: challengers/standard-b.yaml  # optional: that version's YAML, relative to the
                                     # schedules folder; without it, the version pinned in Redis
      percent: 20                    # whole percent of new enrolments, 1 to 99

A challenger file carries the champion's ``name`` and the ``version`` named here. It lives in a
sub-folder (``challengers/``) so that it is not a schedule of its own: only ``*.yaml`` directly in
the schedules folder are schedules. Its accounts are pinned to it as to any version.

The arm is stable by person: ``arm_of`` hashes the schedule name, the challenger's version and
the person id, so the same person always lands in the same arm of one experiment (their accounts
too), and a new challenger version draws a fresh split.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from worker.cadence.yamlnodes import Node
from worker.errors import ScheduleError

#: The two arms of a split.
CHAMPION = "champion"
CHALLENGER = "challenger"
#: Buckets a person is hashed into: 10,000, so a percent is 100 buckets.
BUCKETS = 10_000
_KEYS_REQUIRED = ("version", "percent")
_KEYS_OPTIONAL = ("file",)


@dataclass(frozen=True)
class Challenger:
    """The ``challenger:`` block of a champion schedule, with where it was written."""

    version: str
    percent: int
    file: str | None  # relative to the schedules folder; None: the version pinned in Redis
    source: str  # the champion's file, for errors
    line: int  # the line of the ``challenger:`` block


def read_challenger(node: Node | None, *, version_pattern: re.Pattern[str]) -> Challenger | None:
    """The ``challenger:`` block (``None`` when absent); errors name the file, line and field."""
    if node is None:
        return None
    fields = node.mapping(required=_KEYS_REQUIRED, optional=_KEYS_OPTIONAL)
    version = fields["version"].matching(version_pattern, "a version such as 2026-11-01 or 3")
    percent = fields["percent"].integer(minimum=1)
    if percent > 99:
        raise fields["percent"].error("must be 1 to 99: the champion keeps the rest")
    file = None
    if "file" in fields:
        file = fields["file"].text()
        if Path(file).is_absolute() or ".." in Path(file).parts:
            raise fields["file"].error("must be a path inside the schedules folder")
        if len(Path(file).parts) < 2:
            raise fields["file"].error(
                "must be in a sub-folder (challengers/...): a file directly in the schedules "
                "folder is a schedule of its own"
            )
    return Challenger(version, percent, file, source=node.file, line=node.line)


def bucket_of(name: str, challenger_version: str, person_id: str) -> int:
    """The person's bucket (0 to 9,999) for this schedule's split."""
    digest = hashlib.sha256(f"{name}\0{challenger_version}\0{person_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_of(name: str, challenger: Challenger, person_id: str) -> str:
    """``challenger`` for ``percent`` % of people (stable by person), else ``champion``."""
    bucket = bucket_of(name, challenger.version, person_id)
    return CHALLENGER if bucket < challenger.percent * (BUCKETS // 100) else CHAMPION


def challenger_error(challenger: Challenger, message: str) -> ScheduleError:
    """An error about the challenger, at the champion's ``challenger:`` line."""
    return ScheduleError(message, file=challenger.source, line=challenger.line, field="challenger")
