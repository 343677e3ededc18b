"""``--plot``: a PNG timeline of a simulation, accounts × days, one marker per outcome.

Each account's row has a lane per channel (SMS at the top, then email, voice and visit), so
marks of different channels on the same day sit side by side; rows are labelled with the
account id (every n-th one when there are too many to read).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

#: Colour per channel, marker per outcome kind.
CHANNEL_COLOURS = {"sms": "#1f77b4", "email": "#2ca02c", "voice": "#d62728", "visit": "#9467bd"}
OUTCOME_MARKERS = {
    "sent": ("o", 18),
    "deferred": ("4", 22),
    "suppressed": ("x", 22),
    "skipped": (".", 8),
    "failed": ("v", 22),
    "unknown": ("d", 22),
}


def plot_timeline(
    outcomes: Sequence[dict[str, Any]], start: datetime, out: Path, title: str
) -> Path:
    """Draw ``outcomes`` (x: days since ``start``, y: account) to ``out`` as PNG."""
    # Imported here: matplotlib costs ~0.25 s to import and only --plot needs it, and the
    # headless backend must be chosen before pyplot is imported.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    accounts = sorted({o["account_id"] for o in outcomes if o.get("channel")})
    row = {a: i for i, a in enumerate(accounts)}
    lanes = list(CHANNEL_COLOURS)
    height = min(max(4.0, len(accounts) * 0.12 + 2), 60.0)
    fig, ax = plt.subplots(figsize=(14, height), dpi=100)
    for kind, (marker, size) in OUTCOME_MARKERS.items():
        for channel, colour in CHANNEL_COLOURS.items():
            xs, ys = [], []
            for o in outcomes:
                if o["outcome"] == kind and o.get("channel") == channel:
                    at = datetime.fromisoformat(o["at"].replace("Z", "+00:00"))
                    xs.append((at - start).total_seconds() / 86400)
                    # lane offsets inside the row: sms -0.3 ... visit +0.3, top to bottom
                    ys.append(row[o["account_id"]] - 0.3 + 0.2 * lanes.index(channel))
            if xs:
                ax.scatter(xs, ys, marker=marker, s=size, c=colour, linewidths=0.8, alpha=0.85)
    ax.set_xlabel("days since simulation start")
    ax.set_ylabel(f"account ({len(accounts)})")
    every = max(1, len(accounts) // 80)
    ax.set_yticks(range(0, len(accounts), every))
    ax.set_yticklabels(accounts[::every], fontsize=6, family="monospace")
    ax.set_ylim(len(accounts) - 0.5, -0.5)  # the first account at the top, as in the report
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    legend = [
        Line2D([], [], color=c, marker="o", linestyle="", label=ch)
        for ch, c in CHANNEL_COLOURS.items()
    ] + [
        Line2D([], [], color="black", marker=m, linestyle="", label=k)
        for k, (m, _) in OUTCOME_MARKERS.items()
    ]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
