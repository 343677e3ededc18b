"""``remind enroll|event``: accounts and events in, validated before anything is written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from worker.cli.common import console, err, load_settings
from worker.contracts.validation import parse_account, parse_event
from worker.errors import InvalidInput, RemindError

#: ``event`` takes its fields as free ``--field value`` pairs, so click must let them through.
EVENT_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def enroll(
    file: Annotated[
        str, typer.Argument(help="JSON Lines or CSV file of accounts, or - for stdin.")
    ],
) -> None:
    """Validate every account in FILE, then enroll them all (nothing is enrolled if one is bad)."""
    # Lazy: the App, worker.intake and worker.sim load redis and jinja2; --help needs neither.
    from worker.app import App
    from worker.intake import EnrollmentRefused
    from worker.intake import enroll as do_enroll
    from worker.runtime.instance import clock_for
    from worker.sim.simulate import read_json_lines, read_records
    from worker.storage.connection import connected

    rows = list(
        read_json_lines(sys.stdin, "<stdin>") if file == "-" else _records(Path(file), read_records)
    )
    problems: list[str] = []
    parsed = []
    for source, data in rows:
        try:
            parsed.append(parse_account(data, source))
        except InvalidInput as e:
            problems.append(str(e))
    if problems:
        for p in problems[:20]:
            err.print(f"[red]error:[/] {p}", highlight=False)
        more = f" ({len(problems) - 20} more not shown)" if len(problems) > 20 else ""
        raise RemindError(f"{len(problems)} invalid account(s){more}; nothing was enrolled")
    refused = 0  # stopped debts: each is recorded as an outcome rejected
    with connected(load_settings()) as (settings, client):
        remind = App(settings, client, clock_for(settings))
        for account in parsed:
            try:
                do_enroll(remind, account)
            except EnrollmentRefused as e:
                err.print(f"refused: {e}", highlight=False)
                refused += 1
    if refused:
        console.print(f"enrolled {len(parsed) - refused} account(s), {refused} refused")
        raise typer.Exit(1)
    console.print(f"enrolled {len(parsed)} account(s)")


def _records(path: Path, reader: Any) -> Any:
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", field="FILE")
    return reader(path)


def event(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account id.")],
    type_: Annotated[
        str, typer.Argument(metavar="TYPE", help="paid, payment, promise_to_pay, ...")
    ],
) -> None:
    """Apply one event, e.g. `remind event A-1 promise_to_pay --until 2026-12-01`."""
    # Lazy: the App and worker.intake load redis and jinja2; --help needs neither.
    from worker.app import App
    from worker.intake import apply_event
    from worker.runtime.instance import clock_for
    from worker.storage.connection import connected

    data: dict[str, Any] = {"account_id": account, "type": type_}
    extra = list(ctx.args)
    while extra:
        flag = extra.pop(0)
        if not flag.startswith("--") or not extra:
            raise InvalidInput("extra fields are given as --field value pairs", field=flag)
        data[flag[2:].replace("-", "_")] = extra.pop(0)
    parsed = parse_event(data, "command line")
    with connected(load_settings()) as (settings, client):
        state = apply_event(App(settings, client, clock_for(settings)), parsed)
    console.print(f"{account}: {type_} applied; status {state.status}")
