"""End to end on real processes: ``remind worker`` consumes intake and dispatch messages
from the broker, and every outcome reaches the results stream and the results queue. Every test
runs on Redis and on RabbitMQ (``broker_url`` in tests/conftest.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.scheduler import tick
from worker.storage import connection, keys

from .broker_helpers import dead_letters, publish_raw, queued, remind_worker
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
def env(
    redis_url: str, redis_client: redis.Redis, broker_url: str, tmp_path: Path
) -> dict[str, str]:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": NOW,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
    }
    env.pop("BROKER_URL", None)
    if is_amqp(broker_url):  # on Redis the default: the state server's broker database
        env["BROKER_URL"] = broker_url
    return env


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def worker_process(env: dict[str, str], worker_log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``remind worker`` itself (its supervisor, then dramatiq): one process of two threads."""
    with remind_worker(env, worker_log, ROOT) as proc:
        yield proc


@pytest.fixture
def broker(broker_url: str) -> Iterator[Any]:
    """The production broker (``make_broker``) on the workers' broker, for the test's messages."""
    b = make_broker(broker_url)
    b.declare_queue("intake")
    b.declare_queue("dispatch")
    yield b
    b.close()


def _send(broker: Any, queue: str, actor: str, *args: Any) -> None:
    broker.enqueue(
        dramatiq.Message(queue_name=queue, actor_name=actor, args=args, kwargs={}, options={})
    )


def _outcomes(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(f["outcome"]) for _, f in client.xrange("remind:results")]


def test_enroll_tick_dispatch_outcome_end_to_end_on_a_real_worker_process(
    worker_process: subprocess.Popen[bytes],
    broker: Any,
    redis_client: redis.Redis,
    redis_url: str,
    broker_url: str,
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

    # every outcome was also sent to the results queue for upstream consumers, as the exact
    # outcome JSON of the results stream, in a message for their actor
    messages: list[dict[str, Any]] = []

    def two_queued() -> bool:
        got = queued(broker_url, "reminder_results")
        if broker_url.startswith("redis"):  # left on the queue: each read sees them all
            messages.clear()
        messages.extend(got)  # taken off on RabbitMQ: each read sees the new ones
        return len(messages) >= 2

    _wait_for(two_queued, "the results queue")
    assert [(m["queue_name"], m["actor_name"], m["kwargs"]) for m in messages] == [
        ("reminder_results", "reminder_result", {})
    ] * 2
    by_outcome = {m["args"][0]["outcome"]: m["args"][0] for m in messages}
    assert sorted(by_outcome) == ["rejected", "sent"]
    assert by_outcome["sent"] == sent[0] and by_outcome["rejected"] == rejected[0]
    assert by_outcome["sent"] == {
        "id": sent[0]["id"],
        "at": NOW,
        "local_time": "2026-03-02T10:00:00-05:00",
        "account_id": "A-1",
        "person_id": "A-1",
        "debt_id": "A-1",
        "schedule": "t@1",
        "tier": "early",
        "step": "early.1",
        "channel": "sms",
        "outcome": "sent",
        "reason": None,
        "rule": None,
        "next_attempt_at": None,
        "provider": "outbox",
        "provider_id": "A-1:early.1:0",
        "template": "friendly_nudge",
        "locale": "en",
    }

    worker_process.send_signal(signal.SIGTERM)
    assert worker_process.wait(timeout=30) == 0


def test_malformed_messages_are_dead_lettered_at_once_with_their_reason_and_the_worker_goes_on(
    worker_process: subprocess.Popen[bytes],
    broker: Any,
    redis_client: redis.Redis,
    broker_url: str,
    worker_log: Path,
) -> None:
    def send(queue: str, actor: str, *args: Any) -> str:
        message = dramatiq.Message(
            queue_name=queue, actor_name=actor, args=args, kwargs={}, options={}
        )
        return str(broker.enqueue(message).message_id)

    number_id = send("dispatch", "dispatch", 123, None)  # the account id is a number
    no_args = send("dispatch", "dispatch")  # no account id at all
    no_actor = send("intake", "no_such_actor", "A-9")  # an actor remind does not have
    if is_amqp(broker_url):  # any AMQP client can write to the queue: a body that is not JSON
        publish_raw(broker_url, "dispatch", b"not a dramatiq message")

    # the worker goes on: the next valid enrolment is handled
    _send(broker, "intake", "enroll_account", account())
    _wait_for(
        lambda: redis_client.zscore(keys.timeline(keys.shard_of("A-1")), "A-1"), "the enrolment"
    )

    want = {"dispatch": 3 if is_amqp(broker_url) else 2, "intake": 1}
    dead: dict[str, list[tuple[dict[str, Any], bytes]]] = {"dispatch": [], "intake": []}

    def all_dead() -> bool:
        for queue in dead:
            dead[queue] += dead_letters(broker_url, queue)
        return all(len(dead[q]) >= n for q, n in want.items())

    _wait_for(all_dead, "the dead-letter queues")
    assert {q: len(m) for q, m in dead.items()} == want
    bodies = {q: [b for _, b in m] for q, m in dead.items()}
    decoded = [json.loads(b) for b in bodies["dispatch"] if b != b"not a dramatiq message"]
    # dead-lettered as sent, at once: no retry ran (dramatiq's retries count in the options)
    assert sorted(m["message_id"] for m in decoded) == sorted([number_id, no_args])
    assert all("retries" not in m["options"] for m in decoded), decoded
    assert [json.loads(b)["message_id"] for b in bodies["intake"]] == [no_actor]
    if is_amqp(broker_url):
        assert b"not a dramatiq message" in bodies["dispatch"]
        # RabbitMQ says why and from where for the body it rejected itself; the messages the
        # worker failed carry remind's note instead (tests/test_faults_dlq.py)
        for queue, messages in dead.items():
            for headers, body in messages:
                if body == b"not a dramatiq message":
                    [death] = headers["x-death"]
                    assert (death["reason"], death["queue"]) == ("rejected", queue)
                else:
                    assert json.loads(body)["options"]["remind_dead_letter"]["queue"] == queue

    # and the log says what was wrong with each, naming the message, never its values
    log = worker_log.read_text()
    assert (
        f"dead-lettering message {number_id} for actor dispatch on queue dispatch: "
        "account_id: expected string, got number" in log
    )
    assert (
        f"dead-lettering message {no_args} for actor dispatch on queue dispatch: "
        "missing a required argument: 'account_id'" in log
    )
    assert "Received message for undefined actor 'no_such_actor'" in log
    if is_amqp(broker_url):
        assert "Failed to decode message" in log
    assert worker_process.poll() is None
