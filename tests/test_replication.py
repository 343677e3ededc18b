"""``REMIND_REDIS_MIN_REPLICAS``: intake acknowledges an account or event only once Redis
replicas hold it. The test server has no replica, so with 1 asked every write is refused: the
error names the setting, the actor path does not turn it into a ``rejected`` outcome (dramatiq
retries the message), the HTTP intake answers 503, and a dispatch gives its claim back and sends
nothing. The failover this guards against runs on
a real cluster in ``tests/test_cluster_failover.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from tests.pipeline_helpers import TEST_SCHEDULE, account, make_app, outbox
from tests.web_helpers import AUTH, web_client
from worker.app import App
from worker.clock import SimulatedClock
from worker.config import Settings
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.pipeline import dispatch
from worker.errors import ReplicationError
from worker.intake import apply_event, apply_raw, enroll, enroll_raw
from worker.providers import Replication
from worker.sim.simulate import simulate

REFUSAL = (
    "Redis node server: 0 replica(s) confirmed the write within 1 ms, REMIND_REDIS_MIN_REPLICAS "
    "asks for 1; not acknowledged (retry, or lower REMIND_REDIS_MIN_REPLICAS while a replica is "
    "missing)"
)

START_SIM = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def app(redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock) -> App:
    assert redis_client.info("replication")["connected_slaves"] == 0  # what these tests rely on
    redis_client.config_resetstat()
    return make_app(redis_url, tmp_path, clock)


def _waits(client: redis.Redis) -> int:
    """How many WAIT commands the server has run since the stats were reset."""
    return int(client.info("commandstats").get("cmdstat_wait", {}).get("calls", 0))


def _asking(app: App, replicas: int) -> App:
    app.settings = replace(app.settings, redis_replication=Replication(replicas, 1))
    return app


def test_by_default_intake_waits_for_no_replica(app: App, redis_client: redis.Redis) -> None:
    enroll(app, parse_account(account()))
    apply_event(app, parse_event({"account_id": "A-1", "type": "payment", "amount": "10.00"}))

    assert _waits(redis_client) == 0


def test_an_enrolment_no_replica_confirms_is_refused_naming_the_setting(
    app: App, redis_client: redis.Redis
) -> None:
    with pytest.raises(ReplicationError) as info:
        enroll(_asking(app, 1), parse_account(account()))

    assert str(info.value) == REFUSAL
    assert _waits(redis_client) == 1  # one server: one WAIT, after the writes
    # written on the primary, but not acknowledged: a redelivery enrolls it again, the same way
    assert app.store.load("A-1") is not None


def test_an_event_no_replica_confirms_is_refused_naming_the_setting(app: App) -> None:
    enroll(app, parse_account(account()))

    with pytest.raises(ReplicationError, match="REMIND_REDIS_MIN_REPLICAS asks for 1"):
        apply_event(_asking(app, 1), parse_event({"account_id": "A-1", "type": "paid"}))


def test_the_queue_path_lets_the_refusal_through_instead_of_recording_a_rejection(
    app: App,
) -> None:
    enroll(app, parse_account(account()))
    _asking(app, 1)

    with pytest.raises(ReplicationError):
        enroll_raw(app, account(), source="queue")
    with pytest.raises(ReplicationError):
        apply_raw(app, {"account_id": "A-1", "type": "paid"}, source="queue")
    assert app.recorded == []  # type: ignore[attr-defined]


def test_the_http_intake_answers_503_when_no_replica_confirms(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, app = web_client(redis_url, tmp_path, clock)
    _asking(app, 1)

    r = client.post("/v1/accounts", headers=AUTH, json=account())

    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.json() == {"error": "unavailable", "detail": REFUSAL}


def test_a_dispatch_whose_claim_no_replica_confirms_sends_nothing_and_gives_the_claim_back(
    app: App, redis_client: redis.Redis, clock: SimulatedClock
) -> None:
    enroll(app, parse_account(account()))
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))  # day 1, 10:00 in New York: the first SMS

    with pytest.raises(ReplicationError, match="REMIND_REDIS_MIN_REPLICAS asks for 1"):
        dispatch(_asking(app, 1), "A-1")
    assert outbox(app, "sms") == []
    assert list(redis_client.scan_iter(match="*:sent:*")) == []  # the claim was given back

    _asking(app, 0)
    dispatch(app, "A-1")  # the entry comes back; now the claim holds and the step goes out
    assert [line["dispatch_id"] for line in outbox(app, "sms")] == ["A-1:early.1:0"]


def test_a_simulation_waits_for_no_replica_whatever_the_setting(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """Its keys are thrown away after the run: a missing replica must not stop it."""
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    settings = Settings(
        redis_url=redis_url, schedules_dir=tmp_path / "schedules", data_dir=tmp_path / "var",
        redis_replication=Replication(1, 1),
    )  # fmt: skip
    redis_client.config_resetstat()

    result = simulate(
        settings, redis_client, accounts=[("a:1", account())], start=START_SIM, days=1
    )

    assert result.enrolled == 1
    assert _waits(redis_client) == 0
