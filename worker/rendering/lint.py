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
from worker.rendering.limits import RenderLimits
from worker.rendering.locales import DEFAULT_LOCALE, locale_chain
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


@dataclass(frozen=True)
class Gap:
    """A step whose template lacks a part for its channel (or fallback), or lacks it in a locale
    the schedule declares (``locale`` set: a person there would get ``instead`` or nothing)."""

    occurrence: Occurrence
    channel: str
    part: str  # "sms.txt", "email.subject.txt"...
    locale: str | None = None
    instead: str | None = None  # the file a person in ``locale`` would get

    @property
    def role(self) -> str:
        """``fallback`` when the channel is the step's fallback, else ``step``."""
        return "fallback" if self.channel == self.occurrence.fallback else "step"

    def message(self, schedule: Schedule) -> str:
        """``standard@v early.1: template 'x' has no sms.txt for its sms fallback`` and the like."""
        o = self.occurrence
        head = f"{schedule.ref} {o.key}: template {o.template!r} has no {self.part}"
        if self.locale is None:
            return f"{head} for its {self.channel} {self.role}"
        got = f"gets {self.instead}" if self.instead else "gets no message"
        where = f"in {self.locale} for its {self.channel} {self.role}"
        return f"{head} {where}: a {self.locale} person {got}"


def file_for(renderer: Renderer, template: str, part: str, locale: str) -> str | None:
    """The file of ``part`` a person in ``locale`` gets, in their language; None if none is.

    The default files are English: they count for an ``en`` locale only.
    """
    by_tag = {tag.lower(): name for p, tag, name in renderer.part_files(template) if p == part}
    for tag in locale_chain(locale):
        if tag.lower() in by_tag:
            return by_tag[tag.lower()]
    chain = [t.lower() for t in locale_chain(locale)]
    english = not chain or chain[-1] == DEFAULT_LOCALE
    return by_tag.get(DEFAULT_LOCALE) if english else None


def step_gaps(schedule: Schedule, renderer: Renderer) -> list[Gap]:
    """Every gap of every step, for its channel and fallback, in every declared locale."""
    gaps: list[Gap] = []
    locales = schedule.locales or (schedule.locale,)
    for step in schedule.occurrences:
        for channel in filter(None, (step.channel, step.fallback)):
            primary = PRIMARY_PART[channel]
            if not renderer.has_part(step.template, channel):
                gaps.append(Gap(step, channel, primary))
                continue
            parts = [primary] + (["email.subject.txt"] if channel == "email" else [])
            for locale in locales:
                for part in parts:
                    if file_for(renderer, step.template, part, locale) is None:
                        instead = file_for(renderer, step.template, part, DEFAULT_LOCALE)
                        gaps.append(Gap(step, channel, part, locale, instead))
    return gaps


def schedule_gaps(schedule: Schedule, renderer: Renderer) -> list[str]:
    """Steps whose template lacks the part for the step's channel or its fallback channel."""
    return sorted({g.message(schedule) for g in step_gaps(schedule, renderer) if g.locale is None})


@dataclass(frozen=True)
class Sample:
    """One (template, channel, locale) rendered for the sample account, or why it failed."""

    template: str
    channel: str
    locale: str
    rendered: Rendered | None
    context: Mapping[str, Any]
    error: str | None = None


def render_samples(templates_dir: Path, limits: RenderLimits | None = None) -> Iterator[Sample]:
    """Render each (template, channel, locale) that has files, for the sample account."""
    renderer = Renderer(templates_dir, limits)
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
                try:
                    rendered = renderer.render(name, channel, locale, ctx)
                except TemplateError as e:
                    yield Sample(name, channel, locale, None, ctx, str(e))
                else:
                    yield Sample(name, channel, locale, rendered, ctx)
