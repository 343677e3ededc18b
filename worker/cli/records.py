"""``remind explain|results tail|audit export``: what remind did to an account, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from worker.cli.common import console, load_settings, parse_instant
from worker.errors import InvalidInput

results_app = typer.Typer(help="Follow outcome records.", no_args_is_help=True)
audit_app = typer.Typer(help="Export the decision audit log.", no_args_is_help=True)


def explain(account: Annotated[str, typer.Argument(help="The account id.")]) -> None:
    """Show an account's state, its next step and when, and its recent outcomes with reasons."""
    # Lazy: the App loads redis and jinja2; `remind --help` needs neither.
    from worker.app import App
    from worker.dispatch.explain import explain_account
    from worker.runtime.instance import clock_for
    from worker.storage.connection import connected

    with connected(load_settings()) as (settings, client):
        explain_account(App(settings, client, clock_for(settings)), account, console)


@results_app.command("tail")
def results_tail(
    from_start: Annotated[bool, typer.Option(help="Replay the stream from its beginning.")] = False,
    count: Annotated[
        int, typer.Option(help="Stop after this many records (0: follow forever).")
    ] = 0,
) -> None:
    """Print outcome records from the stream remind:results, one JSON object per line."""
    # Lazy: redis costs a tenth of a second at import and `remind --help` does not need it.
    from worker.storage.connection import connected
    from worker.storage.results import tail

    seen = 0
    with connected(load_settings()) as (_, client):
        try:
            for record in tail(client, last_id="0" if from_start else "$"):
                if record:
                    print(json.dumps(record, ensure_ascii=False), flush=True)
                    seen += 1
                    if count and seen >= count:
                        return
        except KeyboardInterrupt:
            return


@audit_app.command("export")
def audit_export(
    since: Annotated[str, typer.Option(help="From this instant or date (inclusive), ISO 8601.")],
    until: Annotated[str, typer.Option(help="To this instant or date (exclusive), ISO 8601.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Every decision with the rules evaluated for it, as JSON Lines, oldest first."""
    # Lazy: redis costs a tenth of a second at import and `remind --help` does not need it.
    from worker.storage.connection import connected
    from worker.storage.results import audit_export as export

    lo, hi = parse_instant(since, "--since"), parse_instant(until, "--until")
    if hi <= lo:
        raise InvalidInput("must be after --since", field="--until")
    n = 0
    with connected(load_settings()) as (_, client):
        sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
        try:
            for record in export(client, since=lo, until=hi):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        finally:
            if out:
                sink.close()
    if out:
        console.print(f"exported {n} decision record(s) to {out}")
