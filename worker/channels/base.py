"""The channel seam: one ``send`` method, one message type, one receipt type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message that the gate allowed, addressed to one recipient."""

    dispatch_id: str
    channel: str  # sms | email | voice | visit
    to: str  # E.164 number, email address, or a postal address line for a visit
    template: str
    locale: str
    text: str
    subject: str | None = None
    html: str | None = None
    voicemail: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What the provider said: who sent it and under which id."""

    provider: str
    provider_id: str


class Channel(Protocol):
    """Sends one message; raises ``worker.errors.DeliveryError`` when it cannot."""

    name: str

    def send(self, message: OutgoingMessage) -> Receipt: ...
