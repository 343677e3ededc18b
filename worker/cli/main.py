"""The ``remind`` command (docs/contracts.md). Errors are one clear line and a non-zero exit.

This module only assembles the command from one module per command group and turns user
mistakes into exit code 2; the commands themselves live next to it:
``run`` (demo, simulate, run, worker, scheduler), ``intake`` (enroll, event), ``records``
(explain, results, audit), ``status``, ``schedules``, ``templates``, ``packs`` and ``dlq``.
"""

from __future__ import annotations

import sys

import typer

from worker.cli import intake, records, run, status
from worker.cli.common import err
from worker.cli.dlq import dlq_app
from worker.cli.packs import packs_app
from worker.cli.schedules import schedules_app
from worker.cli.templates import templates_app
from worker.errors import RemindError

app = typer.Typer(
    help="remind: multichannel reminders for overdue accounts, gated by contact rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Registration order is the order `remind --help` lists the commands in.
app.command()(run.demo)
app.command()(run.simulate)
app.command()(run.run)
app.command()(run.worker)
app.command()(run.scheduler)
app.command()(run.web)
app.command()(intake.enroll)
app.command()(intake.event)
app.command()(records.explain)
app.command()(status.status)
app.add_typer(records.results_app, name="results")
app.add_typer(schedules_app, name="schedules")
app.add_typer(templates_app, name="templates")
app.add_typer(records.audit_app, name="audit")
app.add_typer(packs_app, name="packs")
app.add_typer(dlq_app, name="dlq")


def main() -> None:
    """Console entry point: user mistakes become one line on stderr and exit code 2."""
    try:
        app()
    except RemindError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
