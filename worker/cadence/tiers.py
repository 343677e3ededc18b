"""Read a schedule's ``tiers:`` into the flat, ordered list of concrete sends (occurrences).

::

    tiers:
      - name: early
        steps:
          - {day: 1, channel: sms, template: friendly_nudge}
          - {day: 10, channel: voice, template: reminder_call, fallback: sms, send_time: "11:00"}
      - name: mid
        steps:
          - {every: 7, from: 21, until: 42, max: 3, channel: voice, template: reminder_call}

A repeat ``every: N, from: D0, until: D1, max: M`` is expanded here into its days, so the rest of
the worker only ever sees one occurrence per send, each with a stable key.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import time
from typing import NamedTuple

from worker.cadence.policy import Policy
from worker.cadence.yamlnodes import Node
from worker.contracts.vocab import CHANNELS

_TIER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
TEMPLATE_NAME = re.compile(r"[a-z0-9_]+")
_STEP_KEYS = (
    "day",
    "every",
    "from",
    "until",
    "max",
    "channel",
    "template",
    "send_time",
    "fallback",
)
_REPEAT_KEYS = ("every", "from", "until", "max")


@dataclass(frozen=True)
class Occurrence:
    """One concrete send of the cadence, with repeats expanded."""

    index: int  # position in Schedule.occurrences (0-based)
    key: str  # "early.1" (tier, 1-based step), "mid.3#d25" for one day of a repeating step
    tier: str
    day: int  # days past due
    channel: str
    template: str
    send_time: time  # resolved: the step's, else the schedule's
    fallback: str | None


class _Step(NamedTuple):
    days: list[int]
    day_node: Node  # the ``day:`` or ``from:`` node, where ordering errors point
    channel: str
    template: str
    send_time: time | None
    send_time_node: Node | None
    fallback: str | None
    repeats: bool


def repeat_days(start: int, every: int, until: int | None, limit: int | None) -> list[int]:
    """Days ``start, start+every, ...`` up to ``until`` (inclusive), at most ``limit`` of them."""
    if until is None and limit is None:
        raise ValueError("a repeat needs until or a limit so that it ends")
    days: list[int] = []
    day = start
    while (until is None or day <= until) and (limit is None or len(days) < limit):
        days.append(day)
        day += every
    return days


def read_tiers(node: Node, *, send_time: time, policy: Policy) -> tuple[Occurrence, ...]:
    """All occurrences of the ``tiers:`` list, sorted by (day, send time, declaration order).

    Steps within a tier start in non-decreasing day order and each tier starts after the last
    day of the one before, so the file reads in the order it runs.
    """
    planned: list[Occurrence] = []
    tier_names: set[str] = set()
    slots: dict[tuple[int, str], str] = {}  # (day, channel) -> the step that holds it
    previous_tier: tuple[str, int] | None = None  # (name, last day)
    for tier_node in node.sequence(non_empty=True):
        fields = tier_node.mapping(required=("name", "steps"))
        tier = fields["name"].matching(_TIER_NAME, "a tier name of a-z, 0-9, _ and -")
        if tier in tier_names:
            raise fields["name"].error(f"tier {tier!r} is named twice")
        tier_names.add(tier)
        previous_start: int | None = None
        last_day = -1
        for position, step_node in enumerate(fields["steps"].sequence(non_empty=True), start=1):
            step = _read_step(step_node)
            start = step.days[0]
            if previous_start is not None and start < previous_start:
                raise step.day_node.error(
                    f"day {start} comes before day {previous_start} of the step above;"
                    " steps run in day order"
                )
            if previous_start is None and previous_tier is not None and start <= previous_tier[1]:
                name, end = previous_tier
                raise step.day_node.error(
                    f"tier {tier!r} starts on day {start}, not after day {end} where tier"
                    f" {name!r} ends; tiers run in day order"
                )
            previous_start = start
            last_day = max(last_day, step.days[-1])
            at = _resolve_send_time(step, step_node, send_time, policy)
            for day in step.days:
                holder = slots.setdefault((day, step.channel), step_node.path)
                if holder != step_node.path:
                    raise step_node.error(f"day {day} already has a {step.channel} step ({holder})")
                key = f"{tier}.{position}"
                planned.append(
                    Occurrence(
                        index=-1,
                        key=f"{key}#d{day}" if step.repeats else key,
                        tier=tier,
                        day=day,
                        channel=step.channel,
                        template=step.template,
                        send_time=at,
                        fallback=step.fallback,
                    )
                )
        previous_tier = (tier, last_day)
    # sorted() is stable, so declaration order breaks ties on (day, send_time).
    ordered = sorted(planned, key=lambda o: (o.day, o.send_time))
    return tuple(dataclasses.replace(o, index=i) for i, o in enumerate(ordered))


def _read_step(node: Node) -> _Step:
    fields = node.mapping(required=("channel", "template"), optional=_STEP_KEYS)
    if "day" in fields:
        for key in _REPEAT_KEYS:
            if key in fields:
                raise fields[key].error("a step has either day: or a repeat (every:, from:)")
        day_node = fields["day"]
        days = [day_node.integer(minimum=0)]
    else:
        for key in ("every", "from"):
            if key not in fields:
                raise node.error(f"needs day: or a repeat with every: and from:; {key}: is missing")
        day_node = fields["from"]
        every = fields["every"].integer(minimum=1)
        start = day_node.integer(minimum=0)
        until = fields["until"].integer(minimum=start) if "until" in fields else None
        limit = fields["max"].integer(minimum=1) if "max" in fields else None
        if until is None and limit is None:
            raise fields["every"].error("a repeating step needs until: or max: so that it ends")
        days = repeat_days(start, every, until, limit)
    channel = fields["channel"].one_of(CHANNELS)
    fallback = fields["fallback"].one_of(CHANNELS) if "fallback" in fields else None
    if fallback == channel:
        raise fields["fallback"].error(f"must differ from the step's channel {channel}")
    return _Step(
        days=days,
        day_node=day_node,
        channel=channel,
        template=fields["template"].matching(TEMPLATE_NAME, "a template name of a-z, 0-9 and _"),
        send_time=fields["send_time"].clock_time() if "send_time" in fields else None,
        send_time_node=fields.get("send_time"),
        fallback=fallback,
        repeats="day" not in fields,
    )


def _resolve_send_time(step: _Step, node: Node, default: time, policy: Policy) -> time:
    """The step's send time, else ``default``; one outside the house hours would always defer,
    so it is refused as a mistake."""
    at = default if step.send_time is None else step.send_time
    window = policy.window_for(step.channel)
    if window is None or window.contains(at):
        return at
    if step.send_time_node is not None:
        raise step.send_time_node.error(f"{at:%H:%M} is outside the {step.channel} hours {window}")
    raise node.error(
        f"send_time {at:%H:%M} (the schedule's default) is outside the {step.channel} hours"
        f" {window}; give this step its own send_time"
    )
