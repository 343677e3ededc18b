"""The harness's JSON line as a markdown table with issue 11's targets, for RESULTS.md.

Run: ``make bench | tail -1 | .venv/bin/python -m benchmarks.table`` (or give a file holding the
output). A target is met when the median meets it; min and max show how noisy the runs were.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness import FIGURES

#: Issue 11's target per figure: (comparison, bound), or None where the figure is a reference.
TARGETS: dict[str, tuple[str, float] | None] = {
    "dispatch_per_s": None,
    "noop_per_s": None,
    "dispatch_ratio": (">=", 0.5),
    "worker_cpu_ms": ("<=", 1.0),
    "round_trips_per_dispatch": ("<=", 4),
    "gate_p50_us": ("<=", 100),
    "gate_p99_us": ("<=", 1000),
    "simulate_account_days_per_s": (">=", 10_000),
    "redis_bytes_per_account": ("<=", 1024),
    "redis_bytes_per_account_steady": ("<=", 2048),
    "claim_per_s": (">=", 100_000),
    "claim_vs_apscheduler": (">=", 50),
}


def _met(median: float, target: tuple[str, float] | None) -> str:
    if target is None:
        return ""
    op, bound = target
    ok = median >= bound if op == ">=" else median <= bound
    return "met" if ok else f"**missed** ({median / bound:.2g}× the bound)"


def table(report: dict[str, Any]) -> str:
    """Markdown rows: figure, median, min–max, target, met or missed."""
    rows = ["| figure | median | min – max | target | |", "|---|---:|---:|---|---|"]
    for key in FIGURES:
        f = report[key]
        target = TARGETS[key]
        shown = f"{target[0]} {target[1]:,g}" if target else "(reference)"
        rows.append(
            f"| `{key}` | {f['median']:,} | {f['min']:,} – {f['max']:,} | {shown} "
            f"| {_met(f['median'], target)} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Read the JSON line (a file argument, or standard input) and print the table."""
    args = sys.argv[1:] if argv is None else argv
    text = Path(args[0]).read_text(encoding="utf-8") if args else sys.stdin.read()
    print(table(json.loads(text.strip().splitlines()[-1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
