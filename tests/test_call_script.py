"""A prerecorded call says who calls and how to call back (T5), and offers a landline an
automated opt-out (T6): 47 CFR 64.1200(b) and (a)(3).

The identity comes first: the call script's first paragraph names the caller, and on a landline
it also tells how to stop the calls by a keypress, right after the name. The callback number is
said somewhere in the script. Without a configured caller the call is refused, never placed.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.gate.content import check_content
from worker.gate.packs.files import builtin_packs
from worker.intake import enroll
from worker.rendering.renderer import Rendered

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, outbox, run_until

FEDERAL = builtin_packs()["us-federal"]
T5 = f"us-federal/T5@{FEDERAL.version}"
T6 = f"us-federal/T6@{FEDERAL.version}"
OPT_OUT = "To stop calls to this number, press 9."
CONTEXT: dict[str, Any] = {
    "caller_name": "Harbour Services",
    "callback_number": "+1 800 555 0100",
    "call_opt_out": OPT_OUT,
}
SCRIPT = (
    f"Hello. This is an automated call from Harbour Services for Sam Lee. {OPT_OUT} If you are "
    "not Sam Lee, please hang up now.\n\nPlease call us on +1 800 555 0100."
)


def check(script: str, *checks: str, **context: Any) -> list[str]:
    rendered = Rendered("t", "voice", "en", script)
    return [
        f"{p.check}: {p.message}"
        for p in check_content(rendered, checks=set(checks), context={**CONTEXT, **context})
    ]


def test_the_pack_holds_the_identity_and_the_landline_opt_out_rules() -> None:
    t5, t6 = FEDERAL.rule("T5"), FEDERAL.rule("T6")
    assert (t5.kind, t5.content, t5.channels, t5.citation, t5.certainty) == (
        "content", "caller_identity", frozenset({"voice"}), "47 CFR 64.1200(b)(1)–(2)", "V"
    )  # fmt: skip
    assert (t6.kind, t6.content, t6.channels, t6.number_kinds) == (
        "content", "call_opt_out", frozenset({"voice"}), frozenset({"landline"})
    )  # fmt: skip


def test_a_script_that_names_the_caller_first_and_gives_the_number_passes() -> None:
    assert check(SCRIPT, "caller_identity", "call_opt_out") == []


@pytest.mark.parametrize(
    ("script", "context", "problems"),
    [
        ("Hello.\n\nThis is Harbour Services. Call +1 800 555 0100.", {},
         ["caller_identity: the call script does not name the caller 'Harbour Services' in its "
          "first paragraph"]),
        ("This is Harbour Services.\n\nGoodbye.", {},
         ["caller_identity: the call script lacks the callback number '+1 800 555 0100'"]),
        (SCRIPT, {"caller_name": None}, ["caller_identity: no caller name configured"]),
        (SCRIPT, {"callback_number": " "}, ["caller_identity: no callback number configured"]),
    ],
)  # fmt: skip
def test_the_caller_identity_check(
    script: str, context: dict[str, Any], problems: list[str]
) -> None:
    assert check(script, "caller_identity", **context) == problems


@pytest.mark.parametrize(
    ("script", "context", "problems"),
    [
        ("This is Harbour Services.\n\n" + OPT_OUT, {},
         [f"call_opt_out: the call script does not offer the opt-out {OPT_OUT!r} in its first "
          "paragraph"]),
        (SCRIPT, {"call_opt_out": None}, ["call_opt_out: no call opt-out text in the context"]),
    ],
)  # fmt: skip
def test_the_call_opt_out_check(script: str, context: dict[str, Any], problems: list[str]) -> None:
    assert check(script, "call_opt_out", **context) == problems


def test_calls_are_the_only_messages_these_checks_read() -> None:
    sms = Rendered("t", "sms", "en", "Hi.")
    assert check_content(sms, checks={"caller_identity", "call_opt_out"}, context=CONTEXT) == []


# --- through the pipeline --------------------------------------------------------------------

#: One call, on a schedule that names no caller (the test cadence's caller comes after its tiers):
#: only an account's vars can.
ONE_CALL = TEST_SCHEDULE.split("tiers:")[0] + (
    "tiers:\n  - name: t\n    steps:\n      - {day: 1, channel: voice, template: reminder_call}\n"
)
CALLER_VARS = {
    "business_name": "Harbour Services",
    "callback_number": "+1 800 555 0100",
    "contact_name": "Sam Carter",
}


def _run(app: Any, clock: SimulatedClock, **fields: Any) -> dict[str, Any]:
    enroll(app, parse_account(account(**fields)))
    run_until(app, clock, datetime(2026, 3, 2, 23, tzinfo=UTC))
    return dict(app.recorded[0])


def test_a_us_call_without_a_configured_caller_is_refused_citing_t5(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, ONE_CALL)
    first = _run(app, clock)
    assert (first["outcome"], first["reason"], first["rule"]) == (
        "suppressed",
        "template_noncompliant",
        T5,
    )
    assert outbox(app, "voice") == []


@pytest.mark.parametrize(("kind", "outcome"), [("landline", "suppressed"), ("mobile", "sent")])
def test_a_landline_call_without_the_keypress_opt_out_is_refused_citing_t6(
    redis_url: str,
    redis_client: object,
    tmp_path: Path,
    clock: SimulatedClock,
    kind: str,
    outcome: str,
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "reminder_call" / "voice.txt").write_text(
        "Hello. This is {{ caller_name }} calling for {{ name }}.\n\n"
        "Please call us on {{ callback_number }}.\n{{ disclosure or '' }}\n"
    )
    app = make_app(redis_url, tmp_path, clock, ONE_CALL, templates_dir=templates)
    phone = {"number": "+12125550123", "kind": kind, "voice_consent": True}
    first = _run(app, clock, phones=[phone], vars=CALLER_VARS)
    assert first["outcome"] == outcome
    if outcome == "suppressed":
        assert (first["reason"], first["rule"]) == ("template_noncompliant", T6)


def test_a_shipped_call_to_a_landline_goes_out_with_its_identity_number_and_opt_out(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, ONE_CALL)
    phone = {"number": "+12125550123", "kind": "landline", "voice_consent": True}
    first = _run(app, clock, phones=[phone], vars=CALLER_VARS)
    assert first["outcome"] == "sent"
    script = outbox(app, "voice")[0]["text"]
    opening = script.split("\n\n")[0]
    assert "Harbour Services" in opening and OPT_OUT in opening
    assert "+1 800 555 0100" in script
