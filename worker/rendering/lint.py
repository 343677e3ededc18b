"""``remind templates lint``: render every template part in every locale with sample accounts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from worker.cadence.caller import Caller
from worker.cadence.schedule import Schedule
from worker.contracts.validation import parse_account
from worker.errors import TemplateError
from worker.rendering.context import build_context
from worker.rendering.renderer import PRIMARY_PART, Rendered, Renderer

#: What a rendered message lacks, as sentences (empty: nothing). The caller passes the gate's
#: check: rendering sits below the gate in the layers and cannot import it.
ContentCheck = Callable[[Rendered, Mapping[str, Any]], Sequence[str]]

SAMPLE = {
    "account_id": "lint-1",
    "schedule": "standard",
    "due_date": "2026-03-01",
    "name": "Sam Lee",
    "balance": {"amount": "125.50", "currency": "USD"},
    "creditor": "Northwind Lending",
    "reference": "NW-1",
    "payment_url": "https://pay.example.com/1",
}
#: Who calls, as a schedule's ``caller`` block says it: calls and voicemails need it.
SAMPLE_CALLER = Caller("Harbour Services", "+1 800 555 0100", "Sam Carter")
PARTS = {"sms": ("sms",), "email": ("email",), "voice": ("voice",), "visit": ("visit",)}


def schedule_gaps(schedule: Schedule, renderer: Renderer) -> list[str]:
    """Steps whose template lacks the part for the step's channel or its fallback channel."""
    gaps: list[str] = []
    for step in schedule.occurrences:
        for channel in filter(None, (step.channel, step.fallback)):
            if not renderer.has_part(step.template, channel):
                gaps.append(
                    f"{schedule.ref} {step.key}: template {step.template!r} has no "
                    f"{PRIMARY_PART[channel]} for its {channel} "
                    f"{'fallback' if channel == step.fallback else 'step'}"
                )
    return sorted(set(gaps))


def lint_templates(templates_dir: Path, console: Console, check: ContentCheck | None = None) -> int:
    """Render each (template, channel, locale) that has files; return the number of failures.

    ``check`` finds what a rendered message lacks; ``remind templates lint`` passes the gate's
    checks that hold wherever a message goes (``worker.gate.content.lint_problems``).
    """
    renderer = Renderer(templates_dir)
    account = parse_account(SAMPLE)
    failures = 0
    for name in renderer.template_names():
        channels = sorted(
            {
                p.name.split(".")[0]
                for p in (templates_dir / name).iterdir()
                if p.name.split(".")[0] in PARTS
            }
        )
        for locale in sorted(renderer.locales_of(name) | {"en"}):
            for channel in channels:
                try:
                    ctx = build_context(
                        account,
                        day=10,
                        tier="mid",
                        channel=channel,
                        locale=locale,
                        unsubscribe_url="https://example.com/u/x",
                        caller=SAMPLE_CALLER,
                    )
                    rendered = renderer.render(name, channel, locale, ctx)
                    problems = check(rendered, ctx) if check else []
                except TemplateError as e:
                    problems = [str(e)]
                if problems:
                    failures += 1
                    why = "; ".join(problems)
                    console.print(f"[red]fail[/] {name} {channel} {locale}: {why}", highlight=False)
                else:
                    console.print(f"ok   {name} {channel} {locale}")
    return failures
