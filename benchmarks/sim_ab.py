"""The simulator's batched claim against its per-instant scheduler tick, in the same run.

Run: ``.venv/bin/python -m benchmarks.sim_ab [--n N] [--rounds R]``: ``R`` rounds of ``N`` demo
accounts × ``SIM_DAYS`` days, each round the stepwise run then the batched one on the same
private redis-server, and one JSON line per run (account-days per second, seconds, outcomes,
the CPU seconds of this process and of the redis-server, the load average when it started),
then the min and median of each mode. On a shared machine the CPU seconds move less than the
wall-clock ones.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics

import redis

from benchmarks.fixtures import SIM_DAYS, private_redis
from benchmarks.memory import measure_simulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default="stepwise,batched")
    args = parser.parse_args()
    speeds: dict[str, list[float]] = {}
    per_cpu: dict[str, list[float]] = {}
    with private_redis() as bench:
        for r in range(args.rounds):
            for mode in args.modes.split(","):
                load = os.getloadavg()[0]
                cpu0, server0 = _cpu(), _server_cpu(bench.state_url)
                got = measure_simulation(bench, args.n, stepwise=mode == "stepwise")
                cpu, server = _cpu() - cpu0, _server_cpu(bench.state_url) - server0
                speed = got["simulate_account_days_per_s"]
                speeds.setdefault(mode, []).append(speed)
                per_cpu.setdefault(mode, []).append(args.n * SIM_DAYS / (cpu + server))
                line = {"round": r, "mode": mode, "accounts": args.n, "days": SIM_DAYS}
                line |= {k: v for k, v in got.items() if k.startswith("simulate_")}
                line |= {"client_cpu_s": cpu, "server_cpu_s": server, "load1": load}
                print(json.dumps(line), flush=True)
    for mode, values in speeds.items():
        print(
            f"{mode}: min {min(values):,.1f} median {statistics.median(values):,.1f} "
            f"account-days/s over {len(values)} run(s); per CPU second (client + server) "
            f"median {statistics.median(per_cpu[mode]):,.1f}"
        )


def _cpu() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu(url: str) -> float:
    """User + system CPU seconds of the redis-server so far (its main thread and children;
    the memory measurement's scan after the run is included, the same in both modes)."""
    client = redis.Redis.from_url(url)
    info = client.info("cpu")
    client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


if __name__ == "__main__":
    main()
