"""Repayment plans in a simulation's summary and report: how each instalment went (kept by its
date, late within the grace days, broken), and what happened to the plans and offers, counted
from the ``plan`` outcomes (docs/contracts.md, Outcome)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any

from rich.table import Table

#: Instalment adherence, then plan and settlement events, in the order they are shown.
ADHERENCE = ("kept", "late", "broken")
PLAN_EVENTS = (
    "agreed", "replaced", "cancelled", "completed", "balance_paid",
    "settlement_offered", "settlement_accepted", "settled",
)  # fmt: skip


def plan_counts(outcomes: Sequence[dict[str, Any]]) -> Counter[str]:
    """``plan`` outcomes by reason: per instalment ``kept``/``late``/``broken``, per plan the
    rest."""
    return Counter(str(o["reason"]) for o in outcomes if o["outcome"] == "plan")


def _rows(counts: Counter[str]) -> list[tuple[str, str, int]]:
    known = [*ADHERENCE, *PLAN_EVENTS]
    rows = [("instalments", r, counts[r]) for r in ADHERENCE if counts[r]]
    rows += [("plans and offers", r, counts[r]) for r in PLAN_EVENTS if counts[r]]
    rows += [("other", r, n) for r, n in sorted(counts.items()) if r not in known]
    return rows


def plan_table(outcomes: Sequence[dict[str, Any]]) -> Table | None:
    """The summary table of plans (``remind simulate``, ``remind demo``); None without plans."""
    counts = plan_counts(outcomes)
    if not counts:
        return None
    table = Table(title="repayment plans: instalments and plan events")
    for col in ("what", "reason", "count"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for what, reason, n in _rows(counts):
        table.add_row(what, reason, str(n))
    return table


def plan_section(outcomes: Sequence[dict[str, Any]]) -> str:
    """The report's *Repayment plans* section (HTML); a line saying so when there were none."""
    counts = plan_counts(outcomes)
    if not counts:
        return "<p>No account agreed a repayment plan or a settlement in this run.</p>"
    adherence = sum(counts[r] for r in ADHERENCE)
    kept = counts["kept"] + counts["late"]
    head = "<tr><th>what</th><th>reason</th><th>count</th></tr>"
    rows = "".join(
        f"<tr><td>{escape(w)}</td><td>{escape(r)}</td><td class='n'>{n}</td></tr>"
        for w, r, n in _rows(counts)
    )
    share = f"{kept} of {adherence} instalments paid" if adherence else "no instalment came due"
    return (
        f"<p>Instalments are kept (paid by their date), late (paid within the grace days) or "
        f"broken (unpaid when the grace days ran out); {escape(share)}.</p>"
        f"<table id='plans'>{head}{rows}</table>"
    )
