"""The one place remind turns settings into Redis: URLs, logical databases, clients, the embedded
server.

One server holds everything, in separate logical databases unless ``BROKER_URL`` says otherwise:
remind's state on the database ``REDIS_URL`` names, dramatiq's queues on ``DEFAULT_BROKER_DB``,
and ``remind simulate`` / ``remind demo`` runs on ``DEFAULT_SIMULATION_DB``. Clients decode
replies to ``str`` (``decode_responses``), so no caller decodes bytes; dramatiq's broker makes its
own client from ``broker_url`` and gets bytes, as it expects.

``REDIS_URL=redis+cluster://host:port[,host:port...]`` names a Redis Cluster by one or more seed
nodes: the client is redis-py's ``RedisCluster``, which finds the other nodes itself. A cluster
has one database only, so a simulation runs under its own key prefix (``SIMULATION_PREFIX``)
instead of ``DEFAULT_SIMULATION_DB``, and dramatiq, which does not run on a cluster, needs a
``BROKER_URL`` of its own.

Clients ride out a Redis restart: a command that meets a dropped connection (``ConnectionError``,
``TimeoutError``) is tried again on a new one, waiting 50 ms, 100 ms, ... up to 1 s between
tries, for about ``RETRY_BUDGET_SECONDS`` in all (``retry_policy``), before the error reaches the
caller. A command whose reply was lost with the connection may run twice; remind's writes are
idempotent or guarded by the dispatch claim (docs/reliability.md, Redis restart).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry

from worker.config import Settings
from worker.errors import ConfigError
from worker.providers import CLUSTER_SCHEMES, cluster_nodes
from worker.storage.embedded import EmbeddedRedis

#: Logical Redis DB of the dramatiq broker when it shares the state server: its maintenance
#: runs KEYS over its whole database, which must not be remind's state.
DEFAULT_BROKER_DB = 1
#: Logical Redis DB the CLI gives simulations; it is emptied before and after each run.
DEFAULT_SIMULATION_DB = 2
#: Key prefix of ``remind simulate`` / ``remind demo`` on a Redis Cluster (one database only).
SIMULATION_PREFIX = "remind-sim"
#: Tries of a command after a dropped connection, and the backoff between them (seconds): about
#: about 10 s in all, longer than a redis-server takes to restart and load its AOF.
RETRIES = 12
RETRY_BACKOFF_BASE = 0.05
RETRY_BACKOFF_CAP = 1.0
RETRY_BUDGET_SECONDS = sum(
    min(RETRY_BACKOFF_CAP, RETRY_BACKOFF_BASE * 2**n) for n in range(1, RETRIES + 1)
)


def retry_policy() -> Retry:
    """A fresh redis-py ``Retry``: ``RETRIES`` tries, exponential backoff capped at 1 s, on
    ``ConnectionError`` and ``TimeoutError`` (a restarting or unreachable server)."""
    return Retry(
        ExponentialBackoff(cap=RETRY_BACKOFF_CAP, base=RETRY_BACKOFF_BASE),
        RETRIES,
        supported_errors=(redis.ConnectionError, redis.TimeoutError),
    )


def is_cluster_url(url: str) -> bool:
    """Whether ``url`` names a Redis Cluster (``redis+cluster://`` or ``rediss+cluster://``)."""
    return url.partition("://")[0] in CLUSTER_SCHEMES


def is_cluster(redis_client: redis.Redis) -> bool:
    """Whether ``redis_client`` talks to a Redis Cluster (made by ``client`` from a cluster URL)."""
    return isinstance(redis_client, RedisCluster)


def client(url: str) -> redis.Redis:
    """A client for ``url`` whose replies are ``str``, as ``worker.storage`` and the gate expect.

    For a cluster URL it is a ``RedisCluster``: it answers the same commands, routes each to the
    node holding its slot, and raises on a script or transaction spanning slots (none does:
    ``worker/storage/keys.py``). It is typed as ``redis.Redis``, the interface every caller uses.
    """
    if not is_cluster_url(url):
        return redis.Redis.from_url(url, decode_responses=True, retry=retry_policy())
    scheme, _, rest = url.partition("://")
    userinfo = rest.split("/", 1)[0].rpartition("@")[0]
    username, _, password = userinfo.partition(":")
    seeds = cluster_nodes("REDIS_URL", url)
    nodes = [ClusterNode(host, port) for host, port in seeds]  # type: ignore[no-untyped-call]
    cluster = RedisCluster(
        startup_nodes=nodes,
        decode_responses=True,
        username=unquote(username) or None,
        password=unquote(password) or None,
        ssl=scheme.startswith("rediss"),
    )
    return cast("redis.Redis", cluster)


def bytes_client(url: str) -> redis.Redis:
    """A client for ``url`` replying ``bytes`` (dramatiq's broker), retrying as ``client``."""
    return redis.Redis.from_url(url, retry=retry_policy())


def decodes_responses(redis_client: redis.Redis) -> bool:
    """Whether ``redis_client`` returns ``str`` (made by ``client``) rather than ``bytes``."""
    if isinstance(redis_client, RedisCluster):
        return bool(redis_client.get_encoder().decode_responses)
    return bool(redis_client.get_connection_kwargs().get("decode_responses"))


def with_db(url: str, db: int) -> str:
    """``url`` pointing at logical database ``db``, on the same server.

    ``redis://`` URLs carry the database as the path, ``unix://`` ones as ``?db=`` (their path is
    the socket's). A ``db`` query parameter wins over the path in redis-py, so it is dropped.
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "db"]
    if parts.scheme == "unix":
        path, query = parts.path, [*query, ("db", str(db))]
    else:
        path = f"/{db}"
    # built by hand: urlunsplit drops the empty host of unix:///path
    base = f"{parts.scheme}://{parts.netloc}{path}"
    return f"{base}?{urlencode(query)}" if query else base


def broker_url(settings: Settings) -> str:
    """``BROKER_URL``, else the state server's URL on ``DEFAULT_BROKER_DB``."""
    if settings.broker_url:
        return settings.broker_url
    if settings.redis_url is None:
        raise ConfigError("REDIS_URL is not set and the embedded Redis has not been started")
    if is_cluster_url(settings.redis_url):
        raise ConfigError(
            "REDIS_URL names a Redis Cluster, where dramatiq's queues cannot live: set BROKER_URL "
            "(amqp:// for RabbitMQ, or a redis:// server of its own)"
        )
    return with_db(settings.redis_url, DEFAULT_BROKER_DB)


@contextmanager
def serving(settings: Settings) -> Iterator[Settings]:
    """``settings`` with a concrete ``redis_url``: ``REDIS_URL``, or the embedded server for the
    data directory, started (or reused) for the block and stopped after it if started here."""
    if not settings.embedded_redis:
        yield settings
        return
    server = EmbeddedRedis(settings.redis_dir, port=settings.redis_port)
    try:
        yield settings.with_redis(server.start())
    finally:
        server.stop()


@contextmanager
def connected(
    settings: Settings, *, db: int | None = None
) -> Iterator[tuple[Settings, redis.Redis]]:
    """Settings with a concrete ``redis_url`` (on database ``db`` if given) and a client on it."""
    with serving(settings) as settings:
        url = settings.redis_url
        assert url is not None  # serving() made it concrete
        if db is not None:
            if is_cluster_url(url):
                raise ConfigError("REDIS_URL names a Redis Cluster, which has no database numbers")
            url = with_db(url, db)
            settings = replace(settings, redis_url=url)
        redis_client = client(url)
        try:
            yield settings, redis_client
        finally:
            redis_client.close()


def delete_prefixed(redis_client: redis.Redis, prefix: str) -> int:
    """Delete every key under ``prefix:`` (on a cluster, on every primary); return how many."""
    deleted = 0
    batch: list[str] = []
    for key in redis_client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(str(key))
        if len(batch) == 500:
            deleted += _unlink(redis_client, batch)
            batch = []
    return deleted + (_unlink(redis_client, batch) if batch else 0)


def _unlink(redis_client: redis.Redis, batch: list[str]) -> int:
    # one key per command: keys of a batch sit on many slots, and a cluster refuses a
    # multi-key command across slots (the pipeline still sends them in one round trip per node)
    pipe = redis_client.pipeline(transaction=False)
    for key in batch:
        pipe.unlink(key)
    return sum(int(n) for n in pipe.execute())
