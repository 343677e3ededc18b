"""The doors for untrusted input: pydantic's errors become one ``InvalidInput`` naming the field.

``parse_account`` and ``parse_event`` are what intake, the CLI and the web service call; every
message reads ``<field>: must be ...`` (``phones.0.number: must be in E.164 form``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from worker.contracts.account import Account
from worker.contracts.event import Event, _a, _FieldMissing
from worker.errors import InvalidInput


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) if loc else "(record)"


#: pydantic's own wording ("Input should be a valid date or datetime, input is too short") in the
#: phrasing of the contract's messages, so every error reads "<field>: must be ...".
_PLAIN_MESSAGES = {
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "date_type": "must be a date such as 2026-03-01",
    "date_parsing": "must be a date such as 2026-03-01",
    "date_from_datetime_parsing": "must be a date such as 2026-03-01",
    "date_from_datetime_inexact": "must be a date such as 2026-03-01, without a time",
    "datetime_type": "must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
    "datetime_parsing": "must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
    "datetime_from_date_parsing": "must be an instant with a UTC offset, e.g. 2026-03-01T12:00:00Z",
}


def _plain_message(error: Any) -> str:
    kind = error.get("type")
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", (error.get("ctx") or {}).get("expected", ""))
        got = error.get("input")
        suffix = f", not {got!r}" if isinstance(got, str) else ""
        return f"must be one of {', '.join(options)}{suffix}"
    if kind == "bool_type" and "input" in error:
        return f"must be true or false, not {error['input']!r}"
    if kind in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[kind]
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def _raise_invalid(err: ValidationError, kind: str, source: str | None) -> None:
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _FieldMissing):
        field, msg = ctx_error.field, str(ctx_error)
    else:
        field = _field_path(loc)
        msg = _plain_message(first)
        if first.get("type") == "missing":
            msg = f"is required in {_a(kind)}"
        elif first.get("type") == "extra_forbidden":
            msg = f"is not a field of the {kind} contract"
    more = len(err.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    raise InvalidInput(msg, field=field, source=source) from None


def parse_account(data: Any, source: str | None = None) -> Account:
    """Validate an account JSON object; raise ``InvalidInput`` naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("an account must be a JSON object", source=source)
    try:
        return Account.model_validate(data)
    except ValidationError as err:
        _raise_invalid(err, "account", source)
        raise AssertionError("unreachable") from None


def repeated_account_ids(rows: Iterable[tuple[str, Any]]) -> list[str]:
    """One problem per row whose ``account_id`` an earlier row of the same input already had.

    A file is one row per account: a second row would silently replace the first (last wins),
    so callers refuse the input instead, naming both lines.
    """
    first: dict[str, str] = {}
    problems = []
    for source, data in rows:
        account_id = data.get("account_id") if isinstance(data, dict) else None
        if not isinstance(account_id, str):
            continue  # a missing or malformed id is parse_account's to report
        if account_id in first:
            problems.append(
                str(
                    InvalidInput(
                        f"{account_id!r} is also at {first[account_id]}; give each account once",
                        field="account_id",
                        source=source,
                    )
                )
            )
        else:
            first[account_id] = source
    return problems


def parse_event(data: Any, source: str | None = None) -> Event:
    """Validate an event JSON object; raise ``InvalidInput`` naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("an event must be a JSON object", source=source)
    data = dict(data)
    # contact_update may carry the postal address under its account-contract name.
    if data.get("type") == "contact_update" and isinstance(data.get("address"), dict):
        data["postal_address"] = data.pop("address")
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        _raise_invalid(err, "event", source)
        raise AssertionError("unreachable") from None
