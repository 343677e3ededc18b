"""Consuming outcomes: the stream is trimmed by age only, the results queue is bounded, readers
resume from an id or as a consumer group, and the embedded Redis listens on a fixed port."""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.config import DEFAULT_REDIS_PORT, Settings
from worker.contracts.outcome import Outcome
from worker.errors import ConfigError
from worker.runtime.broker import make_broker
from worker.storage import keys, resultstream
from worker.storage.embedded import EmbeddedRedis
from worker.storage.results import Results, dramatiq_sink

from .broker_helpers import queued
from .pipeline_helpers import ROOT


def outcome(n: int) -> Outcome:
    fields = dict.fromkeys(Outcome.model_fields)
    fields.update(
        id=f"o-{n}", at="2026-03-02T15:00:00Z", account_id=f"A-{n}", outcome="sent", channel="sms"
    )
    return Outcome(**fields)


def stream_ids(client: redis.Redis) -> list[str]:
    return [entry_id for entry_id, _ in client.xrange(keys.RESULTS_STREAM)]


def test_the_stream_is_trimmed_by_age_and_never_loses_an_outcome_younger_than_its_retention(
    redis_client: redis.Redis,
) -> None:
    server_ms = int(redis_client.time()[0]) * 1000
    old = [f"1000-{i}" for i in range(1, 301)]  # 1970: long past any retention
    young = [f"{server_ms - 30_000}-{i}" for i in range(1, 301)]  # 30 s ago
    for entry_id in old + young:
        redis_client.xadd(keys.RESULTS_STREAM, {"outcome": "{}"}, id=entry_id)
    results = Results(redis_client, retention_seconds=60)
    results.publish(outcome(1))  # learns where the stream stands
    results.publish(outcome(2))  # trims before its retention
    kept = stream_ids(redis_client)
    assert set(young) <= set(kept)  # every outcome younger than 60 s is still there
    assert len(set(old) & set(kept)) < 100  # whole nodes of old ones are gone (XADD MINID ~)
    newest = redis_client.xrevrange(keys.RESULTS_STREAM, count=2)
    assert [json.loads(f["outcome"])["account_id"] for _, f in newest] == ["A-2", "A-1"]


def test_a_burst_of_outcomes_is_never_cut_by_count(redis_client: redis.Redis) -> None:
    results = Results(redis_client, retention_seconds=3600)
    for n in range(2000):
        results.publish(outcome(n))
    assert redis_client.xlen(keys.RESULTS_STREAM) == 2000


@pytest.fixture
def broker(broker_url: str) -> Iterator[Any]:
    b = make_broker(broker_url)
    yield b
    b.close()


def test_the_results_queue_is_bounded_and_past_the_bound_outcomes_wait_on_the_stream(
    redis_client: redis.Redis, broker_url: str, broker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sink = dramatiq_sink(broker, "reminder_results", "reminder_result", max_messages=3)
    results = Results(redis_client, sinks=[sink])
    with caplog.at_level(logging.WARNING, logger="worker.storage.results"):
        for n in range(5):
            results.publish(outcome(n))
    waiting = queued(broker_url, "reminder_results")
    assert sorted(m["args"][0]["account_id"] for m in waiting) == ["A-0", "A-1", "A-2"]
    assert redis_client.xlen(keys.RESULTS_STREAM) == 5  # none lost
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "results queue reminder_results holds 3 messages: outcomes go to the stream "
        "remind:results only until it drains"
    ]  # once per overflow, not per outcome


def publish(redis_client: redis.Redis, n: int) -> list[str]:
    results = Results(redis_client)
    for i in range(n):
        results.publish(outcome(i))
    return stream_ids(redis_client)


def test_a_reader_resumes_after_the_last_id_it_handled(redis_client: redis.Redis) -> None:
    ids = publish(redis_client, 3)
    got = list(itertools.islice(resultstream.follow(redis_client, after=ids[0]), 2))
    assert [(e.id, e.outcome["account_id"]) for e in got if e] == [
        (ids[1], "A-1"),
        (ids[2], "A-2"),
    ]


def test_a_consumer_group_reads_again_what_a_dead_reader_never_acknowledged(
    redis_client: redis.Redis,
) -> None:
    ids = publish(redis_client, 3)
    assert resultstream.ensure_group(redis_client, "billing", start="0")
    assert not resultstream.ensure_group(redis_client, "billing", start="0")  # kept as it is
    first = list(itertools.islice(resultstream.read_group(redis_client, "billing", "c1"), 2))
    resultstream.ack(redis_client, "billing", first[0].id)  # type: ignore[union-attr]
    # c1 died before acknowledging the second: started again, it gets it first, then the rest
    again = resultstream.read_group(redis_client, "billing", "c1", block_ms=10)
    got = list(itertools.islice(again, 3))
    assert [e.id if e else None for e in got] == [ids[1], ids[2], None]


def remind(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_remind_results_tail_resumes_from_an_id_and_reads_as_a_group(
    redis_url: str, redis_client: redis.Redis
) -> None:
    ids = publish(redis_client, 3)
    env = {**os.environ, "REDIS_URL": redis_url}
    done = remind(env, "results", "tail", "--from", ids[0], "--count", "2", "--with-id")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["stream_id"], r["account_id"]) for r in lines] == [(ids[1], "A-1"), (ids[2], "A-2")]

    group = ["results", "tail", "--group", "ops", "--from-start", "--count", "2"]
    assert [json.loads(x)["account_id"] for x in remind(env, *group).stdout.splitlines()] == [
        "A-0",
        "A-1",
    ]
    assert [
        json.loads(x)["account_id"] for x in remind(env, *group[:-1], "1").stdout.splitlines()
    ] == ["A-2"]  # the group remembered where it stopped

    bad = remind(env, "results", "tail", "--from", "yesterday")
    assert bad.returncode != 0
    assert "--from" in bad.stderr and "stream id" in bad.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_embedded_redis_listens_on_the_configured_port(tmp_path: Path) -> None:
    port = free_port()
    with EmbeddedRedis(tmp_path, port=port) as server:
        assert server.url == f"redis://127.0.0.1:{port}"
        assert redis.Redis(port=port).ping()


def test_a_taken_port_is_a_clear_error_naming_the_variable(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"REMIND_REDIS_PORT: port {port} on 127.0.0.1 is "):
            EmbeddedRedis(tmp_path, port=port).start()


@pytest.mark.parametrize(("raw", "port"), [(None, DEFAULT_REDIS_PORT), ("6400", 6400), ("0", 0)])
def test_the_embedded_port_defaults_to_a_fixed_one(raw: str | None, port: int) -> None:
    env = {} if raw is None else {"REMIND_REDIS_PORT": raw}
    assert Settings.from_env(env).redis_port == port
    assert DEFAULT_REDIS_PORT == 6390


@pytest.mark.parametrize("raw", ["-1", "65536", "redis"])
def test_a_bad_embedded_port_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="REMIND_REDIS_PORT must be a port"):
        Settings.from_env({"REMIND_REDIS_PORT": raw})


@pytest.mark.parametrize(
    ("name", "raw", "field", "value"),
    [
        ("REMIND_RESULTS_RETENTION_DAYS", "30", "results_retention_days", 30),
        ("REMIND_RESULTS_QUEUE_MAX", "500", "results_queue_max", 500),
        ("REMIND_WORKER_HEARTBEAT_SECONDS", "12.5", "worker_heartbeat_seconds", 12.5),
    ],
)
def test_the_retention_and_heartbeat_settings_are_read(
    name: str, raw: str, field: str, value: float
) -> None:
    assert getattr(Settings.from_env({name: raw}), field) == value


@pytest.mark.parametrize(
    "name",
    [
        "REMIND_RESULTS_RETENTION_DAYS",
        "REMIND_RESULTS_QUEUE_MAX",
        "REMIND_WORKER_HEARTBEAT_SECONDS",
    ],
)
def test_a_zero_retention_bound_or_heartbeat_is_refused_naming_the_variable(name: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} must be"):
        Settings.from_env({name: "0"})
