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

Every rule names its id, title, citation and certainty (V, S, U; see COMPLIANCE.md); the other
keys depend on its ``kind`` (the table in ``worker.gate.rules``). A key of another kind is an
error rather than ignored, so a rule never silently loses the limit its author wrote. Like
schedules, every problem names the file, the line and the field (``PackError``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple, cast

import yaml

from worker.cadence_policy import read_window
from worker.errors import ScheduleError
from worker.gate.rules import (
    CONTENT_CHECKS,
    COUNTABLE,
    KINDS,
    SCOPES,
    Action,
    AppliesWhen,
    Certainty,
    Kind,
    Pack,
    Rule,
    Scope,
)
from worker.models import CHANNELS, EVENT_TYPES
from worker.policy import WEEKDAYS, BlockedDays
from worker.yamlnodes import Node, compose

__all__ = [
    "COLLECTORS",
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
#: Who collects: the creditor itself, or a collector acting for it (the FDCPA's "debt collector").
COLLECTORS: tuple[str, ...] = ("creditor", "third_party")  # as schedules name them
_ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]
_CERTAINTIES: tuple[str, ...] = Certainty.__args__  # type: ignore[attr-defined]
_CONSENT_REQUIREMENTS = ("work_email_consent",)
_KEYWORD_GROUPS = ("stop", "start", "help")
_NUMBER_KINDS = ("mobile", "landline", "work")
#: ``placed`` is how COMPLIANCE.md says it; a placed call is a sent one.
_COUNT_ALIASES = {"placed": "sent"}

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_REGION = re.compile(r"[A-Z0-9]{1,3}")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_VARIANT = re.compile(r"[a-z][a-z0-9_]*")

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
    return files("worker.gate").joinpath("packs")


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
    return AppliesWhen(country, regions, _choices(fields.get("collectors"), COLLECTORS))


def _read_rule(node: Node, pack: str, version: str) -> Rule:
    every_key = (*_COMMON_OPTIONAL, *(k for spec in _KINDS.values() for k in spec.keys))
    fields = node.mapping(required=_COMMON_REQUIRED, optional=every_key)
    kind = fields["kind"].one_of(KINDS)
    spec = _KINDS[kind]
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
        channels=_choices(fields.get("channels"), CHANNELS),
        effective=fields["effective"].calendar_date() if "effective" in fields else None,
        collectors=_choices(fields.get("collectors"), COLLECTORS),
    )
    return spec.read(base, fields, node)


def _certainty(node: Node) -> Certainty:
    return cast(Certainty, node.one_of(_CERTAINTIES))


def _scope(node: Node | None) -> Scope:
    return "person" if node is None else cast(Scope, node.one_of(SCOPES))


# --- one reader per kind: the common fields are in ``base``, these add the kind's own ---------


def _hours(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    return replace(base, window=read_window(fields["hours"]))


def _days(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    if not fields.keys() & {"weekdays", "public_holidays", "dates"}:
        raise node.error("a days rule needs weekdays:, public_holidays: or dates:")
    weekdays = _choices(fields.get("weekdays"), WEEKDAYS)
    holidays = fields["public_holidays"].boolean() if "public_holidays" in fields else False
    dates = fields["dates"].sequence(non_empty=True) if "dates" in fields else []
    blocked = BlockedDays(
        frozenset(WEEKDAYS.index(day) for day in weekdays),
        holidays,
        frozenset(item.calendar_date() for item in dates),
    )
    return replace(base, blocked=blocked)


def _cap(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    if ("window" in fields) == ("calendar_days" in fields):
        where = fields.get("calendar_days", node)
        raise where.error(
            "a cap counts over either window: (rolling) or calendar_days:, one of them"
        )
    return replace(
        base,
        limit=fields["limit"].integer(minimum=1),
        window_seconds=fields["window"].duration() if "window" in fields else None,
        calendar_days=(
            fields["calendar_days"].integer(minimum=1) if "calendar_days" in fields else None
        ),
        per=_scope(fields.get("per")),
        counts=_counts(fields["counts"]) if "counts" in fields else frozenset({"sent"}),
        number_kinds=_choices(fields.get("number_kinds"), _NUMBER_KINDS),
    )


def _cooldown(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    return replace(
        base,
        after=fields["after"].one_of(EVENT_TYPES),
        days=fields["days"].integer(minimum=1),
        per=_scope(fields.get("per")),
    )


def _consent(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    return replace(base, requires=fields["requires"].one_of(_CONSENT_REQUIREMENTS))


def _content(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    texts: dict[str, Mapping[str, str]] = {}
    if "texts" in fields:
        for variant, by_locale in _free_mapping(
            fields["texts"], _VARIANT, "a variant name such as initial"
        ).items():
            locales = _free_mapping(by_locale, _LOCALE, "a BCP 47 locale such as en or zh-Hans")
            texts[variant] = MappingProxyType({k: v.text() for k, v in locales.items()})
    return replace(
        base, content=fields["content"].one_of(CONTENT_CHECKS), texts=MappingProxyType(texts)
    )


def _keywords(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    groups: dict[str, tuple[str, ...]] = {}
    for group, words in fields["keywords"].mapping(optional=_KEYWORD_GROUPS).items():
        # Stored casefolded: inbound replies are matched with ``text.strip().casefold()``.
        folded: list[str] = []
        for item in words.sequence(non_empty=True):
            word = item.text().casefold()
            if word in folded:
                raise item.error(f"keyword {word!r} is listed twice")
            folded.append(word)
        groups[group] = tuple(folded)
    if not groups:
        raise fields["keywords"].error(f"needs at least one of {', '.join(_KEYWORD_GROUPS)}")
    return replace(base, keywords=MappingProxyType(groups))


def _retention(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    return replace(base, retention_days=fields["retention_days"].integer(minimum=1))


def _note(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    enforced_by = fields["enforced_by"].text() if "enforced_by" in fields else None
    return replace(base, enforced_by=enforced_by)


class _KindSpec(NamedTuple):
    required: tuple[str, ...]  # keys on top of the common ones
    optional: tuple[str, ...]
    action: Action  # when the rule does not say
    read: Callable[[Rule, dict[str, Node], Node], Rule]

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


_KINDS: Mapping[str, _KindSpec] = MappingProxyType(
    {
        "hours": _KindSpec(("hours",), (), "defer", _hours),
        "days": _KindSpec((), ("weekdays", "public_holidays", "dates"), "defer", _days),
        "cap": _KindSpec(
            ("limit",), ("window", "calendar_days", "per", "counts", "number_kinds"), "defer", _cap
        ),
        "cooldown": _KindSpec(("after", "days"), ("per",), "defer", _cooldown),
        "consent": _KindSpec(("requires",), (), "block", _consent),
        "content": _KindSpec(("content",), ("texts",), "require", _content),
        "keywords": _KindSpec(("keywords",), (), "record", _keywords),
        "retention": _KindSpec(("retention_days",), (), "record", _retention),
        "note": _KindSpec((), ("enforced_by",), "record", _note),
    }
)
#: The action a rule takes when it does not name one, by kind.
DEFAULT_ACTIONS: Mapping[str, Action] = MappingProxyType({k: s.action for k, s in _KINDS.items()})


# --- lists and free-form mappings ------------------------------------------------------------


def _choices(node: Node | None, options: Sequence[str]) -> frozenset[str]:
    """A non-empty list of distinct ``options``; absent is the empty set (meaning: any)."""
    return _distinct(node, lambda item: item.one_of(options))


def _names(node: Node | None, pattern: re.Pattern[str], what: str) -> frozenset[str]:
    return _distinct(node, lambda item: item.matching(pattern, what))


def _counts(node: Node) -> frozenset[str]:
    return _distinct(
        node, lambda item: _COUNT_ALIASES.get(v := item.one_of((*COUNTABLE, *_COUNT_ALIASES)), v)
    )


def _distinct(node: Node | None, read: Callable[[Node], str]) -> frozenset[str]:
    if node is None:
        return frozenset()
    seen: list[str] = []
    for item in node.sequence(non_empty=True):
        value = read(item)
        if value in seen:
            raise item.error(f"{value} is listed twice")
        seen.append(value)
    return frozenset(seen)


def _free_mapping(node: Node, pattern: re.Pattern[str], what: str) -> dict[str, Node]:
    """A mapping whose keys are not known in advance (locales), each matching ``pattern``."""
    keys = _keys(node)
    if not keys:
        raise node.error("must not be empty")
    for key_node in keys.values():
        key_node.matching(pattern, what)
    return node.mapping(required=tuple(keys))


def _keys(node: Node) -> dict[str, Node]:
    """The key nodes of a mapping node, by key text.

    ``Node.mapping`` only accepts keys it is told in advance, and locales cannot all be listed,
    so this reads the keys from the YAML node underneath. (A ``Node.items()`` in yamlnodes would
    make this unnecessary.)
    """
    raw = node._node
    if not isinstance(raw, yaml.MappingNode):
        raise node.error("must be a mapping of key: value")
    keys: dict[str, Node] = {}
    for key_node, _ in raw.value:
        key = Node(key_node, path=node.path, file=node.file)
        keys[key.text()] = Node(key_node, path=node.child_path(key.text()), file=node.file)
    return keys
