"""Reminders per second through real worker processes, against a no-op actor on the same broker.

For dispatch: ``WARMUP + n`` accounts are enrolled in process, each with its first step (an SMS
to New York) due at ``NOW``; the scheduler's ``tick`` claims them, as ``remind scheduler`` does,
and every claim is enqueued as a ``dispatch`` message, warm-up ones first. Only then is a dramatiq
worker started (``worker_command``: what ``remind worker`` runs; by default one process, as the
issue measured, of eight threads, dramatiq's default) with ``REMIND_FIXED_NOW=NOW``. When the
results stream holds the warm-up outcomes (imports, schedule parsing and template loading are
done by then) the clock and the worker's CPU time are read; they are read again when it holds
every outcome.

For the no-op: the same, with ``benchmarks.noop`` on its own queue, counted by its counter.

The queues are filled before the worker starts so that the producer (this process) does not
compete with the worker for the two cores while the clock runs: enqueueing one message costs
about as much as a no-op handling it, and a live producer capped the no-op at its own speed.
A worker's threads may have started a few measured messages when the warm-up count is reached;
with ``WARMUP`` and ``n`` in the hundreds that moves the figure by a few percent at most.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from benchmarks.fixtures import NOOP_COUNTER, NOOP_QUEUE, Bench, due_account
from benchmarks.procs import cpu_seconds, dramatiq_command, running, wait_until
from worker.intake import enroll_raw
from worker.runtime.processes import worker_command
from worker.runtime.scheduler import tick
from worker.storage import keys

WARMUP = 32
#: Seconds to wait for a worker to start and handle the warm-up messages.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Throughput:
    """``n`` messages handled in ``seconds``, with ``cpu`` seconds of worker CPU."""

    n: int
    seconds: float
    cpu: float
    detail: dict[str, Any]

    @property
    def per_s(self) -> float:
        """Messages handled per second."""
        return self.n / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Worker CPU milliseconds per message."""
        return 1000 * self.cpu / self.n


def _message(queue: str, actor: str, *args: Any) -> dramatiq.Message[Any]:
    return dramatiq.Message(queue_name=queue, actor_name=actor, args=args, kwargs={}, options={})


def measure_dispatch(bench: Bench, n: int, *, processes: int = 1, threads: int = 8) -> Throughput:
    """``n`` due steps through a real worker process; time to the last outcome."""
    bench.flush()
    client = bench.client()
    app = bench.app(client)
    for i in range(WARMUP + n):
        enroll_raw(app, due_account(i), source="bench")
    claims: list[tuple[str, float, str | None]] = []  # as the scheduler sends them
    tick(app, lambda account_id, due, person: claims.append((account_id, due, person)), people=True)
    if len(claims) != WARMUP + n:
        raise RuntimeError(f"expected {WARMUP + n} due steps, the tick claimed {len(claims)}")
    client.delete(keys.RESULTS_STREAM)  # the enrolments' records are not dispatch outcomes
    broker = RedisBroker(url=bench.broker_url)  # type: ignore[no-untyped-call]
    broker.declare_queue("dispatch")

    def outcomes() -> int:
        return int(client.xlen(keys.RESULTS_STREAM))

    log = bench.workdir / "dispatch-worker.log"
    try:
        for account_id, due, person in claims:
            broker.enqueue(_message("dispatch", "dispatch", account_id, due, person))
        with running(worker_command(processes, threads), bench.env(), log) as proc:
            wait_until(
                lambda: outcomes() >= WARMUP, "the warm-up dispatches", START_TIMEOUT, proc, log
            )
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            wait_until(lambda: outcomes() >= WARMUP + n, f"{n} outcomes", 60 + n, proc, log)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
    finally:
        broker.close()
    records: Any = client.xrange(keys.RESULTS_STREAM)
    kinds = Counter(json.loads(fields["outcome"])["outcome"] for _, fields in records)
    client.close()
    return Throughput(n, seconds, cpu, {"outcomes": dict(kinds)})


def measure_noop(bench: Bench, n: int, *, processes: int = 1, threads: int = 8) -> Throughput:
    """``n`` no-op messages through a real worker process on the same broker."""
    bench.flush()
    client = bench.client()
    broker = RedisBroker(url=bench.broker_url)  # type: ignore[no-untyped-call]
    broker.declare_queue(NOOP_QUEUE)

    def done() -> int:
        return int(client.get(NOOP_COUNTER) or 0)

    argv = dramatiq_command(["benchmarks.noop"], [NOOP_QUEUE], processes, threads)
    log = bench.workdir / "noop-worker.log"
    try:
        for _ in range(WARMUP + n):
            broker.enqueue(_message(NOOP_QUEUE, "noop"))
        with running(argv, bench.env(), log) as proc:
            wait_until(lambda: done() >= WARMUP, "the warm-up no-ops", START_TIMEOUT, proc, log)
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            wait_until(lambda: done() >= WARMUP + n, f"{n} no-ops", 60 + n, proc, log)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
    finally:
        broker.close()
        client.close()
    return Throughput(n, seconds, cpu, {})
