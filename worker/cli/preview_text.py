"""How ``remind templates preview`` shows a preview in the terminal, and where its HTML goes.

Each channel in each locale starts with ``== NAME CHANNEL LOCALE``; each part with
``-- PART (FILE)``, then its text as sent, then indented lines: the SMS meter, each character
that costs extra, and the lint findings on the part's file. An HTML email is not printed: it is
written to ``OUT/NAME.LOCALE.html`` and the line of its part names that path.
"""

from __future__ import annotations

from pathlib import Path

import typer

from worker.lint.preview import ChannelPreview, Preview


def write_html(shown: Preview, out: Path) -> dict[tuple[str, str], Path]:
    """Write each rendered ``email.html`` to ``out/NAME.LOCALE.html``; the paths by
    ``(channel, locale)``."""
    written: dict[tuple[str, str], Path] = {}
    for render in shown.renders:
        for part in render.parts:
            if part.name == "email.html":
                out.mkdir(parents=True, exist_ok=True)
                path = out / f"{shown.template}.{render.locale}.html"
                path.write_text(part.text + "\n", encoding="utf-8")
                written[(render.channel, render.locale)] = path
    return written


def print_preview(shown: Preview, written: dict[tuple[str, str], Path]) -> None:
    """Print ``shown`` as the module docstring describes, then the findings not shown beside a
    part and a count of errors and warnings."""
    for render in shown.renders:
        _render(shown, render, written)
    if shown.elsewhere:
        typer.echo(f"-- other findings on {shown.template}")
        for finding in shown.elsewhere:
            typer.echo(f"   {finding.format()}")
    errors = sum(f.level == "error" for f in shown.findings)
    failed = sum(r.error is not None for r in shown.renders)
    tail = f", {failed} part(s) failed to render" if failed else ""
    typer.echo(
        f"{shown.template}: {errors} lint error(s), {len(shown.findings) - errors} warning(s){tail}"
    )


def _render(shown: Preview, render: ChannelPreview, written: dict[tuple[str, str], Path]) -> None:
    account = "the sample account" if shown.account == "sample" else shown.account
    used = "" if render.used in (None, render.locale) else f" (files: {render.used})"
    typer.echo(f"== {shown.template} {render.channel} {render.locale}{used}, for {account}")
    if render.error is not None:
        typer.echo(f"   error: {render.error}")
    for part in render.parts:
        if part.name == "email.html":
            path = written[(render.channel, render.locale)]
            typer.echo(f"-- {part.name} ({part.file}) written to {path}")
        else:
            typer.echo(f"-- {part.name} ({part.file})")
            typer.echo(part.text)
        if part.sms is not None:
            typer.echo(f"   sms: {part.sms.summary()}; {part.sms.reason}")
            for c in part.sms.characters:
                typer.echo(f"   character {c.position}: {c.name}: {c.cost}")
        for finding in part.findings:
            typer.echo(f"   {finding.format()}")
