"""The embedded redis-server: starts, is reused for the same directory, stops cleanly."""

from __future__ import annotations

from pathlib import Path

import redis

from worker.storage.embedded import EmbeddedRedis


def test_a_second_start_for_the_same_directory_reuses_the_running_server(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path)
    url = first.start()
    try:
        second = EmbeddedRedis(tmp_path)
        assert second.start() == url
        assert second.owned is False
        second.stop()  # not ours: must leave it running
        assert redis.Redis.from_url(url).ping()
    finally:
        first.stop()
    assert EmbeddedRedis(tmp_path).running() is None


def test_data_survives_a_restart_because_aof_is_on(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as server:
        assert server.url
        redis.Redis.from_url(server.url).set("k", "v")
    assert (tmp_path / "appendonlydir").exists() or (tmp_path / "remind.aof").exists()
    with EmbeddedRedis(tmp_path) as server:
        assert server.url
        assert redis.Redis.from_url(server.url).get("k") == b"v"
