"""``remind enroll|event``: accounts and events in, validated before anything is written."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from worker.cli.common import console, err, load_settings
from worker.contracts.event import EVENT_TYPES
from worker.contracts.validation import parse_account, parse_event, repeated_account_ids
from worker.errors import InvalidInput, RemindError


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
    problems = repeated_account_ids(rows)
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


#: Options that go into a ``constraint`` event's ``constraint`` object (docs/contracts.md).
_CONSTRAINT_ONLY = ("kind", "start", "end", "weekdays", "country", "region")
#: Options that go into the ``constraint`` object when TYPE is ``constraint``, and are the
#: event's own field otherwise (``opt_out --channel``, ``contact_update --timezone``).
_SHARED = ("channel", "timezone")


def event_fields(
    account: str, type_: str, options: dict[str, Any], extra_json: str | None
) -> dict[str, Any]:
    """The event object that ``remind event`` options describe (options left as None are out).

    For a ``constraint`` event, ``--kind``, ``--start``, ``--end``, ``--weekday``, ``--channel``,
    ``--timezone``, ``--country`` and ``--region`` build its ``constraint`` object; ``--json``
    adds fields that have no option of their own (``phones``, ``emails``, ``address``,
    ``attorney``, or the whole ``constraint``), and an option given wins over it.
    """
    data: dict[str, Any] = {}
    if extra_json is not None:
        try:
            data = json.loads(extra_json)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"is not valid JSON ({e.msg})", field="--json") from None
        if not isinstance(data, dict):
            raise InvalidInput("must be a JSON object of event fields", field="--json")
    given = {k: v for k, v in options.items() if v not in (None, [])}
    if type_ == "constraint":
        inner = dict(data.get("constraint") or {})
        for name in (*_CONSTRAINT_ONLY, *_SHARED):
            if name in given:
                inner[name] = given.pop(name)
        if inner:
            data["constraint"] = inner
    else:
        for name in _CONSTRAINT_ONLY:
            if name in given:
                flag = "--weekday" if name == "weekdays" else f"--{name}"
                raise InvalidInput("is only for a constraint event", field=flag)
    data.update(given)
    data.update(account_id=account, type=type_)
    return data


def event(
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="The account id.")],
    type_: Annotated[
        str,
        typer.Argument(metavar="TYPE", help=f"One of: {', '.join(EVENT_TYPES)}."),
    ],
    at: Annotated[str | None, typer.Option(help="When it happened, ISO 8601; default now.")] = None,
    amount: Annotated[str | None, typer.Option(help="payment, promise_to_pay.")] = None,
    until: Annotated[
        str | None, typer.Option(help="promise_to_pay; constraint: last day it holds.")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(help="opt_out, opt_in, conversation, reply; constraint: its channel."),
    ] = None,
    address: Annotated[str | None, typer.Option(help="opt_out, opt_in, reply.")] = None,
    reason: Annotated[str | None, typer.Option(help="dispute, close.")] = None,
    result: Annotated[str | None, typer.Option(help="call_result.")] = None,
    dispatch_id: Annotated[str | None, typer.Option(help="call_result.")] = None,
    text: Annotated[str | None, typer.Option(help="reply: the person's own words.")] = None,
    debt: Annotated[
        list[str] | None, typer.Option(help="conversation: another debt discussed; repeatable.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="contact_update.")] = None,
    locale: Annotated[str | None, typer.Option(help="contact_update.")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="contact_update; constraint located_in.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="constraint: inconvenient_hours, inconvenient_days, no_work_calls, "
            "refuse_channel or located_in."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help="constraint inconvenient_hours, HH:MM.")] = None,
    end: Annotated[str | None, typer.Option(help="constraint inconvenient_hours, HH:MM.")] = None,
    weekday: Annotated[
        list[str] | None, typer.Option(help="constraint inconvenient_days; repeatable.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="constraint located_in, e.g. US.")] = None,
    region: Annotated[str | None, typer.Option(help="constraint located_in, e.g. CA.")] = None,
    extra_json: Annotated[
        str | None,
        typer.Option(
            "--json",
            help="More fields as a JSON object: phones, emails, address, attorney, constraint.",
        ),
    ] = None,
) -> None:
    """Apply one event, e.g. `remind event A-1 promise_to_pay --until 2026-12-01` or
    `remind event A-1 constraint --kind inconvenient_hours --start 12:00 --end 14:00`."""
    # Lazy: the App and worker.intake load redis and jinja2; --help needs neither.
    from worker.app import App
    from worker.intake import apply_event
    from worker.runtime.instance import clock_for
    from worker.storage.connection import connected

    options = dict(
        at=at, amount=amount, until=until, channel=channel, address=address, reason=reason,
        result=result, dispatch_id=dispatch_id, text=text, debts=debt, name=name, locale=locale,
        timezone=timezone, kind=kind, start=start, end=end, weekdays=weekday, country=country,
        region=region,
    )  # fmt: skip
    parsed = parse_event(event_fields(account, type_, options, extra_json), "command line")
    with connected(load_settings()) as (settings, client):
        state = apply_event(App(settings, client, clock_for(settings)), parsed)
    console.print(f"{account}: {type_} applied; status {state.status}")
