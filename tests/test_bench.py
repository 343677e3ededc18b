"""The benchmark harness is an instrument: these tests check that it measures and reports, never
how fast anything is (benchmarks/RESULTS.md holds the figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from benchmarks.fixtures import FULL, QUICK, TINY, sizes_from_env
from benchmarks.harness import FIGURES, summarise
from benchmarks.inprocess import CountingConnection, command_names
from benchmarks.memory import key_memory
from benchmarks.procs import cpu_seconds, descendants, wait_until
from benchmarks.table import TARGETS, table

from .pipeline_helpers import ROOT


def _run(**figures: float) -> dict[str, float]:
    return {k: 1.0 for k in FIGURES} | figures


def test_summary_gives_median_min_and_max_of_every_figure_over_the_runs() -> None:
    runs = [_run(dispatch_per_s=150.0), _run(dispatch_per_s=170.0), _run(dispatch_per_s=160.0)]
    runs[0]["apscheduler_fires_per_s"] = 3.0
    runs[1]["apscheduler_fires_per_s"] = 1.0
    runs[2]["apscheduler_fires_per_s"] = 2.0
    summary = summarise(runs)
    assert summary["dispatch_per_s"] == {"median": 160.0, "min": 150.0, "max": 170.0}
    assert summary["extra"] == {"apscheduler_fires_per_s": {"median": 2.0, "min": 1.0, "max": 3.0}}
    assert list(summary)[: len(FIGURES)] == list(FIGURES)


def test_summary_refuses_a_figure_that_was_not_measured() -> None:
    run = _run()
    del run["gate_p99_us"]
    with pytest.raises(ValueError, match="gate_p99_us"):
        summarise([run])


def test_summary_refuses_a_figure_missing_from_one_run() -> None:
    with pytest.raises(ValueError, match="noop_cpu_ms was measured in 1 of 2 runs"):
        summarise([_run(), _run(noop_cpu_ms=0.3)])


def test_the_table_marks_each_target_met_or_missed_by_its_median() -> None:
    report = {k: {"median": 1.0, "min": 1.0, "max": 1.0} for k in FIGURES}
    report["round_trips_per_dispatch"] = {"median": 13.0, "min": 13.0, "max": 13.0}
    report["claim_vs_apscheduler"] = {"median": 60.0, "min": 45.0, "max": 90.0}
    rows = {line.split("|")[1].strip(" `"): line for line in table(report).splitlines()[2:]}
    assert set(rows) == set(FIGURES) == set(TARGETS)
    assert "**missed** (3.2× the bound)" in rows["round_trips_per_dispatch"]
    assert rows["claim_vs_apscheduler"].endswith("| >= 50 | met |")
    assert rows["worker_cpu_ms"].endswith("| <= 1 | met |")
    assert rows["noop_per_s"].endswith("| (reference) |  |")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, FULL),
        ({"BENCH_QUICK": "1"}, QUICK),
        ({"BENCH_QUICK": "1", "BENCH_TINY": "1"}, TINY),
        ({"BENCH_QUICK": "0"}, FULL),
    ],
)
def test_the_mode_comes_from_the_environment(env: dict[str, str], expected: object) -> None:
    assert sizes_from_env(env) == expected


def test_runs_and_the_pipelines_workers_can_be_overridden() -> None:
    sizes = sizes_from_env({"BENCH_QUICK": "1", "BENCH_RUNS": "5", "BENCH_THREADS": "2"})
    assert (sizes.name, sizes.runs, sizes.processes, sizes.threads) == ("quick", 5, 1, 2)


def test_a_pipeline_counts_as_one_round_trip_and_each_plain_command_as_one(
    redis_url: str, redis_client: redis.Redis
) -> None:
    pool = redis.ConnectionPool.from_url(redis_url, connection_class=CountingConnection)
    client = redis.Redis(connection_pool=pool)
    client.ping()  # the connection's handshake is not part of what is counted below
    before = CountingConnection.sent
    client.set("a", "1")
    client.get("a")
    with client.pipeline(transaction=False) as pipe:
        pipe.incr("b").incr("b").get("b")
        assert pipe.execute() == [1, 2, b"2"]
    assert CountingConnection.sent - before == 3
    client.close()


def test_each_packed_command_is_named_with_its_first_key() -> None:
    conn = redis.Connection()
    packed = b"".join(
        bytes(chunk)
        for chunk in conn.pack_commands(
            [("GET", "remind:idx:a"), ("EVALSHA", "f" * 40, 1, "lock:a", "tok"), ("PING",)]
        )
    )
    assert command_names(packed) == [
        "GET remind:idx:a",
        "EVALSHA (40-char sha) lock:a",
        "PING",
    ]


def test_key_memory_sums_every_key_of_the_database(redis_client: redis.Redis) -> None:
    assert key_memory(redis_client) == (0, 0)
    redis_client.set("one", "x" * 1000)
    redis_client.zadd("two", {f"m{i}": i for i in range(100)})
    used, keys = key_memory(redis_client)
    assert keys == 2
    assert used > 1000 + 100 * 2  # the string's bytes and every member, not a sample


def test_cpu_time_adds_the_children_of_a_process_to_its_own() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "sum(range(20_000_000)); print('done', flush=True); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "done\n"  # its work is over; it waits for us
        assert child.pid in descendants(os.getpid())
        spent = cpu_seconds(child.pid)
        assert spent > 0.1
        own = os.times()
        assert cpu_seconds(os.getpid()) >= own.user + own.system + spent - 0.05
    finally:
        child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream:
                stream.close()


def test_a_worker_that_dies_fails_the_wait_at_once_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('no broker here'); sys.exit(3)"], stdout=out
        )
        with pytest.raises(RuntimeError, match=r"exited \(3\) before the warm-up:\nno broker here"):
            wait_until(lambda: False, "the warm-up", 600, proc, log)


@pytest.mark.slow
def test_the_tiny_harness_prints_every_figure_as_its_last_line() -> None:
    env = {**os.environ, "BENCH_TINY": "1"}
    env.pop("BENCH_QUICK", None)
    env.pop("BENCH_REDIS_URL", None)  # its own embedded server, never the tests' or a user's
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for key in FIGURES:
        figure = report[key]
        assert set(figure) == {"median", "min", "max"}, key
        assert 0 < figure["min"] <= figure["median"] <= figure["max"], (key, figure)
    assert report["meta"]["mode"] == "tiny"
    # one run: each ratio is the ratio of the pair measured beside it
    ratio = report["dispatch_per_s"]["median"] / report["noop_per_s"]["median"]
    assert report["dispatch_ratio"]["median"] == pytest.approx(ratio, rel=0.01)
    fires = report["extra"]["apscheduler_fires_per_s"]["median"]
    assert report["claim_vs_apscheduler"]["median"] == pytest.approx(
        report["claim_per_s"]["median"] / fires, rel=0.01
    )
    # every dispatch was a send that reached the results stream, and was counted
    assert report["round_trips_per_dispatch"]["median"] >= 1
    assert (
        report["extra"]["redis_commands_per_dispatch"]["median"]
        >= (report["round_trips_per_dispatch"]["median"])
    )
