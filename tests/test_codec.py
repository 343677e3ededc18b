"""The stored forms of an account state and of its recent outcomes: compact, read back equal,
and what older versions wrote still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from worker.accounts import codec
from worker.accounts.codec import decode_state, encode_state
from worker.accounts.recent_codec import OUTCOME_FIELDS, decode_outcome, encode_outcome
from worker.accounts.state import AccountState
from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.account import Account, Address, Balance, Email, Phone
from worker.contracts.outcome import Outcome
from worker.contracts.validation import parse_account
from worker.errors import StateError
from worker.intake import enroll
from worker.storage import keys, phones
from worker.storage.results import Results

from .pipeline_helpers import account, make_app

#: A state as the version before the compact format wrote it (the full model dump).
OLD = (
    '{"plan":null,"settlement":null,"queued":[],"queued_serial":0,"account":{"account_id":'
    '"demo-0000","schedule":"standard","due_date":"2026-02-25","person_id":null,"debt_id":null,'
    '"name":"Alex Garcia","locale":null,"timezone":null,"address":{"country":"US","region":"NY",'
    '"postal_code":null,"city":"New York","line1":"850 Main St"},"phones":[{"number":'
    '"+12125550000","kind":"mobile","sms_consent":true,"voice_consent":true}],"emails":[{"address"'
    ':"customer0@example.com","kind":"personal","consent":true}],"balance":{"amount":"657.50",'
    '"currency":"USD"},"creditor":"Northwind Lending","reference":"NW-100000","payment_url":'
    '"https://pay.example.com/nw/100000","vars":{}},"schedule":"standard","version":'
    '"2026-11-29.1","status":"active","status_reason":null,"close_reason":null,"paused_until":'
    'null,"cursor":2,"due_at":"2026-03-04T15:00:00Z","attempt":0,"enrolled_at":'
    '"2026-03-02T15:00:00Z","updated_at":"2026-03-02T15:00:00Z","payments":[],"conversations":[],'
    '"constraints":[],"sent_count":0,"disclosed":[],"communicated":[],"disclosing_calls":[],'
    '"last_call":null}'
)
#: The same state in the compact format: pins the short names and the defaults left out.
COMPACT = (
    '{"~":2,"a":{"i":"demo-0000","s":"standard","d":"2026-02-25","n":"Alex Garcia","a":{"c":"US",'
    '"r":"NY","t":"New York","l":"850 Main St"},"ph":[{"n":"+12125550000","s":true,"v":true}],'
    '"em":[{"a":"customer0@example.com","c":true}],"ba":{"a":"657.50","c":"USD"},'
    '"c":"Northwind Lending","r":"NW-100000","u":"https://pay.example.com/nw/100000"},'
    '"v":"2026-11-29.1","c":2,"d":"2026-03-04T15:00:00Z","e":"2026-03-02T15:00:00Z",'
    '"u":"2026-03-02T15:00:00Z"}'
)

AT = "2026-03-02T15:00:00Z"


def full_state() -> AccountState:
    """A state with every field away from its default."""
    return AccountState.model_validate(
        {
            "account": {
                "account_id": "A:1", "schedule": "standard", "due_date": "2026-03-01",
                "person_id": "P-1", "debt_id": "D-1", "name": "李 Ana", "locale": "zh-CN",
                "timezone": "Asia/Shanghai",
                "address": {"country": "CN", "region": "BJ", "postal_code": "100000",
                            "city": "Beijing", "line1": "1 Road"},
                "phones": [{"number": "+12125550123", "kind": "landline", "sms_consent": False,
                            "voice_consent": True}, {"number": "+12125550144"}],
                "emails": [{"address": "a@example.com", "kind": "work", "consent": False}],
                "balance": {"amount": "10.00", "currency": "CNY"}, "creditor": "C",
                "reference": "R", "payment_url": "https://pay.example.com/x",
                "vars": {"a": "x", "nested": {"n": [1, 2]}},
            },
            "schedule": "other", "version": "2", "status": "stopped", "status_reason": "closed",
            "close_reason": "bankrupt", "paused_until": "2026-03-05T10:00:00.250000Z",
            "cursor": 0, "due_at": AT, "attempt": 3, "enrolled_at": AT, "updated_at": AT,
            "payments": [{"at": AT, "amount": "5.00"}],
            "conversations": [{"at": AT, "channel": "voice"}],
            "constraints": [{"at": AT, "until": "2026-04-01",
                             "constraint": {"kind": "no_work_calls"}}],
            "sent_count": 4, "disclosed": ["written"], "communicated": ["written", "oral"],
            "disclosing_calls": ["A:1:late.1:0"], "last_call": "A:1:late.1:0",
            "plan": {"number": 1, "agreed_at": AT, "currency": "CNY", "reference": "PL",
                     "installments": [{"number": 1, "due_date": "2026-03-10", "amount": "5.00",
                                       "paid": "5.00", "status": "kept", "closed_at": AT},
                                      {"number": 2, "due_date": "2026-03-20", "amount": "5"}],
                     "status": "active", "cursor": 1, "left_cursor": 2},
            "settlement": {"amount": "8", "expires": "2026-03-30", "offered_at": AT},
            "queued": [{"key": "plan.confirmation", "day": 3, "serial": 1}],
            "queued_serial": 1,
        }
    )  # fmt: skip


def test_a_state_with_every_field_set_reads_back_equal() -> None:
    state = full_state()
    stored = encode_state(state)
    assert stored.startswith('{"~":2,')
    assert decode_state(stored) == state
    assert decode_state(stored).model_dump_json() == state.model_dump_json()
    assert decode_state(stored.encode()) == state  # a client that does not decode replies


def test_defaults_are_left_out_and_names_shortened() -> None:
    old = decode_state(OLD)
    assert encode_state(old) == COMPACT
    assert decode_state(COMPACT) == old
    assert decode_state(COMPACT).model_dump_json() == old.model_dump_json()
    assert len(COMPACT) < len(OLD) / 2


def test_the_full_json_of_older_versions_is_read_as_before() -> None:
    assert decode_state(OLD) == AccountState.model_validate_json(OLD)
    closed = json.loads(OLD) | {"status": "stopped", "status_reason": "closed:deceased"}
    state = decode_state(json.dumps(closed))
    assert (state.status_reason, state.close_reason) == ("closed", "deceased")
    assert decode_state(encode_state(state)) == state


def test_only_a_compact_states_numbers_are_trusted_the_rest_is_validated() -> None:
    # encode_state writes numbers validated on their way in: they are not parsed again; an
    # older version's full JSON, and every other field of a compact state, still are
    old = json.loads(OLD)
    old["account"]["phones"] = [{"number": "+1 212 555 0123"}]
    assert decode_state(json.dumps(old)).account.phones[0].number == "+12125550123"
    old["account"]["phones"] = [{"number": "12125550123"}]
    with pytest.raises(ValidationError, match=r"E\.164"):
        decode_state(json.dumps(old))
    compact = json.loads(encode_state(full_state()))
    assert compact["a"]["ph"][0]["n"] == "+12125550123"
    compact["a"]["ph"][0]["n"] = "+1 212 555 0123"
    assert decode_state(json.dumps(compact)).account.phones[0].number == "+1 212 555 0123"
    compact["a"]["ba"]["a"] = "ten"
    with pytest.raises(ValidationError, match="decimal"):
        decode_state(json.dumps(compact))


def test_a_state_of_a_newer_format_is_refused_naming_it() -> None:
    with pytest.raises(StateError, match="format 3"):
        decode_state(COMPACT.replace('"~":2', '"~":3'))


@pytest.mark.parametrize(
    ("table", "model"),
    [
        (codec.STATE, AccountState),
        (codec.ACCOUNT, Account),
        (codec.ADDRESS, Address),
        (codec.PHONE, Phone),
        (codec.EMAIL, Email),
        (codec.BALANCE, Balance),
    ],
)
def test_short_names_are_unique_and_clash_with_no_field(
    table: codec.Table, model: type[BaseModel]
) -> None:
    shorts = [short for short, _ in table.values()]
    assert len(set(shorts)) == len(shorts)
    assert set(table) <= set(model.model_fields)
    assert not set(shorts) & set(model.model_fields)
    assert "~" not in shorts


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def test_a_state_stored_by_an_older_version_loads_and_is_rewritten_compact(app: App) -> None:
    key = keys.account_state("A-1", "A-1")
    enrolled = app.store.require("A-1")
    app.client.set(key, enrolled.model_dump_json())  # as the version before wrote it
    loaded = app.store.require("A-1")
    assert loaded == enrolled
    app.store.save(loaded)
    stored = app.client.get(key)
    assert isinstance(stored, str) and stored.startswith('{"~":2,')
    assert len(stored) < len(enrolled.model_dump_json()) / 2
    assert app.store.require("A-1") == enrolled


def test_an_older_versions_sets_of_a_persons_accounts_and_a_numbers_are_read(app: App) -> None:
    app.client.sadd(keys.legacy_person_accounts("A-1"), "OLD-1")
    assert app.store.accounts_of("A-1") == ["A-1", "OLD-1"]
    number = "+12125550123"
    app.client.sadd(keys.legacy_phone_accounts(number), "OLD-1", "A-1")
    assert phones.accounts_for(app.client, number) == ["A-1", "OLD-1"]
    state = app.store.require("A-1")
    state.status, state.status_reason = "stopped", "closed"  # a close unlinks every number
    phones.relink(app.client, state, [number])
    assert phones.accounts_for(app.client, number) == ["OLD-1"]
    assert app.client.type(keys.phone_accounts(number)) == "none"  # its last field went


def records() -> list[dict[str, Any]]:
    """Outcome records of every shape the recent list meets."""
    base = dict.fromkeys(OUTCOME_FIELDS) | {
        "id": "5c7ac14c953844ea926672a5d7a2d3d9", "at": "2026-04-27T13:00:00Z",
        "local_time": "2026-04-27T09:00:00-04:00", "account_id": "A:1", "person_id": "P-1",
        "debt_id": "A:1", "schedule": "standard@2026-11-29.1", "tier": "late", "step": "late.5",
        "channel": "email", "outcome": "sent", "provider": "outbox",
        "provider_id": "A:1:late.5:0", "template": "final_notice", "locale": "en",
    }  # fmt: skip
    return [
        base,
        base
        | {
            "outcome": "deferred",
            "reason": "blocked_day",
            "provider": None,
            "provider_id": None,
            "locale": None,
            "next_attempt_at": "2026-04-28T13:00:00Z",
            "rule": "house/blocked-days@2026-11-29.1",
        },
        base
        | {
            "local_time": "2026-04-27T18:30:00+05:30",
            "debt_id": "D-2",
            "tier": "plan",
            "rule": "lifecycle/closed@1",
            "provider": "twilio",
            "provider_id": "SM123",
        },
        base
        | {
            "id": "not-hex",
            "at": "2026-04-27T13:00:00.123456Z",
            "rule": "odd@",
            "provider_id": "A:1:late.5:01",
            "next_attempt_at": "soon",
        },
        base
        | {
            "local_time": "2026-04-27T13:00:00+00:00",
            "step": None,
            "tier": "late",
            "provider_id": "A:1:None:0",
            "schedule": None,
            "rule": "x@2026-11-29.1",
        },
        base | {"local_time": "2026-04-27T09:00:00-05:00", "step": "mid.3#d18", "tier": "mid"},
        dict.fromkeys(OUTCOME_FIELDS)
        | {
            "id": "0" * 32,
            "at": AT,
            "account_id": "A:1",
            "person_id": "P-1",
            "outcome": "rejected",
        },
    ]


def test_outcome_fields_are_the_contracts_in_its_order() -> None:
    assert tuple(Outcome.model_fields) == OUTCOME_FIELDS


@pytest.mark.parametrize("record", records())
def test_a_recent_outcome_reads_back_equal_in_its_order(record: dict[str, Any]) -> None:
    stored = encode_outcome(record)
    assert stored.startswith("[1,")
    back = decode_outcome(stored, "P-1", "A:1")
    assert back == record
    assert list(back) == list(OUTCOME_FIELDS)


def test_a_plain_send_is_stored_in_under_two_fifths_of_its_json() -> None:
    record = records()[0]
    assert len(encode_outcome(record)) < len(json.dumps(record, separators=(",", ":"))) * 2 / 5


def test_the_recent_list_keeps_twenty_newest_first_and_reads_older_records(app: App) -> None:
    results = Results(app.client)
    key = keys.recent_outcomes("A-1", "A-1")
    old = records()[1] | {"account_id": "A-1", "person_id": "A-1", "debt_id": "A-1"}
    app.client.lpush(key, json.dumps(old))  # as the version before wrote it
    published = [
        results.publish(Outcome.model_validate(records()[0] | {
            "id": f"{n:032x}", "at": f"2026-04-{n + 1:02d}T13:00:00Z", "local_time": None,
            "account_id": "A-1", "person_id": "A-1", "debt_id": "A-1",
            "provider_id": "A-1:late.5:0"}))
        for n in range(19)
    ]  # fmt: skip
    assert app.store.recent_outcomes("A-1", "A-1") == [*reversed(published), old]
    results.publish(Outcome.model_validate(published[0] | {"id": "f" * 32}))
    assert app.client.llen(key) == 20
    assert app.store.recent_outcomes("A-1", "A-1")[-1] == published[0]  # the old one went
    assert datetime.fromisoformat(published[0]["at"]).tzinfo == UTC
