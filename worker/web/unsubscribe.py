"""``/unsubscribe/{token}``: the signed link in every email's ``List-Unsubscribe`` header.

GET shows a page with a confirm button and changes nothing: mail scanners fetch links, and a
fetch must not unsubscribe anyone. POST is RFC 8058's one-click (mailbox providers send the
body ``List-Unsubscribe=One-Click``; the page's button sends the same) and applies an
``opt_out {channel: email, address}`` through ``worker.intake`` as an event would. The signed
token is the proof, so the body is not required. The token holds a digest of the address, not
the address (``worker.channels.signing``); the address is found again on the account.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from worker.accounts.state import AccountState
from worker.accounts.zones import mask_email
from worker.app import App
from worker.channels.signing import UNSUBSCRIBE, address_digest, read_token
from worker.config import Settings
from worker.web.asked import opt_out_once

#: The outcome reason of an unsubscribe by link (docs/contracts.md, Outcome).
REASON = "unsubscribe_link"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto;">
<h1>{title}</h1><p>{text}</p>{form}</body></html>
"""
DONE = "You will get no more reminder emails at this address."
FORM = """<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button></form>"""


def unsubscribe_router(app: App, settings: Settings) -> APIRouter:
    """GET (confirm page) and POST (one-click) on ``/unsubscribe/{token}``."""
    router = APIRouter(tags=["unsubscribe"])

    @router.get("/unsubscribe/{token}", response_class=HTMLResponse)
    def confirm(token: str) -> HTMLResponse:
        """A page that asks to confirm; nothing changes until its button is pressed."""
        state, address = _target(app, settings, token)
        shown = mask_email(address) if address else "this account's email"
        text = f"Stop reminder emails to {shown} about account {html.escape(state.account_id)}?"
        return HTMLResponse(PAGE.format(title="Unsubscribe", text=text, form=FORM))

    @router.post("/unsubscribe/{token}", response_class=HTMLResponse)
    def one_click(token: str) -> HTMLResponse:
        """Opt the address out of email (RFC 8058 one-click); repeating it changes nothing."""
        state, address = _target(app, settings, token)
        # An address no longer on the account cannot be named: the cautious reading of the
        # request is that email stops altogether rather than not at all.
        opt_out_once(app, state, "email", address, source="unsubscribe link", reason=REASON,
                     rule="unsubscribe")  # fmt: skip
        return HTMLResponse(PAGE.format(title="Unsubscribed", text=DONE, form=""))

    return router


def _target(app: App, settings: Settings, token: str) -> tuple[AccountState, str | None]:
    """The token's account and the account's address that matches its digest (None if gone).
    400 for a token not signed with ``REMIND_SECRET_KEY``; 404 for an account not enrolled."""
    payload = read_token(settings.secret_key, UNSUBSCRIBE, token) if settings.secret_key else None
    if payload is None or payload.get("c") != "email" or not isinstance(payload.get("a"), str):
        raise HTTPException(400, detail="this unsubscribe link is not valid")
    state = app.store.load(payload["a"])
    if state is None:
        raise HTTPException(404, detail="this unsubscribe link's account is not enrolled")
    digest = payload.get("h")
    for email in state.account.emails:
        if address_digest(email.address) == digest:
            return state, email.address
    return state, None
