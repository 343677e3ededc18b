"""Cap counters: which Redis log a rule counts in, and how full it is at an instant.

A cap counts sends in a sorted set per rule and scope (person, debt, number or number class).
Rolling windows count ``(t - window, t]``; calendar caps count whole local days of the person's
primary zone and free a slot at the local midnight after the oldest counted send's last day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from worker.accounts.state import AccountState
from worker.gate.caps import CapSpec
from worker.gate.rules import Rule
from worker.gate.types import Target
from worker.storage import keys


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


def cap_retry(
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


def cap_text(r: Rule) -> str:
    """``3 per 7d per person (sent)``: what a cap's checks say of it."""
    return _cap_text(r.limit, r.window_seconds, r.calendar_days, r.per, r.counts)


# A rule is not hashable (its mappings are not), so its text is kept by the fields it reads;
# every decision cites each of its caps.
@lru_cache(maxsize=1024)
def _cap_text(
    limit: int | None,
    window_seconds: int | None,
    calendar_days: int | None,
    per: str,
    counts: frozenset[str],
) -> str:
    per_text = (
        f"{window_seconds // 86400}d"
        if window_seconds and window_seconds % 86400 == 0
        else (f"{window_seconds}s" if window_seconds else f"{calendar_days or 1} local day(s)")
    )
    return f"{limit} per {per_text} per {per} ({'/'.join(sorted(counts))})"


class CapKeyMemory:
    """The cap logs dispatches asked for, remembered so that the next dispatch can read them in
    the round trip that takes the account's lock (the cap keys depend on the state, which that
    same trip reads): a guess, which the gate's reader completes with a round trip of its own
    when it asks for a log not read yet.

    Counters that name no contact of the account (``person`` and ``class:<kind>`` scopes) are
    remembered for every person (a process sees a few dozen at most); those of a debt or a
    number, per account, for the ``accounts`` last dispatched. One per process (``App``).
    """

    def __init__(self, accounts: int = 10_000, shared: int = 256):
        self._accounts, self._most = accounts, shared
        self._shared: dict[str, None] = {}  # "<counter id>:<scope>", in the order first seen
        self._own: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def guess(self, person_id: str, account_id: str) -> list[str]:
        """The cap keys to read with the lock of ``person_id``'s ``account_id``."""
        base = _cap_base(person_id)
        with self._lock:
            own = self._own.get(account_id, ())
            return [base + s for s in (*self._shared, *own)]

    def learn(self, person_id: str, account_id: str, cap_keys: Iterable[str]) -> None:
        """Remember the cap keys the gate asked for when deciding ``account_id``'s step."""
        base = _cap_base(person_id)
        own: list[str] = []
        with self._lock:
            for key in cap_keys:
                if not key.startswith(base):
                    continue
                suffix = key[len(base) :]
                if suffix.endswith(":person") or suffix.rsplit(":", 2)[-2:-1] == ["class"]:
                    if suffix not in self._shared and len(self._shared) < self._most:
                        self._shared[suffix] = None
                else:
                    own.append(suffix)
            if own:
                self._own[account_id] = tuple(own)
                self._own.move_to_end(account_id)
                while len(self._own) > self._accounts:
                    self._own.popitem(last=False)
            else:
                self._own.pop(account_id, None)


def _cap_base(person_id: str) -> str:
    """What every cap key of ``person_id`` starts with."""
    return keys.cap_counter(person_id, "", "")[:-1]
