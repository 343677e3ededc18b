"""Upstream producers and consumers: the actors refuse to bind to dramatiq's default broker,
``connect()`` is the one safe import, and the examples in ``examples/`` run as documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from worker.config import Settings
from worker.errors import ConfigError
from worker.runtime.broker import is_amqp, make_broker
from worker.runtime.client import connect
from worker.storage import keys
from worker.storage.results import Results, dramatiq_sink

from .broker_helpers import queued
from .pipeline_helpers import ROOT
from .test_results_consumption import outcome


def python(code_or_path: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter: dramatiq's global broker starts unset, as in a producer's script."""
    argv = [sys.executable, code_or_path, *args] if code_or_path.endswith(".py") else [
        sys.executable, "-c", code_or_path, *args]  # fmt: skip
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def bare_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BROKER_URL")}
    return {**env, "REMIND_DATA_DIR": str(tmp_path / "var")}


@pytest.mark.parametrize(
    "script",
    [
        "import worker.runtime.actors",
        # something asked dramatiq for its broker first: the implicit default is refused too
        "import dramatiq; dramatiq.get_broker(); from worker.runtime.actors import enroll_account",
    ],
)
def test_importing_the_actors_before_the_broker_is_set_up_fails_loudly(
    script: str, tmp_path: Path
) -> None:
    done = python(script, env=bare_env(tmp_path))
    assert done.returncode != 0
    assert "ConfigError: worker.runtime.actors was imported before the broker was set up" in (
        done.stderr
    )
    assert "worker.runtime.client.connect()" in done.stderr


def test_connect_without_a_redis_url_or_a_running_embedded_server_says_what_to_set(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"REDIS_URL is not set and no embedded Redis runs"):
        connect(Settings(data_dir=tmp_path))


def test_the_producer_example_enqueues_on_the_configured_broker(
    redis_url: str, redis_client: redis.Redis, broker_url: str, tmp_path: Path
) -> None:
    env = {**bare_env(tmp_path), "REDIS_URL": redis_url}
    if is_amqp(broker_url):
        env["BROKER_URL"] = broker_url
    done = python("examples/producer.py", "examples/accounts-odd.jsonl", env=env)
    assert done.returncode == 0, done.stderr
    sent = [json.loads(x) for x in (ROOT / "examples/accounts-odd.jsonl").read_text().splitlines()]
    assert done.stdout == f"enqueued {len(sent)} account(s) on queue intake\n"
    messages = queued(broker_url, "intake")
    assert {m["actor_name"] for m in messages} == {"enroll_account"}
    assert sorted(m["args"][0]["account_id"] for m in messages) == sorted(  # type: ignore[index]
        a["account_id"] for a in sent
    )


def publish_outcomes(broker_url: str, redis_client: redis.Redis, n: int) -> None:
    broker = make_broker(broker_url)
    results = Results(
        redis_client, sinks=[dramatiq_sink(broker, "reminder_results", "reminder_result")]
    )
    for i in range(n):
        results.publish(outcome(i))
    broker.close()


def test_the_dramatiq_consumer_example_handles_every_queued_outcome(
    redis_url: str, redis_client: redis.Redis, broker_url: str, tmp_path: Path
) -> None:
    publish_outcomes(broker_url, redis_client, 3)
    env = {**bare_env(tmp_path), "REDIS_URL": redis_url}
    if is_amqp(broker_url):
        env["BROKER_URL"] = broker_url
    done = python("examples/results_consumer.py", "--drain", env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["A-0 sent -", "A-1 sent -", "A-2 sent -"]
    assert queued(broker_url, "reminder_results") == []  # all acknowledged


def test_the_stream_consumer_example_reads_as_a_group_and_resumes(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    publish_outcomes(redis_url, redis_client, 3)
    env = {**bare_env(tmp_path), "REDIS_URL": redis_url}
    first = python("examples/results_stream.py", "billing", "--count", "2", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["A-0 sent -", "A-1 sent -"]
    rest = python("examples/results_stream.py", "billing", "--idle-exit", env=env)
    assert rest.stdout.splitlines() == ["A-2 sent -"]
    assert redis_client.xinfo_groups(keys.RESULTS_STREAM)[0]["pending"] == 0
