"""Provider pacing (``pace.lua``) and the guard around every live channel, on the real Redis
and the simulated clock: the pace holds over every one-second window, whoever sends."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.channels.base import OutgoingMessage, Receipt
from worker.channels.guard import PAUSE_SECONDS, Breaker, Guarded
from worker.channels.pacing import Pacer, window_for
from worker.clock import SimulatedClock, to_epoch
from worker.errors import (
    AmbiguousDeliveryError,
    ProviderConfigurationError,
    TransientDeliveryError,
)
from worker.storage import connection
from worker.testing import FunctionChannel

from .twilio_helpers import sms

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def pacer(client: redis.Redis, clock: SimulatedClock, **overrides: object) -> Pacer:
    """A pacer whose waits move the simulated clock."""
    options: dict[str, object] = {
        "provider": "twilio",
        "sender": "+14155550100",
        "per_second": 1.0,
        "in_flight": 10,
        "hold_seconds": 30.0,
        "sleep": lambda s: clock.advance(timedelta(seconds=s)),
    }
    options.update(overrides)
    return Pacer(client, clock, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("per_second", "window"), [(1, (1, 1.0)), (2.5, (2, 1.0)), (10, (10, 1.0)), (0.5, (1, 2.0))]
)
def test_a_rate_becomes_a_count_in_a_window_never_above_it(
    per_second: float, window: tuple[int, float]
) -> None:
    assert window_for(per_second) == window


@pytest.fixture(scope="module")
def shared_client(redis_url: str) -> Iterator[redis.Redis]:
    """One client for every hypothesis example; examples stay apart by sender, not flushing."""
    client = connection.client(redis_url)
    yield client
    client.close()


@settings(max_examples=40, deadline=None)
@given(
    per_second=st.sampled_from([1.0, 3.0, 0.5]),
    requests=st.lists(
        st.tuples(st.integers(0, 2), st.floats(0, 1.5, allow_nan=False)), min_size=1, max_size=25
    ),
)
def test_the_pace_of_a_sender_is_never_exceeded_over_any_one_second_window(
    shared_client: redis.Redis, per_second: float, requests: list[tuple[int, float]]
) -> None:
    # three workers (three pacers on the same keys) send from one number, one after another
    clock = SimulatedClock(T0)
    sender = f"+1415{uuid.uuid4().int % 10**7:07d}"
    provider = f"prop-{uuid.uuid4().hex}"  # its own in-flight set too
    workers = [
        pacer(shared_client, clock, per_second=per_second, sender=sender, provider=provider)
        for _ in range(3)
    ]
    granted: list[float] = []
    for worker, gap in requests:
        clock.advance(timedelta(seconds=gap))
        with workers[worker].slot():
            granted.append(to_epoch(clock.now()))

    limit, window = window_for(per_second)
    for t in granted:
        inside = [g for g in granted if t - window < g <= t]
        assert len(inside) <= limit, (t, inside)
    # it paces, never refuses: every request got its slot, and none waited past the next one
    assert len(granted) == len(requests)
    assert granted == sorted(granted)


def test_a_full_second_makes_the_next_request_wait_exactly_until_a_slot_opens(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    p = pacer(redis_client, clock, per_second=2.0, sleep=sleep)
    start = to_epoch(clock.now())
    with p.slot():
        pass
    clock.advance(timedelta(seconds=0.25))
    with p.slot():
        pass
    with p.slot():
        granted = to_epoch(clock.now())

    assert waits == [pytest.approx(0.75)]
    assert granted == pytest.approx(start + 1.0)


def test_requests_in_flight_are_capped_across_pacers_and_a_slot_comes_back_when_done(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    sleeps: list[float] = []
    a = pacer(redis_client, clock, per_second=100.0, in_flight=2, sender="a", max_wait=0.2)
    b = pacer(
        redis_client,
        clock,
        per_second=100.0,
        in_flight=2,
        sender="b",
        max_wait=0.2,
        sleep=lambda s: (sleeps.append(s), clock.advance(timedelta(seconds=s))),
    )
    with ExitStack() as held:
        held.enter_context(a.slot())
        held.enter_context(a.slot())
        with pytest.raises(TransientDeliveryError) as full, b.slot():
            pass
    assert full.value.code == "paced"
    assert sleeps == [0.05] * 4  # asked again every 50 ms for 0.2 s, then handed back
    with b.slot():  # the two slots were given back
        pass


def test_a_slot_held_by_a_worker_that_died_is_free_again_after_its_hold(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    a = pacer(redis_client, clock, in_flight=1, hold_seconds=30.0, sender="a", max_wait=1)
    b = pacer(redis_client, clock, in_flight=1, hold_seconds=30.0, sender="b", max_wait=1)
    dead = a.slot()
    dead.__enter__()  # never exited: the worker died holding it
    with pytest.raises(TransientDeliveryError), b.slot():
        pass
    clock.advance(timedelta(seconds=30))
    with b.slot():
        pass


# --- the guard ----------------------------------------------------------------------------------


def guarded(
    client: redis.Redis, clock: SimulatedClock, inner: FunctionChannel, sleeps: list[float]
) -> Guarded:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    return Guarded(inner, breaker=Breaker(client, clock, "sms"), pacer=None, sleep=sleep)


def failing(*errors: Exception) -> FunctionChannel:
    """A provider that raises ``errors`` in turn, then accepts."""
    left = list(errors)

    def answer(m: OutgoingMessage) -> Receipt:
        if left:
            raise left.pop(0)
        return Receipt("twilio", "SM1")

    return FunctionChannel(answer, name="twilio")


def test_a_short_retry_after_is_waited_for_in_place_and_the_send_goes_through(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    sleeps: list[float] = []
    inner = failing(TransientDeliveryError("429", code="20429", retry_after=2))

    receipt = guarded(redis_client, clock, inner, sleeps).send(sms())

    assert (receipt.provider_id, len(inner.sent), sleeps) == ("SM1", 2, [2.0])


def test_without_retry_after_the_waits_double_and_the_tries_are_bounded(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    sleeps: list[float] = []
    refused = [TransientDeliveryError("refused", code="connection_refused") for _ in range(5)]
    inner = failing(*refused)

    with pytest.raises(TransientDeliveryError):
        guarded(redis_client, clock, inner, sleeps).send(sms())

    assert (len(inner.sent), sleeps) == (3, [0.5, 1.0])


@pytest.mark.parametrize(
    "error",
    [
        TransientDeliveryError("429", code="20429", retry_after=600),  # too long: defer instead
        AmbiguousDeliveryError("read timeout", code="read_timeout"),  # may have gone out
    ],
)
def test_a_long_wait_or_an_ambiguous_failure_is_never_retried_in_place(
    redis_client: redis.Redis, clock: SimulatedClock, error: Exception
) -> None:
    sleeps: list[float] = []
    inner = failing(error)

    with pytest.raises(type(error)):
        guarded(redis_client, clock, inner, sleeps).send(sms())

    assert (len(inner.sent), sleeps) == (1, [])


def test_a_configuration_error_pauses_the_channel_for_every_worker_and_alerts_once(
    redis_client: redis.Redis, clock: SimulatedClock, caplog: pytest.LogCaptureFixture
) -> None:
    inner = failing(ProviderConfigurationError("Twilio error 20003", code="20003"))
    first, second = guarded(redis_client, clock, inner, []), guarded(redis_client, clock, inner, [])

    with caplog.at_level(logging.CRITICAL, logger="worker.channels.guard"):
        with pytest.raises(ProviderConfigurationError) as paused:
            first.send(sms())
        clock.advance(timedelta(seconds=60))
        with pytest.raises(ProviderConfigurationError) as still:
            second.send(sms())  # another process: fails fast, no request

    assert len(inner.sent) == 1
    assert (paused.value.retry_after, still.value.retry_after) == (
        PAUSE_SECONDS,
        PAUSE_SECONDS - 60,
    )
    assert still.value.code == "20003"
    assert [r.getMessage() for r in caplog.records] == [
        f"channel sms paused for {PAUSE_SECONDS:.0f}s: the provider refused our configuration "
        "(error 20003: Twilio error 20003); sends are deferred until it is fixed"
    ]
    # once the pause is over the provider is asked again (it has been fixed meanwhile)
    clock.advance(timedelta(seconds=PAUSE_SECONDS))
    assert second.send(sms()).provider_id == "SM1"
