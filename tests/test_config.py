"""Settings.from_env, the one door from the environment (docs/contracts.md, Environment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from worker.config import Settings
from worker.errors import ConfigError
from worker.providers import Replication


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_env({})

    assert settings == Settings(
        redis_url=None,
        broker_url=None,
        schedules_dir=Path("schedules"),
        templates_dir=Path("templates"),
        data_dir=Path("var"),
        channels="outbox",
        tick_seconds=15,
        lease_seconds=600,
        results_queue="reminder_results",
        results_actor="reminder_result",
        fixed_now=None,
        audit_retention_days=1096,
    )
    assert settings.embedded_redis is True
    assert settings.outbox_dir == Path("var/outbox")
    assert settings.redis_dir == Path("var/redis")


def test_blank_values_count_as_unset() -> None:
    blank = {
        name: "  "
        for name in (
            "REDIS_URL",
            "BROKER_URL",
            "REMIND_CHANNELS",
            "REMIND_TICK_SECONDS",
            "REMIND_AUDIT_RETENTION_DAYS",
        )
    }

    assert Settings.from_env(blank) == Settings.from_env({})


@pytest.mark.parametrize(
    ("env", "attribute", "expected"),
    [
        ({"REDIS_URL": "redis://cache:6379/0"}, "redis_url", "redis://cache:6379/0"),
        ({"REDIS_URL": " rediss://cache:6380/2 "}, "redis_url", "rediss://cache:6380/2"),
        ({"REDIS_URL": "unix:///run/redis.sock"}, "redis_url", "unix:///run/redis.sock"),
        (
            {"REDIS_URL": "redis+cluster://n1:7000,n2:7001"},
            "redis_url",
            "redis+cluster://n1:7000,n2:7001",
        ),
        ({"REDIS_URL": "redis://cache:6379/0"}, "embedded_redis", False),
        ({"BROKER_URL": "redis://cache:6379/1"}, "broker_url", "redis://cache:6379/1"),
        (
            {"BROKER_URL": "amqp://guest:guest@rabbit:5672/"},
            "broker_url",
            "amqp://guest:guest@rabbit:5672/",
        ),
        (
            {"BROKER_URL": "amqps://rabbit.example.com/vh"},
            "broker_url",
            "amqps://rabbit.example.com/vh",
        ),
        (
            {"REMIND_SCHEDULES_DIR": "/etc/remind/schedules"},
            "schedules_dir",
            Path("/etc/remind/schedules"),
        ),
        ({"REMIND_TEMPLATES_DIR": "tpl"}, "templates_dir", Path("tpl")),
        ({"REMIND_DATA_DIR": "/srv/remind"}, "outbox_dir", Path("/srv/remind/outbox")),
        ({"REMIND_CHANNELS": "outbox"}, "channels", "outbox"),
        ({"REMIND_CHANNELS": "live"}, "channels", "live"),
        ({"REMIND_TICK_SECONDS": "5"}, "tick_seconds", 5.0),
        ({"REMIND_TICK_SECONDS": "0.25"}, "tick_seconds", 0.25),
        ({"REMIND_LEASE_SECONDS": "120"}, "lease_seconds", 120.0),
        ({"REMIND_AUDIT_RETENTION_DAYS": "30"}, "audit_retention_days", 30),
        ({"REMIND_AUDIT_REDIS_DAYS": "7"}, "audit_redis_days", 7),
        ({"REMIND_AUDIT_ARCHIVE_SECONDS": "5.5"}, "audit_archive_seconds", 5.5),
        (
            {"AUDIT_DATABASE_URL": "postgresql://audit@db:5432/remind"},
            "audit_database_url",
            "postgresql://audit@db:5432/remind",
        ),
        ({}, "redis_replication", Replication(0, 1000)),
        ({"REMIND_REDIS_MIN_REPLICAS": "1"}, "redis_replication", Replication(1, 1000)),
        (
            {"REMIND_REDIS_MIN_REPLICAS": "2", "REMIND_REDIS_WAIT_MS": "250"},
            "redis_replication",
            Replication(2, 250),
        ),
        ({"REMIND_AUDIT_RETENTION_DAYS": " 1 "}, "audit_retention_days", 1),
        ({"REMIND_RESULTS_QUEUE": "results_v2"}, "results_queue", "results_v2"),
        ({"REMIND_RESULTS_ACTOR": "on_result"}, "results_actor", "on_result"),
        (
            {"REMIND_FIXED_NOW": "2026-03-02T12:00:00Z"},
            "fixed_now",
            datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        ),
        (
            {"REMIND_FIXED_NOW": "2026-03-02T20:00:00+08:00"},
            "fixed_now",
            datetime(2026, 3, 2, 20, 0, tzinfo=timezone(timedelta(hours=8))),
        ),
    ],
)
def test_each_variable_is_parsed_into_its_setting(
    env: dict[str, str], attribute: str, expected: Any
) -> None:
    value = getattr(Settings.from_env(env), attribute)

    assert value == expected
    assert type(value) is type(expected)


def test_a_fixed_now_with_an_offset_is_the_same_instant_in_utc() -> None:
    settings = Settings.from_env({"REMIND_FIXED_NOW": "2026-03-02T20:00:00+08:00"})

    assert settings.fixed_now is not None
    assert settings.fixed_now.astimezone(UTC) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"REDIS_URL": "localhost:6379"},
            "REDIS_URL must be a URL with scheme redis or rediss or unix or redis+cluster or "
            "rediss+cluster, got scheme 'localhost'",
        ),
        (
            {"REDIS_URL": "http://cache:6379"},
            "REDIS_URL must be a URL with scheme redis or rediss or unix or redis+cluster or "
            "rediss+cluster, got scheme 'http'",
        ),
        ({"REDIS_URL": "redis://"}, "REDIS_URL has no host"),
        (
            {"REDIS_URL": "redis+cluster://a:7000,b"},
            "REDIS_URL: seed node 2 must be host:port (a cluster has no default)",
        ),
        (
            {"REDIS_URL": "redis+cluster://a:7000,b:port"},
            "REDIS_URL: seed node 2 must be host:port (a cluster has no default)",
        ),
        (
            {"REDIS_URL": "redis+cluster://"},
            "REDIS_URL: seed node 1 must be host:port (a cluster has no default)",
        ),
        (
            {"BROKER_URL": "redis+cluster://a:7000"},  # dramatiq's broker cannot run on one
            "BROKER_URL must be a URL with scheme redis or rediss or unix or amqp or amqps, got "
            "scheme 'redis+cluster'",
        ),
        (
            {"REDIS_URL": "redis://cache:port/0"},
            "REDIS_URL is not a valid URL (check the host and the port)",
        ),
        (
            {"REDIS_URL": "redis://cache:70000/0"},
            "REDIS_URL is not a valid URL (check the host and the port)",
        ),
        (
            {"REDIS_URL": "redis://[::1/0"},
            "REDIS_URL is not a valid URL (check the host and the port)",
        ),
        (
            {"BROKER_URL": "kafka://k:9092"},
            "BROKER_URL must be a URL with scheme redis or rediss or unix or amqp or amqps, "
            "got scheme 'kafka'",
        ),
        ({"BROKER_URL": "amqp://"}, "BROKER_URL has no host"),
        (
            {"REMIND_CHANNELS": "twilio"},
            "REMIND_CHANNELS must be outbox, live, or a list such as sms=live,email=outbox "
            "(channels sms, voice, email, visit), got 'twilio'",
        ),
        (
            {"REMIND_CHANNELS": "LIVE"},
            "REMIND_CHANNELS must be outbox, live, or a list such as sms=live,email=outbox "
            "(channels sms, voice, email, visit), got 'LIVE'",
        ),
        (
            {"REMIND_CHANNELS": "sms=twilio"},
            "REMIND_CHANNELS must be outbox, live, or a list such as sms=live,email=outbox "
            "(channels sms, voice, email, visit), got 'sms=twilio'",
        ),
        (
            {"REMIND_SMS_PER_SECOND": "fast"},
            "REMIND_SMS_PER_SECOND must be a number of messages a second, got 'fast'",
        ),
        (
            {"REMIND_PROVIDER_CONCURRENCY": "0"},
            "REMIND_PROVIDER_CONCURRENCY must be a whole number of requests greater than 0, "
            "got '0'",
        ),
        (
            {"REMIND_TICK_SECONDS": "fast"},
            "REMIND_TICK_SECONDS must be a number of seconds, got 'fast'",
        ),
        (
            {"REMIND_TICK_SECONDS": "15s"},
            "REMIND_TICK_SECONDS must be a number of seconds, got '15s'",
        ),
        (
            {"REMIND_TICK_SECONDS": "0"},
            "REMIND_TICK_SECONDS must be a finite number greater than 0, got '0'",
        ),
        (
            {"REMIND_TICK_SECONDS": "-1"},
            "REMIND_TICK_SECONDS must be a finite number greater than 0, got '-1'",
        ),
        (
            {"REMIND_TICK_SECONDS": "nan"},
            "REMIND_TICK_SECONDS must be a finite number greater than 0, got 'nan'",
        ),
        (
            {"REMIND_TICK_SECONDS": "inf"},
            "REMIND_TICK_SECONDS must be a finite number greater than 0, got 'inf'",
        ),
        (
            {"REMIND_LEASE_SECONDS": "0"},
            "REMIND_LEASE_SECONDS must be a finite number greater than 0, got '0'",
        ),
        (
            {"REMIND_AUDIT_RETENTION_DAYS": "0.5"},
            "REMIND_AUDIT_RETENTION_DAYS must be a whole number of days, got '0.5'",
        ),
        (
            {"REMIND_AUDIT_RETENTION_DAYS": "1096.0"},
            "REMIND_AUDIT_RETENTION_DAYS must be a whole number of days, got '1096.0'",
        ),
        (
            {"REMIND_AUDIT_RETENTION_DAYS": "3y"},
            "REMIND_AUDIT_RETENTION_DAYS must be a whole number of days, got '3y'",
        ),
        (
            {"REMIND_AUDIT_RETENTION_DAYS": "0"},
            "REMIND_AUDIT_RETENTION_DAYS must be a whole number of days greater than 0, got '0'",
        ),
        (
            {"REMIND_AUDIT_RETENTION_DAYS": "-30"},
            "REMIND_AUDIT_RETENTION_DAYS must be a whole number of days greater than 0, got '-30'",
        ),
        (
            {"REMIND_REDIS_MIN_REPLICAS": "-1"},
            "REMIND_REDIS_MIN_REPLICAS must be a whole number from 0, got '-1'",
        ),
        (
            {"REMIND_REDIS_MIN_REPLICAS": "one"},
            "REMIND_REDIS_MIN_REPLICAS must be a whole number from 0, got 'one'",
        ),
        (
            {"REMIND_REDIS_WAIT_MS": "0"},
            "REMIND_REDIS_WAIT_MS must be a whole number from 1, got '0'",
        ),
        (
            {"REMIND_REDIS_WAIT_MS": "1.5"},
            "REMIND_REDIS_WAIT_MS must be a whole number from 1, got '1.5'",
        ),
        (
            {"REMIND_FIXED_NOW": "tomorrow"},
            "REMIND_FIXED_NOW must be an ISO 8601 instant, got 'tomorrow'",
        ),
        (
            {"REMIND_FIXED_NOW": "2026-03-02T12:00:00"},
            "REMIND_FIXED_NOW must carry a UTC offset, got '2026-03-02T12:00:00'",
        ),
        (
            {"REMIND_FIXED_NOW": "2026-03-02"},
            "REMIND_FIXED_NOW must carry a UTC offset, got '2026-03-02'",
        ),
    ],
)
def test_a_bad_value_raises_a_config_error_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)

    assert str(info.value) == message


SECRETS = {
    "REDIS_URL": "redis://worker:redis-pass-2a9f@cache:6379/0",
    "BROKER_URL": "amqp://remind:amqp-pass-6b0c@rabbit:5672/",
}


@pytest.mark.parametrize("secret", ["redis-pass-2a9f", "amqp-pass-6b0c"])
def test_url_passwords_stay_out_of_repr_and_str(secret: str) -> None:
    settings = Settings.from_env(SECRETS)

    assert secret not in repr(settings)
    assert secret not in str(settings)


def test_repr_keeps_the_settings_and_shows_masked_passwords() -> None:
    text = repr(Settings.from_env(SECRETS))

    assert text.startswith("Settings(redis_url='redis://worker:***@cache:6379/0', ")
    assert "broker_url='amqp://remind:***@rabbit:5672/'" in text
    assert "audit_retention_days=1096" in text


def test_repr_shows_a_url_without_a_password_unchanged() -> None:
    text = repr(Settings.from_env({"REDIS_URL": "redis://cache:6379/0"}))

    assert text.startswith("Settings(redis_url='redis://cache:6379/0', broker_url=None, ")


def test_with_redis_returns_a_copy_pointing_at_the_url() -> None:
    settings = Settings.from_env({"REMIND_TICK_SECONDS": "3"})

    moved = settings.with_redis("redis://127.0.0.1:50123/0")

    assert (moved.redis_url, moved.tick_seconds, moved.embedded_redis) == (
        "redis://127.0.0.1:50123/0",
        3.0,
        False,
    )
    assert settings.redis_url is None


def test_metrics_keys_and_the_help_text_are_read_and_the_keys_stay_out_of_repr() -> None:
    settings = Settings.from_env(
        {"REMIND_METRICS_KEYS": " scrape-1 , ,scrape-2", "REMIND_HELP_TEXT": " Acme: 800 555 0111 "}
    )

    assert settings.metrics_keys == ("scrape-1", "scrape-2")
    assert settings.help_text == "Acme: 800 555 0111"
    assert "scrape-1" not in repr(settings)
    assert "help_text='Acme: 800 555 0111'" in repr(settings)


def test_the_audit_archive_settings_default_to_files_and_two_days_in_redis() -> None:
    settings = Settings.from_env({"REMIND_DATA_DIR": "/srv/remind"})

    assert (settings.audit_redis_days, settings.audit_archive_seconds) == (2, 60)
    assert settings.audit_database_url is None
    assert settings.audit_dir == Path("/srv/remind/audit")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"AUDIT_DATABASE_URL": "mysql://u:hunter2@db/remind"},
            "AUDIT_DATABASE_URL must be a PostgreSQL URL such as postgresql://user@host:5432/db, "
            "got a value with scheme 'mysql'",
        ),
        (
            {"REMIND_AUDIT_REDIS_DAYS": "0"},
            "REMIND_AUDIT_REDIS_DAYS must be a whole number of days greater than 0, got '0'",
        ),
    ],
)
def test_bad_audit_archive_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert str(error.value) == message
    assert "hunter2" not in str(error.value)


def test_the_audit_database_password_is_masked_in_repr() -> None:
    text = repr(Settings.from_env({"AUDIT_DATABASE_URL": "postgresql://u:hunter2@db/remind"}))

    assert "hunter2" not in text
    assert "audit_database_url='postgresql://u:***@db/remind'" in text
