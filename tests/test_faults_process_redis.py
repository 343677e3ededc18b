"""The redis-server killed (SIGKILL) and started again on its AOF in the middle of a run, while a
real ``remind worker`` and ``remind scheduler`` run and producers enrol accounts (through the
intake queue, as ``worker.runtime.client`` does, and with ``remind enroll``) and send events:
nothing acknowledged is lost, nothing is sent twice, and the worker and the scheduler reconnect
by themselves and finish the run.

The server is one of this test's own (``appendfsync always``, the strongest setting; the
embedded default, ``everysec``, loses nothing to a killed server either: docs/reliability.md).
The processes run on a fixed instant (``REMIND_FIXED_NOW``), the scheduler ticking every second
of wall time; the test waits on conditions only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock, isoformat_utc
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.runtime.broker import make_broker
from worker.storage import connection, keys
from worker.storage.embedded import EmbeddedRedis

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account
from .test_worker_crash import start_worker, stop
from .test_worker_process import _wait_for

pytestmark = [pytest.mark.slow, pytest.mark.faults]

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)  # day 1 at 10:00 in New York: early.1 (SMS) is due
#: Acknowledged enrolments before the kill, and after the restart, before the producers stop.
BEFORE, AFTER = 40, 40
#: Accounts whose first step is days away, which get a ``paid`` event each during the run.
EVENTED = 30
#: Enrolments the queue producer sends at most (it is fast; the others are slower).
QUEUE_CAP = BEFORE + AFTER + 80
#: Seconds for the processes to finish the run (a loaded 2-core CI machine is slow).
DEADLINE = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def number(n: int) -> dict[str, Any]:
    return {"number": f"+1212555{2000 + n:04d}", "kind": "mobile", "sms_consent": True}


@dataclass
class Producers:
    """Threads that enrol accounts and send events until told to stop; what was acknowledged."""

    broker: Any
    env: dict[str, str]
    tmp: Path
    acked: list[str] = field(default_factory=list)  # account ids whose enrolment was acknowledged
    events: list[str] = field(default_factory=list)  # account ids whose event was acknowledged
    refused: list[str] = field(default_factory=list)  # not acknowledged (an error came back)
    stopping: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for target in (self._queue, self._cli, self._events):
            self.threads.append(threading.Thread(target=target, daemon=True))
            self.threads[-1].start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self.threads), "a producer did not stop"

    def _note(self, into: list[str], account_id: str) -> None:
        with self.lock:
            into.append(account_id)

    def _send(self, actor: str, body: dict[str, Any]) -> None:
        msg = dramatiq.Message(
            queue_name="intake", actor_name=actor, args=(body,), kwargs={}, options={}
        )
        self.broker.enqueue(msg)

    def _queue(self) -> None:
        n = 0
        while not self.stopping.is_set() and n < QUEUE_CAP:
            if len(self.acked) >= BEFORE + 20 and not self.killed.is_set():
                self.killed.wait(timeout=DEADLINE)  # a little ahead of the kill, not far
            aid, n = f"Q-{n:04d}", n + 1
            try:
                self._send("enroll_account", account(account_id=aid, phones=[number(n)]))
            except (redis.RedisError, dramatiq.errors.BrokerError):
                self._note(self.refused, aid)
            else:
                self._note(self.acked, aid)

    def _cli(self) -> None:
        n = 0
        while not self.stopping.is_set():
            aid, n = f"L-{n:04d}", n + 1
            path = self.tmp / f"{aid}.jsonl"
            path.write_text(json.dumps(account(account_id=aid, phones=[number(500 + n)])) + "\n")
            done = subprocess.run(
                [sys.executable, "-m", "worker.cli", "enroll", str(path)],
                env=self.env,
                cwd=ROOT,
                capture_output=True,
                timeout=120,
                check=False,
            )
            self._note(self.acked if done.returncode == 0 else self.refused, aid)

    def _events(self) -> None:
        for n in range(EVENTED):
            if self.stopping.is_set():
                return
            aid = f"E-{n:04d}"
            try:
                self._send(
                    "apply_event", {"account_id": aid, "type": "paid", "at": "2026-03-02T14:00:00Z"}
                )
            except (redis.RedisError, dramatiq.errors.BrokerError):
                self._note(self.refused, aid)
            else:
                self._note(self.events, aid)
            # paced by the other producers' progress, so the events straddle the restart
            _wait_for(lambda n=n: len(self.acked) > 2 * n or self.stopping.is_set(), "enrolments")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[EmbeddedRedis]]:
    """The test's redis-server, then the one started again on its files; all stopped after."""
    started = [EmbeddedRedis(tmp_path / "redis", port=free_port(), appendfsync="always")]
    started[0].start()
    yield started
    for s in started:
        s.stop()


def kill_and_restart(servers: list[EmbeddedRedis]) -> None:
    """SIGKILL the server (no SHUTDOWN, no last AOF flush), then start a new one on its files."""
    server = servers[-1]
    assert server._proc is not None
    server._proc.send_signal(signal.SIGKILL)
    server._proc.wait()
    server.owned = False  # nothing left for stop() to do
    if server._proc.stderr:
        server._proc.stderr.close()
    servers.append(EmbeddedRedis(server.directory, port=server.port, appendfsync="always"))
    servers[-1].start()


def sent_outcomes(client: redis.Redis) -> list[dict[str, Any]]:
    records = (json.loads(f["outcome"]) for _, f in client.xrange(keys.RESULTS_STREAM))
    return [o for o in records if o["outcome"] == "sent"]


def test_a_redis_restart_loses_nothing_acknowledged_and_the_processes_carry_on(
    servers: list[EmbeddedRedis], tmp_path: Path
) -> None:
    url = servers[0].url
    assert url is not None
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    env = {
        **os.environ,
        "REDIS_URL": url,
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "REMIND_TICK_SECONDS": "1",
        "REMIND_FIXED_NOW": isoformat_utc(NOW),
    }
    env.pop("BROKER_URL", None)
    settings = Settings.from_env(env)
    client = connection.client(url)
    app = App(settings, client, SimulatedClock(NOW))
    for n in range(EVENTED):  # first steps days away: the events land before any dispatch
        enroll(app, parse_account(account(account_id=f"E-{n:04d}", due_date="2026-03-20")))
    broker = make_broker(connection.broker_url(settings))
    log = tmp_path / "processes.log"
    worker = start_worker(env, NOW, threads=4, log=log)
    with log.open("ab") as out:
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "worker.cli", "scheduler"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    producers = Producers(broker, env, tmp_path)
    try:
        producers.start()
        _wait_for(
            lambda: len(producers.acked) >= BEFORE and len(sent_outcomes(client)) >= BEFORE // 4,
            f"the run under way (see {log})",
            timeout=DEADLINE,
        )
        before = len(producers.acked)
        killed = time.monotonic()
        producers.killed.set()
        kill_and_restart(servers)
        outage = time.monotonic() - killed
        sent_then = len(sent_outcomes(client))
        _wait_for(
            lambda: len(sent_outcomes(client)) > sent_then,
            f"a step sent after the restart (see {log})",
            timeout=DEADLINE,
        )
        resumed = time.monotonic() - killed
        _wait_for(
            lambda: len(producers.acked) >= before + AFTER,
            "enrolments after the restart",
            timeout=DEADLINE,
        )
        producers.stop()
        acked = set(producers.acked)
        _wait_for(
            lambda: {o["account_id"] for o in sent_outcomes(client)} >= acked,
            f"a sent step for every acknowledged enrolment (see {log})",
            timeout=DEADLINE,
        )
        finished = time.monotonic() - killed
        assert worker.poll() is None, f"the worker exited (see {log})"
        assert scheduler.poll() is None, f"the scheduler exited (see {log})"
    finally:
        producers.stopping.set()
        stop(worker, signal.SIGTERM)
        stop(scheduler, signal.SIGTERM)
        broker.close()

    # every acknowledged enrolment and event is in the state
    for aid in acked:
        assert app.store.require(aid).account_id == aid
    for aid in producers.events:
        state = app.store.require(aid)
        assert (state.status, state.status_reason) == ("stopped", "paid"), aid
    assert len(producers.events) == EVENTED
    # one sent outcome and one outbox line per step: nothing sent twice. An outcome whose
    # publication was retried after a lost reply is in the stream twice with its one id:
    # consumers deduplicate on it (docs/contracts.md)
    entries = sent_outcomes(client)
    sent = list({o["id"]: o for o in entries}.values())
    assert Counter(o["account_id"] for o in sent) == Counter({o["account_id"] for o in sent})
    lines = [json.loads(x) for x in (settings.outbox_dir / "sms.jsonl").read_text().splitlines()]
    assert Counter(line["dispatch_id"] for line in lines) == Counter(
        {f"{o['account_id']}:early.1:0": 1 for o in sent}
    )
    assert not {o["account_id"] for o in sent} & set(producers.events)  # paid: never sent
    client.close()
    print(
        f"\nredis restart: server back {outage:.2f} s after the kill, first step sent "
        f"{resumed:.2f} s after it, run finished {finished:.1f} s after it; "
        f"{len(acked)} enrolments and {len(producers.events)} events acknowledged, "
        f"{len(producers.refused)} refused; {len(entries) - len(sent)} outcomes published twice"
    )
    with contextlib.suppress(OSError):
        print(" ".join(x for x in log.read_text().splitlines() if "tick failed" in x)[:500])
