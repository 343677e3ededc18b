"""The one place remind turns settings into Redis: URLs, logical databases, clients, the embedded
server.

One server holds everything, in separate logical databases unless ``BROKER_URL`` says otherwise:
remind's state on the database ``REDIS_URL`` names, dramatiq's queues on ``DEFAULT_BROKER_DB``,
and ``remind simulate`` / ``remind demo`` runs on ``DEFAULT_SIMULATION_DB``. Clients decode
replies to ``str`` (``decode_responses``), so no caller decodes bytes; dramatiq's broker makes its
own client from ``broker_url`` and gets bytes, as it expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis

from worker.config import Settings
from worker.errors import ConfigError
from worker.storage.embedded import EmbeddedRedis

#: Logical Redis DB of the dramatiq broker when it shares the state server: its maintenance
#: runs KEYS over its whole database, which must not be remind's state.
DEFAULT_BROKER_DB = 1
#: Logical Redis DB the CLI gives simulations; it is emptied before and after each run.
DEFAULT_SIMULATION_DB = 2


def client(url: str) -> redis.Redis:
    """A client for ``url`` whose replies are ``str``, as ``worker.storage`` and the gate expect."""
    return redis.Redis.from_url(url, decode_responses=True)


def decodes_responses(redis_client: redis.Redis) -> bool:
    """Whether ``redis_client`` returns ``str`` (made by ``client``) rather than ``bytes``."""
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
            url = with_db(url, db)
            settings = replace(settings, redis_url=url)
        redis_client = client(url)
        try:
            yield settings, redis_client
        finally:
            redis_client.close()
