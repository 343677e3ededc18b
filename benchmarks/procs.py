"""Worker processes for the pipeline benchmark: start, CPU time of the process tree, stop.

CPU time is read from ``/proc`` (Linux): user + system time of the dramatiq parent and every
descendant (its worker processes), so the figure covers all the work a worker does per message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from benchmarks.fixtures import ROOT

#: Seconds a worker gets to stop after SIGTERM before it is killed.
STOP_GRACE = 20.0
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    return raw[raw.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds used so far by ``root`` and its live descendants."""
    total = 0
    for pid in descendants(root):
        fields = _stat(pid)
        if fields is not None:  # utime and stime are fields 14 and 15 of /proc/<pid>/stat
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def wait_until(
    predicate: Callable[[], bool],
    what: str,
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll until another process has done its part (a wait for work, not for time); fail at
    once, with the end of its ``log``, if ``proc`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"the worker exited ({proc.returncode}) before {what}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.005)


def dramatiq_command(
    modules: Sequence[str], queues: Sequence[str], processes: int, threads: int
) -> list[str]:
    """``python -m dramatiq`` with remind's broker setup, ``modules``' actors and ``queues``."""
    return [
        sys.executable,
        "-m",
        "dramatiq",
        "worker.runtime.broker:setup",
        *modules,
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--queues",
        *queues,
    ]


@contextmanager
def running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` for the block; stop it (SIGTERM, then SIGKILL) and its children after."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE)
    # whatever is left of its session (a worker child that outlived its parent) goes too
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
