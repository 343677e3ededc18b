"""A real Redis Cluster on loopback, for tests and benchmarks: the bundled redis-server in
cluster mode, joined by the bundled redis-cli.

``LocalCluster(directory, primaries=3, replicas=0).start()`` starts ``primaries * (1 + replicas)``
servers on free ports, joins them with ``redis-cli --cluster create`` (slots spread evenly over
the primaries, each replica following one primary) and waits until every node reports
``cluster_state:ok`` and sees every other, so a test starts on a cluster that routes every slot.
``kill(port)`` ends one node the hard way (SIGKILL: no AOF flush, no goodbye), for failover
tests; ``wait_for_failover`` waits until a replica has taken over its slots. With
``app_user=True`` clients log in as ``APP_USER`` (``url`` carries it), which lets
``cut_off_replicas(port)`` part a primary from its replicas, as a network partition would.
``stop`` ends every node still running. Waits poll a condition with a deadline; none sleeps for
time to pass.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from worker.errors import ConfigError
from worker.storage.embedded import _in_use, redis_server_binary

#: Seconds a node may stay silent before the others judge it failed (a failover starts then).
NODE_TIMEOUT_MS = 1000
#: A node's cluster bus listens this many ports above its client port.
BUS_OFFSET = 10_000
#: The user and password ``url`` logs in with when the cluster has ``app_user``.
APP_USER = ("remind-app", "local-cluster-app")
#: Seconds to wait for a cluster to form, or to fail over.
DEFAULT_TIMEOUT = 60.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float) -> None:
    """Poll ``condition`` until true; ``ConfigError`` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)  # waiting for other processes to agree, not for time to pass
    raise ConfigError(f"local Redis Cluster: {what} did not happen within {timeout:.0f}s")


def _cluster_port() -> int:
    """A free loopback port whose cluster bus port (port + 10000) is free too; Redis refuses a
    port above 55535 for that reason."""
    for _ in range(200):
        port = random.randrange(20000, 45000)
        if not _in_use(port) and not _in_use(port + BUS_OFFSET):
            return port
    raise ConfigError("local Redis Cluster: no free pair of ports (port, port + 10000)")


def _node(port: int) -> redis.Redis:
    return redis.Redis(
        host="127.0.0.1", port=port, decode_responses=True, socket_connect_timeout=0.5,
        socket_timeout=2,
    )  # fmt: skip


def _info(port: int) -> dict[str, str]:
    """``CLUSTER INFO`` of one node as a dict; empty when the node does not answer."""
    try:
        with _node(port) as c:
            info = c.execute_command("CLUSTER INFO")  # parsed into a dict by redis-py
    except redis.RedisError:
        return {}
    return {str(k): str(v) for k, v in info.items()}


class LocalCluster:
    """Redis Cluster nodes on loopback with their data under ``directory``."""

    def __init__(
        self, directory: Path | str, *, primaries: int = 3, replicas: int = 0,
        timeout: float = DEFAULT_TIMEOUT, app_user: bool = False,
    ):  # fmt: skip
        if primaries < 3:
            raise ConfigError("a Redis Cluster needs at least three primaries")
        self.directory = Path(directory).resolve()
        self.primaries, self.replicas, self.timeout = primaries, replicas, timeout
        self.app_user = app_user
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def ports(self) -> list[int]:
        """The ports of the nodes still running."""
        return [p for p, proc in self.procs.items() if proc.poll() is None]

    @property
    def url(self) -> str:
        """``REDIS_URL`` for the cluster: every running node as a seed."""
        login = f"{APP_USER[0]}:{APP_USER[1]}@" if self.app_user else ""
        return f"redis+cluster://{login}" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self) -> str:
        """Start, join and wait for the cluster; return its ``REDIS_URL``."""
        try:
            for _ in range(self.primaries * (1 + self.replicas)):
                self._spawn()
            self._join()
            if self.app_user:
                for port in self.ports:
                    with _node(port) as c:
                        c.acl_setuser(
                            APP_USER[0], enabled=True, passwords=[f"+{APP_USER[1]}"],
                            keys=["*"], channels=["*"], commands=["+@all"],
                        )  # fmt: skip
        except BaseException:
            self.stop()
            raise
        return self.url

    def _spawn(self) -> None:
        port = _cluster_port()
        data = self.directory / str(port)
        data.mkdir(parents=True, exist_ok=True)
        args = [
            str(redis_server_binary()),
            "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--appendonly", "yes", "--save", "", "--daemonize", "no",
            "--logfile", str(data / "redis.log"),
        ]  # fmt: skip
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs[port] = proc

        def answers() -> bool:
            if proc.poll() is not None:
                raise ConfigError(f"local Redis Cluster: node {port} exited; see {data}/redis.log")
            try:
                with _node(port) as c:
                    return bool(c.ping())
            except redis.RedisError:
                return False

        wait_until(answers, f"node {port} answering", self.timeout)

    def _join(self) -> None:
        cli = redis_server_binary().with_name("redis-cli")
        nodes = [f"127.0.0.1:{p}" for p in self.procs]
        done = subprocess.run(
            [str(cli), "--cluster", "create", *nodes, "--cluster-replicas", str(self.replicas),
             "--cluster-yes"],
            capture_output=True, text=True, timeout=self.timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise ConfigError(f"redis-cli --cluster create failed: {done.stdout[-500:]}")
        self.wait_ok()

    def wait_ok(self, timeout: float | None = None) -> None:
        """Wait until every running node says ``cluster_state:ok`` and knows every node."""
        total = len(self.procs)

        def ok() -> bool:
            infos = [_info(p) for p in self.ports]
            return all(
                i.get("cluster_state") == "ok" and int(i.get("cluster_known_nodes", 0)) == total
                for i in infos
            )

        wait_until(ok, "cluster_state:ok on every node", timeout or self.timeout)

    def primary_of(self, key: str) -> int:
        """The port of the primary serving ``key``'s slot now."""
        seed = self.ports[0]
        with _node(seed) as c:
            slot = int(c.execute_command("CLUSTER KEYSLOT", key))
            for start, end, primary, *_ in c.execute_command("CLUSTER SLOTS"):
                if int(start) <= slot <= int(end):
                    return int(primary[1])
        raise ConfigError(f"local Redis Cluster: no node serves slot {slot}")

    def replicas_synced(self) -> bool:
        """Whether every replica has caught up with its primary's replication offset."""
        for port in self.ports:
            with _node(port) as c:
                info = c.info("replication")
            if info.get("role") == "slave" and (
                info.get("master_link_status") != "up"
                or int(info.get("slave_repl_offset", -1)) < int(info.get("master_repl_offset", 0))
            ):
                return False
        return True

    def cut_off_replicas(self, primary: int) -> list[int]:
        """Part ``primary`` from its replicas for good: their links drop and cannot come back
        (replicas log in as the default user, which gets a password here; clients of ``url``
        log in as ``APP_USER`` and carry on). Each replica may still take over, however stale
        (``cluster-replica-validity-factor 0``). Return the replicas' ports."""
        if not self.app_user:
            raise ConfigError("cut_off_replicas needs a LocalCluster(app_user=True)")
        with _node(primary) as c:
            info = c.info("replication")
            cut = [
                int(v["port"])
                for k, v in info.items()
                if k.startswith("slave") and isinstance(v, dict)
            ]
            c.execute_command("ACL", "SETUSER", "default", "resetpass", ">cut-off-replicas")
            c.execute_command("CLIENT", "KILL", "TYPE", "replica")
        for port in cut:
            with _node(port) as r:
                r.config_set("cluster-replica-validity-factor", 0)
        return cut

    def kill(self, port: int) -> None:
        """End node ``port`` with SIGKILL, as a crash would."""
        proc = self.procs[port]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def wait_for_failover(self, dead: int, timeout: float | None = None) -> None:
        """Wait until another node serves every slot ``dead`` served and the cluster is ok."""

        def taken_over() -> bool:
            try:
                with _node(self.ports[0]) as c:
                    slots = c.execute_command("CLUSTER SLOTS")
            except redis.RedisError:
                return False
            served = all(int(primary[1]) != dead for _, _, primary, *_ in slots)
            return served and all(_info(p).get("cluster_state") == "ok" for p in self.ports)

        wait_until(taken_over, f"a replica taking over from node {dead}", timeout or self.timeout)

    def stop(self) -> None:
        """End every node this object started."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
