"""The simulator does not assume how a call went: without a ``call_result`` event a simulated
call's result stays unknown, and it counts under every call cap, as a live call does until its
result arrives. ``call_results`` asks "what if every call were answered (or not)?".

China's CN4 counts connected (answered) calls only, three a day per person, so four calls to one
person in a Shanghai morning (one per debt, each to its own number) show what the simulator
takes a call to be: counted (unknown, answered) or not (unanswered, voicemail).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from rich.console import Console

from worker.config import Settings
from worker.sim.run import run_simulation
from worker.sim.simulate import simulate
from worker.storage import connection

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, tzinfo=UTC)

#: one call on day 1 at 10:00 local (02:00 UTC in Shanghai)
ONE_CALL = """\
name: calls
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "08:00", end: "21:00"}
tiers:
  - name: t
    steps:
      - {day: 1, channel: voice, template: reminder_call}
"""


def cn_account(n: int) -> dict[str, Any]:
    """Debt ``n`` of one person in Shanghai, reached on a number of its own."""
    return {
        "account_id": f"CN-{n}",
        "person_id": "P-CN",
        "debt_id": f"D-{n}",
        "schedule": "calls",
        "due_date": "2026-03-01",
        "name": "王伟",
        "timezone": "Asia/Shanghai",
        "address": {"country": "CN", "region": "SH"},
        "phones": [
            {
                "number": f"+861380013800{n}",
                "kind": "mobile",
                "sms_consent": True,
                "voice_consent": True,
            }
        ],
        "balance": {"amount": "3000.00", "currency": "CNY"},
        "creditor": "Northwind Lending",
    }


ACCOUNTS = [cn_account(n) for n in range(1, 5)]


@pytest.fixture
def settings(redis_url: str, redis_client: redis.Redis, tmp_path: Path) -> Settings:
    """Settings on the test Redis, flushed (``redis_client``), with the schedule ``calls``."""
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "calls.yaml").write_text(ONE_CALL)
    return Settings(
        redis_url=redis_url,
        schedules_dir=schedules,
        templates_dir=ROOT / "templates",
        data_dir=tmp_path / "var",
    )


def day_one(outcomes: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The decisions of day 1 in Shanghai: each outcome and deciding rule (no version)."""
    return sorted(
        (o["outcome"], o["rule"].split("@", 1)[0] if o["rule"] else None)
        for o in outcomes
        if o["at"] < "2026-03-02T16:00:00Z"
    )


FOUR_SENT = [("sent", None)] * 4
THREE_SENT = [("deferred", "cn/CN4")] + [("sent", None)] * 3


def run(settings: Settings, **kwargs: Any) -> list[dict[str, Any]]:
    """The outcomes of the four debts simulated for a day."""
    client = connection.client(str(settings.redis_url))
    result = simulate(
        settings,
        client,
        accounts=[("test", a) for a in ACCOUNTS],
        start=START,
        days=1,
        **kwargs,
    )
    return result.outcomes


def test_a_simulated_call_without_a_result_counts_under_a_cap_of_answered_calls(
    settings: Settings,
) -> None:
    assert day_one(run(settings)) == THREE_SENT


@pytest.mark.parametrize(
    ("call_results", "expected"),
    [
        ("unknown", THREE_SENT),
        ("answered", THREE_SENT),
        ("voicemail", FOUR_SENT),
        ("unanswered", FOUR_SENT),
    ],
)
def test_call_results_asks_what_if_every_call_went_one_way(
    settings: Settings,
    call_results: str,
    expected: list[tuple[str, str | None]],
) -> None:
    assert day_one(run(settings, call_results=call_results)) == expected


#: a call a day for three days, to one person in Boston (MA1: two calls in seven days)
DAILY_CALLS = """\
name: daily
version: "1"
locale: en
send_time: "10:00"
caller: {name: Northwind Lending, callback_number: "+1 800 555 0100", contact_name: Sam Carter}
policy:
  hours: {start: "08:00", end: "21:00"}
tiers:
  - name: t
    steps:
      - {every: 1, from: 1, until: 3, channel: voice, template: reminder_call}
"""

MA_ACCOUNT: dict[str, Any] = {
    **cn_account(1),
    "account_id": "MA-1",
    "person_id": "P-MA",
    "schedule": "daily",
    "name": "Alex Kim",
    "timezone": "America/New_York",
    "address": {"country": "US", "region": "MA"},
    "phones": [
        {"number": "+16175550111", "kind": "mobile", "sms_consent": True, "voice_consent": True}
    ],
    "balance": {"amount": "125.50", "currency": "USD"},
}


@pytest.mark.parametrize(
    ("events", "third_call"),
    [
        ([], ("deferred", "us-ma/MA1")),
        # the first call could reach neither the person nor a voicemail: MA1 does not count it
        (
            [{"account_id": "MA-1", "type": "call_result", "result": "unreachable",
              "at": "2026-03-02T16:00:00Z"}],
            ("sent", None),
        ),
    ],
)  # fmt: skip
def test_a_call_result_event_decides_a_simulated_call(
    settings: Settings,
    events: list[dict[str, Any]],
    third_call: tuple[str, str | None],
) -> None:
    (settings.schedules_dir / "daily.yaml").write_text(DAILY_CALLS)
    client = connection.client(str(settings.redis_url))
    outcomes = simulate(
        settings,
        client,
        accounts=[("test", MA_ACCOUNT)],
        events=[("test", e) for e in events],
        start=START,
        days=3,
    ).outcomes
    third = next(o for o in outcomes if o["step"].endswith("#d3"))
    rule = third["rule"].split("@", 1)[0] if third["rule"] else None
    assert (third["outcome"], rule) == third_call


def test_run_simulation_passes_call_results_to_the_simulator(
    settings: Settings, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text("".join(json.dumps(a) + "\n" for a in ACCOUNTS))
    out = tmp_path / "sim" / "outcomes.jsonl"
    run_simulation(
        settings,
        schedule=None,
        accounts=accounts,
        events=None,
        start=START,
        days=1,
        json_out=out,
        plot=None,
        console=Console(file=io.StringIO()),
        call_results="unanswered",
    )
    outcomes = [json.loads(line) for line in out.read_text().splitlines()]
    assert [o["outcome"] for o in outcomes] == ["sent"] * 4
