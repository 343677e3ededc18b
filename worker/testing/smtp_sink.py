"""An SMTP server on loopback (aiosmtpd) that keeps every message it receives, headers and all.

::

    with SmtpSink(login=("mailer", "secret")) as sink:
        ... SMTP_URL=sink.url ...
        [received] = sink.messages
        assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

``refuse={"nobody@example.com": "550 5.1.1 No such user"}`` answers that recipient with the
given reply, as a real server refuses an unknown mailbox. ``stop()`` then ``start()`` takes the
server down and brings it back on the same port, keeping what it received (the fault suite's
outage, docs/reliability.md).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the server received it: envelope, parsed message and raw bytes."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    login: str | None = None


@dataclass
class SmtpSink:
    """The server; ``login`` makes it require that user and password (AUTH without TLS)."""

    login: tuple[str, str] | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    messages: list[ReceivedEmail] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.port = _free_port()
        self._controller: Controller | None = None  # made at each start: a stopped one is spent

    def _new_controller(self) -> Controller:
        kwargs: dict[str, Any] = {}
        if self.login is not None:
            # AUTH without TLS: loopback only, and the sink holds no real secret
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        return Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def url(self) -> str:
        """What ``SMTP_URL`` is set to."""
        user = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"smtp://{user}127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        """Serve in a background thread (again, on the same port, after a ``stop``)."""
        if self._controller is None:
            self._controller = self._new_controller()
            self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving: connections are refused until ``start``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.login == (
            data.login.decode(),
            data.password.decode(),
        )
        # handled=False: aiosmtpd answers a failure with its own 535
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _keep(self, envelope: Envelope, session: Session) -> None:
        raw = envelope.original_content or b""
        # parsed with Python's line ends, so contents compare with plain strings
        message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        login = session.auth_data if session.authenticated else None
        user = login.login.decode() if isinstance(login, LoginPassword) else None
        received = ReceivedEmail(
            str(envelope.mail_from), list(envelope.rcpt_tos), message, raw, user
        )
        with self._lock:
            self.messages.append(received)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.sink.refuse:
            return self.sink.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink._keep(envelope, session)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
