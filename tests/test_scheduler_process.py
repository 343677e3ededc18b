"""`remind scheduler` as a real process: SIGTERM stops it and the embedded Redis it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from worker.storage.embedded import EmbeddedRedis

from .pipeline_helpers import ROOT, TEST_SCHEDULE

pytestmark = pytest.mark.slow


def _wait_for(predicate: Any, what: str, timeout: float = 30.0) -> Any:
    """Poll until another process has done its part (not a wait for time to pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is gone as a server
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_the_scheduler_and_the_embedded_redis_it_started(
    tmp_path: Path, sig: signal.Signals
) -> None:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BROKER_URL")}
    env.update(
        REMIND_DATA_DIR=str(tmp_path / "var"),
        REMIND_SCHEDULES_DIR=str(tmp_path / "schedules"),
        REMIND_TEMPLATES_DIR=str(ROOT / "templates"),
    )
    log = tmp_path / "scheduler.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "worker.cli", "scheduler"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    state_file = tmp_path / "var" / "redis" / "embedded.json"
    try:
        _wait_for(lambda: "scheduler ticking" in log.read_text(), "the scheduler to start")
        state = json.loads(state_file.read_text())
        redis_pid = int(state["pid"])
        assert EmbeddedRedis(tmp_path / "var" / "redis").running() == state["url"]

        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0, log.read_text()
        _wait_for(lambda: not _alive(redis_pid), "the embedded redis-server to exit", 10)
        assert not state_file.exists()
        assert "scheduler stopped" in log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        leftover = EmbeddedRedis(tmp_path / "var" / "redis")
        if leftover.running() and leftover.pid is not None:
            os.kill(leftover.pid, signal.SIGKILL)
