"""Every event type of the contract (docs/contracts.md, Event), applied to a live account and
judged by the next decision."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.intake import apply_event, enroll

from .pipeline_helpers import account, brief, make_app, outbox, run_until

DAY1_SEND = datetime(2026, 3, 2, 15, tzinfo=UTC)  # 10:00 EST, day 1


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def event(app: Any, type_: str, **fields: Any) -> Any:
    return apply_event(app, parse_event({"account_id": "A-1", "type": type_, **fields}))


@pytest.mark.parametrize(
    ("type_", "fields", "reason", "rule", "close_reason"),
    [
        ("paid", {}, "paid", "lifecycle/paid@1", None),
        ("cease", {}, "ceased", "lifecycle/ceased@1", None),
        ("close", {"reason": "bankrupt"}, "closed", "lifecycle/closed@1", "bankrupt"),
        ("represented_by_attorney", {}, "represented", "lifecycle/represented@1", None),
    ],
)
def test_a_stop_event_suppresses_the_next_step_and_ends_the_cadence(  # type: ignore[no-untyped-def]
    app, clock, type_, fields, reason, rule, close_reason
) -> None:
    state = event(app, type_, **fields)
    assert (state.status, state.status_reason, state.close_reason) == (
        "stopped",
        reason,
        close_reason,
    )
    assert app.store.require("A-1").close_reason == close_reason
    run_until(app, clock, datetime(2026, 3, 20, tzinfo=UTC))
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "suppressed", reason, None)
    ]
    assert app.recorded[0]["rule"] == rule
    assert app.timeline.due_at("A-1") is None
    assert outbox(app, "sms") == []


def test_a_promise_to_pay_pauses_until_its_date_and_resumes_when_unpaid(app, clock) -> None:  # type: ignore[no-untyped-def]
    state = event(app, "promise_to_pay", until="2026-03-05")
    assert state.paused_until == datetime(2026, 3, 6, 15, tzinfo=UTC)  # next day, 10:00 local
    run_until(app, clock, datetime(2026, 3, 6, 16, tzinfo=UTC))
    assert brief(app.recorded) == [
        (
            "2026-03-02T15:00:00Z",
            "early.1",
            "sms",
            "deferred",
            "promise_to_pay",
            "2026-03-06T15:00:00Z",
        ),
        ("2026-03-06T15:00:00Z", "early.1", "sms", "sent", None, None),
        ("2026-03-06T15:00:00Z", "early.2", "sms", "skipped", "missed", None),
        ("2026-03-06T15:00:00Z", "early.3", "sms", "skipped", "missed", None),
        ("2026-03-06T15:00:00Z", "early.4", "email", "sent", None, None),
    ]
    assert app.store.require("A-1").status == "active"


def test_a_payment_before_the_promise_date_ends_the_cadence_at_resume(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(app, "promise_to_pay", until="2026-03-05")
    run_until(app, clock, datetime(2026, 3, 4, tzinfo=UTC))
    event(app, "paid")
    run_until(app, clock, datetime(2026, 3, 20, tzinfo=UTC))
    assert [o["outcome"] for o in app.recorded] == ["deferred", "suppressed"]
    assert app.recorded[1]["reason"] == "paid"


def test_a_dispute_holds_until_resolved_then_resumes_from_today(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(app, "dispute")
    run_until(app, clock, datetime(2026, 3, 4, tzinfo=UTC))
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "suppressed", "disputed", None)
    ]
    assert app.timeline.due_at("A-1") is None
    clock.set(datetime(2026, 3, 5, 12, tzinfo=UTC))  # day 4
    state = event(app, "dispute_resolved")
    assert state.status == "active"
    step = app.pinned_schedule(state.schedule_ref).occurrences[state.cursor]
    assert step.key == "early.4"  # first step on or after day 4
    assert app.timeline.due_at("A-1") == datetime(2026, 3, 6, 15, tzinfo=UTC)


def test_an_sms_opt_out_suppresses_sms_steps_and_email_goes_on(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(app, "opt_out", channel="sms")
    run_until(app, clock, datetime(2026, 3, 7, tzinfo=UTC))
    assert [(o["step"], o["outcome"], o["reason"]) for o in app.recorded] == [
        ("early.1", "suppressed", "opted_out"),
        ("early.2", "suppressed", "opted_out"),
        ("early.3", "suppressed", "opted_out"),
        ("early.4", "sent", None),
    ]
    assert app.recorded[0]["rule"] == "consent/opted_out@1"


def test_an_opt_out_of_one_number_leaves_other_numbers_usable(app, clock) -> None:  # type: ignore[no-untyped-def]
    phones = [
        {"number": "+12125550123", "kind": "mobile", "sms_consent": True},
        {"number": "+12125550199", "kind": "mobile", "sms_consent": True},
    ]
    event(app, "contact_update", phones=phones)
    event(app, "opt_out", channel="sms", address="+12125550123")
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert [m["to"] for m in outbox(app, "sms")] == ["+12125550199"]


def test_an_opt_in_gives_consent_the_account_lacked(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(app, "contact_update", phones=[{"number": "+12125550123", "sms_consent": False}])
    event(app, "opt_in", channel="sms", address="+12125550123")
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert [o["outcome"] for o in app.recorded] == ["sent"]


def test_missing_consent_is_suppressed_with_its_reason(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(app, "contact_update", phones=[{"number": "+12125550123", "sms_consent": False}])
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert [(o["outcome"], o["reason"], o["rule"]) for o in app.recorded] == [
        ("suppressed", "no_consent", "consent/no_consent@1")
    ]


def test_a_voice_step_without_voice_consent_falls_back_to_sms(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(
        app,
        "contact_update",
        phones=[{"number": "+12125550123", "sms_consent": True, "voice_consent": False}],
    )
    clock.set(datetime(2026, 3, 9, 13, tzinfo=UTC))
    run_until(app, clock, datetime(2026, 3, 9, 15, tzinfo=UTC))
    voice_step = [o for o in app.recorded if o["step"] == "late.1"]
    assert [(o["channel"], o["outcome"]) for o in voice_step] == [("sms", "sent")]


def test_a_contact_update_changes_where_the_next_message_goes(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(
        app,
        "contact_update",
        phones=[{"number": "+13125550100", "sms_consent": True}],
        timezone="America/Chicago",
    )
    run_until(app, clock, datetime(2026, 3, 2, 17, tzinfo=UTC))
    [sms] = outbox(app, "sms")
    assert sms["to"] == "+13125550100"
    assert app.recorded[0]["at"] == "2026-03-02T15:00:00Z"  # placed before the move
    assert app.recorded[0]["local_time"] == "2026-03-02T09:00:00-06:00"


def test_a_conversation_and_a_payment_are_recorded_on_the_account(app, clock) -> None:  # type: ignore[no-untyped-def]
    event(app, "conversation", channel="voice", at="2026-03-02T13:00:00Z")
    state = event(app, "payment", amount="20.00")
    assert [(c.channel, c.at) for c in state.conversations] == [
        ("voice", datetime(2026, 3, 2, 13, tzinfo=UTC))
    ]
    assert [(p.amount, p.at) for p in state.payments] == [("20.00", clock.now())]
    assert state.status == "active"
