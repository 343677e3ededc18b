"""Worker leases on the injected clock: a dead worker's claim comes back within the heartbeat
timeout and a tick, not the scheduler's 600 s lease; a live worker's claim is never taken over;
``explain`` says who holds a lease and until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rich.console import Console

from worker.app import App
from worker.clock import SimulatedClock, to_epoch
from worker.contracts.validation import parse_account
from worker.dispatch.explain import explain_account
from worker.dispatch.pipeline import dispatch
from worker.intake import enroll
from worker.runtime.scheduler import tick
from worker.storage import keys

from .pipeline_helpers import account, make_app, outbox

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 (SMS) is due
TIMEOUT = 30  # the default REMIND_WORKER_HEARTBEAT_SECONDS


@pytest.fixture
def app(redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock) -> App:
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    clock.set(DAY1)
    return remind


def claimed(app: App) -> list[tuple[str, float]]:
    """Run one scheduler tick; the (account, due) pairs it enqueued."""
    sent: list[tuple[str, float]] = []
    tick(app, lambda account_id, due: sent.append((account_id, due)))
    return sent


def crashed_while_working(app: App, worker: str, *, after_claim: bool) -> None:
    """``worker`` took the message, the account's lock and the lease, then died (before or
    after its claim)."""
    app.leases.beat(worker, app.clock.now())
    app.client.set(keys.account_lock("A-1", "A-1"), f"token-of-{worker}", px=30_000)
    app.leases.hold("A-1", "A-1", worker, to_epoch(DAY1), app.clock.now())
    if after_claim:
        app.caps.reserve_specs(
            person_id="A-1", dispatch_id="A-1:early.1:0", specs=[], now=app.clock.now(),
            holder=worker,
        )  # fmt: skip


def test_the_scheduler_alone_hides_a_claimed_entry_for_the_whole_lease(
    app: App, clock: SimulatedClock
) -> None:
    assert claimed(app) == [("A-1", to_epoch(DAY1))]
    clock.advance(timedelta(seconds=app.settings.lease_seconds - 1))
    assert claimed(app) == []  # its message may still be waiting on the queue


def test_a_dead_workers_entry_is_claimed_again_once_its_heartbeat_times_out(
    app: App, clock: SimulatedClock
) -> None:
    assert claimed(app) == [("A-1", to_epoch(DAY1))]
    crashed_while_working(app, "w-dead", after_claim=False)
    clock.advance(timedelta(seconds=TIMEOUT))
    assert claimed(app) == []  # silent for exactly the timeout: still counted alive
    clock.advance(timedelta(seconds=1))
    assert claimed(app) == [("A-1", to_epoch(DAY1))]  # 31 s, not 600 s
    assert app.leases.get("A-1") is None

    app.leases.beat("w-new", clock.now())
    outcomes = dispatch(app, "A-1", to_epoch(DAY1), holder="w-new")
    assert [(o.outcome, o.step) for o in outcomes] == [("sent", "early.1")]
    assert [m["dispatch_id"] for m in outbox(app, "sms")] == ["A-1:early.1:0"]
    claim = app.client.get(keys.idempotency("A-1", "A-1:early.1:0"))
    assert claim is not None and claim.startswith("sent:")


def test_a_step_claimed_by_a_worker_that_died_is_recorded_unknown_at_once_and_never_resent(
    app: App, clock: SimulatedClock
) -> None:
    claimed(app)
    crashed_while_working(app, "w-dead", after_claim=True)
    clock.advance(timedelta(seconds=TIMEOUT + 1))
    assert claimed(app) == [("A-1", to_epoch(DAY1))]
    app.leases.beat("w-new", clock.now())
    outcomes = dispatch(app, "A-1", to_epoch(DAY1), holder="w-new")
    assert [(o.outcome, o.reason) for o in outcomes] == [("unknown", "claimed_not_finished")]
    assert outbox(app, "sms") == []  # it may have gone out: never sent a second time
    assert app.store.require("A-1").cursor == 1


def test_a_live_workers_lease_and_claim_are_never_taken_over(
    app: App, clock: SimulatedClock
) -> None:
    claimed(app)
    crashed_while_working(app, "w-slow", after_claim=True)  # not crashed: it keeps beating
    for _ in range(23):  # 23 x 25 s = 575 s: beating, so never recovered
        clock.advance(timedelta(seconds=25))
        app.leases.beat("w-slow", clock.now())
        assert claimed(app) == []
        assert app.leases.get("A-1") is not None
        assert app.client.get(keys.account_lock("A-1", "A-1")) == "token-of-w-slow"
    # its lock lasts 30 s of Redis's own time: gone after minutes of sending
    app.client.delete(keys.account_lock("A-1", "A-1"))
    # dramatiq redelivers the message meanwhile: the second worker finds the live claim and
    # leaves the step to its holder
    app.leases.beat("w-other", clock.now())
    outcomes = dispatch(app, "A-1", to_epoch(DAY1), holder="w-other")
    assert [(o.outcome, o.reason) for o in outcomes] == [("skipped", "in_progress")]
    assert outbox(app, "sms") == []
    assert app.client.get(keys.idempotency("A-1", "A-1:early.1:0")) == (
        f"claimed:{to_epoch(DAY1)}:w-slow"
    )
    assert app.store.require("A-1").cursor == 0


def test_a_live_workers_claim_older_than_the_lease_is_unknown_and_never_resent(
    app: App, clock: SimulatedClock
) -> None:
    # no send lasts ten minutes (REMIND_PROVIDER_TIMEOUT_SECONDS): the worker lived through an
    # error after claiming, and the step must not wait for that worker to stop
    claimed(app)
    crashed_while_working(app, "w-1", after_claim=True)
    app.client.delete(keys.account_lock("A-1", "A-1"))
    clock.advance(timedelta(seconds=app.settings.lease_seconds))
    app.leases.beat("w-1", clock.now())
    outcomes = dispatch(app, "A-1", to_epoch(DAY1), holder="w-1")
    assert [(o.outcome, o.reason) for o in outcomes] == [("unknown", "claimed_not_finished")]
    assert outbox(app, "sms") == []


def test_recovery_breaks_the_dead_workers_account_lock_and_no_other(
    app: App, clock: SimulatedClock
) -> None:
    claimed(app)
    crashed_while_working(app, "w-dead", after_claim=False)
    clock.advance(timedelta(seconds=TIMEOUT + 1))
    claimed(app)
    assert app.client.get(keys.account_lock("A-1", "A-1")) is None

    crashed_while_working(app, "w-dead-2", after_claim=False)
    app.client.set(keys.account_lock("A-1", "A-1"), "token-of-a-live-worker")  # since taken
    clock.advance(timedelta(seconds=TIMEOUT + 1))
    claimed(app)
    assert app.client.get(keys.account_lock("A-1", "A-1")) == "token-of-a-live-worker"


def test_a_dead_workers_lease_on_an_entry_it_already_moved_is_dropped_not_put_back(
    app: App, clock: SimulatedClock
) -> None:
    claimed(app)
    crashed_while_working(app, "w-dead", after_claim=False)
    later = DAY1 + timedelta(days=3)
    app.timeline.place("A-1", later)  # as if the worker placed the next step, then died
    clock.advance(timedelta(seconds=TIMEOUT + 1))
    assert claimed(app) == []
    assert app.timeline.due_at("A-1") == later
    assert app.leases.get("A-1") is None


def test_a_worker_gives_its_lease_back_when_the_dispatch_ends(
    app: App, clock: SimulatedClock
) -> None:
    claimed(app)
    app.leases.beat("w-1", clock.now())
    dispatch(app, "A-1", to_epoch(DAY1), holder="w-1")
    assert app.leases.all() == []
    assert app.leases.is_alive("w-1", clock.now())


def explain(app: App) -> list[str]:
    console = Console(record=True, width=300)
    explain_account(app, "A-1", console)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_explain_shows_the_lease_its_holder_and_until_when(app: App, clock: SimulatedClock) -> None:
    assert not [line for line in explain(app) if line.startswith("lease:")]
    claimed(app)
    assert (
        "lease: claimed by the scheduler, hidden until 2026-03-02T15:10:00Z while its "
        "dispatch message waits for a worker"
    ) in explain(app)
    crashed_while_working(app, "w-7", after_claim=False)
    clock.advance(timedelta(seconds=20))
    app.leases.beat("w-7", clock.now())
    assert (
        "lease: held by worker w-7 since 2026-03-02T15:00:00Z, alive (last heartbeat "
        "2026-03-02T15:00:20Z; held while it beats, at least until 2026-03-02T15:00:50Z)"
    ) in explain(app)
    clock.advance(timedelta(seconds=TIMEOUT + 1))
    assert (
        "lease: held by worker w-7 since 2026-03-02T15:00:00Z, silent since "
        "2026-03-02T15:00:20Z: the next scheduler tick recovers it"
    ) in explain(app)
