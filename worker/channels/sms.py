"""SMS through Twilio's Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

The request carries ``To``, the sender (``From``, or ``MessagingServiceSid`` when a messaging
service picks the number), ``Body`` and, when remind's web service is reachable
(``PUBLIC_BASE_URL``), a ``StatusCallback`` that names the dispatch. Errors are classified by
the transport (``worker.channels.twilio_api``); pacing and retries are the guard's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from twilio.rest import Client

from worker.channels.base import OutgoingMessage, Receipt
from worker.errors import PermanentDeliveryError

#: Twilio refuses a longer body (error 21617); refused here without a request.
MAX_BODY = 1600
#: Where the web service takes Twilio's message status callbacks.
STATUS_PATH = "/twilio/status/sms"


@dataclass(frozen=True)
class Sender:
    """Who sends: a number, or a messaging service that picks one."""

    from_number: str | None = None
    messaging_service_sid: str | None = None

    @property
    def key(self) -> str:
        """The sender's name for pacing."""
        return self.messaging_service_sid or self.from_number or "default"


class TwilioSms:
    """Sends each message as one Twilio message; the receipt holds the message SID."""

    name = "twilio"

    def __init__(self, client: Client, sender: Sender, *, public_base_url: str | None) -> None:
        if sender.from_number is None and sender.messaging_service_sid is None:
            raise ValueError("an SMS sender needs a number or a messaging service")
        self.client = client
        self.sender = sender
        self.public_base_url = public_base_url

    def send(self, message: OutgoingMessage) -> Receipt:
        """Create the message at Twilio; raise a classified ``DeliveryError`` if refused."""
        if len(message.text) > MAX_BODY:
            raise PermanentDeliveryError(
                f"SMS body of {len(message.text)} characters is over {MAX_BODY}",
                code="body_too_long",
            )
        created = self.client.api.v2010.account.messages.create(**self.params(message))
        return Receipt(self.name, str(created.sid))

    def params(self, message: OutgoingMessage) -> dict[str, str]:
        """The keyword arguments of ``messages.create`` for ``message``."""
        params = {"to": message.to, "body": message.text}
        if self.sender.messaging_service_sid is not None:
            params["messaging_service_sid"] = self.sender.messaging_service_sid
        else:
            assert self.sender.from_number is not None
            params["from_"] = self.sender.from_number
        if self.public_base_url:
            params["status_callback"] = callback_url(
                self.public_base_url, STATUS_PATH, message.dispatch_id
            )
        return params


def callback_url(base: str, path: str, dispatch_id: str) -> str:
    """``base + path`` naming the dispatch, so a callback finds its account without a lookup."""
    return f"{base.rstrip('/')}{path}?dispatch={quote(dispatch_id, safe='')}"
