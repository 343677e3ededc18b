"""Lua scripts shipped in ``worker/storage/lua``; each file is headed by its KEYS/ARGV contract."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import redis


@cache
def script_source(name: str) -> str:
    return (resources.files("worker.storage") / "lua" / f"{name}.lua").read_text()


def load_script(client: redis.Redis, name: str) -> Any:
    """A callable script object (EVALSHA with a transparent reload on NOSCRIPT)."""
    return client.register_script(script_source(name))
