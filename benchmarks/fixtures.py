"""What every benchmark shares: sizes, a private Redis, the accounts it measures, an App.

Nothing here touches a user's data. By default each harness run starts its own embedded
redis-server in a temporary directory and stops it at the end. ``BENCH_REDIS_URL`` names a server
to measure on instead: the harness then uses only its logical databases ``STATE_DB`` and
``BROKER_DB`` and empties them, so point it at a server kept for benchmarks.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from worker.app import App
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.storage import connection
from worker.storage.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
#: Monday 2026-03-02 15:00 UTC is 10:00 in New York: day 1 of an account due on 03-01, when the
#: standard schedule's first SMS step is due and every rule allows it.
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DUE_DATE = "2026-03-01"
#: Logical databases used on a ``BENCH_REDIS_URL`` server (emptied by the harness).
STATE_DB = 14
BROKER_DB = 15
#: The queue the no-op actor (``benchmarks.noop``) listens on and the key that counts its runs.
NOOP_QUEUE = "bench_noop"
NOOP_COUNTER = "bench:noop:done"


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does in one run; ``runs`` of everything make the median."""

    name: str
    runs: int
    dispatches: int  # due steps through real worker processes
    noops: int  # no-op messages through the same broker
    inprocess: int  # in-process dispatches counted for round trips
    gate: int  # gate decisions timed
    sim_accounts: int  # accounts simulated for SIM_DAYS days
    enrolled: int  # accounts enrolled for memory per account
    claims: int  # timeline entries claimed
    apscheduler_jobs: int  # jobs fired by APScheduler's RedisJobStore
    processes: int = 1  # worker processes for the pipeline pair (the issue: one)
    threads: int = 8  # threads per worker process (dramatiq's default)


#: Simulated days: the issue's steady state (60 days, the standard cadence's length).
SIM_DAYS = 60

FULL = Sizes("full", 3, 2000, 4000, 1000, 20000, 500, 2000, 100_000, 10_000)
QUICK = Sizes("quick", 3, 400, 2000, 300, 2000, 60, 500, 100_000, 5_000)
TINY = Sizes("tiny", 1, 20, 40, 10, 50, 3, 10, 2_000, 100)


def sizes_from_env(env: dict[str, str] | None = None) -> Sizes:
    """``BENCH_TINY=1`` (the instrument's own test), ``BENCH_QUICK=1``, else the full sizes;
    ``BENCH_RUNS`` overrides how many runs the median is taken over, ``BENCH_PROCESSES`` and
    ``BENCH_THREADS`` the pipeline's worker processes and threads."""
    env = dict(os.environ) if env is None else env
    sizes = FULL
    if env.get("BENCH_QUICK") == "1":
        sizes = QUICK
    if env.get("BENCH_TINY") == "1":
        sizes = TINY
    return replace(
        sizes,
        runs=int(env.get("BENCH_RUNS") or sizes.runs),
        processes=int(env.get("BENCH_PROCESSES") or sizes.processes),
        threads=int(env.get("BENCH_THREADS") or sizes.threads),
    )


@dataclass(frozen=True)
class Bench:
    """Where a run measures: the state and broker URLs on a private server, and a scratch dir."""

    state_url: str
    broker_url: str
    workdir: Path

    def client(self) -> redis.Redis:
        """A decoding client on the state database, as remind's own code uses."""
        return connection.client(self.state_url)

    def flush(self) -> None:
        """Empty both databases (they belong to the benchmark alone)."""
        for url in (self.state_url, self.broker_url):
            c = redis.Redis.from_url(url)
            c.flushdb()
            c.close()

    def settings(self) -> Settings:
        """Settings on the repository's schedules and templates, outbox under the scratch dir."""
        return Settings(
            redis_url=self.state_url,
            broker_url=self.broker_url,
            schedules_dir=ROOT / "schedules",
            templates_dir=ROOT / "templates",
            data_dir=self.workdir / "var",
        )

    def env(self) -> dict[str, str]:
        """The environment for worker processes: this server, the fixed instant ``NOW``."""
        return {
            **os.environ,
            "REDIS_URL": self.state_url,
            "BROKER_URL": self.broker_url,
            "REMIND_FIXED_NOW": NOW.isoformat().replace("+00:00", "Z"),
            "REMIND_SCHEDULES_DIR": str(ROOT / "schedules"),
            "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
            "REMIND_DATA_DIR": str(self.workdir / "var"),
            "PYTHONPATH": str(ROOT),
        }

    def app(self, client: redis.Redis | None = None, **kwargs: Any) -> App:
        """An App on the state database at ``NOW`` with outbox channels."""
        return App(self.settings(), client or self.client(), SimulatedClock(NOW), **kwargs)


@contextmanager
def private_redis(env: dict[str, str] | None = None) -> Iterator[Bench]:
    """A ``Bench`` on ``BENCH_REDIS_URL`` (databases 14 and 15) or on a fresh embedded server."""
    env = dict(os.environ) if env is None else env
    with tempfile.TemporaryDirectory(prefix="remind-bench-") as tmp:
        workdir = Path(tmp)
        external = env.get("BENCH_REDIS_URL")
        if external:
            yield Bench(
                connection.with_db(external, STATE_DB),
                connection.with_db(external, BROKER_DB),
                workdir,
            )
            return
        server = EmbeddedRedis(workdir / "redis")
        url = server.start()
        try:
            yield Bench(url, connection.with_db(url, connection.DEFAULT_BROKER_DB), workdir)
        finally:
            server.stop()


def due_account(i: int) -> dict[str, Any]:
    """Account ``bench-<i>``: New York, SMS consent, its first step (an SMS) due at ``NOW``."""
    return {
        "account_id": f"bench-{i}",
        "schedule": "standard",
        "due_date": DUE_DATE,
        "creditor": "Northwind Lending",
        "balance": {"amount": "125.50", "currency": "USD"},
        "payment_url": "https://pay.example.com",
        "name": "Sam Lee",
        "address": {"country": "US", "region": "NY", "city": "New York"},
        "phones": [
            {
                "number": f"+1212555{i % 10000:04d}",
                "kind": "mobile",
                "sms_consent": True,
                "voice_consent": True,
            }
        ],
        "emails": [{"address": f"bench{i}@example.com", "consent": True}],
        "reference": f"B-{i}",
    }


def every_pack_account() -> dict[str, Any]:
    """One person every US pack applies to: a Boston address, a California and a Washington
    mobile (federal, MA, CA and WA rules, and the house policy)."""
    account = due_account(0)
    account["account_id"] = "bench-all-packs"
    account["address"] = {"country": "US", "region": "MA", "city": "Boston"}
    account["phones"] = [
        {"number": "+14155550100", "kind": "mobile", "sms_consent": True, "voice_consent": True},
        {"number": "+12065550100", "kind": "mobile", "sms_consent": True, "voice_consent": True},
    ]
    return account
