"""A schedule edited without a new ``version`` is refused, not silently ignored.

Accounts are pinned to the schedule version they enrolled under, whose YAML is kept in Redis; a
file changed under a version already pinned would show its edit in ``schedules check`` and
``plan`` and never run. Now the content hash of the file is compared with the pinned copy's:
``schedules check``, the worker's and the scheduler's start and every enrolment refuse the file,
naming it and asking for a new version, while the accounts pinned to the old content keep it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from worker.accounts.state import AccountState
from worker.cadence.pinning import check_pinned, content_digest, pin_conflicts
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.errors import ScheduleError
from worker.intake import enroll, enroll_raw
from worker.storage.store import Store

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, remind_or_stop

#: The test schedule with its last step moved from day 12 to day 14, version unchanged.
EDITED = TEST_SCHEDULE.replace("day: 12,", "day: 14,")


def _touch_later(path: Path) -> None:
    """Move the file's mtime on, as an editor saving it would (the App re-reads on mtime)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


# -- what counts as a change -------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "# a comment on top\n" + TEST_SCHEDULE,
        TEST_SCHEDULE.replace('version: "1"', "version: 1"),
        TEST_SCHEDULE.replace("description: pipeline test cadence\n", "")
        .replace("locale: en\n", "locale: en\ndescription: pipeline test cadence\n"),
        TEST_SCHEDULE.replace("\n", "\n\n"),
        TEST_SCHEDULE.replace("{day: 1, channel: sms, template: friendly_nudge}",
                              "{template: friendly_nudge, channel: sms, day: 1}  # first"),
    ],
    ids=["comment", "quoting", "key order", "blank lines", "flow mapping order"],
)  # fmt: skip
def test_comments_layout_key_order_and_quoting_do_not_change_the_content(variant: str) -> None:
    assert content_digest(variant) == content_digest(TEST_SCHEDULE)
    check_pinned(parse_schedule(variant, file="t.yaml"), TEST_SCHEDULE, file="t.yaml")


@pytest.mark.parametrize(
    "variant",
    [
        EDITED,
        TEST_SCHEDULE.replace("pipeline test cadence", "pipeline test cadence, reworded"),
        TEST_SCHEDULE.replace("limit: 2", "limit: 3"),
    ],
    ids=["a step's day", "the description", "a cap"],
)
def test_any_changed_value_changes_the_content_and_is_refused_naming_file_and_version(
    variant: str,
) -> None:
    assert content_digest(variant) != content_digest(TEST_SCHEDULE)
    with pytest.raises(ScheduleError) as caught:
        check_pinned(parse_schedule(variant, file="s/t.yaml"), TEST_SCHEDULE, file="s/t.yaml")
    assert str(caught.value).startswith("s/t.yaml:2: version: t@1 is already pinned with other")
    assert "bump the version to publish it" in str(caught.value)


# -- at run time: enrolment, and the pinned accounts -------------------------------------------


def test_an_enrolment_under_an_edited_file_is_rejected_and_pinned_accounts_keep_their_steps(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    enroll(app, parse_account(account()))
    path = tmp_path / "schedules" / "t.yaml"
    path.write_text(EDITED)
    _touch_later(path)
    out = enroll_raw(app, account(account_id="A-2"), source="queue")
    assert not isinstance(out, AccountState)
    assert out.outcome == "rejected"
    assert f"{path}:2: version: t@1 is already pinned with other content" in (out.reason or "")
    # the pinned copy lives in Redis: a fresh App serves it with the file gone
    path.unlink()
    fresh = make_app(redis_url, tmp_path, clock)
    assert fresh.pinned_schedule("t@1").occurrences[-1].day == 12
    # a new version publishes the edit; the first account stays on the old one
    path.write_text(EDITED.replace('version: "1"', 'version: "2"'))
    _touch_later(path)
    assert enroll(fresh, parse_account(account(account_id="A-2"))).schedule_ref == "t@2"
    assert fresh.store.require("A-1").schedule_ref == "t@1"
    assert fresh.pinned_schedule("t@2").occurrences[-1].day == 14


def test_pin_conflicts_lists_only_files_changed_under_a_pinned_version(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    store = Store(redis_client)
    store.pin_schedule("t@1", TEST_SCHEDULE)
    (tmp_path / "t.yaml").write_text(EDITED)
    (tmp_path / "u.yaml").write_text(EDITED.replace("name: t", "name: u"))  # never pinned
    (tmp_path / "broken.yaml").write_text("name: [")  # check reports it, not this
    assert [e.file for e in pin_conflicts(tmp_path, store.pinned_schedule)] == [
        str(tmp_path / "t.yaml")
    ]


# -- the commands -------------------------------------------------------------------------------


@pytest.fixture
def edited_env(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> tuple[dict[str, str], Path]:
    """A user's environment whose ``t.yaml`` was edited after t@1 was pinned."""
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    Store(redis_client).pin_schedule("t@1", TEST_SCHEDULE)
    (schedules / "t.yaml").write_text(EDITED)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_SCHEDULES_DIR": str(schedules),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
    }
    return env, schedules / "t.yaml"


def test_schedules_check_fails_on_a_file_edited_under_its_pinned_version(
    edited_env: tuple[dict[str, str], Path],
) -> None:
    env, path = edited_env
    done = remind_or_stop(env, "schedules", "check")
    assert done.returncode == 1
    message = " ".join(done.stderr.split())  # the console may wrap it
    assert f"{path}:2: version: t@1 is already pinned with other content" in message
    assert "bump the version to publish it" in message


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_the_worker_and_the_scheduler_refuse_to_start_on_a_file_edited_under_its_version(
    edited_env: tuple[dict[str, str], Path], command: str
) -> None:
    env, path = edited_env
    done = remind_or_stop(env, command)
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert f"{path}:2: version: t@1 is already pinned with other content" in message


def test_schedules_check_still_checks_the_files_when_redis_cannot_be_reached(
    edited_env: tuple[dict[str, str], Path],
) -> None:
    env, _ = edited_env
    done = remind_or_stop({**env, "REDIS_URL": "redis://127.0.0.1:9/0"}, "schedules", "check")
    assert done.returncode == 0, done.stderr
    assert "warn pinned versions not checked: cannot reach Redis" in " ".join(done.stderr.split())
    assert "ok   t@1: 6 steps over days 1-14" in done.stdout
