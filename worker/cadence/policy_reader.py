"""Read a schedule's ``policy:`` block (the house policy) into a ``worker.cadence.policy.Policy``.

::

    policy:
      hours: {start: "09:00", end: "20:00"}          # person's local time, end exclusive
      channel_hours: {voice: {start: "10:00", end: "19:00"}}
      blocked_days: {weekdays: [sunday], public_holidays: true, dates: ["2026-12-24"]}
      caps:
        - {channel: sms, limit: 2, per: 7d}           # count: person (default) | debt
        - {id: voice-weekly, channel: voice, limit: 3, per: 7d, count: debt}

The house policy can only tighten the rule packs (the gate intersects them), so a per-channel
window that reaches outside ``hours`` is refused as a mistake rather than quietly clipped.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from worker.cadence.policy import BlockedDays, Cap, Policy, Window
from worker.cadence.yamlnodes import Node
from worker.contracts.vocab import CHANNELS, WEEKDAYS

#: What a cap may count: every channel ("any") or one of them.
CAP_CHANNELS: tuple[str, ...] = ("any", *CHANNELS)
#: Whose contacts a cap counts together.
CAP_COUNTS: tuple[str, ...] = ("person", "debt")
_CAP_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def read_policy(node: Node | None) -> Policy:
    """The house policy of a ``policy:`` block; an absent block is ``Policy()`` (08:00-21:00)."""
    if node is None:
        return Policy()
    block = node.mapping(optional=("hours", "channel_hours", "blocked_days", "caps"))
    hours = read_window(block["hours"]) if "hours" in block else Window()
    channel_hours: dict[str, Window] = {}
    if "channel_hours" in block:
        for channel, window_node in block["channel_hours"].mapping(optional=CHANNELS).items():
            window = read_window(window_node)
            if hours.intersect(window) != window:
                raise window_node.error(
                    f"{channel} hours {window} must lie within policy.hours {hours}"
                )
            channel_hours[channel] = window
    blocked = read_blocked_days(block["blocked_days"]) if "blocked_days" in block else None
    caps = read_caps(block["caps"]) if "caps" in block else ()
    return Policy(
        hours=hours,
        channel_hours=MappingProxyType(channel_hours),
        blocked_days=blocked or BlockedDays(),
        caps=caps,
    )


def read_window(node: Node) -> Window:
    """``{start: "HH:MM", end: "HH:MM"}``, start before end, end exclusive."""
    fields = node.mapping(required=("start", "end"))
    start, end = fields["start"].clock_time(), fields["end"].clock_time()
    if not start < end:
        raise fields["end"].error(f"must be after start {start:%H:%M}, not {end:%H:%M}")
    return Window(start, end)


def read_blocked_days(node: Node) -> BlockedDays:
    """``{weekdays: [sunday], public_holidays: true, dates: [YYYY-MM-DD]}``, each optional."""
    fields = node.mapping(optional=("weekdays", "public_holidays", "dates"))
    weekdays: set[int] = set()
    for item in _items(fields.get("weekdays")):
        day = WEEKDAYS.index(item.one_of(WEEKDAYS))
        if day in weekdays:
            raise item.error("weekday listed twice")
        weekdays.add(day)
    dates = frozenset(item.calendar_date() for item in _items(fields.get("dates")))
    holidays = fields["public_holidays"].boolean() if "public_holidays" in fields else False
    return BlockedDays(frozenset(weekdays), holidays, dates)


def read_caps(node: Node) -> tuple[Cap, ...]:
    """The ``caps:`` list; an id defaults to ``<channel>-<limit>-per-<per>`` (``sms-2-per-7d``)."""
    caps: list[Cap] = []
    for item in node.sequence():
        fields = item.mapping(required=("channel", "limit", "per"), optional=("id", "count"))
        channel = fields["channel"].one_of(CAP_CHANNELS)
        limit = fields["limit"].integer(minimum=1)
        window_seconds = fields["per"].duration()
        count = fields["count"].one_of(CAP_COUNTS) if "count" in fields else "person"
        if "id" in fields:
            cap_id = fields["id"].matching(_CAP_ID, "an id of a-z, 0-9, _ and -")
        else:
            cap_id = f"{channel}-{limit}-per-{fields['per'].text().replace(' ', '')}"
        if any(cap.id == cap_id for cap in caps):
            raise item.error(f"cap id {cap_id!r} is used twice; give one of them its own id")
        caps.append(Cap(cap_id, channel, limit, window_seconds, count))
    return tuple(caps)


def _items(node: Node | None) -> list[Node]:
    return [] if node is None else node.sequence()
