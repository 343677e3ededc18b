"""Settings of the live channels: which go live (``REMIND_CHANNELS``), what each needs, and the
secrets kept out of logs (docs/contracts.md, Environment)."""

from __future__ import annotations

import pytest

from worker.config import Settings
from worker.errors import ConfigError
from worker.providers import VOICE_NEEDS_PUBLIC_URL

SID = "AC" + "0123456789abcdef" * 2
TWILIO = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "twilio-token-7f3a"}
SMTP = {
    "SMTP_URL": "smtp://mailer:smtp-pass-91c2@mail.example.com:587?starttls=true",
    "EMAIL_FROM": "Acme <billing@acme.example>",
    "PUBLIC_BASE_URL": "https://remind.example.com/",
    "REMIND_SECRET_KEY": "secret-key-e4b1",
}


@pytest.mark.parametrize(
    ("env", "live"),
    [
        ({}, set()),
        ({"REMIND_CHANNELS": "outbox", **TWILIO, "TWILIO_FROM_NUMBER": "+14155550100"}, set()),
        # live: every configured provider, the others stay on the outbox; visits need nothing
        ({"REMIND_CHANNELS": "live"}, {"visit"}),
        (
            # a number and the web service Twilio fetches each call's TwiML from: calls go too
            {
                "REMIND_CHANNELS": "live",
                **TWILIO,
                "TWILIO_FROM_NUMBER": "+14155550100",
                "PUBLIC_BASE_URL": "https://remind.example.com",
            },
            {"sms", "voice", "visit"},
        ),
        (
            {
                "REMIND_CHANNELS": "voice=live",
                **TWILIO,
                "TWILIO_FROM_NUMBER": "+14155550100",
                "PUBLIC_BASE_URL": "https://remind.example.com",
                "REMIND_AGENT_NUMBER": "+14155550199",
            },
            {"voice"},
        ),
        # a messaging service sends SMS but cannot place a call
        (
            {"REMIND_CHANNELS": "live", **TWILIO, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "a" * 32},
            {"sms", "visit"},
        ),
        ({"REMIND_CHANNELS": "live", **SMTP}, {"email", "visit"}),
        # mixed per channel: only those named live
        (
            {
                "REMIND_CHANNELS": "sms=live, email=outbox",
                **TWILIO,
                "TWILIO_FROM_NUMBER": "+14155550100",
                **SMTP,
            },
            {"sms"},
        ),
        ({"REMIND_CHANNELS": "visit=live"}, {"visit"}),
    ],
)
def test_remind_channels_picks_the_live_channels(env: dict[str, str], live: set[str]) -> None:
    assert Settings.from_env(env).live_channels == frozenset(live)


def test_a_live_configuration_is_read_into_the_settings() -> None:
    env = {
        "REMIND_CHANNELS": "live",
        **TWILIO,
        "TWILIO_FROM_NUMBER": "+14155550100",
        "TWILIO_API_BASE_URL": "http://127.0.0.1:4010/",
        "REMIND_VISIT_WEBHOOK_URL": "https://field.example.com/tasks",
        "REMIND_SMS_PER_SECOND": "2.5",
        "REMIND_CALLS_PER_SECOND": "0.5",
        "REMIND_PROVIDER_CONCURRENCY": "4",
        "REMIND_PROVIDER_TIMEOUT_SECONDS": "3",
        **SMTP,
    }
    s = Settings.from_env(env)

    assert (s.twilio_account_sid, s.twilio_auth_token, s.twilio_from_number) == (
        SID,
        "twilio-token-7f3a",
        "+14155550100",
    )
    assert s.twilio_api_base_url == "http://127.0.0.1:4010"
    assert s.public_base_url == "https://remind.example.com"
    assert (s.smtp_url, s.email_from, s.secret_key) == (
        SMTP["SMTP_URL"],
        "Acme <billing@acme.example>",
        "secret-key-e4b1",
    )
    assert s.visit_webhook_url == "https://field.example.com/tasks"
    assert (s.sms_per_second, s.calls_per_second, s.provider_concurrency) == (2.5, 0.5, 4)
    assert s.provider_timeout_seconds == 3.0


def test_the_providers_of_outbox_channels_are_neither_read_nor_checked() -> None:
    s = Settings.from_env({**TWILIO, "TWILIO_ACCOUNT_SID": "AC1", "SMTP_URL": "not a url"})

    assert (s.live_channels, s.smtp_url, s.twilio_account_sid, s.twilio_auth_token) == (
        frozenset(),
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"REMIND_CHANNELS": "live", "TWILIO_FROM_NUMBER": "+14155550100"},
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set for live SMS and calls",
        ),
        (
            {"REMIND_CHANNELS": "live", **TWILIO},
            "live SMS needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID (the sender)",
        ),
        (
            {"REMIND_CHANNELS": "sms=live"},
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set for live SMS and calls",
        ),
        (
            {
                "REMIND_CHANNELS": "voice=live",
                **TWILIO,
                "TWILIO_MESSAGING_SERVICE_SID": "MG" + "a" * 32,
            },
            "live calls need TWILIO_FROM_NUMBER (the caller id)",
        ),
        # without the web service a machine could record the whole script: refused at start,
        # with live (Twilio configured for calls) as with voice=live
        (
            {"REMIND_CHANNELS": "voice=live", **TWILIO, "TWILIO_FROM_NUMBER": "+14155550100"},
            VOICE_NEEDS_PUBLIC_URL,
        ),
        (
            {"REMIND_CHANNELS": "live", **TWILIO, "TWILIO_FROM_NUMBER": "+14155550100"},
            VOICE_NEEDS_PUBLIC_URL,
        ),
        (
            {
                "REMIND_CHANNELS": "voice=live",
                **TWILIO,
                "TWILIO_FROM_NUMBER": "+14155550100",
                "PUBLIC_BASE_URL": "https://remind.example.com",
                "REMIND_AGENT_NUMBER": "555 0199",
            },
            "REMIND_AGENT_NUMBER must be an E.164 number such as +14155550100, got '555 0199'",
        ),
        (
            {
                "REMIND_CHANNELS": "live",
                **TWILIO,
                "TWILIO_ACCOUNT_SID": "AC123",
                "TWILIO_FROM_NUMBER": "+14155550100",
            },
            "TWILIO_ACCOUNT_SID must be AC and 32 hex digits, got 'AC123'",
        ),
        (
            {"REMIND_CHANNELS": "live", **TWILIO, "TWILIO_FROM_NUMBER": "4155550100"},
            "TWILIO_FROM_NUMBER must be an E.164 number such as +14155550100, got '4155550100'",
        ),
        (
            {"REMIND_CHANNELS": "live", **TWILIO, "TWILIO_MESSAGING_SERVICE_SID": "MG1"},
            "TWILIO_MESSAGING_SERVICE_SID must be MG and 32 hex digits, got 'MG1'",
        ),
        (
            {
                "REMIND_CHANNELS": "live",
                **TWILIO,
                "TWILIO_FROM_NUMBER": "+14155550100",
                "TWILIO_API_BASE_URL": "ftp://api.example.com",
            },
            "TWILIO_API_BASE_URL must be a URL with scheme http or https, got scheme 'ftp'",
        ),
        (
            {
                "REMIND_CHANNELS": "live",
                **TWILIO,
                "TWILIO_FROM_NUMBER": "+14155550100",
                "PUBLIC_BASE_URL": "remind.example.com",
            },
            "PUBLIC_BASE_URL must be a URL with scheme http or https, got scheme ''",
        ),
        (
            {"REMIND_CHANNELS": "live", "EMAIL_FROM": "billing@acme.example"},
            "live email needs SMTP_URL and EMAIL_FROM",
        ),
        (
            {"REMIND_CHANNELS": "live", **SMTP, "SMTP_URL": "mail.example.com:587"},
            "SMTP_URL must be a URL with scheme smtp or smtps, got scheme 'mail.example.com'",
        ),
        (
            {"REMIND_CHANNELS": "live", **SMTP, "SMTP_URL": "smtp://user:pa:ss@mail:5x7"},
            "SMTP_URL is not a valid URL (check the host and the port)",
        ),
        (
            {"REMIND_CHANNELS": "live", **SMTP, "EMAIL_FROM": "Acme billing"},
            "EMAIL_FROM must hold an email address, got 'Acme billing'",
        ),
        (
            {"REMIND_CHANNELS": "live", **SMTP, "PUBLIC_BASE_URL": ""},
            "live email (its unsubscribe link) needs PUBLIC_BASE_URL",
        ),
        (
            {"REMIND_CHANNELS": "live", **SMTP, "REMIND_SECRET_KEY": " "},
            "live email needs REMIND_SECRET_KEY (it signs unsubscribe links)",
        ),
        (
            {"REMIND_CHANNELS": "live", "REMIND_VISIT_WEBHOOK_URL": "https://field.example.com"},
            "REMIND_VISIT_WEBHOOK_URL needs REMIND_SECRET_KEY (it signs each task)",
        ),
    ],
)
def test_a_live_channel_with_incomplete_settings_stops_at_start(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)

    assert str(info.value) == message


LIVE_SECRETS = {"REMIND_CHANNELS": "live", **TWILIO, "TWILIO_FROM_NUMBER": "+14155550100", **SMTP}


@pytest.mark.parametrize("secret", ["twilio-token-7f3a", "smtp-pass-91c2", "secret-key-e4b1"])
def test_provider_secrets_stay_out_of_repr(secret: str) -> None:
    settings = Settings.from_env(LIVE_SECRETS)

    assert secret not in repr(settings)
    assert secret not in str(settings)


def test_repr_names_the_live_channels_and_masks_the_smtp_password() -> None:
    text = repr(Settings.from_env(LIVE_SECRETS))

    assert "live_channels=('email', 'sms', 'visit', 'voice')" in text
    assert "smtp_url='smtp://mailer:***@mail.example.com:587?starttls=true'" in text
    assert f"twilio_account_sid='{SID}'" in text
    for hidden in ("twilio_auth_token", "secret_key"):
        assert f"{hidden}=" not in text
