"""A real ``remind worker`` SIGKILLed in the middle of 1,000 due SMS steps, through the Twilio
emulator, and another started: every step ends with exactly one terminal outcome (``sent``, or
``unknown`` for the steps whose request was in flight), no number gets two requests, and the
steps the dead worker held leases on are claimed again by the first scheduler tick after the
heartbeat timeout (45 s on the injected clock), not after the 600 s lease.

The emulator accepts the first ``BEFORE_CRASH`` messages and holds its answer to the next ones,
so at the kill every worker thread is mid-request: the crash lands at a known point. Messages
the dead worker had prefetched but not started hold no lease (a worker leases an entry when it
starts its message): their entries come back when the scheduler's claim lease ends, which the
test also drives and checks. The worker processes run on fixed instants (``REMIND_FIXED_NOW``),
the scheduler's tick here on a simulated clock; the test waits on conditions only.

Redis broker only: on RabbitMQ the dead worker's unacknowledged messages are delivered again
as soon as its connection drops (tests/test_worker_crash.py covers that on one step).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.runtime.broker import make_broker
from worker.runtime.scheduler import tick
from worker.storage import connection
from worker.testing.twilio_emulator import TwilioEmulator, accepted, hang

from .broker_helpers import SETTLED, broker_url_for
from .pipeline_helpers import ROOT, TEST_SCHEDULE, account
from .test_worker_crash import outcomes, start_worker, stop
from .test_worker_process import _wait_for
from .twilio_helpers import FROM, SID, TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.faults]

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)  # day 1 at 10:00 in New York: early.1 (SMS) is due
STEPS = 1_000
BEFORE_CRASH = 300
THREADS = 4
#: Seconds the test waits for the workers to get through their messages (a loaded 2-core CI
#: machine sends a few dozen a second).
DRAIN_TIMEOUT = 600.0
TERMINAL = ("sent", "unknown")


def phone(i: int) -> str:
    return f"+1212555{1000 + i:04d}"


@pytest.fixture
def twilio() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(auth=(SID, TOKEN)) as emulator:
        yield emulator


@pytest.fixture
def env(redis_url: str, tmp_path: Path, twilio: TwilioEmulator) -> dict[str, str]:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "REMIND_CHANNELS": "sms=live",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "REMIND_PROVIDER_TIMEOUT_SECONDS": "300",  # a held answer is awaited until the kill
        # the workers' clock stands still: a pace of messages a second would never free a slot
        "REMIND_SMS_PER_SECOND": "1000000",
        "REMIND_PROVIDER_CONCURRENCY": str(2 * THREADS),
        "BROKER_URL": broker_url_for("redis", redis_url, None),
    }


class Scheduler:
    """The production tick on the test's simulated clock, enqueueing to the real broker."""

    def __init__(self, app: App, broker: Any) -> None:
        self.app, self.broker = app, broker
        self.claimed: list[str] = []

    def tick(self) -> list[str]:
        got: list[str] = []

        def send(account_id: str, due: float) -> None:
            got.append(account_id)
            message = dramatiq.Message(
                queue_name="dispatch",
                actor_name="dispatch",
                args=(account_id, due),
                kwargs={},
                options={},
            )
            self.broker.enqueue(message)

        tick(self.app, send)
        self.claimed += got
        return got


def dead_worker_messages(broker_url: str) -> set[str]:
    """The accounts of the dispatch messages a worker fetched and never acknowledged."""
    client = redis.Redis.from_url(broker_url, decode_responses=True)
    try:
        ids = [i for k in client.keys("dramatiq:__acks__.*.dispatch") for i in client.smembers(k)]
        bodies = client.hmget("dramatiq:dispatch.msgs", ids) if ids else []
    finally:
        client.close()
    return {str(json.loads(b)["args"][0]) for b in bodies if b}


def terminal_by_account(client: redis.Redis) -> Counter[str]:
    return Counter(o["account_id"] for o in outcomes(client) if o["outcome"] in TERMINAL)


def test_a_worker_killed_among_1000_due_steps_loses_none_sends_none_twice_and_recovers_fast(
    env: dict[str, str],
    redis_client: redis.Redis,
    redis_url: str,
    twilio: TwilioEmulator,
    tmp_path: Path,
) -> None:
    clock = SimulatedClock(NOW)
    app = App(Settings.from_env(env), connection.client(redis_url), clock)
    ids = [f"C-{i:04d}" for i in range(STEPS)]
    for i, account_id in enumerate(ids):
        number = {"number": phone(i), "kind": "mobile", "sms_consent": True, "voice_consent": True}
        enroll(app, parse_account(account(account_id=account_id, phones=[number])))
    twilio.script(*[accepted()] * BEFORE_CRASH, *[hang(3600)] * THREADS, kind="Messages")
    broker = make_broker(env["BROKER_URL"])
    broker.declare_queue("dispatch")
    scheduler = Scheduler(app, broker)
    log = tmp_path / "workers.log"
    started = time.monotonic()

    first = start_worker(env, NOW, threads=THREADS, log=log)
    try:
        assert len(scheduler.tick()) == STEPS
        _wait_for(
            lambda: len(twilio.requests) == BEFORE_CRASH + THREADS and len(app.leases.all()),
            f"every thread of the first worker in a held request (see {log})",
            timeout=DRAIN_TIMEOUT,
        )
        held = {lease.account_id for lease in app.leases.all()}
    finally:
        stop(first, signal.SIGKILL)  # mid-request: no shutdown hook runs, the leases stay
    killed_at, killed_wall = clock.now(), time.monotonic()
    assert len(held) == THREADS
    unstarted = (
        dead_worker_messages(env["BROKER_URL"]) - held - set(terminal_by_account(redis_client))
    )

    # the scheduler ticks every REMIND_TICK_SECONDS until it claims the held entries again
    recovered: list[str] = []
    while not recovered:
        clock.advance(timedelta(seconds=app.settings.tick_seconds))
        assert clock.now() - killed_at < timedelta(seconds=app.settings.lease_seconds)
        recovered = scheduler.tick()
    recovery = (clock.now() - killed_at).total_seconds()
    assert set(recovered) == held  # only those: the unstarted messages hold no lease
    assert recovery < 60  # heartbeat timeout (30 s) + one tick (15 s): 45 s, not 600

    second = start_worker(env, clock.now(), threads=THREADS, log=log)
    try:
        _wait_for(
            lambda: set(terminal_by_account(redis_client)) >= set(ids) - unstarted,
            f"every step but the unstarted ones decided (see {log})",
            timeout=DRAIN_TIMEOUT,
        )
        unknown_wall = time.monotonic() - killed_wall
        # the entries of messages the dead worker fetched but never started come back when the
        # scheduler's claim lease ends (sooner if dramatiq's maintenance hands them out again)
        left = set(ids) - set(terminal_by_account(redis_client))
        assert left <= unstarted
        lease_end = killed_at + timedelta(seconds=app.settings.lease_seconds)
        clock.set(max(clock.now(), lease_end - timedelta(seconds=app.settings.tick_seconds)))
        while left:  # a tick every REMIND_TICK_SECONDS; each waits for its messages to settle
            clock.advance(timedelta(seconds=app.settings.tick_seconds))
            assert clock.now() - lease_end <= timedelta(seconds=5 * app.settings.tick_seconds)
            settled = int(redis_client.get(SETTLED) or 0)
            n = len(scheduler.tick())
            _wait_for(
                lambda n=n, settled=settled: int(redis_client.get(SETTLED) or 0) >= settled + n,
                f"the second worker to settle the tick's messages (see {log})",
                timeout=DRAIN_TIMEOUT,
            )
            left -= set(terminal_by_account(redis_client))
        unstarted_back = (clock.now() - killed_at).total_seconds()
    finally:
        stop(second, signal.SIGTERM)
        broker.close()

    got = outcomes(redis_client)
    terminal = [o for o in got if o["outcome"] in TERMINAL]
    assert Counter(o["account_id"] for o in terminal) == Counter(ids)  # one each, none lost
    assert {o["step"] for o in terminal} == {"early.1"}
    assert {o["account_id"] for o in terminal if o["outcome"] == "unknown"} == held
    assert {o["reason"] for o in terminal if o["outcome"] == "unknown"} == {"claimed_not_finished"}
    assert {o["outcome"] for o in got} <= {*TERMINAL, "skipped"}  # a duplicate message, at most
    # never sent twice: one request per number, the held ones included (they reached Twilio)
    per_number = Counter(r.fields["To"] for r in twilio.requests)
    assert per_number == Counter(phone(i) for i in range(STEPS))
    sent_ids = [o["provider_id"] for o in terminal if o["outcome"] == "sent"]
    assert len(set(sent_ids)) == len(sent_ids) == STEPS - THREADS
    print(
        f"\ncrash recovery: held steps claimed again {recovery:.0f} s after the kill on the "
        f"injected clock; {len(held)} held, {len(unstarted)} prefetched unstarted, decided "
        f"{unstarted_back:.0f} s after the kill; held steps "
        f"settled (unknown) {unknown_wall:.1f} s of wall time after the kill; run "
        f"{time.monotonic() - started:.1f} s"
    )
