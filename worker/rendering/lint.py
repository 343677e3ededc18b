"""Rendering for ``remind templates lint`` (``worker.lint``): every template part in every locale
with a sample account, and the template gaps of a schedule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worker.cadence.caller import Caller
from worker.cadence.schedule import Occurrence, Schedule
from worker.contracts.validation import parse_account
from worker.errors import TemplateError
from worker.rendering.context import build_context
from worker.rendering.plan_context import sample_plan_context
from worker.rendering.renderer import PRIMARY_PART, Rendered, Renderer

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
    for step in (*schedule.occurrences, *_plan_messages(schedule)):
        for channel in filter(None, (step.channel, step.fallback)):
            if not renderer.has_part(step.template, channel):
                gaps.append(
                    f"{schedule.ref} {step.key}: template {step.template!r} has no "
                    f"{PRIMARY_PART[channel]} for its {channel} "
                    f"{'fallback' if channel == step.fallback else 'step'}"
                )
    return sorted(set(gaps))


def _plan_messages(schedule: Schedule) -> list[Occurrence]:
    """The plan section's steps and messages, as occurrences keyed ``plan.<name>``."""
    plan = schedule.plan
    if plan is None:
        return []
    named = [(m.name, m) for m in plan.steps] + [
        (name, m)
        for name, m in (
            ("confirmation", plan.confirmation),
            ("thanks", plan.thanks),
            ("settlement_offer", plan.settlement_offer),
        )
        if m is not None
    ]
    return [
        Occurrence(-1, f"plan.{n}", "plan", 0, m.channel, m.template, m.send_time, m.fallback)
        for n, m in named
    ]


@dataclass(frozen=True)
class Sample:
    """One (template, channel, locale) rendered for the sample account, or why it failed."""

    template: str
    channel: str
    locale: str
    rendered: Rendered | None
    context: Mapping[str, Any]
    error: str | None = None


def render_samples(templates_dir: Path) -> Iterator[Sample]:
    """Render each (template, channel, locale) that has files, for the sample account."""
    renderer = Renderer(templates_dir)
    account = parse_account(SAMPLE)
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
                ctx = build_context(
                    account,
                    day=10,
                    tier="mid",
                    channel=channel,
                    locale=locale,
                    unsubscribe_url="https://example.com/u/x",
                    caller=SAMPLE_CALLER,
                )
                ctx.update(sample_plan_context(locale))
                try:
                    rendered = renderer.render(name, channel, locale, ctx)
                except TemplateError as e:
                    yield Sample(name, channel, locale, None, ctx, str(e))
                else:
                    yield Sample(name, channel, locale, rendered, ctx)
