"""The simulation's scratch database: the one logical Redis database ``remind simulate`` and
``remind demo`` empty before and after each run, and how they make sure it is theirs to empty.

A simulation runs the production code, which writes the production keys, so it needs a database
of its own. Emptying one is safe only where remind made it:

- on the embedded server (``REDIS_URL`` unset) remind started the server, so its simulation
  database holds nothing but earlier simulations;
- on any other server the database must be empty, or carry ``keys.SIMULATION_MARKER`` (which
  every run writes when it empties the database): otherwise it holds keys someone else wrote,
  and the run stops before touching them, saying how to choose another database
  (``REMIND_SIMULATION_DB``).

The database is never the one ``REDIS_URL`` keeps remind's state in, nor the broker's.

A Redis Cluster has one database only: there a simulation writes every key under the prefix
``remind-sim`` instead of ``remind`` (``keys.use_prefix``) and deletes the keys under it before
and after the run. Nothing else writes that prefix, so no marker is needed; a live run's keys
are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from redis.connection import parse_url

from worker.config import Settings
from worker.errors import ConfigError
from worker.providers import without_password
from worker.storage import keys
from worker.storage.connection import (
    DEFAULT_BROKER_DB,
    DEFAULT_SIMULATION_DB,
    SIMULATION_PREFIX,
    connected,
    delete_prefixed,
    is_cluster_url,
)

#: What the marker key says to whoever finds it.
MARKER_TEXT = "remind simulate's scratch database: emptied before and after every simulation"
_REDIS = ("redis://", "rediss://", "unix://")


def simulation_db(settings: Settings) -> int:
    """The logical database simulations use: ``REMIND_SIMULATION_DB``, else the default."""
    return DEFAULT_SIMULATION_DB if settings.simulation_db is None else settings.simulation_db


@contextmanager
def scratch(settings: Settings) -> Iterator[tuple[Settings, redis.Redis]]:
    """Settings and a client on the simulation database, emptied (and marked) before the block
    and after it. Raises ``ConfigError``, before any key is touched, when the database is not
    remind's to empty."""
    if settings.redis_url is not None and is_cluster_url(settings.redis_url):
        with connected(settings) as (sim_settings, client), keys.use_prefix(SIMULATION_PREFIX):
            delete_prefixed(client, SIMULATION_PREFIX)
            try:
                yield sim_settings, client
            finally:
                delete_prefixed(client, SIMULATION_PREFIX)
        return
    db = simulation_db(settings)
    _refuse_shared(settings, db)
    with connected(settings, db=db) as (sim_settings, client):
        if not settings.embedded_redis:
            _require_ours(client, settings.redis_url or "", db)
        empty(client)
        try:
            yield sim_settings, client
        finally:
            empty(client)


def empty(client: redis.Redis) -> None:
    """Empty the database and mark it as the simulations' own, in one transaction."""
    pipe = client.pipeline(transaction=True)
    pipe.flushdb()
    pipe.set(keys.SIMULATION_MARKER, MARKER_TEXT)
    pipe.execute()


def _refuse_shared(settings: Settings, db: int) -> None:
    """Refuse a simulation database that is remind's state database or the broker's (both on
    the server ``REDIS_URL`` names, the embedded one's state on database 0)."""
    state = settings.redis_url
    if db == (_db(state) if state else 0):
        raise ConfigError(
            f"REMIND_SIMULATION_DB {db} is the database REDIS_URL keeps remind's state in; "
            "a simulation empties its database, so choose another one (e.g. "
            f"REMIND_SIMULATION_DB={_suggest(db)})"
        )
    broker = settings.broker_url
    if broker is None:
        shared = db == DEFAULT_BROKER_DB
    else:
        same_server = (
            state is not None and broker.startswith(_REDIS) and (_server(broker) == _server(state))
        )
        shared = same_server and db == _db(broker)
    if shared:
        raise ConfigError(
            f"REMIND_SIMULATION_DB {db} is the dramatiq broker's database; a simulation empties "
            f"its database, so choose another one (e.g. REMIND_SIMULATION_DB={_suggest(db)})"
        )


def _require_ours(client: redis.Redis, url: str, db: int) -> None:
    """Refuse a database on a server remind did not start that holds keys no simulation wrote."""
    size = int(client.dbsize())
    if size == 0 or client.exists(keys.SIMULATION_MARKER):
        return
    raise ConfigError(
        f"database {db} of {without_password(url)} holds {size} key(s) that no remind simulation "
        f"wrote (it has no {keys.SIMULATION_MARKER} key). remind simulate empties the database "
        "it runs in, so it stops here without touching them: choose an empty database with "
        f"REMIND_SIMULATION_DB (e.g. REMIND_SIMULATION_DB={_suggest(db)}), or unset REDIS_URL "
        "to simulate on the embedded server"
    )


def _suggest(db: int) -> int:
    return 5 if db != 5 else 6


def _server(url: str) -> tuple[Any, ...]:
    """Where ``url`` connects: host and port, or the socket's path."""
    kwargs = _parsed(url)
    return (kwargs.get("host"), kwargs.get("port", 6379), kwargs.get("path"))


def _db(url: str) -> int:
    """The logical database ``url`` points at (0 when it names none)."""
    return int(_parsed(url).get("db", 0))


def _parsed(url: str) -> dict[str, Any]:
    """The connection arguments redis-py reads from ``url`` (host, port, path, db)."""
    return dict(parse_url(url))  # type: ignore[no-untyped-call]  # untyped upstream
