"""Reminders per second through real worker processes, against a no-op actor on the same broker.

For dispatch: ``warmup + n`` accounts are enrolled in process, each with its first step (an SMS to
New York) due at ``NOW``; the scheduler's ``tick`` claims them, as ``remind scheduler`` does. A
dramatiq worker (``worker_command``: what ``remind worker`` runs, by default one process of eight
threads, dramatiq's defaults) is started with ``REMIND_FIXED_NOW=NOW``. The warm-up messages are
sent and their outcomes awaited (imports, schedule parsing, template loading are done by then);
then the clock starts, the ``n`` messages are enqueued and the clock stops when the results stream
holds every outcome. Worker CPU is the process tree's CPU time over the same interval.

For the no-op: the same, with ``benchmarks.noop`` on its own queue, until its counter reaches
``warmup + n``. Enqueueing happens while the worker consumes (the scheduler does the same), so
the producer shares the two cores with the worker in both halves alike.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from benchmarks.procs import cpu_seconds, dramatiq_command, running, wait_until
from benchmarks.setup import NOOP_COUNTER, NOOP_QUEUE, Bench, due_account
from worker.intake import enroll_raw
from worker.runtime.processes import worker_command
from worker.runtime.scheduler import tick
from worker.storage import keys

WARMUP = 16
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
        return self.n / self.seconds

    @property
    def cpu_ms(self) -> float:
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
    claims: list[tuple[str, float]] = []
    tick(app, lambda account_id, due: claims.append((account_id, due)))
    if len(claims) != WARMUP + n:
        raise RuntimeError(f"expected {WARMUP + n} due steps, the tick claimed {len(claims)}")
    client.delete(keys.RESULTS_STREAM)  # the enrolments' records are not dispatch outcomes
    broker = RedisBroker(url=bench.broker_url)  # type: ignore[no-untyped-call]
    broker.declare_queue("dispatch")

    def outcomes() -> int:
        return int(client.xlen(keys.RESULTS_STREAM))

    log = bench.workdir / "dispatch-worker.log"
    try:
        with running(worker_command(processes, threads), bench.env(), log) as proc:
            for account_id, due in claims[:WARMUP]:
                broker.enqueue(_message("dispatch", "dispatch", account_id, due))
            wait_until(lambda: outcomes() >= WARMUP, "the warm-up dispatches", START_TIMEOUT)
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            for account_id, due in claims[WARMUP:]:
                broker.enqueue(_message("dispatch", "dispatch", account_id, due))
            enqueued = time.perf_counter() - t0
            wait_until(lambda: outcomes() >= WARMUP + n, f"{n} dispatch outcomes", 60 + n)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
    finally:
        broker.close()
    records: Any = client.xrange(keys.RESULTS_STREAM)
    kinds = Counter(json.loads(fields["outcome"])["outcome"] for _, fields in records)
    client.close()
    detail = {"outcomes": dict(kinds), "enqueue_s": round(enqueued, 3)}
    return Throughput(n, seconds, cpu, detail)


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
        with running(argv, bench.env(), log) as proc:
            for _ in range(WARMUP):
                broker.enqueue(_message(NOOP_QUEUE, "noop"))
            wait_until(lambda: done() >= WARMUP, "the warm-up no-ops", START_TIMEOUT)
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            for _ in range(n):
                broker.enqueue(_message(NOOP_QUEUE, "noop"))
            enqueued = time.perf_counter() - t0
            wait_until(lambda: done() >= WARMUP + n, f"{n} no-ops", 60 + n)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
    finally:
        broker.close()
        client.close()
    return Throughput(n, seconds, cpu, {"enqueue_s": round(enqueued, 3)})
