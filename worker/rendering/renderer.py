"""Rendering: template files + an account's context -> the text a channel sends.

Templates live in ``<templates_dir>/<template>/<part>[.<locale>].<ext>``; a file without a locale
is the default (English). A folder whose name starts with ``_`` (``_layouts``) is not a template:
it holds files the templates ``{% extends %}`` or ``{% include %}``. They run in Jinja's
immutable sandbox with ``StrictUndefined`` and HTML parts are autoescaped. What a message must
say (the opt-out, a disclosure, a licence number) is the gate's to check, on the rendered
message (``worker.gate.content``).
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError

from worker.errors import TemplateError
from worker.rendering.filters import FILTERS, FORMAT_LOCALE, babel_locale
from worker.rendering.limits import LimitedEnvironment, RenderLimits
from worker.rendering.locales import DEFAULT_LOCALE, locale_chain
from worker.rendering.sms import normalise_sms

#: The part a channel cannot do without; its locale decides the locale of the other parts.
PRIMARY_PART = {"sms": "sms.txt", "email": "email.txt", "voice": "voice.txt", "visit": "visit.txt"}
#: Every part file a template may hold, without its locale.
PARTS = frozenset({*PRIMARY_PART.values(), "email.subject.txt", "email.html", "voicemail.txt"})

#: Compiled template files a worker's renderer keeps (the shipped directory has 147).
TEMPLATE_CACHE_SIZE = 5000

# A leading letter or digit: "_layouts" and the like hold shared files, not messages.
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# "voicemail" before "voice" and "email.subject" before "email": the regex takes the first fit.
_PART_FILE = re.compile(
    r"^(?P<base>email\.subject|email|sms|voicemail|voice|visit)"
    r"(?:\.(?P<locale>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.(?P<ext>txt|html)$"
)


@dataclass(frozen=True)
class Rendered:
    """One message, rendered and normalised, ready for its channel."""

    template: str
    channel: str  # sms|email|voice|visit
    locale: str  # locale of the files actually used; "en" for the default files
    text: str  # sms body / email plain text / voice script / visit brief
    subject: str | None = None  # email only
    html: str | None = None  # email only, when email.html exists
    voicemail: str | None = None  # voice only, when voicemail.txt exists


class _PrintedNone(ValueError):
    """A template printed ``None``: an optional variable that is not guarded by ``{% if %}``."""


def _refuse_none(value: Any) -> Any:
    # Fail closed: "Your balance of None" must never reach a person.
    if value is None:
        raise _PrintedNone("printed None; guard optional variables with {% if ... %}")
    return value


class Renderer:
    """Renders ``<template>/<part>[.<locale>].<ext>`` files from one templates directory."""

    def __init__(
        self, templates_dir: Path, limits: RenderLimits | None = None, *, reload: bool = False
    ) -> None:
        """``reload=False`` (a worker's renderer): each template folder is listed, and each
        file compiled, once in the renderer's life; an edit is seen by a new renderer (a
        restarted process). ``reload=True``: every render lists the folder and checks each
        file's modification time, as an editor's long-lived tool would want. ``remind
        templates lint|preview`` and the web preview build a renderer per call, so they see
        every edit either way."""
        if not templates_dir.is_dir():
            raise TemplateError(f"templates directory {templates_dir} does not exist")
        self.templates_dir = templates_dir
        self.reload = reload
        # template -> its part files, kept when not reloading (a dict read is thread-safe;
        # two threads listing the same folder at once store the same answer)
        self._listed: dict[str, dict[str, dict[str, tuple[str, str]]]] = {}
        # Time and size limits hold in production too (worker.rendering.limits).
        self._env = LimitedEnvironment(
            limits or RenderLimits(),
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_refuse_none,
            auto_reload=reload,
            # Jinja keeps 400 compiled files by default; a worker that never reloads keeps a
            # directory's worth, so a big one is not compiled again as it cycles through.
            cache_size=400 if reload else TEMPLATE_CACHE_SIZE,
        )
        self._env.filters.update(FILTERS)  # money, date, days, first_name, masked

    @property
    def environment(self) -> LimitedEnvironment:
        """The sandboxed Jinja environment (its filters, tests and globals), for lint to read."""
        return self._env

    def template_names(self) -> list[str]:
        """Names of the templates in the directory, sorted."""
        return sorted(
            d.name
            for d in self.templates_dir.iterdir()
            if d.is_dir() and _TEMPLATE_NAME.match(d.name) and self._files(d.name)
        )

    def has_part(self, template: str, channel: str) -> bool:
        """True when ``template`` has the main part for ``channel`` in some locale."""
        primary = PRIMARY_PART.get(channel)
        if primary is None or not _TEMPLATE_NAME.match(template):
            return False  # a schedule naming "_layouts" has a gap to report, not a crash
        return bool(self._files(template).get(primary))

    def locales_of(self, template: str) -> set[str]:
        """Locales that ``template`` has files for; ``"en"`` stands for the default files."""
        files = self._existing(template)
        return {tag for by_locale in files.values() for tag, _ in by_locale.values()}

    def part_files(self, template: str) -> list[tuple[str, str, str]]:
        """``(part, locale tag, file name)`` of every part file of ``template``, sorted."""
        files = self._files(template)
        return sorted((part, tag, name) for part, by in files.items() for tag, name in by.values())

    def render(
        self, template: str, channel: str, locale: str, context: Mapping[str, Any]
    ) -> Rendered:
        """Render ``template`` for ``channel`` in the best locale available for ``locale``.

        The locale is chosen by the channel's main part (``sms.txt``, ``email.txt``,
        ``voice.txt``, ``visit.txt``); the other parts come from that same locale so one message
        never mixes languages. Raises ``TemplateError`` for a missing part, an undefined
        variable or a sandbox violation.
        """
        primary = PRIMARY_PART.get(channel)
        if primary is None:
            raise TemplateError(f"unknown channel {channel!r} for template {template!r}")
        files = self._existing(template)
        tried = locale_chain(locale)
        candidates = files.get(primary, {})
        key = next((t.lower() for t in tried if t.lower() in candidates), "")
        if key not in candidates:
            raise TemplateError(
                f"template {template!r} has no {primary} for locale {locale!r} "
                f"(tried {', '.join([*tried, 'default'])})"
            )
        tag = candidates[key][0]
        # Filters format for the person's locale when the file is in their language.
        values = {**context, FORMAT_LOCALE: babel_locale(locale, tag)}

        def part(name: str) -> str | None:
            found = files.get(name, {}).get(key)
            return None if found is None else self._render_file(template, found[1], values)

        text = part(primary) or ""
        if channel == "sms":
            return Rendered(template, channel, tag, normalise_sms(text))
        text = _tidy(text)
        if channel == "email":
            subject = part("email.subject.txt")
            if subject is None:
                raise TemplateError(
                    f"template {template!r} has {primary} but no email.subject.txt for "
                    f"locale {tag!r}"
                )
            html = part("email.html")
            return Rendered(
                template,
                channel,
                tag,
                text,
                subject=" ".join(subject.split()),  # one line: a newline would end the header
                html=None if html is None else _tidy(html),
            )
        if channel == "voice":
            voicemail = part("voicemail.txt")
            voicemail = None if voicemail is None else _tidy(voicemail)
            return Rendered(template, channel, tag, text, voicemail=voicemail)
        return Rendered(template, channel, tag, text)

    def _existing(self, template: str) -> dict[str, dict[str, tuple[str, str]]]:
        files = self._files(template)
        if not files:
            raise TemplateError(f"no template named {template!r} in {self.templates_dir}")
        return files

    def _files(self, template: str) -> dict[str, dict[str, tuple[str, str]]]:
        """``{part: {lower-cased locale or "" for default: (locale tag, file name)}}``."""
        found = None if self.reload else self._listed.get(template)
        if found is None:
            found = self._list(template)
            if not self.reload:
                self._listed[template] = found
        return found

    def _list(self, template: str) -> dict[str, dict[str, tuple[str, str]]]:
        if not _TEMPLATE_NAME.match(template):
            raise TemplateError(
                f"{template!r} is not a template name (a letter or digit, then letters, "
                "digits, _ and -)"
            )
        folder = self.templates_dir / template
        found: dict[str, dict[str, tuple[str, str]]] = {}
        if not folder.is_dir():
            return found
        for path in folder.iterdir():
            match = _PART_FILE.match(path.name)
            if match is None or not path.is_file():
                continue
            part = f"{match['base']}.{match['ext']}"
            if part in PARTS:
                locale = match["locale"]
                key = locale.lower() if locale else ""
                found.setdefault(part, {})[key] = (locale or DEFAULT_LOCALE, path.name)
        return found

    def _render_file(self, template: str, filename: str, context: dict[str, Any]) -> str:
        name = f"{template}/{filename}"
        try:
            return self._env.render_limited(name, context)
        except TemplateSyntaxError as e:
            where = _via(name, e.name or name, e.lineno)
            raise TemplateError(f"{where}: syntax error: {e.message}") from e
        except TemplateNotFound as e:  # an {% extends %}, {% include %} or {% import %}
            where = self._where(e, name)
            raise TemplateError(f"{where}: no file {e.name!r} in the templates directory") from e
        except UndefinedError as e:
            raise TemplateError(f"{self._where(e, name)}: {e.message}") from e
        except SecurityError as e:
            raise TemplateError(f"{self._where(e, name)}: sandbox violation: {e}") from e
        except Exception as e:  # whatever a template does wrong, it is a template error
            raise TemplateError(f"{self._where(e, name)}: {e}") from e

    def _where(self, error: BaseException, name: str) -> str:
        """The template file and line where ``error`` was raised while rendering ``name``.

        The innermost frame of a file under the templates directory: an error in a layout that
        ``name`` extends or includes names the layout, so nobody hunts for it in ``name``.
        """
        root = Path(os.path.abspath(self.templates_dir))
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            path = Path(os.path.abspath(frame.filename))
            # Not .py: a templates directory could hold a virtualenv with Jinja's own code.
            if frame.lineno and path.is_relative_to(root) and path.suffix != ".py":
                return _via(name, path.relative_to(root).as_posix(), frame.lineno)
        return name


def _via(name: str, file: str, line: int | None) -> str:
    """``name:N``, or ``name via _layouts/email.html:N`` when the line is in another file."""
    at = "" if line is None else f":{line}"
    return f"{name}{at}" if file == name else f"{name} via {file}{at}"


def _tidy(text: str) -> str:
    """Strip trailing spaces and surrounding blank lines; keep at most one blank line in a row."""
    lines = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", lines.strip("\n"))
