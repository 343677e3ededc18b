"""``remind schedules check|plan``: is a cadence valid, and when would its steps fall."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from worker.cadence.arms import challenger_from_file
from worker.cadence.pinning import check_pinned
from worker.cadence.policy import BlockedDays
from worker.cadence.schedule import Schedule, find_schedule, list_schedules
from worker.cli.common import console, err, load_settings
from worker.cli.migrate import schedules_migrate
from worker.cli.pins import pinned_versions, schedule_file
from worker.contracts.vocab import WEEKDAYS
from worker.errors import InvalidInput, RemindError
from worker.gate.packs.files import builtin_packs
from worker.gate.packs.select import house_pack
from worker.gate.plancheck import check_schedule, licence_gaps, licence_reminders
from worker.gate.rules import Pack

schedules_app = typer.Typer(help="Check, plan and migrate cadence schedules.", no_args_is_help=True)
schedules_app.command("migrate")(schedules_migrate)


@schedules_app.command("check")
def schedules_check(
    names: Annotated[list[str] | None, typer.Argument(help="Names or paths; default: all.")] = None,
) -> None:
    """Load every schedule and report the first error in each, with file, line and field; then
    what `remind templates lint` finds for its steps (parts in every locale, pack content,
    SMS segments), from the same engine."""
    # Lazy: the lint engine loads jinja2, which `remind --help` does not need.
    from worker.lint.engine import lint_schedule

    settings = load_settings()
    targets = names or list_schedules(Path(settings.schedules_dir))
    pinned = pinned_versions(settings)
    bad = 0
    for name in targets:
        try:
            s = find_schedule(name, Path(settings.schedules_dir))
            file = schedule_file(name, settings)
            check_pinned(s, pinned.get(s.ref), file=file)
            challenger_from_file(s, Path(settings.schedules_dir))  # its file, name and version
            found = lint_schedule(s, file, Path(settings.templates_dir))
            gaps = [f.format() for f in found if f.level == "error"]
            gaps += [f"{s.ref}: {g}" for g in licence_gaps(s)]
            for gap in gaps:
                err.print(f"[red]fail[/] {escape(gap)}", highlight=False)
            if gaps:
                bad += 1
                continue
            for reminder in licence_reminders(s):
                console.print(f"[yellow]warn[/] {s.ref}: {reminder}", highlight=False)
            for report in check_schedule(s, [*packs_to_check(s), house_pack(s)]):
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


def packs_to_check(schedule: Schedule) -> list[Pack]:
    """The shipped packs whose caps ``schedules check`` runs the cadence against.

    A schedule with a ``country`` reaches the people of that country: its packs (the country's
    and every region's, since its people may live in any) and the packs it names itself. Packs of
    other countries would only be noise; a person elsewhere who ends up on it is still gated by
    their own packs at send time. A schedule without a ``country`` may reach anyone: all packs.
    """
    packs = builtin_packs().values()
    if schedule.country is None:
        return list(packs)
    return [
        p
        for p in packs
        if p.applies_when.country in (None, schedule.country) or p.name in schedule.packs
    ]


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
    blocked = s.policy.blocked_days
    for o in s.occurrences:
        when = day0 + timedelta(days=o.day)
        console.print(
            f"{o.key:<18} {o.tier:<6} day {o.day:>3}  {when} {o.send_time:%H:%M}  "
            f"{o.channel:<5} {o.template}"
            + (f" (fallback {o.fallback})" if o.fallback else "")
            + _blocked(when, blocked),
            highlight=False,
            markup=False,
        )
    if blocked.public_holidays:
        console.print(
            "note: the house policy also blocks the public holidays of the person's region, "
            "which depend on where each person is and are not marked above",
            highlight=False,
        )


def _blocked(when: date, blocked: BlockedDays) -> str:
    """What the house policy says of a planned date: blocked days are deferred by the gate."""
    if when.weekday() in blocked.weekdays:
        why = f"{WEEKDAYS[when.weekday()].capitalize()}s are"
    elif when in blocked.dates:
        why = "this date is"
    else:
        return ""
    return f"  <- {why} blocked by the house policy: the gate defers it to the next allowed day"


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
