"""``remind run`` and ``remind worker``: child processes that start and stop together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from worker.app import check_before_start
from worker.config import Settings
from worker.storage.connection import client, serving

#: Seconds children get to stop after SIGTERM before they are killed.
STOP_GRACE = 15


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for children: the caller's, with the concrete ``REDIS_URL``."""
    env = dict(os.environ)
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


def worker_command(processes: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dramatiq",
        "worker.runtime.broker:setup",
        "worker.runtime.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--queues",
        "intake",
        "dispatch",
    ]


def supervise(commands: Sequence[tuple[str, list[str]]], settings: Settings) -> int:
    """Start every command, wait until one exits or Ctrl-C, then stop them all in order.

    Nothing starts while a schedule file differs from the pinned copy of its version, or on a
    database marked as the simulations' (``worker.app.check_before_start``).
    """
    with serving(settings) as settings:
        assert settings.redis_url is not None  # serving() made it concrete
        with client(settings.redis_url) as state:
            check_before_start(settings, state)
        return _run_children(commands, child_env(settings))


def _run_children(commands: Sequence[tuple[str, list[str]]], env: dict[str, str]) -> int:
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    code = 0
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    old_int = signal.signal(signal.SIGINT, stop)
    old_term = signal.signal(signal.SIGTERM, stop)
    try:
        for name, argv in commands:
            print(f"remind: starting {name}: {' '.join(argv[:4])} ...", flush=True)
            children.append((name, subprocess.Popen(argv, env=env, start_new_session=True)))
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"remind: {name} exited with {proc.returncode}; stopping the rest")
                    code = proc.returncode or 1
                    stopping = True
            if not stopping:
                time.sleep(0.5)  # polling children; a signal ends the wait early
    finally:
        for _, proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in children:
            try:
                proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                print(f"remind: {name} did not stop in {STOP_GRACE}s; killing it")
                proc.kill()
                proc.wait()
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    return code
