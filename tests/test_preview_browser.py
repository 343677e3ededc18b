"""The ``/preview`` page in a real browser: Debian's headless Chromium driven by Playwright.

The web app runs in uvicorn on a loopback port over real Redis; the browser enters the API key,
picks a Chinese template's SMS and must show its UCS-2 encoding and segment count. A screenshot
is saved in the test's tmp dir and copied to ``out/screenshots/`` (ignored by git), and both
paths are printed (``pytest -rP`` shows them). Without ``/usr/bin/chromium`` or the
``playwright`` package the test is skipped locally and fails in CI (``CI=true``): ``.ci/run``
installs Chromium when it is missing.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import uvicorn

from tests.browser_helpers import CHROMIUM, EXPECT_TIMEOUT_MS, keep_screenshot, need_browser
from tests.web_helpers import KEY, web_client
from worker.clock import SimulatedClock


@pytest.fixture
def served(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> Iterator[str]:
    """The web app of ``remind web`` served by uvicorn on a loopback port; yields its URL."""
    client, _ = web_client(redis_url, tmp_path, clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(client.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:  # waiting for the server to listen, not for time to pass
        thread.join(0.02)
        assert thread.is_alive(), "uvicorn stopped before it was listening"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_the_page_shows_a_chinese_sms_as_ucs2_with_its_segments(
    served: str, tmp_path: Path
) -> None:
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(f"{served}/preview")
            expect(page.locator("#key-status")).to_have_text("enter an API key to begin")
            page.fill("#key", KEY)
            page.click("#key-form button")
            expect(page.locator("#key-status")).to_have_text("key accepted")
            page.click("button[data-template='cn_gentle']")
            page.select_option("#locale", "zh-Hans")
            page.select_option("#channel", "sms")
            box = page.locator("section.render[data-channel='sms']")
            expect(box.locator("h3")).to_have_text("sms · zh-Hans")
            expect(box.locator("pre[data-part='sms']")).to_contain_text("温馨提醒")
            expect(box.get_by_test_id("sms-encoding")).to_have_text("UCS-2")
            expect(box.get_by_test_id("sms-segments")).to_have_text("2 segments")
            figures = box.locator(".meter .figures")
            expect(figures).to_have_text("UCS-2 · 2 segments · 117 / 134 units")
            expect(box.locator(".meter .segment")).to_have_count(2)
            expect(box.locator(".side .clean")).to_have_text("lint: no findings on this file")
            shot = tmp_path / "preview-cn_gentle-sms.png"
            page.screenshot(path=str(shot))
            # the HTML email, in a frame that may run no script
            page.click("button[data-template='friendly_nudge']")
            page.select_option("#channel", "email")
            frame = page.locator("section.render[data-channel='email'] iframe")
            expect(frame).to_have_attribute("sandbox", "")
            link = page.frame_locator("section.render[data-channel='email'] iframe").locator(
                "a[href='https://pay.example.com/1']"
            )
            expect(link).to_have_count(1)
            email_shot = tmp_path / "preview-friendly_nudge-email.png"
            # not full_page: Chromium then draws a sandboxed (cross-origin) frame's text squeezed
            page.screenshot(path=str(email_shot))
            # a pasted account with a bad field: the page names it and shows no render
            page.click("#account-box summary")
            bad = {"account_id": "P-1", "schedule": "t", "due_date": "2026-13-01"}
            page.fill("#account", json.dumps(bad))
            page.click("#render-form button[type=submit]")
            expect(page.locator("#error")).to_have_text(
                "the pasted account: due_date: must be a date such as 2026-03-01"
            )
            expect(page.locator("section.render")).to_have_count(0)
        finally:
            browser.close()
    for taken in (shot, email_shot):
        keep_screenshot(taken)


def test_without_chromium_the_browser_test_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        need_browser(tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="the browser test must run in CI"):
        need_browser(tmp_path / "no-chromium")
