"""Enroll → tick → dispatch → outcome on the real Redis, driven by the simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.accounts.state import AccountState
from worker.clock import SimulatedClock, to_epoch
from worker.contracts.validation import parse_account
from worker.dispatch.pipeline import dispatch
from worker.intake import apply_raw, enroll, enroll_raw
from worker.runtime.scheduler import tick

from .pipeline_helpers import TEST_SCHEDULE, account, brief, make_app, outbox, run_until

END = datetime(2026, 3, 20, tzinfo=UTC)


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    return make_app(redis_url, tmp_path, clock)


def test_enrolment_places_the_first_step_at_its_local_send_time(app, clock) -> None:  # type: ignore[no-untyped-def]
    state = enroll(app, parse_account(account()))
    # day 1 = Monday 2026-03-02, 10:00 in New York (EST, UTC-5)
    assert state.due_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert app.timeline.due_at("A-1") == state.due_at
    assert state.schedule_ref == "t@1"


def test_a_late_enrolment_starts_at_the_first_step_on_or_after_its_day(app, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))  # day 4 in New York
    state = enroll(app, parse_account(account()))
    step = app.pinned_schedule(state.schedule_ref).occurrences[state.cursor]
    assert (step.key, step.day, step.channel) == ("early.4", 5, "email")
    assert state.due_at == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def test_the_whole_cadence_runs_with_a_cap_deferral_and_never_drops_a_step(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    run_until(app, clock, END)
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "sent", None, None),
        ("2026-03-03T15:00:00Z", "early.2", "sms", "sent", None, None),
        # third SMS in 7 days: deferred to the instant the first leaves the window, not dropped
        ("2026-03-04T15:00:00Z", "early.3", "sms", "deferred", "cap", "2026-03-09T15:00:00Z"),
        ("2026-03-09T15:00:00Z", "early.3", "sms", "sent", None, None),
        # the day-5 email's day went by while the SMS waited: recorded, not replayed
        ("2026-03-09T15:00:00Z", "early.4", "email", "skipped", "missed", None),
        ("2026-03-09T15:00:00Z", "late.1", "voice", "sent", None, None),
        ("2026-03-13T14:00:00Z", "late.2", "email", "sent", None, None),
    ]
    deferred = app.recorded[2]
    assert deferred["rule"] == "house/sms-2-per-7d@1"
    assert deferred["local_time"] == "2026-03-04T10:00:00-05:00"
    assert app.store.require("A-1").status == "completed"
    assert app.timeline.due_at("A-1") is None


def test_the_outbox_holds_the_exact_rendered_message(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    [sms] = outbox(app, "sms")
    assert sms["to"] == "+12125550123"
    assert sms["dispatch_id"] == "A-1:early.1:0"
    assert sms["template"] == "friendly_nudge" and sms["locale"] == "en"
    assert "Reply STOP to opt out." in sms["text"]
    assert "\xa0" not in sms["text"]
    assert app.recorded[0]["provider"] == "outbox"
    assert app.recorded[0]["provider_id"] == "A-1:early.1:0"


def test_quiet_hours_defer_to_the_window_opening_in_the_persons_zone(app, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 3, 3, 1, 30, tzinfo=UTC))  # 20:30 Monday in New York, day 1
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 3, 15, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["outcome"], first["reason"], first["rule"]) == (
        "deferred",
        "quiet_hours",
        "house/quiet-hours@1",
    )
    assert first["next_attempt_at"] == "2026-03-03T14:00:00Z"  # 09:00 EST Tuesday
    assert app.recorded[1]["outcome"] == "sent"
    assert app.recorded[1]["at"] == "2026-03-03T14:00:00Z"


def test_a_sunday_step_is_deferred_to_monday_not_dropped(app, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 3, 8, 12, tzinfo=UTC))  # Sunday, day 7: next step is day 8 voice
    enroll(app, parse_account(account(due_date="2026-03-01")))
    state = app.store.require("A-1")
    assert state.due_at == datetime(2026, 3, 9, 14, tzinfo=UTC)  # Monday 10:00 EDT (after DST)


def test_the_same_dispatch_delivered_twice_sends_once(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    claims = app.timeline.claim(clock.now(), lease_seconds=600)
    assert [c.account_id for c in claims] == ["A-1"]
    first = dispatch(app, "A-1", claims[0].due)
    second = dispatch(app, "A-1", claims[0].due)  # redelivered message
    assert [o.outcome for o in first] == ["sent"]
    assert second == []  # stale: the step it was claimed for is decided
    assert len(outbox(app, "sms")) == 1


def test_a_crash_between_claim_and_provider_answer_is_recorded_unknown_not_resent(
    app, clock
) -> None:  # type: ignore[no-untyped-def]
    state = enroll(app, parse_account(account()))
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    # a worker claimed the step and died before the provider answered
    app.caps.reserve_specs(person_id="A-1", dispatch_id="A-1:early.1:0", specs=[], now=clock.now())
    assert dispatch(app, "A-1", to_epoch(state.due_at))[0].outcome == "skipped"  # still in lease
    clock.advance(timedelta(seconds=app.settings.lease_seconds))
    outcomes = dispatch(app, "A-1", to_epoch(state.due_at))
    assert [(o.outcome, o.reason) for o in outcomes] == [("unknown", "claimed_not_finished")]
    assert outbox(app, "sms") == []
    assert app.store.require("A-1").cursor == 1  # the cadence moved on


def test_an_invalid_account_on_the_queue_is_recorded_as_rejected(app, clock, redis_client) -> None:  # type: ignore[no-untyped-def]
    out = enroll_raw(app, account(phones=[{"number": "555-0123"}]), source="queue")
    assert not isinstance(out, AccountState)
    assert out.outcome == "rejected"
    assert out.reason == (
        "invalid_account: queue: phones.0.number: must be in E.164 form, starting with + and "
        "the country code"
    )
    assert redis_client.xlen("remind:results") == 1
    assert app.store.load("A-1") is None  # nothing partial stored


def test_an_event_for_an_unknown_account_is_recorded_as_rejected(app) -> None:  # type: ignore[no-untyped-def]
    out = apply_raw(app, {"account_id": "nobody", "type": "paid"}, source="queue")
    assert not isinstance(out, AccountState)
    assert out.outcome == "rejected"
    assert out.reason == "invalid_event: account_id: account 'nobody' is not enrolled"


def test_an_account_stays_pinned_to_the_schedule_version_it_enrolled_under(
    app, clock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    (tmp_path / "schedules" / "t.yaml").write_text(
        TEST_SCHEDULE.replace('version: "1"', 'version: "2"').replace("day: 12,", "day: 14,")
    )
    enroll(app, parse_account(account(account_id="A-2")))
    assert app.store.require("A-1").schedule_ref == "t@1"
    assert app.store.require("A-2").schedule_ref == "t@2"
    assert app.pinned_schedule("t@1").occurrences[-1].day == 12
    assert app.pinned_schedule("t@2").occurrences[-1].day == 14


def test_re_enrolling_with_new_contact_data_keeps_the_cadence_position(app, clock) -> None:  # type: ignore[no-untyped-def]
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    state = enroll(app, parse_account(account(name="Samantha Lee")))
    assert state.cursor == 1 and state.account.name == "Samantha Lee"


def test_tick_hands_each_due_account_to_send_once(app, clock) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        enroll(app, parse_account(account(account_id=f"A-{i}")))
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    sent: list[str] = []
    assert tick(app, lambda a, _due: sent.append(a), batch=2) == 3
    assert sorted(sent) == ["A-0", "A-1", "A-2"]
    assert tick(app, lambda a, _due: sent.append(a)) == 0
