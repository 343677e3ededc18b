"""The round trips of one dispatch, counted on the client: what each sends, in order, and the
paths that cost a trip more (a server that forgot the scripts, an index that moved)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from benchmarks.inprocess import CountingConnection, counting_pool
from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.gate.counters import CapKeyMemory
from worker.intake import enroll
from worker.runtime.scheduler import tick
from worker.storage import keys
from worker.storage.results import dramatiq_sink
from worker.storage.scripts import script_source

from .pipeline_helpers import account, brief, make_app, outbox

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 (SMS) is due
WORKER = "w-1"


@pytest.fixture
def app(redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock) -> App:
    """An app whose Redis client counts its round trips; A-1 enrolled, its SMS due."""
    plain = make_app(redis_url, tmp_path, clock)
    enroll(plain, parse_account(account()))
    enroll(plain, parse_account(account(account_id="A-0")))
    client = redis.Redis(connection_pool=counting_pool(redis_url, decode_responses=True))
    counted = App(plain.settings, client, clock, channels=plain.channels, sinks=plain.results.sinks)
    counted.recorded = plain.recorded  # type: ignore[attr-defined]
    clock.set(DAY1)
    # once per process: the connection, the pinned schedule, the scripts loaded
    assert [o.outcome for o in dispatch(counted, "A-0", holder=WORKER)] == ["sent"]
    return counted


@pytest.fixture
def trips() -> Iterator[list[list[str]]]:
    CountingConnection.trips = []
    yield CountingConnection.trips
    CountingConnection.trips = None


def test_a_sent_step_takes_three_round_trips_and_holds_its_lease_before_its_claim(
    app: App, trips: list[list[str]]
) -> None:
    # the scheduler's message names the person; A-0's dispatch taught the cap log to read
    outcomes = dispatch(app, "A-1", holder=WORKER, person="A-1")
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert [m["account_id"] for m in outbox(app, "sms")] == ["A-0", "A-1"]
    sha = "EVALSHA (40-char sha)"
    lock, person = "remind:{p:A-1}:lock:A-1", "remind:{p:A-1}"
    leases = keys.leases(keys.shard_of("A-1"))
    claim = f"{person}:sent:A-1:early.1:0"
    assert trips == [
        # lock, state, stops, consent; the index re-read; the cap log, after the lock
        [f"{sha} {lock}", "GET remind:idx:A-1", f"ZRANGE {person}:cap:house/sms-2-per-7d:person"],
        # the lease (as its text: never NOSCRIPT, so never after the claim), then the claim
        [f"EVAL ({len(script_source('lease_hold'))}-char script) {leases}", f"{sha} {claim}"],
        trips[2],  # all the writes: below (the results queue's enqueue is the 4th, a sink's)
    ]
    assert trips[2][:6] == [
        "MULTI",
        f"SET {claim}",  # sent:<provider id>
        f"SET {person}:acct:A-1",
        f"ZADD {keys.timeline(keys.shard_of('A-1'))}",
        "XADD remind:results",  # then the rest of Results.stage: audit, recent outcomes, metrics
        f"XADD {keys.audit_log(keys.shard_of('A-1'))}",
    ]
    assert f"LPUSH {person}:outcomes:A-1" in trips[2]
    assert "HINCRBY remind:metrics:outcomes" in trips[2]
    assert trips[2][-3:] == [
        f"{sha} {leases}",  # the lease dropped
        f"{sha} {lock}",  # the lock given back, last
        "EXEC",
    ]
    assert not app.client.exists(lock)
    assert app.leases.get("A-1") is None
    assert app.client.get(claim).startswith("sent:")  # type: ignore[union-attr]
    assert app.store.require("A-1").cursor == 1


def test_a_message_without_the_person_reads_the_index_first(
    app: App, trips: list[list[str]]
) -> None:
    outcomes = dispatch(app, "A-1", holder=WORKER)  # queued by an older scheduler
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert trips[0] == ["GET remind:idx:A-1"]
    assert trips[1][0] == "EVALSHA (40-char sha) remind:{p:A-1}:lock:A-1"
    assert len(trips) == 4


def test_a_cap_log_not_guessed_is_read_before_the_claim_and_learnt(
    app: App, trips: list[list[str]]
) -> None:
    app.cap_keys = CapKeyMemory()  # a process that has not dispatched yet
    outcomes = dispatch(app, "A-1", holder=WORKER, person="A-1")
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    person = "remind:{p:A-1}"
    assert len(trips) == 4
    assert trips[0] == [f"EVALSHA (40-char sha) {person}:lock:A-1", "GET remind:idx:A-1"]
    assert trips[1] == [f"ZRANGE {person}:cap:house/sms-2-per-7d:person"]
    assert trips[2][1] == f"EVALSHA (40-char sha) {person}:sent:A-1:early.1:0"
    assert app.cap_keys.guess("P-7", "A-7") == [
        "remind:{p:P-7}:cap:house/sms-2-per-7d:person"
    ]  # a person-wide counter: guessed for every person


def test_a_deferred_step_takes_two_round_trips(app: App, trips: list[list[str]]) -> None:
    app.client.zadd(  # two SMS this week already: the cap defers the third
        keys.cap_counter("A-1", "house/sms-2-per-7d", "person"),
        {"A-9:x:0": DAY1.timestamp() - 3600, "A-9:y:0": DAY1.timestamp() - 60},
    )
    trips.clear()
    outcomes = dispatch(app, "A-1", holder=WORKER, person="A-1")
    assert [(o.outcome, o.reason) for o in outcomes] == [("deferred", "cap")]
    person, sha = "remind:{p:A-1}", "EVALSHA (40-char sha)"
    leases = keys.leases(keys.shard_of("A-1"))
    assert trips[:1] == [
        [f"{sha} {person}:lock:A-1", "GET remind:idx:A-1",
         f"ZRANGE {person}:cap:house/sms-2-per-7d:person"],
    ]  # fmt: skip
    assert len(trips) == 2  # and all the writes: no claim, nothing sent
    assert trips[1][:3] == [
        "MULTI",
        f"SET {person}:acct:A-1",
        f"ZADD {keys.timeline(keys.shard_of('A-1'))}",
    ]
    # no claim took the lease: held and dropped with the writes, then the lock given back
    assert trips[1][-4:] == [
        f"{sha} {leases}",
        f"{sha} {leases}",
        f"{sha} {person}:lock:A-1",
        "EXEC",
    ]
    assert app.leases.get("A-1") is None


def test_a_server_that_forgot_the_scripts_is_given_them_again(
    app: App, trips: list[list[str]]
) -> None:
    app.client.script_flush()
    outcomes = dispatch(app, "A-1", holder=WORKER)
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert not app.client.exists("remind:{p:A-1}:lock:A-1")
    assert app.leases.get("A-1") is None
    assert brief(app.recorded)[-1][1:4] == ("early.1", "sms", "sent")  # type: ignore[attr-defined]


def test_a_server_that_knows_the_claims_script_but_not_the_leases_holds_the_lease_first(
    app: App, trips: list[list[str]], redis_client: redis.Redis
) -> None:
    app.client.script_flush()
    app.client.script_load(script_source("reserve"))  # a holder-less dispatch loaded it alone
    monitor = redis_client.monitor()  # what the server ran, in order (a NOSCRIPT included)
    with monitor:
        outcomes = dispatch(app, "A-1", holder=WORKER, person="A-1")
        seen: list[tuple[str, str]] = []
        while len(seen) < 2:
            command = monitor.next_command()["command"]
            if command.startswith("EVAL") and ("}:leases" in command or ":sent:" in command):
                seen.append((command.split()[0], "lease" if "}:leases" in command else "claim"))
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert seen == [("EVAL", "lease"), ("EVALSHA", "claim")]  # the lease ran, then the claim
    assert app.leases.get("A-1") is None


def test_an_index_that_names_another_person_once_locked_is_read_again(
    app: App, trips: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = iter(["P-OLD"])
    person_of = app.store.person_of
    monkeypatch.setattr(app.store, "person_of", lambda a: next(stale, None) or person_of(a))
    outcomes = dispatch(app, "A-1")
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert not app.client.exists("remind:{p:P-OLD}:lock:A-1")  # that lock was given back
    assert not app.client.exists("remind:{p:A-1}:lock:A-1")


def test_a_person_in_the_message_the_index_no_longer_names_is_caught_under_the_lock(
    app: App, trips: list[list[str]]
) -> None:
    outcomes = dispatch(app, "A-1", holder=WORKER, person="P-OLD")  # re-enrolled since
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert trips[0][:2] == ["EVALSHA (40-char sha) remind:{p:P-OLD}:lock:A-1", "GET remind:idx:A-1"]
    assert trips[1] == ["MULTI", "EVALSHA (40-char sha) remind:{p:P-OLD}:lock:A-1", "EXEC"]
    assert trips[2] == ["GET remind:idx:A-1"]  # then the ordinary way
    assert not app.client.exists("remind:{p:P-OLD}:lock:A-1")
    assert not app.client.exists("remind:{p:A-1}:lock:A-1")
    assert dispatch(app, "A-0", holder=WORKER, person="A-0") == []  # its step is sent already


def test_the_scheduler_names_each_claims_person_in_one_round_trip(
    app: App, trips: list[list[str]], clock: SimulatedClock
) -> None:
    app.client.delete(keys.account_index("A-0"))  # gone from the index since
    app.timeline.place("A-0", DAY1)
    sent: list[tuple[str, float, str | None]] = []
    assert tick(app, lambda a, due, person: sent.append((a, due, person)), people=True) == 2
    assert sorted((a, p) for a, _, p in sent) == [("A-0", None), ("A-1", "A-1")]
    assert trips[-1] == ["GET remind:idx:A-0", "GET remind:idx:A-1"] or trips[-1] == [
        "GET remind:idx:A-1",
        "GET remind:idx:A-0",
    ]


def test_the_results_queue_depth_is_asked_once_a_second_or_when_it_may_be_full(
    redis_url: str, redis_client: redis.Redis, trips: list[list[str]]
) -> None:
    broker_client = redis.Redis(connection_pool=counting_pool(redis_url))
    broker = RedisBroker(client=broker_client)  # type: ignore[no-untyped-call]
    now = [100.0]
    sink = dramatiq_sink(
        broker, "trip_results", "trip_result", max_messages=3, clock=lambda: now[0]
    )
    msgs = "dramatiq:trip_results.msgs"

    def asked() -> int:
        return sum(name == f"HLEN {msgs}" for trip in trips for name in trip)

    for n in range(3):  # asked before the first; then 1 and 2 queued are known to fit
        sink({"n": n})
    assert (asked(), redis_client.hlen(msgs)) == (1, 3)
    sink({"n": 3})  # 3 known queued: asked again, full, not queued
    assert (asked(), redis_client.hlen(msgs)) == (2, 3)
    broker.flush("trip_results")  # a consumer took them all
    sink({"n": 4})  # full when last asked: asked again, queued
    assert (asked(), redis_client.hlen(msgs)) == (3, 1)
    sink({"n": 5})
    assert asked() == 3
    now[0] += 1.0  # a second later the depth is asked again, whatever the sink knows
    sink({"n": 6})
    assert (asked(), redis_client.hlen(msgs)) == (4, 3)
    broker.close()


def test_the_lock_script_sent_again_with_its_token_reads_again_and_another_finds_it_busy(
    app: App,
) -> None:
    script = app.store._lock_read
    lock = keys.account_lock("A-1", "A-1")
    given = [lock, keys.account_state("A-1", "A-1"), keys.debt_stops("A-1"),
             keys.opt_outs("A-1"), keys.opt_ins("A-1")]  # fmt: skip
    first = script(keys=given, args=["tok-1", 30_000])
    again = script(keys=given, args=["tok-1", 30_000])  # a retry after a lost reply
    other = script(keys=given, args=["tok-2", 30_000])
    assert (first[0], again[0], other) == (1, 1, [0])
    assert first[1] is not None and again[1] == first[1]
    assert app.client.get(lock) == "tok-1"


def test_the_cap_key_memory_guesses_person_wide_logs_for_all_and_the_rest_per_account() -> None:
    memory = CapKeyMemory(accounts=2)
    asked = [
        keys.cap_counter("P-1", "house/sms", "person"),
        keys.cap_counter("P-1", "us/reg-f", "debt:D-1"),
        keys.cap_counter("P-1", "us/tcpa", "number:+16175550100"),
        keys.cap_counter("P-1", "us/calls", "class:mobile"),
    ]
    memory.learn("P-1", "A-1", asked)
    assert memory.guess("P-1", "A-1") == [asked[0], asked[3], asked[1], asked[2]]
    assert memory.guess("P-2", "A-2") == [  # another person: the person-wide ones only
        keys.cap_counter("P-2", "house/sms", "person"),
        keys.cap_counter("P-2", "us/calls", "class:mobile"),
    ]
    memory.learn("P-2", "A-2", [keys.cap_counter("P-2", "us/reg-f", "debt:D-2")])
    memory.learn("P-3", "A-3", [keys.cap_counter("P-3", "us/reg-f", "debt:D-3")])
    assert len(memory.guess("P-1", "A-1")) == 2  # the oldest account forgotten: 2 kept
    memory.learn("P-3", "A-3", [keys.cap_counter("P-9", "x", "person")])  # not the person's
    assert memory.guess("P-3", "A-3") == memory.guess("P-3", "A-0")
