"""The simulation report: ``--report`` writes one self-contained HTML file an ops team reads.

The figures are checked on hand-made outcomes; a real ``remind demo`` run is opened in headless
Chromium, which must show every account labelled and marks of every channel.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.browser_helpers import CHROMIUM, EXPECT_TIMEOUT_MS, keep_screenshot, need_browser
from tests.test_cli import env, remind  # noqa: F401  (env is the CLI tests' fixture)
from worker.cadence.schedule import find_schedule
from worker.sim.report import funnel_counts, law_link, render_report, rule_anchor
from worker.sim.report_svg import CHANNEL_COLOURS, plan_svg

from .pipeline_helpers import ROOT

START = datetime(2026, 3, 2, tzinfo=UTC)


def outcome(account: str, day: float, channel: str, kind: str, **extra: Any) -> dict[str, Any]:
    at = START.timestamp() + day * 86400
    return {
        "account_id": account, "at": datetime.fromtimestamp(at, UTC).isoformat(),
        "channel": channel, "outcome": kind, "tier": "early", "step": "early.1",
        "reason": None, "rule": None, "local_time": None, "schedule": "standard@x",
    } | extra  # fmt: skip


def test_law_links_lead_to_the_cited_section() -> None:
    assert law_link("12 CFR 1006.14(b)(2)(i)(A)") == (
        "https://www.ecfr.gov/current/title-12/section-1006.14"
    )
    assert (
        law_link("47 CFR 64.1200(a)(3)") == "https://www.ecfr.gov/current/title-47/section-64.1200"
    )
    assert (
        law_link("15 U.S.C. 1692d, 1692e(4)") == "https://www.law.cornell.edu/uscode/text/15/1692d"
    )
    assert law_link("FCA CONC 7.9.4R; MCOB 13.5.4G") == (
        "https://www.handbook.fca.org.uk/handbook/CONC/7/9.html"
    )
    assert law_link("RCW 19.16.250") == "https://app.leg.wa.gov/RCW/default.aspx?cite=19.16.250"
    assert law_link("中国互联网金融协会 催收风控指引") is None


def test_funnels_count_each_step_of_each_account_once() -> None:
    outcomes = [
        outcome("A", 1, "sms", "deferred", reason="quiet_hours"),
        outcome("A", 1.2, "sms", "deferred", reason="quiet_hours"),
        outcome("A", 1.5, "sms", "sent"),
        outcome("B", 1, "sms", "suppressed", reason="paid"),
        outcome("C", 1, "voice", "sent", tier="mid", step="mid.1"),
        outcome("C", 2, "voice", "unknown", tier="mid", step="mid.2"),
        outcome("C", 3, "voice", "answered", tier="mid", step=None),  # a result, not a step
    ]
    tiers = funnel_counts(outcomes, "tier")
    assert dict(tiers["early"]) == {
        "reached": 2, "deferred at least once": 1, "sent": 1, "suppressed": 1, "skipped": 0,
        "failed or unknown": 0,
    }  # fmt: skip
    assert (tiers["mid"]["reached"], tiers["mid"]["sent"], tiers["mid"]["failed or unknown"]) == (
        2, 1, 1,
    )  # fmt: skip
    assert set(funnel_counts(outcomes, "channel")) == {"sms", "voice"}


def test_a_deferral_links_to_its_rule_and_the_rule_to_the_law() -> None:
    rule = "us-federal/F1@2026-11-29"
    html = render_report(
        [outcome("A-<1>", 1, "voice", "deferred", reason="cap", rule=rule)],
        schedules=[], start=START, days=3, title="t",
    )  # fmt: skip
    assert rule_anchor(rule) == "rule-us-federal-F1"
    assert f"<a href='#rule-us-federal-F1'>{rule}</a>" in html
    row = re.search(r"<tr id='rule-us-federal-F1'>(.*?)</tr>", html)
    assert row is not None
    assert (
        "<a href='https://www.ecfr.gov/current/title-12/section-1006.14'>"
        "12 CFR 1006.14(b)(2)(i)(A)</a>" in row.group(1)
    )
    assert "A-&lt;1&gt;" in html and "A-<1>" not in html  # account ids are escaped


def test_the_plan_draws_every_step_and_fallback_of_the_schedule() -> None:
    schedule = find_schedule("standard", ROOT / "schedules")
    svg = plan_svg(schedule)
    fallbacks = sum(1 for o in schedule.occurrences if o.fallback)
    assert svg.count("<title>day ") == len(schedule.occurrences)
    assert svg.count("<title>fallback of ") == fallbacks
    for tier in {o.tier for o in schedule.occurrences}:
        assert f'class="tier">{tier}</text>' in svg


def test_the_demo_report_shows_labelled_accounts_and_every_channel_in_a_browser(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {**env, "REMIND_SCHEDULES_DIR": str(ROOT / "schedules")}
    done = remind(env, "demo", "--accounts", "20", "--days", "40", "--out", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    report = tmp_path / "d" / "report.html"
    assert f"report:   {report}" in done.stdout
    outcomes = [json.loads(x) for x in (tmp_path / "d" / "outcomes.jsonl").read_text().splitlines()]
    accounts = sorted({o["account_id"] for o in outcomes if o.get("channel")})
    channels = {o["channel"] for o in outcomes if o.get("channel")}
    assert channels == {"sms", "email", "voice", "visit"}
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(report.as_uri())
            expect(page.locator("h1")).to_have_text("remind simulation: 40 days from 2026-03-02")
            labels = page.locator("#timeline + p + div svg text.label")
            expect(labels).to_have_text(accounts)
            for channel, colour in CHANNEL_COLOURS.items():
                marks = page.locator(f"#timeline + p + div svg [fill='{colour}']")
                assert marks.count() > 0, f"no {channel} mark on the timeline"
            expect(page.locator("#plan ~ h3")).to_have_text(
                sorted({o["schedule"] for o in outcomes if o.get("schedule")})
            )
            shot = tmp_path / "report-demo.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    keep_screenshot(shot)
