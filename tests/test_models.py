"""The stable JSON contracts (docs/contracts.md: Account, Event, Outcome): what parses, what is
refused, word for word."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from worker.contracts.event import EVENT_TYPES
from worker.contracts.outcome import Outcome
from worker.contracts.validation import parse_account, parse_event
from worker.errors import InvalidInput

#: Every field of the account (docs/contracts.md, Account), normalised as the parser returns it.
FULL_ACCOUNT: dict[str, Any] = {
    "account_id": "ACME-00042:2026.a_b",
    "schedule": "standard",
    "due_date": "2026-02-01",
    "person_id": "P-7",
    "debt_id": "D-9",
    "name": "Jane Doe",
    "locale": "zh-Hant-TW",
    "timezone": "America/Los_Angeles",
    "address": {
        "country": "US",
        "region": "CA",
        "postal_code": "94103",
        "city": "San Francisco",
        "line1": "1 Market St",
    },
    "phones": [
        {"number": "+14155550123", "kind": "mobile", "sms_consent": True, "voice_consent": False},
        {
            "number": "+8613800138000",
            "kind": "landline",
            "sms_consent": False,
            "voice_consent": True,
        },
        {"number": "+442079460958", "kind": "work", "sms_consent": False, "voice_consent": False},
    ],
    "emails": [
        {"address": "jane@example.com", "kind": "personal", "consent": True},
        {"address": "j.doe@work.example", "kind": "work", "consent": False},
    ],
    "balance": {"amount": "125.50", "currency": "USD"},
    "creditor": "Northwind Lending",
    "reference": "INV-2026-001",
    "payment_url": "https://pay.example.com/acme-00042",
    "vars": {"plan": "gold", "installments": 3, "tags": ["a", "b"]},
}

MINIMAL_ACCOUNT: dict[str, Any] = {
    "account_id": "A-1",
    "schedule": "standard",
    "due_date": "2026-02-01",
}


def account_error(data: Any, source: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_account(data, source=source)
    return info.value


def event_error(data: Any, source: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_event(data, source=source)
    return info.value


def with_fields(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != name}


# --- accounts: what parses ------------------------------------------------------------------


def test_a_full_account_round_trips_every_field_of_the_contract() -> None:
    account = parse_account(FULL_ACCOUNT)

    assert account.model_dump(mode="json") == FULL_ACCOUNT
    assert parse_account(json.loads(json.dumps(account.model_dump(mode="json")))) == account
    assert account.due_date == date(2026, 2, 1)
    assert account.person == "P-7"
    assert account.debt == "D-9"


def test_a_minimal_account_gets_the_documented_defaults() -> None:
    account = parse_account(MINIMAL_ACCOUNT)

    assert account.model_dump(mode="json") == {
        "account_id": "A-1",
        "schedule": "standard",
        "due_date": "2026-02-01",
        "person_id": None,
        "debt_id": None,
        "name": None,
        "locale": None,
        "timezone": None,
        "address": None,
        "phones": [],
        "emails": [],
        "balance": None,
        "creditor": None,
        "reference": None,
        "payment_url": None,
        "vars": {},
    }


def test_person_and_debt_default_to_the_account_id() -> None:
    account = parse_account(MINIMAL_ACCOUNT)

    assert (account.person, account.debt) == ("A-1", "A-1")


def test_surrounding_whitespace_is_stripped_before_the_id_rule_applies() -> None:
    account = parse_account(with_fields(MINIMAL_ACCOUNT, account_id=" A-1\n"))

    assert account.account_id == "A-1"


def test_an_account_id_of_128_characters_is_accepted() -> None:
    account = parse_account(with_fields(MINIMAL_ACCOUNT, account_id="a" * 128))

    assert account.account_id == "a" * 128


def test_phone_and_email_defaults_are_mobile_personal_and_no_consent() -> None:
    account = parse_account(
        with_fields(
            MINIMAL_ACCOUNT,
            phones=[{"number": "+14155550123"}],
            emails=[{"address": "jane@example.com"}],
        )
    )

    assert account.model_dump(mode="json")["phones"] == [
        {"number": "+14155550123", "kind": "mobile", "sms_consent": False, "voice_consent": False}
    ]
    assert account.model_dump(mode="json")["emails"] == [
        {"address": "jane@example.com", "kind": "personal", "consent": False}
    ]


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("+14155550123", "+14155550123"),
        ("+1 (415) 555-0123", "+14155550123"),
        ("+1.415.555.0123", "+14155550123"),
        ("  +44 20 7946 0958 ", "+442079460958"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(written: str, normalised: str) -> None:
    account = parse_account(with_fields(MINIMAL_ACCOUNT, phones=[{"number": written}]))

    assert account.phones[0].number == normalised


@pytest.mark.parametrize(
    ("changes", "path", "expected"),
    [
        ({"address": {"country": "us"}}, ("address", "country"), "US"),
        ({"address": {"country": "US", "region": "ca"}}, ("address", "region"), "CA"),
        ({"balance": {"amount": "10", "currency": "cny"}}, ("balance", "currency"), "CNY"),
        ({"balance": {"amount": 125.5, "currency": "USD"}}, ("balance", "amount"), "125.5"),
        ({"balance": {"amount": 40, "currency": "USD"}}, ("balance", "amount"), "40"),
        ({"balance": {"amount": " 9.99 ", "currency": "USD"}}, ("balance", "amount"), "9.99"),
        ({"name": "  Jane Doe  "}, ("name",), "Jane Doe"),
        ({"timezone": "Asia/Shanghai"}, ("timezone",), "Asia/Shanghai"),
        ({"locale": "en"}, ("locale",), "en"),
        ({"locale": "zh-Hans"}, ("locale",), "zh-Hans"),
    ],
)
def test_accepted_values_are_normalised(
    changes: dict[str, Any], path: tuple[str, ...], expected: str
) -> None:
    value: Any = parse_account(with_fields(MINIMAL_ACCOUNT, **changes)).model_dump(mode="json")
    for key in path:
        value = value[key]

    assert value == expected


# --- accounts: what is refused, word for word -----------------------------------------------


@pytest.mark.parametrize("name", ["account_id", "schedule", "due_date"])
def test_each_missing_required_field_is_named(name: str) -> None:
    err = account_error(without(MINIMAL_ACCOUNT, name))

    assert str(err) == f"{name}: is required in an account"
    assert err.field == name
    assert err.source is None


def test_several_problems_report_the_first_and_count_the_rest() -> None:
    assert str(account_error({})) == "account_id: is required in an account (and 2 more problems)"
    assert str(account_error({"due_date": "2026-02-01"})) == (
        "account_id: is required in an account (and 1 more problem)"
    )


ID_RULE = "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"account_id": ""}, f"account_id: {ID_RULE}"),
        ({"account_id": "a" * 129}, f"account_id: {ID_RULE}"),
        ({"account_id": "A 1"}, f"account_id: {ID_RULE}"),
        ({"account_id": "A/1"}, f"account_id: {ID_RULE}"),
        ({"account_id": "Ä-1"}, f"account_id: {ID_RULE}"),
        ({"account_id": 42}, "account_id: must be a string"),
        ({"person_id": "P#7"}, f"person_id: {ID_RULE}"),
        ({"debt_id": "D 9"}, f"debt_id: {ID_RULE}"),
        ({"schedule": "../etc/passwd"}, "schedule: must be a schedule name such as 'standard'"),
        ({"due_date": "2026-13-01"}, "due_date: must be a date such as 2026-03-01"),
        ({"due_date": "yesterday"}, "due_date: must be a date such as 2026-03-01"),
        ({"due_date": "01/02/2026"}, "due_date: must be a date such as 2026-03-01"),
        (
            {"due_date": "2026-02-01T10:00:00"},
            "due_date: must be a date such as 2026-03-01, without a time",
        ),
        ({"shedule": "standard"}, "shedule: is not a field of the account contract"),
        (
            {"address": {"country": "US", "zip": "94103"}},
            "address.zip: is not a field of the account contract",
        ),
        (
            {"address": {"country": "USA"}},
            "address.country: must be an ISO 3166-1 alpha-2 code such as US, CN or GB",
        ),
        (
            {"address": {"country": "U1"}},
            "address.country: must be an ISO 3166-1 alpha-2 code such as US, CN or GB",
        ),
        (
            {"address": {"country": "US", "region": "US-CA"}},
            "address.region: must be an ISO 3166-2 subdivision code without the country, e.g. CA",
        ),
        ({"address": "1 Market St"}, "address: must be an object"),
        (
            {"balance": {"amount": "10", "currency": "US"}},
            "balance.currency: must be an ISO 4217 code such as USD",
        ),
        (
            {"balance": {"amount": "10", "currency": "U$D"}},
            "balance.currency: must be an ISO 4217 code such as USD",
        ),
        (
            {"balance": {"amount": "ten", "currency": "USD"}},
            "balance.amount: must be a decimal string such as '125.50'",
        ),
        (
            {"balance": {"amount": "12,50", "currency": "USD"}},
            "balance.amount: must be a decimal string such as '125.50'",
        ),
        (
            {"balance": {"amount": True, "currency": "USD"}},
            "balance.amount: must be a decimal string such as '125.50'",
        ),
        (
            {"balance": {"amount": "NaN", "currency": "USD"}},
            "balance.amount: must be a finite decimal",
        ),
        (
            {"balance": {"amount": "Infinity", "currency": "USD"}},
            "balance.amount: must be a finite decimal",
        ),
        ({"balance": {"amount": "10"}}, "balance.currency: is required in an account"),
        (
            {"emails": [{"address": "jane"}]},
            "emails.0.address: is not an email address",
        ),
        (
            {"emails": [{"address": "jane@example"}]},
            "emails.0.address: is not an email address",
        ),
        (
            {"emails": [{"address": "jane@example.com"}, {"address": "jane doe@example.com"}]},
            "emails.1.address: is not an email address",
        ),
        (
            {"emails": [{"address": "jane@example.com", "kind": "home"}]},
            "emails.0.kind: must be one of personal, work, not 'home'",
        ),
        (
            {"timezone": "Mars/Olympus"},
            "timezone: 'Mars/Olympus' is not an IANA time zone name such as America/New_York",
        ),
        (
            {"timezone": "America"},
            "timezone: 'America' is not an IANA time zone name such as America/New_York",
        ),
        (
            {"timezone": "+08:00"},
            "timezone: '+08:00' is not an IANA time zone name such as America/New_York",
        ),
        (
            {"locale": "en_US"},
            "locale: 'en_US' is not a BCP 47 language tag such as en-US or zh-Hans",
        ),
        (
            {"locale": "e"},
            "locale: 'e' is not a BCP 47 language tag such as en-US or zh-Hans",
        ),
        (
            {"phones": [{"number": "+14155550123", "kind": "pager"}]},
            "phones.0.kind: must be one of mobile, landline, work, not 'pager'",
        ),
        (
            {"phones": [{"number": "4155550123"}]},
            "phones.0.number: must be in E.164 form, starting with + and the country code",
        ),
        (
            {"phones": [{"number": "+14155550123"}, {"number": "00441234567890"}]},
            "phones.1.number: must be in E.164 form, starting with + and the country code",
        ),
        ({"phones": [{"number": "+"}]}, "phones.0.number: is not a phone number in E.164 form"),
        ({"phones": [{"number": "+1 555"}]}, "phones.0.number: is not a possible phone number"),
        ({"phones": [{"number": 14155550123}]}, "phones.0.number: must be a string"),
        (
            {"phones": [{"number": "+14155550123", "sms_consent": "maybe"}]},
            "phones.0.sms_consent: must be true or false, not 'maybe'",
        ),
        # consent is never guessed from wording pydantic would coerce ("yes", "1", 1 -> true)
        (
            {"phones": [{"number": "+14155550123", "sms_consent": "yes"}]},
            "phones.0.sms_consent: must be true or false, not 'yes'",
        ),
        (
            {"phones": [{"number": "+14155550123", "voice_consent": 1}]},
            "phones.0.voice_consent: must be true or false, not 1",
        ),
        (
            {"emails": [{"address": "a@example.com", "consent": "true"}]},
            "emails.0.consent: must be true or false, not 'true'",
        ),
        # an extension cannot be dialled by SMS or a call: refused, not silently dropped
        (
            {"phones": [{"number": "+1 415 555 0123 ext 5"}]},
            "phones.0.number: has an extension (5), which SMS and calls cannot dial: "
            "give a direct number in E.164 form",
        ),
        (
            {"phones": [{"number": "+14155550123;ext=12"}]},
            "phones.0.number: has an extension (12), which SMS and calls cannot dial: "
            "give a direct number in E.164 form",
        ),
        ({"phones": [{"kind": "mobile"}]}, "phones.0.number: is required in an account"),
        ({"phones": "+14155550123"}, "phones: must be a list"),
        ({"vars": ["plan"]}, "vars: must be an object"),
    ],
)
def test_bad_account_fields_are_refused_with_a_message_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    err = account_error(with_fields(MINIMAL_ACCOUNT, **changes))

    assert str(err) == message
    assert err.field == message.split(": ", 1)[0]


def test_the_source_prefixes_the_message_and_is_kept_on_the_error() -> None:
    data = with_fields(MINIMAL_ACCOUNT, phones=[{"number": "4155550123"}])

    err = account_error(data, source="file.jsonl:3")

    assert str(err) == (
        "file.jsonl:3: phones.0.number: must be in E.164 form, starting with + and the country code"
    )
    assert (err.source, err.field) == ("file.jsonl:3", "phones.0.number")
    assert err.message == "must be in E.164 form, starting with + and the country code"


@pytest.mark.parametrize("data", [[MINIMAL_ACCOUNT], "A-1", None, 42])
def test_an_account_that_is_not_a_json_object_is_refused(data: Any) -> None:
    err = account_error(data, source="accounts.jsonl:7")

    assert str(err) == "accounts.jsonl:7: an account must be a JSON object"
    assert err.field is None


# --- events ---------------------------------------------------------------------------------

AT = "2026-03-01T20:00:00+08:00"
AT_UTC = "2026-03-01T12:00:00Z"


VALID_EVENTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"type": "paid"}, {"type": "paid"}),
    ({"type": "payment", "amount": "25.00"}, {"type": "payment", "amount": "25.00"}),
    ({"type": "payment", "amount": 25.5}, {"type": "payment", "amount": "25.5"}),
    (
        {"type": "promise_to_pay", "until": "2026-03-10"},
        {"type": "promise_to_pay", "until": "2026-03-10"},
    ),
    (
        {"type": "promise_to_pay", "until": "2026-03-10", "amount": "100"},
        {"type": "promise_to_pay", "until": "2026-03-10", "amount": "100"},
    ),
    ({"type": "dispute"}, {"type": "dispute"}),
    (
        {"type": "dispute", "reason": "not my debt"},
        {"type": "dispute", "reason": "not my debt"},
    ),
    ({"type": "dispute_resolved"}, {"type": "dispute_resolved"}),
    (
        {
            "type": "constraint",
            "until": "2026-04-01",
            "constraint": {"kind": "inconvenient_hours", "start": "12:00", "end": "14:00"},
        },
        {
            "type": "constraint",
            "until": "2026-04-01",
            "constraint": {"kind": "inconvenient_hours", "start": "12:00:00", "end": "14:00:00"},
        },
    ),
    (
        {"type": "constraint", "constraint": {"kind": "refuse_channel", "channel": "sms"}},
        {"type": "constraint", "constraint": {"kind": "refuse_channel", "channel": "sms"}},
    ),
    (
        {"type": "call_result", "result": "voicemail"},
        {"type": "call_result", "result": "voicemail"},
    ),
    (
        {"type": "conversation", "channel": "voice", "debts": ["D-2", "D-3"]},
        {"type": "conversation", "channel": "voice", "debts": ["D-2", "D-3"]},
    ),
    (
        {"type": "call_result", "result": "answered", "dispatch_id": "A-1:early.1:0"},
        {"type": "call_result", "result": "answered", "dispatch_id": "A-1:early.1:0"},
    ),
    ({"type": "cease"}, {"type": "cease"}),
    (
        {"type": "reply", "channel": "sms", "address": "+1 212 555 0123", "text": "stop"},
        {"type": "reply", "channel": "sms", "address": "+1 212 555 0123", "text": "stop"},
    ),
    ({"type": "opt_out", "channel": "sms"}, {"type": "opt_out", "channel": "sms"}),
    (
        {"type": "opt_out", "channel": "email", "address": "jane@example.com"},
        {"type": "opt_out", "channel": "email", "address": "jane@example.com"},
    ),
    ({"type": "opt_in", "channel": "voice"}, {"type": "opt_in", "channel": "voice"}),
    (
        {"type": "opt_in", "channel": "sms", "address": "+14155550123"},
        {"type": "opt_in", "channel": "sms", "address": "+14155550123"},
    ),
    (
        {"type": "conversation", "channel": "voice"},
        {"type": "conversation", "channel": "voice"},
    ),
    (
        {"type": "contact_update", "name": "Jane Roe"},
        {"type": "contact_update", "name": "Jane Roe"},
    ),
    (
        {"type": "contact_update", "locale": "en-GB", "timezone": "Europe/London"},
        {"type": "contact_update", "locale": "en-GB", "timezone": "Europe/London"},
    ),
    (
        {"type": "contact_update", "phones": [{"number": "+1 415 555 0123"}]},
        {
            "type": "contact_update",
            "phones": [
                {
                    "number": "+14155550123",
                    "kind": "mobile",
                    "sms_consent": False,
                    "voice_consent": False,
                }
            ],
        },
    ),
    (
        {"type": "contact_update", "emails": [{"address": "jane@example.com", "consent": True}]},
        {
            "type": "contact_update",
            "emails": [{"address": "jane@example.com", "kind": "personal", "consent": True}],
        },
    ),
    (
        # "address" as on the account contract; stored as postal_address on the event.
        {"type": "contact_update", "address": {"country": "gb", "city": "London"}},
        {"type": "contact_update", "postal_address": {"country": "GB", "city": "London"}},
    ),
    (
        {"type": "contact_update", "postal_address": {"country": "US"}},
        {"type": "contact_update", "postal_address": {"country": "US"}},
    ),
    ({"type": "close", "reason": "bankrupt"}, {"type": "close", "reason": "bankrupt"}),
    ({"type": "close", "reason": "deceased"}, {"type": "close", "reason": "deceased"}),
    ({"type": "close", "reason": "settled"}, {"type": "close", "reason": "settled"}),
    ({"type": "close", "reason": "recalled"}, {"type": "close", "reason": "recalled"}),
    ({"type": "close", "reason": "other"}, {"type": "close", "reason": "other"}),
    ({"type": "represented_by_attorney"}, {"type": "represented_by_attorney"}),
    (
        {
            "type": "represented_by_attorney",
            "attorney": {
                "name": "Ada Counsel",
                "phone": "+1 617 555 0100",
                "email": "a@law.example",
            },
        },
        {
            "type": "represented_by_attorney",
            "attorney": {"name": "Ada Counsel", "phone": "+16175550100", "email": "a@law.example"},
        },
    ),
]


@pytest.mark.parametrize(("fields", "parsed"), VALID_EVENTS)
def test_each_event_type_parses_with_its_fields(
    fields: dict[str, Any], parsed: dict[str, Any]
) -> None:
    event = parse_event({"account_id": "A-1", "at": AT, **fields})

    assert event.model_dump(mode="json", exclude_none=True) == {
        "account_id": "A-1",
        "at": AT_UTC,
        **parsed,
    }


def test_the_valid_event_table_covers_every_event_type_of_the_contract() -> None:
    assert {fields["type"] for fields, _ in VALID_EVENTS} == set(EVENT_TYPES)
    assert EVENT_TYPES == (
        "paid",
        "payment",
        "promise_to_pay",
        "dispute",
        "dispute_resolved",
        "cease",
        "opt_out",
        "opt_in",
        "conversation",
        "contact_update",
        "close",
        "constraint",
        "call_result",
        "reply",
        "represented_by_attorney",
    )


def test_an_event_without_at_leaves_it_for_the_caller_to_fill_with_now() -> None:
    assert parse_event({"account_id": "A-1", "type": "paid"}).at is None


@pytest.mark.parametrize(
    ("at", "utc"),
    [
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        ("2026-03-01T07:00:00-05:00", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        ("2026-03-02T01:30:00+13:30", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_an_aware_at_is_converted_to_utc(at: str, utc: datetime) -> None:
    event = parse_event({"account_id": "A-1", "type": "paid", "at": at})

    assert event.at is not None
    assert event.at == utc
    assert event.at.tzinfo == UTC


ALL_TYPES = (
    "paid, payment, promise_to_pay, dispute, dispute_resolved, cease, opt_out, opt_in, "
    "conversation, contact_update, close, constraint, call_result, reply, represented_by_attorney"
)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "payment"}, "amount: is required for a payment event"),
        ({"type": "promise_to_pay"}, "until: is required for a promise_to_pay event"),
        (
            {"type": "promise_to_pay", "amount": "50"},
            "until: is required for a promise_to_pay event",
        ),
        ({"type": "opt_out"}, "channel: is required for an opt_out event"),
        ({"type": "opt_in"}, "channel: is required for an opt_in event"),
        ({"type": "conversation"}, "channel: is required for a conversation event"),
        ({"type": "close"}, "reason: is required for a close event"),
        (
            {"type": "close", "reason": "bored"},
            "reason: must be one of bankrupt, deceased, settled, recalled, other, not 'bored'",
        ),
        (
            {"type": "contact_update"},
            "a contact_update event needs at least one of "
            "name, locale, timezone, address, phones, emails",
        ),
        ({"type": "paid", "channel": "sms"}, "channel: does not apply to a paid event"),
        ({"type": "cease", "amount": "10"}, "amount: does not apply to a cease event"),
        (
            {"type": "payment", "amount": "10", "until": "2026-03-10"},
            "until: does not apply to a payment event",
        ),
        (
            {"type": "conversation", "channel": "voice", "address": "+14155550123"},
            "address: does not apply to a conversation event",
        ),
        (
            {"type": "opt_out", "channel": "sms", "reason": "asked"},
            "reason: does not apply to an opt_out event",
        ),
        (
            {"type": "contact_update", "address": "1 Market St"},
            "address: does not apply to a contact_update event",
        ),
        (
            {"type": "paid", "at": "2026-03-01T12:00:00"},
            "at: must carry a UTC offset, e.g. 2026-03-01T12:00:00Z",
        ),
        (
            {"type": "paid", "at": "last tuesday"},
            "at: must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
        ),
        ({"type": "bogus"}, f"type: must be one of {ALL_TYPES}, not 'bogus'"),
        ({"type": "Paid"}, f"type: must be one of {ALL_TYPES}, not 'Paid'"),
        (
            {"type": "opt_out", "channel": "fax"},
            "channel: must be one of sms, email, voice, visit, not 'fax'",
        ),
        (
            {"type": "payment", "amount": "ten"},
            "amount: must be a decimal string such as '125.50'",
        ),
        (
            {"type": "payment", "amount": "NaN"},
            "amount: must be a positive decimal string such as '125.50'",
        ),
        (
            {"type": "payment", "amount": "0"},
            "amount: must be a positive decimal string such as '125.50'",
        ),
        (
            {"type": "payment", "amount": "-5"},
            "amount: must be a positive decimal string such as '125.50'",
        ),
        (
            {"type": "promise_to_pay", "until": "next week"},
            "until: must be a date such as 2026-03-01",
        ),
        (
            {"type": "contact_update", "timezone": "Mars/Olympus"},
            "timezone: 'Mars/Olympus' is not an IANA time zone name such as America/New_York",
        ),
        (
            {"type": "contact_update", "phones": [{"number": "4155550123"}]},
            "phones.0.number: must be in E.164 form, starting with + and the country code",
        ),
        (
            {"type": "contact_update", "address": {"country": "USA"}},
            "postal_address.country: must be an ISO 3166-1 alpha-2 code such as US, CN or GB",
        ),
        ({"type": "paid", "amout": "10"}, "amout: is not a field of the event contract"),
        (
            {"type": "cease", "attorney": {"name": "Ada Counsel"}},
            "attorney: does not apply to a cease event",
        ),
        (
            {"type": "represented_by_attorney", "attorney": {"fax": "+16175550100"}},
            "attorney.fax: is not a field of the event contract",
        ),
        (
            {"type": "represented_by_attorney", "attorney": {"phone": "617 555 0100"}},
            "attorney.phone: must be in E.164 form, starting with + and the country code",
        ),
        (
            {"type": "represented_by_attorney", "attorney": {"email": "ada"}},
            "attorney.email: is not an email address",
        ),
    ],
)
def test_bad_events_are_refused_with_a_message_naming_the_field(
    fields: dict[str, Any], message: str
) -> None:
    err = event_error({"account_id": "A-1", **fields})

    assert str(err) == message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "paid"}, "account_id: is required in an event"),
        ({"account_id": "A-1"}, "type: is required in an event"),
        ({"account_id": "A 1", "type": "paid"}, f"account_id: {ID_RULE}"),
        ({"account_id": "a" * 129, "type": "paid"}, f"account_id: {ID_RULE}"),
        ({}, "account_id: is required in an event (and 1 more problem)"),
    ],
)
def test_an_event_needs_a_valid_account_id_and_a_type(data: dict[str, Any], message: str) -> None:
    assert str(event_error(data)) == message


def test_an_event_error_carries_its_source_and_field() -> None:
    err = event_error({"account_id": "A-1", "type": "payment"}, source="events.jsonl:12")

    assert str(err) == "events.jsonl:12: amount: is required for a payment event"
    assert (err.source, err.field, err.message) == (
        "events.jsonl:12",
        "amount",
        "is required for a payment event",
    )


def test_an_event_that_is_not_a_json_object_is_refused() -> None:
    assert str(event_error(["paid"], source="-:1")) == "-:1: an event must be a JSON object"


# --- outcomes -------------------------------------------------------------------------------

#: The outcome fields (docs/contracts.md, Outcome), in their order.
OUTCOME_KEYS = [
    "id",
    "at",
    "local_time",
    "account_id",
    "person_id",
    "debt_id",
    "schedule",
    "tier",
    "step",
    "channel",
    "outcome",
    "reason",
    "rule",
    "next_attempt_at",
    "provider",
    "provider_id",
    "template",
    "locale",
]


def a_deferred_outcome() -> Outcome:
    return Outcome(
        id="01HZX3",
        at="2026-03-02T03:00:00Z",
        local_time="2026-03-01T22:00:00-05:00",
        account_id="A-1",
        person_id="A-1",
        debt_id="A-1",
        schedule="standard@3",
        tier="early",
        step="day3-sms",
        channel="sms",
        outcome="deferred",
        reason="quiet_hours",
        rule="us-fdcpa/quiet-hours@1",
        next_attempt_at="2026-03-02T13:00:00Z",
        provider=None,
        provider_id=None,
        template="friendly_nudge",
        locale="en-US",
    )


def test_an_outcome_serialises_to_exactly_the_keys_of_the_contract() -> None:
    record = a_deferred_outcome().to_json_dict()

    assert list(record) == OUTCOME_KEYS


def test_an_outcome_serialises_its_values_unchanged_and_nulls_as_none() -> None:
    record = a_deferred_outcome().to_json_dict()

    assert record == {
        "id": "01HZX3",
        "at": "2026-03-02T03:00:00Z",
        "local_time": "2026-03-01T22:00:00-05:00",
        "account_id": "A-1",
        "person_id": "A-1",
        "debt_id": "A-1",
        "schedule": "standard@3",
        "tier": "early",
        "step": "day3-sms",
        "channel": "sms",
        "outcome": "deferred",
        "reason": "quiet_hours",
        "rule": "us-fdcpa/quiet-hours@1",
        "next_attempt_at": "2026-03-02T13:00:00Z",
        "provider": None,
        "provider_id": None,
        "template": "friendly_nudge",
        "locale": "en-US",
    }
    assert json.loads(json.dumps(record)) == record


@pytest.mark.parametrize(
    "kind",
    [
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "deferred",
        "suppressed",
        "skipped",
        "unknown",
        "answered",
        "voicemail",
        "opted_out",
    ],
)
def test_every_outcome_kind_of_the_contract_is_accepted(kind: str) -> None:
    record = a_deferred_outcome().model_copy(update={"outcome": kind})

    assert Outcome.model_validate(record.to_json_dict()).outcome == kind


def test_an_outcome_refuses_a_key_outside_the_contract() -> None:
    record = {**a_deferred_outcome().to_json_dict(), "cost": "0.0079"}

    with pytest.raises(ValidationError) as info:
        Outcome.model_validate(record)

    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("extra_forbidden", ("cost",))]
