"""How long the keys of a placed call are kept: a call's count hash as long as the longest of the
cap logs it names keeps the call, not a flat 40 days."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import redis

from worker.config import Settings
from worker.sim.simulate import simulate
from worker.storage import connection, keys

from .test_simulated_calls import ACCOUNTS, ONE_CALL, ROOT


def test_a_calls_count_hash_is_kept_as_long_as_its_longest_log(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "calls.yaml").write_text(ONE_CALL)
    settings = Settings(
        redis_url=redis_url, schedules_dir=schedules, templates_dir=ROOT / "templates",
        data_dir=tmp_path / "var",
    )  # fmt: skip
    client = connection.client(redis_url)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    simulate(settings, client, accounts=[("test", ACCOUNTS[0])], start=start, days=1)
    [call] = list(client.scan_iter(match=keys.call_counts("P-CN", "*")))
    logs = list(client.hgetall(call))
    assert logs  # CN4 counts answered calls: its log depends on the result
    longest = max(client.ttl(log) for log in logs)  # a log is kept ceil(keep) + 1 seconds
    assert 0 < client.ttl(call) <= longest
    assert client.ttl(call) >= longest - 2  # the seconds the test took at most
    assert client.ttl(call) < 40 * 86400 - 2  # it was 40 days whatever the logs
    assert keys.call_counts_ttl(7 * 86400) == 7 * 86400 + 1
    assert keys.call_counts_ttl(0.5) == math.ceil(0.5) + 1
