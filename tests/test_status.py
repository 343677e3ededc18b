"""`remind status` on a real Redis: dispatches made through the production tick and pipeline,
real dramatiq queues (a message dead-lettered, one in flight), heartbeats and a lease; every
figure asserted exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from worker.app import App
from worker.cli.status import collect, to_json
from worker.clock import SimulatedClock, to_epoch
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.runtime.scheduler import tick
from worker.storage import connection, keys

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, run_until

RUN_END = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
NOW = RUN_END + timedelta(seconds=90)


def _phone(n: int) -> list[dict[str, Any]]:
    return [{"number": f"+1212555{n:04d}", "kind": "mobile", "sms_consent": True}]


@pytest.fixture
def broker(redis_url: str, redis_client: redis.Redis) -> Iterator[RedisBroker]:
    b = RedisBroker(url=connection.with_db(redis_url, connection.DEFAULT_BROKER_DB))  # type: ignore[no-untyped-call]
    b.declare_queue("dispatch")
    yield b
    b.close()


@pytest.fixture
def scene(redis_url: str, redis_client: redis.Redis, tmp_path: Path, broker: RedisBroker) -> App:
    """Two accounts run through 2026-03-04 15:30 UTC (four texts sent, one deferred by the cap),
    three more dispatched to the real `dispatch` queue by the scheduler's tick (one then
    dead-lettered, one taken by a consumer), and one left due for 90 s."""
    clock = SimulatedClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    enroll(app, parse_account(account(account_id="A-2", timezone="America/Chicago",
                                      phones=_phone(100))))  # fmt: skip
    run_until(app, clock, RUN_END)
    for i in range(3):  # enrolled late: their step is due at once
        enroll(app, parse_account(account(account_id=f"B-{i}", phones=_phone(200 + i))))

    def send(account_id: str, due: float) -> None:
        broker.enqueue(
            dramatiq.Message(queue_name="dispatch", actor_name="dispatch",
                             args=(account_id, due), kwargs={}, options={})
        )  # fmt: skip

    assert tick(app, send) == 3
    consumer = broker.consume("dispatch", prefetch=1, timeout=100)
    try:
        first = next(m for m in consumer if m is not None)
        consumer.nack(first)  # dead-lettered
        next(m for m in consumer if m is not None)  # fetched, never acknowledged
    finally:
        consumer.close()
    enroll(app, parse_account(account(account_id="C-1", phones=_phone(300))))  # due at 15:30
    clock.set(NOW)  # no tick for 90 s: C-1 waits
    # heartbeats and a lease, in the layout of worker/storage/leases.py
    redis_client.zadd(keys.WORKERS, {"w-live": to_epoch(NOW) - 10, "w-gone": to_epoch(NOW) - 120})
    redis_client.hset(keys.leases(keys.shard_of("B-1")), "B-1", json.dumps(
        {"holder": "w-live", "due": to_epoch(RUN_END), "hidden": to_epoch(RUN_END) + 600,
         "since": to_epoch(NOW) - 30}
    ))  # fmt: skip
    return app


EXPECTED: dict[str, Any] = {
    "at": "2026-03-04T15:31:30Z",
    "queues": [
        {"queue": "dispatch", "ready": 1, "in_flight": 1, "delayed": 0, "dead": 1},
        {"queue": "intake", "ready": 0, "in_flight": 0, "delayed": 0, "dead": 0},
        {"queue": "reminder_results", "ready": 0, "in_flight": 0, "delayed": 0, "dead": 0},
    ],
    "dead_letters": 1,
    "timeline": {
        "entries": 6,  # B-0..2 (claimed: hidden for the lease), C-1
        "due": 1,
        "oldest_due": "2026-03-04T15:30:00Z",
        "lag_seconds": 90.0,
    },
    "workers": {
        "alive": 1,
        "heartbeat_timeout_seconds": 30.0,
        "seen": [
            {"worker": "w-live", "last_beat": "2026-03-04T15:31:20Z", "alive": True},
            {"worker": "w-gone", "last_beat": "2026-03-04T15:29:30Z", "alive": False},
        ],
    },
    "leases": [
        {
            "account_id": "B-1",
            "holder": "w-live",
            "due": "2026-03-04T15:30:00Z",
            "since": "2026-03-04T15:31:00Z",
        },
    ],
    # Over the day (after 2026-03-03 15:31:30): A-2's second text (16:00) and A-1's third,
    # deferred by the 2-per-7-days cap at 15:00, which is also the last hour's one decision.
    # The 2026-03-02 texts and A-1's of 2026-03-03 15:00 are older than a day.
    "activity": [
        {"outcome": "deferred", "channel": "sms", "reason": "cap", "last_hour": 1, "last_day": 1},
        {"outcome": "sent", "channel": "sms", "reason": "-", "last_hour": 0, "last_day": 1},
    ],
}


def test_status_reports_queues_lag_workers_leases_and_activity_exactly(
    scene: App, redis_url: str
) -> None:
    assert [(o["at"], o["outcome"]) for o in scene.recorded] == [  # type: ignore[attr-defined]
        ("2026-03-02T15:00:00Z", "sent"), ("2026-03-02T16:00:00Z", "sent"),
        ("2026-03-03T15:00:00Z", "sent"), ("2026-03-03T16:00:00Z", "sent"),
        ("2026-03-04T15:00:00Z", "deferred"),
    ]  # fmt: skip
    broker = connection.client(connection.with_db(redis_url, connection.DEFAULT_BROKER_DB))
    status = collect(scene.client, broker, scene.clock.now(),
                     queues=("intake", "dispatch", "reminder_results"))  # fmt: skip
    broker.close()
    assert to_json(status) == EXPECTED


def _cli(redis_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "cli-schedules").mkdir(exist_ok=True)
    (tmp_path / "cli-schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": "2026-03-04T15:31:30Z",
        "REMIND_SCHEDULES_DIR": str(tmp_path / "cli-schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
    }
    env.pop("BROKER_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", "status", *args],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip


def test_remind_status_json_prints_the_same_figures(
    scene: App, redis_url: str, tmp_path: Path
) -> None:
    done = _cli(redis_url, tmp_path, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == EXPECTED


def test_remind_status_prints_tables_for_people(scene: App, redis_url: str, tmp_path: Path) -> None:
    done = _cli(redis_url, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    assert lines[0] == "remind status at 2026-03-04T15:31:30Z"
    assert "│ dispatch         │ 1     │ 1         │ 0       │ 1    │" in lines
    for line in (
        "dead letters: 1",
        "timeline: 6 entries, 1 due now; oldest due 2026-03-04T15:30:00Z, waiting 90s "
        "(scheduler lag)",
        "workers alive: 1",
        "  w-live beat 10s ago",
        "  (1 silent for over 30s)",
        "open leases: 1",
        "  B-1 held by w-live for 30s (due 2026-03-04T15:30:00Z)",
        "last hour: 0 sent, 1 deferred; last day: 1 sent, 1 deferred",
        "│ deferred │ sms     │ cap    │ 1         │ 1        │",
        "│ sent     │ sms     │ -      │ 0         │ 1        │",
    ):
        assert line in lines, (line, lines)


def _audit(i: int, outcome: str, channel: str, reason: str | None) -> str:
    # written as Results.publish writes it: compact, the rule checks last
    checks = [{"rule": "p/r@1", "reason": "not this one", "checks": 1}]
    record = {"i": i, "outcome": outcome, "channel": channel, "reason": reason, "checks": checks}
    return json.dumps(record, separators=(",", ":"))


def test_activity_pages_through_records_that_share_a_score(redis_client: redis.Redis) -> None:
    # 2,500 decisions at one instant and 10 at another: pages of 1,000 resume inside a score
    from worker.storage.stats import activity

    at = to_epoch(NOW)
    records = {_audit(i, "sent", "sms", None): at - 10 for i in range(2500)}
    records |= {_audit(i, "deferred", "email", "cap"): at - 7200 for i in range(10)}
    records[json.dumps({"outcome": "sent", "channel": "sms", "reason": None})] = at - 20
    redis_client.zadd(keys.audit(3), records)  # one shard: its pages resume inside a score
    rows = [(a.outcome, a.channel, a.reason, a.last_hour, a.last_day)
            for a in activity(redis_client, NOW)]  # fmt: skip
    assert rows == [("sent", "sms", "-", 2501, 2501), ("deferred", "email", "cap", 0, 10)]
