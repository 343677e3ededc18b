"""Twilio's webhooks: the form they post, checked against ``X-Twilio-Signature``.

Twilio signs the full URL it called (``PUBLIC_BASE_URL`` + path + query) and the form fields
with the account's auth token; ``twilio.request_validator.RequestValidator`` recomputes it.
Without an auth token or a public base URL no signature can be checked, so every request is
refused: an unsigned callback could otherwise fake a delivery or an answered call.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from twilio.request_validator import RequestValidator

from worker.config import Settings


async def signed_form(request: Request, settings: Settings) -> dict[str, str]:
    """The request's form fields; 403 unless Twilio's signature over them is valid."""
    body = (await request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    signature = request.headers.get("X-Twilio-Signature", "")
    token, base = settings.twilio_auth_token, settings.public_base_url
    if not (signature and token and base):
        raise HTTPException(403, detail="a valid X-Twilio-Signature is required")
    url = base.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not RequestValidator(token).validate(url, form, signature):
        raise HTTPException(403, detail="a valid X-Twilio-Signature is required")
    return form
