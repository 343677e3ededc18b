"""Waiting for replicas (``REMIND_REDIS_MIN_REPLICAS``): what lets an acknowledged write outlive
its primary.

Redis replicates asynchronously: a primary answers a write before any replica has it, and a
primary killed in between takes the write with it when its replica takes over. ``confirm`` asks
each node that holds one of the written keys to ``WAIT`` for ``min_replicas`` replicas, and
raises ``ReplicationError`` when fewer confirm within ``wait_ms``; intake then does not
acknowledge the account or event, and its sender delivers it again (docs/scaling.md).

``WAIT`` counts the writes of the connection that sends it. A client takes any free connection
of its pool, so each ``WAIT`` goes in one pipeline after a write of its own, a marker beside the
written key (``keys.beside``, same slot): the marker comes after every earlier write on that node
in the replication stream, so a replica holding the marker holds them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import redis

from worker.errors import ReplicationError
from worker.storage import keys
from worker.storage.connection import is_cluster

#: Milliseconds the marker key lives: long enough for any ``WAIT``, gone soon after.
MARK_TTL_MS = 60_000
#: Name of the marker key beside a written key.
MARK = "replicated"


def confirm(client: redis.Redis, written: Iterable[str], min_replicas: int, wait_ms: int) -> None:
    """Return once ``min_replicas`` replicas of every node holding a key of ``written`` have all
    the writes made before the call; ``ReplicationError`` if a node's replicas fall short.

    ``min_replicas`` 0 returns at once, without a command (the default: no wait)."""
    if min_replicas <= 0:
        return
    for node, name, key in _nodes(client, written):
        pipe = node.pipeline(transaction=False)
        pipe.set(keys.beside(key, MARK), "1", px=MARK_TTL_MS)
        pipe.execute_command("WAIT", min_replicas, wait_ms)  # type: ignore[no-untyped-call]
        acked = int(pipe.execute()[1])
        if acked < min_replicas:
            raise ReplicationError(
                f"Redis node {name}: {acked} replica(s) confirmed the write within {wait_ms} ms, "
                f"REMIND_REDIS_MIN_REPLICAS asks for {min_replicas}; not acknowledged (retry, or "
                "lower REMIND_REDIS_MIN_REPLICAS while a replica is missing)"
            )


def _nodes(client: redis.Redis, written: Iterable[str]) -> Iterator[tuple[redis.Redis, str, str]]:
    """A client, a name and one written key for each node holding a key of ``written``."""
    if not is_cluster(client):
        for key in written:
            yield client, "server", key
            return
        return
    seen: set[str] = set()
    for key in written:
        node = client.get_node_from_key(key)  # type: ignore[attr-defined]
        if node.name not in seen:
            seen.add(node.name)
            yield client.get_redis_connection(node), node.name, key  # type: ignore[attr-defined]
