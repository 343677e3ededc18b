"""Length limits per channel: a message its channel cannot carry is refused, never sent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.errors import ScheduleError
from worker.intake import enroll
from worker.rendering.limits import channel_problems
from worker.rendering.renderer import Rendered

from .pipeline_helpers import TEST_SCHEDULE, account, make_app, outbox, run_until


def sms(text: str) -> Rendered:
    return Rendered("t", "sms", "en", text)


def test_an_sms_within_its_segments_has_no_problem() -> None:
    assert channel_problems(sms("a" * 459), sms_max_segments=3) == []


def test_an_sms_over_the_schedules_segments_is_a_problem_naming_its_cost() -> None:
    assert channel_problems(sms("a" * 460), sms_max_segments=3) == [
        "SMS of 460 GSM-7 units takes 4 segments, over the schedule's sms_max_segments of 3"
    ]


def test_one_curly_quote_makes_a_short_sms_cost_more_segments() -> None:
    # 100 GSM-7 characters are one segment; one emoji makes them UCS-2, two segments.
    assert channel_problems(sms("a" * 100 + "\U0001f600"), sms_max_segments=1) == [
        "SMS of 102 UCS-2 units takes 2 segments, over the schedule's sms_max_segments of 1"
    ]


def test_an_sms_over_twilios_1600_characters_is_a_problem_whatever_the_segments() -> None:
    problems = channel_problems(sms("a" * 1601), sms_max_segments=99)
    assert problems == ["SMS of 1601 characters, over Twilio's 1600"]


def test_an_email_over_100_kb_is_a_problem() -> None:
    mail = Rendered("t", "email", "en", "a" * 60_000, subject="Hi", html="b" * 40_000)
    assert channel_problems(mail, sms_max_segments=3) == ["email of 100002 characters, over 100000"]


def test_a_voice_script_that_would_not_fit_in_twiml_is_a_problem() -> None:
    call = Rendered("t", "voice", "en", "a" * 2500, voicemail="b" * 600)
    assert channel_problems(call, sms_max_segments=3) == [
        "voice script and voicemail of 3100 characters, over the 3000 that fit in "
        "Twilio's 4000-character TwiML"
    ]
    assert channel_problems(Rendered("t", "voice", "en", "a" * 2999), sms_max_segments=3) == []


def test_a_schedule_allows_three_segments_unless_it_says_otherwise() -> None:
    assert parse_schedule(TEST_SCHEDULE, file="t.yaml").sms_max_segments == 3
    text = TEST_SCHEDULE + "sms_max_segments: 1\n"
    assert parse_schedule(text, file="t.yaml").sms_max_segments == 1


@pytest.mark.parametrize(
    ("value", "why"), [("0", "at least 1"), ("11", "at most 10"), ("x", "whole")]
)
def test_a_schedule_with_a_bad_sms_max_segments_is_refused(value: str, why: str) -> None:
    with pytest.raises(ScheduleError, match=f"sms_max_segments.*{why}"):
        parse_schedule(TEST_SCHEDULE + f"sms_max_segments: {value}\n", file="t.yaml")


def test_an_sms_over_the_schedules_segments_is_suppressed_as_a_template_error_and_not_sent(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, TEST_SCHEDULE + "sms_max_segments: 1\n")
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["step"], first["outcome"], first["reason"], first["rule"]) == (
        "early.1",
        "suppressed",
        "template_error",
        "content/template_error@1",
    )
    assert outbox(app, "sms") == []


def test_the_same_sms_goes_out_under_the_default_three_segments(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, TEST_SCHEDULE)
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert (app.recorded[0]["step"], app.recorded[0]["outcome"]) == ("early.1", "sent")
    assert len(outbox(app, "sms")) == 1
