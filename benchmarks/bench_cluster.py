"""remind on one Redis server and on a three-primary Redis Cluster, side by side, as JSON: claims
a second (one shard, then the whole timeline with 1, 2 and 4 claimer processes), decisions a
second with 1, 2 and 4 dispatching processes, Redis bytes per enrolled account, and a steady
state (accounts simulated through their cadence: decisions, sends and bytes per account).

Run: ``.venv/bin/python benchmarks/bench_cluster.py`` (``--help`` for sizes). It starts the
embedded redis-server and a local cluster (``worker.testing.redis_cluster``) in temporary
directories and stops both at the end. The baseline is the single server, measured in the same
run: on one machine the cluster's three primaries share its cores with the clients, so the
cluster's figures here say what sharding costs a client, not what three machines would give.

Decisions are ``dispatch`` called in process on the demo's generated accounts (several
jurisdictions, the outbox channel), each process taking its own slice of the claimed entries:
the gate, rendering and every Redis write of a real dispatch, without dramatiq's queue hop.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from worker.app import App
from worker.clock import SimulatedClock, to_epoch
from worker.config import Settings
from worker.dispatch.pipeline import dispatch
from worker.intake import enroll_raw
from worker.sim.demo_data import generate_accounts
from worker.sim.run import DEMO_START
from worker.sim.simulate import simulate
from worker.storage import connection, keys
from worker.storage.embedded import EmbeddedRedis
from worker.storage.scripts import load_script
from worker.storage.timeline import Timeline
from worker.testing.redis_cluster import LocalCluster

ROOT = Path(__file__).resolve().parent.parent
#: When the claimed entries are due; decisions are made at ``DUE_AT``.
DUE_AT = DEMO_START + timedelta(days=3)
LEASE = 600.0


def _settings(url: str, data: Path) -> Settings:
    return Settings(redis_url=url, schedules_dir=ROOT / "schedules",
                    templates_dir=ROOT / "templates", data_dir=data)  # fmt: skip


def _claimer(url: str, batch: int, start: Any, out: Any) -> None:
    client = connection.client(url)
    timeline = Timeline(client)
    start.wait(timeout=120)
    began, claimed = time.perf_counter(), 0
    while got := timeline.claim(DUE_AT, lease_seconds=LEASE, limit=batch):
        claimed += len(got)
    out.put((claimed, began, time.perf_counter()))
    client.close()


def _parallel(target: Any, each: list[tuple[Any, ...]]) -> tuple[int, float]:
    """Run ``target(*args, start, out)`` for each ``args`` of ``each`` in spawned processes
    started together; the sum of their counts and the seconds from the first start to the
    last end."""
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(len(each)), ctx.Queue()
    workers = [ctx.Process(target=target, args=(*args, start, out)) for args in each]
    for w in workers:
        w.start()
    try:
        results = [out.get(timeout=600) for _ in workers]
    finally:
        for w in workers:
            w.join(timeout=60)
            if w.is_alive():
                w.kill()
    return sum(r[0] for r in results), max(r[2] for r in results) - min(r[1] for r in results)


def claims(url: str, entries: int, batch: int, procs: int) -> float:
    """Claims a second: ``entries`` due entries claimed by ``procs`` processes."""
    client = connection.client(url)
    client.flushall()
    timeline = Timeline(client)
    pipe = client.pipeline(transaction=False)
    for i in range(entries):
        timeline.place(f"acct-{i}", DUE_AT - timedelta(seconds=i % 3600), pipe)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    client.close()
    done, seconds = _parallel(_claimer, [(url, batch)] * procs)
    assert done == entries, (done, entries)
    return round(done / seconds, 1)


def one_shard_claims(url: str, entries: int, batch: int) -> float:
    """Claims a second from a single shard's sorted set, one process, ``claim.lua`` directly."""
    client = connection.client(url)
    client.flushall()
    key = keys.timeline(0)
    pipe = client.pipeline(transaction=False)
    for i in range(entries):
        pipe.zadd(key, {f"acct-{i}": to_epoch(DUE_AT) - i % 3600})
    pipe.execute()
    script, claimed = load_script(client, "claim"), 0
    began = time.perf_counter()
    while got := script(keys=[key], args=[to_epoch(DUE_AT), LEASE, batch]):
        claimed += len(got) // 2
    seconds = time.perf_counter() - began
    client.close()
    return round(claimed / seconds, 1)


def _enrolled(url: str, data: Path, n: int) -> tuple[App, list[tuple[str, float]]]:
    """``n`` demo accounts enrolled on an empty keyspace and their first entries claimed."""
    client = connection.client(url)
    client.flushall()
    clock = SimulatedClock(DEMO_START)
    app = App(_settings(url, data), client, clock)
    for a in generate_accounts(DEMO_START.date(), n):
        enroll_raw(app, a, "bench")
    clock.set(DUE_AT)
    claimed = [(c.account_id, c.due) for c in app.timeline.claim(DUE_AT, lease_seconds=LEASE,
                                                                 limit=10 * n)]  # fmt: skip
    return app, claimed


def _dispatcher(url: str, data: str, share: list[tuple[str, float]], start: Any, out: Any) -> None:
    client = connection.client(url)
    app = App(_settings(url, Path(data)), client, SimulatedClock(DUE_AT))
    app.current_schedule("standard")  # warm the schedule and template caches before the clock
    start.wait(timeout=120)
    began, decided = time.perf_counter(), 0
    for account_id, due in share:
        decided += len(dispatch(app, account_id, due))
    out.put((decided, began, time.perf_counter()))
    client.close()


def decisions(url: str, data: Path, n: int, procs: int) -> float:
    """Decisions a second: the first due step of ``n`` accounts, over ``procs`` processes."""
    app, claimed = _enrolled(url, data, n)
    app.client.close()
    done, seconds = _parallel(
        _dispatcher, [(url, str(data), claimed[i::procs]) for i in range(procs)]
    )
    return round(done / seconds, 1)


def bytes_per_account(url: str, data: Path, n: int) -> dict[str, float]:
    """Redis memory (``MEMORY USAGE`` of every key) per account: enrolled, then after each
    account's first step is decided."""
    app, claimed = _enrolled(url, data, n)

    enrolled = _memory(app.client)
    before, made = _commands(app.client), 0
    for account_id, due in claimed:
        made += len(dispatch(app, account_id, due))
    commands = _commands(app.client) - before
    decided = _memory(app.client)
    app.client.close()
    return {
        "enrolled": round(enrolled / n),
        "first_step_decided": round(decided / n),
        "redis_commands_per_decision": round(commands / made, 1),
    }


def _commands(client: Any) -> int:
    """Commands the server (every primary of a cluster) has processed, Lua's included."""
    if connection.is_cluster(client):
        nodes = client.info("commandstats", target_nodes=client.PRIMARIES).values()
    else:
        nodes = [client.info("commandstats")]
    return sum(
        int(v["calls"]) for node in nodes for k, v in node.items() if k.startswith("cmdstat_")
    )


def _memory(client: Any) -> int:
    names = list(client.scan_iter(count=1000))
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.memory_usage(name, samples=0)
    return sum(int(b or 0) for b in pipe.execute())


def steady_state(url: str, data: Path, n: int, days: int) -> dict[str, float]:
    """``simulate`` of ``n`` demo accounts (no events) for ``days`` days: decisions and sends
    per account, Redis bytes per account at the end (the audit log holds every decision)."""
    client = connection.client(url)
    client.flushall()
    accounts = [("bench", a) for a in generate_accounts(DEMO_START.date(), n)]
    result = simulate(_settings(url, data), client, accounts=accounts, start=DEMO_START, days=days)
    audit = sum(_memory_of(client, keys.audit(shard)) for shard in range(keys.TIMELINE_SHARDS))
    report = {
        "days": days,
        "decisions_per_account": round(len(result.outcomes) / n, 1),
        "sent_per_account": round(sum(o["outcome"] == "sent" for o in result.outcomes) / n, 1),
        "redis_bytes_per_account": round(_memory(client) / n),
        "audit_bytes_per_account": round(audit / n),
    }
    client.close()
    return report


def _memory_of(client: Any, key: str) -> int:
    return int(client.memory_usage(key, samples=0) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=60_000, help="timeline entries to claim")
    parser.add_argument("--batch", type=int, default=500, help="entries per claim call")
    parser.add_argument("--accounts", type=int, default=600, help="accounts to dispatch")
    parser.add_argument("--procs", default="1,2,4", help="process counts to measure")
    parser.add_argument("--steady-accounts", type=int, default=100, help="accounts simulated")
    parser.add_argument("--steady-days", type=int, default=60, help="days they are simulated")
    parser.add_argument("--only-steady", action="store_true", help="the steady state only")
    args = parser.parse_args(argv)
    counts = [int(p) for p in args.procs.split(",")]
    report: dict[str, Any] = {"cores": os.cpu_count(), "loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "server") as server:
        cluster = LocalCluster(Path(tmp) / "cluster")
        try:
            url = server.url or ""
            report["steady"] = steady_state(
                url, Path(tmp) / "steady", args.steady_accounts, args.steady_days
            )
            urls = {} if args.only_steady else {"server": url, "cluster": cluster.start()}
            for name, url in urls.items():
                data = Path(tmp) / f"data-{name}"
                report[name] = {
                    "claims_per_s_one_shard": one_shard_claims(url, args.entries // 4, args.batch),
                    "claims_per_s": {p: claims(url, args.entries, args.batch, p) for p in counts},
                    "decisions_per_s": {p: decisions(url, data, args.accounts, p) for p in counts},
                    "per_account": bytes_per_account(url, data, args.accounts),
                }
        finally:
            cluster.stop()
    report["loadavg_after"] = os.getloadavg()
    report["sizes"] = vars(args)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
