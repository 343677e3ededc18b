"""A Twilio API emulator on loopback, for tests of the SMS and voice channels.

It answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` and ``.../Calls.json`` enough for
the official twilio client, keeps every request it received, and answers each with the next
scripted ``Reply`` (``accepted`` when none is left)::

    with TwilioEmulator() as twilio:
        twilio.script(throttled(retry_after=1), accepted())
        ... TWILIO_API_BASE_URL=twilio.base_url ...
        assert twilio.requests[1].fields["To"] == "+12125550123"

After a create that succeeds, the callbacks Twilio would make follow on a background thread
(``worker.testing.twilio_callbacks``), signed with the auth token: a message's status callbacks,
a call's ``Url``, keypresses and status callback. A reply's ``fate`` scripts them
(``delivered()``, ``undelivered(30005)``, ``answered("machine_end_beep")``,
``answered(digits=("2",))``, ``busy()``, ``no_answer()``); ``wait_callbacks(n, timeout)`` waits
until ``n`` were made and ``callbacks`` lists them with the answers they got.

``TwilioEmulator(faults=Faults(rate=0.3, seed=7))`` answers a seeded share of the requests with a
429, a 500 or a hang past the client's timeout; each ``Received`` says what it was answered.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from worker.testing.twilio_callbacks import (
    Callback,
    CallbackSender,
    Fate,
    call_flow,
    message_flow,
)
from worker.testing.twilio_replies import (
    Faults,
    Reply,
    accepted,
    answered,
    busy,
    delivered,
    drop,
    error,
    hang,
    label,
    no_answer,
    server_error,
    throttled,
    undelivered,
)

__all__ = [
    "Faults",
    "Received",
    "Reply",
    "TwilioEmulator",
    "accepted",
    "answered",
    "busy",
    "delivered",
    "drop",
    "error",
    "hang",
    "no_answer",
    "server_error",
    "throttled",
    "undelivered",
]

_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/(?P<kind>Messages|Calls)\.json$"
)


@dataclass(frozen=True)
class Received:
    """A request the emulator received: which resource, its form fields, its headers."""

    kind: str  # Messages | Calls
    account_sid: str
    form: dict[str, list[str]]
    headers: dict[str, str]
    answer: str = ""  # the reply's ``label``: 201, 429, 500, hang, drop
    retry_after: float | None = None  # the Retry-After it was answered with

    @property
    def fields(self) -> dict[str, str]:
        """Each form field's only (or last) value."""
        return {k: v[-1] for k, v in self.form.items()}


class TwilioEmulator:
    """The emulator; ``auth=(sid, token)`` makes it refuse other credentials (error 20003).

    Callbacks are signed with ``auth_token``, else the token of ``auth``; with neither they go
    unsigned (and remind's web service refuses them). ``on_request`` is told of each request
    received and ``on_callback`` of each callback once answered, on the thread that has it.
    ``faults`` answers a share of the requests no reply was scripted for with a fault."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        auth_token: str | None = None,
        on_request: Callable[[Received], None] | None = None,
        on_callback: Callable[[Callback], None] | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.auth = auth
        self._fault = faults.source() if faults is not None else None
        self.on_request = on_request
        token = auth_token or (auth[1] if auth else None)
        self._callbacks = CallbackSender(token, on_callback)
        self.requests: list[Received] = []
        self._replies: dict[str | None, deque[Reply]] = {
            None: deque(),
            "Messages": deque(),
            "Calls": deque(),
        }
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._count = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """What ``TWILIO_API_BASE_URL`` is set to."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply, kind: str | None = None) -> None:
        """Answer the next requests with ``replies``, in order; with ``kind`` (``Messages`` or
        ``Calls``) only requests for that resource, before the replies scripted for any."""
        with self._lock:
            self._replies[kind].extend(replies)

    @property
    def callbacks(self) -> list[Callback]:
        """Every callback made so far, in order, with the answer each got."""
        return list(self._callbacks.log)

    def wait_callbacks(self, n: int, timeout: float = 10.0) -> list[Callback]:
        """Block until ``n`` callbacks were made (``TimeoutError`` after ``timeout``)."""
        return self._callbacks.wait(n, timeout)

    def start(self) -> TwilioEmulator:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging answers are let go."""
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._callbacks.stop()

    def __enter__(self) -> TwilioEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(
        self, path: str, form: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[Reply, Callable[[], None] | None]:
        """The answer to a request, and what queues its callbacks once it has been answered."""
        match = _PATH.match(path)
        if match is None:
            return error(20404, 404, "The requested resource was not found"), None
        if self.auth is not None and headers.get("Authorization") != _basic(*self.auth):
            return error(20003, 401, "Authenticate"), None
        with self._lock:
            queue = self._replies[match["kind"]] or self._replies[None]
            fault = self._fault() if self._fault is not None else None
            reply = queue.popleft() if queue else fault or accepted()
            wait = reply.headers.get("Retry-After")
            received = Received(
                match["kind"],
                match["sid"],
                form,
                headers,
                label(reply),
                float(wait) if wait is not None else None,
            )
            self.requests.append(received)
            self._count += 1
            n = self._count
        if self.on_request is not None:
            self.on_request(received)
        if reply.body is None and not reply.drop:
            resource = _resource(match["kind"], match["sid"], n, form)
            fields = {k: v[-1] for k, v in form.items()}
            fields |= {"Sid": str(resource["sid"]), "AccountSid": match["sid"]}
            flow = message_flow if match["kind"] == "Messages" else call_flow
            fate = reply.fate or Fate()

            def follow() -> None:
                self._callbacks.submit(lambda: flow(self._callbacks, fields, fate))

            return Reply(reply.status, resource, hang=reply.hang), follow
        return reply, None


def _resource(kind: str, account: str, n: int, form: dict[str, list[str]]) -> dict[str, Any]:
    one = {k: v[-1] for k, v in form.items()}
    prefix = "SM" if kind == "Messages" else "CA"
    sid = f"{prefix}{n:032x}"
    return {
        "sid": sid,
        "account_sid": account,
        "to": one.get("To"),
        "from": one.get("From"),
        "messaging_service_sid": one.get("MessagingServiceSid"),
        "body": one.get("Body"),
        "status": "queued",
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{account}/{kind}/{sid}.json",
    }


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _handler(emulator: TwilioEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = parse_qs(raw, keep_blank_values=True)
            reply, follow = emulator._answer(self.path, form, dict(self.headers.items()))
            if reply.drop:
                self.close_connection = True
                return
            if reply.hang and emulator._released.wait(reply.hang):
                return
            body = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (a hang past its timeout)
                pass
            if follow is not None:  # as at Twilio: callbacks come after the create was answered
                follow()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``requests`` instead."""

    return Handler
