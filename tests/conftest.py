"""Shared fixtures: a real redis-server for the whole session, the two brokers, a simulated clock.

With ``REDIS_URL`` set the tests use that server (it is flushed between tests: point it at a
server kept for tests). Otherwise they start the embedded redis-server that remind bundles, in
a temporary directory, and stop it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from worker.clock import SimulatedClock
from worker.storage import connection
from worker.storage.embedded import EmbeddedRedis
from worker.testing.redis_cluster import LocalCluster

from .broker_helpers import BROKERS, broker_url_for, delete_queues, own_vhost

ROOT = Path(__file__).resolve().parent.parent
# Commands the tests start take any free port for their embedded Redis, not the fixed default:
# several test runs (and a developer's own `remind run`) share this machine.
os.environ.setdefault("REMIND_REDIS_PORT", "0")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real redis-server, db 0."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on a freshly flushed server (every logical DB)."""
    client = connection.client(redis_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``REDIS_URL`` of a Redis Cluster of three primaries on loopback, started from the bundled
    redis-server for the session (``worker/testing/redis_cluster.py``) and stopped after it."""
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    url = cluster.start()
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture
def cluster_client(redis_cluster_url: str) -> Iterator[redis.Redis]:
    """A ``RedisCluster`` client on the session's cluster, every primary flushed."""
    client = connection.client(redis_cluster_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ URL on a vhost of this session's own; skipped (failed under ``CI=true``) when
    no server answers (tests/broker_helpers.py)."""
    with own_vhost() as url:
        yield url


@pytest.fixture(params=BROKERS)
def broker_url(request: pytest.FixtureRequest, redis_url: str) -> Iterator[str]:
    """``BROKER_URL`` for tests of real worker processes, once per broker: the test Redis's
    broker database, then RabbitMQ with remind's queues deleted before and after the test."""
    if request.param == "redis":
        yield broker_url_for("redis", redis_url, None)
        return
    url = request.getfixturevalue("amqp_url")
    delete_queues(url)
    yield url
    delete_queues(url)


@pytest.fixture
def clock() -> SimulatedClock:
    """A simulated clock at Monday 2026-03-02 12:00 UTC."""
    return SimulatedClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
