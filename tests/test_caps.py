"""Rolling caps and the idempotency claim on a real Redis: exact window edges, atomicity, races."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.clock import to_epoch
from worker.gate.caps import DEFAULT_IDEMPOTENCY_TTL, Caps, CapSpec, Reservation
from worker.storage import connection, keys

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
MICROSECOND = timedelta(microseconds=1)


def rolling(cap_id: str, limit: int, seconds: int, person_id: str = "p1") -> CapSpec:
    """A rolling-window cap counted per person, as the gate hands it to ``reserve_specs``."""
    return CapSpec(keys.cap_counter(person_id, cap_id, "person"), limit, window_seconds=seconds)


WEEKLY_7 = rolling("weekly", 7, 7 * 86400)
DAILY_1 = rolling("daily", 1, 86400)


def reserve(
    caps: Caps, dispatch_id: str, at: datetime, specs: Sequence[CapSpec], person_id: str = "p1"
) -> Reservation:
    return caps.reserve_specs(person_id=person_id, dispatch_id=dispatch_id, specs=specs, now=at)


def refused(retry_at: datetime) -> Reservation:
    """A refusal by a full cap (which one is ``index``: compared separately where it matters)."""
    return Reservation("cap", retry_at=retry_at)


def counted(client: redis.Redis, spec: CapSpec, now: datetime) -> int:
    """Sends the rolling cap ``spec`` counts at ``now``."""
    assert spec.window_seconds is not None
    return int(client.zcount(spec.key, f"({to_epoch(now) - spec.window_seconds}", "+inf"))


OK = Reservation("ok")

# --- the window edges ---------------------------------------------------------------------------

#: (cap, earlier sends, then attempts in time order with what each must return)
EDGE_CASES = {
    "7 per 7 days: the 8th waits for the first send to leave, to the second": (
        WEEKLY_7,
        [T0, T0 + DAY + timedelta(hours=3), *(T0 + n * DAY for n in range(2, 6)), T0 + 6 * DAY],
        [
            (T0 + 6 * DAY + timedelta(hours=12), refused(T0 + 7 * DAY)),
            (T0 + 7 * DAY - SECOND, refused(T0 + 7 * DAY)),
            (T0 + 7 * DAY, OK),
            # full again: now the second send (day 1, 15:00) is the one that must leave
            (T0 + 7 * DAY, refused(T0 + 8 * DAY + timedelta(hours=3))),
        ],
    ),
    "1 per day: refused at the same instant, a second early; allowed at the edge": (
        DAILY_1,
        [T0],
        [
            (T0, refused(T0 + DAY)),
            (T0 + DAY - SECOND, refused(T0 + DAY)),
            (T0 + DAY, OK),
            (T0 + DAY, refused(T0 + 2 * DAY)),
        ],
    ),
    "1 per day with a sub-second send: retry_at keeps every microsecond": (
        DAILY_1,
        [T0 + timedelta(microseconds=123_456)],
        [
            (
                T0 + DAY + timedelta(microseconds=123_455),
                refused(T0 + DAY + timedelta(microseconds=123_456)),
            ),
            (T0 + DAY + timedelta(microseconds=123_456), OK),
        ],
    ),
}


@pytest.mark.parametrize(
    ("cap", "sends", "attempts"), EDGE_CASES.values(), ids=list(EDGE_CASES.keys())
)
def test_a_full_cap_refuses_until_exactly_the_instant_its_oldest_send_leaves_the_window(
    redis_client: redis.Redis,
    cap: CapSpec,
    sends: list[datetime],
    attempts: list[tuple[datetime, Reservation]],
) -> None:
    caps = Caps(redis_client)
    for n, at in enumerate(sends):
        assert reserve(caps, f"send-{n}", at, [cap]) == OK
    got = [reserve(caps, f"attempt-{n}", at, [cap]) for n, (at, _) in enumerate(attempts)]
    assert got == [expected for _, expected in attempts]


def test_a_cap_tightened_after_sends_waits_until_enough_of_them_have_left(
    redis_client: redis.Redis,
) -> None:
    caps = Caps(redis_client)
    three_a_day = rolling("daily", 3, 86400)
    two_a_day = rolling("daily", 2, 86400)  # a new schedule version, the same counter
    for hour in range(3):
        assert reserve(caps, f"send-{hour}", T0 + timedelta(hours=hour), [three_a_day]) == OK

    # three sends are counted and a fourth fits under two only once the two oldest have left
    retry_at = T0 + timedelta(hours=1) + DAY
    assert reserve(caps, "next", T0 + timedelta(hours=3), [two_a_day]) == refused(retry_at)
    assert reserve(caps, "next", retry_at - SECOND, [two_a_day]) == refused(retry_at)
    assert reserve(caps, "next", retry_at, [two_a_day]) == OK


def test_a_full_second_cap_is_reported_as_that_cap_and_nothing_is_written_anywhere(
    redis_client: redis.Redis,
) -> None:
    caps = Caps(redis_client)
    daily = rolling("daily", 3, 86400)
    weekly_sms = rolling("weekly-sms", 1, 7 * 86400)
    assert reserve(caps, "old", T0 - timedelta(hours=1), [weekly_sms]) == OK

    result = reserve(caps, "new", T0, [daily, weekly_sms])

    assert result == refused(T0 - timedelta(hours=1) + 7 * DAY)
    assert result.index == 1  # the second spec given
    assert counted(redis_client, daily, T0) == 0
    assert redis_client.exists(keys.cap_counter("p1", "daily", "person")) == 0
    assert redis_client.exists(keys.idempotency("p1", "new")) == 0
    assert redis_client.zrange(keys.cap_counter("p1", "weekly-sms", "person"), 0, -1) == ["old"]


# --- the idempotency claim ----------------------------------------------------------------------


def test_reserving_the_same_dispatch_twice_says_dup_with_the_first_claim_and_counts_it_once(
    redis_client: redis.Redis,
) -> None:
    caps = Caps(redis_client)
    assert reserve(caps, "step-1", T0, [WEEKLY_7]) == OK

    again = reserve(caps, "step-1", T0 + timedelta(minutes=5), [WEEKLY_7])

    assert again == Reservation("dup", claimed="claimed:1772452800.0")
    assert counted(redis_client, WEEKLY_7, T0 + DAY) == 1


def test_after_finish_a_duplicate_reservation_returns_what_the_provider_answered(
    redis_client: redis.Redis,
) -> None:
    caps = Caps(redis_client)
    assert reserve(caps, "step-1", T0, [WEEKLY_7]) == OK

    caps.finish(person_id="p1", dispatch_id="step-1", value="sent:SM0123")

    assert reserve(caps, "step-1", T0 + SECOND, [WEEKLY_7]) == Reservation(
        "dup", claimed="sent:SM0123"
    )
    # finish keeps the claim expiring; a second of slack for the clock ticking between calls
    ttl = redis_client.ttl(keys.idempotency("p1", "step-1"))
    assert ttl in (DEFAULT_IDEMPOTENCY_TTL - 1, DEFAULT_IDEMPOTENCY_TTL)


def test_release_frees_both_the_cap_slot_and_the_claim(redis_client: redis.Redis) -> None:
    caps = Caps(redis_client)
    assert reserve(caps, "step-1", T0, [DAILY_1]) == OK
    assert reserve(caps, "step-2", T0, [DAILY_1]) == refused(T0 + DAY)

    caps.release_keys(person_id="p1", dispatch_id="step-1", cap_keys=[DAILY_1.key])

    assert counted(redis_client, DAILY_1, T0) == 0
    assert redis_client.exists(keys.idempotency("p1", "step-1")) == 0
    assert reserve(caps, "step-1", T0 + SECOND, [DAILY_1]) == OK  # neither dup nor capped


# --- races --------------------------------------------------------------------------------------


def _race(redis_url: str, dispatch_ids: list[str], cap: CapSpec) -> list[Reservation]:
    """Reserve every id from its own thread and client, all released at once."""
    start = threading.Barrier(len(dispatch_ids))

    def one(dispatch_id: str) -> Reservation:
        client = connection.client(redis_url)
        try:
            caps = Caps(client)
            start.wait(timeout=30)
            return reserve(caps, dispatch_id, T0, [cap])
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(dispatch_ids)) as pool:
        return list(pool.map(one, dispatch_ids))


def test_sixteen_threads_racing_distinct_dispatches_against_a_cap_of_five_get_exactly_five(
    redis_client: redis.Redis, redis_url: str
) -> None:
    cap = rolling("c", 5, 86400)

    results = _race(redis_url, [f"step-{n}" for n in range(16)], cap)

    assert Counter(r.status for r in results) == {"ok": 5, "cap": 11}
    assert {r.retry_at for r in results if r.status == "cap"} == {T0 + DAY}
    assert redis_client.zcard(keys.cap_counter("p1", "c", "person")) == 5


def test_sixteen_threads_racing_the_same_dispatch_get_exactly_one_reservation(
    redis_client: redis.Redis, redis_url: str
) -> None:
    cap = rolling("c", 5, 86400)

    results = _race(redis_url, ["step-1"] * 16, cap)

    assert Counter(r.status for r in results) == {"ok": 1, "dup": 15}
    assert {r.claimed for r in results if r.status == "dup"} == {"claimed:1772452800.0"}
    assert redis_client.zcard(keys.cap_counter("p1", "c", "person")) == 1


# --- the property -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_client(redis_url: str) -> Iterator[redis.Redis]:
    """One client for every hypothesis example; examples stay apart by person id, not flushing."""
    client = connection.client(redis_url)
    yield client
    client.close()


@st.composite
def cap_and_attempts(draw: st.DrawFn) -> tuple[int, int, list[datetime]]:
    """A cap's limit and window (seconds), and sorted send attempts (microsecond offsets)
    spread over about three windows."""
    limit = draw(st.integers(min_value=1, max_value=4))
    window = draw(st.sampled_from([1, 60, 3600, 86400, 7 * 86400]) | st.integers(1, 100_000))
    offsets = draw(st.lists(st.integers(min_value=0, max_value=3 * window * 10**6), max_size=30))
    return limit, window, [T0 + timedelta(microseconds=o) for o in sorted(offsets)]


@settings(max_examples=60, deadline=None)
@given(case=cap_and_attempts())
def test_accepted_sends_never_exceed_the_limit_in_any_window_and_retry_at_is_when_a_slot_opens(
    shared_client: redis.Redis, case: tuple[int, int, list[datetime]]
) -> None:
    limit, seconds, attempts = case
    window = timedelta(seconds=seconds)
    person, probe = f"prop-{uuid.uuid4().hex}", f"probe-{uuid.uuid4().hex}"
    cap = rolling("c", limit, seconds, person_id=person)
    probe_cap = rolling("c", limit, seconds, person_id=probe)
    caps = Caps(shared_client, idempotency_ttl=60)  # the examples' claims need not outlive the run
    accepted: list[datetime] = []

    for n, at in enumerate(attempts):
        in_window = [a for a in accepted if at - window < a <= at]
        result = reserve(caps, f"a{n}", at, [cap], person_id=person)
        if result.status == "ok":
            assert len(in_window) < limit
            accepted.append(at)
            continue
        # refused only when full, and retry_at is when the oldest counted send leaves
        assert len(in_window) == limit
        assert result == refused(in_window[0] + window)
        assert result.retry_at is not None
        # on a copy of the log (as if nothing else were accepted): a microsecond early is still
        # refused, retry_at itself succeeds
        shared_client.copy(cap.key, probe_cap.key, replace=True)
        early = reserve(caps, f"p{n}", result.retry_at - MICROSECOND, [probe_cap], person_id=probe)
        assert early == refused(result.retry_at)
        shared_client.copy(cap.key, probe_cap.key, replace=True)
        assert reserve(caps, f"q{n}", result.retry_at, [probe_cap], person_id=probe) == OK

    for a in accepted:
        assert sum(1 for b in accepted if a - window < b <= a) <= limit
    shared_client.delete(cap.key, probe_cap.key)
