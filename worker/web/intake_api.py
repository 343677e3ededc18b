"""``/v1/accounts``: the intake API. It calls ``worker.intake`` exactly as ``remind enroll`` and
``remind event`` do, so an account or event behaves the same whichever door it came in by."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi.responses import JSONResponse

from worker.app import App
from worker.contracts.validation import parse_account, parse_event
from worker.errors import InvalidInput
from worker.intake import EnrollmentRefused, apply_event, enroll
from worker.web.auth import require_key
from worker.web.views import account_view


def intake_router(app: App) -> APIRouter:
    """The routes of the intake API over ``app``; every one needs a bearer API key."""
    router = APIRouter(prefix="/v1", tags=["intake"], dependencies=[Depends(require_key)])

    @router.post("/accounts", status_code=202)
    def post_accounts(
        body: Annotated[Any, Body(description="One account object or a list of them.")],
    ) -> JSONResponse:
        """Validate every account, then enroll them all (none is enrolled if one is invalid)."""
        rows = body if isinstance(body, list) else [body]
        parsed = [parse_account(row, f"account {i}") for i, row in enumerate(rows)]
        refused: list[dict[str, str]] = []
        for account in parsed:
            try:
                enroll(app, account)
            except EnrollmentRefused as e:  # a stopped debt: recorded as an outcome rejected
                refused.append({"account_id": account.account_id, "reason": e.reason})
        return JSONResponse(
            status_code=202,
            content={"enrolled": len(parsed) - len(refused), "refused": refused},
        )

    @router.post("/accounts/{account_id}/events", status_code=202)
    def post_event(
        account_id: str,
        body: Annotated[Any, Body(description="One event object (docs/contracts.md, Event).")],
    ) -> JSONResponse:
        """Apply one event to the account named in the path."""
        if not isinstance(body, dict):
            raise InvalidInput("an event must be a JSON object")
        given = body.get("account_id", account_id)
        if given != account_id:
            raise InvalidInput("differs from the account id in the path", field="account_id")
        event = parse_event({**body, "account_id": account_id}, "request body")
        if app.store.load(account_id) is None:
            raise HTTPException(404, detail=f"account {account_id!r} is not enrolled")
        state = apply_event(app, event)
        return JSONResponse(
            status_code=202,
            content={"account_id": account_id, "type": event.type, "status": state.status},
        )

    @router.get("/accounts/{account_id}")
    def get_account(account_id: str) -> dict[str, Any]:
        """The account's status, its next step and when it is due, and its recent outcomes."""
        state = app.store.load(account_id)
        if state is None:
            raise HTTPException(404, detail=f"account {account_id!r} is not enrolled")
        return account_view(app, state)

    return router
