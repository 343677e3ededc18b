"""``remind simulate`` (docs/contracts.md, Command line): production code on a simulated clock.

The store, timeline, dispatch, gate and rendering are the production code; only the clock is
simulated and the channels are outboxes. Instead of ticking every 15 simulated seconds, the
clock jumps to the next instant something can happen (the earliest timeline entry or the next
event), which decides exactly the same things in far fewer steps; at each instant every entry
due is claimed in one round trip (``Timeline.claim_all``), or by the scheduler's ``tick`` with
``stepwise``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from worker.accounts.state import AccountState
from worker.app import App, default_channels
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_event
from worker.dispatch.pipeline import dispatch
from worker.errors import InvalidInput
from worker.gate.calls import CallResults
from worker.intake import apply_raw, enroll_raw
from worker.providers import Replication
from worker.runtime.scheduler import tick
from worker.storage.auditarchive import archive_simulation

Progress = Callable[[datetime], None]
#: The outcomes file's write buffer.
_BLOCK = 1 << 20


@dataclass
class SimulationResult:
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    enrolled: int = 0
    rejected: int = 0
    events_applied: int = 0
    events_rejected: int = 0  # rejected outcomes recorded instead (unknown account, bad row)
    #: account id -> the ``name@version`` it was enrolled under (its arm, for a challenger)
    enrolled_refs: dict[str, str] = field(default_factory=dict)
    #: account id -> the types of the events applied to it, in order
    applied: dict[str, list[str]] = field(default_factory=dict)


def read_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a JSON Lines or CSV file as (``file:line``, object); CSV nests dotted headers."""
    if str(path) == "-":
        raise InvalidInput("reading from standard input is handled by the CLI", source="-")
    # utf-8-sig: Excel and Notepad start a UTF-8 file with a byte order mark, which would
    # otherwise become part of the first header ("\ufeffaccount_id") or fail the first JSON line.
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                yield f"{path}:{n}", unflatten(row)
        return
    with open(path, encoding="utf-8-sig") as f:
        yield from read_json_lines(f, str(path))


def read_json_lines(lines: Iterable[str], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"not valid JSON ({e.msg})", source=f"{name}:{n}") from None
        yield f"{name}:{n}", value


def unflatten(row: dict[str, str | None]) -> dict[str, Any]:
    """``address.region`` and ``phones.0.number`` columns back into nested objects; empty cells
    are left out; ``true``/``false`` become booleans."""
    out: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None or raw is None or raw == "":
            continue
        value: Any = {"true": True, "false": False}.get(raw.lower(), raw)
        parts = key.split(".")
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: Any = value if last else ([] if parts[i + 1].isdigit() else {})
            if isinstance(node, list):
                idx = int(part)
                while len(node) <= idx:
                    node.append(None)
                if node[idx] is None or last:
                    node[idx] = nxt
                node = node[idx]
            else:
                if part not in node or last:
                    node[part] = nxt
                node = node[part]
    return out


def simulate(
    settings: Settings,
    client: redis.Redis,
    *,
    accounts: Iterable[tuple[str, dict[str, Any]]],
    events: Iterable[tuple[str, dict[str, Any]]] = (),
    start: datetime,
    days: int,
    json_out: Path | None = None,
    progress: Progress | None = None,
    call_results: CallResults = "unknown",
    stepwise: bool = False,
) -> SimulationResult:
    """Enroll ``accounts`` at ``start``, replay ``events`` at their ``at``, run ``days`` days.

    Every channel is the outbox, even one ``settings`` sends live.

    ``client`` (from ``worker.storage.connection.client``) should point at a keyspace kept for
    simulations: the CLI uses ``worker.sim.scratch``, which empties it first (a database of a
    server, or the ``remind-sim`` keys of a Redis Cluster).

    ``call_results``: what a simulated call's result is until a ``call_result`` event says
    otherwise. ``unknown`` (the default) assumes nothing: the call counts under every call cap,
    as a live call does until its result arrives. ``answered``, ``voicemail`` or ``unanswered``
    ask "what if every call went so?".

    ``stepwise`` runs the production scheduler ``tick`` at each instant instead of claiming every
    entry due at once (``Timeline.claim_all``); both decide the same things in the same order
    (tests/test_sim_batched.py), the batched claim in fewer round trips. (With more than the
    tick's batch of 500 due at one instant, the tick's order depends on the shard its claim
    starts from, which moves with the process id; the batched claim's does not.)
    """
    result = SimulationResult()
    clock = SimulatedClock(start)
    # written in 1 MiB blocks (a write call per some 1,500 decisions), not 8 KiB ones
    out_file = (
        open(json_out, "w", encoding="utf-8", buffering=_BLOCK)  # noqa: SIM115
        if json_out
        else None
    )

    def sink(record: dict[str, Any]) -> None:
        result.outcomes.append(record)
        if out_file:
            out_file.write(json.dumps(record, ensure_ascii=False) + "\n")

    # Outbox channels only, whatever REMIND_CHANNELS says: a simulation never reaches a person.
    outbox = default_channels(replace(settings, live_channels=frozenset()), clock)
    # its keys are thrown away after the run: no replica need hold them (REMIND_REDIS_MIN_REPLICAS)
    settings = replace(settings, redis_replication=Replication())
    app = App(settings, client, clock, channels=outbox, sinks=[sink], simulated_calls=call_results)
    try:
        for source, data in accounts:
            if isinstance(state := enroll_raw(app, data, source), AccountState):
                result.enrolled += 1
                result.enrolled_refs[state.account_id] = state.schedule_ref
            else:
                result.rejected += 1
        timed = sorted(_timed_events(events, start), key=lambda e: e[0])
        end = start + timedelta(days=days)
        i = 0

        def send(account_id: str, due: float) -> None:
            dispatch(app, account_id, due)

        # Nothing else writes the scratch keyspace, and no simulated dispatch holds a lease (it
        # runs without a ``holder``): the tick's adoption of an older version's timeline and its
        # recovery of dead workers' leases find nothing after this first look, so the batched
        # loop claims directly, every entry due at the instant in one round trip.
        app.timeline.adopt_legacy()
        lease = app.settings.lease_seconds
        while True:
            now = clock.now()
            while i < len(timed) and timed[i][0] <= now:
                _, source, data = timed[i]
                if isinstance(state := apply_raw(app, data, source), AccountState):
                    result.events_applied += 1
                    result.applied.setdefault(state.account_id, []).append(str(data["type"]))
                else:
                    result.events_rejected += 1
                i += 1
            if stepwise:
                tick(app, send)
            else:
                for c in app.timeline.claim_all(now, lease_seconds=lease):
                    dispatch(app, c.account_id, c.due)
            candidates = [t for t in (app.timeline.next_due(),) if t is not None]
            if i < len(timed):
                candidates.append(timed[i][0])
            nxt = min(candidates, default=end)
            if nxt >= end:
                break
            clock.set(max(nxt, now))
            if progress:
                progress(clock.now())
        clock.set(max(end, clock.now()))
        if progress:
            progress(clock.now())
        # the audit log leaves Redis as the scheduler's archiver moves it, into a folder of the
        # run's own (<out>/audit-simulated), never the production archive (docs/audit.md)
        archive_simulation(settings, client, clock.now())
    finally:
        if out_file:
            out_file.close()
    return result


def _timed_events(
    events: Iterable[tuple[str, dict[str, Any]]], start: datetime
) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
    for source, data in events:
        event = parse_event(data, source)  # fail early: an event file with a bad row is refused
        if event.at is None:
            raise InvalidInput("is required for a simulated event", field="at", source=source)
        yield max(event.at, start), source, data
