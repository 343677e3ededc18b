"""What a schedule's messages must carry where its people live, and what its SMS may cost.

A schedule's people fall under the packs of its ``country`` (every country a pack names when it
has none) and of each region a pack of that country names (``US-CA``, ``US-MA``...). For each
such place, each template a step sends (channel and fallback) and each locale the schedule
declares, lint renders the template for a sample account with what the gate would give it there
(the initial and the subsequent disclosure, the schedule's licence number) and checks:

- the content the packs require there (``worker.gate.content.check_content``): the disclosure
  and the licence number; the opt-out and the call checks every template passes anyway
  (``worker.gate.content.lint_problems``), so they are not repeated per place;
- the SMS against the schedule's ``sms_max_segments`` (default 3): above it the gate refuses
  the message (``worker.rendering.limits.channel_problems``), so lint says so first.

A problem found for several places is one finding naming them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from worker.accounts.places import Place
from worker.cadence.schedule import LICENCE_EXEMPT, Schedule
from worker.contracts.validation import parse_account
from worker.errors import TemplateError
from worker.gate.content import check_content, disclosure_text
from worker.gate.engine import enforced
from worker.gate.packs.files import builtin_packs
from worker.gate.packs.select import licence_keys, packs_for
from worker.gate.rules import Rule
from worker.lint.coverage import line_of, step_lines
from worker.lint.findings import Finding
from worker.rendering.context import build_context
from worker.rendering.lint import SAMPLE, SAMPLE_CALLER
from worker.rendering.renderer import PRIMARY_PART, Rendered, Renderer
from worker.rendering.sms import segment_info

_FIX = {
    "disclosure": "print {% if disclosure %}{{ disclosure }}{% endif %} in the message",
    "licence": "print {% if licence_number %}{{ licence_number }}{% endif %} in the message, "
    "and set the schedule's licences",
}
#: The licence number lint shows where a schedule gives none.
SAMPLE_LICENCE = "LIC-0000"
#: Checks every template already passes in ``lint_problems``; not repeated per place.
_EVERYWHERE = frozenset({"opt_out", "voicemail_limited", "caller_identity", "call_opt_out"})


@dataclass(frozen=True)
class _Case:
    """One render to judge: a template on a channel, in a locale, for a person in a place."""

    template: str
    channel: str
    locale: str
    place: Place
    initial: bool
    line: int  # the line of the first step that sends it


def sample_places(schedule: Schedule) -> list[Place]:
    """The places a schedule's people may be in, as far as the packs tell them apart."""
    packs = builtin_packs().values()
    countries = (
        [schedule.country]
        if schedule.country
        else sorted({p.applies_when.country for p in packs if p.applies_when.country})
    )
    places: list[Place] = []
    for country in countries:
        places.append(Place(country, None, "schedule"))
        regions = {
            r for p in packs if p.applies_when.country == country for r in p.applies_when.regions
        }
        places += [Place(country, region, "schedule") for region in sorted(regions)]
    return places


def content_rules(schedule: Schedule, place: Place, channel: str) -> list[Rule]:
    """The content rules the gate enforces on ``channel`` for a person in ``place``."""
    packs = packs_for([place], schedule.collector, schedule.packs)
    return [
        r
        for p in packs
        for r in p.rules
        if r.kind == "content"
        and r.covers(channel)
        and (not r.collectors or schedule.collector in r.collectors)
        and enforced(r, schedule.enforce_unverified)
    ]


def schedule_findings(schedule: Schedule, file: str, renderer: Renderer) -> list[Finding]:
    """Pack content and SMS segment findings for ``schedule`` (read from ``file``).

    Each names the template file and the schedule's step (``file:line``); a problem found for
    several places is one finding naming them all, and an SMS over the limit is reported once
    per file with its longest sample (the initial disclosure and a licence number make it so).
    """
    problems: dict[tuple[str, str, str], list[str]] = {}  # (file, message, fix) -> places
    longest: dict[tuple[str, str], tuple[int, int, str, list[str]]] = {}
    account = parse_account(SAMPLE)
    for case in _cases(schedule, step_lines(schedule)):
        rules = content_rules(schedule, case.place, case.channel)
        licence = _licence(schedule, rules)
        if licence == LICENCE_EXEMPT:
            rules = [r for r in rules if r.content != "licence"]
        context = _context(schedule, case, rules, account, licence)
        try:
            rendered = renderer.render(case.template, case.channel, case.locale, context)
        except TemplateError:
            continue  # the template's own lint reports it, with its line
        where = _file(renderer, case.template, case.channel, rendered)
        # The locale of the file used: a declared locale without its files is a coverage
        # finding, and what its people get instead is judged once, as that file.
        head = (
            f"{case.template} {case.channel} {rendered.locale} as sent by {schedule.ref} "
            f"({file}:{case.line})"
        )
        checks = {r.content: r.ref for r in rules if r.content and r.content not in _EVERYWHERE}
        for problem in check_content(rendered, checks=checks, context=context):
            message = f"{head}: {problem.message}, required by {checks[problem.check]}"
            fix = _FIX.get(problem.check, "add what the message lacks")
            problems.setdefault((where, message, fix), []).append(case.place.code)
        if case.channel == "sms":
            info = segment_info(rendered.text)
            if info.segments > schedule.sms_max_segments:
                worst = longest.setdefault((where, head), (0, 0, "", []))
                if (info.segments, info.units) > worst[:2]:
                    worst = (info.segments, info.units, info.encoding, worst[3])
                worst[3].append(case.place.code)
                longest[(where, head)] = worst
    findings = [
        Finding(where, 1, "error", f"{message} (for a person in {_join(codes)})", fix)
        for (where, message, fix), codes in problems.items()
    ]
    for (where, head), (segments, units, encoding, codes) in longest.items():
        message = (
            f"{head}: the SMS takes up to {segments} segments ({units} {encoding} units), over "
            f"the schedule's sms_max_segments of {schedule.sms_max_segments}: it is never sent "
            f"(for a person in {_join(codes)})"
        )
        fix = f"shorten it, or raise sms_max_segments in {file}"
        findings.append(Finding(where, 1, "error", message, fix))
    return sorted(set(findings))


def _join(codes: list[str]) -> str:
    return ", ".join(dict.fromkeys(codes))


def _cases(schedule: Schedule, lines: dict[str, int]) -> Iterator[_Case]:
    sent: dict[tuple[str, str], int] = {}
    for step in schedule.occurrences:
        for channel in filter(None, (step.channel, step.fallback)):
            sent.setdefault((step.template, channel), line_of(step.key, lines))
    for (template, channel), line in sorted(sent.items()):
        for locale in schedule.locales or (schedule.locale,):
            for place in sample_places(schedule):
                for initial in (True, False):
                    yield _Case(template, channel, locale, place, initial, line)


def _context(
    schedule: Schedule, case: _Case, rules: list[Rule], account: Any, licence: str | None
) -> dict[str, Any]:
    disclosure = next((r for r in rules if r.content == "disclosure"), None)
    text = (
        disclosure_text(disclosure.texts, initial=case.initial, locale=case.locale)
        if disclosure
        else None
    )
    return build_context(
        account,
        day=10,
        tier="mid",
        channel=case.channel,
        locale=case.locale,
        unsubscribe_url="https://example.com/u/x",
        disclosure=text,
        licence_number=licence,
        caller=schedule.caller or SAMPLE_CALLER,
    )


def _licence(schedule: Schedule, rules: list[Rule]) -> str | None:
    """The licence number the gate would give, ``exempt``, or None when no rule asks for one.

    Where the schedule gives no number the sample one stands in: the template is judged on
    whether it prints the number, and ``remind schedules check`` reports the missing number
    (``worker.gate.plancheck.licence_gaps``).
    """
    rule = next((r for r in rules if r.content == "licence"), None)
    if rule is None:
        return None
    given = [schedule.licences.get(key) for key in licence_keys(rule.pack)]
    numbers = [n for n in given if n is not None and n != LICENCE_EXEMPT]
    if given and not numbers and None not in given:
        return LICENCE_EXEMPT
    return numbers[0] if numbers else SAMPLE_LICENCE


def _file(renderer: Renderer, template: str, channel: str, rendered: Rendered) -> str:
    """The path of the main part file that ``rendered`` came from."""
    primary = PRIMARY_PART[channel]
    name = next(
        (
            n
            for p, tag, n in renderer.part_files(template)
            if p == primary and tag == rendered.locale
        ),
        primary,
    )
    return str(renderer.templates_dir / template / name)
