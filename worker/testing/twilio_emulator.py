"""A Twilio API emulator on loopback, for tests of the SMS and voice channels.

It answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` and ``.../Calls.json`` enough for
the official twilio client, keeps every request it received, and answers each with the next
scripted ``Reply`` (``accepted`` when none is left)::

    with TwilioEmulator() as twilio:
        twilio.script(throttled(retry_after=1), accepted())
        ... TWILIO_API_BASE_URL=twilio.base_url ...
        assert twilio.requests[1].fields["To"] == "+12125550123"

Status callbacks to ``PUBLIC_BASE_URL`` are not emulated yet: they come with the web service
that receives them.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/(?P<kind>Messages|Calls)\.json$"
)


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, JSON body (None: the resource), headers; ``hang`` holds the
    answer that many seconds (past the client's timeout); ``drop`` closes without answering."""

    status: int = 201
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    drop: bool = False


def accepted() -> Reply:
    """201 with the created message or call."""
    return Reply()


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
    """The emulator; ``auth=(sid, token)`` makes it refuse other credentials (error 20003)."""

    def __init__(self, *, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self.requests: list[Received] = []
        self._replies: deque[Reply] = deque()
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

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> TwilioEmulator:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging answers are let go."""
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TwilioEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, path: str, form: dict[str, list[str]], headers: dict[str, str]) -> Reply:
        match = _PATH.match(path)
        if match is None:
            return error(20404, 404, "The requested resource was not found")
        if self.auth is not None and headers.get("Authorization") != _basic(*self.auth):
            return error(20003, 401, "Authenticate")
        with self._lock:
            self.requests.append(Received(match["kind"], match["sid"], form, headers))
            reply = self._replies.popleft() if self._replies else accepted()
            self._count += 1
            n = self._count
        if reply.body is None and not reply.drop:
            return Reply(
                reply.status, _resource(match["kind"], match["sid"], n, form), hang=reply.hang
            )
        return reply


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
            reply = emulator._answer(self.path, form, dict(self.headers.items()))
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

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``requests`` instead."""

    return Handler
