"""Settings: the one door from the environment (docs/contracts.md, Environment).

No other module reads ``os.environ``. ``Settings.from_env()`` validates every variable once, at
start, and a bad value raises ``ConfigError`` naming the variable. Passwords in URLs are masked
in ``repr`` so they never reach a log line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path

from worker.errors import ConfigError
from worker.providers import (
    DEFAULT_CALLS_PER_SECOND,
    DEFAULT_PROVIDER_CONCURRENCY,
    DEFAULT_PROVIDER_TIMEOUT_SECONDS,
    DEFAULT_SMS_PER_SECOND,
    DEFAULT_TWILIO_API_BASE_URL,
    Replication,
    check_url,
    live_channels,
    redis_database,
    redis_replication,
    without_password,
)

#: Seconds between two scheduler ticks.
DEFAULT_TICK_SECONDS = 15
#: Where the embedded Redis and the outbox keep their files, relative to the working directory.
DEFAULT_DATA_DIR = "var"
#: The queue and actor that receive every outcome record (docs/contracts.md, Outcome).
DEFAULT_RESULTS_QUEUE = "reminder_results"
DEFAULT_RESULTS_ACTOR = "reminder_result"
#: How long a claimed timeline entry stays invisible to other schedulers before it comes back.
DEFAULT_LEASE_SECONDS = 600
#: Days decision records are kept in the audit log: 3 years (Reg F 1006.100) and a leap day.
DEFAULT_AUDIT_RETENTION_DAYS = 1096
#: Seconds a worker may stay silent before its claims are recovered (it beats every third).
DEFAULT_WORKER_HEARTBEAT_SECONDS = 30
#: Days an outcome stays on the results stream at least (trimmed by age, never by count).
DEFAULT_RESULTS_RETENTION_DAYS = 7
#: Messages the results queue may hold; past it outcomes stay on the stream only.
DEFAULT_RESULTS_QUEUE_MAX = 100_000
#: Loopback port of the embedded redis-server, fixed so outside producers know where it is.
DEFAULT_REDIS_PORT = 6390


@dataclass(frozen=True)
class Settings:
    """Typed settings, built once by ``from_env``."""

    redis_url: str | None = None
    broker_url: str | None = None
    schedules_dir: Path = Path("schedules")
    templates_dir: Path = Path("templates")
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    channels: str = "outbox"
    #: the channels that go to a provider (``REMIND_CHANNELS``); the others go to the outbox
    live_channels: frozenset[str] = frozenset()
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = DEFAULT_TWILIO_API_BASE_URL
    smtp_url: str | None = None  # its password is masked in repr
    email_from: str | None = None
    #: where Twilio and mail clients reach remind's web service (callbacks, unsubscribe)
    public_base_url: str | None = None
    #: signs unsubscribe tokens and visit webhooks
    secret_key: str | None = field(default=None, repr=False)
    visit_webhook_url: str | None = None
    #: the number a called person reaches by pressing 1
    agent_number: str | None = None
    sms_per_second: float = DEFAULT_SMS_PER_SECOND
    calls_per_second: float = DEFAULT_CALLS_PER_SECOND
    provider_concurrency: int = DEFAULT_PROVIDER_CONCURRENCY
    provider_timeout_seconds: float = DEFAULT_PROVIDER_TIMEOUT_SECONDS
    tick_seconds: float = DEFAULT_TICK_SECONDS
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    worker_heartbeat_seconds: float = DEFAULT_WORKER_HEARTBEAT_SECONDS
    results_retention_days: int = DEFAULT_RESULTS_RETENTION_DAYS
    results_queue_max: int = DEFAULT_RESULTS_QUEUE_MAX
    redis_port: int = DEFAULT_REDIS_PORT
    results_queue: str = DEFAULT_RESULTS_QUEUE
    results_actor: str = DEFAULT_RESULTS_ACTOR
    #: A fixed instant for every clock in the process (``REMIND_FIXED_NOW``): tests and drills.
    fixed_now: datetime | None = None
    #: ``remind demo --live`` only (``REMIND_DEMO_CLOCK``): every clock reads ``start`` at the
    #: real epoch second ``anchor`` and runs ``scale`` times as fast as the wall clock
    demo_clock: tuple[datetime, float, float] | None = None
    #: the logical database ``remind simulate`` and ``remind demo`` use and empty
    #: (``REMIND_SIMULATION_DB``); None: ``worker.storage.connection.DEFAULT_SIMULATION_DB``
    simulation_db: int | None = None
    audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    #: bearer keys the HTTP intake API accepts (``REMIND_API_KEYS``, comma-separated); none:
    #: the API refuses every request
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    #: bearer keys ``/metrics`` accepts besides the API keys (``REMIND_METRICS_KEYS``): a
    #: scraper's key that cannot enroll accounts
    metrics_keys: tuple[str, ...] = field(default=(), repr=False)
    #: the answer to an SMS HELP when no schedule's ``caller`` says who writes
    #: (``REMIND_HELP_TEXT``): a message from a number no account lists
    help_text: str | None = None
    #: replicas each written Redis node must confirm before intake acknowledges (docs/scaling.md)
    redis_replication: Replication = field(default_factory=Replication)

    def __repr__(self) -> str:
        # A Redis, broker or SMTP URL may carry a password; repr() reaches logs, so it is
        # masked. Tokens and keys are left out altogether.
        shown = []
        for f in fields(self):
            if not f.repr:
                continue
            value = getattr(self, f.name)
            if f.name in ("redis_url", "broker_url", "smtp_url") and value is not None:
                value = without_password(value)
            elif isinstance(value, frozenset):
                value = tuple(sorted(value))
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def embedded_redis(self) -> bool:
        """True when no ``REDIS_URL`` is set and remind runs its bundled redis-server."""
        return self.redis_url is None

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    def with_redis(self, url: str) -> Settings:
        """A copy pointing at ``url`` (used once the embedded server has started)."""
        return replace(self, redis_url=url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the environment; raise ``ConfigError`` naming the bad variable."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        redis_url = get("REDIS_URL")
        if redis_url is not None:
            check_url("REDIS_URL", redis_url, ("redis", "rediss", "unix"), cluster=True)
        broker_url = get("BROKER_URL")
        if broker_url is not None:
            check_url("BROKER_URL", broker_url, ("redis", "rediss", "unix", "amqp", "amqps"))
        channels = get("REMIND_CHANNELS") or "outbox"
        # only the providers of live channels are read and checked (docs/contracts.md,
        # Environment): a stray SMTP_URL does not stop an outbox-only worker
        live = live_channels(channels, get)
        sid = get("TWILIO_ACCOUNT_SID") if live & {"sms", "voice"} else None
        public = get("PUBLIC_BASE_URL") if live else None
        return cls(
            redis_url=redis_url,
            broker_url=broker_url,
            schedules_dir=Path(get("REMIND_SCHEDULES_DIR") or "schedules"),
            templates_dir=Path(get("REMIND_TEMPLATES_DIR") or "templates"),
            data_dir=Path(get("REMIND_DATA_DIR") or DEFAULT_DATA_DIR),
            channels=channels,
            live_channels=live,
            twilio_account_sid=sid,
            twilio_auth_token=get("TWILIO_AUTH_TOKEN") if sid else None,
            twilio_from_number=get("TWILIO_FROM_NUMBER") if sid else None,
            twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID") if sid else None,
            twilio_api_base_url=(get("TWILIO_API_BASE_URL") or DEFAULT_TWILIO_API_BASE_URL).rstrip(
                "/"
            ),
            smtp_url=get("SMTP_URL") if "email" in live else None,
            email_from=get("EMAIL_FROM") if "email" in live else None,
            public_base_url=public.rstrip("/") if public else None,
            secret_key=get("REMIND_SECRET_KEY"),
            visit_webhook_url=get("REMIND_VISIT_WEBHOOK_URL") if "visit" in live else None,
            agent_number=get("REMIND_AGENT_NUMBER") if "voice" in live else None,
            sms_per_second=_positive_number(
                env, "REMIND_SMS_PER_SECOND", DEFAULT_SMS_PER_SECOND, unit="messages a second"
            ),
            calls_per_second=_positive_number(
                env, "REMIND_CALLS_PER_SECOND", DEFAULT_CALLS_PER_SECOND, unit="calls a second"
            ),
            provider_concurrency=_positive_whole(
                env, "REMIND_PROVIDER_CONCURRENCY", DEFAULT_PROVIDER_CONCURRENCY, unit="requests"
            ),
            provider_timeout_seconds=_positive_number(
                env, "REMIND_PROVIDER_TIMEOUT_SECONDS", DEFAULT_PROVIDER_TIMEOUT_SECONDS
            ),
            tick_seconds=_positive_number(env, "REMIND_TICK_SECONDS", DEFAULT_TICK_SECONDS),
            lease_seconds=_positive_number(env, "REMIND_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
            worker_heartbeat_seconds=_positive_number(
                env, "REMIND_WORKER_HEARTBEAT_SECONDS", DEFAULT_WORKER_HEARTBEAT_SECONDS
            ),
            results_retention_days=_positive_whole(
                env, "REMIND_RESULTS_RETENTION_DAYS", DEFAULT_RESULTS_RETENTION_DAYS, unit="days"
            ),
            results_queue_max=_positive_whole(
                env, "REMIND_RESULTS_QUEUE_MAX", DEFAULT_RESULTS_QUEUE_MAX, unit="messages"
            ),
            redis_port=_port(env, "REMIND_REDIS_PORT", DEFAULT_REDIS_PORT),
            results_queue=get("REMIND_RESULTS_QUEUE") or DEFAULT_RESULTS_QUEUE,
            results_actor=get("REMIND_RESULTS_ACTOR") or DEFAULT_RESULTS_ACTOR,
            fixed_now=_instant(get("REMIND_FIXED_NOW"), "REMIND_FIXED_NOW"),
            demo_clock=_demo_clock(get("REMIND_DEMO_CLOCK")),
            simulation_db=redis_database(get("REMIND_SIMULATION_DB"), "REMIND_SIMULATION_DB"),
            audit_retention_days=_positive_whole(
                env, "REMIND_AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS, unit="days"
            ),
            api_keys=_keys(get("REMIND_API_KEYS")),
            metrics_keys=_keys(get("REMIND_METRICS_KEYS")),
            help_text=get("REMIND_HELP_TEXT"),
            redis_replication=redis_replication(get),
        )


def _keys(raw: str | None) -> tuple[str, ...]:
    """A comma-separated list of keys, blanks dropped."""
    return tuple(k.strip() for k in (raw or "").split(",") if k.strip())


def _positive_number(
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


def _positive_whole(env: Mapping[str, str], name: str, default: int, *, unit: str) -> int:
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


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port, or 0 for any free port the system picks."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{name} must be a port from 0 (any free port) to 65535, got {raw!r}")
    return int(raw)


def _instant(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{name} must be an ISO 8601 instant, got {raw!r}") from None
    if value.tzinfo is None:
        raise ConfigError(f"{name} must carry a UTC offset, got {raw!r}")
    return value


def _demo_clock(raw: str | None) -> tuple[datetime, float, float] | None:
    """``START,ANCHOR,SCALE``: an ISO instant, real epoch seconds, a speed above 0."""
    if raw is None:
        return None
    form = "REMIND_DEMO_CLOCK must be START,ANCHOR,SCALE (ISO instant, epoch seconds, speed)"
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 3:
        raise ConfigError(f"{form}, got {raw!r}")
    start = _instant(parts[0], "REMIND_DEMO_CLOCK (START)")
    try:
        anchor, scale = float(parts[1]), float(parts[2])
    except ValueError:
        raise ConfigError(f"{form}, got {raw!r}") from None
    if start is None or not (math.isfinite(anchor) and math.isfinite(scale) and scale > 0):
        raise ConfigError(f"{form}, got {raw!r}")
    return start, anchor, scale
