"""A primary of the Redis Cluster dies during a run and its replica takes over: no enrolled
account is lost and nothing is sent twice; the run decides exactly what a run without the
failover decides.

The cluster here has a replica per primary (six nodes, its own for this module). Redis
replicates asynchronously, so "acknowledged" means what it can mean on Redis: written and
copied to the replica (``LocalCluster.replicas_synced``) before the primary is killed. The kill
comes in the middle of a tick's work: its entries are claimed (the claims on the dead primary's
shards too) and half of them dispatched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.intake import enroll
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
