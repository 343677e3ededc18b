"""``remind templates lint [PATH] [--json]``: check template files before anything is sent;
``remind templates preview NAME``: see every part of one template as it would be sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from worker.cli.common import console, load_settings

templates_app = typer.Typer(
    help="Lint templates, and preview one as it would be sent.", no_args_is_help=True
)


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


@templates_app.command("preview")
def templates_preview(
    name: Annotated[str, typer.Argument(help="The template (a folder of the templates dir).")],
    locale: Annotated[
        str | None,
        typer.Option(help="One locale (default: the account's, else every locale it has)."),
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="One channel: sms, email, voice or visit (default: all).")
    ] = None,
    account: Annotated[
        Path | None,
        typer.Option(help="An account JSON file (docs/contracts.md); default: lint's sample."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Where the HTML emails are written, as NAME.LOCALE.html.")
    ] = Path("out/preview"),
    templates: Annotated[
        Path | None, typer.Option(help="Templates directory (default: the configured one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the preview as JSON.")] = False,
) -> None:
    """Render every part of template NAME for a sample or given account, with what each SMS
    costs (encoding, segments, the characters that cost extra) and the lint findings of each
    file beside its text. HTML emails are written to files whose paths are printed. Exits 1
    when lint has an error on the template or a part fails to render."""
    from worker.cli.preview_text import print_preview, write_html
    from worker.lint.preview import preview, read_account

    given = None
    if account is not None:
        given = read_account(_read_json(account), str(account))
    shown = preview(
        templates if templates is not None else Path(load_settings().templates_dir),
        name,
        locale=locale,
        channel=channel,
        account=given,
        account_source=str(account),
    )
    written = write_html(shown, out)
    if as_json:
        print(json.dumps(shown.as_json(), ensure_ascii=False, indent=2))
    else:
        print_preview(shown, written)
    if shown.errors:
        raise typer.Exit(1)


def _read_json(path: Path) -> object:
    """The JSON in ``path``; an unreadable file or bad JSON is an ``InvalidInput`` naming it."""
    from worker.errors import InvalidInput

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        why = f"cannot read the account file: {e.strerror}"
        raise InvalidInput(why, source=str(path)) from None
    except json.JSONDecodeError as e:
        raise InvalidInput(
            f"line {e.lineno} column {e.colno}: not JSON: {e.msg}", source=str(path)
        ) from None
