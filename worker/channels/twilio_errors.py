"""Twilio's answers translated into remind's delivery errors (docs/integration.md, Provider
errors). One table, by error code, read by the SMS and voice channels alike."""

from __future__ import annotations

from worker.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    ProviderConfigurationError,
    RecipientOptedOut,
    TransientDeliveryError,
)
from worker.logs import mask

#: The recipient replied STOP to this sender: the opt-out is recorded, never retried.
OPTED_OUT = 21610
#: Never to be retried for this recipient and content.
PERMANENT: dict[int, str] = {
    21211: "invalid 'To' number",
    21214: "'To' number cannot be reached",
    21612: "'To' number cannot be reached from this sender",
    21614: "'To' number is not a mobile number",
    21635: "'To' number is a landline",
    OPTED_OUT: "the recipient replied STOP",
    13224: "invalid 'To' number for a call",
    30004: "message blocked",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
}
#: Our account, sender or settings are refused: no message can go until someone fixes it.
CONFIGURATION: dict[int, str] = {
    20003: "authentication failed",
    21408: "permission to send to this region is not enabled",
    21606: "the 'From' number cannot send this message",
    21608: "a trial account can send only to verified numbers",
    30032: "toll-free number not verified",
    30034: "sender not registered for A2P 10DLC",
}
#: Not processed, or not reachable for now: safe to try again later.
RETRY: dict[int, str] = {
    20429: "too many requests",
    30003: "handset unreachable",
}


def classify(status: int, code: int | None, detail: str = "") -> DeliveryError:
    """The delivery error for an HTTP ``status`` and Twilio error ``code`` (``None``: no body).

    ``detail`` is Twilio's message; it may quote the number, so it is masked before it goes
    into the error (errors reach logs).
    """
    said = f": {mask(detail)[:200]}" if detail else ""
    what = f"Twilio error {code} (HTTP {status})" if code else f"Twilio HTTP {status}"
    reason = str(code) if code else f"http_{status}"
    if status == 429 or code in RETRY:
        return TransientDeliveryError(f"{what}{said}", code=reason)
    if code in CONFIGURATION or (code is None and status in (401, 403)):
        return ProviderConfigurationError(f"{what}{said}", code=reason)
    if code == OPTED_OUT:
        return RecipientOptedOut(f"{what}{said}", code=reason)
    if status >= 500:
        # the request reached Twilio and failed there: it may have been carried out
        return AmbiguousDeliveryError(f"{what}{said}", code=reason)
    # any other refusal (4xx) was not carried out, and sending the same again would fail again
    return PermanentDeliveryError(f"{what}{said}", code=reason)
