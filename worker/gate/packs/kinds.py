"""Read the fields of each rule kind (hours, days, cap, ...) in a rule pack file.

``worker.gate.packs.files`` reads a pack and the fields every rule shares; it then hands the rule
to its kind's reader here, found in ``KIND_SPECS`` with the keys the kind takes and the action
it defaults to. Kept apart so that adding a kind means a reader and a row in one table, without
touching how packs are found, loaded and reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import NamedTuple, cast

import yaml

from worker.cadence.policy import BlockedDays
from worker.cadence.policy_reader import read_window
from worker.cadence.yamlnodes import Node
from worker.contracts.event import EVENT_TYPES
from worker.contracts.vocab import LOCALE_TAG, WEEKDAYS
from worker.gate.rules import CONTENT_CHECKS, COUNTABLE, SCOPES, WARNS_ON, Action, Rule, Scope

__all__ = ["KIND_SPECS", "KindSpec", "choices", "distinct"]

_CONSENT_REQUIREMENTS = ("work_email_consent",)
_KEYWORD_GROUPS = ("stop", "start", "help")
_NUMBER_KINDS = ("mobile", "landline", "work")
#: ``placed`` is how the rule texts say it (docs/compliance.md, F3); a placed call is a sent one.
_COUNT_ALIASES = {"placed": "sent"}

_VARIANT = re.compile(r"[a-z][a-z0-9_]*")


def _scope(node: Node | None) -> Scope:
    return "person" if node is None else cast(Scope, node.one_of(SCOPES))


# --- one reader per kind: the common fields are in ``base``, these add the kind's own ---------


def _hours(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    return replace(base, window=read_window(fields["hours"]))


def _days(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    if not fields.keys() & {"weekdays", "public_holidays", "dates"}:
        raise node.error("a days rule needs weekdays:, public_holidays: or dates:")
    weekdays = choices(fields.get("weekdays"), WEEKDAYS)
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
        number_kinds=choices(fields.get("number_kinds"), _NUMBER_KINDS),
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
            locales = _free_mapping(by_locale, LOCALE_TAG, "a BCP 47 locale such as en or zh-Hans")
            texts[variant] = MappingProxyType({k: v.text() for k, v in locales.items()})
    return replace(
        base,
        content=fields["content"].one_of(CONTENT_CHECKS),
        texts=MappingProxyType(texts),
        number_kinds=choices(fields.get("number_kinds"), _NUMBER_KINDS),
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
    warns_on = fields["warns_on"].one_of(WARNS_ON) if "warns_on" in fields else None
    return replace(base, enforced_by=enforced_by, warns_on=warns_on)


def _wording(base: Rule, fields: dict[str, Node], node: Node) -> Rule:
    return replace(
        base,
        forbidden=_phrases(fields["forbidden"]),
        allowed=_phrases(fields["allowed"]) if "allowed" in fields else MappingProxyType({}),
    )


def _phrases(node: Node) -> Mapping[str, tuple[str, ...]]:
    """``{en: [arrest, jail], zh: [拘留]}``: casefolded phrases by locale, none twice."""
    by_locale: dict[str, tuple[str, ...]] = {}
    locales = _free_mapping(node, LOCALE_TAG, "a BCP 47 locale such as en or zh")
    for locale, phrases in locales.items():
        folded = distinct(phrases, lambda item: " ".join(item.text().casefold().split()))
        by_locale[locale] = tuple(sorted(folded))
    return MappingProxyType(by_locale)


class KindSpec(NamedTuple):
    """What a rule of one kind takes on top of the common fields, and how to read it."""

    required: tuple[str, ...]  # keys on top of the common ones
    optional: tuple[str, ...]
    action: Action  # when the rule does not say
    read: Callable[[Rule, dict[str, Node], Node], Rule]

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key of the kind, required then optional."""
        return (*self.required, *self.optional)


#: Every rule kind's spec, by kind (the table in ``worker.gate.rules``).
KIND_SPECS: Mapping[str, KindSpec] = MappingProxyType(
    {
        "hours": KindSpec(("hours",), (), "defer", _hours),
        "days": KindSpec((), ("weekdays", "public_holidays", "dates"), "defer", _days),
        "cap": KindSpec(
            ("limit",), ("window", "calendar_days", "per", "counts", "number_kinds"), "defer", _cap
        ),
        "cooldown": KindSpec(("after", "days"), ("per",), "defer", _cooldown),
        "consent": KindSpec(("requires",), (), "block", _consent),
        "content": KindSpec(("content",), ("texts", "number_kinds"), "require", _content),
        "keywords": KindSpec(("keywords",), (), "record", _keywords),
        "retention": KindSpec(("retention_days",), (), "record", _retention),
        "note": KindSpec((), ("enforced_by", "warns_on"), "record", _note),
        "wording": KindSpec(("forbidden",), ("allowed",), "record", _wording),
    }
)


# --- lists and free-form mappings ------------------------------------------------------------


def choices(node: Node | None, options: Sequence[str]) -> frozenset[str]:
    """A non-empty list of distinct ``options``; absent is the empty set (meaning: any)."""
    return distinct(node, lambda item: item.one_of(options))


def _counts(node: Node) -> frozenset[str]:
    return distinct(
        node, lambda item: _COUNT_ALIASES.get(v := item.one_of((*COUNTABLE, *_COUNT_ALIASES)), v)
    )


def distinct(node: Node | None, read: Callable[[Node], str]) -> frozenset[str]:
    """A non-empty list read item by item with ``read``, no value twice; absent is empty."""
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
