"""The ``remind`` command (DESIGN §4.4). Errors are one clear line and a non-zero exit."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from worker import logs
from worker.config import Settings
from worker.errors import InvalidInput, RemindError

app = typer.Typer(
    help="remind: multichannel reminders for overdue accounts, gated by contact rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
results_app = typer.Typer(help="Follow outcome records.", no_args_is_help=True)
schedules_app = typer.Typer(help="Check and plan cadence schedules.", no_args_is_help=True)
templates_app = typer.Typer(help="Lint and preview templates.", no_args_is_help=True)
app.add_typer(results_app, name="results")
app.add_typer(schedules_app, name="schedules")
app.add_typer(templates_app, name="templates")
audit_app = typer.Typer(help="Export the decision audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _register_packs() -> None:
    from worker.cli.packs import packs_app

    app.add_typer(packs_app, name="packs")


_register_packs()
console = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return Settings.from_env()


def _instant(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"is not an ISO 8601 date or instant: {value!r}", field=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(help="How many accounts to generate.")] = 200,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 60,
    out: Annotated[Path, typer.Option(help="Where the outbox, outcomes and plot go.")] = Path(
        "var/demo"
    ),
) -> None:
    """Run the whole pipeline on generated accounts over simulated days, then summarise."""
    from worker.sim.run import run_demo

    run_demo(_settings(), n_accounts=accounts, days=days, out=out, console=console)


@app.command()
def simulate(
    schedule: Annotated[
        str | None, typer.Option(help="Schedule NAME or PATH for accounts without one.")
    ] = None,
    accounts: Annotated[Path, typer.Option(help="Accounts, JSON Lines or CSV.")] = ...,  # type: ignore[assignment]
    events: Annotated[Path | None, typer.Option(help="Events, JSON Lines, each with `at`.")] = None,
    start: Annotated[str, typer.Option(help="Start instant, ISO 8601 (UTC if no offset).")] = ...,  # type: ignore[assignment]
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 60,
    json_out: Annotated[
        Path, typer.Option("--json", help="Write one outcome per line here.")
    ] = ...,  # type: ignore[assignment]
    plot: Annotated[Path | None, typer.Option(help="Draw a PNG timeline here.")] = None,
) -> None:
    """Run the production pipeline on a simulated clock with outbox channels."""
    from worker.sim.run import run_simulation

    run_simulation(
        _settings(),
        schedule=schedule,
        accounts=accounts,
        events=events,
        start=_instant(start, "--start"),
        days=days,
        json_out=json_out,
        plot=plot,
        console=console,
    )


@app.command()
def run(
    processes: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker process.")] = 8,
) -> None:
    """Start every process of the Procfile (worker, scheduler) and stop them together on Ctrl-C."""
    from worker.runtime.processes import supervise, worker_command

    settings = _settings()
    remind = [sys.executable, "-m", "worker.cli"]
    code = supervise(
        [("worker", worker_command(processes, threads)), ("scheduler", [*remind, "scheduler"])],
        settings,
    )
    raise typer.Exit(code)


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker process.")] = 8,
) -> None:
    """Run dramatiq worker processes for the intake and dispatch queues."""
    from worker.runtime.processes import supervise, worker_command

    raise typer.Exit(supervise([("worker", worker_command(processes, threads))], _settings()))


@app.command()
def scheduler() -> None:
    """Run the scheduler: every REMIND_TICK_SECONDS, claim due steps and enqueue dispatches."""
    from worker.app import App
    from worker.runtime.broker import results_sink, setup_broker
    from worker.runtime.instance import clock_for
    from worker.runtime.scheduler import run_scheduler
    from worker.storage.connection import connected

    logs.configure()
    with connected(_settings()) as (settings, client):
        setup_broker(settings)
        run_scheduler(App(settings, client, clock_for(settings), sinks=[results_sink(settings)]))


@app.command()
def enroll(
    file: Annotated[
        str, typer.Argument(help="JSON Lines or CSV file of accounts, or - for stdin.")
    ],
) -> None:
    """Validate every account in FILE, then enroll them all (nothing is enrolled if one is bad)."""
    from worker.app import App
    from worker.contracts.validation import parse_account
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
    with connected(_settings()) as (settings, client):
        remind = App(settings, client, clock_for(settings))
        for account in parsed:
            do_enroll(remind, account)
    console.print(f"enrolled {len(parsed)} account(s)")


def _records(path: Path, reader: Any) -> Any:
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", field="FILE")
    return reader(path)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def event(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account id.")],
    type_: Annotated[
        str, typer.Argument(metavar="TYPE", help="paid, payment, promise_to_pay, ...")
    ],
) -> None:
    """Apply one event, e.g. `remind event A-1 promise_to_pay --until 2026-12-01`."""
    from worker.app import App
    from worker.contracts.validation import parse_event
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
    with connected(_settings()) as (settings, client):
        state = apply_event(App(settings, client, clock_for(settings)), parsed)
    console.print(f"{account}: {type_} applied; status {state.status}")


@app.command()
def explain(account: Annotated[str, typer.Argument(help="The account id.")]) -> None:
    """Show an account's state, its next step and when, and its recent outcomes with reasons."""
    from worker.app import App
    from worker.dispatch.explain import explain_account
    from worker.runtime.instance import clock_for
    from worker.storage.connection import connected

    with connected(_settings()) as (settings, client):
        explain_account(App(settings, client, clock_for(settings)), account, console)


@results_app.command("tail")
def results_tail(
    from_start: Annotated[bool, typer.Option(help="Replay the stream from its beginning.")] = False,
    count: Annotated[
        int, typer.Option(help="Stop after this many records (0: follow forever).")
    ] = 0,
) -> None:
    """Print outcome records from the stream remind:results, one JSON object per line."""
    from worker.storage.connection import connected
    from worker.storage.results import tail

    seen = 0
    with connected(_settings()) as (_, client):
        try:
            for record in tail(client, last_id="0" if from_start else "$"):
                if record:
                    print(json.dumps(record, ensure_ascii=False), flush=True)
                    seen += 1
                    if count and seen >= count:
                        return
        except KeyboardInterrupt:
            return


@schedules_app.command("check")
def schedules_check(
    names: Annotated[list[str] | None, typer.Argument(help="Names or paths; default: all.")] = None,
) -> None:
    """Load every schedule and report the first error in each, with file, line and field."""
    from worker.cadence.schedule import find_schedule, list_schedules
    from worker.gate.packs.files import builtin_packs
    from worker.gate.packs.select import house_pack
    from worker.gate.plancheck import check_schedule
    from worker.rendering.lint import schedule_gaps
    from worker.rendering.renderer import Renderer

    settings = _settings()
    renderer = Renderer(Path(settings.templates_dir))
    targets = names or list_schedules(Path(settings.schedules_dir))
    bad = 0
    for name in targets:
        try:
            s = find_schedule(name, Path(settings.schedules_dir))
            gaps = schedule_gaps(s, renderer)
            for gap in gaps:
                err.print(f"[red]fail[/] {gap}", highlight=False)
            if gaps:
                bad += 1
                continue
            for report in check_schedule(s, [*builtin_packs().values(), house_pack(s)]):
                console.print(
                    f"[yellow]warn[/] {s.ref}: for {report.scope}, {report.rule} "
                    f"({report.text}) would defer "
                    f"{report.deferred} step(s), the longest by {_days(report.longest)}, and skip "
                    f"{report.skipped} whose day would pass",
                    highlight=False,
                )
            console.print(
                f"ok   {s.ref}: {len(s.occurrences)} steps over days "
                f"{s.occurrences[0].day}-{s.occurrences[-1].day}"
            )
        except RemindError as e:
            bad += 1
            err.print(f"[red]fail[/] {e}", highlight=False)
    if bad:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    since: Annotated[str, typer.Option(help="From this instant or date (inclusive), ISO 8601.")],
    until: Annotated[str, typer.Option(help="To this instant or date (exclusive), ISO 8601.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Every decision with the rules evaluated for it, as JSON Lines, oldest first."""
    from worker.storage.connection import connected
    from worker.storage.results import audit_export as export

    lo, hi = _instant(since, "--since"), _instant(until, "--until")
    if hi <= lo:
        raise InvalidInput("must be after --since", field="--until")
    n = 0
    with connected(_settings()) as (_, client):
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


@schedules_app.command("plan")
def schedules_plan(
    name: Annotated[str, typer.Argument(help="Schedule name or path.")],
    due: Annotated[str, typer.Option(help="Due date (day 0), ISO.")] = date.today().isoformat(),
) -> None:
    """List a schedule's steps with their planned local dates."""
    from datetime import timedelta

    from worker.cadence.schedule import find_schedule

    s = find_schedule(name, Path(_settings().schedules_dir))
    day0 = date.fromisoformat(due)
    for o in s.occurrences:
        when = day0 + timedelta(days=o.day)
        console.print(
            f"{o.key:<18} {o.tier:<6} day {o.day:>3}  {when} {o.send_time:%H:%M}  "
            f"{o.channel:<5} {o.template}" + (f" (fallback {o.fallback})" if o.fallback else "")
        )


@templates_app.command("lint")
def templates_lint() -> None:
    """Render every template part in every locale with sample data; fail on any error."""
    from worker.gate.content import opt_out_problems
    from worker.rendering.lint import lint_templates

    problems = lint_templates(Path(_settings().templates_dir), console, check=opt_out_problems)
    if problems:
        raise typer.Exit(1)


def _days(delta: object) -> str:
    from datetime import timedelta

    assert isinstance(delta, timedelta)
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 24 else f"{hours:.1f} hours"


def main() -> None:
    """Console entry point: user mistakes become one line on stderr and exit code 2."""
    try:
        app()
    except RemindError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
