"""``Store.load`` given the person the caller already knows (the re-read under the account lock,
index and state in one round trip) answers exactly what the ordinary read answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.errors import StateError
from worker.intake import apply_event, enroll
from worker.storage import keys

from .pipeline_helpers import account, make_app


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def test_the_read_with_the_person_known_is_the_ordinary_read_stops_included(app: Any) -> None:
    apply_event(app, parse_event({"account_id": "A-1", "type": "cease"}))
    plain = app.store.load("A-1")
    known = app.store.load("A-1", "A-1")
    assert plain is not None and known is not None
    assert known.status == "stopped"
    assert known.model_dump_json() == plain.model_dump_json()


def test_an_account_the_index_now_gives_another_person_is_read_from_that_person(
    app: Any, redis_client: Any
) -> None:
    data = json.loads(app.store.require("A-1").model_dump_json())
    data["account"]["person_id"] = "P-2"
    redis_client.set(keys.account_state("P-2", "A-1"), json.dumps(data))
    redis_client.set(keys.account_index("A-1"), "P-2")
    moved = app.store.load("A-1", "A-1")  # the caller still knows the old person
    assert moved is not None and moved.person_id == "P-2"
    assert moved.model_dump_json() == app.store.require("A-1").model_dump_json()


def test_an_account_gone_from_the_index_is_not_enrolled_whatever_person_is_given(
    app: Any, redis_client: Any
) -> None:
    redis_client.delete(keys.account_index("A-1"))
    assert app.store.load("A-1", "A-1") is None
    with pytest.raises(StateError, match="'A-1' is not enrolled"):
        app.store.require("A-1", "A-1")


def test_an_index_without_its_state_reads_as_not_enrolled_with_the_person_known(
    app: Any, redis_client: Any
) -> None:
    redis_client.delete(keys.account_state("A-1", "A-1"))
    assert app.store.load("A-1") is None
    assert app.store.load("A-1", "A-1") is None
