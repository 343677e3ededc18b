"""``remind schedules check|plan``: is a cadence valid, and when would its steps fall."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from worker.cadence.pinning import check_pinned
from worker.cadence.schedule import find_schedule, list_schedules
from worker.cli.common import console, err, load_settings
from worker.cli.pins import pinned_versions, schedule_file
from worker.errors import InvalidInput, RemindError
from worker.gate.packs.files import builtin_packs
from worker.gate.packs.select import house_pack
from worker.gate.plancheck import check_schedule, licence_gaps, licence_reminders

schedules_app = typer.Typer(help="Check and plan cadence schedules.", no_args_is_help=True)


@schedules_app.command("check")
def schedules_check(
    names: Annotated[list[str] | None, typer.Argument(help="Names or paths; default: all.")] = None,
) -> None:
    """Load every schedule and report the first error in each, with file, line and field."""
    # Lazy: worker.rendering loads jinja2, which `remind --help` does not need.
    from worker.rendering.lint import schedule_gaps
    from worker.rendering.renderer import Renderer

    settings = load_settings()
    renderer = Renderer(Path(settings.templates_dir))
    targets = names or list_schedules(Path(settings.schedules_dir))
    pinned = pinned_versions(settings)
    bad = 0
    for name in targets:
        try:
            s = find_schedule(name, Path(settings.schedules_dir))
            check_pinned(s, pinned.get(s.ref), file=schedule_file(name, settings))
            gaps = schedule_gaps(s, renderer) + [f"{s.ref}: {g}" for g in licence_gaps(s)]
            for gap in gaps:
                err.print(f"[red]fail[/] {gap}", highlight=False)
            if gaps:
                bad += 1
                continue
            for reminder in licence_reminders(s):
                console.print(f"[yellow]warn[/] {s.ref}: {reminder}", highlight=False)
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


@schedules_app.command("plan")
def schedules_plan(
    name: Annotated[str, typer.Argument(help="Schedule name or path.")],
    due: Annotated[
        str | None, typer.Option(help="Due date (day 0), ISO.", show_default="today")
    ] = None,
) -> None:
    """List a schedule's steps with their planned local dates."""
    # Lazy: worker.runtime.instance loads the App (redis, jinja2); `remind --help` needs neither.
    from worker.runtime.instance import clock_for

    settings = load_settings()
    s = find_schedule(name, Path(settings.schedules_dir))
    # Today is read when the command runs, from the process's clock (so REMIND_FIXED_NOW moves
    # it), and taken as the local date where it runs, as date.today() would.
    day0 = _due(due) if due is not None else clock_for(settings).now().astimezone().date()
    for o in s.occurrences:
        when = day0 + timedelta(days=o.day)
        console.print(
            f"{o.key:<18} {o.tier:<6} day {o.day:>3}  {when} {o.send_time:%H:%M}  "
            f"{o.channel:<5} {o.template}" + (f" (fallback {o.fallback})" if o.fallback else "")
        )


def _due(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"must be a date such as 2026-03-01, not {value!r}", field="--due"
        ) from None


def _days(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 24 else f"{hours:.1f} hours"
