"""An account's recent outcomes as its list in Redis keeps them (``keys.recent_outcomes``).

An outcome record of the account's recent list is a JSON array: ``RECENT_FORMAT``, then the
fields of the outcome contract in its order (``OUTCOME_FIELDS``), the trailing nulls left out.
Parts the list's key or the record itself gives are written short and put back on reading:
``0`` for the list's account, the list's person, a debt that is the account, a tier that is
the step's first part, a provider id that is the account's dispatch id (``<account>:<step>:<n>``
is written ``n``, an int); instants as epoch seconds; ``local_time`` as its UTC offset in
minutes; a rule versioned like the schedule as ``pack/rule@``; a 32-hex-digit id as 22
characters of base64. A value that does not round-trip exactly is written as it is, so a
record always reads back equal. A JSON object is a record as older versions wrote it.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic_core import from_json, to_json

from worker.errors import StateError

#: The compact format of a recent outcome record (its array's first element).
RECENT_FORMAT = 1
#: The fields of an outcome record, in the contract's order (docs/contracts.md, Outcome).
OUTCOME_FIELDS = (
    "id", "at", "local_time", "account_id", "person_id", "debt_id", "schedule", "tier", "step",
    "channel", "outcome", "reason", "rule", "next_attempt_at", "provider", "provider_id",
    "template", "locale",
)  # fmt: skip
_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def encode_outcome(record: dict[str, Any]) -> str:
    """An outcome record (``Outcome.to_json_dict``) as its account's recent list keeps it."""
    account, step = record.get("account_id"), record.get("step")
    values: list[Any] = [record.get(name) for name in OUTCOME_FIELDS]
    short = dict(zip(OUTCOME_FIELDS, values, strict=True))
    short["id"] = _short_id(short["id"])
    at = _epoch(short["at"])
    if at is not None:
        short["local_time"] = _offset(at, short["local_time"])
        short["at"] = at
    retry = _epoch(short["next_attempt_at"])
    if retry is not None:
        short["next_attempt_at"] = retry
    short["account_id"] = 0  # the list's own account: checked by ``decode_outcome``'s caller
    short["person_id"] = 0 if record.get("person_id") else None
    if short["debt_id"] is not None and short["debt_id"] == account:
        short["debt_id"] = 0
    if step and short["tier"] is not None and short["tier"] == step.split(".", 1)[0]:
        short["tier"] = 0
    version = _version(short["schedule"])
    rule = short["rule"]
    if isinstance(rule, str) and rule.endswith("@"):
        short["rule"] = ["=", rule]  # as it is: a short rule ends with "@"
    elif version and isinstance(rule, str) and rule.endswith("@" + version):
        short["rule"] = rule[: -len(version)]
    provider_id = short["provider_id"]
    if isinstance(provider_id, str) and step and provider_id.startswith(f"{account}:{step}:"):
        attempt = provider_id[len(f"{account}:{step}:") :]
        if attempt.isdigit() and str(int(attempt)) == attempt:
            short["provider_id"] = int(attempt)
    out: list[Any] = [RECENT_FORMAT, *short.values()]
    while out[-1] is None:
        out.pop()
    return to_json(out).decode()


def decode_outcome(raw: str | bytes, person_id: str, account_id: str) -> dict[str, Any]:
    """A record of the recent list of ``person_id``'s ``account_id``, as it was published."""
    raw = raw.decode() if isinstance(raw, bytes) else raw
    if not raw.startswith("["):
        whole: dict[str, Any] = from_json(raw)
        return whole
    values = from_json(raw)
    if values[0] != RECENT_FORMAT:
        raise StateError(f"recent outcome in format {values[0]!r}: this version reads 1")
    values = values[1:] + [None] * (len(OUTCOME_FIELDS) + 1 - len(values))
    record = dict(zip(OUTCOME_FIELDS, values, strict=True))
    record["id"] = _long_id(record["id"])
    if isinstance(record["at"], int):
        at = record["at"]
        record["at"] = _utc(at)
        if isinstance(record["local_time"], int):
            zone = timezone(timedelta(minutes=record["local_time"]))
            record["local_time"] = datetime.fromtimestamp(at, zone).isoformat()
    if isinstance(record["next_attempt_at"], int):
        record["next_attempt_at"] = _utc(record["next_attempt_at"])
    record["account_id"] = account_id
    record["person_id"] = person_id if record["person_id"] == 0 else record["person_id"]
    step = record["step"]
    if record["debt_id"] == 0:
        record["debt_id"] = account_id
    if record["tier"] == 0 and step:
        record["tier"] = step.split(".", 1)[0]
    version = _version(record["schedule"])
    if isinstance(record["rule"], list):
        record["rule"] = record["rule"][1]
    elif version and isinstance(record["rule"], str) and record["rule"].endswith("@"):
        record["rule"] += version
    if isinstance(record["provider_id"], int):
        record["provider_id"] = f"{account_id}:{step}:{record['provider_id']}"
    return record


def _short_id(value: Any) -> Any:
    if isinstance(value, str) and _HEX_ID.fullmatch(value):
        return base64.urlsafe_b64encode(bytes.fromhex(value)).decode().rstrip("=")
    return ["=", value]  # anything else, as it is


def _long_id(value: Any) -> Any:
    if isinstance(value, list):
        return value[1]
    return base64.urlsafe_b64decode(value + "==").hex()


def _epoch(text: Any) -> int | None:
    """Epoch seconds of a UTC instant written ``YYYY-MM-DDTHH:MM:SSZ``; None for another text."""
    if not isinstance(text, str) or not _UTC_TEXT.fullmatch(text):
        return None
    try:
        return int(datetime.fromisoformat(text[:-1] + "+00:00").timestamp())
    except ValueError:  # no such day or time
        return None


def _utc(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()[:-6] + "Z"


def _offset(at: int, local: Any) -> Any:
    """``local`` (the instant ``at`` in the person's zone) as its offset in minutes, if that
    gives it back exactly."""
    if not isinstance(local, str):
        return local
    try:
        offset = datetime.fromisoformat(local).utcoffset()
    except ValueError:
        return local
    if offset is None:
        return local
    minutes = int(offset.total_seconds() // 60)
    again = datetime.fromtimestamp(at, timezone(timedelta(minutes=minutes))).isoformat()
    return minutes if again == local else local


def _version(schedule: Any) -> str | None:
    if isinstance(schedule, str) and "@" in schedule:
        return schedule.rsplit("@", 1)[1] or None
    return None
