"""How `remind event` options become an event object (docs/contracts.md, Event)."""

from __future__ import annotations

import pytest

from worker.cli.intake import event_fields
from worker.contracts.validation import parse_event
from worker.errors import InvalidInput

NONE = dict.fromkeys(
    ("at", "amount", "until", "channel", "address", "reason", "result", "dispatch_id", "text",
     "debts", "name", "locale", "timezone", "kind", "start", "end", "weekdays", "country",
     "region"),
)  # fmt: skip


def fields(type_: str, extra_json: str | None = None, **given: object) -> dict[str, object]:
    return event_fields("A-1", type_, {**NONE, **given}, extra_json)


def test_constraint_options_build_the_constraint_object() -> None:
    data = fields("constraint", kind="inconvenient_days", weekdays=["sunday", "saturday"],
                  channel="voice", until="2026-04-01")  # fmt: skip
    assert data == {
        "account_id": "A-1",
        "type": "constraint",
        "until": "2026-04-01",
        "constraint": {"kind": "inconvenient_days", "weekdays": ["sunday", "saturday"],
                       "channel": "voice"},
    }  # fmt: skip
    parsed = parse_event(data)
    assert parsed.constraint is not None and parsed.constraint.channel == "voice"


def test_channel_and_timezone_stay_the_events_own_for_other_types() -> None:
    assert fields("opt_out", channel="sms") == {"account_id": "A-1", "type": "opt_out",
                                                "channel": "sms"}  # fmt: skip
    assert fields("contact_update", timezone="Europe/London")["timezone"] == "Europe/London"


def test_json_gives_fields_without_an_option_and_options_win_over_it() -> None:
    data = fields(
        "constraint",
        '{"constraint": {"kind": "no_work_calls"}, "until": "2026-01-01"}',
        until="2026-05-01",
    )
    assert data["constraint"] == {"kind": "no_work_calls"}
    assert data["until"] == "2026-05-01"
    phones = '{"phones": [{"number": "+12125550199", "sms_consent": true}]}'
    assert parse_event(fields("contact_update", phones)).phones is not None


@pytest.mark.parametrize(
    ("type_", "extra_json", "given", "field", "message"),
    [
        ("paid", None, {"kind": "no_work_calls"}, "--kind", "is only for a constraint event"),
        ("opt_out", None, {"weekdays": ["sunday"]}, "--weekday", "is only for a constraint event"),
        ("paid", "{nope", {}, "--json", "is not valid JSON"),
        ("paid", "[1]", {}, "--json", "must be a JSON object of event fields"),
    ],
)
def test_misplaced_options_are_refused_by_name(
    type_: str, extra_json: str | None, given: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        fields(type_, extra_json, **given)
    assert raised.value.field == field
    assert message in str(raised.value)
