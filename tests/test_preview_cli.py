"""``remind templates preview``: a real process, exact output, over the shipped templates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline_helpers import ROOT

TEMPLATES = ROOT / "templates"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "REMIND_TEMPLATES_DIR": str(TEMPLATES), "COLUMNS": "1000"}


def preview(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", "templates", "preview", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_preview_prints_every_part_of_a_shipped_template_and_writes_the_html(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = preview(env, tmp_path, "friendly_nudge", "--locale", "en")
    assert (done.returncode, done.stderr) == (0, "")
    t = TEMPLATES / "friendly_nudge"
    assert done.stdout == (
        "== friendly_nudge sms en, for the sample account\n"
        f"-- sms ({t}/sms.txt)\n"
        "Northwind Lending: Hi Sam, a friendly reminder that your payment of $125.50 "
        "(ref NW-1) was due on March 1, 2026. If you have already paid, thank you.\n"
        "Pay online: https://pay.example.com/1\n"
        "Reply STOP to opt out.\n"
        "   sms: GSM-7, 210 units, 2 segments (210 of 306); every character is in the GSM-7 "
        "alphabet: 160 a segment, 153 once split\n"
        "== friendly_nudge email en, for the sample account\n"
        f"-- email.subject ({t}/email.subject.txt)\n"
        "A friendly payment reminder from Northwind Lending\n"
        f"-- email.text ({t}/email.txt)\n"
        "Hi Sam,\n\n"
        "This is a friendly reminder that your payment of $125.50 to Northwind Lending was due "
        "on March 1, 2026.\n\n"
        "Reference: NW-1\n\n"
        "Pay online: https://pay.example.com/1\n\n"
        "If you have already paid, thank you, and please ignore this email. If paying is "
        "difficult right now, or you think this is a mistake, please get in touch on "
        "+1 800 555 0100 and we will work with you.\n\n"
        "Northwind Lending\n\n"
        "Unsubscribe from these emails: https://example.com/u/x\n"
        "Reply STOP to opt out.\n"
        f"-- email.html ({t}/email.html) written to out/preview/friendly_nudge.en.html\n"
        "friendly_nudge: 0 lint error(s), 0 warning(s)\n"
    )
    html = (tmp_path / "out" / "preview" / "friendly_nudge.en.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert 'href="https://pay.example.com/1"' in html


def test_a_chinese_sms_shows_ucs2_and_its_segment_count(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = preview(env, tmp_path, "cn_gentle", "--locale", "zh-CN", "--channel", "sms")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "== cn_gentle sms zh-CN (files: zh-Hans), for the sample account\n"
        f"-- sms ({TEMPLATES}/cn_gentle/sms.zh-Hans.txt)\n"
        "【Northwind Lending】Sam Lee您好，温馨提醒：您编号NW-1的账单（应还$125.50）已于"
        "2026年3月1日到期。如已还款，请忽略本信息。\n"
        "还款：https://pay.example.com/1\n"
        "回复TD退订\n"
        "   sms: UCS-2, 117 units, 2 segments (117 of 134); Chinese text is sent as UCS-2: "
        "70 units a segment, 67 once split\n"
        "cn_gentle: 0 lint error(s), 0 warning(s)\n"
    )


def test_a_given_account_is_rendered_and_a_bad_field_is_named_with_its_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps({"account_id": "P-1", "schedule": "t", "due_date": "2026-03-01", "name": "李明"})
    )
    done = preview(env, tmp_path, "cn_gentle", "--account", str(good), "--locale", "zh-Hans")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        f"== cn_gentle sms zh-Hans, for {good}",
        f"-- sms ({TEMPLATES}/cn_gentle/sms.zh-Hans.txt)",
        "李明您好，温馨提醒：您的账单已于2026年3月1日到期。如已还款，请忽略本信息。",
    ]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"account_id": "P-1", "schedule": "t", "due_date": "2026-13-01"}))
    done = preview(env, tmp_path, "cn_gentle", "--account", str(bad))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"error: {bad}: due_date: must be a date such as 2026-03-01\n"
    broken = tmp_path / "broken.json"
    broken.write_text('{"account_id": ')
    done = preview(env, tmp_path, "cn_gentle", "--account", str(broken))
    assert done.stderr.startswith(f"error: {broken}: line 1 column 16: not JSON: ")


def test_an_unknown_template_or_locale_names_what_exists(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = preview(env, tmp_path, "nope")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: template: no template named 'nope' in {TEMPLATES} (there are: cn_call, "
        "cn_field_visit, cn_final, cn_gentle, cn_overdue, final_call, final_notice, firm_notice, "
        "friendly_nudge, past_due_notice, reminder, reminder_call)\n"
    )
    done = preview(env, tmp_path, "cn_gentle", "--locale", "fr")
    assert (done.returncode, done.stderr) == (
        2,
        "error: locale: template 'cn_gentle' has no files for locale 'fr' "
        "(it has: en, zh-Hans, zh-Hant)\n",
    )
    done = preview(env, tmp_path, "cn_field_visit", "--channel", "sms")
    assert done.stderr == (
        "error: channel: template 'cn_field_visit' has no 'sms' part (it has: visit)\n"
    )


def test_lint_findings_sit_beside_the_part_and_an_error_exits_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "cn_gentle", templates / "cn_gentle")
    (templates / "cn_gentle" / "sms.txt").write_text(
        "Hi {{ name }} \U0001f600 you owe {{ amount }}. {{ opt_out }}\n", encoding="utf-8"
    )
    (templates / "cn_gentle" / "sms.zh-Hant.txt").write_text("{{ nickname }}\n", encoding="utf-8")
    done = preview(env, tmp_path, "cn_gentle", "--templates", str(templates))
    assert done.returncode == 1
    sms = templates / "cn_gentle" / "sms.txt"
    assert (
        "Hi Sam Lee \U0001f600 you owe $125.50. Reply STOP to opt out.\n"
        "   sms: UCS-2, 53 units, 1 segment (53 of 70); a character outside GSM-7 makes the "
        "whole message UCS-2\n"
        "   character 12: U+1F600 GRINNING FACE: forces UCS-2: 70 units a segment instead of 160\n"
        f"   {sms}:1: warning: U+1F600 GRINNING FACE at column 15 forces UCS-2: no extra "
        "segment in the sample, but 70 characters a segment, not 160 (fix: use GSM-7 characters "
        "only (letters, digits, plain punctuation))\n"
    ) in done.stdout
    assert (
        "== cn_gentle sms zh-Hant, for the sample account\n"
        "   error: cn_gentle/sms.zh-Hant.txt:1: 'nickname' is undefined\n"
    ) in done.stdout
    assert done.stdout.endswith(
        "-- other findings on cn_gentle\n"
        f"   {templates}/cn_gentle/sms.zh-Hant.txt:1: error: cn_gentle sms zh-Hant: "
        "'nickname' is undefined (fix: fix the template so it renders for every account (guard "
        "optional values with {% if %}))\n"
        "cn_gentle: 1 lint error(s), 1 warning(s), 1 part(s) failed to render\n"
    )


def test_json_output_is_the_preview_object(env: dict[str, str], tmp_path: Path) -> None:
    done = preview(env, tmp_path, "reminder_call", "--locale", "zh-Hant", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["template"], shown["channels"], shown["errors"]) == (
        "reminder_call",
        ["sms", "voice"],
        0,
    )
    assert [[p["name"] for p in r["parts"]] for r in shown["renders"]] == [
        ["sms"],
        ["voice", "voicemail"],
    ]
    assert shown["renders"][0]["parts"][0]["sms"]["encoding"] == "UCS-2"
