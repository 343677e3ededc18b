"""A schedule version's content hash, and the check that a file still matches its pinned version.

An account is pinned to the schedule version it enrolled under: the YAML of ``name@version`` is
kept in Redis the first time an account enrols under it, and every later decision for those
accounts reads that copy. A file edited without a new ``version`` would therefore change what
``remind schedules check`` and ``plan`` show, and nothing else; so a file whose content differs
from the pinned copy of its version is refused, naming the file and asking for a new version.

What counts as a change is the *content*: the SHA-256 of the document's canonical form (mappings
with sorted keys, sequences in order, scalars as written, empty values as null), as JSON.
Comments, blank lines, indentation, key order, quoting (``version: 3`` or ``"3"``) and flow or
block style do not count; any changed value, even in ``description``, does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from worker.cadence.schedule import SCHEDULE_SUFFIX, Schedule, list_schedules, parse_schedule
from worker.errors import ScheduleError

#: Reads the pinned YAML of ``name@version``; None when no account ever enrolled under it.
PinnedSource = Callable[[str], "str | None"]

_NULL_TAG = "tag:yaml.org,2002:null"
_VERSION_LINE = re.compile(r"^version\s*:", re.MULTILINE)


class PinConflict(ScheduleError):
    """A schedule file differs in content from the pinned copy of its version; ``also``: other
    files in the same case, named after the first."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, also: tuple[str, ...] = ()
    ):
        self.detail = message
        self.also = also
        more = f" (so do {', '.join(also)})" if also else ""
        super().__init__(message + more, file=file, line=line, field="version")

    def with_others(self, others: list[PinConflict]) -> PinConflict:
        """This conflict, also naming the files of ``others``."""
        also = (*self.also, *(o.file for o in others))
        return PinConflict(self.detail, file=self.file, line=self.line, also=also)


def content_digest(text: str) -> str:
    """The hex SHA-256 of the canonical form of the YAML document ``text``."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    canonical = json.dumps(
        _canonical(root), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_pinned(schedule: Schedule, pinned: str | None, *, file: str) -> None:
    """Raise ``PinConflict`` if ``schedule`` (read from ``file``) differs in content from the
    pinned copy ``pinned`` of its version; nothing pinned yet is fine."""
    if pinned is None or pinned == schedule.source:
        return
    if content_digest(pinned) == content_digest(schedule.source):
        return  # only comments, layout or quoting changed
    match = _VERSION_LINE.search(schedule.source)
    line = None if match is None else schedule.source.count("\n", 0, match.start()) + 1
    raise PinConflict(
        f"{schedule.ref} is already pinned with other content (sha256 "
        f"{content_digest(pinned)[:12]}, this file {content_digest(schedule.source)[:12]}): "
        f"accounts enrolled under it keep the pinned steps and this edit would never run; "
        f"bump the version to publish it",
        file=file,
        line=line,
    )


def pin_conflicts(schedules_dir: Path, pinned: PinnedSource) -> list[PinConflict]:
    """The schedule files in ``schedules_dir`` whose version is pinned with other content.

    Files that cannot be read or parsed are left to ``remind schedules check`` and enrolment,
    which report them; this only compares what loads.
    """
    conflicts: list[PinConflict] = []
    for name in list_schedules(schedules_dir):
        path = schedules_dir / f"{name}{SCHEDULE_SUFFIX}"
        try:
            schedule = parse_schedule(path.read_text(encoding="utf-8"), file=str(path))
            check_pinned(schedule, pinned(schedule.ref), file=str(path))
        except PinConflict as e:
            conflicts.append(e)
        except (ScheduleError, OSError, UnicodeDecodeError):
            continue
    return conflicts


def _canonical(node: yaml.Node | None) -> Any:
    if node is None:
        return None
    if isinstance(node, yaml.MappingNode):
        return {str(_canonical(k)): _canonical(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_canonical(item) for item in node.value]
    if node.tag == _NULL_TAG:
        return None
    return str(node.value)
