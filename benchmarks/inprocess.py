"""In-process figures: Redis round trips per dispatch, and the gate's decision time.

Round trips are counted on the client side: every Redis client the dispatch uses (remind's state
client and the broker client the results-queue sink sends with) is built on a connection class
that counts ``send_packed_command`` calls. redis-py calls it once per command and once per
pipeline, so the count is the number of request/response exchanges, a pipeline counting one. The
server's view (``INFO commandstats`` before and after, commands run inside Lua scripts included)
is reported beside it as commands per dispatch.

The gate is timed on one account every US pack applies to (``every_pack_account``): rule
selection and ``evaluate`` together, with the opt-out sets and cap logs read from Redis once
before the loop (the decision's own work, not the loopback's). The same decision through
``evaluate_step``, with its two Redis reads, is reported beside it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from dramatiq.brokers.redis import RedisBroker

from benchmarks.fixtures import NOW, Bench, due_account, every_pack_account
from worker.accounts.places import stated_places
from worker.accounts.state import AccountState
from worker.app import App
from worker.dispatch.attempt import evaluate_step, setting_of
from worker.dispatch.pipeline import dispatch
from worker.gate.decide import Decision, evaluate
from worker.intake import enroll_raw
from worker.runtime.scheduler import tick
from worker.storage import connection
from worker.storage.results import dramatiq_sink


class CountingConnection(redis.Connection):
    """A connection that counts its request/response exchanges (class-wide), and lists what each
    one sent while ``trips`` is a list (``benchmarks.profiles trips``)."""

    sent = 0
    trips: list[list[str]] | None = None

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        if CountingConnection.trips is not None:
            chunks = [command] if isinstance(command, bytes | str) else command
            packed = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)
            CountingConnection.trips.append(command_names(packed))
        super().send_packed_command(command, check_health)  # type: ignore[no-untyped-call]


def command_names(packed: bytes) -> list[str]:
    """Each command in RESP-packed ``packed`` as its name and first key (a script's first key)."""
    names, i = [], 0
    while i < len(packed):
        end = packed.index(b"\r\n", i)
        count, i = int(packed[i + 1 : end]), end + 2
        args = []
        for _ in range(count):
            end = packed.index(b"\r\n", i)
            size, i = int(packed[i + 1 : end]), end + 2
            args.append(packed[i : i + size].decode(errors="replace"))
            i += size + 2
        name = args[0].upper()
        if name in ("EVAL", "EVALSHA") and len(args) > 3 and args[2] != "0":
            name += f" ({len(args[1])}-char {'script' if name == 'EVAL' else 'sha'}) {args[3]}"
        elif len(args) > 1:
            name += f" {args[1]}"
        names.append(name)
    return names


def counting_pool(url: str, **kwargs: Any) -> redis.ConnectionPool:
    """A pool for ``url`` whose connections count their round trips."""
    return redis.ConnectionPool.from_url(url, connection_class=CountingConnection, **kwargs)


def _commands(client: redis.Redis) -> int:
    stats: dict[str, Any] = client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


def measure_round_trips(bench: Bench, n: int) -> dict[str, Any]:
    """Dispatch ``n`` due steps in process; round trips and server commands per dispatch."""
    bench.flush()
    state = redis.Redis(connection_pool=counting_pool(bench.state_url, decode_responses=True))
    broker_client = redis.Redis(connection_pool=counting_pool(bench.broker_url))
    broker = RedisBroker(client=broker_client)  # type: ignore[no-untyped-call]
    sink = dramatiq_sink(broker, bench.settings().results_queue, bench.settings().results_actor)
    app = bench.app(state, sinks=[sink])
    warm = 4
    for i in range(warm + n):
        enroll_raw(app, due_account(i), source="bench")
    claims: list[tuple[str, float, str | None]] = []  # as the scheduler sends them
    tick(app, lambda account_id, due, person: claims.append((account_id, due, person)), people=True)
    for account_id, due, person in claims[:warm]:  # scripts loaded, schedule parsed, ...
        dispatch(app, account_id, due, person=person)
    watcher = connection.client(bench.state_url)
    commands0, sent0 = _commands(watcher), CountingConnection.sent
    kinds: dict[str, int] = {}
    for account_id, due, person in claims[warm:]:
        for outcome in dispatch(app, account_id, due, person=person):
            kinds[outcome.outcome] = kinds.get(outcome.outcome, 0) + 1
    sent, commands = CountingConnection.sent - sent0, _commands(watcher) - commands0
    for c in (watcher, state, broker_client):
        c.close()
    return {
        "round_trips_per_dispatch": sent / n,
        "redis_commands_per_dispatch": commands / n,
        "outcomes": kinds,
    }


def _percentile(sorted_us: Sequence[float], q: float) -> float:
    return sorted_us[min(len(sorted_us) - 1, int(q * len(sorted_us)))]


#: 18:00 UTC on the day of ``NOW``: 13:00 in Boston, 10:00 in California; every pack allows the
#: SMS then (at ``NOW`` itself, 07:00 in California, the gate defers it).
ALLOWED_AT = NOW + timedelta(hours=3)


@dataclass
class GateCase:
    """One enrolled account under every US pack, and its pending step, ready to be decided."""

    app: App
    state: AccountState
    decide: Callable[[datetime], Decision]  # rules + evaluate, Redis read once beforehand
    decide_with_reads: Callable[[datetime], Decision]  # evaluate_step: its Redis reads each time
    rules: int  # how many rules apply to the account


def gate_case(bench: Bench) -> GateCase:
    """Enroll ``every_pack_account`` on an empty database and build its deciders."""
    bench.flush()
    app = bench.app()
    state = enroll_raw(app, every_pack_account(), source="bench")
    if not isinstance(state, AccountState) or state.cursor is None:
        raise RuntimeError(f"the all-packs account was not enrolled with a step: {state}")
    schedule = app.pinned_schedule(state.schedule_ref)
    step = schedule.occurrences[state.cursor]
    opted_out, opted_in = app.store.consent_sets(state.person_id)
    logs: dict[tuple[str, ...], dict[str, list[float]]] = {}

    def read_logs(cap_keys: Sequence[str]) -> dict[str, list[float]]:
        key = tuple(cap_keys)
        if key not in logs:
            logs[key] = app.read_logs(cap_keys)
        return logs[key]

    def decide(at: datetime) -> Decision:
        rules = app.rules(schedule, state.account, stated_places(state, at))
        return evaluate(
            state,
            step,
            rules,
            at,
            opted_out=opted_out,
            opted_in=opted_in,
            read_logs=read_logs,
            setting=setting_of(schedule),
        )

    def decide_with_reads(at: datetime) -> Decision:
        return evaluate_step(app, state, schedule, step, at)

    rules = len(app.rules(schedule, state.account, stated_places(state, ALLOWED_AT)))
    return GateCase(app, state, decide, decide_with_reads, rules)


def measure_gate(bench: Bench, n: int) -> dict[str, Any]:
    """p50 and p99 of ``n`` gate decisions for one account under every US pack: allowed (the
    figure), deferred, and allowed with the decision's own Redis reads."""
    case = gate_case(bench)
    report: dict[str, Any] = {}
    for name, at in (("gate", ALLOWED_AT), ("gate_defer", NOW)):
        decision = case.decide(at)
        report[f"{name}_action"] = decision.action
        report.update(_timed(name, lambda at=at: case.decide(at), n))
    report["gate_rules"] = case.rules
    report.update(_timed("gate_with_reads", lambda: case.decide_with_reads(ALLOWED_AT), n))
    case.app.client.close()
    return report


def _timed(name: str, work: Any, n: int) -> dict[str, float]:
    for _ in range(min(50, n)):
        work()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        work()
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    return {
        f"{name}_p50_us": statistics.median(samples),
        f"{name}_p99_us": _percentile(samples, 0.99),
    }
