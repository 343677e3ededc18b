"""The lint engine: every check of ``remind templates lint``, as findings on files and lines.

It renders each (template, channel, locale) for a sample account (``worker.rendering.lint``)
and checks what the gate checks wherever a message goes (``worker.gate.content.lint_problems``),
what an SMS costs (``worker.lint.smscost``), and reads every template file for the wording the
rule packs forbid (``worker.lint.wording``). It sits above the gate so it can use the packs.
"""

from __future__ import annotations

import re
from pathlib import Path

from worker.gate.content import lint_problems
from worker.gate.packs.files import builtin_packs
from worker.gate.rules import Rule
from worker.lint.findings import Finding
from worker.lint.smscost import sms_findings
from worker.lint.wording import find_wording, wording_findings
from worker.rendering.lint import Sample, render_samples
from worker.rendering.renderer import PRIMARY_PART, Renderer

# "name/sms.txt:3: ..." or "name/email.html via _layouts/email.html:16: ..." (renderer errors).
_WHERE = re.compile(
    r"^(?P<file>[\w.-]+/[\w.-]+)(?::(?P<line>\d+))?"
    r"(?: via (?P<via>[\w./-]+?)(?::(?P<vline>\d+))?)?: (?P<message>.*)$",
    re.DOTALL,
)
#: The channel a part file belongs to, by its part name without the locale.
_CHANNEL_OF = {
    "sms.txt": "sms",
    "email.txt": "email",
    "email.subject.txt": "email",
    "email.html": "email",
    "voice.txt": "voice",
    "voicemail.txt": "voice",
    "visit.txt": "visit",
}


def lint(templates_dir: Path) -> list[Finding]:
    """Every finding for the templates in ``templates_dir``, sorted by file and line."""
    renderer = Renderer(templates_dir)
    rules = [r for p in builtin_packs().values() for r in p.rules if r.kind == "wording"]
    findings: list[Finding] = []
    for name in renderer.template_names():
        findings += _wording(templates_dir, renderer, name, rules)
    for sample in render_samples(templates_dir):
        findings += _sample(templates_dir, renderer, sample)
    return sorted(set(findings))


def _wording(root: Path, renderer: Renderer, name: str, rules: list[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for part, tag, filename in renderer.part_files(name):
        covering = [r for r in rules if r.covers(_CHANNEL_OF[part])]
        path = root / name / filename
        hits = find_wording(path.read_text(encoding="utf-8"), tag, covering)
        findings += wording_findings(str(path), hits)
    return findings


def _sample(root: Path, renderer: Renderer, sample: Sample) -> list[Finding]:
    where = f"{sample.template} {sample.channel} {sample.locale}"
    if sample.rendered is None:
        error = sample.error or "failed to render"
        match = _WHERE.match(error)
        if match is None:
            return [Finding(str(root / sample.template), 1, "error", f"{where}: {error}")]
        file = match["via"] or match["file"]
        line = match["vline"] if match["via"] else match["line"]
        return [
            Finding(
                str(root / file),
                int(line or 1),
                "error",
                f"{where}: {match['message']}",
                "fix the template so it renders for every account (guard optional values "
                "with {% if %})",
            )
        ]
    rendered = sample.rendered
    primary = PRIMARY_PART[sample.channel]
    filename = next(
        f for part, tag, f in renderer.part_files(sample.template)
        if part == primary and tag == rendered.locale
    )  # fmt: skip
    file = str(root / sample.template / filename)
    findings = [
        Finding(file, 1, "error", f"{where}: {problem}", "add what the message lacks")
        for problem in lint_problems(rendered, sample.context)
    ]
    if sample.channel == "sms":
        source = (root / sample.template / filename).read_text(encoding="utf-8")
        findings += sms_findings(file, source, rendered.text)
    return findings
