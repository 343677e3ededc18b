"""The two pictures of the simulation report, as inline SVG: the account timeline and the plan.

Both draw one *lane* per channel inside each row, so an SMS, a call, an email, a visit and a
skipped step on the same day sit side by side instead of on top of one another. Every mark has
a ``<title>`` (the browser's tooltip) with what it stands for; labels are escaped text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from worker.cadence.schedule import Schedule

#: Lane order inside a row, top to bottom, and the colour of each channel.
CHANNELS = ("sms", "email", "voice", "visit")
CHANNEL_COLOURS = {"sms": "#1f77b4", "email": "#2ca02c", "voice": "#d62728", "visit": "#9467bd"}
#: Colour of the tiers in the plan, in their usual order.
TIER_COLOURS = {"early": "#e8f1fb", "mid": "#fdf1e0", "late": "#fbe5e5"}
_LANE = 9  # pixels per channel lane
_LABEL = 150  # pixels for the row labels
_DAY = 14  # pixels per day in the timeline


def timeline_svg(outcomes: Sequence[dict[str, Any]], start: datetime, days: int) -> str:
    """Accounts × days: one row per account (labelled), one lane per channel inside the row."""
    accounts = sorted({o["account_id"] for o in outcomes if o.get("channel")})
    row_h = _LANE * len(CHANNELS) + 4
    width = _LABEL + days * _DAY + 20
    height = 30 + row_h * len(accounts) + 10
    parts = [_open(width, height, "timeline of every account, one lane per channel")]
    parts.append(_day_axis(days, height))
    for i, account in enumerate(accounts):
        y: float = 30 + i * row_h
        fill = "#f7f7f7" if i % 2 else "#ffffff"
        parts.append(
            f'<rect x="{_LABEL}" y="{y}" width="{days * _DAY}" height="{row_h}" fill="{fill}"/>'
        )
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" '
            f'class="label">{escape(account)}</text>'
        )
    row_of = {a: i for i, a in enumerate(accounts)}
    for o in outcomes:
        channel = o.get("channel")
        if channel not in CHANNEL_COLOURS or o["account_id"] not in row_of:
            continue
        at = datetime.fromisoformat(o["at"].replace("Z", "+00:00"))
        x = _LABEL + (at - start).total_seconds() / 86400 * _DAY
        lane = CHANNELS.index(channel) * _LANE + _LANE / 2
        y = 30 + row_of[o["account_id"]] * row_h + 2 + lane
        parts.append(_mark(o["outcome"], x, y, CHANNEL_COLOURS[channel], _tooltip(o)))
    parts.append("</svg>")
    return "".join(parts)


def plan_svg(schedule: Schedule) -> str:
    """The schedule's steps by day past due (x), channel (lane) and tier (background band)."""
    occurrences = schedule.occurrences
    last = max((o.day for o in occurrences), default=0)
    span = max(last + 2, 10)
    scale = max(8, min(24, 900 // span))
    width, top = _LABEL + span * scale + 20, 30
    height = top + _LANE * 3 * len(CHANNELS) + 40
    parts = [_open(width, height, f"plan of {schedule.name}@{schedule.version}")]
    for tier in dict.fromkeys(o.tier for o in occurrences):
        days = [o.day for o in occurrences if o.tier == tier]
        x0, x1 = _LABEL + (min(days) - 0.5) * scale, _LABEL + (max(days) + 0.5) * scale
        colour = TIER_COLOURS.get(tier, "#eeeeee")
        parts.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" '
            f'height="{height - top - 30}" fill="{colour}"/>'
            f'<text x="{x0 + 3:.1f}" y="{height - 16}" class="tier">'
            f"{escape(tier)}</text>"
        )
    for lane, channel in enumerate(CHANNELS):
        y = top + lane * _LANE * 3 + _LANE * 1.5
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'class="label">{channel}</text>'
            f'<line x1="{_LABEL}" x2="{width - 20}" y1="{y}" y2="{y}" '
            f'stroke="#ccc" stroke-dasharray="2 3"/>'
        )
    for day in range(0, span, 5 if span <= 60 else 10):
        x = _LABEL + day * scale
        parts.append(f'<text x="{x}" y="{top - 8}" text-anchor="middle" class="axis">{day}</text>')
    for o in occurrences:
        x = _LABEL + o.day * scale
        y = top + CHANNELS.index(o.channel) * _LANE * 3 + _LANE * 1.5
        tip = (
            f"day {o.day} {o.send_time:%H:%M}: {o.channel} {o.template} ({o.key}"
            + (f", fallback {o.fallback}" if o.fallback else "")
            + ")"
        )
        parts.append(_mark("sent", x, y, CHANNEL_COLOURS[o.channel], tip, r=5))
        if o.fallback in CHANNEL_COLOURS:
            fy = top + CHANNELS.index(o.fallback) * _LANE * 3 + _LANE * 1.5
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{y}" y2="{fy}" stroke="#999" stroke-dasharray="1 2"/>'
            )
            parts.append(
                _mark(
                    "deferred",
                    x,
                    fy,
                    CHANNEL_COLOURS[o.fallback],
                    f"fallback of {o.key}: {o.fallback}",
                    r=4,
                )
            )
    parts.append(
        f'<text x="{_LABEL - 6}" y="{top - 8}" text-anchor="end" class="axis">'
        "days past due</text></svg>"
    )
    return "".join(parts)


def _open(width: float, height: float, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="{escape(label)}">'
    )


def _day_axis(days: int, height: float) -> str:
    step = 1 if days <= 14 else 7
    out = []
    for day in range(0, days + 1, step):
        x = _LABEL + day * _DAY
        out.append(
            f'<line x1="{x}" x2="{x}" y1="24" y2="{height - 10}" stroke="#e0e0e0"/>'
            f'<text x="{x}" y="18" text-anchor="middle" class="axis">{day}</text>'
        )
    return "".join(out)


def _mark(kind: str, x: float, y: float, colour: str, tip: str, r: float = 3.5) -> str:
    """One outcome's mark: filled circle sent, ring deferred, cross suppressed, dash skipped,
    triangle failed, diamond unknown, square for anything else (results, replies)."""
    t = f"<title>{escape(tip)}</title>"
    if kind in ("sent", "delivered", "answered"):
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}">{t}</circle>'
    if kind == "deferred":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r - 0.5}" fill="none" stroke="{colour}" '
            f'stroke-width="1.2">{t}</circle>'
        )
    if kind == "suppressed":
        return (
            f'<path d="M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x - r:.1f},'
            f'{y + r:.1f}L{x + r:.1f},{y - r:.1f}" stroke="{colour}" stroke-width="1.6">'
            f"{t}</path>"
        )
    if kind == "skipped":
        return (
            f'<rect x="{x - r:.1f}" y="{y - 1:.1f}" width="{2 * r}" height="2" '
            f'fill="#888">{t}</rect>'
        )
    if kind == "failed":
        return (
            f'<path d="M{x:.1f},{y + r:.1f}L{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y - r:.1f}Z" '
            f'fill="{colour}">{t}</path>'
        )
    if kind == "unknown":
        return (
            f'<path d="M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},'
            f'{y:.1f}Z" fill="{colour}">{t}</path>'
        )
    return (
        f'<rect x="{x - r / 2:.1f}" y="{y - r / 2:.1f}" width="{r}" height="{r}" '
        f'fill="{colour}" opacity="0.6">{t}</rect>'
    )


def _tooltip(o: dict[str, Any]) -> str:
    what = o["outcome"] + (f" ({o['reason']})" if o.get("reason") else "")
    step = f" {o['step']}" if o.get("step") else ""
    return f"{o['account_id']} {o.get('local_time') or o['at']}: {o['channel']}{step} {what}"
