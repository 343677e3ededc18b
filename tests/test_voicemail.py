"""A limited-content voicemail (12 CFR 1006.2(j), F17) is checked by construction.

The voicemail must be exactly a sequence of the permitted phrases of its language, with the
caller's business name, the callback number and the contact's name put in; it must hold the
four things the rule requires (business name, request to reply, a person to ask for, a number),
and the business name must not say debt collection. Anything else, however it is worded, makes
it a communication that may reveal the debt to whoever hears it, so the call is refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.gate.content import ContentProblem, check_content
from worker.gate.packs.files import builtin_packs
from worker.intake import enroll
from worker.rendering.renderer import Rendered

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, outbox, run_until

CALLER = {
    "caller_name": "Harbour Services",
    "callback_number": "+1 800 555 0100",
    "contact_name": "Sam Carter",
}
#: The same caller, as an account's vars give it.
VARS = {
    "business_name": "Harbour Services",
    "callback_number": "+1 800 555 0100",
    "contact_name": "Sam Carter",
}
CONTEXT: dict[str, Any] = {
    **CALLER,
    "name": "Ana Lopez",
    "amount": "$1,250.00",
    "creditor": "Northwind Credit Union",
    "reference": "NW-4417",
    "payment_url": "https://pay.example/NW-4417",
}
ONE_CALL = (
    "tiers:\n  - name: t\n    steps:\n      - {day: 1, channel: voice, template: reminder_call}\n"
)
F17 = f"us-federal/F17@{builtin_packs()['us-federal'].version}"
GOOD = {
    "en": "Hello. This is Sam Carter calling from Harbour Services. Please call us back on "
    "+1 800 555 0100. You can ask for Sam Carter or any of our representatives.",
    "zh-Hans": "您好，这里是Harbour Services的Sam Carter。请您方便时回电，号码是+1 800 555 0100。"
    "您可以找Sam Carter或任何一位客服人员。",
    "zh-Hant": "您好，這裡是Harbour Services的Sam Carter。請您方便時回電，號碼是+1 800 555 0100。"
    "您可以找Sam Carter或任何一位客服人員。",
}


def check(voicemail: str, locale: str = "en", **context: Any) -> list[str]:
    rendered = Rendered("t", "voice", locale, "Hello.", voicemail=voicemail)
    problems = check_content(rendered, checks={"voicemail_limited"}, context={**CONTEXT, **context})
    assert all(p.check == "voicemail_limited" for p in problems)
    return [p.message for p in problems]


@pytest.mark.parametrize("locale", sorted(GOOD))
def test_a_voicemail_built_from_the_permitted_phrases_passes(locale: str) -> None:
    assert check(GOOD[locale], locale) == []


def test_line_breaks_and_spaces_between_phrases_do_not_matter() -> None:
    assert check(GOOD["en"].replace(". ", ".\n\n  ")) == []


def test_a_voicemail_that_names_the_debt_in_words_no_list_holds_is_refused() -> None:
    text = "Hello. This is Acme Recovery about your unpaid bill. Call us before legal action."
    assert check(text, caller_name="Acme Recovery") == [
        "the business name 'Acme Recovery' says debt collection ('Recovery')",
        "the voicemail says 'This is Acme Recovery about your unpaid…', which is none of the "
        "phrases a limited-content message may hold",
    ]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("It is about your bill.", "It is about your bill."),
        ("Thank you, Ana Lopez.", "Thank you, Ana Lopez."),  # not even the person's name
        ("Hello Ana Lopez.", "Hello Ana Lopez."),
        ("Call +1 800 555 0199.", "Call +1 800 555 0199."),  # only the configured number
    ],
)
def test_one_sentence_beyond_the_permitted_phrases_is_refused(extra: str, said: str) -> None:
    assert check(f"{GOOD['en']} {extra}") == [
        f"the voicemail says {said!r}, which is none of the phrases a limited-content message "
        "may hold"
    ]


@pytest.mark.parametrize(
    ("text", "lacking"),
    [
        ("Hello. Please call us back on +1 800 555 0100.",
         ["the business name", "a person to ask for"]),
        ("This is a message from Harbour Services. Please call us back.",
         ["a person to ask for", "the callback number"]),
        ("This is Sam Carter calling from Harbour Services. Our number is +1 800 555 0100.",
         ["a request to call back"]),
    ],
)  # fmt: skip
def test_a_voicemail_without_all_four_required_items_is_refused(
    text: str, lacking: list[str]
) -> None:
    assert check(text) == [f"the voicemail lacks {item}" for item in lacking]


def test_without_a_configured_caller_no_phrase_can_name_one() -> None:
    assert check(GOOD["en"], caller_name=None, contact_name=None) == [
        "the voicemail says 'This is Sam Carter calling from Harbour…', which is none of the "
        "phrases a limited-content message may hold"
    ]


@pytest.mark.parametrize(
    ("locale", "key", "value", "problem"),
    [
        ("en", "caller_name", "Harbour Debt Services",
         "the business name 'Harbour Debt Services' says debt collection ('Debt')"),
        ("zh-Hans", "caller_name", "海港催收",
         "the business name '海港催收' says debt collection ('催收')"),
        ("en", "contact_name", "Sam 4417", "the contact name 'Sam 4417' is not a person's name"),
        ("en", "callback_number", "call us",
         "the callback number 'call us' is not a telephone number"),
    ],
)  # fmt: skip
def test_the_values_put_into_the_phrases_are_checked_too(
    locale: str, key: str, value: str, problem: str
) -> None:
    text = GOOD[locale].replace(CALLER[key], value)
    assert check(text, locale, **{key: value}) == [problem]


def test_an_empty_voicemail_leaves_no_message_and_passes() -> None:
    assert check("  \n") == []


# --- through the pipeline --------------------------------------------------------------------


def test_a_call_whose_voicemail_says_more_is_suppressed_citing_f17(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "reminder_call" / "voicemail.txt").write_text(
        "Hello. This is Acme Recovery about your unpaid bill. Call us before legal action.\n"
    )
    schedule = TEST_SCHEDULE.split("tiers:")[0] + ONE_CALL
    app = make_app(redis_url, tmp_path, clock, schedule, templates_dir=templates)
    enroll(app, parse_account(account(vars=VARS)))
    run_until(app, clock, datetime(2026, 3, 2, 23, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["outcome"], first["reason"], first["rule"]) == (
        "suppressed",
        "template_noncompliant",
        F17,
    )
    assert outbox(app, "voice") == []


def test_problem_type_is_shared_with_the_other_checks() -> None:
    assert ContentProblem("voicemail_limited", "x").check == "voicemail_limited"


def test_templates_lint_reports_a_voicemail_beyond_the_permitted_phrases(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "final_call" / "voicemail.txt").write_text(
        "Hello. This is {{ contact_name }} calling from {{ caller_name }} about your bill. "
        "Please call us back on {{ callback_number }}.\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "worker.cli", "templates", "lint"],
        env={**os.environ, "REMIND_TEMPLATES_DIR": str(templates), "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert (
        f"{templates}/final_call/voice.txt:1: error: final_call voice en: the voicemail says "
        "'This is Sam Carter calling from Harbour…'" in done.stdout
    )
    assert "reminder_call" not in done.stdout
