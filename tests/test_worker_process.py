"""End to end on real processes: a dramatiq worker process consumes intake and dispatch messages
from the Redis broker, and every outcome reaches the results stream and the results queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from worker.app import App
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.runtime.scheduler import tick
from worker.storage import connection, keys

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account

NOW = "2026-03-02T15:00:00Z"  # day 1 at 10:00 in New York: the first step is due
pytestmark = pytest.mark.slow


def _wait_for(predicate: Any, what: str, timeout: float = 30.0) -> Any:
    """Poll until another process has done its part (not a wait for time to pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def env(redis_url: str, redis_client: redis.Redis, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": NOW,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [
        sys.executable,
        "-m",
        "dramatiq",
        "worker.runtime.broker:setup",
        "worker.runtime.actors",
        "--processes",
        "1",
        "--threads",
        "2",
        "--queues",
        "intake",
        "dispatch",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture
def broker(redis_url: str) -> Iterator[RedisBroker]:
    b = RedisBroker(url=connection.with_db(redis_url, connection.DEFAULT_BROKER_DB))
    b.declare_queue("intake")
    b.declare_queue("dispatch")
    yield b
    b.close()


def _send(broker: RedisBroker, queue: str, actor: str, *args: Any) -> None:
    broker.enqueue(
        dramatiq.Message(queue_name=queue, actor_name=actor, args=args, kwargs={}, options={})
    )


def _outcomes(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(f["outcome"]) for _, f in client.xrange("remind:results")]


def test_enroll_tick_dispatch_outcome_end_to_end_on_a_real_worker_process(
    worker_process: subprocess.Popen[bytes],
    broker: RedisBroker,
    redis_client: redis.Redis,
    redis_url: str,
    env: dict[str, str],
) -> None:
    _send(broker, "intake", "enroll_account", account())
    _wait_for(
        lambda: redis_client.zscore(keys.timeline(keys.shard_of("A-1")), "A-1"), "the enrolment"
    )

    # an invalid account on the queue is recorded as rejected and the worker keeps running
    _send(broker, "intake", "enroll_account", account(account_id="A-2", due_date="yesterday"))
    rejected = _wait_for(
        lambda: [o for o in _outcomes(redis_client) if o["outcome"] == "rejected"], "the rejection"
    )
    assert rejected[0]["account_id"] == "A-2"
    assert rejected[0]["reason"].startswith("invalid_account: queue: due_date: ")
    assert worker_process.poll() is None

    # the scheduler's tick (here in-process, on the same instant) enqueues the dispatch
    settings = Settings.from_env(env)
    clock = SimulatedClock(datetime(2026, 3, 2, 15, tzinfo=UTC))
    app = App(settings, connection.client(redis_url), clock)
    assert tick(app, lambda a, due: _send(broker, "dispatch", "dispatch", a, due)) == 1

    sent = _wait_for(
        lambda: [o for o in _outcomes(redis_client) if o["outcome"] == "sent"], "the sent outcome"
    )
    assert {k: sent[0][k] for k in ("account_id", "step", "channel", "at", "provider")} == {
        "account_id": "A-1",
        "step": "early.1",
        "channel": "sms",
        "at": NOW,
        "provider": "outbox",
    }
    lines = (Path(env["REMIND_DATA_DIR"]) / "outbox" / "sms.jsonl").read_text().splitlines()
    assert [json.loads(x)["dispatch_id"] for x in lines] == ["A-1:early.1:0"]

    # every outcome was also sent to the results queue for upstream consumers
    # dramatiq's own data: read the way its broker does, as bytes
    queued = redis.Redis.from_url(connection.with_db(redis_url, connection.DEFAULT_BROKER_DB))
    assert _wait_for(lambda: queued.hlen("dramatiq:reminder_results.msgs") >= 2, "results queue")
    messages = [json.loads(m) for m in queued.hvals("dramatiq:reminder_results.msgs")]
    assert {m["actor_name"] for m in messages} == {"reminder_result"}
    assert sorted(m["args"][0]["outcome"] for m in messages) == ["rejected", "sent"]

    worker_process.send_signal(signal.SIGTERM)
    assert worker_process.wait(timeout=30) == 0
