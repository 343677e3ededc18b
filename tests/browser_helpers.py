"""Browser tests run in Debian's headless Chromium driven by Playwright.

Without ``/usr/bin/chromium`` or the ``playwright`` package a browser test is skipped locally
and fails in CI (``CI=true``): ``.ci/run`` installs Chromium when it is missing. Screenshots are
saved in the test's tmp dir and copied to ``out/screenshots/`` (ignored by git); both paths are
printed (``pytest -rP`` shows them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.pipeline_helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "out" / "screenshots"
#: How long an ``expect`` waits for the page (Playwright's default is 5 s). A preview render
#: lints the whole templates directory, over a second on a quiet machine, several on a loaded
#: one: the wait is for the page to show it, never a sleep.
EXPECT_TIMEOUT_MS = 30_000


def need_browser(chromium: Path = CHROMIUM) -> None:
    """Skip (locally) or fail (in CI) when ``chromium`` or Playwright is missing."""
    missing = None
    if not chromium.exists():
        missing = f"{chromium} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is missing (pip install -e '.[dev]')"
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test must run in CI: {missing}")
    pytest.skip(missing)


def keep_screenshot(shot: Path) -> Path:
    """Check ``shot`` is a PNG, copy it to ``out/screenshots/`` and print both paths."""
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    kept = SCREENSHOTS / shot.name
    shutil.copyfile(shot, kept)
    print(f"screenshot: {shot}\nscreenshot kept: {kept}")
    return kept
