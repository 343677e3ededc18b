"""Which channels go to a provider, and what each needs from the environment.

``REMIND_CHANNELS`` is ``outbox`` (the default), ``live``, or a list such as
``sms=live,email=outbox``. ``live`` sends every channel whose provider is configured and keeps
the outbox for the others; a channel named ``=live`` must be configured. A provider is read and
checked only when its channel goes live, so a half-written SMTP_URL never stops an outbox-only
worker, and a half-configured provider never silently falls back to the outbox
(docs/contracts.md, Environment). Used by ``worker.config``, the one door to the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from worker.errors import ConfigError

#: Every channel, in the order errors name them.
CHANNEL_NAMES = ("sms", "voice", "email", "visit")
DEFAULT_TWILIO_API_BASE_URL = "https://api.twilio.com"
#: Messages a second from one sender: a US long code is allowed one.
DEFAULT_SMS_PER_SECOND = 1.0
#: Calls a second the account starts: Twilio's default calls-per-second limit.
DEFAULT_CALLS_PER_SECOND = 1.0
#: Provider requests in flight at once across every worker process.
DEFAULT_PROVIDER_CONCURRENCY = 10
#: Seconds a provider request may take (connect, then read) before it is given up.
DEFAULT_PROVIDER_TIMEOUT_SECONDS = 10.0

_MODES = ("outbox", "live")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_ADDRESS = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")

Get = Callable[[str], "str | None"]


def live_channels(value: str, get: Get) -> frozenset[str]:
    """The channels ``REMIND_CHANNELS=value`` sends live; each one's settings are checked."""
    if value in _MODES:
        wanted = dict.fromkeys(CHANNEL_NAMES, "auto" if value == "live" else "outbox")
    else:
        wanted = _per_channel(value)
    live = frozenset(
        c
        for c, mode in wanted.items()
        if mode == "live" or (mode == "auto" and _configured(c, get))
    )
    for channel in CHANNEL_NAMES:
        if channel in live:
            _CHECKS[channel](get)
    return live


def _per_channel(value: str) -> dict[str, str]:
    wanted = dict.fromkeys(CHANNEL_NAMES, "outbox")
    for item in value.split(","):
        channel, _, mode = (part.strip() for part in item.partition("="))
        if channel not in CHANNEL_NAMES or mode not in _MODES:
            raise ConfigError(
                "REMIND_CHANNELS must be outbox, live, or a list such as sms=live,email=outbox "
                f"(channels {', '.join(CHANNEL_NAMES)}), got {value!r}"
            )
        wanted[channel] = mode
    return wanted


def _configured(channel: str, get: Get) -> bool:
    """Whether the environment names a provider for ``channel`` (then it must be complete)."""
    twilio = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    if channel == "sms":
        return any(get(n) for n in (*twilio, "TWILIO_FROM_NUMBER", "TWILIO_MESSAGING_SERVICE_SID"))
    if channel == "voice":  # a call needs a caller id: a messaging service only sends SMS
        return bool(get("TWILIO_FROM_NUMBER")) and any(get(n) for n in twilio)
    if channel == "email":
        return any(get(n) for n in ("SMTP_URL", "EMAIL_FROM"))
    return True  # visit: the field_visits queue needs nothing, a webhook only its URL


def _check_twilio(get: Get) -> None:
    sid, token = get("TWILIO_ACCOUNT_SID"), get("TWILIO_AUTH_TOKEN")
    if sid is None or token is None:
        raise ConfigError(
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set for live SMS and calls"
        )
    if not _ACCOUNT_SID.match(sid):
        raise ConfigError(f"TWILIO_ACCOUNT_SID must be AC and 32 hex digits, got {sid!r}")
    base = get("TWILIO_API_BASE_URL")
    if base is not None:
        check_url("TWILIO_API_BASE_URL", base, ("http", "https"))
    _check_public(get, required=False)
    _check_number(get, "TWILIO_FROM_NUMBER")


def _check_sms(get: Get) -> None:
    _check_twilio(get)
    service = get("TWILIO_MESSAGING_SERVICE_SID")
    if service is not None and not _MESSAGING_SERVICE.match(service):
        raise ConfigError(
            f"TWILIO_MESSAGING_SERVICE_SID must be MG and 32 hex digits, got {service!r}"
        )
    if service is None and get("TWILIO_FROM_NUMBER") is None:
        raise ConfigError(
            "live SMS needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID (the sender)"
        )


#: Why live calls cannot start without the web service.
VOICE_NEEDS_PUBLIC_URL = (
    "live calls need PUBLIC_BASE_URL: Twilio fetches each call's TwiML from remind's web service "
    "there once it knows whether a person or a machine answered; set it, or keep calls on the "
    "outbox by naming the live channels (e.g. REMIND_CHANNELS=sms=live)"
)


def _check_voice(get: Get) -> None:
    _check_twilio(get)
    if get("TWILIO_FROM_NUMBER") is None:
        raise ConfigError("live calls need TWILIO_FROM_NUMBER (the caller id)")
    # Twilio fetches each call's TwiML from the web service once answering-machine detection has
    # decided who answered; without it there is no way to keep the script from a machine
    if get("PUBLIC_BASE_URL") is None:
        raise ConfigError(VOICE_NEEDS_PUBLIC_URL)  # its form is checked with Twilio's settings
    _check_number(get, "REMIND_AGENT_NUMBER")


def _check_email(get: Get) -> None:
    url, sender = get("SMTP_URL"), get("EMAIL_FROM")
    if url is None or sender is None:
        raise ConfigError("live email needs SMTP_URL and EMAIL_FROM")
    check_url("SMTP_URL", url, ("smtp", "smtps"))
    if not _ADDRESS.search(sender):
        raise ConfigError(f"EMAIL_FROM must hold an email address, got {sender!r}")
    # RFC 8058 one-click unsubscribe: every email carries a signed link to the web service
    _check_public(get, required=True, why="live email (its unsubscribe link)")
    if get("REMIND_SECRET_KEY") is None:
        raise ConfigError("live email needs REMIND_SECRET_KEY (it signs unsubscribe links)")


def _check_visit(get: Get) -> None:
    url = get("REMIND_VISIT_WEBHOOK_URL")
    if url is None:
        return
    check_url("REMIND_VISIT_WEBHOOK_URL", url, ("http", "https"))
    if get("REMIND_SECRET_KEY") is None:
        raise ConfigError("REMIND_VISIT_WEBHOOK_URL needs REMIND_SECRET_KEY (it signs each task)")


_CHECKS: dict[str, Callable[[Get], None]] = {
    "sms": _check_sms,
    "voice": _check_voice,
    "email": _check_email,
    "visit": _check_visit,
}


def _check_public(get: Get, *, required: bool, why: str = "") -> None:
    public = get("PUBLIC_BASE_URL")
    if public is None:
        if required:
            raise ConfigError(f"{why} needs PUBLIC_BASE_URL")
        return
    check_url("PUBLIC_BASE_URL", public, ("http", "https"))


def _check_number(get: Get, name: str) -> None:
    number = get(name)
    if number is not None and not _E164.match(number):
        raise ConfigError(f"{name} must be an E.164 number such as +14155550100, got {number!r}")


def check_url(name: str, value: str, schemes: tuple[str, ...], *, cluster: bool = False) -> None:
    """Raise ``ConfigError`` naming ``name`` unless ``value`` is a URL with one of ``schemes``,
    or, with ``cluster``, a Redis Cluster URL of ``CLUSTER_SCHEMES`` (``cluster_nodes``)."""
    # The value itself never goes into a message: it may hold a password.
    allowed = (*schemes, *CLUSTER_SCHEMES) if cluster else schemes
    try:
        parsed = urlsplit(value)
        if parsed.scheme not in CLUSTER_SCHEMES:
            _ = parsed.port  # reading the port is what raises on a non-numeric or too big one
    except ValueError:
        raise ConfigError(f"{name} is not a valid URL (check the host and the port)") from None
    if parsed.scheme not in allowed:
        raise ConfigError(
            f"{name} must be a URL with scheme {' or '.join(allowed)}, got scheme {parsed.scheme!r}"
        )
    if parsed.scheme in CLUSTER_SCHEMES:
        cluster_nodes(name, value)
        return
    if parsed.scheme != "unix" and not parsed.hostname:
        raise ConfigError(f"{name} has no host")


#: ``REDIS_URL`` schemes that name a Redis Cluster: seed nodes, comma-separated.
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def cluster_nodes(name: str, value: str) -> list[tuple[str, int]]:
    """The seed nodes ``(host, port)`` of a ``redis+cluster://[user:password@]host:port[,...]``
    URL; ``ConfigError`` naming ``name`` for anything else (the value is never shown)."""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in CLUSTER_SCHEMES:
        raise ConfigError(f"{name} must start with {' or '.join(CLUSTER_SCHEMES)}://")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    nodes = []
    for i, node in enumerate(netloc.split(","), start=1):
        try:
            parsed = urlsplit(f"redis://{node.strip()}")
            host, port = parsed.hostname, parsed.port
        except ValueError:
            host, port = None, None
        if not host or port is None:
            raise ConfigError(f"{name}: seed node {i} must be host:port (a cluster has no default)")
        nodes.append((host, port))
    return nodes


def without_password(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for repr and logs)."""
    parsed = urlsplit(url)
    if parsed.password is None:
        return url
    host = parsed.netloc.rpartition("@")[2]
    return parsed._replace(netloc=f"{parsed.username or ''}:***@{host}").geturl()


#: Milliseconds intake waits for replicas to confirm a write (``REMIND_REDIS_WAIT_MS``).
DEFAULT_REDIS_WAIT_MS = 1000


@dataclass(frozen=True)
class Replication:
    """What intake waits for before it acknowledges: ``min_replicas`` replicas of each Redis node
    it wrote holding the write (``WAIT``), within ``wait_ms``; 0 replicas: no wait at all."""

    min_replicas: int = 0
    wait_ms: int = DEFAULT_REDIS_WAIT_MS


def redis_replication(get: Get) -> Replication:
    """``REMIND_REDIS_MIN_REPLICAS`` and ``REMIND_REDIS_WAIT_MS``; ``ConfigError`` naming either."""
    values = []
    for name, default, least in (
        ("REMIND_REDIS_MIN_REPLICAS", 0, 0),
        ("REMIND_REDIS_WAIT_MS", DEFAULT_REDIS_WAIT_MS, 1),
    ):
        raw = get(name)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= least):
            raise ConfigError(f"{name} must be a whole number from {least}, got {raw!r}")
        values.append(default if raw is None else int(raw))
    return Replication(*values)


def redis_database(raw: str | None, name: str) -> int | None:
    """A Redis logical database number: a whole number from 0."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"{name} must be a Redis database number such as 5, got {raw!r}")
    return int(raw)
