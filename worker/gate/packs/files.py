"""Read the rule pack files (``worker/gate/packs/*.yaml``) into ``worker.gate.rules.Pack``.

One pack per file, named after the file::

    pack: us-federal
    version: "2026-11-01"
    title: United States federal ...
    disclaimer: Not legal advice. ...
    applies_when: {country: US}          # also regions: [MA], collectors: [third_party]
    rules:
      - {id: F7, title: ..., citation: "12 CFR 1006.6(b)(1)(i)", certainty: V,
         kind: hours, hours: {start: "08:00", end: "21:00"}}

Every rule names its id, title, citation and certainty (docs/compliance.md, Certainty marks); the
other keys depend on its ``kind`` (the table in ``worker.gate.rules``; ``worker.gate.packs.kinds``
reads them). A key of another kind is an error rather than ignored, so a rule never silently
loses the limit its author wrote. Like schedules, every problem names the file, the line and the
field (``PackError``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import cast

from worker.cadence.yamlnodes import Node, compose
from worker.contracts.vocab import CHANNELS, COLLECTORS
from worker.errors import ScheduleError
from worker.gate.packs.kinds import KIND_SPECS, choices, distinct
from worker.gate.rules import KINDS, Action, AppliesWhen, Certainty, Kind, Pack, Rule

__all__ = [
    "DEFAULT_ACTIONS",
    "PACK_SUFFIX",
    "PackError",
    "applicable_packs",
    "builtin_packs",
    "find_pack",
    "load_pack",
    "parse_pack",
]

#: Pack files are ``<name>.yaml``; the shipped ones live in ``worker/gate/packs``.
PACK_SUFFIX = ".yaml"
_ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]
_CERTAINTIES: tuple[str, ...] = Certainty.__args__  # type: ignore[attr-defined]
#: The action a rule takes when it does not name one, by kind.
DEFAULT_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {k: s.action for k, s in KIND_SPECS.items()}
)

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_REGION = re.compile(r"[A-Z0-9]{1,3}")

_TOP_REQUIRED = ("pack", "version", "title", "disclaimer", "applies_when", "rules")
_COMMON_REQUIRED = ("id", "title", "citation", "certainty", "kind")
_COMMON_OPTIONAL = ("action", "channels", "effective", "collectors")


class PackError(ScheduleError):
    """A rule pack file is invalid or names an unknown pack; says the file, line and field."""


def parse_pack(text: str, *, file: str) -> Pack:
    """The pack in ``text``; ``file`` is the name errors give. Raises ``PackError``."""
    return _parse(text, file=file, expected_name=None)


def load_pack(path: Path) -> Pack:
    """The pack in the file at ``path``, whose ``pack:`` must be the file's stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PackError(f"is not UTF-8 text ({e.reason})", file=str(path)) from None
    except OSError as e:
        raise PackError(f"cannot be read: {e.strerror or e}", file=str(path)) from None
    return _parse(text, file=str(path), expected_name=path.stem)


@cache
def builtin_packs() -> Mapping[str, Pack]:
    """Every pack shipped in ``worker/gate/packs``, by name; read once per process."""
    found: dict[str, Pack] = {}
    for entry in sorted(_folder().iterdir(), key=lambda t: t.name):
        if entry.is_file() and entry.name.endswith(PACK_SUFFIX):
            found[entry.name.removesuffix(PACK_SUFFIX)] = _read_builtin(entry)
    return MappingProxyType(found)


def find_pack(name: str) -> Pack:
    """The shipped pack called ``name``; a ``PackError`` lists the known ones otherwise."""
    packs = builtin_packs()
    if name not in packs:
        known = ", ".join(packs) or "none"
        raise PackError(f"no rule pack named {name!r} (packs: {known})", file=str(_folder()))
    return packs[name]


def applicable_packs(
    country: str | None, region: str | None, collector: str, extra: Sequence[str] = ()
) -> list[Pack]:
    """The shipped packs that apply to a person, plus the ``extra`` ones a schedule names.

    Each pack appears once; broader packs come first (any country, then a whole country, then
    a region), so federal rules are listed, and cited, before state ones.
    """
    chosen = {
        p.name: p
        for p in builtin_packs().values()
        if p.applies_when.matches(country, region, collector)
    }
    for name in extra:
        chosen.setdefault(name, find_pack(name))
    return sorted(chosen.values(), key=_breadth)


def _folder() -> Traversable:
    return files("worker.gate.packs")


def _breadth(pack: Pack) -> tuple[bool, bool, str]:
    return pack.applies_when.country is not None, bool(pack.applies_when.regions), pack.name


def _read_builtin(entry: Traversable) -> Pack:
    return _parse(
        entry.read_text(encoding="utf-8"),
        file=str(entry),
        expected_name=entry.name.removesuffix(PACK_SUFFIX),
    )


def _parse(text: str, *, file: str, expected_name: str | None) -> Pack:
    try:
        return _read_pack(compose(text, file=file), expected_name)
    except PackError:
        raise
    except ScheduleError as e:
        raise _as_pack_error(e) from None


def _as_pack_error(e: ScheduleError) -> PackError:
    """The same error as a ``PackError``; ``yamlnodes`` raises the ``ScheduleError`` base."""
    # ScheduleError keeps file, line and field but not the bare message: peel off the prefix
    # its constructor wrote, by building that prefix the same way.
    prefix = str(ScheduleError("", file=e.file, line=e.line, field=e.field))
    text = str(e)
    message = text[len(prefix) :] if text.startswith(prefix) else text
    return PackError(message, file=e.file, line=e.line, field=e.field)


def _read_pack(root: Node, expected_name: str | None) -> Pack:
    fields = root.mapping(required=_TOP_REQUIRED)
    name = fields["pack"].matching(_NAME, "a pack name of a-z, 0-9, _ and -")
    if expected_name is not None and name != expected_name:
        raise fields["pack"].error(f"must be {expected_name!r}, the file's name, not {name!r}")
    version = fields["version"].matching(_VERSION, "a version such as 2026-11-01 or 3")
    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for item in fields["rules"].sequence(non_empty=True):
        rule = _read_rule(item, name, version)
        if rule.id in first_line:
            raise item.error(f"rule id {rule.id!r} is already used on line {first_line[rule.id]}")
        first_line[rule.id] = item.line
        rules.append(rule)
    return Pack(
        name=name,
        version=version,
        title=fields["title"].text(),
        disclaimer=fields["disclaimer"].text(),
        applies_when=_read_applies_when(fields["applies_when"]),
        rules=tuple(rules),
        source=root.file,
    )


def _read_applies_when(node: Node) -> AppliesWhen:
    fields = node.mapping(optional=("country", "regions", "collectors"))
    country = (
        fields["country"].matching(_COUNTRY, "an ISO 3166-1 code such as US")
        if "country" in fields
        else None
    )
    regions = _names(fields.get("regions"), _REGION, "an ISO 3166-2 subdivision code such as MA")
    if regions and country is None:
        raise fields["regions"].error("needs country: a region code means nothing without it")
    return AppliesWhen(country, regions, choices(fields.get("collectors"), COLLECTORS))


def _read_rule(node: Node, pack: str, version: str) -> Rule:
    every_key = (*_COMMON_OPTIONAL, *(k for spec in KIND_SPECS.values() for k in spec.keys))
    fields = node.mapping(required=_COMMON_REQUIRED, optional=every_key)
    kind = fields["kind"].one_of(KINDS)
    spec = KIND_SPECS[kind]
    required, optional = spec.required, spec.optional
    try:
        node.mapping(
            required=(*_COMMON_REQUIRED, *required), optional=(*_COMMON_OPTIONAL, *optional)
        )
    except ScheduleError as e:
        key = (e.field or "").rsplit(".", 1)[-1]
        if key in fields:  # written, so it was refused as belonging to another kind
            takes = ", ".join((*required, *optional)) or "only the common fields"
            raise PackError(
                f"is not a field of {kind} rules ({kind} rules take: {takes})",
                file=e.file,
                line=e.line,
                field=e.field,
            ) from None
        raise
    base = Rule(
        pack=pack,
        pack_version=version,
        id=fields["id"].matching(_RULE_ID, "a rule id of letters, digits, _ and -"),
        title=fields["title"].text(),
        citation=fields["citation"].text(),
        certainty=_certainty(fields["certainty"]),
        kind=cast(Kind, kind),  # one_of(KINDS) checked it
        action=cast(
            Action, fields["action"].one_of(_ACTIONS) if "action" in fields else spec.action
        ),
        channels=choices(fields.get("channels"), CHANNELS),
        effective=fields["effective"].calendar_date() if "effective" in fields else None,
        collectors=choices(fields.get("collectors"), COLLECTORS),
    )
    return spec.read(base, fields, node)


def _certainty(node: Node) -> Certainty:
    return cast(Certainty, node.one_of(_CERTAINTIES))


def _names(node: Node | None, pattern: re.Pattern[str], what: str) -> frozenset[str]:
    return distinct(node, lambda item: item.matching(pattern, what))
