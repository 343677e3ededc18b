"""The ``events`` block of a schedule: which event types stop, pause, hold or resume the cadence.

Some placements are the law's, not the schedule's: a cease, a close and an attorney always stop
(an unlisted ``represented_by_attorney`` stops all the same), and a debt collector holds (or
stops) on a dispute. Errors name the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NoReturn

from worker.cadence.yamlnodes import Node
from worker.contracts.event import EVENT_TYPES
from worker.errors import ScheduleError

__all__ = ["DEFAULT_EVENTS", "read_events"]

#: The events block used when a schedule has none: stop, pause, hold, resume.
DEFAULT_EVENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "stop": ("paid", "cease", "close", "represented_by_attorney"),
        "pause": ("promise_to_pay",),
        "hold": ("dispute",),
        "resume": ("dispute_resolved",),
    }
)
#: Events that must stop the cadence, and why no schedule may move them.
_MANDATORY_STOPS = {
    "cease": "a cease is a hard stop of all contact by law (12 CFR 1006.6(c))",
    "close": "a closed account is never contacted again",
    "represented_by_attorney": (
        "no contact with a person known to be represented by an attorney about the debt "
        "(15 U.S.C. 1692c(a)(2); 209 CMR 18.16(1)(b))"
    ),
}
#: Mandatory stops a schedule may leave unlisted: they stop all the same. Schedules written (and
#: accounts pinned to versions stored) before the event existed must keep loading.
_IMPLIED_STOPS = frozenset({"represented_by_attorney"})
#: Events a debt collector must at least hold on, and why (docs/compliance.md, Cautious readings).
_COLLECTOR_HOLDS = {
    "dispute": (
        "a debt collector must stop collecting a disputed debt until it has sent verification "
        "(15 U.S.C. 1692g(b); 12 CFR 1006.38(d)(2))"
    ),
}


def read_events(node: Node | None, collector: str) -> dict[str, frozenset[str]]:
    """The events block; each event type may sit in one list only, the mandatory stops in
    ``stop`` (an implied one is added there when unlisted) and, for a debt collector, dispute in
    ``hold`` (or ``stop``, which is stricter)."""
    if node is None:
        return {kind: frozenset(types) for kind, types in DEFAULT_EVENTS.items()}
    lists = node.mapping(optional=tuple(DEFAULT_EVENTS))
    placed: dict[str, str] = {}  # event type -> the list it is in
    for kind, items in lists.items():  # file order, so "already in" points back up the file
        for item in items.sequence():
            event = item.one_of(EVENT_TYPES)
            if event in placed:
                raise item.error(f"{event} is already in events.{placed[event]}")
            if event in _MANDATORY_STOPS and kind != "stop":
                raise item.error(f"{event} must be in events.stop: {_MANDATORY_STOPS[event]}")
            why = _COLLECTOR_HOLDS.get(event) if collector == "third_party" else None
            if why and kind not in ("hold", "stop"):
                raise item.error(
                    f"{event} must be in events.hold for a third_party collector: {why}"
                )
            placed[event] = kind
    for event, why in _MANDATORY_STOPS.items():
        if event in _IMPLIED_STOPS:
            placed.setdefault(event, "stop")
        elif event not in placed:
            _missing(lists.get("stop", node), "events.stop", f"must include {event}: {why}")
    for event, why in _COLLECTOR_HOLDS.items() if collector == "third_party" else ():
        if event not in placed:
            why = f"must hold on {event} for a third_party collector: {why}"
            _missing(lists.get("hold", node), "events.hold", why)
    return {kind: frozenset(e for e, k in placed.items() if k == kind) for kind in DEFAULT_EVENTS}


def _missing(where: Node, field: str, message: str) -> NoReturn:
    raise ScheduleError(message, file=where.file, line=where.line, field=field)
