"""The key audit for Redis Cluster: every Lua script and every transaction gets keys of one slot,
and no script touches a key it was not given (a cluster routes a script by its keys only).

The keys are built by ``worker.storage.keys`` exactly as the callers build them; the slot is
Redis Cluster's own CRC16 (``redis.crc.key_slot``). A run on a real cluster is in
``tests/test_cluster.py``: there a cross-slot script fails with ``CROSSSLOT``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

from worker.clock import SimulatedClock, isoformat_utc, to_epoch
from worker.contracts.outcome import Outcome
from worker.storage import keys
from worker.storage.results import Results, audit_export
from worker.storage.scripts import script_source
from worker.storage.timeline import Timeline

LUA = Path(__file__).resolve().parent.parent / "worker" / "storage" / "lua"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def outcome(account_id: str, at: datetime) -> Outcome:
    fields = dict.fromkeys(Outcome.model_fields, None)
    return Outcome.model_validate(
        fields
        | {
            "id": f"{account_id}:s",
            "at": isoformat_utc(at),
            "account_id": account_id,
            "outcome": "sent",
        }
    )


def slots(*names: str) -> set[int]:
    return {int(key_slot(n.encode())) for n in names}


def test_each_script_is_given_keys_of_one_slot() -> None:
    person, dispatch = "P-9", "A-1:early.1:0"
    shard = keys.shard_of("A-1")
    given = {
        "claim": [keys.timeline(shard)],
        "lease_hold": [keys.leases(shard), keys.timeline(shard)],
        "lease_drop": [keys.leases(shard)],
        "lock_read": [
            keys.account_lock(person, "A-1"),
            keys.account_state(person, "A-1"),
            keys.debt_stops(person),
            keys.opt_outs(person),
            keys.opt_ins(person),
        ],
        "lease_recover": [keys.leases(shard), keys.timeline(shard)],
        "reserve": [
            keys.idempotency(person, dispatch),
            keys.cap_counter(person, "house/sms", person),
            keys.cap_counter(person, "ma/MA1", "debt:D-1"),
        ],
        "release": [keys.idempotency(person, dispatch), keys.cap_counter(person, "x", person)],
        "forward": [keys.provider_status(person, "sms:SM1")],
        "pace": [keys.pace_sender("twilio", "+16175550100"), keys.pace_in_flight("twilio")],
    }
    assert set(given) == {p.stem for p in LUA.glob("*.lua")}  # a new script joins this audit
    for name, script_keys in given.items():
        assert len(slots(*script_keys)) == 1, name


def test_each_transaction_is_on_one_slot() -> None:
    person = "P-9"
    # Store.set_opt_out / set_opt_in; call_parts is one key; App.commit is a plain pipeline on
    # a cluster (its keys sit on three slots: see App.commit)
    assert len(slots(keys.opt_outs(person), keys.opt_ins(person))) == 1
    personal = [
        keys.account_state(person, "A-1"), keys.person_accounts(person),
        keys.legacy_person_accounts(person),
        keys.account_lock(person, "A-1"), keys.debt_stops(person),
        keys.recent_outcomes(person, "A-1"), keys.call_counts(person, "A-1:late.1:0"),
    ]  # fmt: skip
    assert len(slots(*personal, keys.opt_outs(person))) == 1


@pytest.mark.parametrize("path", sorted(LUA.glob("*.lua")), ids=lambda p: p.stem)
def test_no_script_names_a_key_it_was_not_given(path: Path) -> None:
    source = script_source(path.stem)
    # the first argument of every redis.call is KEYS[...] or a local read from KEYS
    from_keys = set(re.findall(r"local (\w+) = KEYS\[", source))
    calls = re.findall(r"redis\.call\('(\w+)', ([^,)]+)", source)
    assert calls
    for command, first in calls:
        assert first.startswith("KEYS[") or first in from_keys, (path.name, command, first)


def test_the_global_keys_stand_alone_and_the_shards_spread() -> None:
    # these are never combined with another key in a script or a transaction (audit above);
    # they are listed so a new global key is a decision, not an accident
    assert {
        keys.RESULTS_STREAM, keys.SMS_OPTED_OUT_NUMBERS, keys.METRICS_OUTCOMES, keys.WORKERS,
        keys.account_index("A-1"), keys.phone_accounts("+16175550101"),
        keys.legacy_phone_accounts("+16175550101"), keys.inbound_message("SM1"),
        keys.call_parts("A-1:late.1:0"),
        keys.pinned_schedule("t@1"), keys.channel_paused("sms"),
    } == {
        "remind:results", "remind:optout:sms", "remind:metrics:outcomes", "remind:workers",
        "remind:idx:A-1", "remind:phones:+16175550101", "remind:phone:+16175550101",
        "remind:inbound:SM1",
        "remind:call:parts:A-1:late.1:0", "remind:schedule:t@1", "remind:paused:sms",
    }  # fmt: skip
    assert len(slots(*(keys.timeline(n) for n in range(keys.TIMELINE_SHARDS)))) == 16
    assert len(slots(*(keys.audit(n) for n in range(keys.TIMELINE_SHARDS)))) == 16


def test_a_prefix_moves_every_key_and_is_undone_after_the_block() -> None:
    with keys.use_prefix("remind-sim"):
        assert keys.timeline(0) == "remind-sim:{tl:0}:timeline"
        assert keys.WORKERS == "remind-sim:workers"
        assert keys.account_state("P", "A") == "remind-sim:{p:P}:acct:A"
    assert keys.WORKERS == "remind:workers"


def test_entries_an_older_version_left_on_the_single_timeline_move_to_their_shards(
    redis_client: redis.Redis,
) -> None:
    timeline = Timeline(redis_client)
    legacy = {f"old-{i}": to_epoch(NOW) + i for i in range(2500)}
    redis_client.zadd("remind:timeline", legacy)
    timeline.place("old-7", NOW + timedelta(days=3))  # re-placed since: its shard's entry wins

    assert timeline.adopt_legacy() == 2500
    assert redis_client.exists("remind:timeline") == 0
    assert timeline.entries() == legacy | {"old-7": to_epoch(NOW + timedelta(days=3))}
    assert timeline.adopt_legacy() == 0


def test_the_audit_export_merges_every_shard_and_the_old_log_in_time_order(
    redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    results = Results(redis_client)
    redis_client.zadd("remind:audit", {'{"account_id":"legacy","at":"x"}': to_epoch(NOW)})
    accounts = [f"A-{i}" for i in range(40)]
    for i, account_id in enumerate(accounts):
        at = NOW + timedelta(minutes=40 - i)  # published newest first
        results.publish(outcome(account_id, at))
    used = {keys.shard_of(a) for a in accounts}

    records = list(audit_export(redis_client, since=NOW, until=NOW + timedelta(hours=1)))

    assert len(used) > 8  # the records really sit on many shards
    assert [r["account_id"] for r in records] == ["legacy", *reversed(accounts)]


@pytest.mark.parametrize(
    "key",
    [
        keys.account_state("P-1", "A-1"),
        keys.timeline(7),
        keys.account_index("A-1"),
        keys.phone_accounts("+12125550123"),
    ],
)
def test_the_replication_marker_lands_on_the_slot_of_its_key(key: str) -> None:
    marker = keys.beside(key, "replicated")

    assert marker != key
    assert key_slot(marker.encode()) == key_slot(key.encode())
