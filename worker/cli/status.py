"""``remind status``: what an operator looks at first, as tables or as one JSON object.

Queue depths (and dead letters), the oldest due step and the scheduler's lag, the workers alive,
the leases held, and the decisions of the last hour and day by outcome, channel and reason. The
figures are read by ``worker.storage.stats``; this module only gathers and prints them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import redis
import typer
from rich.table import Table

from worker.cli.common import console, load_settings
from worker.storage import stats

#: The queues shown even while empty (an empty queue has no keys in Redis).
QUEUES = ("intake", "dispatch")


@dataclass(frozen=True)
class Status:
    """Everything ``remind status`` reports, read at one instant."""

    at: datetime
    #: None when the broker is not Redis (a RabbitMQ broker has its own management views)
    queues: list[stats.QueueDepth] | None
    timeline: stats.TimelineStatus
    workers: list[stats.WorkerBeat]
    heartbeat_timeout: float
    leases: list[stats.OpenLease]
    activity: list[stats.Activity]

    @property
    def dead_letters(self) -> int | None:
        return None if self.queues is None else sum(q.dead for q in self.queues)


def collect(
    client: redis.Redis,
    broker: redis.Redis | None,
    now: datetime,
    *,
    queues: tuple[str, ...] = QUEUES,
    heartbeat_timeout: float = stats.DEFAULT_HEARTBEAT_TIMEOUT,
) -> Status:
    """Read every figure at ``now``: ``client`` on remind's state, ``broker`` on the dramatiq
    Redis broker's database (``str``-decoding, from ``worker.storage.connection.client``)."""
    return Status(
        at=now,
        queues=None if broker is None else stats.queue_depths(broker, queues),
        timeline=stats.timeline_status(client, now),
        workers=stats.worker_beats(client, now, timeout=heartbeat_timeout),
        heartbeat_timeout=heartbeat_timeout,
        leases=stats.open_leases(client),
        activity=stats.activity(client, now),
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def to_json(s: Status) -> dict[str, Any]:
    """The ``--json`` form (docs/contracts.md, Command line)."""
    return {
        "at": _iso(s.at),
        "queues": None
        if s.queues is None
        else [
            {
                "queue": q.queue,
                "ready": q.ready,
                "in_flight": q.in_flight,
                "delayed": q.delayed,
                "dead": q.dead,
            }
            for q in s.queues
        ],
        "dead_letters": s.dead_letters,
        "timeline": {
            "entries": s.timeline.entries,
            "due": s.timeline.due,
            "oldest_due": _iso(s.timeline.oldest_due),
            "lag_seconds": round(s.timeline.lag_seconds, 3),
        },
        "workers": {
            "alive": sum(w.alive for w in s.workers),
            "heartbeat_timeout_seconds": s.heartbeat_timeout,
            "seen": [
                {"worker": w.worker, "last_beat": _iso(w.last_beat), "alive": w.alive}
                for w in s.workers
            ],
        },
        "leases": [
            {
                "account_id": x.account_id,
                "holder": x.holder,
                "due": _iso(x.due),
                "since": _iso(x.since),
            }
            for x in s.leases
        ],
        "activity": [
            {
                "outcome": a.outcome,
                "channel": a.channel,
                "reason": a.reason,
                "last_hour": a.last_hour,
                "last_day": a.last_day,
            }
            for a in s.activity
        ],
    }


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def show(s: Status) -> None:
    """The human form: one short section per figure."""
    console.print(f"remind status at {_iso(s.at)}", highlight=False)
    if s.queues is None:
        console.print("queues: not shown for a non-Redis broker (use its own management views)")
    else:
        table = Table("queue", "ready", "in flight", "delayed", "dead", title="queues")
        for q in s.queues:
            table.add_row(q.queue, str(q.ready), str(q.in_flight), str(q.delayed), str(q.dead))
        console.print(table)
        console.print(f"dead letters: {s.dead_letters}", highlight=False)
    t = s.timeline
    oldest = (
        f"oldest due {_iso(t.oldest_due)}, waiting {_age(t.lag_seconds)} (scheduler lag)"
        if t.oldest_due
        else "none due: no scheduler lag"
    )
    console.print(f"timeline: {t.entries} entries, {t.due} due now; {oldest}", highlight=False)
    alive = [w for w in s.workers if w.alive]
    silent = len(s.workers) - len(alive)
    console.print(
        f"workers alive: {len(alive)}"
        + "".join(f"\n  {w.worker} beat {_age((s.at - w.last_beat).total_seconds())} ago"
                  for w in alive)
        + (f"\n  ({silent} silent for over {s.heartbeat_timeout:g}s)" if silent else ""),
        highlight=False,
    )  # fmt: skip
    console.print(f"open leases: {len(s.leases)}", highlight=False)
    for x in s.leases:
        console.print(
            f"  {x.account_id} held by {x.holder} for "
            f"{_age((s.at - x.since).total_seconds())} (due {_iso(x.due)})",
            highlight=False,
        )
    sent, deferred = stats.totals(s.activity, "sent"), stats.totals(s.activity, "deferred")
    console.print(
        f"last hour: {sent[0]} sent, {deferred[0]} deferred; "
        f"last day: {sent[1]} sent, {deferred[1]} deferred",
        highlight=False,
    )
    if s.activity:
        table = Table("outcome", "channel", "reason", "last hour", "last day", title="decisions")
        for a in s.activity:
            table.add_row(a.outcome, a.channel, a.reason, str(a.last_hour), str(a.last_day))
        console.print(table)


def status(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object instead of tables.")
    ] = False,
) -> None:
    """Queue depths, dead letters, scheduler lag, workers alive, open leases, and the sends and
    deferrals of the last hour and day by channel and reason."""
    # Lazy: redis and the clock's settings are not needed for `remind --help`.
    from worker.runtime.instance import clock_for
    from worker.storage.connection import broker_url, client, connected

    with connected(load_settings()) as (settings, state):
        url = broker_url(settings)
        broker = client(url) if url.startswith(("redis", "unix")) else None
        try:
            report = collect(
                state,
                broker,
                clock_for(settings).now(),
                queues=(*QUEUES, settings.results_queue),
                heartbeat_timeout=settings.worker_heartbeat_seconds,
            )
        finally:
            if broker is not None:
                broker.close()
    if as_json:
        print(json.dumps(to_json(report), ensure_ascii=False))
    else:
        show(report)
