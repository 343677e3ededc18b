"""``make bench``: every figure of issue 11's targets table, each the median of several runs.

The last line printed is one JSON object (progress goes to standard error)::

    {"dispatch_per_s": {"median": 161.2, "min": 150.3, "max": 170.0}, ...   # the 12 figures
     "extra": {"gate_defer_p50_us": {...}, ...},                            # the same shape
     "meta": {"mode": "quick", "runs": 3, "sizes": {...}, "machine": {...}}}

Every figure is measured once per run; ``median``, ``min`` and ``max`` are over the runs. The two
ratios (``dispatch_ratio``, ``claim_vs_apscheduler``) are taken within each run, from the pair
measured in that run, and then summarised, rather than divided from two medians.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from benchmarks import claim, inprocess, memory, pipeline
from benchmarks.fixtures import Bench, Sizes, private_redis, sizes_from_env

#: The figures the issue names, in its order; each is a {"median", "min", "max"} object.
FIGURES = (
    "dispatch_per_s",
    "noop_per_s",
    "dispatch_ratio",
    "worker_cpu_ms",
    "round_trips_per_dispatch",
    "gate_p50_us",
    "gate_p99_us",
    "simulate_account_days_per_s",
    "redis_bytes_per_account",
    "redis_bytes_per_account_steady",
    "claim_per_s",
    "claim_vs_apscheduler",
)

Run = dict[str, Any]


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def one_run(bench: Bench, sizes: Sizes) -> Run:
    """Every benchmark once; numbers only (breakdowns are logged, not summarised)."""
    run: Run = {}
    steps: list[tuple[str, Callable[[], Mapping[str, Any]]]] = [
        ("pipeline", lambda: _pipeline(bench, sizes)),
        ("round trips", lambda: inprocess.measure_round_trips(bench, sizes.inprocess)),
        ("gate", lambda: inprocess.measure_gate(bench, sizes.gate)),
        ("memory after enrolment", lambda: memory.measure_enrolled(bench, sizes.enrolled)),
        ("simulation", lambda: memory.measure_simulation(bench, sizes.sim_accounts)),
        ("claims", lambda: _claims(bench, sizes)),
    ]
    for name, step in steps:
        t0 = time.perf_counter()
        figures = step()
        numbers = {k: v for k, v in figures.items() if isinstance(v, int | float)}
        others = {k: v for k, v in figures.items() if k not in numbers}
        run.update(numbers)
        shown = ", ".join(f"{k}={_round(v)}" for k, v in numbers.items())
        _say(f"  {name} ({time.perf_counter() - t0:.1f}s): {shown} {others or ''}".rstrip())
    return run


def _pipeline(bench: Bench, sizes: Sizes) -> dict[str, Any]:
    workers = {"processes": sizes.processes, "threads": sizes.threads}
    d = pipeline.measure_dispatch(bench, sizes.dispatches, **workers)
    n = pipeline.measure_noop(bench, sizes.noops, **workers)
    return {
        "dispatch_per_s": d.per_s,
        "noop_per_s": n.per_s,
        "dispatch_ratio": d.per_s / n.per_s,
        "worker_cpu_ms": d.cpu_ms,
        "noop_cpu_ms": n.cpu_ms,
        "dispatch_outcomes": d.detail["outcomes"],
    }


def _claims(bench: Bench, sizes: Sizes) -> dict[str, Any]:
    c = claim.measure_claims(bench, sizes.claims)
    a = claim.measure_apscheduler(bench, sizes.apscheduler_jobs)
    ratio = c["claim_per_s"] / a["apscheduler_fires_per_s"]
    return {**c, **a, "claim_vs_apscheduler": ratio}


def _round(value: float) -> float:
    return round(value, 3) if abs(value) < 100 else round(value, 1)


def summarise(runs: Sequence[Run]) -> dict[str, Any]:
    """Median, min and max of every number over ``runs``: the 12 figures at the top level, the
    rest under ``extra``. A figure missing from any run is an error, never a silent gap."""
    keys = sorted(set().union(*runs)) if runs else []
    missing = [k for k in FIGURES if k not in keys]
    if missing:
        raise ValueError(f"figures not measured: {', '.join(missing)}")
    summary: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key in keys:
        values = [run[key] for run in runs if key in run]
        if len(values) != len(runs):
            raise ValueError(f"{key} was measured in {len(values)} of {len(runs)} runs")
        stats = {
            "median": _round(statistics.median(values)),
            "min": _round(min(values)),
            "max": _round(max(values)),
        }
        (summary if key in FIGURES else extra)[key] = stats
    return {**{k: summary[k] for k in FIGURES}, "extra": extra}


def machine(bench: Bench) -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    client = bench.client()
    version = client.info("server")["redis_version"]
    client.close()
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "redis": version,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    """Run the benchmarks ``sizes.runs`` times on a private Redis and print the summary."""
    sizes = sizes_from_env()
    began = time.perf_counter()
    with private_redis() as bench:
        meta: dict[str, Any] = {"mode": sizes.name, "runs": sizes.runs, "sizes": asdict(sizes)}
        meta["machine"] = machine(bench)
        _say(f"{sizes.name} mode, {sizes.runs} runs, load {meta['machine']['loadavg']}")
        runs = []
        for i in range(sizes.runs):
            _say(f"run {i + 1} of {sizes.runs}")
            runs.append(one_run(bench, sizes))
        meta["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        bench.flush()
    meta["seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps({**summarise(runs), "meta": meta}), flush=True)
    return 0
