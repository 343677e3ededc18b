"""Property: two real worker processes of 8 threads each, racing on one person's accounts with
every dispatch message delivered twice, never breach a cap, never send a step twice and never
lose one.

Hypothesis draws a schedule (steps on days 1-5 over sms, voice and email, several on one day)
and 3-6 accounts of ONE person over a few debts and a few shared numbers, in Massachusetts
(MA1: 2 calls or texts per 7 days per debt; F6-gap: no two calls to a number within 5
minutes), sometimes with a house cap on top. The workers' clock is fixed (``REMIND_FIXED_NOW``),
so one example is one decision instant: the accounts are enrolled on the test Redis, every due
timeline entry is claimed and its dispatch message enqueued twice, until nothing is due at that
instant. The workers are started once for the module and broker (Redis, then RabbitMQ where a
server answers: tests/broker_helpers.py); examples stay apart by their ids.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from hypothesis import event, given, settings
from hypothesis import strategies as st

from worker.app import App
from worker.cadence.schedule import Schedule, find_schedule
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.account import Account
from worker.contracts.validation import parse_account
from worker.intake import enroll
from worker.runtime.broker import make_broker
from worker.runtime.processes import worker_command
from worker.runtime.scheduler import tick
from worker.storage import connection
from worker.storage.store import Store

from .breach import find_breaches
from .broker_helpers import BROKERS, ENQUEUED, SETTLED, broker_url_for, delete_queues

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ROOT = Path(__file__).resolve().parent.parent
#: Tuesday 3 March 2026, 12:00 in Boston: inside every contact window, not a holiday.
NOW = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
TODAY = date(2026, 3, 3)  # the local date in America/New_York at NOW
#: The person's numbers; each account reaches one of them (sms only to a mobile).
NUMBERS = (
    ("+16175550101", "mobile"),
    ("+16175550102", "mobile"),
    ("+16175550103", "landline"),
    ("+16175550104", "work"),
)
TEMPLATES = {"sms": "reminder", "voice": "reminder_call", "email": "reminder"}
#: Rounds of claim-and-dispatch at NOW before the test gives up (each step takes at most one).
MAX_ROUNDS = 20
#: Seconds a round may take until every message is settled.
JOIN_TIMEOUT = 60.0
_ids = itertools.count(1)


@dataclass(frozen=True)
class Workers:
    """Two dramatiq worker processes on the test Redis and a broker, and how to reach them."""

    procs: tuple[subprocess.Popen[bytes], ...]
    broker: Any  # the production broker (make_broker) on the workers' BROKER_URL
    client: redis.Redis
    counter: redis.Redis  # the test Redis, where tests/settle_counter.py counts
    settings: Settings  # the workers' settings, read from their environment
    logs: Path  # where their output goes
    sent: list[int] = field(default_factory=lambda: [0])  # messages the test enqueued so far

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def join(self, sent: int) -> None:
        """Wait until every message is settled: the ``sent`` the test enqueued and those the
        workers enqueued themselves (retries of a busy account), counted by tests/settle_counter.py.
        """
        deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() < deadline:
            settled, enqueued = self.counter.mget(SETTLED, ENQUEUED)
            if int(settled or 0) == sent + int(enqueued or 0):
                return
            assert self.alive(), f"a worker process exited; see {self.logs}/worker-*.log"
            time.sleep(0.02)  # polling other processes' progress, not waiting for time to pass
        raise AssertionError(f"messages still unsettled after {JOIN_TIMEOUT}s; see {self.logs}")


@pytest.fixture(
    scope="module", params=[*BROKERS, pytest.param("cluster", marks=pytest.mark.cluster)]
)
def workers(
    request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workers]:
    """The workers on each broker with the state on the test Redis, and once more with the
    state on the three-primary Redis Cluster and the broker on the test Redis (dramatiq does
    not run on a cluster)."""
    amqp = request.getfixturevalue("amqp_url") if request.param == "amqp" else None
    url = broker_url_for("redis" if request.param == "cluster" else request.param, redis_url, amqp)
    if amqp:
        delete_queues(amqp)
    base = tmp_path_factory.mktemp("workers")
    (base / "schedules").mkdir()
    state_url = redis_url
    if request.param == "cluster":
        state_url = request.getfixturevalue("redis_cluster_url")
    client = connection.client(state_url)
    client.flushall()  # nothing due from earlier tests may join these rounds
    counter = connection.client(redis_url)  # where tests/settle_counter.py counts
    counter.flushall()  # nor messages or counts left on the test Redis
    env = {
        **os.environ,
        "REDIS_URL": state_url,
        "TEST_COUNTER_REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": NOW.isoformat().replace("+00:00", "Z"),
        "REMIND_SCHEDULES_DIR": str(base / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(base / "var"),
        "BROKER_URL": url,
    }
    # remind worker's command, with the counter loaded after the actors
    command = worker_command(1, 8)
    command.insert(command.index("worker.runtime.actors") + 1, "tests.settle_counter")
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    for n in (1, 2):
        log = open(base / f"worker-{n}.log", "wb")  # noqa: SIM115  # closed below
        logs.append(log)
        procs.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log))
    broker = make_broker(url)
    broker.declare_queue("dispatch")
    try:
        yield Workers(tuple(procs), broker, client, counter, Settings.from_env(env), base)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
        broker.close()
        client.close()
        counter.close()
        if amqp:
            delete_queues(amqp)


# --- what hypothesis draws ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    steps: tuple[tuple[int, str], ...]  # (day, channel) in schedule order
    accounts: tuple[tuple[int, int, int], ...]  # (cadence day today, debt, number index)
    house_cap: tuple[str, int, str] | None  # (channel, limit per day, count)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    days = sorted(draw(st.sets(st.integers(1, 5), min_size=1, max_size=3)))
    steps: list[tuple[int, str]] = []
    for day in days:
        channels = draw(st.permutations(["sms", "voice", "email"]))
        steps += [(day, c) for c in channels[: draw(st.integers(1, 3))]]
    accounts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(days),
                st.integers(0, 2),
                st.integers(0, len(NUMBERS) - 1),
            ),
            min_size=3,
            max_size=6,
        )
    )
    cap = st.tuples(
        st.sampled_from(["any", "sms", "voice", "email"]),
        st.integers(1, 3),
        st.sampled_from(["person", "debt"]),
    )
    return Scenario(tuple(steps), tuple(accounts), draw(st.none() | cap))


def schedule_yaml(name: str, scenario: Scenario) -> str:
    caps = ""
    if scenario.house_cap:
        channel, limit, count = scenario.house_cap
        caps = f"  caps:\n    - {{channel: {channel}, limit: {limit}, per: 1d, count: {count}}}\n"
    steps = "".join(
        f"      - {{day: {day}, channel: {channel}, template: {TEMPLATES[channel]}}}\n"
        for day, channel in scenario.steps
    )
    return (
        f'name: {name}\nversion: "1"\nlocale: en\nsend_time: "10:00"\n'
        f'policy:\n  hours: {{start: "08:00", end: "21:00"}}\n{caps}'
        f"tiers:\n  - name: t\n    steps:\n{steps}"
    )


def account_json(tag: str, i: int, schedule: str, spec: tuple[int, int, int]) -> dict[str, Any]:
    day, debt, number = spec
    phone, kind = NUMBERS[number]
    return {
        "account_id": f"{tag}-A{i}",
        "person_id": f"{tag}-P",
        "debt_id": f"{tag}-D{debt}",
        "schedule": schedule,
        "due_date": (TODAY - timedelta(days=day)).isoformat(),
        "name": "Sam Lee",
        "timezone": "America/New_York",
        "address": {"country": "US", "region": "MA", "city": "Boston"},
        "phones": [{"number": phone, "kind": kind, "sms_consent": True, "voice_consent": True}],
        "emails": [{"address": "sam@example.com", "kind": "personal", "consent": True}],
        "creditor": "Northwind Lending",
    }


# --- driving one decision instant ---------------------------------------------------------------


def dispatch_twice(broker: Any, sent: list[int]) -> Any:
    def send(account_id: str, due: float) -> None:
        for _ in range(2):  # every message is delivered twice, as a redelivery would
            sent[0] += 1
            broker.enqueue(
                dramatiq.Message(
                    queue_name="dispatch",
                    actor_name="dispatch",
                    args=(account_id, due),
                    kwargs={},
                    options={},
                )
            )

    return send


def run_instant(app: App, w: Workers) -> int:
    """Claim and dispatch until nothing is due at NOW; return the rounds it took."""
    for rounds in range(1, MAX_ROUNDS + 1):
        claimed = tick(app, dispatch_twice(w.broker, w.sent))
        assert w.alive(), f"a worker process exited; see {w.logs}/worker-*.log"
        # every message acknowledged (retries of a busy account included): its outcomes are
        # published and the account's next entry is on the timeline
        w.join(w.sent[0])
        if claimed == 0:
            return rounds
    raise AssertionError(f"still claiming entries due at {NOW} after {MAX_ROUNDS} rounds")


def outcomes_of(client: redis.Redis, accounts: set[str]) -> list[dict[str, Any]]:
    entries: Any = client.xrange("remind:results")
    records = (json.loads(fields["outcome"]) for _, fields in entries)
    return [o for o in records if o["account_id"] in accounts]


def outbox_lines(w: Workers, accounts: set[str]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for channel in ("sms", "voice", "email"):
        path = w.settings.outbox_dir / f"{channel}.jsonl"
        if path.exists():
            records = (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines())
            lines += [r for r in records if r["account_id"] in accounts]
    return lines


def check_nothing_lost(
    schedule: Schedule, account: Account, mine: list[dict[str, Any]], store: Store
) -> None:
    """Today's steps, in order, each decided once: sent or suppressed, up to a deferral."""
    day = (TODAY - account.due_date).days
    first = schedule.first_on_or_after(day)
    assert first is not None and first.day == day
    today = [o for o in schedule.occurrences[first.index :] if o.day == day]
    others = [o for o in mine if o["outcome"] not in ("sent", "deferred", "suppressed")]
    assert {(o["outcome"], o["reason"]) for o in others} <= {
        ("skipped", "duplicate"),
        ("skipped", "in_progress"),
    }, others
    # by step: two messages of one account publish after its lock is released, so the stream
    # may hold one account's consecutive decisions in either order
    index = {s.key: s.index for s in schedule.occurrences}
    decided = sorted(
        (o for o in mine if o["outcome"] in ("sent", "deferred", "suppressed")),
        key=lambda o: index[o["step"]],
    )
    assert [o["step"] for o in decided] == [s.key for s in today[: len(decided)]], decided
    assert all(o["outcome"] != "deferred" for o in decided[:-1]), decided
    state = store.require(account.account_id)
    assert state.due_at is None or state.due_at > NOW
    if decided and decided[-1]["outcome"] == "deferred":
        assert state.cursor == today[len(decided) - 1].index
        assert state.due_at is not None
        assert state.due_at.isoformat().replace("+00:00", "Z") == decided[-1]["next_attempt_at"]
    else:
        assert len(decided) == len(today), decided  # every step of today was decided
        following = schedule.after(today[-1].index) if today else None
        assert state.cursor == (following.index if following else None)


@settings(max_examples=10, deadline=None)
@given(scenario=scenarios())
def test_two_worker_processes_with_duplicate_messages_keep_every_cap_and_lose_no_step(
    workers: Workers, scenario: Scenario
) -> None:
    tag = f"w{next(_ids)}"
    name = f"prop-{tag}"
    (workers.settings.schedules_dir / f"{name}.yaml").write_text(schedule_yaml(name, scenario))
    app = App(workers.settings, workers.client, SimulatedClock(NOW))
    accounts = {
        a.account_id: a
        for a in (
            parse_account(account_json(tag, i, name, spec))
            for i, spec in enumerate(scenario.accounts)
        )
    }
    for account in accounts.values():
        enroll(app, account)

    event(f"rounds of claims: {run_instant(app, workers)}")
    assert workers.alive()

    mine = outcomes_of(workers.client, set(accounts))
    for o in mine:  # shown by --hypothesis-show-statistics: what the examples exercised
        event(f"{o['outcome']} {o['channel']} {(o['rule'] or o['reason'] or '').split('@')[0]}")
    schedule = find_schedule(name, workers.settings.schedules_dir)
    sent = [o for o in mine if o["outcome"] == "sent"]
    lines = outbox_lines(workers, set(accounts))
    recipients = {line["dispatch_id"]: line["to"] for line in lines}
    # (a) no enforced cap or window is breached, counting every call (no result ever comes)
    assert (
        find_breaches(
            mine,
            accounts,
            workers.settings.schedules_dir / f"{name}.yaml",
            call_results="unknown",
            recipients=recipients,
        )
        == []
    )
    # (b) no step went out twice: one outbox line per dispatch id, one per sent outcome
    assert len(recipients) == len(lines) == len(sent)
    assert set(recipients) == {o["provider_id"] for o in sent}
    # (c) every dispatched step was decided exactly once, and nothing due was left behind
    for account in accounts.values():
        mine_of = [o for o in mine if o["account_id"] == account.account_id]
        check_nothing_lost(schedule, account, mine_of, app.store)
