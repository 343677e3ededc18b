"""The callbacks the Twilio emulator makes after a create, as Twilio makes them, signed.

A message's ``StatusCallback`` gets ``queued``, ``sent``, then ``delivered`` (or ``undelivered``
/ ``failed`` with an ``ErrorCode``). A call with a ``Url`` has that URL fetched (with
``AnsweredBy`` when machine detection is asked for synchronously), each ``<Gather action>`` of
the TwiML answered with the next scripted keypress, then its ``StatusCallback`` told
``completed``; a busy or unanswered call only gets the status callback. A call with inline
``Twiml`` has its gathers answered the same way, and with ``AsyncAmd=true`` the verdict goes to
``AsyncAmdStatusCallback``. Every request carries ``X-Twilio-Signature``, computed with the auth
token over the exact URL posted and the form, as ``twilio.request_validator`` checks it.

``CallbackSender`` posts them one flow at a time on its own thread and keeps a ``Callback`` for
each, with the answer it got; ``wait(n, timeout)`` blocks until ``n`` were made.
"""

from __future__ import annotations

import queue
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

from twilio.request_validator import RequestValidator

#: Seconds one callback may take before it is recorded as failed.
CALLBACK_TIMEOUT = 10.0
#: A message's statuses on its way to each final status.
_MESSAGE_PATH = {
    "delivered": ("queued", "sent", "delivered"),
    "undelivered": ("queued", "sent", "undelivered"),
    "failed": ("queued", "failed"),
}
_CALL_FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


@dataclass(frozen=True)
class Fate:
    """What becomes of a created message or call, i.e. which callbacks follow.

    ``status``: for a message ``delivered``, ``undelivered`` or ``failed`` (with
    ``error_code``); for a call ``completed``, ``busy``, ``no-answer``, ``failed`` or
    ``canceled``. ``answered_by`` is what machine detection says on a completed call and
    ``digits`` the keys a person presses, one per ``<Gather>`` in turn (a machine presses none).
    """

    status: str | None = None  # None: delivered (message) or completed (call)
    error_code: int | None = None
    answered_by: str = "human"
    digits: tuple[str, ...] = ()
    duration: int = 42


@dataclass(frozen=True)
class Callback:
    """One request the emulator made: what, where, the form, its signature, and the answer."""

    kind: str  # sms-status | call-url | gather | amd | call-status
    url: str
    form: dict[str, str]
    signature: str | None
    status: int | None  # None: no HTTP answer (``error`` says why)
    body: str
    error: str | None = None


class CallbackSender:
    """Posts callback flows in order on a background thread and logs every request."""

    def __init__(
        self, auth_token: str | None, on_callback: Callable[[Callback], None] | None = None
    ) -> None:
        self.auth_token = auth_token
        self.on_callback = on_callback
        self.log: list[Callback] = []
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._made = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="twilio-callbacks", daemon=True)
        self._thread.start()

    def submit(self, flow: Callable[[], None]) -> None:
        """Run ``flow`` (which calls ``post``) after the flows submitted before it."""
        self._jobs.put(flow)

    def post(self, kind: str, url: str, form: dict[str, str]) -> Callback:
        """POST ``form`` to ``url``, signed; log and return what happened."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        signature = None
        if self.auth_token:
            signature = RequestValidator(self.auth_token).compute_signature(url, form)
            headers["X-Twilio-Signature"] = signature
        request = urllib.request.Request(
            url, data=urlencode(form).encode(), headers=headers, method="POST"
        )
        status: int | None
        error = None
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as answer:
                status, body = answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode("utf-8", "replace")
        except (OSError, ValueError) as e:  # refused, timed out, not a URL
            status, body, error = None, "", f"{type(e).__name__}: {e}"
        made = Callback(kind, url, dict(form), signature, status, body, error)
        if self.on_callback is not None:  # told before it is logged, so before any waiter wakes
            self.on_callback(made)
        with self._made:
            self.log.append(made)
            self._made.notify_all()
        return made

    def wait(self, n: int, timeout: float) -> list[Callback]:
        """Block until at least ``n`` callbacks were made; ``TimeoutError`` after ``timeout``."""
        with self._made:
            if not self._made.wait_for(lambda: len(self.log) >= n, timeout):
                raise TimeoutError(f"{len(self.log)} of {n} callbacks made in {timeout}s")
            return list(self.log)

    def stop(self) -> None:
        """Finish the flow in progress, drop the others, and end the thread."""
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._jobs.put(None)
        self._thread.join(timeout=CALLBACK_TIMEOUT + 1)

    def _run(self) -> None:
        while (flow := self._jobs.get()) is not None:
            try:
                flow()
            except Exception as e:  # a bad TwiML answer ends its flow, never the thread
                with self._made:
                    self.log.append(Callback("error", "", {}, None, None, "", repr(e)))
                    self._made.notify_all()


def message_flow(sender: CallbackSender, resource: dict[str, str], fate: Fate) -> None:
    """The status callbacks of a created message (none without ``StatusCallback``)."""
    url = resource.get("StatusCallback")
    final = fate.status or "delivered"
    if not url:
        return
    if final not in _MESSAGE_PATH:
        raise ValueError(f"a message's fate must be one of {sorted(_MESSAGE_PATH)}, not {final}")
    base = {
        "MessageSid": resource["Sid"],
        "SmsSid": resource["Sid"],
        "AccountSid": resource["AccountSid"],
        "To": resource.get("To", ""),
        "ApiVersion": "2010-04-01",
    }
    if resource.get("MessagingServiceSid"):
        base["MessagingServiceSid"] = resource["MessagingServiceSid"]
    if resource.get("From"):
        base["From"] = resource["From"]
    for status in _MESSAGE_PATH[final]:
        form = {**base, "MessageStatus": status, "SmsStatus": status}
        if status in ("undelivered", "failed"):
            form["ErrorCode"] = str(fate.error_code or 30003)
        sender.post("sms-status", url, form)


def call_flow(sender: CallbackSender, resource: dict[str, str], fate: Fate) -> None:
    """What Twilio requests of remind while a created call rings, talks and ends."""
    final = fate.status or "completed"
    if final not in _CALL_FINAL:
        raise ValueError(f"a call's fate must be one of {_CALL_FINAL}, not {final}")
    base = {
        "CallSid": resource["Sid"],
        "AccountSid": resource["AccountSid"],
        "From": resource.get("From", ""),
        "To": resource.get("To", ""),
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
    }
    detect = bool(resource.get("MachineDetection"))
    is_async = resource.get("AsyncAmd", "").lower() == "true"
    answered = {"AnsweredBy": fate.answered_by} if detect else {}
    if final == "completed":
        live = {**base, "CallStatus": "in-progress"}
        digits = list(fate.digits) if fate.answered_by == "human" else []
        url = resource.get("Url")
        if url:
            twiml = sender.post("call-url", url, {**live, **({} if is_async else answered)})
            _gather(sender, url, twiml.body if twiml.status == 200 else "", live, digits)
        else:
            _gather(sender, "", resource.get("Twiml", ""), live, digits)
        amd_url = resource.get("AsyncAmdStatusCallback")
        if detect and is_async and amd_url:
            sender.post("amd", amd_url, {**base, **answered, "MachineDetectionDuration": "2500"})
    status_url = resource.get("StatusCallback")
    if status_url:
        form = {**base, "CallStatus": final}
        form["CallDuration"] = str(fate.duration if final == "completed" else 0)
        if final == "completed":
            form |= answered
        sender.post("call-status", status_url, form)


def _gather(
    sender: CallbackSender, url: str, twiml: str, live: dict[str, str], digits: list[str]
) -> None:
    """Answer each ``<Gather>`` with the next scripted key, following the TwiML it returns."""
    while digits and twiml.strip():
        gather = next(ET.fromstring(twiml).iter("Gather"), None)
        if gather is None:
            return
        # no action: Twilio posts the keys to the document that gathered them
        action = urljoin(url, gather.get("action") or url)
        if not action:
            return
        answer = sender.post("gather", action, {**live, "Digits": digits.pop(0)})
        url, twiml = action, answer.body if answer.status == 200 else ""
