"""Calls through Twilio's Calls API (``POST /2010-04-01/Accounts/{sid}/Calls.json``).

The call carries no TwiML. Its ``Url`` is remind's web service,
``PUBLIC_BASE_URL/twilio/voice/twiml?dispatch=<id>``, and answering-machine detection is
synchronous (``MachineDetection=DetectMessageEnd``, no ``AsyncAmd``): Twilio waits for the
verdict, and for a machine the end of its greeting, before it fetches the TwiML with
``AnsweredBy`` in the request. A person then hears the script and the keypress menu; anything
else hears only the limited-content voicemail part, so a machine never records the script (the
person's name and the debt). The rendered parts are written to Redis before the call is placed
(``worker.storage.call_parts``), where the web service reads them.

The document a person hears (script, menu and voicemail) is built here first, so a call over
Twilio's 4,000 characters of TwiML is refused before anything is stored or requested.
"""

from __future__ import annotations

import redis
from twilio.rest import Client

from worker.channels.base import OutgoingMessage, Receipt
from worker.channels.twiml import action_url, call_twiml
from worker.errors import AmbiguousDeliveryError, DeliveryError, PermanentDeliveryError
from worker.storage.call_parts import CallParts, forget_call_parts, save_call_parts

#: Twilio's limit on a TwiML document; a longer one is refused here without a request.
MAX_TWIML = 4000
#: Seconds the phone may ring before the call counts as not answered: long enough for a
#: voicemail to pick up (most do within 30), less than Twilio's default of 60.
RING_SECONDS = 45
STATUS_PATH = "/twilio/status/voice"
TWIML_PATH = "/twilio/voice/twiml"
KEYPRESS_PATH = "/twilio/voice/keypress"
PROMISE_PATH = "/twilio/voice/promise"
CONFIRM_PATH = "/twilio/voice/promise/confirm"


class TwilioVoice:
    """Places each message as one Twilio call; the receipt holds the call SID."""

    name = "twilio"

    def __init__(
        self,
        client: Client,
        from_number: str,
        *,
        public_base_url: str,
        agent_number: str | None,
        store: redis.Redis,
    ) -> None:
        self.client = client
        self.from_number = from_number
        self.public_base_url = public_base_url
        self.agent_number = agent_number
        self.store = store

    def send(self, message: OutgoingMessage) -> Receipt:
        """Store the call's parts, then create the call at Twilio; raise a classified
        ``DeliveryError`` if either document is too long or Twilio refuses the call."""
        parts = call_parts(message)
        check_twiml(self.public_base_url, message.dispatch_id, parts, agent=self.agent)
        params = self.params(message)
        save_call_parts(self.store, message.dispatch_id, parts)
        try:
            created = self.client.api.v2010.account.calls.create(**params)
        except DeliveryError as e:
            # a call refused is not placed: its script is not kept. One whose answer was lost
            # may ring all the same, and Twilio would then fetch its TwiML: it stays.
            if not isinstance(e, AmbiguousDeliveryError):
                forget_call_parts(self.store, message.dispatch_id)
            raise
        return Receipt(self.name, str(created.sid))

    @property
    def agent(self) -> bool:
        """Whether the menu offers 1, a person to speak with."""
        return self.agent_number is not None

    def params(self, message: OutgoingMessage) -> dict[str, object]:
        """The keyword arguments of ``calls.create`` for ``message``."""
        base, dispatch = self.public_base_url, message.dispatch_id
        # Twilio's default status event only, ``completed`` (status and duration): asking for
        # more takes a repeated StatusCallbackEvent, which Prism's form parser reads as a string
        return {
            "to": message.to,
            "from_": self.from_number,
            "url": action_url(base, TWIML_PATH, dispatch),
            "method": "POST",
            "machine_detection": "DetectMessageEnd",
            "status_callback": action_url(base, STATUS_PATH, dispatch),
            "timeout": RING_SECONDS,
        }


def call_parts(message: OutgoingMessage) -> CallParts:
    """What the web service needs to answer for ``message``'s call."""
    return CallParts(message.text, message.voicemail, message.locale, message.to)


def check_twiml(base: str, dispatch_id: str, parts: CallParts, *, agent: bool) -> None:
    """Raise ``PermanentDeliveryError`` (``twiml_too_long``) if the document a person hears
    (script, menu, then the voicemail) is over ``MAX_TWIML``. It holds the voicemail part, so
    the document a machine hears (that part alone) is shorter still."""
    keypress = action_url(base, KEYPRESS_PATH, dispatch_id)
    twiml = call_twiml(parts, keypress_url=keypress, agent=agent)
    if len(twiml) > MAX_TWIML:
        raise PermanentDeliveryError(
            f"call TwiML of {len(twiml)} characters is over {MAX_TWIML}", code="twiml_too_long"
        )
