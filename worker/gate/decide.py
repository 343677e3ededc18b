"""The gate's decision for one pending step, before the atomic reservation.

``evaluate`` reads the account state, the step, the applicable rules and the instant, and says
allow, defer (until when, why, which rule) or suppress (which rule). In order: lifecycle holds,
consent and opt-outs (with the step's fallback channel), then every rule of every applicable pack
(``worker.gate.engine``). Caps are checked again and written atomically with the at-most-once
claim when the message is sent (``worker.gate.caps``), because only that can be trusted when
two workers race.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from worker.accounts.lifecycle import hold
from worker.accounts.state import AccountState
from worker.accounts.zones import zone_names
from worker.cadence.schedule import Occurrence
from worker.gate.consent import reach
from worker.gate.engine import Context, Judgement, LogReader, Target, judge
from worker.gate.rules import Rule

Action = Literal["allow", "defer", "suppress"]


@dataclass(frozen=True)
class Decision:
    action: Action
    channel: str  # the channel that will be (or would have been) used, fallback applied
    reason: str | None = None
    rule: str | None = None
    at: datetime | None = None  # next attempt, when deferred
    recipient: str | None = None
    detail: str | None = None
    judgement: Judgement | None = None
    target: Target | None = None


def lifecycle_hold(state: AccountState, now: datetime, version: str) -> Decision | None:
    """Suppress or defer a step because of the account's lifecycle, or None to go on."""
    held = hold(state, now)
    if held is None:
        return None
    rule = f"lifecycle/{held.rule}@{version}"
    return Decision(held.action, "", held.reason, rule, at=held.until, detail=held.detail)


@dataclass(frozen=True)
class Setting:
    """What the schedule says about the rules: its version, collector type and U-rule mode."""

    version: str
    collector: str = "creditor"
    enforce_unverified: bool = False
    country: str | None = None  # whose rules apply when the account does not say


def evaluate(
    state: AccountState,
    step: Occurrence,
    rules: Sequence[Rule],
    now: datetime,
    *,
    opted_out: Set[str],
    opted_in: Set[str],
    read_logs: LogReader,
    setting: Setting,
) -> Decision:
    """Decide allow / defer / suppress for ``step`` at ``now`` (the reservation excepted)."""
    held = lifecycle_hold(state, now, setting.version)
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
        return Decision("suppress", step.channel, reason, f"consent/{reason}@{setting.version}")

    from worker.gate.packs.select import whereabouts

    where = whereabouts(state, now, setting.country)
    zones = zone_names(where.zones)
    country, region = where.primary
    target = Target(channel, found.recipient, found.kind, found.consent)
    ctx = Context(
        state,
        target,
        zones,
        zones[0],
        country,
        region,
        setting.collector,
        setting.enforce_unverified,
    )
    j = judge(rules, ctx, now, read_logs)
    d = j.deciding
    if j.action == "allow":
        return Decision("allow", channel, recipient=found.recipient, judgement=j, target=target)
    assert d is not None
    reason = d.reason or ("no_contact_window" if j.action == "suppress" else "quiet_hours")
    return Decision(j.action, channel, reason, d.rule, j.at, found.recipient, d.detail, j, target)
