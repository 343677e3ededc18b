"""The dispatch paths a clean run never takes: leftovers, stale and redelivered messages, a
claim already finished, a cap filled by another worker between the gate and the reservation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock, to_epoch
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.intake import enroll
from worker.storage import keys

from .pipeline_helpers import account, brief, make_app, outbox

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 (SMS) is due


@pytest.fixture
def app(redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock) -> App:
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def test_a_dispatch_for_an_account_that_is_not_enrolled_drops_its_timeline_entry(
    app: App, clock: SimulatedClock
) -> None:
    app.timeline.place("ghost", clock.now())
    assert dispatch(app, "ghost") == []
    assert app.timeline.due_at("ghost") is None


def test_a_leftover_timeline_entry_of_an_account_with_nothing_pending_is_removed(
    app: App, clock: SimulatedClock
) -> None:
    state = app.store.require("A-1")
    state.cursor, state.due_at = None, None
    app.store.save(state)  # the cadence ended, but its timeline entry stayed behind
    app.timeline.place("A-1", DAY1)
    clock.set(DAY1)
    assert dispatch(app, "A-1") == []
    assert app.timeline.due_at("A-1") is None
    assert app.recorded == []


def test_a_message_that_arrives_before_its_step_is_due_is_dropped_and_the_entry_put_back(
    app: App, clock: SimulatedClock
) -> None:
    app.timeline.remove("A-1")  # as a lease hides it while the message is on the queue
    assert dispatch(app, "A-1") == []  # 12:00, the step is due at 15:00
    assert app.timeline.due_at("A-1") == DAY1
    assert app.recorded == []


def test_a_step_whose_claim_was_finished_is_recorded_duplicate_and_not_sent_again(
    app: App, clock: SimulatedClock
) -> None:
    # a worker sent early.1 and finished its claim, then died before saving the state
    clock.set(DAY1)
    app.caps.reserve_specs(person_id="A-1", dispatch_id="A-1:early.1:0", specs=[], now=clock.now())
    app.caps.finish(person_id="A-1", dispatch_id="A-1:early.1:0", value="sent:SM1")
    outcomes = dispatch(app, "A-1", to_epoch(DAY1))
    assert [(o.outcome, o.reason, o.channel) for o in outcomes] == [("skipped", "duplicate", "sms")]
    assert outbox(app, "sms") == []
    assert app.store.require("A-1").cursor == 1  # the cadence moved on


def race_on_caps(app: App, opt_out: bool = False) -> None:
    """Another worker fills every cap log the gate reads, just after the gate has read them
    (and the person replies STOP to its message, with ``opt_out``)."""
    read = app.read_logs
    raced = False

    def read_then_race(cap_keys: Sequence[str], *batch: Any) -> Mapping[str, list[float]]:
        nonlocal raced
        logs = read(cap_keys, *batch)
        if not raced:
            raced = True
            t = to_epoch(app.clock.now())
            for key in cap_keys:
                app.client.zadd(key, {"B-1:early.1:0": t, "B-1:early.2:0": t})
            if opt_out:
                app.store.set_opt_out("A-1", "sms")
        return logs

    app.read_logs = read_then_race  # type: ignore[method-assign]


def test_a_cap_filled_by_another_worker_after_the_gate_read_it_defers_to_when_it_frees(
    app: App, clock: SimulatedClock
) -> None:
    race_on_caps(app)
    clock.set(DAY1)
    dispatch(app, "A-1", to_epoch(DAY1))
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "deferred", "cap", "2026-03-09T15:00:00Z")
    ]
    assert app.recorded[0]["rule"] == "house/sms-2-per-7d@1"
    assert outbox(app, "sms") == []
    assert app.client.get(keys.idempotency("A-1", "A-1:early.1:0")) is None  # nothing claimed


def test_a_capped_step_that_could_not_go_when_the_cap_frees_is_suppressed(
    app: App, clock: SimulatedClock
) -> None:
    race_on_caps(app, opt_out=True)
    clock.set(DAY1)
    dispatch(app, "A-1", to_epoch(DAY1))
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "suppressed", "no_contact_window", None)
    ]
    assert app.recorded[0]["rule"] == "house/sms-2-per-7d@1"
    assert app.store.require("A-1").cursor == 1
