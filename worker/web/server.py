"""The FastAPI application of ``remind web``: ``create_app`` wires the routes to one ``App``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from worker.app import App
from worker.config import Settings
from worker.errors import InvalidInput, ReplicationError, StateError
from worker.web.inbound import inbound_router
from worker.web.intake_api import intake_router
from worker.web.metrics import metrics_router
from worker.web.preview import preview_router
from worker.web.twilio_routes import twilio_router
from worker.web.unsubscribe import unsubscribe_router


def create_app(app: App, settings: Settings) -> FastAPI:
    """The HTTP service over ``app``; ``settings`` holds the API keys and the signing secret."""
    web = FastAPI(
        title="remind",
        summary=(
            "Intake API, unsubscribe links, provider callbacks and the template preview of the "
            "remind worker."
        ),
        version="1",
    )
    web.state.remind = app
    web.state.settings = settings
    web.add_exception_handler(InvalidInput, _invalid)  # type: ignore[arg-type]
    web.add_exception_handler(StateError, _conflict)  # type: ignore[arg-type]
    web.add_exception_handler(ReplicationError, _unavailable)  # type: ignore[arg-type]

    @web.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: answers while the process serves; Redis is checked too."""
        app.client.ping()
        return {"status": "ok"}

    web.include_router(intake_router(app))
    web.include_router(unsubscribe_router(app, settings))
    web.include_router(twilio_router(app, settings))
    web.include_router(preview_router(settings))
    web.include_router(inbound_router(app, settings))
    web.include_router(metrics_router(app, settings))
    return web


def _invalid(_request: Request, e: InvalidInput) -> JSONResponse:
    """A contract violation: 422 naming the field, as the CLI's error message does."""
    return JSONResponse(
        status_code=422, content={"error": "invalid", "field": e.field, "detail": str(e)}
    )


def _conflict(_request: Request, e: StateError) -> JSONResponse:
    """An event the account's state cannot take (e.g. a stopped debt): 409."""
    return JSONResponse(status_code=409, content={"error": "conflict", "detail": str(e)})


def _unavailable(_request: Request, e: ReplicationError) -> JSONResponse:
    """Too few Redis replicas confirmed the write (REMIND_REDIS_MIN_REPLICAS): 503, not
    acknowledged; the sender retries (the write may have been applied: intake is idempotent)."""
    return JSONResponse(
        status_code=503,
        content={"error": "unavailable", "detail": str(e)},
        headers={"Retry-After": "1"},
    )
