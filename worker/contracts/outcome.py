"""The outcome contract (docs/contracts.md, "Outcome"): one recorded decision or result."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from worker.contracts.vocab import Channel

OutcomeKind = Literal[
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
    "rejected",
    "review",
    "inbound",
    "opted_in",
    "migrated",
]


class Outcome(BaseModel):
    """One recorded decision or delivery result (docs/contracts.md, Outcome)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    at: str
    local_time: str | None
    account_id: str
    person_id: str | None
    debt_id: str | None
    schedule: str | None
    tier: str | None
    step: str | None
    channel: Channel | None
    outcome: OutcomeKind
    reason: str | None
    rule: str | None
    next_attempt_at: str | None
    provider: str | None
    provider_id: str | None
    template: str | None
    locale: str | None

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
