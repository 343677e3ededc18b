"""A real ``remind worker`` process killed while its provider request hangs: the step comes back
at the next tick after the heartbeat timeout, not after the 600 s lease, and is recorded
``unknown`` without a second request to the provider.

No test sleeps for time to pass: each process runs on its own fixed instant
(``REMIND_FIXED_NOW``), the scheduler's tick runs here on a simulated clock, and the test waits
on conditions (a connection reached the provider, an outcome reached the stream).

On RabbitMQ (``broker_url``) the killed worker's unacknowledged message is delivered again at
once, when its connection drops, so the second worker gets it as well as the new tick's: it must
send nothing either way."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock, isoformat_utc, to_epoch
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.processes import worker_command
from worker.runtime.scheduler import tick
from worker.storage import connection, keys

from .broker_helpers import SETTLED
from .pipeline_helpers import ROOT, TEST_SCHEDULE, account
from .test_worker_process import _wait_for
from .twilio_helpers import FROM, SID, TOKEN

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)  # day 1 at 10:00 in New York: early.1 (SMS) is due
pytestmark = [pytest.mark.slow, pytest.mark.faults]


class HangingProvider:
    """A TCP server that accepts every connection and never answers: a provider mid-request."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def provider() -> Iterator[HangingProvider]:
    p = HangingProvider()
    yield p
    p.close()


@pytest.fixture
def env(
    redis_url: str, broker_url: str, tmp_path: Path, provider: HangingProvider
) -> dict[str, str]:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "REMIND_CHANNELS": "sms=live",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{provider.port}",
        "REMIND_PROVIDER_TIMEOUT_SECONDS": "300",  # the request hangs until the worker dies
        "BROKER_URL": broker_url,
    }


def start_worker(
    env: dict[str, str], now: datetime, *, threads: int = 1, log: Path | None = None
) -> subprocess.Popen[bytes]:
    cmd = worker_command(processes=1, threads=threads)  # what `remind worker` runs
    # and the test's count of settled messages (tests/settle_counter.py)
    cmd.insert(cmd.index("worker.runtime.actors") + 1, "tests.settle_counter")
    out = log.open("ab") if log else None  # the child keeps its own copy of the descriptor
    try:
        return subprocess.Popen(
            cmd,
            env={**env, "REMIND_FIXED_NOW": isoformat_utc(now)},
            cwd=ROOT,
            stderr=out or subprocess.DEVNULL,
            start_new_session=True,  # its own group: SIGKILL reaches the forked worker too
        )
    finally:
        if out is not None:
            out.close()


def stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    """SIGKILL the whole group (the forked worker too); anything else to dramatiq's main process
    only, which passes it on: a worker process that gets a second SIGTERM is killed at once."""
    if proc.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def broker(broker_url: str) -> Iterator[Any]:
    b = make_broker(broker_url)
    b.declare_queue("dispatch")
    yield b
    b.close()


def scheduler_tick(app: App, broker: Any) -> int:
    def send(account_id: str, due: float) -> None:
        broker.enqueue(dramatiq.Message(queue_name="dispatch", actor_name="dispatch",
                                        args=(account_id, due), kwargs={}, options={}))  # fmt: skip

    return tick(app, send)


def outcomes(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(f["outcome"]) for _, f in client.xrange(keys.RESULTS_STREAM)]


def test_a_worker_killed_mid_send_has_its_step_recovered_after_the_heartbeat_timeout(
    env: dict[str, str],
    redis_client: redis.Redis,
    redis_url: str,
    broker_url: str,
    broker: Any,
    provider: HangingProvider,
) -> None:
    clock = SimulatedClock(NOW)
    app = App(Settings.from_env(env), connection.client(redis_url), clock)
    enroll(app, parse_account(account()))
    claim_key = keys.idempotency("A-1", "A-1:early.1:0")

    first = start_worker(env, NOW)
    try:
        assert scheduler_tick(app, broker) == 1
        _wait_for(lambda: provider.connections, "the worker's request to the provider")
        claim = redis_client.get(claim_key)
        lease = json.loads(redis_client.hget(keys.leases(keys.shard_of("A-1")), "A-1") or "{}")
        assert claim == f"claimed:{to_epoch(NOW)}:{lease['holder']}"
    finally:
        stop(first, signal.SIGKILL)  # mid-request: no shutdown hook runs, the lease stays

    clock.advance(timedelta(seconds=app.settings.worker_heartbeat_seconds))
    assert scheduler_tick(app, broker) == 0  # its last beat is exactly the timeout old
    clock.advance(timedelta(seconds=app.settings.tick_seconds))
    assert scheduler_tick(app, broker) == 1  # 45 s after the crash, not 600 s

    second = start_worker(env, clock.now())
    try:
        got = _wait_for(
            lambda: [o for o in outcomes(redis_client) if o["outcome"] == "unknown"],
            "the recovered step's outcome",
        )
        # RabbitMQ gave the second worker the killed one's message too; Redis keeps it with
        # the dead worker until dramatiq's maintenance, long after this test
        handled = 2 if is_amqp(broker_url) else 1
        _wait_for(lambda: int(redis_client.get(SETTLED) or 0) == handled, "both messages")
    finally:
        stop(second, signal.SIGTERM)
    assert [(o["step"], o["reason"], o["at"]) for o in got] == [
        ("early.1", "claimed_not_finished", isoformat_utc(clock.now()))
    ]
    assert len(provider.connections) == 1  # never sent a second time
    assert redis_client.get(claim_key) == "unknown"
    assert sum(redis_client.hlen(keys.leases(n)) for n in range(keys.TIMELINE_SHARDS)) == 0
    # the second worker left on SIGTERM; the killed one is remembered until a day of silence
    assert redis_client.zrange(keys.WORKERS, 0, -1) == [lease["holder"]]
    assert app.store.require("A-1").cursor == 1  # the cadence moved on
