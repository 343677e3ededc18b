"""Email over SMTP: text and HTML alternatives, a Message-ID, and one-click unsubscribe.

Every message carries ``List-Unsubscribe`` (a signed link to ``PUBLIC_BASE_URL/unsubscribe/
{token}``, ``worker.channels.signing``) and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058), which large mailbox providers require of bulk senders;
the web service answers the link. RFC 8058 also asks that a DKIM signature cover both headers:
that is the sending server's job. One connection per message keeps failures independent.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from worker.channels.base import OutgoingMessage, Receipt
from worker.channels.signing import unsubscribe_token
from worker.clock import Clock
from worker.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    ProviderConfigurationError,
    TransientDeliveryError,
)

UNSUBSCRIBE_PATH = "/unsubscribe/"
# Lines up to RFC 5322's 998 characters: the default 78 would fold the unsubscribe link into
# an encoded word that mail clients no longer read as a URL.
_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect, read from ``SMTP_URL``."""

    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """``smtp://user:pass@host:587?starttls=true`` or ``smtps://user:pass@host:465``."""
        parts = urlsplit(url)
        starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in ("true", "1")
        security = "tls" if parts.scheme == "smtps" else "starttls" if starttls else "plain"
        default_port = 465 if security == "tls" else 587 if starttls else 25
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpEmail:
    """Sends each message as one email; the receipt holds its Message-ID."""

    name = "smtp"

    def __init__(
        self,
        server: SmtpServer,
        sender: str,
        clock: Clock,
        *,
        public_base_url: str,
        secret_key: str,
        timeout: float,
    ) -> None:
        self.server = server
        self.sender = sender
        self.clock = clock
        self.public_base_url = public_base_url.rstrip("/")
        self.secret_key = secret_key
        self.timeout = timeout
        self.domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"

    def send(self, message: OutgoingMessage) -> Receipt:
        """Hand the email to the SMTP server; raise a classified ``DeliveryError`` if refused."""
        email = self.compose(message)
        try:
            smtp = self._connect()
        except smtplib.SMTPAuthenticationError as e:
            raise ProviderConfigurationError(
                f"SMTP login refused ({e.smtp_code})", code=f"smtp_{e.smtp_code}"
            ) from e
        except ssl.SSLError as e:
            raise ProviderConfigurationError(f"SMTP TLS failed: {e.reason}", code="smtp_tls") from e
        except (OSError, smtplib.SMTPException) as e:
            raise TransientDeliveryError(
                f"SMTP connection failed: {type(e).__name__}", code="smtp_connect"
            ) from e
        try:
            smtp.send_message(email)
        except smtplib.SMTPException as e:
            raise refusal(e) from e
        except OSError as e:  # timeout or broken connection during the transaction
            raise AmbiguousDeliveryError(
                f"SMTP connection lost while sending: {type(e).__name__}", code="smtp_lost"
            ) from e
        finally:
            _close(smtp)
        return Receipt(self.name, str(email["Message-ID"]))

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        """The email for ``message``: plain text, an HTML alternative when rendered, headers."""
        email = EmailMessage(policy=_POLICY)
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject or ""
        email["Date"] = format_datetime(self.clock.now())
        email["Message-ID"] = f"<{uuid.uuid4().hex}@{self.domain}>"
        link = self.unsubscribe_url(message)
        email["List-Unsubscribe"] = f"<{link}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def unsubscribe_url(self, message: OutgoingMessage) -> str:
        """The signed one-click link for the message's account and address."""
        token = unsubscribe_token(self.secret_key, message.account_id or "", "email", message.to)
        return f"{self.public_base_url}{UNSUBSCRIBE_PATH}{token}"

    def _connect(self) -> smtplib.SMTP:
        s = self.server
        if s.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        try:
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.username is not None:
                smtp.login(s.username, s.password or "")
        except BaseException:
            _close(smtp)
            raise
        return smtp


def refusal(e: smtplib.SMTPException) -> DeliveryError:
    """An SMTP refusal: 4xx is tried again later, 5xx never; a refused sender is ours to fix."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code = min(c for c, _ in e.recipients.values())
    else:
        code = getattr(e, "smtp_code", 0)
    reason = f"smtp_{code}"
    if isinstance(e, smtplib.SMTPSenderRefused):
        return ProviderConfigurationError(f"SMTP refused the sender ({code})", code=reason)
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return AmbiguousDeliveryError("SMTP server disconnected while sending", code="smtp_lost")
    if 400 <= code < 500:
        return TransientDeliveryError(f"SMTP answered {code}: try later", code=reason)
    return PermanentDeliveryError(f"SMTP refused the message ({code})", code=reason)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
