"""The rule engine: every applicable rule judged for one step at one instant.

``judge`` evaluates the rules of every applicable pack (the house policy included) and the
person's stated constraints, and combines them most-restrictively: a block wins; otherwise the
step waits for the earliest instant at which every time rule (hours, days, cooldowns, caps)
allows it at once, found by moving forward to the latest "not before" until all agree. Each rule
gets a ``Check`` (allow, defer, block, warn or n/a) so ``remind explain`` and the audit log can
show why. A rule marked U (unverified) only warns unless the schedule enforces unverified rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from worker import keys
from worker.gate.caps import CapSpec
from worker.gate.hours import earliest_allowed
from worker.gate.rules import Rule
from worker.policy import BlockedDays, Window, combine_windows
from worker.state import AccountState

Verdict = Literal["allow", "defer", "block", "warn", "n/a"]
#: Searches that need more rounds than this are treated as finding no contact window.
MAX_ROUNDS = 40
_ALL_DAY = Window(time(0, 0), time(23, 59, 59, 999999))

#: A reader of cap logs: key -> the send instants (epoch seconds) it holds, ascending.
LogReader = Callable[[Sequence[str]], Mapping[str, list[float]]]


@dataclass(frozen=True)
class Check:
    """One rule's verdict on the step at the instant asked."""

    rule: str
    kind: str
    verdict: Verdict
    reason: str | None = None
    at: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Judgement:
    """The combined decision and every rule's check."""

    action: Literal["allow", "defer", "suppress"]
    checks: tuple[Check, ...]
    deciding: Check | None = None
    at: datetime | None = None
    #: caps to reserve atomically at send time (enforced), and U caps to count after it
    specs: tuple[tuple[Rule, CapSpec], ...] = ()
    unverified_specs: tuple[tuple[Rule, CapSpec], ...] = ()
    #: content checks the rendered message must pass, and the rules requiring them
    content: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Target:
    """Who the step would reach: channel, address, and what kind of contact it is."""

    channel: str
    address: str
    kind: str | None  # mobile | landline | work (phones), personal | work (emails), None
    consent: bool


def enforced(rule: Rule, enforce_unverified: bool) -> bool:
    return rule.certainty != "U" or enforce_unverified


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def cap_key(rule: Rule, state: AccountState, target: Target) -> str | None:
    """The counter this rule keeps for this target, or None when the rule does not apply."""
    if rule.per == "person":
        scope = "person"
    elif rule.per == "debt":
        scope = f"debt:{state.account.debt}"
    elif target.channel not in ("sms", "voice"):
        return None  # per-number rules count phone contacts only
    elif rule.per == "number":
        scope = f"number:{target.address}"
    else:
        scope = f"class:{target.kind}"
    return keys.cap_counter(state.person_id, rule.counter_id, scope)


def cap_spec(rule: Rule, key: str, at: datetime, zone: str) -> CapSpec:
    """The spec of ``rule``'s counter as counted at instant ``at``."""
    assert rule.limit is not None
    if rule.window_seconds is not None:
        return CapSpec(key, rule.limit, window_seconds=rule.window_seconds)
    n = rule.calendar_days or 1
    today = at.astimezone(ZoneInfo(zone)).date()
    start = local_midnight(today - timedelta(days=n - 1), zone)
    return CapSpec(
        key, rule.limit, day_start=start, day_end=local_midnight(today + timedelta(days=1), zone)
    )


def _cap_retry(
    rule: Rule, spec: CapSpec, scores: list[float], at: datetime, zone: str
) -> datetime | None:
    """None when one more send fits at ``at``; else the instant one more would fit."""
    assert rule.limit is not None
    t = at.timestamp()
    if spec.window_seconds is not None:
        counted = [s for s in scores if t - spec.window_seconds < s <= t]
        if len(counted) < rule.limit:
            return None
        return datetime.fromtimestamp(counted[len(counted) - rule.limit] + spec.window_seconds, UTC)
    assert spec.day_start is not None
    start = spec.day_start.timestamp()
    counted = [s for s in scores if start <= s <= t]
    if len(counted) < rule.limit:
        return None
    leaving = datetime.fromtimestamp(counted[len(counted) - rule.limit], UTC)
    leave_day = leaving.astimezone(ZoneInfo(zone)).date() + timedelta(days=rule.calendar_days or 1)
    return local_midnight(leave_day, zone)


@dataclass(frozen=True)
class Context:
    """Everything ``judge`` reads besides the rules."""

    state: AccountState
    target: Target
    zones: Sequence[str]
    zone: str  # primary zone: calendar days and cooldown days are counted here
    country: str | None
    region: str | None
    collector: str
    enforce_unverified: bool


def _applies(rule: Rule, ctx: Context) -> bool:
    if not rule.covers(ctx.target.channel):
        return False
    if rule.collectors and ctx.collector not in rule.collectors:
        return False
    return not (rule.number_kinds and ctx.target.kind not in rule.number_kinds)


def stated_rules(state: AccountState, now: datetime) -> list[Rule]:
    """The person's active stated constraints as rules of a pseudo-pack ``person``."""
    out: list[Rule] = []
    for c in state.constraints:
        if not c.active(now):
            continue
        sc = c.constraint
        base: dict[str, Any] = dict(
            pack="person",
            pack_version=c.at.date().isoformat(),
            citation="stated by the person (12 CFR 1006.6(b)(1), 1006.14(h))",
            certainty="V",
        )
        channels = frozenset({sc.channel}) if sc.channel else frozenset()
        if sc.kind == "inconvenient_hours" and sc.start and sc.end:
            out.append(
                Rule(
                    id="inconvenient-hours",
                    title=f"not {sc.start:%H:%M}-{sc.end:%H:%M}",
                    kind="hours",
                    action="defer",
                    channels=channels,
                    window=Window(sc.start, sc.end),
                    **base,
                )
            )
        elif sc.kind == "inconvenient_days" and sc.weekdays:
            from worker.policy import WEEKDAYS

            days = frozenset(WEEKDAYS.index(d.lower()) for d in sc.weekdays)
            out.append(
                Rule(
                    id="inconvenient-days",
                    title="days the person named",
                    kind="days",
                    channels=channels,
                    blocked=BlockedDays(weekdays=days),
                    **base,
                )
            )
        elif sc.kind == "no_work_calls":
            out.append(
                Rule(
                    id="no-work-calls",
                    title="no calls at work",
                    kind="consent",
                    action="block",
                    channels=frozenset({"voice"}),
                    number_kinds=frozenset({"work"}),
                    requires="never",
                    **base,
                )
            )
        elif sc.kind == "refuse_channel":
            out.append(
                Rule(
                    id="refused-channel",
                    title=f"refused {sc.channel}",
                    kind="consent",
                    action="block",
                    channels=channels,
                    requires="never",
                    **base,
                )
            )
    return out


def judge(rules: Sequence[Rule], ctx: Context, now: datetime, read_logs: LogReader) -> Judgement:
    """Evaluate ``rules`` (and the stated constraints) for ``ctx`` at ``now``."""
    rules = [r for r in (*rules, *stated_rules(ctx.state, now)) if _applies(r, ctx)]
    on = [r for r in rules if enforced(r, ctx.enforce_unverified)]
    off = [r for r in rules if not enforced(r, ctx.enforce_unverified)]
    checks: list[Check] = []

    # Blocks: consent rules (F12, stated refusals).
    blocks: list[Check] = []
    for r in rules:
        if r.kind != "consent":
            continue
        ok = _consent_ok(r, ctx.target)
        verdict: Verdict = "allow" if ok else ("block" if r in on else "warn")
        reason = None if ok else ("stated_constraint" if r.pack == "person" else "no_consent")
        check = Check(r.ref, r.kind, verdict, reason, detail=r.title)
        checks.append(check)
        if verdict == "block":
            blocks.append(check)

    caps: list[tuple[Rule, str]] = []
    for r in rules:
        if r.kind == "cap":
            key = cap_key(r, ctx.state, ctx.target)
            if key is not None:
                caps.append((r, key))
    logs = read_logs([k for _, k in caps]) if caps else {}

    first = _time_checks(rules, on, ctx, now, caps, logs)
    checks.extend(first)
    content = tuple(r for r in on if r.kind == "content")
    checks.extend(
        Check(r.ref, r.kind, "allow", detail=f"checked when rendering: {r.content}")
        for r in rules
        if r.kind == "content"
    )
    checks.extend(
        Check(r.ref, r.kind, "n/a", detail=r.enforced_by or r.title)
        for r in rules
        if r.kind in ("note", "keywords", "retention")
    )
    specs = tuple((r, cap_spec(r, k, now, ctx.zone)) for r, k in caps if r in on)
    loose = tuple((r, cap_spec(r, k, now, ctx.zone)) for r, k in caps if r in off)
    if blocks:
        return Judgement("suppress", tuple(checks), blocks[0], None, specs, loose, content)
    waiting = [c for c in first if c.verdict == "defer"]
    if not waiting:
        return Judgement("allow", tuple(checks), None, now, specs, loose, content)
    empty = next((c for c in waiting if c.at is None), None)
    if empty is not None:
        return Judgement("suppress", tuple(checks), empty, None, specs, loose, content)
    # Move forward until every time rule agrees; the deciding rule is the latest blocker now.
    deciding = max(waiting, key=lambda c: c.at or now)
    t = deciding.at
    for _ in range(MAX_ROUNDS):
        assert t is not None
        later = [c for c in _time_checks(rules, on, ctx, t, caps, logs) if c.verdict == "defer"]
        if not later:
            return Judgement("defer", tuple(checks), deciding, t, specs, loose, content)
        if any(c.at is None for c in later):
            break
        t = max(c.at for c in later if c.at is not None)
    gone = replace(
        deciding,
        reason="no_contact_window",
        at=None,
        detail="no instant satisfies every rule together",
    )
    return Judgement("suppress", tuple(checks), gone, None, specs, loose, content)


def _consent_ok(rule: Rule, target: Target) -> bool:
    if rule.requires == "never":
        return False  # a stated refusal that matched this channel and kind
    if rule.requires == "work_email_consent":
        return target.kind != "work" or target.consent
    return True


def _time_checks(
    rules: Sequence[Rule],
    on: Sequence[Rule],
    ctx: Context,
    t: datetime,
    caps: Sequence[tuple[Rule, str]],
    logs: Mapping[str, list[float]],
) -> list[Check]:
    """The time rules' checks at instant ``t``: hours, days, cooldowns and caps."""
    out: list[Check] = []
    excluded = [r.window for r in on if r.kind == "hours" and r.pack == "person" and r.window]
    for r in rules:
        if r.kind in ("hours", "days"):
            out.append(_clock_check(r, r in on, ctx, t))
        elif r.kind == "cooldown":
            out.append(_cooldown_check(r, r in on, ctx, t))
    # the combined search: every enforced window and day rule at once
    windows = [r.window for r in on if r.kind == "hours" and r.pack != "person"]
    blocked = BlockedDays()
    for r in on:
        if r.kind == "days" and r.blocked is not None:
            blocked = blocked.union(r.blocked)
    window = combine_windows(windows) if windows else _ALL_DAY
    together = earliest_allowed(
        t,
        ctx.zones,
        window,
        blocked,
        country=ctx.country,
        region=ctx.region,
        excluded=[w for w in excluded if w],
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
    for r, key in caps:
        spec = cap_spec(r, key, t, ctx.zone)
        retry = _cap_retry(r, spec, logs.get(key, []), t, ctx.zone)
        if retry is None:
            out.append(Check(r.ref, "cap", "allow", detail=_cap_text(r)))
        else:
            out.append(
                Check(r.ref, "cap", "defer" if r in on else "warn", "cap", retry, _cap_text(r))
            )
    return out


def _cap_text(r: Rule) -> str:
    per = (
        f"{r.window_seconds // 86400}d"
        if r.window_seconds and r.window_seconds % 86400 == 0
        else (
            f"{r.window_seconds}s" if r.window_seconds else f"{r.calendar_days or 1} local day(s)"
        )
    )
    counts = "/".join(sorted(r.counts))
    return f"{r.limit} per {per} per {r.per} ({counts})"


def _clock_check(r: Rule, on: bool, ctx: Context, t: datetime) -> Check:
    if r.kind == "hours" and r.pack == "person":
        assert r.window is not None
        d = earliest_allowed(
            t,
            ctx.zones,
            _ALL_DAY,
            BlockedDays(),
            country=ctx.country,
            region=ctx.region,
            excluded=[r.window],
        )
    elif r.kind == "hours":
        d = earliest_allowed(
            t, ctx.zones, r.window, BlockedDays(), country=ctx.country, region=ctx.region
        )
    else:
        d = earliest_allowed(
            t,
            ctx.zones,
            _ALL_DAY,
            r.blocked or BlockedDays(),
            country=ctx.country,
            region=ctx.region,
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
        day1 = c.at.astimezone(ZoneInfo(ctx.zone)).date()
        end = local_midnight(day1 + timedelta(days=r.days or 7), ctx.zone)
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
