"""``remind demo|simulate|run|worker|scheduler``: run the pipeline, simulated or for real."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from worker import logs
from worker.cli.common import console, load_settings, parse_instant


def demo(
    accounts: Annotated[int, typer.Option(help="How many accounts to generate.")] = 200,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 60,
    out: Annotated[Path, typer.Option(help="Where the outbox, outcomes and plot go.")] = Path(
        "var/demo"
    ),
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Run the real worker, scheduler and web processes on a fast clock against "
            "TWILIO_API_BASE_URL and SMTP_URL (else a local Twilio emulator and SMTP sink), "
            "show the callbacks coming back, and stop.",
        ),
    ] = False,
    seconds: Annotated[float, typer.Option(help="--live: give up after this many seconds.")] = 90.0,
    port: Annotated[
        int, typer.Option(help="--live: the web service's port (0: any free port).")
    ] = 0,
    phone: Annotated[
        str, typer.Option(help="--live: the demo accounts' mobile number.")
    ] = "+12125550123",
    email: Annotated[
        str, typer.Option(help="--live: the demo accounts' email address.")
    ] = "sam.lee@example.com",
) -> None:
    """Run the whole pipeline on generated accounts over simulated days, then summarise; with
    ``--live``, run the real processes and providers for a minute instead."""
    if live:
        # Lazy, as below; worker.sim.live starts processes and reads the results stream.
        from worker.sim.live import run_live_demo

        settings = load_settings()
        raise typer.Exit(
            run_live_demo(settings, seconds=seconds, port=port, phone=phone, email=email)
        )
    # Lazy: worker.sim loads redis, jinja2 and the App; `remind --help` needs none of them.
    from worker.sim.run import run_demo

    run_demo(load_settings(), n_accounts=accounts, days=days, out=out, console=console)


def simulate(
    schedule: Annotated[
        str | None,
        typer.Option(help="Schedule NAME or PATH every account runs on, whatever it names."),
    ] = None,
    accounts: Annotated[Path, typer.Option(help="Accounts, JSON Lines or CSV.")] = ...,  # type: ignore[assignment]
    events: Annotated[Path | None, typer.Option(help="Events, JSON Lines, each with `at`.")] = None,
    start: Annotated[str, typer.Option(help="Start instant, ISO 8601 (UTC if no offset).")] = ...,  # type: ignore[assignment]
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 60,
    json_out: Annotated[
        Path, typer.Option("--json", help="Write one outcome per line here.")
    ] = ...,  # type: ignore[assignment]
    plot: Annotated[Path | None, typer.Option(help="Draw a PNG timeline here.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report here.")
    ] = None,
    call_results: Annotated[
        str,
        typer.Option(
            help="What a simulated call's result is until a call_result event gives it: "
            "unknown (counts under every call cap), answered, voicemail or unanswered."
        ),
    ] = "unknown",
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the outputs of an earlier run (--json, --plot, outbox/)."
        ),
    ] = False,
) -> None:
    """Run the production pipeline on a simulated clock with outbox channels."""
    # Lazy: worker.sim loads redis, jinja2 and the App; `remind --help` needs none of them.
    from worker.sim.run import call_results_option, run_simulation

    run_simulation(
        load_settings(),
        schedule=schedule,
        accounts=accounts,
        events=events,
        start=parse_instant(start, "--start"),
        days=days,
        json_out=json_out,
        plot=plot,
        console=console,
        call_results=call_results_option(call_results),
        report=report,
        force=force,
    )


def run(
    processes: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker process.")] = 8,
) -> None:
    """Start every process of the Procfile (worker, scheduler, web) and stop them together."""
    # Lazy: worker.runtime.processes loads redis (for the embedded server) at import.
    from worker.runtime.processes import supervise, worker_command

    settings = load_settings()
    remind = [sys.executable, "-m", "worker.cli"]
    code = supervise(
        [
            ("worker", worker_command(processes, threads)),
            ("scheduler", [*remind, "scheduler"]),
            ("web", [*remind, "web"]),
        ],
        settings,
    )
    raise typer.Exit(code)


def worker(
    processes: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker process.")] = 8,
) -> None:
    """Run dramatiq worker processes for the intake and dispatch queues."""
    # Lazy: worker.runtime.processes loads redis (for the embedded server) at import.
    from worker.runtime.processes import supervise, worker_command

    raise typer.Exit(supervise([("worker", worker_command(processes, threads))], load_settings()))


def scheduler() -> None:
    """Run the scheduler: every REMIND_TICK_SECONDS, claim due steps and enqueue dispatches."""
    # Lazy: the App, dramatiq and redis would double the time `remind --help` takes.
    from worker.app import App, check_before_start
    from worker.runtime.broker import results_sink, setup_broker
    from worker.runtime.instance import clock_for
    from worker.runtime.scheduler import run_scheduler
    from worker.storage.connection import connected

    logs.configure()
    with connected(load_settings()) as (settings, client):
        check_before_start(settings, client)
        # No publisher confirms on RabbitMQ: a lost dispatch message leaves its entry claimed
        # and it comes back after REMIND_LEASE_SECONDS, and a tick may enqueue many thousands
        setup_broker(settings, confirm=False)
        run_scheduler(App(settings, client, clock_for(settings), sinks=[results_sink(settings)]))


def web(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API, unsubscribe links and /healthz (docs/contracts.md, HTTP)."""
    # Lazy: uvicorn, FastAPI, the App and redis would slow `remind --help` down.
    import uvicorn

    from worker.app import App, check_before_start
    from worker.runtime.broker import results_sink, setup_broker
    from worker.runtime.instance import clock_for
    from worker.storage.connection import connected
    from worker.web.server import create_app

    logs.configure()
    with connected(load_settings()) as (settings, client):
        check_before_start(settings, client)
        setup_broker(settings)
        remind = App(settings, client, clock_for(settings), sinks=[results_sink(settings)])
        uvicorn.run(create_app(remind, settings), host=host, port=port, log_config=None)
