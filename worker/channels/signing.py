"""HMAC signatures with ``REMIND_SECRET_KEY``: unsubscribe tokens and signed webhook bodies.

The email channel writes the tokens and the web service reads them back (``read_token``), so
both sides share this module. A token is ``<payload>.<signature>``, both base64url without
padding; the signature covers a purpose as well as the payload, so a token made for one use is
refused for another. It carries no address, only a digest of one: links end up in mail logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

#: The purpose of unsubscribe tokens (``PUBLIC_BASE_URL/unsubscribe/{token}``).
UNSUBSCRIBE = "unsubscribe"


def make_token(key: str, purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe token holding ``payload``, signed for ``purpose``."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(key, purpose, body))}"


def read_token(key: str, purpose: str, token: str) -> dict[str, Any] | None:
    """The payload of a token signed with ``key`` for ``purpose``, or None if it is not one."""
    body, dot, signature = token.partition(".")
    if not dot:
        return None
    try:
        given = _unb64(signature)
        payload = json.loads(_unb64(body))
    except ValueError:
        return None
    if not hmac.compare_digest(given, _mac(key, purpose, body)) or not isinstance(payload, dict):
        return None
    return payload


def unsubscribe_token(key: str, account_id: str, channel: str, address: str) -> str:
    """The token of an unsubscribe link: the account, the channel and the address's digest."""
    payload = {"a": account_id, "c": channel, "h": address_digest(address)}
    return make_token(key, UNSUBSCRIBE, payload)


def address_digest(address: str) -> str:
    """A short digest of an address, case-folded, to match it against the account's own."""
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()[:16]


def body_signature(key: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``<timestamp>.<body>``: the timestamp makes a replay detectable."""
    mac = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _mac(key: str, purpose: str, body: str) -> bytes:
    return hmac.new(key.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise ValueError("not base64url") from e
