"""The timeline on a real Redis: due entries are claimed once, leased, and come back if dropped."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

import redis

from worker.clock import SimulatedClock, from_epoch, to_epoch
from worker.storage import connection, keys
from worker.storage.timeline import Claim, Timeline

LEASE = timedelta(minutes=5)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ENTRIES = 5000
#: what ``zrange(..., withscores=True)`` returns with ``decode_responses``
Scored = list[tuple[str, float]]


def _claim_until_empty(
    url: str,
    now: float,
    lease_seconds: float,
    batch: int,
    start: Barrier,
    out: multiprocessing.Queue[list[tuple[str, float]]],
) -> None:
    """One claimer process: its own client, claiming small batches until nothing is due."""
    client = connection.client(url)
    timeline = Timeline(client)
    claimed: list[tuple[str, float]] = []
    start.wait(timeout=60)  # every claimer starts together, so the batches really interleave
    # bounded, so a claim that hands entries out again fails the test instead of spinning forever
    for _ in range(ENTRIES // batch + 10):
        batch_claims = timeline.claim(from_epoch(now), lease_seconds=lease_seconds, limit=batch)
        if not batch_claims:
            break
        claimed += [(c.account_id, c.due) for c in batch_claims]
    client.close()
    out.put(claimed)


def test_four_processes_claiming_in_small_batches_claim_every_due_entry_exactly_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    timeline = Timeline(redis_client)
    due = {f"acct-{i}": NOW - timedelta(seconds=i % 3600) for i in range(ENTRIES)}
    later = {f"later-{i}": NOW + timedelta(seconds=1 + i) for i in range(100)}
    with redis_client.pipeline(transaction=False) as pipe:
        for account_id, instant in (due | later).items():
            timeline.place(account_id, instant, pipe)
        pipe.execute()

    # spawn, not fork: each child builds its own connection pool from scratch
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(4), ctx.Queue()
    args = (redis_url, to_epoch(NOW), LEASE.total_seconds(), 25, start, out)
    procs = [ctx.Process(target=_claim_until_empty, args=args, daemon=True) for _ in range(4)]
    for p in procs:
        p.start()
    try:
        per_claimer: list[list[tuple[str, float]]] = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == 0
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()

    everything = [entry for claimed in per_claimer for entry in claimed]
    assert len(everything) == ENTRIES  # none claimed twice ...
    assert dict(everything) == {a: to_epoch(t) for a, t in due.items()}  # ... and none lost
    assert sum(1 for claimed in per_claimer if claimed) >= 2  # the claimers really raced
    leased_until = to_epoch(NOW + LEASE)
    scores = timeline.entries()
    assert scores == {a: leased_until for a in due} | {a: to_epoch(t) for a, t in later.items()}


def test_only_entries_due_at_or_before_now_are_claimed_earliest_first(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    timeline.place("at-now", NOW)
    timeline.place("a-second-late", NOW - timedelta(seconds=1))
    timeline.place("a-second-early", NOW + timedelta(seconds=1))
    timeline.place("a-microsecond-early", NOW + timedelta(microseconds=1))

    claims = timeline.claim(NOW, lease_seconds=LEASE.total_seconds())

    assert claims == [
        Claim("a-second-late", to_epoch(NOW - timedelta(seconds=1))),
        Claim("at-now", to_epoch(NOW)),
    ]
    assert timeline.due_at("a-second-early") == NOW + timedelta(seconds=1)
    assert timeline.due_at("a-microsecond-early") == NOW + timedelta(microseconds=1)


def test_a_claim_takes_at_most_the_batch_limit_and_leaves_the_rest_for_the_next_call(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    for i in range(7):
        timeline.place(f"acct-{i}", NOW - timedelta(minutes=i))

    first = timeline.claim(NOW, lease_seconds=60, limit=3)
    second = timeline.claim(NOW, lease_seconds=60, limit=3)
    third = timeline.claim(NOW, lease_seconds=60, limit=3)

    assert [len(first), len(second), len(third)] == [3, 3, 1]
    claimed = [c.account_id for c in first + second + third]
    assert sorted(claimed) == [f"acct-{i}" for i in range(7)]  # each once, none left behind
    for batch in (first, second, third):
        assert [c.due for c in batch] == sorted(c.due for c in batch)
    assert timeline.claim(NOW, lease_seconds=60, limit=3) == []


def test_accounts_spread_over_every_shard_each_a_sorted_set_of_its_own_hash_tag(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    for i in range(400):
        timeline.place(f"acct-{i}", NOW)

    sizes = [redis_client.zcard(key) for key in timeline.shard_keys()]
    assert len(sizes) == keys.TIMELINE_SHARDS and sum(sizes) == 400
    assert min(sizes) > 0  # CRC-32 of the id spreads them: no shard is left empty
    assert redis_client.zscore(keys.timeline(keys.shard_of("acct-7")), "acct-7") == to_epoch(NOW)
    assert keys.timeline(3) == "remind:{tl:3}:timeline"
    assert keys.leases(3) == "remind:{tl:3}:leases"  # same slot as its shard


def test_a_claimed_entry_stays_invisible_for_the_lease_and_comes_back_when_it_runs_out(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    timeline = Timeline(redis_client)
    t = clock.now()
    timeline.place("acct-1", t - timedelta(hours=1))

    assert timeline.claim(t, lease_seconds=LEASE.total_seconds()) == [
        Claim("acct-1", to_epoch(t - timedelta(hours=1)))
    ]
    # the claimer crashes here and never re-places the entry
    clock.set(t + LEASE - timedelta(seconds=1))
    assert timeline.claim(clock.now(), lease_seconds=LEASE.total_seconds()) == []
    clock.set(t + LEASE)
    again = timeline.claim(clock.now(), lease_seconds=LEASE.total_seconds())

    assert again == [Claim("acct-1", to_epoch(t + LEASE))]
    assert again[0].due_at == t + LEASE
    assert timeline.due_at("acct-1") == t + 2 * LEASE


def test_re_placing_a_claimed_entry_sets_its_new_due_instant_and_ends_the_lease(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    timeline.place("acct-1", NOW)
    timeline.claim(NOW, lease_seconds=LEASE.total_seconds())

    next_step = NOW + timedelta(days=3, hours=2)
    timeline.place("acct-1", next_step)

    assert timeline.due_at("acct-1") == next_step
    assert timeline.claim(NOW + LEASE, lease_seconds=LEASE.total_seconds()) == []
    assert timeline.claim(next_step, lease_seconds=LEASE.total_seconds()) == [
        Claim("acct-1", to_epoch(next_step))
    ]


def test_next_due_is_the_earliest_instant_on_the_timeline_including_leased_entries(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    assert timeline.next_due() is None

    timeline.place("soon", NOW + timedelta(minutes=1))
    timeline.place("later", NOW + timedelta(hours=1))
    assert timeline.next_due() == NOW + timedelta(minutes=1)

    timeline.claim(NOW + timedelta(minutes=1), lease_seconds=LEASE.total_seconds())
    assert timeline.next_due() == NOW + timedelta(minutes=1) + LEASE

    timeline.remove("soon")
    assert timeline.next_due() == NOW + timedelta(hours=1)
    assert len(timeline) == 1
    assert timeline.due_at("soon") is None
