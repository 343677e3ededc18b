"""`remind templates lint`: one engine, findings as file:line: level: message, exit 1 on errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli.main import app
from worker.gate.packs.files import builtin_packs
from worker.lint.engine import lint
from worker.lint.findings import Finding
from worker.lint.wording import find_wording

ROOT = Path(__file__).resolve().parent.parent
FEDERAL = builtin_packs()["us-federal"].rule("F-wording")
CN = builtin_packs()["cn"].rule("CN-wording")
UK = builtin_packs()["uk"].rule("UK-wording")


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["templates", "lint", *args], env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_the_shipped_templates_lint_clean() -> None:
    assert lint(ROOT / "templates") == []
    # ...against the shipped schedules too: every locale they declare, every place's packs.
    assert lint(ROOT / "templates", ROOT / "schedules") == []
    code, output = run(str(ROOT / "templates"), "--schedules", str(ROOT / "schedules"))
    assert (code, output.strip()) == (0, "0 error(s), 0 warning(s)")


def test_a_threat_planted_in_a_shipped_sms_fails_lint_naming_its_file_and_line(
    templates: Path,
) -> None:
    sms = templates / "friendly_nudge" / "sms.txt"
    lines = sms.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "Pay today or the police will arrest you.")
    sms.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = run(str(templates))
    assert code == 1
    assert f"{sms}:3: error: says 'police', forbidden by uk/UK-wording@" in output
    assert "us-federal/F-wording@2026-11-29 (15 U.S.C. 1692d, 1692e(4), (5), (7)" in output
    assert f"{sms}:3: error: says 'arrest'" in output
    assert "(fix: take the threat or claim out;" in output


def test_a_chinese_threat_fails_lint_in_a_chinese_file(templates: Path) -> None:
    sms = templates / "cn_gentle" / "sms.zh-Hans.txt"
    sms.write_text(sms.read_text(encoding="utf-8") + "逾期将曝光至您的通讯录。\n", encoding="utf-8")
    line = len(sms.read_text(encoding="utf-8").splitlines())
    found = [f for f in lint(templates) if f.level == "error"]
    assert [(f.file, f.line, f.message.split(",")[0]) for f in found] == [
        (str(sms), line, "says '曝光'"),
        (str(sms), line, "says '通讯录'"),
    ]


def test_a_lawful_phrasing_on_the_allow_list_is_not_a_finding() -> None:
    assert find_wording("You will not be arrested for this debt.", "en", [FEDERAL]) == []
    assert find_wording("我们不会通知单位。", "zh-Hans", [CN]) == []
    assert [h.phrase for h in find_wording("You will be arrested.", "en", [FEDERAL])] == [
        "arrested"
    ]


def test_phrases_match_whole_words_and_only_in_their_language() -> None:
    assert find_wording("See our privacy policy.", "en", [FEDERAL]) == []
    assert find_wording("Police", "zh-Hant", [FEDERAL]) == []  # en phrases, zh file
    assert [h.phrase for h in find_wording("公安", "zh-Hant", [CN])] == ["公安"]
    assert [h.line for h in find_wording("a\nb\nTell   your\temployer", "en-GB", [FEDERAL])] == [3]


def test_a_phrase_only_an_unverified_rule_forbids_only_warns(templates: Path) -> None:
    hits = find_wording("Pay or we call the police.", "en", [UK])
    assert [(h.phrase, [r.certainty for r in h.rules]) for h in hits] == [("police", ["U"])]
    from worker.lint.wording import wording_findings

    assert [f.level for f in wording_findings("f", hits)] == ["warning"]


def test_a_field_agents_brief_may_name_the_police_it_must_not_pretend_to_be() -> None:
    # templates/cn_field_visit/visit.txt tells the agent never to pretend to be the police: a
    # visit brief is read by the agent, not sent, so no wording rule covers the visit channel.
    text = (ROOT / "templates" / "cn_field_visit" / "visit.txt").read_text(encoding="utf-8")
    assert "police" in text
    assert not any(r.covers("visit") for r in (FEDERAL, CN, UK))


def test_a_character_that_forces_ucs2_is_named_with_its_column_and_cost(templates: Path) -> None:
    sms = templates / "reminder" / "sms.txt"
    sms.write_text("Hi {{ name }} \U0001f600 and \u201cthanks\u201d.\n{{ opt_out }}\n")
    found = [f for f in lint(templates) if f.file == str(sms)]
    assert [f.format() for f in found] == [
        f"{sms}:1: warning: U+1F600 GRINNING FACE at column 15 forces UCS-2: no extra segment "
        "in the sample, but 70 characters a segment, not 160 (fix: use GSM-7 characters only "
        "(letters, digits, plain punctuation))",
        f"{sms}:1: warning: U+201C LEFT DOUBLE QUOTATION MARK at column 21 would force UCS-2; "
        "it is sent as '\"' (fix: write '\"', so the file says what is sent)",
        f"{sms}:1: warning: U+201D RIGHT DOUBLE QUOTATION MARK at column 28 would force UCS-2; "
        "it is sent as '\"' (fix: write '\"', so the file says what is sent)",
    ]
    code, _ = run(str(templates))
    assert code == 0  # warnings only


def test_an_emoji_that_pushes_an_sms_over_a_segment_says_what_it_costs(templates: Path) -> None:
    sms = templates / "reminder" / "sms.txt"
    sms.write_text("x" * 100 + " \U0001f600\n{{ opt_out }}\n")
    found = [f.message for f in lint(templates) if f.file == str(sms)]
    assert found == [
        "U+1F600 GRINNING FACE at column 102 forces UCS-2: the sample takes 2 segments "
        "instead of 1 (+1)"
    ]


def test_an_sms_over_twilios_1600_characters_is_an_error(templates: Path) -> None:
    sms = templates / "reminder" / "sms.txt"
    sms.write_text("{{ 'x' * 1700 }}\n{{ opt_out }}\n")
    found = [f for f in lint(templates) if f.file == str(sms)]
    assert [(f.level, f.message[:40]) for f in found] == [
        ("error", "the SMS is 1723 characters, over Twilio'")
    ]


def test_an_sms_over_three_segments_warns_with_the_schedule_key_to_raise(templates: Path) -> None:
    sms = templates / "reminder" / "sms.txt"
    sms.write_text("{{ 'x' * 600 }}\n{{ opt_out }}\n")
    (found,) = [f for f in lint(templates) if f.file == str(sms)]
    assert (found.level, found.fix) == (
        "warning",
        "shorten it, or set sms_max_segments: 5 in the schedule",
    )


def test_a_template_that_fails_to_render_is_an_error_at_its_line(templates: Path) -> None:
    sms = templates / "reminder" / "sms.txt"
    sms.write_text("Hi.\n{{ nickname }}\n{{ opt_out }}\n")
    (found,) = [f for f in lint(templates) if f.file == str(sms)]
    assert (found.line, found.level, found.message) == (
        2,
        "error",
        "reminder sms en: 'nickname' is undefined",
    )


def test_json_output_lists_the_findings(templates: Path) -> None:
    (templates / "reminder" / "sms.txt").write_text("Jail.\n{{ opt_out }}\n")
    code, output = run(str(templates), "--json")
    findings = [Finding(**item) for item in json.loads(output)]
    assert code == 1
    assert [(f.line, f.level, f.message[:12]) for f in findings] == [(1, "error", "says 'jail',")]
