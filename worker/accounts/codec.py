"""How an account state is written to Redis, and read back in every format ever written.

The compact format (``FORMAT``) is JSON, so ``redis-cli GET`` still shows it, in fewer bytes
than the full model dump older versions wrote (~1,050 B for a demo account, ~430 B now):

- a field holding its default (``None``, ``[]``, ``0``, ``"active"``, ``False``...) is left out
  and comes back as that default: the defaults of the stored models are therefore part of the
  format (``tests/test_codec.py`` pins them), and changing one needs a new format number;
- field names are shortened by the tables below (a field missing from a table, e.g. one added
  later, keeps its own name; the short names clash with no field name of the same model);
- the state's ``schedule`` is left out when it is the account's (it always is, but for a state
  written by hand);
- the object starts with ``"~":FORMAT``; a value without that head is the full JSON of older
  versions and is read as before (``AccountState.model_validate_json``).

The values of ``account.vars``, the lists of payments, conversations, constraints and plans keep
their own field names: they are rare and their models are free to grow.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json, to_json

from worker.accounts.state import AccountState
from worker.contracts.account import STORED
from worker.errors import StateError

#: The compact format written now.
FORMAT = 2
#: Head of a compact value: its first key holds the format number.
_HEAD = '{"~":'

#: A table: long field name -> (short name, table of the nested object or objects, if any).
Table = dict[str, tuple[str, "Table | None"]]

ADDRESS: Table = {
    "country": ("c", None),
    "region": ("r", None),
    "postal_code": ("p", None),
    "city": ("t", None),
    "line1": ("l", None),
}
PHONE: Table = {
    "number": ("n", None),
    "kind": ("k", None),
    "sms_consent": ("s", None),
    "voice_consent": ("v", None),
}
EMAIL: Table = {"address": ("a", None), "kind": ("k", None), "consent": ("c", None)}
BALANCE: Table = {"amount": ("a", None), "currency": ("c", None)}
ACCOUNT: Table = {
    "account_id": ("i", None),
    "schedule": ("s", None),
    "due_date": ("d", None),
    "person_id": ("p", None),
    "debt_id": ("b", None),
    "name": ("n", None),
    "locale": ("l", None),
    "timezone": ("z", None),
    "address": ("a", ADDRESS),
    "phones": ("ph", PHONE),
    "emails": ("em", EMAIL),
    "balance": ("ba", BALANCE),
    "creditor": ("c", None),
    "reference": ("r", None),
    "payment_url": ("u", None),
    "vars": ("v", None),
}
STATE: Table = {
    "account": ("a", ACCOUNT),
    "schedule": ("s", None),
    "version": ("v", None),
    "status": ("st", None),
    "status_reason": ("sr", None),
    "close_reason": ("cr", None),
    "paused_until": ("pu", None),
    "cursor": ("c", None),
    "due_at": ("d", None),
    "attempt": ("n", None),
    "enrolled_at": ("e", None),
    "updated_at": ("u", None),
    "payments": ("pa", None),
    "conversations": ("co", None),
    "constraints": ("cs", None),
    "sent_count": ("sc", None),
    "disclosed": ("di", None),
    "communicated": ("cm", None),
    "disclosing_calls": ("dc", None),
    "last_call": ("lc", None),
    "plan": ("pl", None),
    "settlement": ("se", None),
    "queued": ("q", None),
    "queued_serial": ("qs", None),
}


def encode_state(state: AccountState) -> str:
    """``state`` in the compact format."""
    data = state.model_dump(mode="json", exclude_defaults=True)
    if data.get("schedule") == data["account"]["schedule"]:
        del data["schedule"]
    body = _shorten(data, STATE)
    return to_json({"~": FORMAT, **body}).decode()


def decode_state(raw: str | bytes) -> AccountState:
    """The state in ``raw``, written in the compact format or as the full JSON of older
    versions; ``StateError`` for a format newer than this version reads."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    if not text.startswith(_HEAD):
        return AccountState.model_validate_json(text)
    data = from_json(text)
    written = data.pop("~")
    if written != FORMAT:
        raise StateError(
            f"account state in format {written!r}: this version reads format {FORMAT} and the "
            "full JSON of older versions"
        )
    full = _expand(data, STATE)
    if "schedule" not in full and isinstance(full.get("account"), dict):
        full["schedule"] = full["account"].get("schedule")
    # what ``encode_state`` wrote was validated on its way in: its phone numbers are in E.164
    # already and are not parsed again (~0.08 ms a dispatch); everything else is validated
    return AccountState.model_validate(full, context=_STORED_CONTEXT)


def _shorten(data: dict[str, Any], table: Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        short, nested = table.get(name, (name, None))
        out[short] = _each(value, nested, _shorten) if nested else value
    return out


def _expand(data: dict[str, Any], table: Table) -> dict[str, Any]:
    longs = _LONGS[id(table)]
    out: dict[str, Any] = {}
    for short, value in data.items():
        name, nested = longs.get(short, (short, None))
        out[name] = _each(value, nested, _expand) if nested else value
    return out


def _reversed(table: Table, into: dict[int, dict[str, tuple[str, Any]]]) -> None:
    into[id(table)] = {short: (name, nested) for name, (short, nested) in table.items()}
    for _, nested in table.values():
        if nested is not None and id(nested) not in into:
            _reversed(nested, into)


#: Each table's short name -> (long name, nested table), by the table's id (built once).
_LONGS: dict[int, dict[str, tuple[str, Any]]] = {}
_reversed(STATE, _LONGS)
_STORED_CONTEXT = {STORED: True}


def _each(value: Any, table: Table, apply: Any) -> Any:
    """``apply`` to an object, or to each object of a list (other values as they are)."""
    if isinstance(value, dict):
        return apply(value, table)
    if isinstance(value, list):
        return [apply(v, table) if isinstance(v, dict) else v for v in value]
    return value
