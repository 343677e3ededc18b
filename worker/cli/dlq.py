"""``remind dlq list`` and ``remind dlq redrive``: the dead letters of remind's queues, on the
Redis broker or RabbitMQ (``worker.runtime.dlq``). Arguments are shown masked: a phone number or
an email never reaches the terminal whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from worker.channels.visit import QUEUE as VISIT_QUEUE
from worker.cli.common import console, load_settings
from worker.errors import InvalidInput
from worker.runtime.dlq import DeadLetter, DeadLetters, dead_letters

dlq_app = typer.Typer(help="Dead-lettered messages: list them, put them back on their queue.")

#: Longest argument text on a line (``--json`` has it whole, masked).
ARGS_SHOWN = 60

QueueOption = Annotated[
    list[str] | None,
    typer.Option("--queue", "-q", help="Only this queue (repeatable); default: every queue."),
]


def _queues(chosen: list[str] | None) -> tuple[str, ...]:
    """The queues remind declares: the actors', the results queue, the visit tasks'."""
    settings = load_settings()
    every = ("intake", "dispatch", settings.results_queue, VISIT_QUEUE)
    if not chosen:
        return every
    unknown = [q for q in chosen if q not in every]
    if unknown:
        raise InvalidInput(
            f"no such queue {', '.join(unknown)} (remind's queues: {', '.join(every)})",
            field="--queue",
        )
    return tuple(chosen)


@contextmanager
def _store(chosen: list[str] | None) -> Iterator[DeadLetters]:
    """The dead letters of the chosen queues, on the broker the settings name (starting the
    embedded Redis for the block when it is the broker and ``REDIS_URL`` is not set)."""
    from worker.storage.connection import broker_url, serving

    queues = _queues(chosen)
    with serving(load_settings()) as settings, dead_letters(broker_url(settings), queues) as s:
        yield s


def _line(d: DeadLetter) -> str:
    """One dead letter on one line (grep-friendly): where, what, when, why, its arguments."""
    args = d.args if len(d.args) <= ARGS_SHOWN else d.args[: ARGS_SHOWN - 1] + "…"
    return f"{d.queue} {d.message_id} {d.actor or '-'} {d.at or '-'} {d.reason} args={args}"


@dlq_app.command("list")
def list_(
    queue: QueueOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """Show every dead letter: queue, actor, message id, reason, when, arguments (masked)."""
    with _store(queue) as store:
        letters = store.letters()
    if as_json:
        console.print_json(json.dumps([d.as_json() for d in letters]))
        return
    if not letters:
        console.print("no dead letters")
        return
    console.print("queue message-id actor when reason args", style="bold", highlight=False)
    for d in letters:
        console.print(_line(d), markup=False, highlight=False)
    console.print(f"{len(letters)} dead letters", highlight=False)


@dlq_app.command()
def redrive(
    ids: Annotated[list[str] | None, typer.Argument(help="Message ids to redrive.")] = None,
    queue: QueueOption = None,
    every: Annotated[bool, typer.Option("--all", help="Every dead letter of the queues.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be redriven; change nothing.")
    ] = False,
) -> None:
    """Put dead letters back on their queue (after a fix); one still malformed dead-letters
    again, with its reason."""
    if bool(ids) == every:
        raise InvalidInput("name the message ids to redrive, or --all (not both)", field="IDS")
    with _store(queue) as store:
        letters = store.letters()
        chosen = letters if every else [d for d in letters if d.message_id in set(ids or ())]
        missing = sorted(set(ids or ()) - {d.message_id for d in chosen})
        if missing:
            raise InvalidInput(f"no dead letter with id {', '.join(missing)}", field="IDS")
        stuck = [d.message_id for d in chosen if d.message is None]
        if stuck and not every:
            raise InvalidInput(
                f"{', '.join(stuck)}: not a dramatiq message, it cannot be redriven", field="IDS"
            )
        verb = "would redrive" if dry_run else "redriven"
        for d in chosen:
            if d.message is None:
                console.print(
                    f"skipped {d.queue} {d.message_id}: not a dramatiq message", markup=False
                )
                continue
            if not dry_run:
                store.redrive(d)
            line = f"{verb} {d.queue} {d.message_id} ({d.actor}): {d.reason}"
            console.print(line, markup=False, highlight=False)
    count = len(chosen) - len(stuck)
    console.print(f"{count} {'would be redriven' if dry_run else 'redriven'}")
