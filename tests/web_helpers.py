"""Helpers for the HTTP tests: the FastAPI app of ``remind web`` over a pipeline-test App."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from tests.pipeline_helpers import make_app
from worker.app import App
from worker.clock import SimulatedClock
from worker.web.server import create_app

#: The API key the tests configure, and the headers that carry it.
KEY = "k-test-1"
AUTH = {"Authorization": f"Bearer {KEY}"}
SECRET = "s3cret-for-tests"


def web_client(redis_url: str, tmp_path: Path, clock: SimulatedClock) -> tuple[TestClient, App]:
    """A TestClient on ``create_app`` over an App on schedule ``t``, with keys and a secret."""
    app = make_app(redis_url, tmp_path, clock)
    settings = replace(app.settings, api_keys=("other-key", KEY), secret_key=SECRET)
    app.settings = settings
    return TestClient(create_app(app, settings)), app
