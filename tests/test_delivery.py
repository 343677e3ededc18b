"""What the provider says decides the rest: a transient failure is retried with its caps given
back, a permanent one (or the last retry) is recorded as failed and the cadence moves on.

Driven through ``App(channels=...)`` with the fakes remind ships (``worker.testing``), on the
real Redis: the cap logs and claims below are the ones the Lua scripts wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from worker.app import App
from worker.channels.base import Channel, Receipt
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.dispatch.send import MAX_ATTEMPTS
from worker.intake import enroll
from worker.storage import keys
from worker.testing import FailingChannel, FunctionChannel

from .pipeline_helpers import account, brief, make_app, outbox, run_until

DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # early.1 (SMS), 10:00 in New York
DAY1_END = datetime(2026, 3, 2, 23, tzinfo=UTC)  # before early.2, due the next day


@pytest.fixture
def wire(redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    """An App whose SMS goes to ``channel``, the account enrolled."""

    def build(channel: Channel) -> App:
        app = make_app(redis_url, tmp_path, clock, channels={"sms": channel})
        enroll(app, parse_account(account()))
        return app

    return build


def cap_members(client: redis.Redis) -> set[str]:
    """Every dispatch id counted in any of the person's cap logs."""
    return {
        member
        for key in client.scan_iter(match=keys.cap_counter("A-1", "*", "*"))
        for member in client.zrange(key, 0, -1)
    }


def claim(client: redis.Redis, dispatch_id: str) -> str | None:
    value: str | None = client.get(keys.idempotency("A-1", dispatch_id))
    return value


def test_a_transient_failure_gives_the_caps_back_and_is_sent_on_the_retry(wire, clock) -> None:  # type: ignore[no-untyped-def]
    provider = FailingChannel(permanent=False, code="30003", times=1, name="twilio")
    app = wire(provider)
    run_until(app, clock, DAY1)
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "deferred", "provider_transient",
         "2026-03-02T16:00:00Z"),
    ]  # fmt: skip
    assert app.recorded[0]["rule"] is None
    assert app.store.require("A-1").attempt == 1
    # release.lua: the claim and the cap entry of attempt 0 are gone, as if never reserved
    assert cap_members(app.client) == set()
    assert claim(app.client, "A-1:early.1:0") is None

    run_until(app, clock, DAY1_END)
    assert brief(app.recorded)[1:] == [
        ("2026-03-02T16:00:00Z", "early.1", "sms", "sent", None, None),
    ]
    sent = app.recorded[1]
    assert (sent["provider"], sent["provider_id"]) == ("twilio", "A-1:early.1:1")
    assert [m.dispatch_id for m in provider.sent] == ["A-1:early.1:0", "A-1:early.1:1"]
    assert cap_members(app.client) == {"A-1:early.1:1"}
    assert claim(app.client, "A-1:early.1:1") == "sent:A-1:early.1:1"
    state = app.store.require("A-1")
    assert (state.attempt, state.cursor, state.sent_count) == (0, 1, 1)


def test_a_permanent_failure_is_recorded_with_the_provider_code_and_the_cadence_moves_on(  # type: ignore[no-untyped-def]
    wire, clock
) -> None:
    provider = FailingChannel(permanent=True, code="21211", name="twilio")
    app = wire(provider)
    run_until(app, clock, DAY1_END)
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "failed", "21211", None),
    ]
    failed = app.recorded[0]
    assert (failed["provider"], failed["locale"], failed["rule"]) == ("twilio", "en", None)
    assert len(provider.sent) == 1  # never retried
    # the claim keeps the failure, and the cap keeps counting the attempt
    assert claim(app.client, "A-1:early.1:0") == "failed:21211"
    assert cap_members(app.client) == {"A-1:early.1:0"}
    state = app.store.require("A-1")
    assert (state.cursor, state.due_at, state.attempt, state.sent_count) == (
        1,
        datetime(2026, 3, 3, 15, tzinfo=UTC),
        0,
        0,
    )


@pytest.mark.parametrize(("permanent", "reason"), [(True, "permanent"), (False, "transient")])
def test_a_failure_without_a_provider_code_is_recorded_by_its_kind(  # type: ignore[no-untyped-def]
    wire, clock, permanent, reason
) -> None:
    app = wire(FailingChannel(permanent=permanent))
    run_until(app, clock, DAY1_END)
    assert app.recorded[-1]["outcome"] == "failed"
    assert app.recorded[-1]["reason"] == reason


def test_transient_failures_are_retried_up_to_max_attempts_then_recorded_failed(
    wire, clock
) -> None:  # type: ignore[no-untyped-def]
    provider = FailingChannel(permanent=False, code="30003", name="twilio")
    app = wire(provider)
    run_until(app, clock, DAY1_END)
    assert MAX_ATTEMPTS == 3
    assert brief(app.recorded) == [
        ("2026-03-02T15:00:00Z", "early.1", "sms", "deferred", "provider_transient",
         "2026-03-02T16:00:00Z"),
        ("2026-03-02T16:00:00Z", "early.1", "sms", "deferred", "provider_transient",
         "2026-03-02T17:00:00Z"),
        ("2026-03-02T17:00:00Z", "early.1", "sms", "failed", "30003", None),
    ]  # fmt: skip
    assert [m.dispatch_id for m in provider.sent] == [
        "A-1:early.1:0",
        "A-1:early.1:1",
        "A-1:early.1:2",
    ]
    # the retried attempts gave their caps back; the last one, failed for good, keeps its own
    assert cap_members(app.client) == {"A-1:early.1:2"}
    assert [claim(app.client, f"A-1:early.1:{n}") for n in range(3)] == [
        None,
        None,
        "failed:30003",
    ]
    state = app.store.require("A-1")
    assert (state.attempt, state.cursor) == (0, 1)


def test_a_function_channel_receives_the_rendered_message_and_its_receipt_is_recorded(  # type: ignore[no-untyped-def]
    wire, clock
) -> None:
    provider = FunctionChannel(lambda m: Receipt("acme", f"acme-{m.dispatch_id}"), name="acme")
    app = wire(provider)
    run_until(app, clock, DAY1_END)
    [message] = provider.sent
    assert (message.channel, message.to, message.account_id) == ("sms", "+12125550123", "A-1")
    assert "Reply STOP to opt out." in message.text
    sent = app.recorded[0]
    assert (sent["outcome"], sent["provider"], sent["provider_id"]) == (
        "sent",
        "acme",
        "acme-A-1:early.1:0",
    )
    assert outbox(app, "sms") == []  # the outbox was replaced for SMS
