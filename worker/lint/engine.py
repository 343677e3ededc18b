"""The lint engine: every check of ``remind templates lint``, as findings on files and lines.

It renders each (template, channel, locale) for a sample account (``worker.rendering.lint``)
and checks what the gate checks wherever a message goes (``worker.gate.content.lint_problems``),
what an SMS costs (``worker.lint.smscost``), reads every template file for the wording the
rule packs forbid (``worker.lint.wording``) and for names nothing defines (``worker.lint.names``).
Given the schedules too, it checks each step has its parts in every declared locale
(``worker.lint.coverage``, shared with ``remind schedules check``) and each message carries what
the packs of every place its people may be in require, within the schedule's SMS segment limit
(``worker.lint.jurisdictions``). It sits above the gate so it can use the packs.
"""

from __future__ import annotations

import re
from pathlib import Path

from worker.cadence.schedule import SCHEDULE_SUFFIX, Schedule, load_schedule
from worker.contracts.validation import parse_account
from worker.errors import ScheduleError
from worker.gate.content import lint_problems
from worker.gate.packs.files import builtin_packs
from worker.gate.rules import Rule
from worker.lint.coverage import coverage_findings
from worker.lint.findings import Finding
from worker.lint.jurisdictions import schedule_findings
from worker.lint.names import name_findings
from worker.lint.smscost import sms_findings
from worker.lint.wording import find_wording, wording_findings
from worker.rendering.context import build_context
from worker.rendering.filters import FORMAT_LOCALE
from worker.rendering.limits import DEFAULT_SMS_MAX_SEGMENTS, RenderLimits
from worker.rendering.lint import SAMPLE, Sample, render_samples
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


def lint(
    templates_dir: Path,
    schedules_dir: Path | None = None,
    *,
    limits: RenderLimits | None = None,
) -> list[Finding]:
    """Every finding for the templates in ``templates_dir``, sorted by file and line.

    With ``schedules_dir``, every schedule there is checked against the templates too, and an
    SMS a schedule sends is held to that schedule's ``sms_max_segments`` instead of the
    default's warning. ``limits`` bounds each render (the production limits by default).
    """
    renderer = Renderer(templates_dir, limits)
    rules = [r for p in builtin_packs().values() for r in p.rules if r.kind == "wording"]
    findings: list[Finding] = []
    schedules = _schedules(schedules_dir, findings)
    sent_sms = {
        o.template for s, _ in schedules for o in s.occurrences if "sms" in (o.channel, o.fallback)
    }
    for name in renderer.template_names():
        findings += _wording(templates_dir, renderer, name, rules)
    for sample in render_samples(templates_dir, limits):
        max_segments = None if sample.template in sent_sms else DEFAULT_SMS_MAX_SEGMENTS
        findings += _sample(templates_dir, renderer, sample, max_segments)
    findings += _names(templates_dir, renderer, findings)
    for schedule, file in schedules:
        findings += coverage_findings(schedule, file, renderer)
        findings += schedule_findings(schedule, file, renderer)
    return sorted(set(findings))


def lint_schedule(schedule: Schedule, file: str, templates_dir: Path) -> list[Finding]:
    """The findings of one schedule against the templates (``remind schedules check``)."""
    renderer = Renderer(templates_dir)
    return sorted(
        {*coverage_findings(schedule, file, renderer), *schedule_findings(schedule, file, renderer)}
    )


def _schedules(folder: Path | None, findings: list[Finding]) -> list[tuple[Schedule, str]]:
    """The schedules in ``folder``; one that does not load is a finding at its line."""
    loaded: list[tuple[Schedule, str]] = []
    for path in sorted(folder.glob(f"*{SCHEDULE_SUFFIX}")) if folder and folder.is_dir() else []:
        try:
            loaded.append((load_schedule(path), str(path)))
        except ScheduleError as e:
            message = str(e).removeprefix(e.file).removeprefix(f":{e.line}").lstrip(": ")
            findings.append(Finding(str(path), e.line or 1, "error", message, "fix the schedule"))
    return loaded


def _names(root: Path, renderer: Renderer, found: list[Finding]) -> list[Finding]:
    """Unknown names in every template and layout file, unless a render already said so."""
    env = renderer.environment
    context = build_context(parse_account(SAMPLE), day=1, tier="x", channel="sms", locale="en")
    known = {*context, FORMAT_LOCALE}
    rendered_errors = {(f.file, f.line) for f in found if f.level == "error"}
    findings: list[Finding] = []
    for path in sorted(root.glob("*/*")):
        if path.suffix not in (".txt", ".html") or not path.is_file():
            continue
        source = path.read_text(encoding="utf-8")
        for finding in name_findings(env, path, source, known):
            if (finding.file, finding.line) not in rendered_errors:
                findings.append(finding)
    return findings


def _wording(root: Path, renderer: Renderer, name: str, rules: list[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for part, tag, filename in renderer.part_files(name):
        covering = [r for r in rules if r.covers(_CHANNEL_OF[part])]
        path = root / name / filename
        hits = find_wording(path.read_text(encoding="utf-8"), tag, covering)
        findings += wording_findings(str(path), hits)
    return findings


def _sample(
    root: Path, renderer: Renderer, sample: Sample, max_segments: int | None
) -> list[Finding]:
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
        findings += sms_findings(file, source, rendered.text, max_segments=max_segments)
    return findings
