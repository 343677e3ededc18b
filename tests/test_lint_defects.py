"""One test per defect class: lint catches it and names the file and line, in the exact
``file:line: level: message (fix: ...)`` form editors read (issue 9, "Done when")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli.main import app
from worker.lint.engine import lint
from worker.rendering.limits import RenderLimits

ROOT = Path(__file__).resolve().parent.parent
RENDER_FIX = (
    "(fix: fix the template so it renders for every account (guard optional values with {% if %}))"
)
#: A two-step schedule for people in the US; lines 10 and 11 are its steps.
SCHEDULE = """\
name: s
version: "1"
locale: en
send_time: "10:00"
country: US
licences: {US-CA: exempt}
tiers:
  - name: early
    steps:
      - {day: 1, channel: sms, template: reminder}
      - {day: 3, channel: email, template: reminder}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "schedules").mkdir()
    return tmp_path


def findings_for(root: Path, file: Path, limits: RenderLimits | None = None) -> list[str]:
    """The formatted findings of lint over ``root``'s templates and schedules, in ``file``."""
    found = lint(root / "templates", root / "schedules", limits=limits)
    return [f.format() for f in found if f.file == str(file)]


def write_sms(root: Path, text: str, name: str = "reminder") -> Path:
    sms = root / "templates" / name / "sms.txt"
    sms.write_text(text, encoding="utf-8")
    return sms


def test_an_undefined_variable_is_an_error_at_its_line(root: Path) -> None:
    sms = write_sms(root, "Hi.\n{{ nickname }}\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:2: error: reminder sms en: 'nickname' is undefined {RENDER_FIX}"
    ]


def test_an_undefined_variable_in_a_branch_the_sample_skips_is_found_all_the_same(
    root: Path,
) -> None:
    sms = write_sms(
        root, "Hi.\n{% if days_past_due < 0 %}\n{{ nmae }}\n{% endif %}\n{{ opt_out }}\n"
    )
    assert findings_for(root, sms) == [
        f"{sms}:3: error: 'nmae' is undefined (fix: use a variable templates/README.md lists, "
        "or vars.get('key'))"
    ]


def test_a_syntax_error_is_an_error_at_its_line(root: Path) -> None:
    sms = write_sms(root, "Hi.\n{{ opt_out }}\n{% if amount %}\n")
    assert findings_for(root, sms) == [
        f"{sms}:3: error: reminder sms en: syntax error: Unexpected end of template. Jinja was "
        "looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that "
        f"needs to be closed is 'if'. {RENDER_FIX}"
    ]


def test_a_sandbox_escape_is_an_error_at_its_line(root: Path) -> None:
    sms = write_sms(root, "Hi.\n{{ opt_out }}{{ name.__class__.__mro__ }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:2: error: reminder sms en: sandbox violation: access to attribute '__class__' "
        f"of 'str' object is unsafe. {RENDER_FIX}"
    ]


def test_a_sandbox_escape_in_a_branch_the_sample_skips_is_found_all_the_same(root: Path) -> None:
    sms = write_sms(root, "{% if not amount %}\n{{ vars.mro }}{% endif %}{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:2: error: sandbox violation: 'mro' is not reachable from a template (fix: "
        "templates see only the variables templates/README.md lists)"
    ]


def test_an_unknown_filter_is_an_error_at_its_line_even_in_a_skipped_branch(root: Path) -> None:
    sms = write_sms(
        root, "Hi.\n{% if not amount %}{{ amount_due | mony }}{% endif %}\n{{ opt_out }}\n"
    )
    assert findings_for(root, sms) == [
        f"{sms}:2: error: no filter named 'mony' (fix: use a filter templates/README.md lists "
        "(money, date, days, first_name, masked, or one of Jinja's))"
    ]


def test_the_editor_filters_are_known_to_lint(root: Path) -> None:
    body = (
        "{{ name | first_name }}: {{ amount_due | money }} due {{ due_date | date('short') }}, "
        "{{ days_past_due | days }} ago, ref {{ reference | masked }}.\n{{ opt_out }}\n"
    )
    sms = write_sms(root, body)
    assert findings_for(root, sms) == []


def test_a_missing_opt_out_is_an_error_naming_the_file(root: Path) -> None:
    sms = write_sms(root, "Hi {{ name }}, please pay.\n")
    assert findings_for(root, sms) == [
        f"{sms}:1: error: reminder sms en: the SMS lacks the opt-out instruction 'Reply STOP to "
        "opt out.' (fix: add what the message lacks)"
    ]


def test_a_missing_disclosure_fails_a_debt_collectors_schedule_for_every_place(root: Path) -> None:
    (root / "schedules" / "s.yaml").write_text(SCHEDULE + "collector: third_party\n")
    sms = write_sms(root, "Hi {{ name }}, please pay.\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:1: error: reminder sms en as sent by s@1 ({root}/schedules/s.yaml:10): the SMS "
        "lacks the debt-collector disclosure, required by us-federal/F16@2026-11-29 (for a person "
        "in US, US-CA, US-MA, US-WA) (fix: print {% if disclosure %}{{ disclosure }}{% endif %} "
        "in the message)"
    ]


def test_a_missing_licence_number_fails_a_schedule_that_reaches_california(root: Path) -> None:
    schedule = SCHEDULE.replace("{US-CA: exempt}", "{US-CA: '10012345'}")
    (root / "schedules" / "s.yaml").write_text(schedule)
    sms = write_sms(root, "Hi {{ name }}, please pay.\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:1: error: reminder sms en as sent by s@1 ({root}/schedules/s.yaml:10): the SMS "
        "lacks the licence number '10012345', required by us-ca/CA1@2026-11-29 (for a person in "
        "US-CA) (fix: print {% if licence_number %}{{ licence_number }}{% endif %} in the "
        "message, and set the schedule's licences)"
    ]


WORDING_FIX = (
    "(fix: take the threat or claim out; say only what will lawfully happen, e.g. 'we may "
    "report the debt to credit bureaus')"
)


def test_english_forbidden_wording_is_an_error_at_its_line(root: Path) -> None:
    sms = write_sms(root, "Hi.\nPay or go to jail.\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:2: error: says 'jail', forbidden by uk/UK-wording@2026-11-29 (FCA CONC 7.9.7R "
        "(third parties); CONC 7 (threats, paragraph unverified)): No threats of arrest or "
        "seizure, no threats to tell the employer or the family; us-federal/F-wording@2026-11-29 "
        "(15 U.S.C. 1692d, 1692e(4), (5), (7); 12 CFR 1006.14, 1006.18): No threats of arrest, "
        f"jail or seizure, no claims of a crime, no threats to tell others {WORDING_FIX}"
    ]


def test_chinese_forbidden_wording_is_an_error_at_its_line(root: Path) -> None:
    sms = root / "templates" / "cn_gentle" / "sms.zh-Hans.txt"
    sms.write_text("{{ name }}您好。\n否则将通知公安。\n{{ opt_out }}\n", encoding="utf-8")
    assert findings_for(root, sms) == [
        f"{sms}:2: error: says '公安', forbidden by cn/CN-wording@2026-11-29 (中国银行业协会"
        "《金融机构个人消费类贷款催收工作指引（试行）》2026): No threats of detention or prison, "
        "no police, no contacting the address book or employer, no exposure "
        f"{WORDING_FIX}"
    ]


def test_a_character_that_forces_ucs2_is_a_warning_with_its_line_and_column(root: Path) -> None:
    sms = write_sms(root, "Hi {{ name }}.\nThanks \U0001f600\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:2: warning: U+1F600 GRINNING FACE at column 8 forces UCS-2: no extra segment in "
        "the sample, but 70 characters a segment, not 160 (fix: use GSM-7 characters only "
        "(letters, digits, plain punctuation))"
    ]


def test_an_sms_over_the_schedules_segment_limit_is_an_error_naming_the_schedule(
    root: Path,
) -> None:
    (root / "schedules" / "s.yaml").write_text(SCHEDULE + "sms_max_segments: 1\n")
    sms = write_sms(root, "{{ 'x' * 150 }} {{ name }}.\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:1: error: reminder sms en as sent by s@1 ({root}/schedules/s.yaml:10): the SMS "
        "takes up to 2 segments (182 GSM-7 units), over the schedule's sms_max_segments of 1: "
        "it is never sent (for a person in US, US-CA, US-MA, US-WA) (fix: shorten it, or raise "
        f"sms_max_segments in {root}/schedules/s.yaml)"
    ]


def test_a_schedule_that_allows_more_segments_lets_a_longer_sms_pass(root: Path) -> None:
    (root / "schedules" / "s.yaml").write_text(SCHEDULE + "sms_max_segments: 5\n")
    sms = write_sms(root, "{{ 'x' * 600 }}\n{{ opt_out }}\n")
    assert findings_for(root, sms) == []  # no default-limit warning either: s allows 5


def test_a_missing_locale_is_an_error_at_the_steps_line(root: Path) -> None:
    (root / "schedules" / "s.yaml").write_text(SCHEDULE + "locales: [zh-Hans, zh-Hant]\n")
    (root / "templates" / "reminder" / "sms.zh-Hant.txt").unlink()
    schedule = root / "schedules" / "s.yaml"
    assert findings_for(root, schedule) == [
        f"{schedule}:10: error: s@1 early.1: template 'reminder' has no sms.txt in zh-Hant for "
        "its sms step: a zh-Hant person gets sms.txt (fix: add the zh-Hant translation of "
        "sms.txt, or take zh-Hant out of the schedule's locales)"
    ]


def test_a_step_without_its_fallback_part_is_an_error_at_its_line(root: Path) -> None:
    schedule = root / "schedules" / "s.yaml"
    schedule.write_text(
        SCHEDULE.replace(
            "channel: email, template: reminder",
            "channel: email, template: reminder, fallback: voice",
        )
    )
    assert findings_for(root, schedule) == [
        f"{schedule}:11: error: s@1 early.2: template 'reminder' has no voice.txt for its voice "
        "fallback (fix: add voice.txt to templates/reminder/, or change the step)"
    ]


class TickingClock:
    """A monotonic clock that moves one millisecond each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


def test_a_render_over_the_time_limit_is_an_error_at_its_line(root: Path) -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    sms = write_sms(root, "Hi.\n" + loop + "\n{{ opt_out }}\n")
    clock = TickingClock()
    found = findings_for(root, sms, limits=RenderLimits(seconds=0.5, monotonic=clock))
    assert found == [
        f"{sms}:2: error: reminder sms en: render took longer than 0.5 s (loops too large?) "
        f"{RENDER_FIX}"
    ]


def test_a_render_over_the_size_limit_is_an_error_at_its_line(root: Path) -> None:
    sms = write_sms(root, "Hi.\n{{ 'x' * 200000000 }}\n{{ opt_out }}\n")
    assert findings_for(root, sms) == [
        f"{sms}:2: error: reminder sms en: a repetition longer than 200000 characters {RENDER_FIX}"
    ]


def test_schedules_check_reports_the_same_missing_locale(root: Path) -> None:
    (root / "schedules" / "s.yaml").write_text(SCHEDULE + "locales: [zh-Hant]\n")
    (root / "templates" / "reminder" / "sms.zh-Hant.txt").unlink()
    env = {
        "REMIND_SCHEDULES_DIR": str(root / "schedules"),
        "REMIND_TEMPLATES_DIR": str(root / "templates"),
        "COLUMNS": "400",
    }
    result = CliRunner().invoke(app, ["schedules", "check"], env=env)
    assert result.exit_code == 1
    assert (
        f"fail {root}/schedules/s.yaml:10: error: s@1 early.1: template 'reminder' has no "
        "sms.txt in zh-Hant for its sms step"
    ) in result.output


def test_a_schedule_that_does_not_load_is_an_error_at_its_line(root: Path) -> None:
    schedule = root / "schedules" / "s.yaml"
    schedule.write_text(SCHEDULE.replace("channel: email", "channel: fax"))
    assert findings_for(root, schedule) == [
        f"{schedule}:11: error: tiers.0.steps.1.channel: must be one of sms, email, voice, visit, "
        "not 'fax' (fix: fix the schedule)"
    ]
