"""Twilio failing 30 % of the time, through the real dispatch path: the gate, the renderer, the
guard (worker/channels/guard.py), the official twilio client and the emulator answering a seeded
share of requests with a 429 (with Retry-After), a 500 or a hang past the client's timeout.

What the emulator received is the evidence: for every step, the requests it got are exactly the
ones the retry rules allow (docs/reliability.md), every step has exactly one terminal
outcome, and no request follows an ambiguous answer (a 500 or a timeout on a POST).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.app import App, default_channels
from worker.channels.guard import DEFAULT_ATTEMPTS
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.dispatch.send import MAX_ATTEMPTS
from worker.intake import enroll
from worker.storage import connection, keys
from worker.testing.twilio_emulator import Faults, Received, TwilioEmulator

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, run_until
from .twilio_helpers import FROM, SID, TOKEN

pytestmark = pytest.mark.faults

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 is due, 10:00 in New York
DAY1_END = datetime(2026, 3, 2, 23, tzinfo=UTC)  # before early.2, the next day
#: Callbacks go nowhere (refused at once): these tests count requests, not callbacks.
PUBLIC = "http://127.0.0.1:9"
#: Day 1 is a call (its fallback SMS), for the accounts that take calls.
CALL_SCHEDULE = TEST_SCHEDULE.replace(
    "{day: 1, channel: sms, template: friendly_nudge}",
    "{day: 1, channel: voice, template: reminder_call}",
)
TERMINAL = {"sent", "unknown", "failed"}


def number(i: int) -> str:
    return f"+1212555{100 + i:04d}"


@pytest.fixture
def faulty(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> Iterator[Any]:
    """``build(faults, sms=n, calls=m)``: an App whose SMS and calls go live to an emulator
    answering with ``faults``, ``n`` accounts on SMS and ``m`` on calls, all due at DAY1."""
    emulators: list[TwilioEmulator] = []

    def build(faults: Faults, *, sms: int, calls: int = 0) -> tuple[App, TwilioEmulator]:
        at: dict[int, datetime] = {}

        def seen(request: Received) -> None:
            # the dispatcher waits for this answer: the clock is where the request was made
            at[id(request)] = clock.now()

        twilio = TwilioEmulator(auth=(SID, TOKEN), faults=faults, on_request=seen).start()
        twilio.made_at = at  # type: ignore[attr-defined]
        emulators.append(twilio)
        schedules = tmp_path / "schedules"
        schedules.mkdir(exist_ok=True)
        (schedules / "t.yaml").write_text(TEST_SCHEDULE)
        (schedules / "c.yaml").write_text(CALL_SCHEDULE.replace("name: t", "name: c"))
        settings = Settings.from_env(
            {
                "REDIS_URL": redis_url,
                "REMIND_SCHEDULES_DIR": str(schedules),
                "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
                "REMIND_DATA_DIR": str(tmp_path / "var"),
                "REMIND_CHANNELS": "sms=live,voice=live",
                "TWILIO_ACCOUNT_SID": SID,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "TWILIO_FROM_NUMBER": FROM,
                "TWILIO_API_BASE_URL": twilio.base_url,
                "PUBLIC_BASE_URL": PUBLIC,
                "REMIND_PROVIDER_TIMEOUT_SECONDS": "0.2",
            }
        )
        client = connection.client(redis_url)

        def sleep(seconds: float) -> None:  # the guard and the pacer wait on virtual time
            clock.advance(timedelta(seconds=seconds))

        outcomes: list[dict[str, Any]] = []
        channels = default_channels(settings, clock, client, sleep=sleep)
        app = App(settings, client, clock, channels=channels, sinks=[outcomes.append])
        app.recorded = outcomes  # type: ignore[attr-defined]
        for i in range(sms + calls):
            phone = {"number": number(i), "kind": "mobile", "sms_consent": True}
            phone["voice_consent"] = True
            data = account(account_id=f"A-{i}", phones=[phone], reference=f"NW-{i}")
            if i >= sms:
                data["schedule"] = "c"
            enroll(app, parse_account(data))
        return app, twilio

    yield build
    for emulator in emulators:
        emulator.stop()


def _by_dispatch(requests: list[Received]) -> dict[str, list[Received]]:
    """Requests grouped by the dispatch id their StatusCallback names, in the order received."""
    grouped: dict[str, list[Received]] = defaultdict(list)
    for r in requests:
        dispatch_id = r.fields["StatusCallback"].rsplit("dispatch=", 1)[1].replace("%3A", ":")
        grouped[dispatch_id].append(r)
    return grouped


def _expected(attempts: list[list[str]]) -> tuple[list[tuple[str, str | None]], int]:
    """What the retry rules make of the answers each attempt got: the step's outcomes
    (outcome, reason) and how many requests it may cost at most.

    One attempt tries in place while Twilio answers 429 (``DEFAULT_ATTEMPTS`` tries); three
    429s defer the step an hour, ``MAX_ATTEMPTS`` attempts in all; a 201 is sent, a 500 or a
    timeout is unknown and ends the step."""
    outcomes: list[tuple[str, str | None]] = []
    for n, answers in enumerate(attempts):
        *tried, last = answers
        assert all(a == "429" for a in tried), answers  # only a 429 is tried again in place
        assert len(answers) <= DEFAULT_ATTEMPTS, answers
        if last == "201":
            outcomes.append(("sent", None))
        elif last in ("500", "hang"):
            outcomes.append(("unknown", "read_timeout" if last == "hang" else "http_500"))
        else:
            assert last == "429" and len(answers) == DEFAULT_ATTEMPTS, answers
            final = n + 1 == MAX_ATTEMPTS
            outcomes.append(("failed", "20429") if final else ("deferred", "provider_transient"))
    return outcomes, DEFAULT_ATTEMPTS * MAX_ATTEMPTS


def _check_every_step(app: App, twilio: TwilioEmulator, accounts: int) -> dict[str, int]:
    """Assert the bound and the outcome of every step; count the answers seen."""
    grouped = _by_dispatch(twilio.requests)
    seen: dict[str, int] = defaultdict(int)
    for i in range(accounts):
        step = "early.1"
        attempts = [
            [r.answer for r in grouped.get(f"A-{i}:{step}:{n}", [])] for n in range(MAX_ATTEMPTS)
        ]
        attempts = [a for a in attempts if a]
        for a in attempts:
            for answer in a:
                seen[answer] += 1
        outcomes, bound = _expected(attempts)
        mine = [
            (o["outcome"], o["reason"])
            for o in app.recorded  # type: ignore[attr-defined]
            if o["account_id"] == f"A-{i}" and o["step"] == step
        ]
        assert mine == outcomes, (i, attempts)
        # exactly one terminal outcome, and the requests the rules allow, never more
        assert sum(o in TERMINAL for o, _ in mine) == 1, mine
        assert sum(len(a) for a in attempts) <= bound
        claim = app.client.get(keys.idempotency(f"A-{i}", f"A-{i}:{step}:{len(attempts) - 1}"))
        assert str(claim).split(":")[0] == {"sent": "sent", "unknown": "unknown"}.get(
            mine[-1][0], "failed"
        )
    return dict(seen)


def _check_retry_after(twilio: TwilioEmulator) -> int:
    """Every in-place retry came exactly the 429's Retry-After later, on the injected clock;
    returns how many 429s were not tried again in place (their attempt gave up: deferred)."""
    made_at: dict[int, datetime] = twilio.made_at  # type: ignore[attr-defined]
    honoured = 0
    for requests in _by_dispatch(twilio.requests).values():
        for before, after in itertools.pairwise(requests):
            assert before.answer == "429"
            wait = made_at[id(after)] - made_at[id(before)]
            assert wait == timedelta(seconds=int(before.retry_after)), (before, after)
            honoured += 1
    answers = [r.answer for r in twilio.requests]
    return answers.count("429") - honoured


def test_sms_through_a_twilio_failing_30_percent_of_the_time_stay_within_their_bound(
    faulty: Any, clock: SimulatedClock
) -> None:
    app, twilio = faulty(Faults(rate=0.3, seed=11), sms=80)
    run_until(app, clock, DAY1_END)

    seen = _check_every_step(app, twilio, 80)
    # the seeded run met every kind of answer, so every rule above was exercised
    assert set(seen) == {"201", "429", "500", "hang"}, seen
    assert _check_retry_after(twilio) == 0  # every 429 was tried again, its Retry-After later
    assert len(twilio.requests) == sum(seen.values())
    kinds = defaultdict(int)
    for o in app.recorded:  # type: ignore[attr-defined]
        kinds[o["outcome"]] += 1
    assert kinds["unknown"] == seen["500"] + seen["hang"]  # each ambiguous answer ended a step
    assert kinds["sent"] == seen["201"]


def test_calls_through_the_failing_twilio_follow_the_same_rules(
    faulty: Any, clock: SimulatedClock
) -> None:
    app, twilio = faulty(Faults(rate=0.3, seed=8), sms=0, calls=6)
    run_until(app, clock, DAY1_END)

    assert {r.kind for r in twilio.requests} == {"Calls"}
    seen = _check_every_step(app, twilio, 6)
    assert _check_retry_after(twilio) == 0
    assert set(seen) == {"201", "429", "500", "hang"}, seen


def test_a_twilio_that_keeps_answering_429_costs_at_most_nine_requests_a_step(
    faulty: Any, clock: SimulatedClock
) -> None:
    assert (DEFAULT_ATTEMPTS, MAX_ATTEMPTS) == (3, 3)  # the bound docs/reliability.md states
    app, twilio = faulty(Faults(rate=0.85, seed=4, kinds=("429",)), sms=12)
    run_until(app, clock, DAY1_END)

    seen = _check_every_step(app, twilio, 12)
    assert set(seen) == {"201", "429"}
    outcomes = [(o["outcome"], o["reason"]) for o in app.recorded]  # type: ignore[attr-defined]
    # the seed makes some steps give up after three attempts of three tries each
    assert ("failed", "20429") in outcomes
    assert ("deferred", "provider_transient") in outcomes
    grouped = _by_dispatch(twilio.requests)
    assert max(len(r) for r in grouped.values()) == DEFAULT_ATTEMPTS
    # the third 429 of an attempt is not tried in place: the step is deferred or fails
    gave_up = sum(1 for r in grouped.values() if r[-1].answer == "429")
    assert gave_up == outcomes.count(("failed", "20429")) + outcomes.count(
        ("deferred", "provider_transient")
    )
    assert _check_retry_after(twilio) == gave_up
