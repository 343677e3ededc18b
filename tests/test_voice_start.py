"""Live calls at start, as a user starts remind: refused without ``PUBLIC_BASE_URL`` (a machine
could otherwise record the whole script), working with it."""

from __future__ import annotations

import json
from pathlib import Path

from worker.providers import VOICE_NEEDS_PUBLIC_URL

from .pipeline_helpers import account
from .test_cli import env, remind  # noqa: F401  (the fixture is used by name)
from .twilio_helpers import FROM, PUBLIC, SID, TOKEN

LIVE_CALLS = {
    "REMIND_CHANNELS": "voice=live",
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_FROM_NUMBER": FROM,
}


def test_live_calls_without_public_base_url_stop_the_process_naming_it(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    f = tmp_path / "accounts.jsonl"
    f.write_text(json.dumps(account()) + "\n")

    done = remind({**env, **LIVE_CALLS}, "enroll", str(f))

    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == f"error: {VOICE_NEEDS_PUBLIC_URL}"
    assert done.stderr.startswith("error: live calls need PUBLIC_BASE_URL:")


def test_live_calls_with_public_base_url_start(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    f = tmp_path / "accounts.jsonl"
    f.write_text(json.dumps(account()) + "\n")

    done = remind({**env, **LIVE_CALLS, "PUBLIC_BASE_URL": PUBLIC}, "enroll", str(f))

    assert (done.returncode, done.stdout.strip()) == (0, "enrolled 1 account(s)")
