"""Stops and holds belong to the person's debt, not to the account's state: re-enrolling a debt
that was ceased, closed, paid or is represented by an attorney is refused with an outcome
``rejected``, and a disputed one stays held (docs/contracts.md, Account)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from worker.clock import SimulatedClock
from worker.contracts.outcome import Outcome
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.pipeline import dispatch
from worker.intake import EnrollmentRefused, apply_event, enroll, enroll_raw
from worker.storage import keys

from .pipeline_helpers import TEST_SCHEDULE, account, make_app, outbox, run_until

NEW_DUE = "2026-03-09"  # the upstream system sends the same account again, with a new due date
END = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def apply(app: Any, type_: str, **fields: Any) -> Any:
    return apply_event(app, parse_event({"account_id": "A-1", "type": type_, **fields}))


def nothing_sent(app: Any) -> bool:
    sent = [o for o in app.recorded if o["outcome"] == "sent"]
    return sent == [] and all(outbox(app, c) == [] for c in ("sms", "email", "voice", "visit"))


def rejections(app: Any) -> list[tuple[Any, ...]]:
    return [
        (o["account_id"], o["debt_id"], o["reason"], o["rule"])
        for o in app.recorded
        if o["outcome"] == "rejected"
    ]


STOPS = [
    ("cease", {}, "ceased"),
    ("close", {"reason": "deceased"}, "closed"),
    ("close", {"reason": "bankrupt"}, "closed"),
    ("paid", {}, "paid"),
    ("represented_by_attorney", {}, "represented"),
]


@pytest.mark.parametrize(("type_", "fields", "reason"), STOPS)
def test_re_enrolling_a_stopped_debt_with_a_new_due_date_is_rejected_and_nothing_is_sent(  # type: ignore[no-untyped-def]
    app, clock, type_, fields, reason
) -> None:
    apply(app, type_, **fields)
    clock.set(datetime(2026, 3, 2, 12, 5, tzinfo=UTC))  # five minutes later
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(app, parse_account(account(due_date=NEW_DUE)))
    assert refused.value.reason == reason
    state = app.store.require("A-1")
    assert (state.status, state.status_reason, state.account.due_date) == (
        "stopped",
        reason,
        date(2026, 3, 1),
    )
    assert rejections(app) == [("A-1", "A-1", reason, f"lifecycle/{reason}@1")]
    run_until(app, clock, END)
    assert nothing_sent(app)


def test_a_close_keeps_its_reason_in_the_refusal(app) -> None:  # type: ignore[no-untyped-def]
    apply(app, "close", reason="deceased")
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(app, parse_account(account(due_date=NEW_DUE)))
    assert "closed:deceased" in str(refused.value)


def test_on_the_queue_a_refused_enrolment_is_the_rejected_outcome_it_recorded(app, clock) -> None:  # type: ignore[no-untyped-def]
    apply(app, "cease")
    out = enroll_raw(app, account(due_date=NEW_DUE))
    assert isinstance(out, Outcome)
    assert (out.outcome, out.reason, out.rule, out.person_id) == (
        "rejected",
        "ceased",
        "lifecycle/ceased@1",
        "A-1",
    )
    assert len(rejections(app)) == 1  # recorded once, not once by enroll and again by the queue
    run_until(app, clock, END)
    assert nothing_sent(app)


def test_a_stop_outlives_the_account_state_being_deleted(app, clock, redis_client) -> None:  # type: ignore[no-untyped-def]
    apply(app, "cease")
    redis_client.delete(keys.account_state("A-1", "A-1"), keys.account_index("A-1"))
    with pytest.raises(EnrollmentRefused):
        enroll(app, parse_account(account(due_date=NEW_DUE)))
    assert app.store.load("A-1") is None  # a refused enrolment writes no state
    run_until(app, clock, END)
    assert nothing_sent(app)


def test_a_stop_outlives_the_account_state_being_rewritten_as_active(  # type: ignore[no-untyped-def]
    app, clock, redis_client
) -> None:
    active = json.loads(app.store.require("A-1").model_dump_json())
    apply(app, "cease")
    redis_client.set(keys.account_state("A-1", "A-1"), json.dumps(active))  # status active again
    assert app.store.require("A-1").status == "stopped"
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    outcomes = dispatch(app, "A-1")
    assert [(o.outcome, o.reason) for o in outcomes] == [("suppressed", "ceased")]
    run_until(app, clock, END)
    assert nothing_sent(app)


def test_another_account_for_the_same_person_and_debt_is_refused_too(app, clock) -> None:  # type: ignore[no-untyped-def]
    apply(app, "close", reason="bankrupt")
    with pytest.raises(EnrollmentRefused):
        enroll(app, parse_account(account(account_id="A-2", person_id="A-1", debt_id="A-1")))
    assert app.store.load("A-2") is None
    assert rejections(app) == [("A-2", "A-1", "closed", "lifecycle/closed@1")]
    run_until(app, clock, END)
    assert nothing_sent(app)


def test_a_paid_debt_stays_paid_but_a_new_debt_id_is_a_new_debt(app, clock) -> None:  # type: ignore[no-untyped-def]
    apply(app, "paid")
    with pytest.raises(EnrollmentRefused):
        enroll(app, parse_account(account(due_date=NEW_DUE, debt_id="A-1")))
    state = enroll(app, parse_account(account(due_date=NEW_DUE, debt_id="A-1-2026-03")))
    assert (state.status, state.account.debt) == ("active", "A-1-2026-03")
    run_until(app, clock, datetime(2026, 3, 10, 16, tzinfo=UTC))
    assert [o["debt_id"] for o in app.recorded if o["outcome"] == "sent"] == ["A-1-2026-03"]


def test_updating_the_contact_data_of_a_stopped_account_is_no_re_enrolment(app) -> None:  # type: ignore[no-untyped-def]
    apply(app, "cease")
    state = enroll(app, parse_account(account(name="Samantha Lee")))  # same due date
    assert (state.status, state.account.name) == ("stopped", "Samantha Lee")
    assert rejections(app) == []


def test_an_account_stopped_before_stops_were_kept_apart_is_still_refused(  # type: ignore[no-untyped-def]
    app, redis_client
) -> None:
    apply(app, "cease")
    redis_client.delete(keys.debt_stops("A-1"))  # as stored by an older remind
    with pytest.raises(EnrollmentRefused):
        enroll(app, parse_account(account(due_date=NEW_DUE)))
    redis_client.delete(keys.account_state("A-1", "A-1"), keys.account_index("A-1"))
    with pytest.raises(EnrollmentRefused):  # the refusal wrote the stop down where it lasts
        enroll(app, parse_account(account(due_date=NEW_DUE)))


def test_a_disputed_account_re_enrolled_stays_held_until_the_dispute_is_resolved(  # type: ignore[no-untyped-def]
    app, clock
) -> None:
    apply(app, "dispute")
    state = enroll(app, parse_account(account(due_date=NEW_DUE)))
    assert (state.status, state.status_reason, state.account.due_date) == (
        "held",
        "disputed",
        date(2026, 3, 9),
    )
    run_until(app, clock, datetime(2026, 3, 11, 12, tzinfo=UTC))  # 08:00 EDT, day 2
    assert nothing_sent(app)
    assert [(o["at"], o["outcome"], o["reason"]) for o in app.recorded] == [
        ("2026-03-10T14:00:00Z", "suppressed", "disputed")  # day 1 of the new due date
    ]
    apply(app, "dispute_resolved")
    run_until(app, clock, datetime(2026, 3, 11, 16, tzinfo=UTC))
    sent = [o for o in app.recorded if o["outcome"] == "sent"]
    assert [(o["at"], o["step"]) for o in sent] == [("2026-03-11T14:00:00Z", "early.2")]


def test_a_dispute_outlives_the_account_state_and_its_resolution_lifts_it(  # type: ignore[no-untyped-def]
    app, redis_client
) -> None:
    apply(app, "dispute")
    redis_client.delete(keys.account_state("A-1", "A-1"), keys.account_index("A-1"))
    assert enroll(app, parse_account(account(due_date=NEW_DUE))).status == "held"
    apply(app, "dispute_resolved")
    redis_client.delete(keys.account_state("A-1", "A-1"), keys.account_index("A-1"))
    assert enroll(app, parse_account(account(due_date="2026-03-16"))).status == "active"


def test_the_attorney_is_kept_with_the_stop_of_the_debt(app) -> None:  # type: ignore[no-untyped-def]
    attorney = {"name": "Ada Counsel", "phone": "+16175550100"}
    apply(app, "represented_by_attorney", attorney=attorney)
    stop, held = app.store.debt_marks("A-1", "A-1")
    assert (stop.reason, stop.attorney, held) == ("represented", attorney, None)


def test_a_schedule_that_lists_only_cease_and_close_stops_on_an_attorney_too(  # type: ignore[no-untyped-def]
    redis_url, redis_client, tmp_path, clock
) -> None:
    listed = TEST_SCHEDULE.replace("tiers:", "events:\n  stop: [paid, cease, close]\ntiers:")
    app = make_app(redis_url, tmp_path, clock, listed)
    enroll(app, parse_account(account()))
    assert apply(app, "represented_by_attorney").status_reason == "represented"
    run_until(app, clock, END)
    assert nothing_sent(app)
