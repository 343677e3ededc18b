"""Connecting a command to Redis: ``REDIS_URL``, or the embedded server for this directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import redis

from worker.config import Settings
from worker.storage.embedded import EmbeddedRedis


@contextmanager
def connected(
    settings: Settings, *, db: int | None = None
) -> Iterator[tuple[Settings, redis.Redis]]:
    """Settings with a concrete ``redis_url`` and a client; stops an embedded server it started."""
    server: EmbeddedRedis | None = None
    if settings.redis_url is None:
        server = EmbeddedRedis(settings.redis_dir)
        settings = settings.with_redis(server.start())
    url = settings.redis_url
    assert url is not None
    if db is not None:
        url = _with_db(url, db)
        settings = replace(settings, redis_url=url)
    client = redis.Redis.from_url(url)
    try:
        yield settings, client
    finally:
        client.close()
        if server is not None:
            server.stop()


def _with_db(url: str, db: int) -> str:
    from urllib.parse import urlparse, urlunparse

    return urlunparse(urlparse(url)._replace(path=f"/{db}"))
