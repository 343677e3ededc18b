"""Outcome counters for ``/metrics``, kept in Redis: the worker, the scheduler and the web service
are separate processes (often on separate machines), so no process can count alone.

``Results.publish`` adds one ``HINCRBY`` to the pipeline it already sends, so counting costs no
extra round trip. The hash ``keys.METRICS_OUTCOMES`` has one field per kind of outcome: the
outcome, channel, reason, rule and provider joined by ``FIELD_SEPARATOR``. Labels are kept few
on purpose, as every distinct field is a time series:

- the rule loses its version (``house/quiet-hours@2026-11-29`` counts as ``house/quiet-hours``),
  as a stated constraint's rule is versioned by the day it was stated;
- the reason is cut at its first ``:`` (``invalid_account: phones.0.number ...`` counts as
  ``invalid_account``) and to ``REASON_CHARS``, so free text never becomes a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import redis

from worker.storage import keys

#: Joins the parts of a counter's field; no outcome, channel, code or rule id holds it.
FIELD_SEPARATOR = "\x1f"
#: The longest reason kept as a label.
REASON_CHARS = 64


class OutcomeCount(NamedTuple):
    """One counter: how many outcomes of this kind were published."""

    outcome: str
    channel: str
    reason: str
    rule: str
    provider: str
    total: int


def field(record: Mapping[str, Any]) -> str:
    """The counter field an outcome record (``Outcome.to_json_dict()``) adds one to."""
    reason = (record.get("reason") or "").split(":", 1)[0].strip()[:REASON_CHARS]
    rule = (record.get("rule") or "").split("@", 1)[0]
    parts = (record["outcome"], record.get("channel") or "", reason, rule,
             record.get("provider") or "")  # fmt: skip
    return FIELD_SEPARATOR.join(p.replace(FIELD_SEPARATOR, " ") for p in parts)


def count(pipe: redis.client.Pipeline, record: Mapping[str, Any]) -> None:
    """Queue the increment of ``record``'s counter on ``pipe`` (sent with the publish)."""
    pipe.hincrby(keys.METRICS_OUTCOMES, field(record), 1)


def outcome_counts(client: redis.Redis) -> list[OutcomeCount]:
    """Every counter, sorted by its labels."""
    raw = cast("dict[str, str]", client.hgetall(keys.METRICS_OUTCOMES))
    rows = []
    for name, value in raw.items():
        parts = name.split(FIELD_SEPARATOR)
        if len(parts) == 5:  # a field written by another version is skipped, not misread
            outcome, channel, reason, rule, provider = parts
            rows.append(OutcomeCount(outcome, channel, reason, rule, provider, int(value)))
    return sorted(rows)
