"""The FastAPI application of ``remind web``: ``create_app`` wires the routes to one ``App``."""

from __future__ import annotations

from fastapi import FastAPI

from worker.app import App
from worker.config import Settings


def create_app(app: App, settings: Settings) -> FastAPI:
    """The HTTP service over ``app``; ``settings`` holds the API keys and the signing secret."""
    web = FastAPI(
        title="remind",
        summary="Intake API, unsubscribe links and provider callbacks of the remind worker.",
        version="1",
    )
    web.state.remind = app
    web.state.settings = settings

    @web.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: answers while the process serves; Redis is checked too."""
        app.client.ping()
        return {"status": "ok"}

    return web
