"""``remind templates lint``: every template part renders in every locale."""

from __future__ import annotations

from pathlib import Path

import typer

from worker.cli.common import console, load_settings

templates_app = typer.Typer(help="Lint templates (preview is not built yet).", no_args_is_help=True)


@templates_app.command("lint")
def templates_lint() -> None:
    """Render every template part in every locale with sample data; fail on any error."""
    # Lazy: worker.rendering loads jinja2, which `remind --help` does not need.
    from worker.gate.content import lint_problems
    from worker.rendering.lint import lint_templates

    # The checks are the gate's (rendering sits below the gate, so lint is handed them).
    problems = lint_templates(Path(load_settings().templates_dir), console, check=lint_problems)
    if problems:
        raise typer.Exit(1)
