"""Reading the pinned schedule versions for ``remind schedules check``.

The pinned copies live in the state Redis. ``check`` reads them from ``REDIS_URL``, or from the
embedded server when its data directory exists (with none, no account was ever enrolled here,
so nothing is pinned and no server is started for a check). A Redis that cannot be reached is
said in a warning: the files are still checked, their pins are not.
"""

from __future__ import annotations

from pathlib import Path

import redis

from worker.cadence.schedule import SCHEDULE_SUFFIX
from worker.cli.common import err
from worker.config import Settings
from worker.storage.connection import connected
from worker.storage.store import Store


def pinned_versions(settings: Settings) -> dict[str, str]:
    """The YAML of every pinned schedule version by ``name@version`` (see the module docstring)."""
    if settings.embedded_redis and not settings.redis_dir.exists():
        return {}
    try:
        with connected(settings) as (_, client):
            return Store(client).pinned_schedules()
    except (redis.ConnectionError, redis.TimeoutError) as e:
        err.print(
            f"[yellow]warn[/] pinned versions not checked: cannot reach Redis ({e})",
            highlight=False,
        )
        return {}


def schedule_file(name: str, settings: Settings) -> str:
    """The file ``find_schedule`` reads for ``name``, a schedule name or a path."""
    if "/" in name or name.endswith(SCHEDULE_SUFFIX):
        return name
    return str(Path(settings.schedules_dir) / f"{name}{SCHEDULE_SUFFIX}")
