"""Shared pieces of the Twilio channel tests: an account SID, and messages to send."""

from __future__ import annotations

from worker.channels.base import OutgoingMessage

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-token-7f3a"
FROM = "+14155550100"
AGENT = "+14155550199"
PUBLIC = "https://remind.example.com"


def sms(text: str = "Hi Sam, a reminder.", **changes: str) -> OutgoingMessage:
    """An SMS for dispatch ``A-1:early.1:0``."""
    fields = {"dispatch_id": "A-1:early.1:0", "to": "+12125550123", "locale": "en", **changes}
    return OutgoingMessage(
        channel="sms", template="reminder", text=text, account_id="A-1", **fields
    )


def call(
    text: str = "Hello Sam.\n\nYour payment is due.",
    voicemail: str | None = "Please call us back.",
    locale: str = "en",
) -> OutgoingMessage:
    """A call for dispatch ``A-1:late.1:0``."""
    return OutgoingMessage(
        dispatch_id="A-1:late.1:0",
        channel="voice",
        to="+12125550123",
        template="reminder_call",
        locale=locale,
        text=text,
        voicemail=voicemail,
        account_id="A-1",
    )
