"""An independent breach checker: do recorded sends break an enforced cap or contact window?

It reads only outcome records (docs/contracts.md, Outcome), the accounts, the schedule and the
rule packs, and counts by itself: it never calls ``worker.gate.engine``, so a bug there cannot
hide here. What it checks, for every ``sent`` outcome:

- caps: for each enforced cap rule (certainty V or S; U when the schedule enforces it; the
  house caps), the sends it counts in the trailing window that ends at the send — rolling
  ``(t - W, t]``, or calendar: the local days of the account's primary zone — are ≤ its limit;
- hours: the send's local time in EVERY candidate zone lies in every enforced hours window;
- days: no send on a blocked weekday, date or (when a days rule says so) public holiday;
- cooldowns: no send inside a cooldown started by a ``conversation`` event, when events are
  given.

Simplifications, on purpose:

- An outcome does not say where a message went. Unless ``recipients`` maps the send's dispatch
  id (its ``provider_id`` on the outbox) to the number, an SMS is taken to have gone to the
  first mobile with SMS consent and a call to the first phone with voice consent (mobiles,
  then landlines, then work numbers); opt-outs and opt-ins are not replayed. The number's kind
  is that phone's kind (what ``number_class`` and ``number_kinds`` use).
- Call results: a call's result is the last recorded for it, by an ``answered``/``voicemail``
  outcome (``provider_id``) or a ``call_result`` event (``dispatch_id``, else the account's last
  call before it); a rule counts the call when it counts ``sent`` or that result. Without one,
  ``call_results`` decides: ``"unknown"`` (the default, as simulated and live) counts it under
  every cap, the gate's own cautious reading; the others replay a simulation run with them.
- Only ``sent`` outcomes count, not ``unknown`` ones (a claim whose send may have happened).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers

from worker.accounts.cursor import primary_zone
from worker.accounts.zones import candidate_zones, zone_names
from worker.cadence.schedule import Schedule
from worker.contracts.account import Account
from worker.gate.hours import is_holiday
from worker.gate.packs.files import builtin_packs
from worker.gate.packs.select import house_rules
from worker.gate.rules import Rule

CallResults = Literal["unknown", "answered", "voicemail", "unanswered"]
Rows = Sequence[Mapping[str, Any]]  # outcome records or events
_PHONE_CHANNELS = ("sms", "voice")
_VOICE_ORDER = {"mobile": 0, "landline": 1, "work": 2}


@dataclass(frozen=True)
class Send:
    """One ``sent`` outcome with what the checker needs to count it."""

    at: datetime
    account: Account
    channel: str
    label: str  # "<account> <step> <channel> at <instant>", for messages
    to: str | None  # the number of an SMS or call, None for other channels
    kind: str | None  # that number's kind: mobile | landline | work
    result: str | None  # a call's result (event contract CallResult); None: unknown or no call


def find_breaches(
    outcomes: Iterable[Mapping[str, Any]],
    accounts: Mapping[str, Account],
    schedule: Schedule,
    *,
    call_results: CallResults = "unknown",
    recipients: Mapping[str, str] | None = None,
    events: Iterable[Mapping[str, Any]] = (),
) -> list[str]:
    """Every breach of an enforced cap, hours, days or cooldown rule by the ``sent`` outcomes of
    ``accounts`` (by account id) under ``schedule``, as one readable line each; [] when none."""
    records = list(outcomes)
    happened = list(events)
    sends = _sends(records, accounts, call_results, recipients or {}, happened)
    rules = {a.account_id: enforced_rules(a, schedule) for a in accounts.values()}
    breaches = _cap_breaches(sends, rules)
    for send in sends:
        breaches += _clock_breaches(send, rules[send.account.account_id])
    breaches += _cooldown_breaches(sends, rules, happened)
    return breaches


def enforced_rules(account: Account, schedule: Schedule) -> list[Rule]:
    """The enforced rules of every pack that applies to ``account``, then the house rules."""
    country, region = _jurisdiction(account)
    packs = builtin_packs()
    chosen = [
        p for p in packs.values() if p.applies_when.matches(country, region, schedule.collector)
    ]
    chosen += [packs[name] for name in schedule.packs if packs[name] not in chosen]
    rules = [r for p in chosen for r in p.rules] + list(house_rules(schedule))
    return [
        r
        for r in rules
        if (r.certainty != "U" or schedule.enforce_unverified)
        and (not r.collectors or schedule.collector in r.collectors)
    ]


def _jurisdiction(account: Account) -> tuple[str | None, str | None]:
    """Country and region: the address's, else the first phone number's country."""
    if account.address is not None and account.address.country:
        return account.address.country, account.address.region
    for phone in account.phones:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone.number, None))
        if region and region != "001":
            return str(region), None
    return None, None


def _sends(
    records: Rows,
    accounts: Mapping[str, Account],
    call_results: CallResults,
    recipients: Mapping[str, str],
    events: Rows,
) -> list[Send]:
    sent = [o for o in records if o["outcome"] == "sent" and o["account_id"] in accounts]
    results = _call_results(records, sent, events)
    out: list[Send] = []
    for o in sent:
        account = accounts[o["account_id"]]
        channel = o["channel"]
        dispatch_id = o.get("provider_id")
        to, kind = _recipient(account, channel, recipients.get(dispatch_id or ""))
        assumed = None if call_results == "unknown" else call_results
        result = results.get(dispatch_id or "", assumed) if channel == "voice" else None
        at = _instant(o["at"])
        label = f"{o['account_id']} {o.get('step')} {channel} at {o['at']}"
        out.append(Send(at, account, channel, label, to, kind, result))
    return sorted(out, key=lambda s: s.at)


def _call_results(records: Rows, sent: Rows, events: Rows) -> dict[str, str]:
    """Dispatch id -> the last result recorded for that call, by outcome or by event."""
    found = [
        (_instant(o["at"]), o["provider_id"], o["outcome"])
        for o in records
        if o["outcome"] in ("answered", "voicemail") and o.get("provider_id")
    ]
    for e in (e for e in events if e["type"] == "call_result" and "at" in e):
        at = _instant(e["at"])
        # no dispatch id: the account's last call before the event (the simulator applies an
        # instant's events before its sends)
        before = [(_instant(o["at"]), o["provider_id"]) for o in sent
                  if o["account_id"] == e["account_id"] and o["channel"] == "voice"
                  and _instant(o["at"]) < at]  # fmt: skip
        call = e.get("dispatch_id") or (max(before)[1] if before else None)
        if call is not None:
            found.append((at, call, e["result"]))
    return {call: result for _, call, result in sorted(found, key=lambda f: f[0])}


def _recipient(account: Account, channel: str, known: str | None) -> tuple[str | None, str | None]:
    if channel not in _PHONE_CHANNELS:
        return None, None
    if known is not None:
        kind = next((p.kind for p in account.phones if p.number == known), None)
        return known, kind
    if channel == "sms":
        usable = [p for p in account.phones if p.kind == "mobile" and p.sms_consent]
    else:
        ranked = sorted(account.phones, key=lambda p: _VOICE_ORDER[p.kind])
        usable = [p for p in ranked if p.voice_consent]
    return (usable[0].number, usable[0].kind) if usable else (None, None)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- caps -------------------------------------------------------------------------------------


def _counts(rule: Rule, send: Send) -> bool:
    """Whether ``rule`` counts ``send``: channels, number kinds, result (unknown: every cap)."""
    if not rule.covers(send.channel):
        return False
    if rule.number_kinds and send.kind not in rule.number_kinds:
        return False
    if send.channel != "voice" or send.result is None or "sent" in rule.counts:
        return True
    return send.result in rule.counts


def _scope(rule: Rule, send: Send) -> str | None:
    """What the rule counts together, within one person; None when it does not count the send."""
    if rule.per == "person":
        return "person"
    if rule.per == "debt":
        return f"debt {send.account.debt}"
    if send.channel not in _PHONE_CHANNELS or send.to is None:
        return None
    return f"number {send.to}" if rule.per == "number" else f"class {send.kind}"


def _cap_breaches(sends: Sequence[Send], rules: Mapping[str, Sequence[Rule]]) -> list[str]:
    groups: dict[tuple[str, str, str], list[tuple[Rule, Send]]] = defaultdict(list)
    for send in sends:
        for rule in rules[send.account.account_id]:
            if rule.kind != "cap" or not _counts(rule, send):
                continue
            scope = _scope(rule, send)
            if scope is not None:
                groups[(rule.counter_id, send.account.person, scope)].append((rule, send))
    out: list[str] = []
    for (_, person, scope), members in sorted(groups.items()):
        for rule, send in members:
            counted = [s for _, s in members if _in_window(rule, s.at, send)]
            assert rule.limit is not None
            if len(counted) > rule.limit:
                out.append(
                    f"{rule.ref}: {len(counted)} sends to person {person} ({scope}) counted in "
                    f"the {_window_text(rule)} ending at {send.label}, limit {rule.limit}: "
                    + "; ".join(s.label for s in counted)
                )
    return out


def _in_window(rule: Rule, at: datetime, send: Send) -> bool:
    """Whether a send at ``at`` falls in ``rule``'s window that ends with ``send``."""
    if rule.window_seconds is not None:
        return send.at - timedelta(seconds=rule.window_seconds) < at <= send.at
    zone = ZoneInfo(primary_zone(send.account))
    last = send.at.astimezone(zone).date()
    first = last - timedelta(days=(rule.calendar_days or 1) - 1)
    return at <= send.at and first <= at.astimezone(zone).date() <= last


def _window_text(rule: Rule) -> str:
    if rule.window_seconds is not None:
        return f"rolling {rule.window_seconds}s"
    return f"{rule.calendar_days or 1} local day(s)"


# --- hours, days and cooldowns ----------------------------------------------------------------


def _clock_breaches(send: Send, rules: Sequence[Rule]) -> list[str]:
    out: list[str] = []
    country, region = _jurisdiction(send.account)
    for zone in zone_names(candidate_zones(send.account)):
        local = send.at.astimezone(ZoneInfo(zone))
        for rule in rules:
            if not rule.covers(send.channel):
                continue
            if rule.kind == "hours" and rule.window and not rule.window.contains(local.time()):
                out.append(
                    f"{rule.ref}: {send.label} is {local:%H:%M} in {zone}, outside {rule.window}"
                )
            if (
                rule.kind == "days"
                and rule.blocked
                and _closed(rule, local.date(), country, region)
            ):
                out.append(f"{rule.ref}: {send.label} is on {local:%A %Y-%m-%d} in {zone}")
    return out


def _closed(rule: Rule, day: date, country: str | None, region: str | None) -> bool:
    blocked = rule.blocked
    assert blocked is not None
    if day.weekday() in blocked.weekdays or day in blocked.dates:
        return True
    return blocked.public_holidays and is_holiday(day, country, region)


def _cooldown_breaches(
    sends: Sequence[Send], rules: Mapping[str, Sequence[Rule]], events: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Sends on a cooled-down channel from the event's local day (day 1) through day ``days``."""
    started: dict[str, list[tuple[datetime, Mapping[str, Any]]]] = defaultdict(list)
    for e in events:
        if "at" in e:
            started[e["account_id"]].append((_instant(e["at"]), e))
    out: list[str] = []
    for send in sends:
        zone = ZoneInfo(primary_zone(send.account))
        for rule in rules[send.account.account_id]:
            if rule.kind != "cooldown" or not rule.covers(send.channel):
                continue
            for at, e in started[send.account.account_id]:
                if e["type"] != rule.after or (
                    rule.channels and e.get("channel") not in rule.channels
                ):
                    continue
                day1 = at.astimezone(zone).date()
                end = datetime.combine(day1 + timedelta(days=rule.days or 1), time(), tzinfo=zone)
                if at <= send.at < end:
                    out.append(f"{rule.ref}: {send.label} is within the cooldown from {e['at']}")
    return out
