"""Bearer API keys for the intake API (``REMIND_API_KEYS``), compared in constant time."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# auto_error off: a missing header must give 401 with our body, not FastAPI's 403
_bearer = HTTPBearer(auto_error=False, description="One of the keys in REMIND_API_KEYS.")


def require_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request with 401 unless it carries ``Authorization: Bearer <a known key>``."""
    keys: tuple[str, ...] = request.app.state.settings.api_keys
    given = credentials.credentials if credentials is not None else ""
    if not given or not known(given, keys):
        raise HTTPException(
            status_code=401,
            detail="a valid API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )


def known(given: str, keys: tuple[str, ...]) -> bool:
    """True if ``given`` is one of ``keys``; every key is compared, each in constant time, so
    the answer's timing tells nothing about which key, or how much of one, matched."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(given.encode(), key.encode())
    return found
