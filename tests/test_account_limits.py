"""Account fields have length limits at intake: an oversized field is refused, naming it."""

from __future__ import annotations

from typing import Any

import pytest

from worker.contracts.validation import parse_account
from worker.errors import InvalidInput

BASE: dict[str, Any] = {"account_id": "a-1", "schedule": "standard", "due_date": "2026-03-02"}


@pytest.mark.parametrize(
    ("fields", "field", "why"),
    [
        ({"name": "x" * 1_000_000}, "name", "at most 200 characters, not 1000000"),
        ({"creditor": "x" * 201}, "creditor", "at most 200 characters"),
        ({"reference": "x" * 129}, "reference", "at most 128 characters"),
        ({"payment_url": "https://x/" + "x" * 2000}, "payment_url", "at most 2000 characters"),
        ({"address": {"line1": "x" * 201}}, "address.line1", "at most 200 characters"),
        ({"emails": [{"address": "a@" + "x" * 250 + ".com"}]}, "emails.0.address", "not an email"),
        ({"vars": {"note": "x" * 1001}}, "vars", "'note': must be at most 1000 characters"),
        ({"vars": {"items": ["x" * 600, "y" * 600]}}, "vars", "'items': must be at most 1000"),
        ({"vars": {f"k{i}": 1 for i in range(51)}}, "vars", "at most 50 variables"),
        ({"vars": {"k" * 65: 1}}, "vars", "a name of at most 64 characters"),
    ],
)
def test_an_oversized_field_is_refused_naming_the_field(
    fields: dict[str, Any], field: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_account({**BASE, **fields})
    assert caught.value.field == field
    assert why in str(caught.value)


def test_fields_at_their_limits_are_accepted() -> None:
    account = parse_account(
        {
            **BASE,
            "name": "x" * 200,
            "creditor": "c" * 200,
            "reference": "r" * 128,
            "vars": {"note": "n" * 1000, **{f"k{i}": i for i in range(49)}},
        }
    )
    assert account.name == "x" * 200
    assert len(account.vars) == 50
