"""The scheduler process ticks on the real clock, whatever instant the App's clock says.

A drill sets ``REMIND_FIXED_NOW`` (every decision reads that instant), yet APScheduler waits on
the wall clock: its first run was once set to the App's instant, so a future instant stopped the
scheduler without a word until that day came. These tests read the tick job the scheduler
would start with; nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.app import App
from worker.clock import SimulatedClock, SystemClock
from worker.runtime.scheduler import TICK_JOB, build_scheduler

from .pipeline_helpers import make_app

#: How far from the real clock the first tick may be: the test's own run, never a drill's gap.
SLACK = timedelta(minutes=1)


def _ignore(account_id: str, due: float) -> None:
    raise AssertionError("nothing is due: the scheduler is never started here")


@pytest.mark.parametrize(
    "offset",
    [timedelta(days=365), timedelta(hours=3), -timedelta(days=30)],
    ids=["a year ahead", "three hours ahead", "a month behind"],
)
def test_the_first_tick_is_due_now_on_the_real_clock_whatever_the_drill_clock_says(
    redis_url: str, tmp_path: Path, offset: timedelta
) -> None:
    real_now = SystemClock().now()
    app: App = make_app(redis_url, tmp_path, SimulatedClock(real_now + offset))
    job = build_scheduler(app, _ignore).get_job(TICK_JOB)
    assert job is not None
    assert abs(job.next_run_time - real_now) < SLACK
    # and it keeps ticking every REMIND_TICK_SECONDS after that, on the same real clock
    after = job.trigger.get_next_fire_time(job.next_run_time, job.next_run_time)
    assert after - job.next_run_time == timedelta(seconds=app.settings.tick_seconds)
    assert after.tzinfo is not None and after.utcoffset() == UTC.utcoffset(None)


def test_a_drill_tick_still_claims_at_the_drill_instant(redis_url: str, tmp_path: Path) -> None:
    """Only the scheduling moves to the real clock: what is due is decided at the App's now."""
    drill = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)
    app = make_app(redis_url, tmp_path, SimulatedClock(drill))
    app.client.flushall()
    app.timeline.place("A-1", drill - timedelta(minutes=1))
    app.timeline.place("A-2", drill + timedelta(minutes=1))
    claimed: list[str] = []
    job = build_scheduler(app, lambda account_id, due: claimed.append(account_id)).get_job(TICK_JOB)
    assert job is not None
    job.func()
    assert claimed == ["A-1"]
