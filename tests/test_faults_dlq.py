"""A malformed message on every queue a worker consumes, on a real ``remind worker`` process, on
Redis and on RabbitMQ: each is dead-lettered at once with its reason, the worker goes on, and
``remind dlq list`` / ``redrive`` show and requeue them (docs/reliability.md).

The queues remind's workers consume are the actors' (worker/runtime/actors.py): ``intake``
(``enroll_account``, ``apply_event``) and ``dispatch``. The results queue and ``field_visits``
are consumed by other systems; ``remind dlq`` lists their dead letters too.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from typer.testing import CliRunner

from worker.cli.main import app as cli
from worker.clock import SimulatedClock
from worker.errors import InvalidInput
from worker.logs import mask
from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.deadletter import DEAD_LETTER, MalformedMessages
from worker.runtime.dlq import DeadLetter, DeadLetters
from worker.storage import keys

from .broker_helpers import publish_raw, remind_worker
from .pipeline_helpers import ROOT, TEST_SCHEDULE, account
from .test_worker_process import _wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

NOW = "2026-03-02T15:00:00Z"
PHONE = "+12125550123"
QUEUES = ("intake", "dispatch", "reminder_results", "field_visits")


@pytest.fixture
def env(
    redis_url: str,
    redis_client: redis.Redis,
    broker_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """The worker's environment, also set on this process for the in-process ``remind dlq``."""
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    values = {
        "REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": NOW,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "BROKER_URL": broker_url,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **values}


def worker(env: dict[str, str], log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """``remind worker``: one process of two threads, stopped (SIGTERM) after the block."""
    return remind_worker(env, log, ROOT)


@pytest.fixture
def broker(broker_url: str) -> Iterator[Any]:
    """The production broker on the worker's broker; what it dead-letters is dated NOW."""
    b = make_broker(broker_url)
    for middleware in b.middleware:
        if isinstance(middleware, MalformedMessages):
            middleware.clock = lambda: SimulatedClock(datetime(2026, 3, 2, 15, tzinfo=UTC))
    for queue in ("intake", "dispatch"):
        b.declare_queue(queue)
    yield b
    b.close()


def send(broker: Any, queue: str, actor: str, *args: Any, **kwargs: Any) -> str:
    message = dramatiq.Message(
        queue_name=queue, actor_name=actor, args=args, kwargs=kwargs, options={}
    )
    return str(broker.enqueue(message).message_id)


def put_raw(url: str, queue: str, body: bytes) -> None:
    """A body that is not a dramatiq message, put on ``queue`` as any client could."""
    if is_amqp(url):
        publish_raw(url, queue, body)
        return
    client = redis.Redis.from_url(url)
    try:  # where dramatiq's enqueue puts a message: its body in the hash, its id on the list
        rid = str(uuid.uuid4())
        client.hset(f"dramatiq:{queue}.msgs", rid, body)
        client.rpush(f"dramatiq:{queue}", rid)
    finally:
        client.close()


def letters(url: str) -> list[DeadLetter]:
    with DeadLetters(url, QUEUES) as store:
        return store.letters()


def _at_least(n: int, found: list[DeadLetter]) -> list[DeadLetter] | None:
    return found if len(found) >= n else None


def remind(*args: str) -> Any:
    """``remind ARGS`` in this process; a user mistake is an ``InvalidInput`` (exit code 2 from
    the console entry point, worker/cli/main.py)."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, InvalidInput):
        raise result.exception
    return result


def refused(*args: str) -> str:
    result = remind(*args)
    assert isinstance(result.exception, InvalidInput), result.output
    return str(result.exception)


def enrolled(client: redis.Redis, account_id: str) -> bool:
    return client.zscore(keys.timeline(keys.shard_of(account_id)), account_id) is not None


def test_a_malformed_message_on_every_queue_is_dead_lettered_with_its_reason_and_listed_masked(
    env: dict[str, str], broker: Any, broker_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    person = account()
    bad = {
        send(broker, "dispatch", "dispatch", 123, None): (
            "dispatch",
            "dispatch",
            "malformed: account_id: expected string, got number",
        ),
        send(broker, "dispatch", "dispatch"): (
            "dispatch",
            "dispatch",
            "malformed: missing a required argument: 'account_id'",
        ),
        send(broker, "intake", "enroll_account", person, PHONE): (
            "intake",
            "enroll_account",
            "malformed: too many positional arguments",
        ),
        send(broker, "intake", "apply_event"): (
            "intake",
            "apply_event",
            "malformed: missing a required argument: 'event'",
        ),
        send(broker, "intake", "no_such_actor", PHONE): (
            "intake",
            "no_such_actor",
            "unknown actor: no_such_actor",
        ),
    }
    put_raw(broker_url, "dispatch", b"not a dramatiq message")
    send(broker, "intake", "enroll_account", account(account_id="A-2"))  # a good one, after

    with worker(env, tmp_path / "worker.log") as proc:
        _wait_for(lambda: enrolled(redis_client, "A-2"), "the good enrolment after the bad ones")
        found = _wait_for(lambda: _at_least(6, letters(broker_url)), "six dead letters")
        assert proc.poll() is None  # the worker goes on
    # dramatiq logs a skipped message with its arguments: masked like every remind log line
    log = (tmp_path / "worker.log").read_text()
    assert "Message enroll_account(" in log
    assert PHONE not in log and "sam@example.com" not in log

    decoded = {d.message_id: (d.queue, d.actor, d.reason) for d in found if d.message}
    assert decoded == bad
    assert {d.at for d in found if d.message} == {NOW}  # on remind's clock
    [raw] = [d for d in found if d.message is None]
    assert (raw.queue, raw.actor, raw.reason) == ("dispatch", None, "not a dramatiq message")
    assert raw.message_id.startswith("raw:")

    listed = remind("dlq", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    want = [(q, a, i, r) for i, (q, a, r) in bad.items()]
    want.append(("dispatch", None, raw.message_id, "not a dramatiq message"))
    got = [(r["queue"], r["actor"], r["message_id"], r["reason"]) for r in rows]
    assert sorted(got, key=str) == sorted(want, key=str)
    # the arguments are there, masked: the enrolment's number and email never whole
    [enrolment] = [r for r in rows if r["reason"] == "malformed: too many positional arguments"]
    assert json.loads(enrolment["args"])["args"][1] == mask(PHONE)
    table = remind("dlq", "list")
    for shown in (listed.output, table.output):
        assert PHONE not in shown and "sam@example.com" not in shown
        assert "2125550123" not in shown
    assert "malformed: account_id: expected string, got number" in table.output

    only = json.loads(remind("dlq", "list", "--queue", "intake", "--json").output)
    assert {r["queue"] for r in only} == {"intake"} and len(only) == 3
    assert refused("dlq", "list", "--queue", "nope") == (
        "--queue: no such queue nope (remind's queues: intake, dispatch, reminder_results, "
        "field_visits)"
    )


def test_redrive_requeues_a_fixed_message_and_a_still_malformed_one_dead_letters_again(
    env: dict[str, str], broker: Any, broker_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    # a good enrolment whose retries ran out while the state Redis was down: failed as the
    # worker fails it (the consumer's nack, with the middleware's hooks), so it is dead
    good = send(broker, "intake", "enroll_account", account())
    consumer = broker.consume("intake", prefetch=1, timeout=100)
    message = _wait_for(lambda: next(consumer), "the enrolment")
    message.options["retries"] = 10
    message.stuff_exception(ConnectionError(f"state Redis unreachable while enrolling {PHONE}"))
    message.fail()
    broker.emit_before("nack", message)
    consumer.nack(message)
    broker.emit_after("nack", message)
    consumer.close()
    [dead] = letters(broker_url)
    assert (dead.message_id, dead.reason) == (
        good,
        f"failed after 10 tries: ConnectionError: state Redis unreachable while enrolling "
        f"{mask(PHONE)}",
    )
    bad = send(broker, "dispatch", "dispatch", 123)

    with worker(env, tmp_path / "worker.log") as proc:
        _wait_for(lambda: len(letters(broker_url)) == 2, "the malformed dispatch's dead letter")

        dry = remind("dlq", "redrive", "--all", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert f"would redrive intake {good} (enroll_account)" in dry.output
        assert f"would redrive dispatch {bad} (dispatch)" in dry.output
        assert len(letters(broker_url)) == 2 and not enrolled(redis_client, "A-1")

        assert "or --all" in refused("dlq", "redrive")
        assert "no dead letter with id no-such-id" in refused("dlq", "redrive", "no-such-id")

        done = remind("dlq", "redrive", "--queue", "intake", good)
        assert done.exit_code == 0, done.output
        _wait_for(lambda: enrolled(redis_client, "A-1"), "the redriven enrolment")
        assert [d.message_id for d in letters(broker_url)] == [bad]

        again = remind("dlq", "redrive", "--all")
        assert "1 redriven" in again.output

        def dead_again() -> DeadLetter | None:
            found = letters(broker_url)
            redriven = [d for d in found if d.message and d.message.options.get("remind_redriven")]
            return redriven[0] if redriven else None

        back = _wait_for(dead_again, "the malformed dispatch dead-lettered again")
        assert proc.poll() is None

    assert [d.message_id for d in letters(broker_url)] == [bad]  # once, not twice
    assert back.reason == "malformed: account_id: expected string, got number"
    assert back.message is not None
    assert back.message.options["remind_redriven"] == 1
    assert "retries" not in back.message.options
    assert back.message.options[DEAD_LETTER]["at"] == NOW
