"""Does every step of a schedule have what it sends: its template's part for its channel and its
fallback channel, in every locale the schedule declares (``locale`` and ``locales``)?

``remind schedules check`` and ``remind templates lint`` both report these findings, from this
one module; each names the schedule file and the line of the step.
"""

from __future__ import annotations

import yaml

from worker.cadence.schedule import Schedule
from worker.lint.findings import Finding
from worker.rendering.lint import step_gaps
from worker.rendering.renderer import Renderer


def step_lines(schedule: Schedule) -> dict[str, int]:
    """``{"early.1": 74, ...}``: the 1-based line of each step (``tier.N``) in the file."""
    try:
        root = yaml.compose(schedule.source)
    except yaml.YAMLError:  # parse_schedule read it: only a hand-built Schedule gets here
        return {}
    lines: dict[str, int] = {}
    for tier in _items(root, "tiers"):
        name = _text(tier, "name")
        for number, step in enumerate(_items(tier, "steps"), start=1):
            lines[f"{name}.{number}"] = step.start_mark.line + 1
    return lines


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v  # type: ignore[no-any-return]  # PyYAML's node lists are untyped
    return None


def _items(node: yaml.Node | None, key: str) -> list[yaml.Node]:
    found = _get(node, key)
    return list(found.value) if isinstance(found, yaml.SequenceNode) else []


def _text(node: yaml.Node | None, key: str) -> str:
    found = _get(node, key)
    return str(found.value) if isinstance(found, yaml.ScalarNode) else ""


def line_of(key: str, lines: dict[str, int]) -> int:
    """The line of occurrence ``key`` (``mid.3#d25`` is step 3 of tier mid); 1 if unknown."""
    return lines.get(key.split("#")[0], 1)


def coverage_findings(schedule: Schedule, file: str, renderer: Renderer) -> list[Finding]:
    """An error for each step part missing for its channel, fallback or a declared locale."""
    lines = step_lines(schedule)
    findings: dict[tuple[int, str, str, str | None], Finding] = {}
    for gap in step_gaps(schedule, renderer):
        fix = (
            f"add {gap.part} to templates/{gap.occurrence.template}/, or change the step"
            if gap.locale is None
            else f"add the {gap.locale} translation of {gap.part}, or take {gap.locale} out of "
            "the schedule's locales"
        )
        line = line_of(gap.occurrence.key, lines)
        # A repeating step (every: 7) is one line: report it once, naming its first day.
        findings.setdefault(
            (line, gap.channel, gap.part, gap.locale),
            Finding(file, line, "error", gap.message(schedule), fix),
        )
    return sorted(findings.values())
