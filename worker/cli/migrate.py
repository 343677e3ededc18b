"""``remind schedules migrate NAME --to VERSION``: move a schedule's accounts to another version."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from worker.cli.common import console, load_settings


def schedules_migrate(
    name: Annotated[str, typer.Argument(help="The schedule's name.")],
    to: Annotated[
        str, typer.Option("--to", help="The version to move to: the file's, or one pinned.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
    from_version: Annotated[
        str | None,
        typer.Option("--from", help="Move only the accounts on this version (default: all)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Move the accounts pinned to other versions of a schedule to VERSION, each at the
    equivalent position (docs/contracts.md, Schedule migration); nothing is sent by it."""
    # Lazy: the App loads redis and jinja2; `remind --help` needs neither.
    from worker.app import App
    from worker.migration import migrate
    from worker.runtime.instance import clock_for
    from worker.storage.connection import connected

    with connected(load_settings()) as (settings, client):
        app = App(settings, client, clock_for(settings))
        report = migrate(app, name, to, dry_run=dry_run, only_from=from_version)
    if as_json:
        console.print_json(json.dumps(report.to_json()))
        return
    verb = "would move" if dry_run else "moved"
    for move in report.moves:
        console.print(move.text(), highlight=False, markup=False)
    c = report.counts()
    console.print(
        f"{name} -> {report.to_ref}: {c['moved']} account(s) {verb} ({c['same_step']} to the "
        f"same step, {c['other_step']} to another, {c['cadence_ends']} whose cadence ends, "
        f"{c['no_pending_step']} without a pending step), {c['busy']} busy (run again), "
        f"{c['already_on_target']} already on it"
        + (" — dry run, nothing changed" if dry_run else ""),
        highlight=False,
        markup=False,
    )
    if c["busy"]:
        raise typer.Exit(1)
