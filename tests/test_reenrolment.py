"""Re-enrolling an account with a new due date runs the whole new cadence, even within the 90
days its earlier cadence's at-most-once claims are kept: each cadence of an account is a
*cycle*, and its dispatch ids carry it (docs/architecture.md, At most once per step)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from worker.clock import SimulatedClock, to_epoch
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.pipeline import dispatch
from worker.intake import EnrollmentRefused, apply_event, enroll
from worker.storage import keys

from .pipeline_helpers import account, brief, make_app, outbox, run_until

FIRST_END = datetime(2026, 3, 20, tzinfo=UTC)
#: Delinquent again a month after the first cadence ended: well within the claims' 90 days.
NEW_DUE = "2026-04-19"
SECOND_END = datetime(2026, 5, 10, tzinfo=UTC)

#: The first cadence of tests/test_pipeline.py (due Sunday 2026-03-01), its sends only.
FIRST_SENDS = [
    ("2026-03-02T15:00:00Z", "early.1", "sms", "sent", None, None),
    ("2026-03-03T15:00:00Z", "early.2", "sms", "sent", None, None),
    ("2026-03-09T15:00:00Z", "early.3", "sms", "sent", None, None),
    ("2026-03-09T15:00:00Z", "late.1", "voice", "sent", None, None),
    ("2026-03-13T14:00:00Z", "late.2", "email", "sent", None, None),
]
#: The same cadence due Sunday 2026-04-19 (EDT, UTC-4): every step on its own day.
SECOND = [
    ("2026-04-20T14:00:00Z", "early.1", "sms", "sent", None, None),
    ("2026-04-21T14:00:00Z", "early.2", "sms", "sent", None, None),
    ("2026-04-22T14:00:00Z", "early.3", "sms", "deferred", "cap", "2026-04-27T14:00:00Z"),
    ("2026-04-27T14:00:00Z", "early.3", "sms", "sent", None, None),
    ("2026-04-27T14:00:00Z", "early.4", "email", "skipped", "missed", None),
    ("2026-04-27T14:00:00Z", "late.1", "voice", "sent", None, None),
    ("2026-05-01T14:00:00Z", "late.2", "email", "sent", None, None),
]


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    run_until(remind, clock, FIRST_END)
    return remind


def sends(recorded: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [b for b in brief(recorded) if b[3] == "sent"]


def test_a_re_enrolment_with_a_new_due_date_runs_the_new_cadence_in_full(app, clock) -> None:  # type: ignore[no-untyped-def]
    assert sends(app.recorded) == FIRST_SENDS
    assert app.store.require("A-1").status == "completed"
    first = len(app.recorded)
    state = enroll(app, parse_account(account(due_date=NEW_DUE)))
    assert (state.cycle, state.status, state.cursor) == (1, "active", 0)
    run_until(app, clock, SECOND_END)
    assert brief(app.recorded[first:]) == SECOND
    ids = [o["provider_id"] for o in app.recorded[first:] if o["outcome"] == "sent"]
    assert ids == [
        "A-1:early.1~c1:0",
        "A-1:early.2~c1:0",
        "A-1:early.3~c1:0",  # deferred by the cap first: a deferral is no attempt
        "A-1:late.1~c1:0",
        "A-1:late.2~c1:0",
    ]
    assert [m["dispatch_id"] for m in outbox(app, "sms")] == [
        "A-1:early.1:0", "A-1:early.2:0", "A-1:early.3:0",
        "A-1:early.1~c1:0", "A-1:early.2~c1:0", "A-1:early.3~c1:0",
    ]  # fmt: skip
    assert app.store.require("A-1").status == "completed"


def test_each_step_of_the_new_cycle_is_sent_once_and_the_old_cycles_message_sends_nothing(  # type: ignore[no-untyped-def]
    app, clock
) -> None:
    old_due = to_epoch(datetime(2026, 3, 13, 14, tzinfo=UTC))  # late.2 of the first cycle
    enroll(app, parse_account(account(due_date=NEW_DUE)))
    clock.set(datetime(2026, 4, 20, 14, tzinfo=UTC))
    new_due = to_epoch(app.store.require("A-1").due_at)  # type: ignore[arg-type]
    assert [o.outcome for o in dispatch(app, "A-1", new_due)] == ["sent"]
    assert dispatch(app, "A-1", new_due) == []  # redelivered: stale, the step is decided
    assert dispatch(app, "A-1", old_due) == []  # the first cycle's message, redelivered
    # a message with no instant goes to the pending step, early.2, not yet due: nothing
    assert dispatch(app, "A-1") == []
    run_until(app, clock, SECOND_END)
    second = [o for o in app.recorded if o["at"] >= "2026-04-19"]
    assert sends(second) == [b for b in SECOND if b[3] == "sent"]
    assert [o for o in second if o["outcome"] in ("skipped", "unknown")] == [
        o for o in second if o["reason"] == "missed"
    ]  # no duplicate, no unknown: only the day-5 email the cap pushed past
    assert len(outbox(app, "sms")) == 6 and len(outbox(app, "email")) == 2
    # a cycle's claims are its own: the first cycle's are still held, under their old ids
    for sent in ("A-1:early.1:0", "A-1:early.1~c1:0"):
        assert app.store.dispatch_claimed("A-1", sent)


def test_a_redelivered_claim_of_the_new_cycle_is_a_duplicate_not_a_resend(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account(due_date=NEW_DUE)))
    clock.set(datetime(2026, 4, 20, 14, tzinfo=UTC))
    due = to_epoch(app.store.require("A-1").due_at)  # type: ignore[arg-type]
    # another worker claimed this cycle's early.1 and finished it: the step went out
    claim = "A-1:early.1~c1:0"
    app.caps.reserve_specs(person_id="A-1", dispatch_id=claim, specs=[], now=clock.now())
    app.caps.finish(person_id="A-1", dispatch_id=claim, value="sent:elsewhere")
    outcomes = dispatch(app, "A-1", due)
    assert [(o.outcome, o.reason, o.step) for o in outcomes] == [
        ("skipped", "duplicate", "early.1")
    ]
    assert len(outbox(app, "sms")) == 3  # the first cycle's three only


def test_an_update_with_the_same_due_date_keeps_the_cycle(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account(due_date=NEW_DUE)))
    moved = enroll(app, parse_account(account(due_date=NEW_DUE, name="Sam Q. Lee")))
    assert (moved.cycle, moved.account.name) == (1, "Sam Q. Lee")  # updated in place
    assert enroll(app, parse_account(account(due_date="2026-06-07"))).cycle == 2
    stored = app.store.require("A-1")
    assert stored.cycle == 2
    assert '"cycle":2' in str(app.client.get(keys.account_state("A-1", "A-1")))


def test_a_first_enrolment_is_cycle_0_and_stores_no_cycle(  # type: ignore[no-untyped-def]
    redis_url, redis_client, tmp_path, clock
) -> None:
    remind = make_app(redis_url, tmp_path, clock)
    state = enroll(remind, parse_account(account()))
    assert state.cycle == 0
    assert "cycle" not in str(redis_client.get(keys.account_state("A-1", "A-1")))  # a default


def test_a_schedule_change_with_the_same_due_date_restarts_the_cadence_in_a_new_cycle(  # type: ignore[no-untyped-def]
    app, clock
) -> None:
    (app.settings.schedules_dir / "u.yaml").write_text(
        (app.settings.schedules_dir / "t.yaml").read_text().replace("name: t", "name: u")
    )
    state = enroll(app, parse_account(account(schedule="u")))
    assert (state.cycle, state.schedule_ref, state.status) == (1, "u@1", "completed")


def test_a_debt_stopped_in_the_first_cycle_stays_stopped_in_the_next(app, clock) -> None:  # type: ignore[no-untyped-def]
    apply_event(app, parse_event({"account_id": "A-1", "type": "paid"}))
    with pytest.raises(EnrollmentRefused):
        enroll(app, parse_account(account(due_date=NEW_DUE)))
    assert app.store.require("A-1").cycle == 0  # refused: no new cycle is written
    run_until(app, clock, SECOND_END)
    assert sends(app.recorded) == FIRST_SENDS


@pytest.mark.parametrize(
    ("account_id", "step", "attempt", "cycle", "expected"),
    [
        ("A-1", "early.1", 0, 0, "A-1:early.1:0"),  # the first cycle: ids as they always were
        ("A-1", "early.1", 2, 3, "A-1:early.1~c3:2"),
        ("acct:7.x", "mid.3#d25", 0, 12, "acct:7.x:mid.3#d25~c12:0"),  # ":" in the account id
        ("A-1", "plan.1.before3~p2", 1, 1, "A-1:plan.1.before3~p2~c1:1"),
        ("A-1", "plan.confirmation~q4", 0, 0, "A-1:plan.confirmation~q4:0"),
    ],
)
def test_a_dispatch_id_carries_its_cycle_and_splits_back(  # type: ignore[no-untyped-def]
    account_id, step, attempt, cycle, expected
) -> None:
    value = keys.dispatch_id(account_id, step, attempt, cycle)
    assert value == expected
    assert keys.split_dispatch_id(value) == (account_id, step)
    assert value.rsplit(":", 2)[2] == str(attempt)


def test_a_value_that_is_no_dispatch_id_has_no_step() -> None:
    assert keys.split_dispatch_id("A-1") == ("A-1", None)


def test_the_caps_count_the_earlier_cycles_sends(  # type: ignore[no-untyped-def]
    redis_url, redis_client, tmp_path, clock
) -> None:
    """Two SMS of the first cycle on 2 and 3 March fill the 2-per-7-days cap: the new cycle's
    first SMS, due 4 March, waits for the first of them to leave the window."""
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    run_until(remind, clock, datetime(2026, 3, 3, 16, tzinfo=UTC))
    first = len(remind.recorded)
    assert enroll(remind, parse_account(account(due_date="2026-03-03"))).cycle == 1
    run_until(remind, clock, datetime(2026, 3, 9, 16, tzinfo=UTC))
    assert brief(remind.recorded[first:])[:2] == [
        ("2026-03-04T15:00:00Z", "early.1", "sms", "deferred", "cap", "2026-03-09T15:00:00Z"),
        ("2026-03-09T15:00:00Z", "early.1", "sms", "sent", None, None),
    ]
    assert remind.recorded[first + 1]["provider_id"] == "A-1:early.1~c1:0"


def test_a_crash_in_the_new_cycle_is_unknown_and_not_resent(app, clock) -> None:  # type: ignore[no-untyped-def]
    """The recovery of a claim left unfinished finds it under the new cycle's id."""
    enroll(app, parse_account(account(due_date=NEW_DUE)))
    clock.set(datetime(2026, 4, 20, 14, tzinfo=UTC))
    due = to_epoch(app.store.require("A-1").due_at)  # type: ignore[arg-type]
    claim = "A-1:early.1~c1:0"  # a worker claimed it and died before the provider answered
    app.caps.reserve_specs(person_id="A-1", dispatch_id=claim, specs=[], now=clock.now())
    assert [(o.outcome, o.reason) for o in dispatch(app, "A-1", due)] == [
        ("skipped", "in_progress")
    ]
    clock.set(datetime(2026, 4, 20, 14, 10, tzinfo=UTC))  # the lease (600 s) is over
    assert [(o.outcome, o.reason) for o in dispatch(app, "A-1", due)] == [
        ("unknown", "claimed_not_finished")
    ]
    assert len(outbox(app, "sms")) == 3  # the first cycle's three only
    assert app.store.require("A-1").cursor == 1
