"""Calls through Twilio's Calls API (``POST /2010-04-01/Accounts/{sid}/Calls.json``).

The call carries its TwiML inline (``worker.channels.twiml``): the person hears the rendered
script and a keypress menu, then the limited-content voicemail part. Answering machine
detection runs asynchronously (``MachineDetection=DetectMessageEnd``, ``AsyncAmd=true``): the
call starts at once and Twilio posts what answered (``AnsweredBy``) to
``PUBLIC_BASE_URL/twilio/voice/amd``, where the web service can replace a machine's TwiML with
the voicemail part alone. The keypress menu, the AMD result and the call status all go to the web
service (docs/integration.md, Live providers); without ``PUBLIC_BASE_URL`` the call has no menu
and no callbacks.
"""

from __future__ import annotations

from twilio.rest import Client

from worker.channels.base import OutgoingMessage, Receipt
from worker.channels.sms import callback_url
from worker.channels.twiml import call_twiml
from worker.errors import PermanentDeliveryError

#: Twilio's limit on inline TwiML; a longer script is refused here without a request.
MAX_TWIML = 4000
STATUS_PATH = "/twilio/status/voice"
AMD_PATH = "/twilio/voice/amd"


class TwilioVoice:
    """Places each message as one Twilio call; the receipt holds the call SID."""

    name = "twilio"

    def __init__(
        self,
        client: Client,
        from_number: str,
        *,
        public_base_url: str | None,
        agent_number: str | None,
    ) -> None:
        self.client = client
        self.from_number = from_number
        self.public_base_url = public_base_url
        self.agent_number = agent_number

    def send(self, message: OutgoingMessage) -> Receipt:
        """Create the call at Twilio; raise a classified ``DeliveryError`` if refused."""
        created = self.client.api.v2010.account.calls.create(**self.params(message))
        return Receipt(self.name, str(created.sid))

    def params(self, message: OutgoingMessage) -> dict[str, object]:
        """The keyword arguments of ``calls.create`` for ``message``."""
        twiml = call_twiml(
            message,
            public_base_url=self.public_base_url,
            agent=self.agent_number is not None,
        )
        if len(twiml) > MAX_TWIML:
            raise PermanentDeliveryError(
                f"call TwiML of {len(twiml)} characters is over {MAX_TWIML}", code="twiml_too_long"
            )
        params: dict[str, object] = {
            "to": message.to,
            "from_": self.from_number,
            "twiml": twiml,
            "machine_detection": "DetectMessageEnd",
            "async_amd": "true",
        }
        if self.public_base_url:
            base, dispatch = self.public_base_url, message.dispatch_id
            params["async_amd_status_callback"] = callback_url(base, AMD_PATH, dispatch)
            # Twilio's default event only, ``completed`` (status and duration): asking for more
            # takes a repeated StatusCallbackEvent, which Prism's form parser reads as a string
            params["status_callback"] = callback_url(base, STATUS_PATH, dispatch)
        return params
