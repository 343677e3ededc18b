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
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
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

_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/(?P<kind>Messages|Calls)\.json$"
)


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, JSON body (None: the resource), headers; ``hang`` holds the
    answer that many seconds (past the client's timeout); ``drop`` closes without answering;
    ``fate`` says which callbacks follow a created resource (None: delivered, or a person
    answers and presses nothing)."""

    status: int = 201
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    drop: bool = False
    fate: Fate | None = None


def accepted(fate: Fate | None = None) -> Reply:
    """201 with the created message or call; ``fate`` scripts its callbacks."""
    return Reply(fate=fate)


def delivered() -> Reply:
    """A message created, then queued, sent and delivered."""
    return accepted(Fate("delivered"))


def undelivered(code: int = 30003, *, status: str = "undelivered") -> Reply:
    """A message created, then ``undelivered`` (or ``failed``) with Twilio error ``code``."""
    return accepted(Fate(status, error_code=code))


def answered(by: str = "human", digits: tuple[str, ...] = (), duration: int = 42) -> Reply:
    """A call created and answered by ``by`` (``human``, ``machine_end_beep``, ...), who presses
    ``digits``, one per gather in turn; it completes after ``duration`` seconds."""
    return accepted(Fate("completed", answered_by=by, digits=digits, duration=duration))


def busy() -> Reply:
    """A call created that finds the line busy: its status callback only."""
    return accepted(Fate("busy"))


def no_answer() -> Reply:
    """A call created that nobody answers: its status callback only."""
    return accepted(Fate("no-answer"))


def error(code: int, status: int = 400, message: str = "refused") -> Reply:
    """A Twilio error answer, e.g. ``error(21211)`` (invalid 'To' number)."""
    return Reply(status, {"code": code, "message": message, "status": status})


def throttled(retry_after: float = 1) -> Reply:
    """429 Too Many Requests (error 20429) with a Retry-After header."""
    body = {"code": 20429, "message": "Too Many Requests", "status": 429}
    return Reply(429, body, {"Retry-After": f"{retry_after:g}"})


def server_error(status: int = 500) -> Reply:
    """A 5xx answer without a Twilio error code."""
    return Reply(status, {"message": "Internal Server Error", "status": status})


def hang(seconds: float = 5.0) -> Reply:
    """Create the resource but answer only after ``seconds``: the client's read times out."""
    return Reply(hang=seconds)


def drop() -> Reply:
    """Read the request, then close the connection without an answer."""
    return Reply(drop=True)


@dataclass(frozen=True)
class Received:
    """A request the emulator received: which resource, its form fields, its headers."""

    kind: str  # Messages | Calls
    account_sid: str
    form: dict[str, list[str]]
    headers: dict[str, str]

    @property
    def fields(self) -> dict[str, str]:
        """Each form field's only (or last) value."""
        return {k: v[-1] for k, v in self.form.items()}


class TwilioEmulator:
    """The emulator; ``auth=(sid, token)`` makes it refuse other credentials (error 20003).

    Callbacks are signed with ``auth_token``, else the token of ``auth``; with neither they go
    unsigned (and remind's web service refuses them). ``on_request`` is told of each request
    received and ``on_callback`` of each callback once answered, on the thread that has it."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        auth_token: str | None = None,
        on_request: Callable[[Received], None] | None = None,
        on_callback: Callable[[Callback], None] | None = None,
    ) -> None:
        self.auth = auth
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
        received = Received(match["kind"], match["sid"], form, headers)
        if self.on_request is not None:
            self.on_request(received)
        with self._lock:
            self.requests.append(received)
            queue = self._replies[match["kind"]] or self._replies[None]
            reply = queue.popleft() if queue else accepted()
            self._count += 1
            n = self._count
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
