"""The rule engine: every applicable rule judged for one step at one instant.

``judge`` evaluates the rules of every applicable pack (the house policy included) and the
person's stated constraints, and combines them most-restrictively: a block wins; otherwise the
step waits for the earliest instant at which every time rule (hours, days, cooldowns, caps)
allows it at once, found by moving forward to the latest "not before" until all agree. Each rule
gets a ``Check`` (allow, defer, block, warn or n/a) so ``remind explain`` and the audit log can
show why. A rule marked U (unverified) only warns unless the schedule enforces unverified rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from worker.accounts.state import AccountState
from worker.cadence.policy import BlockedDays, Window
from worker.gate.caps import CapSpec
from worker.gate.counters import cap_key, cap_retry, cap_spec, cap_text, local_midnight
from worker.gate.hours import earliest_allowed
from worker.gate.notes import info_check
from worker.gate.prepared import ALL_DAY, Prepared, enforced, prepare
from worker.gate.rules import Rule
from worker.gate.stated import stated_rules
from worker.gate.types import Check, Judgement, LogReader, Target, Verdict

# The value types live in worker.gate.types; they are re-exported for the callers that still
# import them from here (worker.gate.decide, worker.dispatch.pipeline).
__all__ = [
    "MAX_ROUNDS",
    "Check",
    "Context",
    "Judgement",
    "LogReader",
    "Target",
    "enforced",
    "judge",
]

#: Searches that need more rounds than this are treated as finding no contact window.
MAX_ROUNDS = 40
_ALL_DAY = ALL_DAY
_NO_DAYS = BlockedDays()


@dataclass(frozen=True)
class Context:
    """Everything ``judge`` reads besides the rules."""

    state: AccountState
    target: Target
    zones: Sequence[str]
    zone: str  # primary zone: calendar days are counted here; cooldown days in every zone
    country: str | None
    region: str | None
    collector: str
    enforce_unverified: bool


@dataclass(frozen=True)
class _Plan:
    """What the time checks need: the prepared rules and the caps' counters, worked out once
    per decision (neither changes from one instant of the deferral search to the next)."""

    rules: Prepared
    caps: tuple[tuple[Rule, str, bool], ...]  # cap rules, their counters, enforced or not


def judge(rules: Sequence[Rule], ctx: Context, now: datetime, read_logs: LogReader) -> Judgement:
    """Evaluate ``rules`` (and the stated constraints) for ``ctx`` at ``now``."""
    target = ctx.target
    p = prepare(
        rules,
        stated_rules(ctx.state, now),
        target.channel,
        ctx.collector,
        target.kind,
        ctx.enforce_unverified,
    )
    checks: list[Check] = []

    # Blocks: consent rules (F12, stated refusals).
    blocks: list[Check] = []
    for r, on in p.consent:
        ok = _consent_ok(r, target)
        verdict: Verdict = "allow" if ok else ("block" if on else "warn")
        reason = None if ok else ("stated_constraint" if r.pack == "person" else "no_consent")
        check = Check(r.ref, r.kind, verdict, reason, detail=r.title)
        checks.append(check)
        if verdict == "block":
            blocks.append(check)

    caps: list[tuple[Rule, str, bool]] = []
    for r, on in p.caps:
        key = cap_key(r, ctx.state, target)
        if key is not None:
            caps.append((r, key, on))
    logs = read_logs([k for _, k, _ in caps]) if caps else {}

    plan = _Plan(p, tuple(caps))
    at_now = [cap_spec(r, k, now, ctx.zone) for r, k, _ in caps]  # counted as of now
    first = _time_checks(plan, ctx, now, logs, at_now)
    checks.extend(first)
    content = p.content
    checks.extend(p.content_checks)
    checks.extend(info_check(r, ctx.state, target.channel) for r in p.info)
    specs = tuple((r, s) for (r, _, on), s in zip(caps, at_now, strict=True) if on)
    loose = tuple((r, s) for (r, _, on), s in zip(caps, at_now, strict=True) if not on)
    if blocks:
        return Judgement("suppress", tuple(checks), blocks[0], None, specs, loose, content)
    waiting = [c for c in first if c.verdict == "defer"]
    if not waiting:
        return Judgement("allow", tuple(checks), None, now, specs, loose, content)
    empty = next((c for c in waiting if c.at is None), None)
    if empty is not None:
        return Judgement("suppress", tuple(checks), empty, None, specs, loose, content)
    # Move forward until every time rule agrees; the deciding rule is the latest blocker now.
    # Later rounds only ask whether and until when each rule defers: no texts are built.
    deciding = max(waiting, key=lambda c: c.at or now)
    t = deciding.at
    for _ in range(MAX_ROUNDS):
        assert t is not None
        at_t = _time_checks(plan, ctx, t, logs, None, explain=False)
        later = [c for c in at_t if c.verdict == "defer"]
        if not later:
            return Judgement("defer", tuple(checks), deciding, t, specs, loose, content)
        if any(c.at is None for c in later):
            break
        t = max(c.at for c in later if c.at is not None)
    detail = "no instant satisfies every rule together"
    gone = replace(deciding, reason="no_contact_window", at=None, detail=detail)
    return Judgement("suppress", tuple(checks), gone, None, specs, loose, content)


def _consent_ok(rule: Rule, target: Target) -> bool:
    if rule.requires == "never":
        return False  # a stated refusal that matched this channel and kind
    if rule.requires == "work_email_consent":
        return target.kind != "work" or target.consent
    return True


def _time_checks(
    plan: _Plan,
    ctx: Context,
    t: datetime,
    logs: Mapping[str, list[float]],
    specs: Sequence[CapSpec] | None,
    *,
    explain: bool = True,
) -> list[Check]:
    """The time rules' checks at instant ``t``: hours, days, cooldowns and caps.

    ``specs``: the caps' specs as counted at ``t`` when the caller has them already.
    ``explain=False`` is for the deferral search, which only asks whether and until when the
    rules defer: no texts, and no check of each hours and days rule alone, because the combined
    search answers for all of them (its instant satisfies each enforced window and day, so none
    alone opens later; one that finds nothing alone leaves nothing for all together either).
    """
    out: list[Check] = []
    for r, on in plan.rules.clock:
        if r.kind == "cooldown":
            out.append(_cooldown_check(r, on, ctx, t))
        elif explain:
            out.append(_clock_check(r, on, ctx, t))
    # the combined search: every enforced window and day rule at once
    together = earliest_allowed(
        t,
        ctx.zones,
        plan.rules.window,
        plan.rules.blocked,
        country=ctx.country,
        region=ctx.region,
        excluded=plan.rules.excluded,
        explain=explain,
    )
    if not together.allowed:
        culprits = [c for c in out if c.verdict == "defer"]
        if not culprits or together.at is None:
            out.append(
                Check(
                    "gate/combined-hours@1",
                    "hours",
                    "defer",
                    together.reason or "quiet_hours",
                    together.at,
                    together.detail,
                )
            )
        elif all(c.at is not None and together.at > c.at for c in culprits):
            out.append(
                Check(
                    culprits[0].rule,
                    "hours",
                    "defer",
                    culprits[0].reason,
                    together.at,
                    "together with the other windows and days",
                )
            )
    for i, (r, key, on) in enumerate(plan.caps):
        spec = specs[i] if specs is not None else cap_spec(r, key, t, ctx.zone)
        retry = cap_retry(r, spec, logs.get(key, []), t, ctx.zone)
        if retry is None:
            out.append(Check(r.ref, "cap", "allow", detail=cap_text(r)))
        else:
            out.append(Check(r.ref, "cap", "defer" if on else "warn", "cap", retry, cap_text(r)))
    return out


def _clock_check(r: Rule, on: bool, ctx: Context, t: datetime) -> Check:
    window: Window | None = _ALL_DAY
    blocked: BlockedDays = _NO_DAYS
    excluded: tuple[Window, ...] = ()
    if r.kind == "hours" and r.pack == "person":
        assert r.window is not None
        excluded = (r.window,)
    elif r.kind == "hours":
        window = r.window
    else:
        blocked = r.blocked or _NO_DAYS
    d = earliest_allowed(
        t,
        ctx.zones,
        window,
        blocked,
        country=ctx.country,
        region=ctx.region,
        excluded=excluded,
    )
    if d.allowed:
        return Check(r.ref, r.kind, "allow", detail=str(r.window) if r.window else r.title)
    return Check(r.ref, r.kind, "defer" if on else "warn", d.reason, d.at, d.detail)


def _cooldown_check(r: Rule, on: bool, ctx: Context, t: datetime) -> Check:
    """No contact from the event's local day (day 1) through day ``days``."""
    until: datetime | None = None
    for c in ctx.state.conversations:
        if r.channels and c.channel not in r.channels:
            continue
        if c.at > t:
            continue
        # the conversation's day is day 1 wherever the person may be: the cooldown ends when
        # it has ended in every candidate zone (the latest local midnight)
        for zone in dict.fromkeys((ctx.zone, *ctx.zones)):
            day1 = c.at.astimezone(ZoneInfo(zone)).date()
            end = local_midnight(day1 + timedelta(days=r.days or 7), zone)
            if t < end and (until is None or end > until):
                until = end
    if until is None:
        return Check(r.ref, r.kind, "allow", detail=r.title)
    return Check(
        r.ref,
        r.kind,
        "defer" if on else "warn",
        "cooldown",
        until,
        f"a conversation started a {r.days}-day cooldown",
    )
