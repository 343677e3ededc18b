"""Settings: the one door from the environment (docs/contracts.md, Environment).

No other module reads ``os.environ``. ``Settings.from_env()`` validates every variable once, at
start, and a bad value raises ``ConfigError`` naming the variable. Passwords in URLs are masked
in ``repr`` so they never reach a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path

from worker import envvalues
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
#: Days decision records also stay in Redis (``remind status`` counts the last day from there);
#: older ones are only in the archive (docs/audit.md).
DEFAULT_AUDIT_REDIS_DAYS = 2
#: Seconds between two runs of the scheduler's audit archiver.
DEFAULT_AUDIT_ARCHIVE_SECONDS = 60
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
    #: days of decisions kept in Redis besides the archive (``REMIND_AUDIT_REDIS_DAYS``)
    audit_redis_days: int = DEFAULT_AUDIT_REDIS_DAYS
    #: seconds between archiver runs in ``remind scheduler`` (``REMIND_AUDIT_ARCHIVE_SECONDS``)
    audit_archive_seconds: float = DEFAULT_AUDIT_ARCHIVE_SECONDS
    #: PostgreSQL archive of the audit log (``AUDIT_DATABASE_URL``); None: daily files under
    #: ``<data_dir>/audit``. Its password is masked in repr.
    audit_database_url: str | None = None
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
            if (
                f.name in ("redis_url", "broker_url", "smtp_url", "audit_database_url")
                and value is not None
            ):
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
    def audit_dir(self) -> Path:
        """Where the audit archive's daily files go when no ``AUDIT_DATABASE_URL`` is set."""
        return self.data_dir / "audit"

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
            sms_per_second=envvalues.positive_number(
                env, "REMIND_SMS_PER_SECOND", DEFAULT_SMS_PER_SECOND, unit="messages a second"
            ),
            calls_per_second=envvalues.positive_number(
                env, "REMIND_CALLS_PER_SECOND", DEFAULT_CALLS_PER_SECOND, unit="calls a second"
            ),
            provider_concurrency=envvalues.positive_whole(
                env, "REMIND_PROVIDER_CONCURRENCY", DEFAULT_PROVIDER_CONCURRENCY, unit="requests"
            ),
            provider_timeout_seconds=envvalues.positive_number(
                env, "REMIND_PROVIDER_TIMEOUT_SECONDS", DEFAULT_PROVIDER_TIMEOUT_SECONDS
            ),
            tick_seconds=envvalues.positive_number(
                env, "REMIND_TICK_SECONDS", DEFAULT_TICK_SECONDS
            ),
            lease_seconds=envvalues.positive_number(
                env, "REMIND_LEASE_SECONDS", DEFAULT_LEASE_SECONDS
            ),
            worker_heartbeat_seconds=envvalues.positive_number(
                env, "REMIND_WORKER_HEARTBEAT_SECONDS", DEFAULT_WORKER_HEARTBEAT_SECONDS
            ),
            results_retention_days=envvalues.positive_whole(
                env, "REMIND_RESULTS_RETENTION_DAYS", DEFAULT_RESULTS_RETENTION_DAYS, unit="days"
            ),
            results_queue_max=envvalues.positive_whole(
                env, "REMIND_RESULTS_QUEUE_MAX", DEFAULT_RESULTS_QUEUE_MAX, unit="messages"
            ),
            redis_port=envvalues.port(env, "REMIND_REDIS_PORT", DEFAULT_REDIS_PORT),
            results_queue=get("REMIND_RESULTS_QUEUE") or DEFAULT_RESULTS_QUEUE,
            results_actor=get("REMIND_RESULTS_ACTOR") or DEFAULT_RESULTS_ACTOR,
            fixed_now=envvalues.instant(get("REMIND_FIXED_NOW"), "REMIND_FIXED_NOW"),
            demo_clock=envvalues.demo_clock(get("REMIND_DEMO_CLOCK")),
            simulation_db=redis_database(get("REMIND_SIMULATION_DB"), "REMIND_SIMULATION_DB"),
            audit_retention_days=envvalues.positive_whole(
                env, "REMIND_AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS, unit="days"
            ),
            audit_redis_days=envvalues.positive_whole(
                env, "REMIND_AUDIT_REDIS_DAYS", DEFAULT_AUDIT_REDIS_DAYS, unit="days"
            ),
            audit_archive_seconds=envvalues.positive_number(
                env, "REMIND_AUDIT_ARCHIVE_SECONDS", DEFAULT_AUDIT_ARCHIVE_SECONDS
            ),
            audit_database_url=envvalues.database_url(
                get("AUDIT_DATABASE_URL"), "AUDIT_DATABASE_URL"
            ),
            api_keys=envvalues.keys_list(get("REMIND_API_KEYS")),
            metrics_keys=envvalues.keys_list(get("REMIND_METRICS_KEYS")),
            help_text=get("REMIND_HELP_TEXT"),
            redis_replication=redis_replication(get),
        )
