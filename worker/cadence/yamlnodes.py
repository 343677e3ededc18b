"""Read a YAML file as a tree of nodes that remember their line and their dotted path.

``yaml.safe_load`` returns plain dicts and forgets where each value came from, so an error
could only say *what* is wrong. Schedules are written by hand by ops people, who need to know
*where*: every ``Node`` method raises ``ScheduleError`` naming the file, the 1-based line and the
field path (``tiers.0.steps.2.channel``).

Scalars are read from their source text, not from PyYAML's YAML 1.1 guesses: ``10:00`` unquoted
is the time 10:00 here, not the sexagesimal integer 600, and ``version: 3`` is the text "3".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import date, time

import yaml

from worker.errors import ScheduleError

_CLOCK_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60}
_INTEGER = re.compile(r"^[+-]?\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NULL_TAG = "tag:yaml.org,2002:null"
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"


def parse_clock_time(text: str) -> time:
    """A local time of day written ``HH:MM`` (24-hour clock); ValueError otherwise."""
    match = _CLOCK_TIME.match(text.strip())
    if match is None:
        raise ValueError(f"must be a time of day HH:MM such as 09:30, not {text!r}")
    return time(int(match[1]), int(match[2]))


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``7d``, ``24h`` or ``90m``; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"must be a duration such as 7d, 24h or 90m, not {text!r}")
    return int(match[1]) * _DURATION_UNITS[match[2]]


def describe_duration(seconds: int) -> str:
    """``seconds`` as people say it: ``7 days``, ``1 day``, ``24 hours`` only if not whole days,
    ``90 minutes``; the largest unit that divides it exactly."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("" if n == 1 else "s")
    raise AssertionError("unreachable: every whole number of seconds divides by 1")


def compose(text: str, *, file: str) -> Node:
    """The root node of ``text``; a syntax error becomes a ``ScheduleError`` with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = None if mark is None else mark.line + 1
        detail = e.problem or e.context or "cannot be parsed"
        if e.problem and e.context and e.context_mark is not None:
            # The context says where the unfinished construct began, often the real culprit.
            detail += f" ({e.context} started on line {e.context_mark.line + 1})"
        raise ScheduleError(f"invalid YAML: {detail}", file=file, line=line) from None
    except yaml.YAMLError as e:
        raise ScheduleError(f"invalid YAML: {e}", file=file, line=None) from None
    if root is None:
        raise ScheduleError("the file holds no YAML document", file=file, line=1)
    return Node(root, path="", file=file)


class Node:
    """One YAML node, its dotted path from the root, and the file it came from."""

    def __init__(self, node: yaml.Node, *, path: str, file: str):
        self._node = node
        self.path = path
        self.file = file

    @property
    def line(self) -> int:
        """The 1-based line where the node starts."""
        return int(self._node.start_mark.line) + 1

    @property
    def is_null(self) -> bool:
        """True for an empty value (``key:`` with nothing after it, ``~`` or ``null``)."""
        return isinstance(self._node, yaml.ScalarNode) and self._node.tag == _NULL_TAG

    def error(self, message: str) -> ScheduleError:
        """An error at this node; the caller raises it."""
        return ScheduleError(message, file=self.file, line=self.line, field=self.path or None)

    def child_path(self, key: str | int) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def mapping(
        self, *, required: Collection[str] = (), optional: Collection[str] = ()
    ) -> dict[str, Node]:
        """The entries of a mapping; unknown, duplicate or missing keys are errors.

        An optional key whose value is empty is left out, as if it were not written.
        """
        if not isinstance(self._node, yaml.MappingNode):
            raise self.error("must be a mapping of key: value")
        entries: dict[str, Node] = {}
        seen: set[str] = set()
        for key_node, value_node in self._node.value:
            key = Node(key_node, path=self.path, file=self.file)
            name = key.text()
            here = Node(key_node, path=self.child_path(name), file=self.file)
            if name not in required and name not in optional:
                known = ", ".join(sorted({*required, *optional}))
                raise here.error(f"unknown key (known keys: {known})")
            if name in seen:
                raise here.error("key written twice")
            seen.add(name)
            value = Node(value_node, path=here.path, file=self.file)
            if value.is_null and name in required:
                raise value.error("must not be empty")
            if not value.is_null:
                entries[name] = value
        for name in required:
            if name not in entries:
                raise ScheduleError(
                    "is required", file=self.file, line=self.line, field=self.child_path(name)
                )
        return entries

    def sequence(self, *, non_empty: bool = False) -> list[Node]:
        """The items of a list, each with its index in the path."""
        if not isinstance(self._node, yaml.SequenceNode):
            raise self.error("must be a list")
        items = [
            Node(item, path=self.child_path(i), file=self.file)
            for i, item in enumerate(self._node.value)
        ]
        if non_empty and not items:
            raise self.error("must not be an empty list")
        return items

    def text(self) -> str:
        """A non-empty scalar as written in the file, stripped."""
        if not isinstance(self._node, yaml.ScalarNode):
            raise self.error("must be a single value, not a list or a mapping")
        if not str(self._node.tag).startswith(_STANDARD_TAG_PREFIX):
            raise self.error(f"custom tag {self._node.tag} is not supported")
        value = str(self._node.value).strip()
        if self.is_null or not value:
            raise self.error("must not be empty")
        return value

    def matching(self, pattern: re.Pattern[str], what: str) -> str:
        """A scalar that matches ``pattern``; ``what`` describes the expected form."""
        value = self.text()
        if not pattern.fullmatch(value):
            raise self.error(f"must be {what}, not {value!r}")
        return value

    def one_of(self, choices: Iterable[str]) -> str:
        """A scalar that is one of ``choices``."""
        options = tuple(choices)
        value = self.text()
        if value not in options:
            raise self.error(f"must be one of {', '.join(options)}, not {value!r}")
        return value

    def integer(self, *, minimum: int | None = None) -> int:
        """A whole number, at least ``minimum`` when given."""
        value = self.text()
        if not _INTEGER.match(value):
            raise self.error(f"must be a whole number, not {value!r}")
        number = int(value)
        if minimum is not None and number < minimum:
            raise self.error(f"must be at least {minimum}, not {number}")
        return number

    def boolean(self) -> bool:
        """``true`` or ``false``; YAML 1.1's yes/no/on/off are refused as too easy to misread."""
        value = self.text()
        if value.lower() not in ("true", "false"):
            raise self.error(f"must be true or false, not {value!r}")
        return value.lower() == "true"

    def clock_time(self) -> time:
        """A local time of day ``HH:MM``."""
        try:
            return parse_clock_time(self.text())
        except ValueError as e:
            raise self.error(str(e)) from None

    def duration(self) -> int:
        """A positive duration (``7d``, ``24h``, ``90m``) in seconds."""
        try:
            seconds = parse_duration(self.text())
        except ValueError as e:
            raise self.error(str(e)) from None
        if seconds <= 0:
            raise self.error("must be longer than zero")
        return seconds

    def calendar_date(self) -> date:
        """A date ``YYYY-MM-DD``."""
        value = self.text()
        try:
            if not _ISO_DATE.match(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise self.error(f"must be a date YYYY-MM-DD, not {value!r}") from None
