"""remind on a real Redis Cluster of three primaries started by the suite (``redis_cluster_url``):
claims race across shards without a double, every script runs on one slot, a dead worker's lease
is recovered shard by shard, and a simulation gives the same outcomes as on one server while
keeping to its own key prefix."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.crc import key_slot

from worker.clock import SimulatedClock, to_epoch
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.errors import ConfigError
from worker.intake import enroll
from worker.runtime.scheduler import tick
from worker.storage import connection, keys
from worker.storage.timeline import Timeline

from .pipeline_helpers import ROOT, account, make_app
from .test_timeline import _claim_until_empty

pytestmark = pytest.mark.cluster

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _slot(key: str) -> int:
    return int(key_slot(key.encode()))


def test_every_shard_is_one_slot_with_its_leases_and_the_shards_spread_over_every_primary(
    cluster_client: redis.Redis,
) -> None:
    for n in range(keys.TIMELINE_SHARDS):
        assert _slot(keys.timeline(n)) == _slot(keys.leases(n))
    nodes = {cluster_client.get_node_from_key(k).name for k in Timeline.shard_keys()}  # type: ignore[attr-defined]
    assert len(nodes) == 3  # 16 shards: claims and their writes reach every primary


def test_four_processes_claiming_on_a_cluster_claim_every_due_entry_exactly_once(
    cluster_client: redis.Redis, redis_cluster_url: str
) -> None:
    entries = 3000
    timeline = Timeline(cluster_client)
    due = {f"acct-{i}": NOW - timedelta(seconds=i % 3600) for i in range(entries)}
    later = {f"later-{i}": NOW + timedelta(seconds=1 + i) for i in range(100)}
    pipe = cluster_client.pipeline(transaction=False)
    for account_id, instant in (due | later).items():
        timeline.place(account_id, instant, pipe)
    pipe.execute()

    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(4), ctx.Queue()
    args = (redis_cluster_url, to_epoch(NOW), LEASE.total_seconds(), 25, start, out)
    procs = [ctx.Process(target=_claim_until_empty, args=args, daemon=True) for _ in range(4)]
    for p in procs:
        p.start()
    try:
        per_claimer = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == 0
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()

    everything = [entry for claimed in per_claimer for entry in claimed]
    assert len(everything) == entries  # none claimed twice ...
    assert dict(everything) == {a: to_epoch(t) for a, t in due.items()}  # ... and none lost
    assert sum(1 for claimed in per_claimer if claimed) >= 2  # the claimers really raced
    leased = to_epoch(NOW + LEASE)
    assert timeline.entries() == {a: leased for a in due} | {
        a: to_epoch(t) for a, t in later.items()
    }


def test_a_dead_workers_lease_is_recovered_on_its_shard_and_its_lock_broken(
    cluster_client: redis.Redis, redis_cluster_url: str, tmp_path: Path
) -> None:
    clock = SimulatedClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    app = make_app(redis_cluster_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    sent: list[tuple[str, float]] = []
    tick(app, lambda a, due: sent.append((a, due)))
    assert sent == [("A-1", to_epoch(clock.now()))]
    lock = keys.account_lock("A-1", "A-1")
    app.leases.beat("w-dead", clock.now())
    cluster_client.set(lock, "token-of-w-dead", px=30_000)
    app.leases.hold("A-1", "A-1", "w-dead", sent[0][1], clock.now())
    assert [lease.holder for lease in app.leases.all()] == ["w-dead"]

    clock.advance(timedelta(seconds=31))  # past the 30 s heartbeat timeout
    cluster_client.set(lock, "token-of-w-dead", px=30_000)  # still held: it never let go
    again: list[tuple[str, float]] = []
    tick(app, lambda a, due: again.append((a, due)))

    assert again == [("A-1", sent[0][1])]  # back at its due instant, claimed again
    assert app.leases.all() == []
    assert cluster_client.get(lock) is None  # the dead holder's lock was broken
    outcomes = dispatch(app, "A-1", again[0][1])
    assert [(o.step, o.outcome) for o in outcomes] == [("early.1", "sent")]


def test_status_reads_every_shard_of_the_timeline_leases_and_audit_on_a_cluster(
    cluster_client: redis.Redis, redis_cluster_url: str, tmp_path: Path
) -> None:
    from worker.cli.status import collect

    clock = SimulatedClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    app = make_app(redis_cluster_url, tmp_path, clock)
    for i in range(6):
        phones = [{"number": f"+1212555{i:04d}", "kind": "mobile", "sms_consent": True}]
        enroll(app, parse_account(account(account_id=f"A-{i}", phones=phones)))
    due = datetime(2026, 3, 2, 15, tzinfo=UTC)
    clock.set(due + timedelta(seconds=90))
    for i in (0, 1):  # decided: their next step is days away
        dispatch(app, f"A-{i}", to_epoch(due))
    app.leases.beat("w-1", clock.now())
    app.leases.hold("A-2", "A-2", "w-1", to_epoch(due), clock.now())
    shards = {keys.shard_of(f"A-{i}") for i in range(6)}

    status = collect(cluster_client, None, clock.now(), queues=())

    assert len(shards) > 1  # the figures really come from several shards
    assert (status.timeline.entries, status.timeline.due) == (6, 4)
    assert status.timeline.oldest_due == due and status.timeline.lag_seconds == 90
    assert [(lease.account_id, lease.holder) for lease in status.leases] == [("A-2", "w-1")]
    assert [(a.outcome, a.channel, a.last_hour) for a in status.activity] == [("sent", "sms", 2)]


def test_a_cluster_url_has_no_database_numbers_and_needs_a_broker_of_its_own(
    redis_cluster_url: str,
) -> None:
    settings = Settings(redis_url=redis_cluster_url)
    with pytest.raises(ConfigError) as broker:
        connection.broker_url(settings)
    with pytest.raises(ConfigError) as db, connection.connected(settings, db=2):
        pass

    assert str(broker.value) == (
        "REDIS_URL names a Redis Cluster, where dramatiq's queues cannot live: set BROKER_URL "
        "(amqp:// for RabbitMQ, or a redis:// server of its own)"
    )
    assert str(db.value) == "REDIS_URL names a Redis Cluster, which has no database numbers"


def _commands(cluster: redis.Redis) -> dict[str, int]:
    """Commands each primary has processed so far."""
    stats: Any = cluster.info("stats", target_nodes=cluster.PRIMARIES)  # type: ignore[attr-defined]
    return {node: int(s["total_commands_processed"]) for node, s in stats.items()}


def _demo(env: dict[str, str], out: Path) -> list[tuple[Any, ...]]:
    done = subprocess.run(
        [sys.executable, "-m", "worker.cli", "demo", "--accounts", "25", "--days", "12",
         "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(x) for x in (out / "outcomes.jsonl").read_text().splitlines()]
    return [
        (o["account_id"], o["step"], o["outcome"], o["reason"], o["rule"], o["at"]) for o in lines
    ]


@pytest.mark.slow
def test_remind_demo_on_a_cluster_decides_as_on_one_server_under_its_own_prefix(
    redis_url: str, redis_client: redis.Redis, cluster_client: redis.Redis,
    redis_cluster_url: str, tmp_path: Path,
) -> None:  # fmt: skip
    cluster_client.set("remind:keep-me", "a live run's key")
    env = {**os.environ, "REMIND_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    on_server = _demo({**env, "REDIS_URL": redis_url}, tmp_path / "server")
    before = _commands(cluster_client)
    on_cluster = _demo({**env, "REDIS_URL": redis_cluster_url}, tmp_path / "cluster")
    after = _commands(cluster_client)

    # the run really went to the cluster, and its shards kept every primary busy
    assert len(after) == 3 and all(after[n] - before[n] > 200 for n in after), (before, after)
    assert len(on_cluster) > 50
    assert {o[2] for o in on_cluster} >= {"sent", "deferred", "suppressed"}
    assert on_cluster == on_server
    # the run's keys were all under remind-sim: and are gone; the live key is untouched
    assert list(cluster_client.scan_iter(match="*")) == ["remind:keep-me"]
