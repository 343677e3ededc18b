"""What a dead letter says about itself, without a broker: the reason each cause gives, the note
written once, the arguments masked, and what a redrive leaves behind
(worker/runtime/deadletter.py, worker/runtime/dlq.py; docs/reliability.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.errors import ActorNotFound
from dramatiq.middleware import SkipMessage

from worker.clock import SimulatedClock
from worker.runtime.deadletter import DEAD_LETTER, MAX_DETAIL, annotate, why
from worker.runtime.dlq import REDRIVEN, again, masked, read

pytestmark = pytest.mark.faults

AT = datetime(2026, 3, 2, 15, tzinfo=UTC)


def proxy(actor: str = "dispatch", *args: Any, **options: Any) -> MessageProxy:
    message = dramatiq.Message(
        queue_name="dispatch", actor_name=actor, args=args, kwargs={}, options=options
    )
    return MessageProxy(message)


@pytest.mark.parametrize(
    ("error", "options", "reason"),
    [
        (
            SkipMessage("malformed message: account_id: expected string, got number"),
            {},
            "malformed: account_id: expected string, got number",
        ),
        (ActorNotFound("reconcile"), {}, "unknown actor: reconcile"),
        (
            ConnectionError("no route to +12125550123 for sam@example.com"),
            {"retries": 10},
            "failed after 10 tries: ConnectionError: no route to +*********23 for s***@example.com",
        ),
        (ValueError(), {}, "ValueError"),
        (None, {}, "failed by middleware (age or time limit)"),
    ],
)
def test_each_cause_of_a_dead_letter_gives_its_reason_with_personal_data_masked(
    error: BaseException | None, options: dict[str, Any], reason: str
) -> None:
    message = proxy("reconcile" if isinstance(error, ActorNotFound) else "dispatch", **options)
    if error is not None:
        message.stuff_exception(error)
    assert why(message) == reason


def test_a_long_error_text_is_cut() -> None:
    message = proxy()
    message.stuff_exception(RuntimeError("x" * 1000))
    assert why(message) == "RuntimeError: " + "x" * MAX_DETAIL


def test_the_note_is_written_once_on_the_clock_of_its_first_dead_lettering() -> None:
    message = proxy("dispatch", 123)
    message.stuff_exception(SkipMessage("malformed message: account_id: expected string"))
    first = annotate(message, SimulatedClock(AT))
    assert first == {
        "reason": "malformed: account_id: expected string",
        "at": "2026-03-02T15:00:00Z",
        "queue": "dispatch",
        "actor": "dispatch",
    }
    later = SimulatedClock(datetime(2026, 3, 3, tzinfo=UTC))
    assert "traceback" not in message.options
    assert annotate(message, later) == first
    assert json.loads(message._message.encode())["options"][DEAD_LETTER] == first


def test_arguments_are_masked_in_text_and_wholly_under_personal_keys() -> None:
    account = {
        "account_id": "A-1",
        "phones": [{"number": "212-555-0123", "kind": "mobile"}],
        "emails": [{"address": "sam@example.com"}],
        "note": "call +12125550123 or write to sam@example.com",
    }
    assert masked([account, "+447700900123"]) == [
        {
            "account_id": "A-1",
            "phones": [{"number": "**********23", "kind": "mobile"}],
            "emails": [{"address": "*************om"}],
            "note": "call +*********23 or write to s***@example.com",
        },
        "+**********23",
    ]


def test_a_redriven_message_keeps_its_id_and_arguments_and_loses_the_bookkeeping() -> None:
    options = {
        DEAD_LETTER: {"reason": "x"},
        "retries": 10,
        "traceback": "...",
        "requeue_timestamp": 1,
        "redis_message_id": "r-1",
        "max_retries": 3,
    }
    message = dramatiq.Message(
        queue_name="intake",
        actor_name="enroll_account",
        args=({"a": 1},),
        kwargs={},
        options=options,
    )
    redriven = again(message)
    assert (redriven.message_id, redriven.args, redriven.queue_name) == (
        message.message_id,
        ({"a": 1},),
        "intake",
    )
    assert redriven.options == {"max_retries": 3, REDRIVEN: 1}
    assert again(redriven).options[REDRIVEN] == 2


def test_a_dead_letter_is_read_from_its_note_else_from_what_the_broker_says() -> None:
    message = dramatiq.Message(
        queue_name="dispatch", actor_name="dispatch", args=(123,), kwargs={}, options={}
    )
    naive = datetime(2026, 3, 2, 16)  # pika decodes AMQP timestamps without a zone
    plain = read("dispatch", 7, message.encode(), naive, "rejected")
    assert (plain.reason, plain.at, plain.args) == (
        "rejected",
        "2026-03-02T16:00:00Z",
        '{"args": [123], "kwargs": {}}',
    )
    noted = message.copy(options={DEAD_LETTER: {"reason": "malformed: x", "at": "T"}})
    from_note = read("dispatch", 7, noted.encode(), naive, "rejected")
    assert (from_note.reason, from_note.at) == ("malformed: x", "T")
    raw = read("dispatch", 8, b"not json", None, "rejected")
    assert (raw.actor, raw.reason, raw.message, raw.at) == (
        None,
        "not a dramatiq message",
        None,
        None,
    )
    assert raw.message_id.startswith("raw:") and len(raw.message_id) == 16


def test_the_traceback_dramatiq_kept_is_masked_in_the_dead_letter() -> None:
    message = proxy("dispatch", "A-1", retries=10, traceback="ValueError: +12125550123 refused")
    message.stuff_exception(ValueError("+12125550123 refused"))
    annotate(message, SimulatedClock(AT))
    assert message.options["traceback"] == "ValueError: +*********23 refused"
