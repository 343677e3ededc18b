"""Timeline claims per second over a full timeline, against APScheduler 3's RedisJobStore.

The claim: ``n`` accounts due on the timeline, claimed with ``Timeline.claim`` in the scheduler's
batches (``DEFAULT_BATCH``) until none is left, as a tick does.

APScheduler: ``m`` one-shot jobs, all due, in a ``RedisJobStore`` on the same server, fired by a
``BackgroundScheduler`` with its default thread pool; the clock runs from ``resume()`` until every
job's function has run. That is what the scheduler would do if each reminder were a job of its
own, the design remind does not use (docs/integration.md, Scheduler replicas). Ratio = claims/s
÷ fires/s.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from benchmarks.fixtures import NOW, Bench
from benchmarks.procs import wait_until
from worker.runtime.scheduler import DEFAULT_BATCH
from worker.storage.timeline import Timeline

_fired = 0
_fired_lock = threading.Lock()


def fired() -> None:
    """The APScheduler jobs' function: count one firing."""
    global _fired
    with _fired_lock:
        _fired += 1


def measure_claims(bench: Bench, n: int) -> dict[str, Any]:
    """Claims per second of ``n`` due timeline entries."""
    bench.flush()
    client = bench.client()
    timeline = Timeline(client)
    with client.pipeline(transaction=False) as pipe:
        for i in range(n):
            timeline.place(f"bench-{i}", NOW - timedelta(seconds=i), pipe)
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()
    claimed = 0
    t0 = time.perf_counter()
    while got := timeline.claim(NOW, lease_seconds=600, limit=DEFAULT_BATCH):
        claimed += len(got)
    seconds = time.perf_counter() - t0
    client.close()
    if claimed != n:
        raise RuntimeError(f"claimed {claimed} of {n} timeline entries")
    return {"claim_per_s": n / seconds}


def _jobstore(url: str) -> RedisJobStore:
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return RedisJobStore(
        db=db,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        password=parts.password,
    )


def measure_apscheduler(bench: Bench, m: int) -> dict[str, Any]:
    """Fires per second of ``m`` due one-shot jobs from APScheduler 3's ``RedisJobStore``."""
    global _fired
    bench.flush()
    scheduler = BackgroundScheduler(jobstores={"default": _jobstore(bench.state_url)}, timezone=UTC)
    scheduler.start(paused=True)
    try:
        run_date = datetime.now(UTC) - timedelta(seconds=1)
        for i in range(m):
            scheduler.add_job(
                fired, "date", run_date=run_date, id=f"bench-{i}", misfire_grace_time=None
            )
        with _fired_lock:
            _fired = 0
        t0 = time.perf_counter()
        scheduler.resume()
        wait_until(lambda: _fired >= m, f"{m} APScheduler jobs", 60 + m / 50)
        seconds = time.perf_counter() - t0
    finally:
        scheduler.shutdown(wait=True)
    return {"apscheduler_fires_per_s": m / seconds}
