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
    from_id: Annotated[
        str | None,
        typer.Option("--from", help="Resume after this stream id (as --with-id prints it)."),
    ] = None,
    count: Annotated[
        int, typer.Option(help="Stop after this many records (0: follow forever).")
    ] = 0,
    with_id: Annotated[
        bool, typer.Option(help="Add each entry's stream id to the record as `stream_id`.")
    ] = False,
    group: Annotated[
        str | None,
        typer.Option(help="Read as this consumer group (created if new), acknowledging each."),
    ] = None,
    consumer: Annotated[
        str, typer.Option(help="The consumer's name within --group.")
    ] = "remind-cli",
) -> None:
    """Print outcome records from the stream remind:results, one JSON object per line."""
    # Lazy: redis costs a tenth of a second at import and `remind --help` does not need it.
    from worker.storage import resultstream
    from worker.storage.connection import connected

    start = from_id or ("0" if from_start else "$")
    if from_id is not None and not _is_stream_id(from_id):
        raise InvalidInput(
            f"is not a stream id such as 1772463600000-0: {from_id!r}", field="--from"
        )
    seen = 0
    with connected(load_settings()) as (_, client):
        if group:
            resultstream.ensure_group(client, group, start=start)
            entries = resultstream.read_group(client, group, consumer)
        else:
            entries = resultstream.follow(client, after=start)
        try:
            for entry in entries:
                if entry is None:
                    continue
                record = {**entry.outcome, "stream_id": entry.id} if with_id else entry.outcome
                print(json.dumps(record, ensure_ascii=False), flush=True)
                if group:
                    resultstream.ack(client, group, entry.id)
                seen += 1
                if count and seen >= count:
                    return
        except KeyboardInterrupt:
            return


def _is_stream_id(value: str) -> bool:
    ms, _, seq = value.partition("-")
    return ms.isdigit() and (seq == "" or seq.isdigit())


@audit_app.command("export")
def audit_export(
    since: Annotated[str, typer.Option(help="From this instant or date (inclusive), ISO 8601.")],
    until: Annotated[str, typer.Option(help="To this instant or date (exclusive), ISO 8601.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Every decision with the rules evaluated for it, as JSON Lines, oldest first."""
    # Lazy: redis costs a tenth of a second at import and `remind --help` does not need it.
    from worker.storage.auditarchive import audit_export as export
    from worker.storage.auditarchive import open_archive
    from worker.storage.connection import connected

    lo, hi = parse_instant(since, "--since"), parse_instant(until, "--until")
    if hi <= lo:
        raise InvalidInput("must be after --since", field="--until")
    n = 0
    with connected(load_settings()) as (settings, client):
        archive = open_archive(settings)
        sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
        try:
            for record in export(client, archive, since=lo, until=hi):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        finally:
            archive.close()
            if out:
                sink.close()
    if out:
        console.print(f"exported {n} decision record(s) to {out}")


@audit_app.command("archive")
def audit_archive() -> None:
    """Move the decision records Redis holds to the archive now (the scheduler does it every
    REMIND_AUDIT_ARCHIVE_SECONDS) and drop the archive's days past the retention."""
    from worker.runtime.instance import clock_for
    from worker.storage.auditarchive import archive_settings, open_archive
    from worker.storage.connection import connected

    with connected(load_settings()) as (settings, client):
        run = archive_settings(settings, client, clock_for(settings).now())
        where = open_archive(settings).describe()
    console.print(
        f"archived {run.archived} decision record(s) to {where}"
        + (f", moved {run.adopted} from an older version's log" if run.adopted else "")
        + (f", dropped {run.dropped} day(s) past the retention" if run.dropped else "")
        + (f"; {run.busy} shard(s) were being archived by another process" if run.busy else "")
    )
