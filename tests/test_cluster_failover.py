"""A primary of the Redis Cluster dies during a run and its replica takes over: no enrolled
account is lost and nothing is sent twice; the run decides exactly what a run without the
failover decides.

The cluster here has a replica per primary (six nodes, its own for this module). The first test
kills a primary in the middle of a tick's work, once the replicas have caught up
(``LocalCluster.replicas_synced``): its entries are claimed (the claims on the dead primary's
shards too) and half of them dispatched.

Redis replicates asynchronously, so without ``REMIND_REDIS_MIN_REPLICAS`` an enrolment the
primary acknowledged may die with it. The last two tests part a primary from its replica
(``cut_off_replicas``), enroll, and kill the primary at once, waiting for nothing: with the
default 0 acknowledged enrolments are lost; with 1 the ones the primary could not copy are
refused and every acknowledged one survives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.errors import ReplicationError
from worker.intake import enroll
from worker.providers import Replication
from worker.runtime.scheduler import tick
from worker.storage import keys
from worker.testing.redis_cluster import LocalCluster, wait_until

from .pipeline_helpers import account, make_app, outbox, run_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

START = datetime(2026, 3, 2, 12, tzinfo=UTC)
FIRST_DUE = datetime(2026, 3, 2, 15, tzinfo=UTC)
END = START + timedelta(days=12)
ACCOUNTS = 40


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    nodes = LocalCluster(tmp_path_factory.mktemp("failover"), replicas=1)
    nodes.start()
    try:
        yield nodes
    finally:
        nodes.stop()


def _enroll_all(app: App) -> None:
    for i in range(ACCOUNTS):
        number = f"+1212555{i:04d}"
        phones = [{"number": number, "kind": "mobile", "sms_consent": True, "voice_consent": True}]
        enroll(app, parse_account(account(account_id=f"A-{i}", phones=phones)))


def _decisions(app: App) -> list[tuple[Any, ...]]:
    recorded: list[dict[str, Any]] = app.recorded  # type: ignore[attr-defined]
    return sorted((o["account_id"], o["step"], o["outcome"], o["reason"]) for o in recorded)


def _sent_ids(app: App) -> list[str]:
    return [line["dispatch_id"] for ch in ("sms", "voice", "email") for line in outbox(app, ch)]


def test_a_primary_killed_mid_tick_loses_no_enrolment_and_sends_nothing_twice(
    cluster: LocalCluster, redis_url: str, redis_client: Any, tmp_path: Path
) -> None:
    # the same run on one server, without a failover: what the cluster run must decide
    for side in ("server", "cluster"):
        (tmp_path / side).mkdir()
    clock = SimulatedClock(START)
    reference = make_app(redis_url, tmp_path / "server", clock)
    _enroll_all(reference)
    run_until(reference, clock, END)

    clock = SimulatedClock(START)
    app = make_app(cluster.url, tmp_path / "cluster", clock)
    _enroll_all(app)
    wait_until(cluster.replicas_synced, "replicas catching up", 30)
    clock.set(FIRST_DUE)
    claimed: list[tuple[str, float]] = []
    tick(app, lambda a, due: claimed.append((a, due)))
    assert len(claimed) == ACCOUNTS
    for account_id, due in claimed[: ACCOUNTS // 2]:
        dispatch(app, account_id, due)
    wait_until(cluster.replicas_synced, "replicas catching up", 30)

    victim = cluster.primary_of(keys.timeline(keys.shard_of(claimed[-1][0])))
    cluster.kill(victim)
    cluster.wait_for_failover(victim)
    for account_id, due in claimed[ACCOUNTS // 2 :]:
        dispatch(app, account_id, due)  # the client finds the new primary by itself
    run_until(app, clock, END)

    assert all(app.store.load(f"A-{i}") is not None for i in range(ACCOUNTS))
    sent = _sent_ids(app)
    assert len(sent) == len(set(sent))  # nothing twice
    assert len(sent) == len(_sent_ids(reference)) > ACCOUNTS
    assert _decisions(app) == _decisions(reference)


@pytest.fixture
def partitioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A fresh cluster (a primary is cut off and killed in each test) whose clients log in as
    their own user, so ``cut_off_replicas`` can part a primary from its replica."""
    nodes = LocalCluster(tmp_path_factory.mktemp("partition"), replicas=1, app_user=True)
    nodes.start()
    try:
        yield nodes
    finally:
        nodes.stop()


def _enroll_acknowledged(app: App) -> tuple[list[str], list[str]]:
    """Enroll every account as the intake actor would: those acknowledged, those refused."""
    acknowledged, refused = [], []
    for i in range(ACCOUNTS):
        number = f"+1212555{i:04d}"
        phones = [{"number": number, "kind": "mobile", "sms_consent": True, "voice_consent": True}]
        try:
            enroll(app, parse_account(account(account_id=f"A-{i}", phones=phones)))
        except ReplicationError as e:
            assert "REMIND_REDIS_MIN_REPLICAS asks for 1" in str(e)
            refused.append(f"A-{i}")
        else:
            acknowledged.append(f"A-{i}")
    return acknowledged, refused


def _partition_and_fail_over(
    cluster: LocalCluster, tmp_path: Path, min_replicas: int
) -> tuple[App, SimulatedClock, list[str], list[str]]:
    """Cut a primary off its replica, enroll, kill the primary at once (no waiting for anything
    to catch up) and let the stale replica take over: the app, its clock, the enrolments
    acknowledged and those refused."""
    clock = SimulatedClock(START)
    app = make_app(cluster.url, tmp_path, clock)
    app.settings = replace(app.settings, redis_replication=Replication(min_replicas, 200))
    victim = cluster.primary_of(keys.timeline(keys.shard_of("A-0")))
    cluster.cut_off_replicas(victim)
    acknowledged, refused = _enroll_acknowledged(app)
    cluster.kill(victim)
    cluster.wait_for_failover(victim)
    return app, clock, acknowledged, refused


def _missing(app: App, account_ids: list[str]) -> list[str]:
    """The accounts whose state or timeline entry is gone."""
    on_timeline = app.timeline.entries()
    return [a for a in account_ids if app.store.load(a) is None or a not in on_timeline]


def test_without_min_replicas_a_failover_loses_acknowledged_enrolments(
    partitioned: LocalCluster, tmp_path: Path
) -> None:
    """The gap REMIND_REDIS_MIN_REPLICAS closes, shown on the same partition as below: with the
    default 0 every enrolment is acknowledged and the killed primary takes some with it."""
    app, _, acknowledged, refused = _partition_and_fail_over(partitioned, tmp_path, 0)

    assert refused == [] and len(acknowledged) == ACCOUNTS
    assert _missing(app, acknowledged) != []


def test_with_min_replicas_a_failover_loses_no_acknowledged_enrolment_and_sends_nothing_twice(
    partitioned: LocalCluster, redis_url: str, redis_client: Any, tmp_path: Path
) -> None:
    """With REMIND_REDIS_MIN_REPLICAS=1 an enrolment the cut-off primary could not copy is
    refused, not acknowledged; every acknowledged one outlives the primary's death. The refused
    ones are delivered again (as dramatiq retries them) and the run sends nothing twice and
    decides what a run on one server without any failure decides."""
    for side in ("server", "cluster"):
        (tmp_path / side).mkdir()
    clock = SimulatedClock(START)
    reference = make_app(redis_url, tmp_path / "server", clock)
    _enroll_all(reference)
    run_until(reference, clock, END)

    app, clock, acknowledged, refused = _partition_and_fail_over(
        partitioned, tmp_path / "cluster", 1
    )

    assert acknowledged and refused  # both sides of the partition were written to
    assert _missing(app, acknowledged) == []
    # the new primary has no replica left: the redelivery is acknowledged without one
    app.settings = replace(app.settings, redis_replication=Replication(0, 200))
    _enroll_all(app)
    run_until(app, clock, END)
    sent = _sent_ids(app)
    assert len(sent) == len(set(sent))  # nothing twice
    assert len(sent) == len(_sent_ids(reference)) > ACCOUNTS
    assert _decisions(app) == _decisions(reference)
