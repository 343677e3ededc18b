"""Forbidden wording: threats and false claims the rule packs list, found in template files.

The phrases are data in the packs (rules of kind ``wording``, docs/compliance.md), by locale:
``en`` phrases are checked in the default files and ``en-*`` files, ``zh`` phrases in ``zh-*``
files. A phrase inside one of the rule's ``allowed`` phrasings ("will not be arrested") is not
a finding. A rule marked U only warns, like the gate's unverified rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from worker.gate.rules import Rule
from worker.lint.findings import Finding, Level


@dataclass(frozen=True)
class Hit:
    """A forbidden phrase on one line, and the rules that forbid it."""

    line: int
    phrase: str
    rules: tuple[Rule, ...]


def _pattern(phrase: str) -> re.Pattern[str]:
    # Latin phrases match whole words ("police" is not in "policy"); CJK ones anywhere.
    words = re.escape(phrase).replace(r"\ ", r"\s+")
    if phrase[:1].isascii() and phrase[-1:].isascii():
        return re.compile(rf"\b{words}\b")
    return re.compile(words)


def _phrases_for(rule: Rule, locale: str, field: str) -> tuple[str, ...]:
    """The rule's phrases (``forbidden`` or ``allowed``) that apply to a file in ``locale``."""
    language = locale.split("-")[0].lower()
    table = rule.forbidden if field == "forbidden" else rule.allowed
    found: list[str] = []
    for key, phrases in table.items():
        if key.lower() == locale.lower() or key.split("-")[0].lower() == language:
            found.extend(phrases)
    return tuple(found)


def find_wording(text: str, locale: str, rules: Sequence[Rule]) -> list[Hit]:
    """Forbidden phrases in ``text`` (a template file in ``locale``), line by line."""
    hits: dict[tuple[int, str], list[Rule]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        folded = line.casefold()
        for rule in rules:
            allowed = [
                m.span()
                for phrase in _phrases_for(rule, locale, "allowed")
                for m in _pattern(phrase).finditer(folded)
            ]
            for phrase in _phrases_for(rule, locale, "forbidden"):
                for m in _pattern(phrase).finditer(folded):
                    if not any(a <= m.start() and m.end() <= b for a, b in allowed):
                        hits.setdefault((number, phrase), []).append(rule)
    return [Hit(line, phrase, tuple(rules)) for (line, phrase), rules in sorted(hits.items())]


def wording_findings(file: str, hits: Iterable[Hit]) -> list[Finding]:
    """One finding per hit: an error unless every rule that forbids it is unverified (U)."""
    findings = []
    for hit in hits:
        level: Level = "error" if any(r.certainty != "U" for r in hit.rules) else "warning"
        cited = "; ".join(f"{r.ref} ({r.citation}): {r.title}" for r in hit.rules)
        findings.append(
            Finding(
                file,
                hit.line,
                level,
                f"says {hit.phrase!r}, forbidden by {cited}",
                "take the threat or claim out; say only what will lawfully happen, e.g. "
                "'we may report the debt to credit bureaus'",
            )
        )
    return findings
