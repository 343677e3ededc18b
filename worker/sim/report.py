"""``--report``: one self-contained HTML file that explains a simulation to an ops team.

It holds the summary tables, per-tier and per-channel funnels, the deferrals and suppressions by
rule (each rule linked to its title and citation, and the citation to the law where a stable
address is known), the timeline of every account (labelled, one lane per channel) and the plan
of each schedule as a picture. Nothing is fetched when the file is opened: styles and pictures
are inline, so it can be mailed or attached to a ticket.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from worker.cadence.schedule import Schedule
from worker.gate.packs.files import builtin_packs
from worker.sim.arms import Arm, arms_html
from worker.sim.report_svg import CHANNEL_COLOURS, CHANNELS, plan_svg, timeline_svg

#: Tiers in their usual order; others follow alphabetically.
TIERS = ("early", "mid", "late")
#: Funnel stages: what share of the steps reached got this far.
STAGES = ("reached", "deferred at least once", "sent", "suppressed", "skipped", "failed or unknown")
#: Where a citation's text leads: (pattern, address built from its groups).
_LAW_LINKS = (
    (
        re.compile(r"(\d+) CFR (\d+)\.(\d+)"),
        "https://www.ecfr.gov/current/title-{0}/section-{1}.{2}",
    ),
    (re.compile(r"15 U\.S\.C\. (\d+[a-z]*)"), "https://www.law.cornell.edu/uscode/text/15/{0}"),
    (
        re.compile(r"CONC (\d+)\.(\d+)"),
        "https://www.handbook.fca.org.uk/handbook/CONC/{0}/{1}.html",
    ),
    (re.compile(r"RCW ([\d.]+\d)"), "https://app.leg.wa.gov/RCW/default.aspx?cite={0}"),
    (
        re.compile(r"Cal\. Civ\. Code (\d+\.\d+)"),
        "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum={0}",
    ),
)
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:3px 8px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;height:10px;background:#1f77b4;vertical-align:middle}
.scroll{overflow:auto;border:1px solid #ddd;max-height:900px}
svg text.label{font:11px monospace}svg text.axis{font:10px sans-serif;fill:#555}
svg text.tier{font:11px sans-serif;fill:#555}.legend span{margin-right:14px}
.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}
"""


def write_report(
    path: Path,
    outcomes: Sequence[dict[str, Any]],
    *,
    schedules: Sequence[Schedule],
    start: datetime,
    days: int,
    title: str,
    arms: Sequence[Arm] = (),
) -> Path:
    """Write the report of ``outcomes`` to ``path`` (folders made as needed); return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        render_report(
            outcomes, schedules=schedules, start=start, days=days, title=title, arms=arms
        ),
        encoding="utf-8",
    )
    return path


def render_report(
    outcomes: Sequence[dict[str, Any]],
    *,
    schedules: Sequence[Schedule],
    start: datetime,
    days: int,
    title: str,
    arms: Sequence[Arm] = (),
) -> str:
    """The report as one HTML document; ``arms``: the champion / challenger comparison
    (``worker.sim.arms``), shown after the summary when a schedule split its enrolments."""
    accounts = {o["account_id"] for o in outcomes if o.get("channel")}
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{len(accounts)} accounts, {len(outcomes)} decisions and results, {days} days "
        f"from {start:%Y-%m-%d}.</p>",
        "<h2 id='summary'>Summary</h2>",
        _counts_table(outcomes),
        *(
            ["<h2 id='champion-challenger'>Champion / challenger</h2>", arms_html(arms)]
            if arms
            else []
        ),
        "<h2 id='funnels'>Funnels</h2>",
        "<p>Each step an account reached, once: how many were held back for a while, sent, "
        "stopped for good, skipped or failed.</p>",
        _funnel("tier", _ordered_tiers(outcomes), outcomes),
        _funnel(
            "channel",
            [c for c in CHANNELS if any(o.get("channel") == c for o in outcomes)],
            outcomes,
        ),
        "<h2 id='rules'>Deferrals and suppressions by rule</h2>",
        _by_rule(outcomes),
        "<h2 id='timeline'>Timeline of every account</h2>",
        _legend(),
        f"<div class='scroll'>{timeline_svg(outcomes, start, days)}</div>",
        "<h2 id='plan'>Plan of the schedule</h2>",
        "<p>Each step on its day past due and channel (● a step, ○ its fallback channel); the "
        "bands are the tiers. Hover a step for its template and send time.</p>",
        *(
            f"<h3>{escape(s.name)}@{escape(s.version)}</h3><div class='scroll'>{plan_svg(s)}</div>"
            for s in schedules
        ),
        "<h2 id='citations'>Rules cited</h2>",
        _citations(outcomes),
    ]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def rule_anchor(rule: str) -> str:
    """The fragment id of a rule in the *Rules cited* section: ``us-federal/F1@x`` -> ..."""
    return "rule-" + re.sub(r"[^A-Za-z0-9]+", "-", rule.split("@")[0]).strip("-")


def law_link(citation: str) -> str | None:
    """A stable address for the first law ``citation`` names, or None when none is known."""
    for pattern, address in _LAW_LINKS:
        if m := pattern.search(citation):
            return address.format(*m.groups())
    return None


def _ordered_tiers(outcomes: Sequence[dict[str, Any]]) -> list[str]:
    found = {o["tier"] for o in outcomes if o.get("tier")}
    return [t for t in TIERS if t in found] + sorted(found - set(TIERS))


def _counts_table(outcomes: Sequence[dict[str, Any]]) -> str:
    counts = Counter((o["outcome"], o.get("channel") or "-") for o in outcomes)
    kinds = list(dict.fromkeys(o["outcome"] for o in outcomes))
    channels = [c for c in (*CHANNELS, "-") if any(ch == c for _, ch in counts)]
    head = "".join(f"<th>{escape(c)}</th>" for c in channels)
    rows = [f"<tr><th>outcome</th>{head}<th>total</th></tr>"]
    for kind in kinds:
        cells = "".join(f"<td class='n'>{counts.get((kind, c), 0)}</td>" for c in channels)
        total = sum(counts.get((kind, c), 0) for c in channels)
        rows.append(f"<tr><td>{escape(kind)}</td>{cells}<td class='n'>{total}</td></tr>")
    return f"<table id='counts'>{''.join(rows)}</table>"


def funnel_counts(outcomes: Sequence[dict[str, Any]], by: str) -> dict[str, Counter[str]]:
    """Per value of ``by`` (tier or channel), how many distinct (account, step) reached each
    stage of ``STAGES``."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    group: dict[tuple[str, str], str] = {}
    for o in outcomes:
        if not o.get("step") or not o.get(by):
            continue
        key = (o["account_id"], o["step"])
        seen[key].add(o["outcome"])
        group.setdefault(key, o[by])
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for key, kinds in seen.items():
        c = out[group[key]]
        c["reached"] += 1
        c["deferred at least once"] += "deferred" in kinds
        c["sent"] += "sent" in kinds
        c["suppressed"] += "suppressed" in kinds and "sent" not in kinds
        c["skipped"] += "skipped" in kinds and "sent" not in kinds
        c["failed or unknown"] += bool({"failed", "unknown"} & kinds)
    return out


def _funnel(by: str, values: Sequence[str], outcomes: Sequence[dict[str, Any]]) -> str:
    counts = funnel_counts(outcomes, by)
    rows = [f"<tr><th>{by}</th>" + "".join(f"<th>{s}</th>" for s in STAGES) + "</tr>"]
    for value in values:
        c = counts.get(value, Counter())
        reached = c["reached"] or 1
        cells = "".join(
            f"<td class='n'>{c[s]} <span class='bar' style='width:{60 * c[s] // reached}px'>"
            f"</span></td>"
            for s in STAGES
        )
        rows.append(f"<tr><td>{escape(value)}</td>{cells}</tr>")
    return f"<table id='funnel-{by}'>{''.join(rows)}</table>"


def _by_rule(outcomes: Sequence[dict[str, Any]]) -> str:
    counts = Counter(
        (o["outcome"], o["reason"] or "-", o["rule"])
        for o in outcomes
        if o["outcome"] in ("deferred", "suppressed") and o.get("rule")
    )
    if not counts:
        return "<p>No step was deferred or suppressed by a rule.</p>"
    rows = ["<tr><th>outcome</th><th>reason</th><th>rule</th><th>count</th></tr>"]
    for (kind, reason, rule), n in counts.most_common():
        link = f"<a href='#{rule_anchor(rule)}'>{escape(rule)}</a>"
        rows.append(
            f"<tr><td>{kind}</td><td>{escape(reason)}</td><td>{link}</td>"
            f"<td class='n'>{n}</td></tr>"
        )
    return f"<table id='by-rule'>{''.join(rows)}</table>"


def _citations(outcomes: Sequence[dict[str, Any]]) -> str:
    rules = sorted({o["rule"] for o in outcomes if o.get("rule")})
    known = {
        f"{pack.name}/{rule.id}": rule for pack in builtin_packs().values() for rule in pack.rules
    }
    rows = ["<tr><th>rule</th><th>what it says</th><th>source</th><th>certainty</th></tr>"]
    for rule_id in rules:
        rule = known.get(rule_id.split("@")[0])
        if rule is None:
            title, source, certainty = _builtin_source(rule_id), "", ""
        else:
            address = law_link(rule.citation)
            source = (
                f"<a href='{escape(address)}'>{escape(rule.citation)}</a>"
                if address
                else escape(rule.citation)
            )
            title, certainty = escape(rule.title), rule.certainty
        rows.append(
            f"<tr id='{rule_anchor(rule_id)}'><td>{escape(rule_id)}</td><td>{title}</td>"
            f"<td>{source}</td><td>{certainty}</td></tr>"
        )
    return f"<table id='cited'>{''.join(rows)}</table>"


def _builtin_source(rule_id: str) -> str:
    source = rule_id.split("/")[0]
    return {
        "house": "the schedule's own policy (its <code>policy:</code> section)",
        "person": "a constraint the person stated (an event)",
        "lifecycle": "the account's lifecycle (an event: paid, cease, dispute, ...)",
        "consent": "consent on record for the channel",
        "content": "what the rendered message must or must not contain",
        "gate": "several rules' windows together",
    }.get(source, "built in")


def _legend() -> str:
    dots = "".join(
        f"<span><i class='dot' style='background:{c}'></i>{ch}</span>"
        for ch, c in CHANNEL_COLOURS.items()
    )
    return (
        f"<p class='legend'>{dots} — lanes top to bottom: {', '.join(CHANNELS)}. "
        "● sent, ○ deferred, ✕ suppressed, ▬ skipped, ▼ failed, ◆ unknown, ■ other "
        "(delivered, answered, replies). Hover a mark for its details.</p>"
    )
