"""The official twilio client, pointed at ``TWILIO_API_BASE_URL``, with errors classified where
the HTTP answer is read (docs/integration.md, Live providers).

The client's host is fixed: the base URL of its ``api`` domain is replaced (Twilio itself, the
emulator in ``worker.testing``, or Prism serving Twilio's OpenAPI description). Edge and region
are cleared, because the client reads them from the process environment and they would
rewrite the host again. The transport raises remind's delivery errors itself, so the Retry-After
of a 429 and the kind of a network failure are read once, on the thread that made the request.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from worker.channels.twilio_errors import classify
from worker.errors import AmbiguousDeliveryError, DeliveryError, TransientDeliveryError


class Transport(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type information
    """The twilio HTTP client: no retries, a timeout on every request, errors classified."""

    def request(self, *args: Any, **kwargs: Any) -> Response:
        """One request; a provider refusal or network failure raises a ``DeliveryError``."""
        try:
            response: Response = super().request(*args, **kwargs)
        except requests.RequestException as e:
            raise network_error(e) from e
        if response.status_code >= 400:
            raise http_error(response.status_code, response.text, response.headers)
        return response

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Not logged: remind logs one line per outcome, and the URL is the same every time."""

    def log_response(self, status_code: int, response: Any) -> None:
        """Not logged, as requests are not."""


def network_error(e: requests.RequestException) -> DeliveryError:
    """A failed request: retried when it never reached Twilio, ``unknown`` when it may have."""
    if isinstance(e, requests.ConnectTimeout):
        return TransientDeliveryError("Twilio connect timeout", code="connect_timeout")
    if isinstance(e, requests.ReadTimeout):
        return AmbiguousDeliveryError("Twilio read timeout", code="read_timeout")
    if isinstance(e, requests.ConnectionError) and _refused(e):
        return TransientDeliveryError("Twilio connection refused", code="connection_refused")
    # sent, then the connection broke: the request may have been carried out
    lost = f"Twilio connection lost: {type(e).__name__}"
    return AmbiguousDeliveryError(lost, code="connection_lost")


def _refused(e: requests.ConnectionError) -> bool:
    """True when no connection was made (refused, no route, name not resolved)."""
    reason = getattr(e.args[0], "reason", None) if e.args else None
    return isinstance(reason, NewConnectionError | ConnectionRefusedError)


def http_error(status: int, text: str, headers: Any) -> DeliveryError:
    """The delivery error for an error answer, with Retry-After read on a 429."""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    code = body.get("code") if isinstance(body, dict) else None
    detail = body.get("message", "") if isinstance(body, dict) else ""
    error = classify(status, code if isinstance(code, int) else None, str(detail or ""))
    if isinstance(error, TransientDeliveryError):
        error.retry_after = _seconds(headers.get("Retry-After") if headers else None)
    return error


def _seconds(value: str | None) -> float | None:
    # Twilio sends a number of seconds; an HTTP date is rare enough to fall back on the backoff
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def twilio_client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    """A twilio ``Client`` that reaches ``base_url`` and gives up after ``timeout`` seconds."""
    client = Client(account_sid, auth_token, http_client=Transport(timeout=timeout))
    client.edge = None
    client.region = None
    client.api.base_url = base_url.rstrip("/")
    return client
