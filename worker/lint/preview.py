"""Preview: every part of one template rendered for an account, what each SMS costs, and the
lint findings on the template's files beside the text.

``remind templates preview`` and the web service's ``/preview`` page both call ``preview``, so
an editor sees the same thing in the terminal and in the browser. The account is lint's sample
(``worker.rendering.lint.SAMPLE``, with the locale being previewed) or one the editor gives,
validated against the account contract like any other (``parse_account``). Rendering uses the
context lint renders with (day 10, tier ``mid``, the sample caller and unsubscribe link), and the
findings are the lint engine's (``worker.lint.engine.lint``) on this template's files: one
engine, never a second set of rules. What an SMS costs is ``worker.lint.smsmeter``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker.contracts.account import Account
from worker.contracts.validation import parse_account
from worker.errors import InvalidInput, TemplateError
from worker.lint.engine import lint
from worker.lint.findings import Finding
from worker.lint.smsmeter import SmsMeter, sms_meter
from worker.rendering.context import build_context
from worker.rendering.lint import SAMPLE, SAMPLE_CALLER
from worker.rendering.locales import locale_chain
from worker.rendering.plan_context import sample_plan_context
from worker.rendering.renderer import PRIMARY_PART, Rendered, Renderer

#: The step a preview renders for: the one lint renders its samples for.
PREVIEW_DAY = 10
PREVIEW_TIER = "mid"
PREVIEW_UNSUBSCRIBE_URL = "https://example.com/u/x"
#: The file each shown part comes from, by part name.
_PART_FILE = {
    "sms": "sms.txt",
    "email.subject": "email.subject.txt",
    "email.text": "email.txt",
    "email.html": "email.html",
    "voice": "voice.txt",
    "voicemail": "voicemail.txt",
    "visit": "visit.txt",
}


@dataclass(frozen=True)
class Part:
    """One rendered part: its name (``sms``, ``email.subject``...), the file it comes from, the
    text as sent, what it costs when it is an SMS, and the lint findings on its file."""

    name: str
    file: str
    text: str
    sms: SmsMeter | None = None
    findings: tuple[Finding, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The part as a JSON object (the ``parts`` of ``Preview.as_json``)."""
        return {
            "name": self.name,
            "file": self.file,
            "text": self.text,
            "sms": None if self.sms is None else self.sms.as_json(),
            "findings": [f.as_json() for f in self.findings],
        }


@dataclass(frozen=True)
class ChannelPreview:
    """One channel in one locale: its parts, or the error that stopped it rendering."""

    channel: str
    locale: str  # the locale asked for
    used: str | None  # the locale of the files used (None when it did not render)
    parts: tuple[Part, ...] = ()
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The channel as a JSON object (the ``renders`` of ``Preview.as_json``)."""
        return {
            "channel": self.channel,
            "locale": self.locale,
            "used": self.used,
            "parts": [p.as_json() for p in self.parts],
            "error": self.error,
        }


@dataclass(frozen=True)
class Preview:
    """A template rendered in the locales and channels asked for, with its lint findings."""

    template: str
    account: str  # "sample" or where the given account came from
    locales: tuple[str, ...]  # every locale the template has
    channels: tuple[str, ...]  # every channel the template has a part for
    renders: tuple[ChannelPreview, ...]
    findings: tuple[Finding, ...]  # every lint finding on the template's files
    elsewhere: tuple[Finding, ...] = field(default=())  # those not beside a part shown

    @property
    def errors(self) -> int:
        """Lint errors on the template, plus the channels that failed to render here."""
        return sum(f.level == "error" for f in self.findings) + sum(
            r.error is not None for r in self.renders
        )

    def as_json(self) -> dict[str, Any]:
        """The preview as the JSON object of ``--json`` and ``POST /preview/api/render``."""
        return {
            "template": self.template,
            "account": self.account,
            "locales": list(self.locales),
            "channels": list(self.channels),
            "renders": [r.as_json() for r in self.renders],
            "findings": [f.as_json() for f in self.findings],
            "elsewhere": [f.as_json() for f in self.elsewhere],
            "errors": self.errors,
        }


def template_channels(renderer: Renderer, name: str) -> tuple[str, ...]:
    """The channels ``name`` has a main part for, in the order sms, email, voice, visit."""
    return tuple(c for c in PRIMARY_PART if renderer.has_part(name, c))


def sample_account(locale: str) -> Account:
    """Lint's sample account, in ``locale``: what ``remind templates lint`` renders with."""
    return parse_account({**SAMPLE, "locale": locale}, "the sample account")


def read_account(data: Any, source: str) -> Account:
    """An account the editor gave, checked against the account contract; ``InvalidInput``
    names the bad field and ``source`` (a file name, or "the pasted account")."""
    return parse_account(data, source)


def preview(
    templates_dir: Path,
    name: str,
    *,
    locale: str | None = None,
    channel: str | None = None,
    account: Account | None = None,
    account_source: str = "sample",
) -> Preview:
    """Render template ``name`` for ``account`` (default: lint's sample in each locale).

    ``locale`` defaults to the account's, else every locale the template has; ``channel`` to
    every channel it has. An unknown template, locale or channel raises ``InvalidInput`` naming
    the field and what exists.
    """
    renderer = Renderer(templates_dir)
    names = renderer.template_names()
    if name not in names:
        raise InvalidInput(
            f"no template named {name!r} in {templates_dir} (there are: {', '.join(names)})",
            field="template",
        )
    locales = tuple(sorted(renderer.locales_of(name), key=lambda t: (t != "en", t)))
    channels = template_channels(renderer, name)
    asked = locale or (account.locale if account is not None else None)
    wanted = (_known_locale(name, asked, locales),) if asked else locales
    if channel is not None and channel not in channels:
        raise InvalidInput(
            f"template {name!r} has no {channel!r} part (it has: {', '.join(channels)})",
            field="channel",
        )
    findings = tuple(
        f
        for f in lint(templates_dir)
        if Path(f.file).parent == templates_dir / name or f.message.startswith(f"{name} ")
    )
    shown_channels = (channel,) if channel else channels
    renders = tuple(
        _render(renderer, name, c, loc, account or sample_account(loc), findings)
        for loc in wanted
        for c in shown_channels
    )
    shown = {f for r in renders for p in r.parts for f in p.findings}
    return Preview(
        name,
        "sample" if account is None else account_source,
        locales,
        channels,
        renders,
        findings,
        tuple(f for f in findings if f not in shown),
    )


def _known_locale(name: str, asked: str, locales: tuple[str, ...]) -> str:
    """``asked`` when one of its fallbacks (``zh-CN`` -> ``zh-Hans``) is a locale of ``name``."""
    have = {t.lower() for t in locales}
    if not any(t.lower() in have for t in locale_chain(asked)):
        raise InvalidInput(
            f"template {name!r} has no files for locale {asked!r} (it has: {', '.join(locales)})",
            field="locale",
        )
    return asked


def _render(
    renderer: Renderer,
    name: str,
    channel: str,
    locale: str,
    account: Account,
    findings: tuple[Finding, ...],
) -> ChannelPreview:
    context = build_context(
        account,
        day=PREVIEW_DAY,
        tier=PREVIEW_TIER,
        channel=channel,
        locale=locale,
        unsubscribe_url=PREVIEW_UNSUBSCRIBE_URL,
        caller=SAMPLE_CALLER,
    )
    context.update(sample_plan_context(locale))
    try:
        rendered = renderer.render(name, channel, locale, context)
    except TemplateError as e:
        return ChannelPreview(channel, locale, None, error=str(e))
    files = {(part, tag): f for part, tag, f in renderer.part_files(name)}
    root = renderer.templates_dir / name

    def part(kind: str, text: str | None) -> list[Part]:
        if text is None:
            return []
        filename = files[(_PART_FILE[kind], rendered.locale)]
        file = str(root / filename)
        beside = tuple(f for f in findings if f.file == file)
        meter = sms_meter(text) if kind == "sms" else None
        return [Part(kind, file, text, meter, beside)]

    return ChannelPreview(channel, locale, rendered.locale, tuple(_parts(rendered, part)))


def _parts(rendered: Rendered, part: Callable[[str, str | None], list[Part]]) -> list[Part]:
    """The parts of ``rendered`` in reading order, each made by ``part(kind, text)``."""
    if rendered.channel == "sms":
        return list(part("sms", rendered.text))
    if rendered.channel == "email":
        return [
            *part("email.subject", rendered.subject),
            *part("email.text", rendered.text),
            *part("email.html", rendered.html),
        ]
    if rendered.channel == "voice":
        return [*part("voice", rendered.text), *part("voicemail", rendered.voicemail)]
    return list(part("visit", rendered.text))
