"""``remind web``: health, the OpenAPI document, and the CLI command that serves them."""

from __future__ import annotations

from pathlib import Path

import redis

from tests.web_helpers import web_client
from worker.clock import SimulatedClock
from worker.config import Settings


def test_healthz_answers_ok_while_redis_answers(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    r = client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_openapi_document_lists_the_routes_it_serves(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "remind"
    assert "/healthz" in r.json()["paths"]


def test_api_keys_are_read_comma_separated_and_kept_out_of_repr() -> None:
    settings = Settings.from_env({"REMIND_API_KEYS": " a1 , ,b2,"})
    assert settings.api_keys == ("a1", "b2")
    assert "a1" not in repr(settings)
    assert Settings.from_env({}).api_keys == ()
