"""Champion / challenger: the outcomes of each version of a schedule, side by side.

A schedule with a ``challenger:`` block enrols a share of its people on another version
(``worker.cadence.challenger``). A simulation then compares the versions' accounts on five
proportions, each counted once per account over the whole run:

- **contacted**: at least one message went out (an outcome ``sent``, on any channel);
- **paid**: a ``paid`` or ``payment`` event was applied;
- **promised**: a ``promise_to_pay`` event was applied;
- **opted out**: an ``opt_out`` event was applied or a reply opted the person out (an outcome
  ``opted_out``, e.g. an SMS STOP);
- **complaints**: a ``dispute`` or ``cease`` event was applied: the person contested the debt or
  told the collector to stop, the two answers a collections team counts as complaints.

Each proportion comes with its 95 % Wilson score interval, which stays inside 0 to 100 % and is
honest for the small groups and the proportions near 0 a simulation gives (the normal
approximation is not).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from rich.table import Table

#: The proportions compared, in the order shown.
MEASURES = ("contacted", "paid", "promised", "opted out", "complaints")
#: z of a two-sided 95 % interval.
Z95 = 1.959963984540054
_EVENTS = {
    "paid": "paid", "payment": "paid", "promise_to_pay": "promised", "opt_out": "opted out",
    "dispute": "complaints", "cease": "complaints",
}  # fmt: skip


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n`` (0 to 1); (0, 1) when ``n`` is 0."""
    if n == 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, not {successes}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Arm:
    """One version's accounts and how many of them reached each measure."""

    ref: str  # name@version
    accounts: int
    counts: Mapping[str, int]

    def cell(self, measure: str) -> str:
        """``k/n  p% [lo–hi]``, as both the HTML and the text tables show it."""
        k, n = self.counts[measure], self.accounts
        low, high = wilson(k, n)
        return f"{k}/{n}  {_pct(k / n if n else 0.0)} [{_pct(low)}–{_pct(high)}]"


def compare_arms(
    enrolled: Mapping[str, str],
    outcomes: Sequence[Mapping[str, Any]],
    events: Mapping[str, Sequence[str]],
) -> list[Arm]:
    """The arms of every schedule that ran more than one version, sorted by reference.

    ``enrolled``: account id -> ``name@version`` it was enrolled under; ``events``: account id ->
    the types of the events applied to it.
    """
    reached: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        if o["outcome"] == "sent":
            reached[o["account_id"]].add("contacted")
        elif o["outcome"] == "opted_out":
            reached[o["account_id"]].add("opted out")
    for account_id, types in events.items():
        reached[account_id].update(_EVENTS[t] for t in types if t in _EVENTS)
    by_ref: dict[str, list[str]] = defaultdict(list)
    for account_id, ref in enrolled.items():
        by_ref[ref].append(account_id)
    versions: dict[str, int] = defaultdict(int)
    for ref in by_ref:
        versions[ref.partition("@")[0]] += 1
    return [
        Arm(ref, len(ids), {m: sum(m in reached[a] for a in ids) for m in MEASURES})
        for ref, ids in sorted(by_ref.items())
        if versions[ref.partition("@")[0]] > 1
    ]


def arms_html(arms: Sequence[Arm]) -> str:
    """The report's comparison table (``id='arms'``)."""
    head = "".join(f"<th>{m}</th>" for m in MEASURES)
    rows = [f"<tr><th>version</th><th>accounts</th>{head}</tr>"]
    for arm in arms:
        cells = "".join(f"<td class='n'>{escape(arm.cell(m))}</td>" for m in MEASURES)
        rows.append(f"<tr><td>{escape(arm.ref)}</td><td class='n'>{arm.accounts}</td>{cells}</tr>")
    return (
        "<p>Accounts of each version of a schedule that split its enrolments (champion / "
        "challenger): the share that reached each outcome, with its 95 % Wilson score interval. "
        "Contacted: a message sent; paid: a paid or payment event; promised: a promise to pay; "
        "opted out: an opt-out event or reply; complaints: a dispute or cease.</p>"
        f"<table id='arms'>{''.join(rows)}</table>"
    )


def arms_rows(arms: Sequence[Arm]) -> list[list[str]]:
    """The comparison as text rows (version, accounts, one cell per measure)."""
    return [[arm.ref, str(arm.accounts), *(arm.cell(m) for m in MEASURES)] for arm in arms]


def arms_table(arms: Sequence[Arm]) -> Table:
    """The comparison as the table ``remind simulate`` prints after its summary."""
    table = Table(title="champion / challenger: share of accounts [95% Wilson interval]")
    for col in ("version", "accounts", *MEASURES):
        table.add_column(col, justify="left" if col == "version" else "right")
    for row in arms_rows(arms):
        table.add_row(*row)
    return table


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"
