"""The live channels the settings ask for, each behind its guard (pause, pacing, retries).

``Settings.live_channels`` names them and ``Settings.from_env`` has checked their settings
already; every other channel stays on the outbox (``worker.app.default_channels``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from worker.channels.base import Channel
from worker.channels.email import SmtpEmail, SmtpServer
from worker.channels.guard import Breaker, Guarded
from worker.channels.pacing import Pacer
from worker.channels.sms import Sender, TwilioSms
from worker.channels.twilio_api import twilio_client
from worker.channels.visit import Enqueue, QueuedVisit, WebhookVisit, dramatiq_enqueue
from worker.channels.voice import TwilioVoice
from worker.clock import Clock
from worker.config import Settings

log = logging.getLogger(__name__)


def live_channels(
    settings: Settings,
    clock: Clock,
    client: redis.Redis,
    *,
    sleep: Callable[[float], None],
    enqueue: Enqueue | None = None,
) -> dict[str, Channel]:
    """One guarded channel per live channel of ``settings`` (``enqueue``: the visit queue)."""
    built: dict[str, Channel] = {}
    live = settings.live_channels
    # a slot is held at most as long as a request can last, connect and read, and then some
    hold = 3 * settings.provider_timeout_seconds

    def guard(channel: str, inner: Channel, sender: str | None, per_second: float) -> Guarded:
        pacer = None
        if sender is not None:
            pacer = Pacer(
                client,
                clock,
                provider=inner.name,
                sender=sender,
                per_second=per_second,
                in_flight=settings.provider_concurrency,
                hold_seconds=hold,
                sleep=sleep,
            )
        return Guarded(inner, breaker=Breaker(client, clock, channel), pacer=pacer, sleep=sleep)

    if live & {"sms", "voice"}:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        twilio = twilio_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url,
            settings.provider_timeout_seconds,
        )
        if "sms" in live:
            sender = Sender(settings.twilio_from_number, settings.twilio_messaging_service_sid)
            sms = TwilioSms(twilio, sender, public_base_url=settings.public_base_url)
            built["sms"] = guard("sms", sms, sender.key, settings.sms_per_second)
        if "voice" in live:
            assert settings.twilio_from_number and settings.public_base_url
            voice = TwilioVoice(
                twilio,
                settings.twilio_from_number,
                public_base_url=settings.public_base_url,
                agent_number=settings.agent_number,
                store=client,
            )
            # Twilio limits calls a second per account, whichever number places them
            built["voice"] = guard("voice", voice, "calls", settings.calls_per_second)
    if "email" in live:
        assert settings.smtp_url and settings.email_from
        assert settings.public_base_url and settings.secret_key
        email = SmtpEmail(
            SmtpServer.from_url(settings.smtp_url),
            settings.email_from,
            clock,
            public_base_url=settings.public_base_url,
            secret_key=settings.secret_key,
            timeout=settings.provider_timeout_seconds,
        )
        built["email"] = guard("email", email, None, 0)
    if "visit" in live:
        visit: Channel
        if settings.visit_webhook_url:
            assert settings.secret_key
            visit = WebhookVisit(
                settings.visit_webhook_url,
                settings.secret_key,
                clock,
                timeout=settings.provider_timeout_seconds,
            )
        else:
            visit = QueuedVisit(enqueue or dramatiq_enqueue(), clock)
        built["visit"] = guard("visit", visit, None, 0)
    for channel, sent_by in sorted(built.items()):
        log.info("channel %s sends through %s", channel, sent_by.name)
    return built
