"""Three schedulers ticking at once, each with its own Redis and broker clients (as three
``remind scheduler`` replicas are), never enqueue a step twice: neither the due entries they
claim together nor the entries of a dead worker's leases they recover together.

The ticks run on threads started together behind a barrier, with small claim batches so that
their Redis calls interleave; the dispatch messages are counted per account where dramatiq keeps
them (``dramatiq:dispatch.msgs`` on the broker database), nothing consumes them.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock, to_epoch
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.runtime.broker import make_broker
from worker.runtime.scheduler import TickJob, tick
from worker.storage import keys

from .broker_helpers import broker_url_for, queued
from .pipeline_helpers import account, make_app

pytestmark = pytest.mark.faults

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)  # day 1 at 10:00 in New York: early.1 is due
ACCOUNTS = 600
SCHEDULERS = 3
#: Entries per claim call: small, so the three schedulers' calls interleave.
BATCH = 25


def race(apps: list[App], brokers: list[Any]) -> list[int]:
    """One tick on every scheduler at once; how many messages each enqueued."""
    barrier = threading.Barrier(len(apps))
    counts = [0] * len(apps)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        def send(account_id: str, due: float) -> None:
            brokers[i].enqueue(
                dramatiq.Message(
                    queue_name="dispatch",
                    actor_name="dispatch",
                    args=(account_id, due),
                    kwargs={},
                    options={},
                )
            )

        try:
            barrier.wait(timeout=60)
            counts[i] = tick(apps[i], send, batch=BATCH)
        except BaseException as e:  # reported on the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), "a tick did not finish"
    return counts


def per_account(broker_url: str) -> Counter[str]:
    return Counter(str(m["args"][0]) for m in queued(broker_url, "dispatch"))


def test_three_schedulers_racing_enqueue_each_due_step_and_each_recovered_lease_once(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    broker_url = broker_url_for("redis", redis_url, None)
    clocks = [SimulatedClock(NOW) for _ in range(SCHEDULERS)]
    apps = [make_app(redis_url, tmp_path, clock) for clock in clocks]  # a client each
    brokers = [make_broker(broker_url) for _ in range(SCHEDULERS)]
    ids = [f"S-{i:04d}" for i in range(ACCOUNTS)]
    for account_id in ids:
        enroll(apps[0], parse_account(account(account_id=account_id)))
    try:
        counts = race(apps, brokers)
        assert sum(counts) == ACCOUNTS
        assert sum(1 for n in counts if n) >= 2, counts  # they did race, not one after another
        assert per_account(broker_url) == Counter(ids)  # each due step once

        # a worker that died holding leases on 100 entries, and a live one holding 50
        leases = apps[0].leases
        dead, live = ids[:100], ids[100:150]
        leases.beat("dead-worker", NOW)
        leases.beat("live-worker", NOW)
        for holder, held in (("dead-worker", dead), ("live-worker", live)):
            for account_id in held:
                person = apps[0].store.require(account_id).person_id
                leases.hold(person, account_id, holder, to_epoch(NOW), NOW)
        later = NOW + timedelta(seconds=apps[0].settings.worker_heartbeat_seconds + 1)
        for clock in clocks:
            clock.set(later)
        leases.beat("live-worker", later)

        counts = race(apps, brokers)
        assert sum(counts) == len(dead)
        assert per_account(broker_url) == Counter(ids) + Counter(dead)  # recovered once each
        held = {lease.account_id for lease in leases.all()}
        assert held == set(live)  # the live worker's leases stay with it
        hidden = to_epoch(later) + apps[0].settings.lease_seconds  # claimed again: hidden
        for account_id in dead:
            timeline = keys.timeline(keys.shard_of(account_id))
            assert redis_client.zscore(timeline, account_id) == hidden
    finally:
        for b in brokers:
            b.close()


def test_a_tick_that_cannot_send_puts_its_claims_back_and_the_scheduler_goes_on(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(redis_url, tmp_path, SimulatedClock(NOW))
    ids = [f"T-{i}" for i in range(5)]
    for account_id in ids:
        enroll(app, parse_account(account(account_id=account_id)))
    sent: list[str] = []

    def broker_gone_after_two(account_id: str, due: float) -> None:
        if len(sent) == 2:
            raise redis.ConnectionError("Connection refused")
        sent.append(account_id)

    job = TickJob(app, broker_gone_after_two)
    with caplog.at_level(logging.WARNING, logger="worker.runtime.scheduler"):
        job()  # raises nothing: the scheduler's loop goes on
        assert job.failures == 1
        wait = app.settings.tick_seconds
        assert f"tick failed (1 in a row), next try in {wait}s: ConnectionError" in caplog.text
        assert "3 claims not sent were put back on the timeline" in caplog.text
        for account_id in set(ids) - set(sent):  # due again at their instant, not hidden
            assert app.timeline.due_at(account_id) == NOW

        job.send = lambda account_id, due: sent.append(account_id)
        job()
    assert sorted(sent) == ids  # the next tick sent the rest, and nothing twice
    assert job.failures == 0
    assert "tick works again after 1 failed ticks" in caplog.text


def test_a_tick_that_cannot_read_the_people_puts_its_claims_back_and_the_next_sends_them(
    redis_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(redis_url, tmp_path, SimulatedClock(NOW))
    ids = [f"P-{i}" for i in range(4)]
    for account_id in ids:
        enroll(app, parse_account(account(account_id=account_id)))
    persons_of = app.store.persons_of
    calls: list[int] = []

    def index_gone_once(account_ids: Any) -> list[str | None]:
        calls.append(1)
        if len(calls) == 1:  # the connection drops while the tick reads the account index
            raise redis.ConnectionError("Connection reset by peer")
        return persons_of(account_ids)

    monkeypatch.setattr(app.store, "persons_of", index_gone_once)
    sent: list[tuple[str, str | None]] = []
    job = TickJob(app, lambda a, due, person: sent.append((a, person)), people=True)
    with caplog.at_level(logging.WARNING, logger="worker.runtime.scheduler"):
        job()
        assert job.failures == 1 and sent == []
        assert "4 claims not sent were put back on the timeline" in caplog.text
        for account_id in ids:  # due again at their instant, not hidden for the lease
            assert app.timeline.due_at(account_id) == NOW
        job()
    assert sorted(sent) == [(a, app.store.person_of(a)) for a in ids]  # each once, with its person
    assert all(person is not None for _, person in sent)
