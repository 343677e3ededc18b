"""worker.storage.connection: the one place settings become Redis URLs, databases and clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.errors import ConfigError
from worker.storage import connection
from worker.storage.connection import (
    DEFAULT_BROKER_DB,
    DEFAULT_SIMULATION_DB,
    broker_url,
    connected,
    serving,
    with_db,
)
from worker.storage.embedded import EmbeddedRedis


def _parsed(url: str) -> dict[str, Any]:
    """What redis-py makes of ``url`` (building a client opens no connection)."""
    kwargs = redis.Redis.from_url(url).get_connection_kwargs()
    return {k: kwargs.get(k) for k in ("host", "port", "path", "db", "password")}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://cache:6379", {"host": "cache", "port": 6379, "db": 2}),
        ("redis://cache:6379/0", {"host": "cache", "port": 6379, "db": 2}),
        ("rediss://:pw@cache:6380/5", {"host": "cache", "port": 6380, "db": 2, "password": "pw"}),
        # a db query parameter would win over the path in redis-py
        ("redis://cache:6379/0?db=7", {"host": "cache", "port": 6379, "db": 2}),
        # a unix socket's path is the socket: the database goes in the query
        ("unix:///run/redis.sock", {"path": "/run/redis.sock", "db": 2}),
        ("unix:///run/redis.sock?db=0", {"path": "/run/redis.sock", "db": 2}),
    ],
)
def test_with_db_points_at_that_database_of_the_same_server(
    url: str, expected: dict[str, Any]
) -> None:
    parsed = _parsed(with_db(url, 2))

    assert {k: v for k, v in parsed.items() if v is not None} == expected


def test_with_db_keeps_the_other_query_parameters() -> None:
    url = with_db("redis://cache:6379/0?socket_timeout=3&db=4", 1)

    assert url == "redis://cache:6379/1?socket_timeout=3"


def test_the_broker_shares_the_state_server_on_its_own_database() -> None:
    settings = Settings(redis_url="redis://cache:6379/0")

    assert _parsed(broker_url(settings))["db"] == DEFAULT_BROKER_DB == 1


def test_broker_url_wins_over_the_state_server() -> None:
    settings = Settings(redis_url="redis://cache:6379/0", broker_url="amqp://rabbit:5672/")

    assert broker_url(settings) == "amqp://rabbit:5672/"


def test_there_is_no_broker_url_before_the_embedded_server_has_started() -> None:
    with pytest.raises(ConfigError, match="REDIS_URL is not set"):
        broker_url(Settings())


def test_a_client_returns_replies_as_text(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.sadd("s", "a")
    with connection.client(redis_url) as text:
        assert text.smembers("s") == {"a"}
        assert connection.decodes_responses(text)
    assert not connection.decodes_responses(redis.Redis.from_url(redis_url))


def test_an_app_refuses_a_client_that_returns_bytes(
    redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    settings = Settings(redis_url=redis_url, data_dir=tmp_path)

    with pytest.raises(ConfigError, match="decodes replies"):
        App(settings, redis.Redis.from_url(redis_url), clock)


def test_connected_on_a_database_gives_settings_and_client_on_that_database(
    redis_client: redis.Redis, redis_url: str
) -> None:
    with connected(Settings(redis_url=redis_url), db=DEFAULT_SIMULATION_DB) as (settings, client):
        client.set("where", "simulation")
        assert settings.redis_url == with_db(redis_url, DEFAULT_SIMULATION_DB)

    assert redis_client.get("where") is None  # db 0 untouched
    with connection.client(with_db(redis_url, DEFAULT_SIMULATION_DB)) as other:
        assert other.get("where") == "simulation"


def test_serving_with_a_redis_url_changes_nothing(tmp_path: Path) -> None:
    settings = Settings(redis_url="redis://cache:6379/0", data_dir=tmp_path)

    with serving(settings) as served:
        assert served is settings
    assert not (tmp_path / "redis").exists()  # no embedded server was started


def test_serving_without_a_redis_url_runs_the_embedded_server_for_the_block(
    tmp_path: Path,
) -> None:
    with serving(Settings(data_dir=tmp_path, redis_port=0)) as served:
        assert served.redis_url is not None
        with connection.client(served.redis_url) as client:
            assert client.ping()
        assert EmbeddedRedis(tmp_path / "redis").running() == served.redis_url

    assert EmbeddedRedis(tmp_path / "redis").running() is None
