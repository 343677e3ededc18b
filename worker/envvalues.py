"""Readers of single environment values for ``worker.config``: numbers, ports, instants, lists.

Each raises ``ConfigError`` naming the variable and the value it got.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from worker.errors import ConfigError


def keys_list(raw: str | None) -> tuple[str, ...]:
    """A comma-separated list of keys, blanks dropped."""
    return tuple(k.strip() for k in (raw or "").split(",") if k.strip())


def positive_number(
    env: Mapping[str, str], name: str, default: float, *, unit: str = "seconds"
) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of {unit}, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number greater than 0, got {raw!r}")
    return value


def positive_whole(env: Mapping[str, str], name: str, default: int, *, unit: str) -> int:
    # Whole units only: int(float("0.5")) would be 0, which for the audit log means every
    # publish trims everything.
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a whole number of {unit} greater than 0, got {raw!r}")
    return value


def port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port, or 0 for any free port the system picks."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{name} must be a port from 0 (any free port) to 65535, got {raw!r}")
    return int(raw)


def instant(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{name} must be an ISO 8601 instant, got {raw!r}") from None
    if value.tzinfo is None:
        raise ConfigError(f"{name} must carry a UTC offset, got {raw!r}")
    return value


def demo_clock(raw: str | None) -> tuple[datetime, float, float] | None:
    """``START,ANCHOR,SCALE``: an ISO instant, real epoch seconds, a speed above 0."""
    if raw is None:
        return None
    form = "REMIND_DEMO_CLOCK must be START,ANCHOR,SCALE (ISO instant, epoch seconds, speed)"
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 3:
        raise ConfigError(f"{form}, got {raw!r}")
    start = instant(parts[0], "REMIND_DEMO_CLOCK (START)")
    try:
        anchor, scale = float(parts[1]), float(parts[2])
    except ValueError:
        raise ConfigError(f"{form}, got {raw!r}") from None
    if start is None or not (math.isfinite(anchor) and math.isfinite(scale) and scale > 0):
        raise ConfigError(f"{form}, got {raw!r}")
    return start, anchor, scale


def database_url(raw: str | None, name: str) -> str | None:
    """A PostgreSQL URL (``postgresql://`` or ``postgres://``) with a host or a socket path."""
    if raw is None:
        return None
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in ("postgresql", "postgres") or not rest.strip("/"):
        raise ConfigError(
            f"{name} must be a PostgreSQL URL such as postgresql://user@host:5432/db, "
            f"got a value with scheme {scheme if sep else 'none'!r}"
        )
    return raw
