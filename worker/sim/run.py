"""Running a simulation from the command line: progress bar, summary table, plot."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast, get_args

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from worker.cadence.arms import challenger_from_file
from worker.cadence.schedule import Schedule, find_schedule
from worker.config import Settings
from worker.contracts.validation import repeated_account_ids
from worker.errors import InvalidInput, RemindError
from worker.gate.calls import CallResults
from worker.sim.arms import arms_table, compare_arms
from worker.sim.demo_data import generate_accounts, generate_events
from worker.sim.inputs import on_schedule, schedule_option
from worker.sim.outputs import claim_outputs, outbox_beside
from worker.sim.plot import plot_timeline
from worker.sim.report import write_report
from worker.sim.scratch import scratch
from worker.sim.simulate import SimulationResult, read_records, simulate

#: The demo starts on a Monday in early March, so the run crosses the US DST change.
DEMO_START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def _run(
    settings: Settings,
    *,
    accounts: Any,
    events: Any,
    start: datetime,
    days: int,
    json_out: Path,
    plot: Path | None,
    outbox: Path,
    console: Console,
    call_results: CallResults = "unknown",
    report: Path | None = None,
) -> tuple[SimulationResult, float]:
    t0 = time.perf_counter()
    total = days * 86400
    with scratch(settings) as (sim_settings, client):
        sim_settings = _with_outbox(sim_settings, outbox)
        with Progress(
            TextColumn("[bold]simulating"),
            BarColumn(),
            TextColumn("day {task.fields[day]:>3}/" + str(days)),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("sim", total=total, day=0)

            def progress(now: datetime) -> None:
                done = min((now - start).total_seconds(), total)
                bar.update(task, completed=done, day=int(done // 86400))

            result = simulate(
                sim_settings,
                client,
                accounts=accounts,
                events=events,
                start=start,
                days=days,
                json_out=json_out,
                progress=progress,
                call_results=call_results,
            )
    elapsed = time.perf_counter() - t0
    if plot is not None:
        plot_timeline(
            result.outcomes, start, plot, f"remind simulation: {days} days from {start:%Y-%m-%d}"
        )
    if report is not None:
        write_report(
            report,
            result.outcomes,
            schedules=_schedules_of(result.outcomes, Path(settings.schedules_dir)),
            start=start,
            days=days,
            title=f"remind simulation: {days} days from {start:%Y-%m-%d}",
            arms=compare_arms(result.enrolled_refs, result.outcomes, result.applied),
        )
    return result, elapsed


def _schedules_of(outcomes: list[dict[str, Any]], folder: Path) -> list[Schedule]:
    """The schedule versions the outcomes name, read from ``folder`` or a champion's challenger
    file (a version no longer there is left out of the report's plan)."""
    found = []
    for ref in sorted({o["schedule"] for o in outcomes if o.get("schedule")}):
        name, _, version = ref.partition("@")
        try:
            schedule: Schedule | None = find_schedule(name, folder)
            if schedule is not None and schedule.version != version:
                schedule = challenger_from_file(schedule, folder)
        except RemindError:
            continue
        if schedule is not None and schedule.version == version:
            found.append(schedule)
    return found


def _with_outbox(settings: Settings, outbox: Path) -> Settings:
    """Settings whose outbox is ``outbox`` (``Settings.outbox_dir`` is ``data_dir/outbox``)."""
    if outbox.name != "outbox":
        raise ValueError(f"an outbox directory must be named 'outbox', got {outbox}")
    return replace(settings, data_dir=outbox.parent)


def summary_tables(outcomes: list[dict[str, Any]]) -> list[Table]:
    """Sent by channel and tier; deferred by reason; suppressed (and skipped) by reason."""
    sent = Counter((o["channel"], o["tier"]) for o in outcomes if o["outcome"] == "sent")
    tiers = sorted(
        {t for _, t in sent},
        key=lambda t: ["early", "mid", "late"].index(t) if t in ("early", "mid", "late") else 9,
    )
    t1 = Table(title="sent, by channel and tier")
    t1.add_column("channel")
    for t in tiers:
        t1.add_column(t, justify="right")
    t1.add_column("total", justify="right")
    for ch in ("sms", "email", "voice", "visit"):
        row = [sent.get((ch, t), 0) for t in tiers]
        if any(row):
            t1.add_row(ch, *map(str, row), str(sum(row)))
    t1.add_row(
        "[bold]all",
        *[str(sum(sent.get((c, t), 0) for c in ("sms", "email", "voice", "visit"))) for t in tiers],
        f"[bold]{sum(sent.values())}",
    )
    tables = [t1]
    for kind in ("deferred", "suppressed", "skipped", "rejected", "failed"):
        counts = Counter(
            (o["reason"] or "-", o["rule"] or "-") for o in outcomes if o["outcome"] == kind
        )
        if not counts:
            continue
        t = Table(title=f"{kind}, by reason")
        t.add_column("reason")
        t.add_column("deciding rule")
        t.add_column("count", justify="right")
        for (reason, rule), n in counts.most_common():
            t.add_row(reason[:60], rule, str(n))
        tables.append(t)
    return tables


def run_demo(
    settings: Settings, *, n_accounts: int, days: int, out: Path, console: Console
) -> None:
    """``remind demo``: generate, simulate, summarise."""
    out.mkdir(parents=True, exist_ok=True)
    accounts = generate_accounts(DEMO_START.date(), n_accounts)
    events = generate_events(accounts, DEMO_START)
    (out / "accounts.jsonl").write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in accounts)
    )
    (out / "events.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    )
    console.print(
        f"[bold]remind demo[/]: {len(accounts)} accounts (US time zones incl. MA, HI, AK and "
        f"a phone/address mismatch; China; UK), {len(events)} events, {days} days from "
        f"{DEMO_START:%Y-%m-%d}"
    )
    # the demo's folder is its own: each demo replaces the previous demo's outputs there
    claim_outputs(
        [out / "outcomes.jsonl", out / "timeline.png", out / "report.html", out / "outbox"],
        force=True,
    )
    result, elapsed = _run(
        settings,
        accounts=[(f"demo account {a['account_id']}", a) for a in accounts],
        events=[(f"{out / 'events.jsonl'}:{i + 1}", e) for i, e in enumerate(events)],
        start=DEMO_START,
        days=days,
        json_out=out / "outcomes.jsonl",
        plot=out / "timeline.png",
        outbox=out / "outbox",
        console=console,
        report=out / "report.html",
    )
    _report(result, elapsed, out / "outcomes.jsonl", out / "outbox", out / "timeline.png", console)
    console.print(f"report:   {out / 'report.html'}")


def call_results_option(value: str) -> CallResults:
    """``--call-results``, checked against the results a simulated call may be given."""
    choices: tuple[str, ...] = get_args(CallResults)
    if value not in choices:
        raise InvalidInput(
            f"must be one of {', '.join(choices)}, not {value!r}", field="--call-results"
        )
    return cast("CallResults", value)


def run_simulation(
    settings: Settings,
    *,
    schedule: str | None,
    accounts: Path,
    events: Path | None,
    start: datetime,
    days: int,
    json_out: Path,
    plot: Path | None,
    console: Console,
    call_results: CallResults = "unknown",
    report: Path | None = None,
    force: bool = False,
) -> None:
    """``remind simulate``. ``call_results``: a call's result until an event gives it
    (``worker.sim.simulate.simulate``): ``unknown`` counts it under every call cap.

    ``schedule`` (a name or a path) replaces the schedule every account names. Outputs of an
    earlier run (``json_out``, ``plot``, the outbox beside ``json_out``) are never written over
    unless ``force``. A run in which no account was enrolled raises ``InvalidInput`` after its
    summary, so the command exits non-zero.
    """
    if not accounts.exists():
        raise InvalidInput(f"no such file: {accounts}", field="--accounts")
    if events is not None and not events.exists():
        raise InvalidInput(f"no such file: {events}", field="--events")
    rows = list(read_records(accounts))
    repeated = repeated_account_ids(rows)
    if repeated:
        more = f" ({len(repeated) - 1} more)" if len(repeated) > 1 else ""
        raise InvalidInput(repeated[0] + more)
    if schedule is not None:
        settings, name = schedule_option(settings, schedule)
        rows = on_schedule(rows, name)
    ev = list(read_records(events)) if events else []
    outbox = outbox_beside(json_out)
    claim_outputs([json_out, outbox, *(p for p in (plot, report) if p)], force=force)
    json_out.parent.mkdir(parents=True, exist_ok=True)
    result, elapsed = _run(
        settings,
        accounts=rows,
        events=ev,
        start=start,
        days=days,
        json_out=json_out,
        plot=plot,
        outbox=outbox,
        console=console,
        call_results=call_results,
        report=report,
    )
    _report(result, elapsed, json_out, outbox, plot, console)
    if report is not None:
        console.print(f"report:   {report}")
    if result.enrolled == 0:
        why = (
            f"all {result.rejected} were rejected (the reasons are in the rejected table above)"
            if result.rejected
            else "the file holds none"
        )
        raise InvalidInput(f"no account was enrolled: {why}", source=str(accounts))


def _report(
    result: SimulationResult,
    elapsed: float,
    json_out: Path,
    outbox: Path,
    plot: Path | None,
    console: Console,
) -> None:
    for table in summary_tables(result.outcomes):
        console.print(table)
    if arms := compare_arms(result.enrolled_refs, result.outcomes, result.applied):
        console.print(arms_table(arms))
    console.print(
        f"{result.enrolled} accounts enrolled, {result.rejected} rejected, "
        f"{result.events_applied} events applied, {result.events_rejected} events rejected, "
        f"{len(result.outcomes)} decisions "
        f"in {elapsed:.1f}s"
    )
    console.print(f"outcomes: {json_out}")
    console.print(f"outbox:   {outbox}/<channel>.jsonl")
    if plot is not None:
        console.print(f"plot:     {plot}")
