"""Every status transition of an account (worker.accounts.lifecycle), and stored states from
before the close reason had its own field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from worker.accounts import lifecycle
from worker.accounts.codec import decode_state
from worker.accounts.state import AccountState
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.gate.decide import lifecycle_hold
from worker.intake import enroll
from worker.storage import keys

from .pipeline_helpers import TEST_SCHEDULE, account, brief, make_app

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
SCHEDULE = parse_schedule(TEST_SCHEDULE, file="t.yaml")


def state(**fields: object) -> AccountState:
    """An enrolled account on schedule ``t``, its first step (day 1) pending."""
    s = AccountState(
        account=parse_account(account()),
        schedule="t",
        version="1",
        enrolled_at=NOW,
        updated_at=NOW,
    )
    lifecycle.start_cadence(s, SCHEDULE, NOW)
    for name, value in fields.items():
        setattr(s, name, value)
    return s


def test_starting_a_cadence_places_its_first_step_at_the_local_send_time() -> None:
    s = state()
    assert (s.cursor, s.due_at, s.status) == (0, datetime(2026, 3, 2, 15, tzinfo=UTC), "active")


def test_starting_a_cadence_with_every_step_gone_completes_the_account() -> None:
    s = state()
    lifecycle.start_cadence(s, SCHEDULE, NOW + timedelta(days=30))
    assert (s.cursor, s.due_at, s.status) == (None, None, "completed")


@pytest.mark.parametrize(
    ("event_type", "close_reason", "expected"),
    [
        ("paid", None, ("paid", None)),
        ("cease", None, ("ceased", None)),
        ("close", "bankrupt", ("closed", "bankrupt")),
        ("represented_by_attorney", None, ("represented", None)),
        # a schedule may list another event under stop: it closes, without a close reason
        ("dispute", "fraud", ("closed", None)),
    ],
)
def test_a_stop_event_stops_the_account_with_its_reason(
    event_type: str, close_reason: str | None, expected: tuple[str, str | None]
) -> None:
    s = state(status="paused", status_reason="promise_to_pay", paused_until=NOW)
    lifecycle.stop(s, event_type, close_reason)
    assert (s.status, s.status_reason, s.close_reason, s.paused_until) == (
        "stopped",
        *expected,
        None,
    )


MARK = lifecycle.DebtMark("closed", "A-0", NOW, close_reason="deceased")
HELD = lifecycle.DebtMark("disputed", "A-0", NOW)


@pytest.mark.parametrize("status", ["active", "paused", "held", "completed"])
def test_a_stop_of_the_debt_is_put_back_on_a_state_that_lost_it(status: str) -> None:
    s = state(status=status, paused_until=NOW)
    lifecycle.reimpose(s, MARK, HELD)
    assert (s.status, s.status_reason, s.close_reason, s.paused_until) == (
        "stopped",
        "closed",
        "deceased",
        None,
    )


def test_a_stop_already_on_the_state_keeps_its_own_reason() -> None:
    s = state(status="stopped", status_reason="ceased")
    lifecycle.reimpose(s, MARK, None)
    assert (s.status_reason, s.close_reason) == ("ceased", None)


@pytest.mark.parametrize(
    ("status", "after"), [("active", "held"), ("paused", "held"), ("completed", "completed")]
)
def test_a_hold_of_the_debt_is_put_back_on_an_active_or_paused_state(
    status: str, after: str
) -> None:
    s = state(status=status)
    lifecycle.reimpose(s, None, HELD)
    assert s.status == after


def test_a_state_stopped_leaves_a_mark_with_its_own_reason() -> None:
    s = state(status="stopped", status_reason="closed", close_reason="bankrupt")
    mark = lifecycle.stop_mark(s, NOW, {"name": "Ada Counsel"})
    assert mark == lifecycle.DebtMark("closed", "A-1", NOW, "bankrupt", {"name": "Ada Counsel"})


@pytest.mark.parametrize(
    ("mark", "ending"),
    [
        (MARK, "is closed:deceased, and a closed account is never contacted again"),
        (lifecycle.DebtMark("paid", "A-0", NOW), "is paid, and a paid debt is not asked for"),
        (lifecycle.DebtMark("represented", "A-0", NOW), "goes to the person's attorney, not"),
        (lifecycle.DebtMark("wound_up", "A-0", NOW), "is wound_up, and a stop is final"),
    ],
)
def test_a_refusal_says_which_debt_is_stopped_and_why_for_good(
    mark: lifecycle.DebtMark, ending: str
) -> None:
    text = lifecycle.refusal("A-1", "D-9", mark)
    assert text.startswith("account 'A-1' is not enrolled again: its debt 'D-9' is ")
    assert ending in text


def test_a_second_stop_keeps_the_first_reason() -> None:
    s = state()
    lifecycle.stop(s, "close", "deceased")
    lifecycle.stop(s, "paid", None)
    assert (s.status_reason, s.close_reason) == ("closed", "deceased")


def test_a_promise_pauses_an_active_account_until_the_next_local_day_at_the_send_time() -> None:
    s = state()
    lifecycle.pause_for_promise(s, SCHEDULE, date(2026, 3, 5))
    assert (s.status, s.status_reason) == ("paused", "promise_to_pay")
    assert s.paused_until == datetime(2026, 3, 6, 15, tzinfo=UTC)  # 10:00 in New York


@pytest.mark.parametrize("status", ["paused", "held", "stopped", "completed"])
def test_a_promise_pauses_only_an_active_account(status: str) -> None:
    s = state(status=status)
    lifecycle.pause_for_promise(s, SCHEDULE, date(2026, 3, 5))
    assert (s.status, s.paused_until) == (status, None)


def test_a_promise_without_a_date_pauses_nothing() -> None:
    s = state()
    lifecycle.pause_for_promise(s, SCHEDULE, None)
    assert s.status == "active"


@pytest.mark.parametrize("status", ["active", "paused"])
def test_a_dispute_holds_an_active_or_paused_account(status: str) -> None:
    s = state(status=status, paused_until=NOW)
    lifecycle.hold_for_dispute(s)
    assert (s.status, s.status_reason, s.paused_until) == ("held", "disputed", None)


@pytest.mark.parametrize("status", ["stopped", "completed"])
def test_a_dispute_does_not_hold_an_account_that_is_done(status: str) -> None:
    s = state(status=status, status_reason="paid")
    lifecycle.hold_for_dispute(s)
    assert (s.status, s.status_reason) == (status, "paid")


def test_a_resolved_dispute_places_the_pending_step_again_passing_over_gone_days() -> None:
    s = state(status="held", status_reason="disputed", cursor=1, due_at=None)
    at = datetime(2026, 3, 4, 12, tzinfo=UTC)  # day 3 in New York: day 2's step is gone
    lifecycle.resume_after_dispute(s, SCHEDULE, at)
    assert (s.status, s.status_reason) == ("active", None)
    assert (s.cursor, s.due_at) == (2, datetime(2026, 3, 4, 15, tzinfo=UTC))


def test_a_resolved_dispute_on_the_first_step_places_the_first_step_on_or_after_today() -> None:
    s = state(status="held", status_reason="disputed", due_at=None)
    lifecycle.resume_after_dispute(s, SCHEDULE, NOW)
    assert (s.cursor, s.due_at) == (0, datetime(2026, 3, 2, 15, tzinfo=UTC))


def test_a_resolved_dispute_with_no_step_left_leaves_nothing_pending() -> None:
    s = state(status="held", status_reason="disputed", cursor=5, due_at=None)
    lifecycle.resume_after_dispute(s, SCHEDULE, NOW + timedelta(days=30))
    assert (s.status, s.cursor, s.due_at) == ("active", None, None)


def test_a_resolved_dispute_after_the_cadence_ended_places_nothing() -> None:
    s = state(status="held", status_reason="disputed", cursor=None, due_at=None)
    lifecycle.resume_after_dispute(s, SCHEDULE, NOW)
    assert (s.status, s.cursor, s.due_at) == ("active", None, None)


def test_a_resolved_dispute_on_an_account_that_is_not_held_changes_nothing() -> None:
    s = state(status="paused", status_reason="promise_to_pay", paused_until=NOW)
    lifecycle.resume_after_dispute(s, SCHEDULE, NOW)
    assert (s.status, s.status_reason, s.paused_until) == ("paused", "promise_to_pay", NOW)


def test_a_pause_is_lifted_once_its_instant_has_come_not_before() -> None:
    s = state(status="paused", status_reason="promise_to_pay", paused_until=NOW)
    lifecycle.lift_expired_pause(s, NOW - timedelta(seconds=1))
    assert s.status == "paused"
    lifecycle.lift_expired_pause(s, NOW)
    assert (s.status, s.status_reason, s.paused_until) == ("active", None, None)


def test_advancing_returns_the_steps_whose_day_went_by_and_resets_the_attempt() -> None:
    s = state(attempt=2)
    later = datetime(2026, 3, 4, 16, tzinfo=UTC)  # day 3, after its send time
    missed = lifecycle.advance_past(s, SCHEDULE, SCHEDULE.occurrences[0], later)
    assert [m.key for m in missed] == ["early.2"]
    assert (s.cursor, s.due_at, s.attempt) == (2, later, 0)


@pytest.mark.parametrize(("status", "after"), [("active", "completed"), ("stopped", "stopped")])
def test_advancing_past_the_last_step_completes_only_an_active_account(
    status: str, after: str
) -> None:
    s = state(status=status)
    lifecycle.advance_past(s, SCHEDULE, SCHEDULE.occurrences[-1], NOW)
    assert (s.cursor, s.due_at, s.status) == (None, None, after)


@pytest.mark.parametrize(
    ("reason", "halted", "cursor", "due_at"),
    [
        ("paid", True, None, None),
        ("ceased", True, None, None),
        ("closed", True, None, None),
        ("disputed", True, 0, None),  # held: the step stays pending, unplaced
        ("quiet_hours", False, 0, datetime(2026, 3, 2, 15, tzinfo=UTC)),
        (None, False, 0, datetime(2026, 3, 2, 15, tzinfo=UTC)),
    ],
)
def test_a_suppression_ends_or_holds_the_cadence_only_for_a_lifecycle_reason(
    reason: str | None, halted: bool, cursor: int | None, due_at: datetime | None
) -> None:
    s = state()
    assert lifecycle.halt_for(s, reason) is halted
    assert (s.cursor, s.due_at) == (cursor, due_at)


@pytest.mark.parametrize(
    ("fields", "decision"),
    [
        ({}, None),
        ({"status": "completed"}, None),
        ({"status": "stopped", "status_reason": "paid"}, ("suppress", "paid", "paid", "paid")),
        ({"status": "stopped"}, ("suppress", "ceased", "ceased", None)),
        (
            {"status": "stopped", "status_reason": "closed", "close_reason": "settled"},
            ("suppress", "closed", "closed", "closed:settled"),
        ),
        (
            {"status": "held", "status_reason": "disputed"},
            ("suppress", "disputed", "dispute", None),
        ),
        (
            {"status": "paused", "paused_until": NOW + timedelta(hours=1)},
            ("defer", "promise_to_pay", "promise_to_pay", None),
        ),
        ({"status": "paused", "paused_until": NOW}, None),  # its instant has come
    ],
)
def test_the_gate_holds_a_step_by_the_account_status(
    fields: dict[str, object], decision: tuple[str, str, str, str | None] | None
) -> None:
    d = lifecycle_hold(state(**fields), NOW, "7")
    if decision is None:
        assert d is None
        return
    action, reason, rule, detail = decision
    assert d is not None
    assert (d.action, d.reason, d.rule, d.detail) == (action, reason, f"lifecycle/{rule}@7", detail)
    assert d.at == (fields["paused_until"] if action == "defer" else None)


def test_a_state_stored_with_closed_and_its_reason_in_one_string_reads_as_two_fields() -> None:
    stored = json.loads(state().model_dump_json())
    stored.pop("close_reason")
    stored.update(status="stopped", status_reason="closed:recalled")
    s = AccountState.model_validate_json(json.dumps(stored))
    assert (s.status_reason, s.close_reason) == ("closed", "recalled")
    assert lifecycle.status_text(s) == "closed:recalled"


def test_a_new_state_round_trips_its_close_reason() -> None:
    s = state(status="stopped", status_reason="closed", close_reason="deceased")
    again = AccountState.model_validate_json(s.model_dump_json())
    assert (again.status_reason, again.close_reason) == ("closed", "deceased")


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    return make_app(redis_url, tmp_path, clock)


def test_an_account_closed_before_the_upgrade_is_still_suppressed_as_closed(app, clock) -> None:  # type: ignore[no-untyped-def]
    enrolled = enroll(app, parse_account(account()))
    stored = json.loads(enrolled.model_dump_json())
    stored.pop("close_reason")
    stored.update(status="stopped", status_reason="closed:bankrupt")
    app.client.set(keys.account_state("A-1", "A-1"), json.dumps(stored))
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    outcomes = dispatch(app, "A-1")
    assert [(o.outcome, o.reason, o.rule) for o in outcomes] == [
        ("suppressed", "closed", "lifecycle/closed@1")
    ]
    assert brief(app.recorded)[0][3:5] == ("suppressed", "closed")
    after = app.store.require("A-1")
    assert (after.status_reason, after.close_reason, after.cursor) == ("closed", "bankrupt", None)
    assert decode_state(app.client.get(keys.account_state("A-1", "A-1"))).close_reason == "bankrupt"
