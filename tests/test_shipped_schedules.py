"""The shipped schedules (``standard``, ``zh-cn``) on the demo's accounts and events, simulated
for 60 days: no send breaks an enforced rule, every rule read cautiously (a call without a
result counts under every call cap), as the independent checker (``tests/breach/``) sees it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from worker.config import Settings
from worker.contracts.validation import parse_account
from worker.sim.demo_data import generate_accounts, generate_events
from worker.sim.run import DEMO_START
from worker.sim.simulate import simulate
from worker.storage import connection

from .breach import find_breaches

ROOT = Path(__file__).resolve().parent.parent


def _outbox(settings: Settings) -> dict[str, str]:
    """Dispatch id -> the number each SMS and call went to."""
    sent: dict[str, str] = {}
    for channel in ("sms", "voice"):
        path = settings.outbox_dir / f"{channel}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            message: dict[str, Any] = json.loads(line)
            sent[message["dispatch_id"]] = message["to"]
    return sent


def test_the_demo_on_the_shipped_schedules_breaches_no_enforced_rule(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=redis_url,
        schedules_dir=ROOT / "schedules",
        templates_dir=ROOT / "templates",
        data_dir=tmp_path / "var",
    )
    rows = generate_accounts(DEMO_START.date(), 100)
    events = generate_events(rows, DEMO_START)
    result = simulate(
        settings,
        connection.client(redis_url),
        accounts=[("demo", a) for a in rows],
        events=[("demo", e) for e in events],
        start=DEMO_START,
        days=60,
    )
    accounts = [parse_account(a) for a in rows]
    by_schedule = Counter(a.schedule for a in accounts)
    assert set(by_schedule) == {"standard", "zh-cn"}
    recipients = _outbox(settings)
    for name in by_schedule:
        mine = {a.account_id: a for a in accounts if a.schedule == name}
        breaches = find_breaches(
            result.outcomes,
            mine,
            ROOT / "schedules" / f"{name}.yaml",
            recipients=recipients,
            events=events,
        )
        assert breaches == [], (name, breaches[:3])
    # the packs held some sends back, so the check had something to see
    rules = Counter(o["rule"].split("@")[0] for o in result.outcomes if o["reason"] == "cap")
    assert {"us-ma/MA1", "us-wa/WA1"} <= set(rules), rules
