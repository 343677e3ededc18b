"""The gate's decision for one pending step, before caps: lifecycle, consent, time.

``evaluate`` is pure: it reads the account state, the step, the rule packs and the instant, and
says allow, defer (until when, why) or suppress (which rule). Caps and the at-most-once claim
come after an ``allow``, in one atomic Lua call (``worker.gate.caps``), because they must be
checked and written together.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from worker.cadence import Occurrence
from worker.gate.consent import reach
from worker.gate.hours import candidate_zones, earliest_allowed, person_country
from worker.gate.packs import RulePack, combined_blocked_days, combined_window, window_rule
from worker.state import AccountState

Action = Literal["allow", "defer", "suppress"]

#: Stop reasons that end the cadence for good.
FINAL_REASONS = frozenset({"paid", "ceased", "closed"})


@dataclass(frozen=True)
class Decision:
    action: Action
    channel: str  # the channel that will be (or would have been) used, fallback applied
    reason: str | None = None
    rule: str | None = None
    at: datetime | None = None  # next attempt, when deferred
    recipient: str | None = None
    detail: str | None = None


def lifecycle_hold(state: AccountState, now: datetime, version: str) -> Decision | None:
    """Suppress or defer a step because of the account's lifecycle, or None to go on."""
    rule = f"lifecycle/{{}}@{version}"
    if state.status == "stopped":
        reason = (state.status_reason or "ceased").split(":")[0]
        return Decision("suppress", "", reason, rule.format(reason), detail=state.status_reason)
    if state.status == "held":
        return Decision("suppress", "", "disputed", rule.format("dispute"))
    if state.status == "paused" and state.paused_until and now < state.paused_until:
        return Decision(
            "defer", "", "promise_to_pay", rule.format("promise_to_pay"), at=state.paused_until
        )
    return None


def evaluate(
    state: AccountState,
    step: Occurrence,
    packs: Sequence[RulePack],
    now: datetime,
    *,
    opted_out: Set[str],
    opted_in: Set[str],
) -> Decision:
    """Decide allow / defer / suppress for ``step`` at ``now`` (caps excepted)."""
    version = packs[0].version if packs else state.version
    held = lifecycle_hold(state, now, version)
    if held is not None:
        return Decision(
            held.action, step.channel, held.reason, held.rule, held.at, None, held.detail
        )

    account = state.account
    channel = step.channel
    found = reach(account, channel, opted_out, opted_in)
    if found.recipient is None and step.fallback:
        fallback = reach(account, step.fallback, opted_out, opted_in)
        if fallback.recipient is not None:
            channel, found = step.fallback, fallback
    if found.recipient is None:
        reason = found.reason or "invalid_contact"
        return Decision("suppress", step.channel, reason, f"consent/{reason}@{version}")

    zones = [c.zone for c in candidate_zones(account)]
    country = person_country(account)
    region = account.address.region if account.address else None
    window = combined_window(packs, channel)
    timing = earliest_allowed(
        now, zones, window, combined_blocked_days(packs), country=country, region=region
    )
    if timing.allowed:
        return Decision("allow", channel, recipient=found.recipient)
    if timing.at is None:
        rule = packs[0].rule("quiet-hours") if packs else None
        return Decision(
            "suppress",
            channel,
            timing.reason or "no_contact_window",
            rule,
            recipient=found.recipient,
            detail=timing.detail,
        )
    if timing.reason == "quiet_hours" and timing.zone:
        local = now.astimezone(ZoneInfo(timing.zone)).time()
        rule = window_rule(packs, channel, local)
    else:
        rule_id = "public-holidays" if timing.reason == "holiday" else "blocked-days"
        rule = packs[0].rule(rule_id) if packs else None
    return Decision(
        "defer", channel, timing.reason, rule, timing.at, found.recipient, timing.detail
    )
