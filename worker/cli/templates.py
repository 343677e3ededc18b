"""``remind templates lint [PATH] [--json]``: check template files before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from worker.cli.common import console, load_settings

templates_app = typer.Typer(help="Lint templates (preview is not built yet).", no_args_is_help=True)


@templates_app.command("lint")
def templates_lint(
    path: Annotated[
        Path | None, typer.Argument(help="Templates directory (default: the configured one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    schedules: Annotated[
        Path | None,
        typer.Option(help="Schedules to check the templates against (default: the configured)."),
    ] = None,
) -> None:
    """Render every template part in every locale with sample data, check what the messages
    must say, what an SMS costs, the wording the rule packs forbid and the names templates
    use; check every schedule's steps have their parts in each of its locales, the content
    its packs require and its SMS segment limit. Prints ``file:line: level: message``; exits 1
    on any error, 0 with warnings only."""
    # Lazy: the engine loads jinja2 and the packs, which `remind --help` does not need.
    from worker.lint.engine import lint

    settings = load_settings()
    templates = path if path is not None else Path(settings.templates_dir)
    findings = lint(templates, schedules or Path(settings.schedules_dir))
    if as_json:
        print(json.dumps([f.as_json() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            console.print(finding.format(), highlight=False, markup=False, soft_wrap=True)
        errors = sum(f.level == "error" for f in findings)
        console.print(f"{errors} error(s), {len(findings) - errors} warning(s)", highlight=False)
    if any(f.level == "error" for f in findings):
        raise typer.Exit(1)
