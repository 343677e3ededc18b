"""What a message must say is the gate's to decide: the checks, the rule each cites, the values.

A message that lacks its opt-out is refused citing the rule that asks for it: F10 in the US,
the house rule ``house/opt-out@<schedule version>`` where no pack asks for it.
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

from worker.accounts.state import AccountState
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.gate.content import content_requirements
from worker.gate.engine import Judgement
from worker.gate.packs.files import builtin_packs
from worker.gate.packs.select import rules_for
from worker.intake import enroll

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, outbox, run_until

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
FEDERAL = builtin_packs()["us-federal"].version
F10 = f"us-federal/F10@{FEDERAL}"
F16 = f"us-federal/F16@{FEDERAL}"
CA1 = f"us-ca/CA1@{builtin_packs()['us-ca'].version}"
UK_PHONE = {"number": "+447700900123", "kind": "mobile", "sms_consent": True}
CA_ADDRESS = {"line1": "1 Main St", "city": "Fresno", "region": "CA", "postal_code": "93701"}


def requirements(  # type: ignore[no-untyped-def]
    channel: str,
    *,
    collector: str = "creditor",
    disclosed: tuple[str, ...] = (),
    licence: str | None = "10012345",
    **acct: Any,
):
    """What an SMS/email/... to ``account(**acct)`` must carry, under schedule ``t``, once the
    initial disclosure was given in the media ``disclosed``; calls go to its first phone."""
    text = TEST_SCHEDULE.replace("locale: en", f"locale: en\ncollector: {collector}")
    if licence is not None:
        text += f'licences: {{US-CA: "{licence}"}}\n'
    schedule = parse_schedule(text, file="t.yaml")
    a = parse_account(account(**acct))
    state = AccountState(
        account=a,
        schedule="t",
        version="1",
        enrolled_at=NOW,
        updated_at=NOW,
        sent_count=len(disclosed),
        disclosed=list(disclosed),
    )
    kind = a.phones[0].kind if a.phones else None
    content = tuple(
        r
        for r in rules_for(schedule, a)
        if r.kind == "content"
        and r.covers(channel)
        and (not r.collectors or collector in r.collectors)
        and (not r.number_kinds or kind in r.number_kinds)
    )
    judgement = Judgement("allow", (), content=content)
    return content_requirements(
        judgement, channel=channel, state=state, schedule=schedule, locale="en"
    )


def test_a_us_sms_must_carry_the_opt_out_that_f10_asks_for() -> None:
    need = requirements("sms")
    assert (dict(need.rules), need.disclosure, need.licence_number) == (
        {"opt_out": F10},
        None,
        None,
    )


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_where_no_pack_asks_for_the_opt_out_the_house_does(channel: str) -> None:
    need = requirements(channel, timezone="Europe/London", phones=[UK_PHONE])
    assert dict(need.rules) == {"opt_out": "house/opt-out@1"}


def test_calls_and_visits_need_no_opt_out() -> None:
    assert dict(requirements("voice").rules) == {
        "voicemail_limited": f"us-federal/F17@{FEDERAL}",
        "caller_identity": f"us-federal/T5@{FEDERAL}",
    }
    landline = {"number": "+12125550123", "kind": "landline", "voice_consent": True}
    assert requirements("voice", phones=[landline]).rules["call_opt_out"] == (
        f"us-federal/T6@{FEDERAL}"
    )
    assert dict(requirements("visit").rules) == {}


@pytest.mark.parametrize(
    ("disclosed", "text"),
    [
        ((), "We are attempting to collect a debt and any information obtained will be used for "
            "that purpose."),
        (("written",), "This communication is from a debt collector."),
    ],
)  # fmt: skip
def test_a_collector_discloses_itself_initially_then_in_the_subsequent_words(
    disclosed: tuple[str, ...], text: str
) -> None:
    need = requirements("sms", collector="third_party", disclosed=disclosed)
    assert dict(need.rules) == {"opt_out": F10, "disclosure": F16}
    assert need.disclosure == text


def test_the_licence_number_is_required_where_the_schedule_configures_one() -> None:
    need = requirements("sms", address=CA_ADDRESS)
    assert (need.rules.get("licence"), need.licence_number) == (CA1, "10012345")


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_licence_rule_without_a_configured_number_still_requires_one_and_so_fails(
    channel: str,
) -> None:
    need = requirements(channel, licence=None, address=CA_ADDRESS)
    assert (need.rules.get("licence"), need.licence_number) == (CA1, None)


def test_a_schedule_that_declares_itself_exempt_needs_no_licence_number() -> None:
    need = requirements("sms", licence="exempt", address=CA_ADDRESS)
    assert (dict(need.rules), need.licence_number) == ({"opt_out": F10}, None)


# --- through the pipeline ----------------------------------------------------------------------

BARE_SCHEDULE = TEST_SCHEDULE.replace("template: friendly_nudge}", "template: bare}", 1)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """The shipped templates, plus ``bare`` (no opt-out) and ``broken`` (an unknown variable)."""
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    (folder / "bare").mkdir()
    (folder / "bare" / "sms.txt").write_text("Hi {{ name }}, please pay {{ amount }}.\n")
    (folder / "broken").mkdir()
    (folder / "broken" / "sms.txt").write_text("Hi {{ nickname }}.\n{{ opt_out }}\n")
    return folder


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({}, F10),
        # an address in Germany, where no pack asks for an opt-out (and a number with no country)
        ({"timezone": "Europe/London", "address": {"country": "DE"}, "phones": [UK_PHONE]},
         "house/opt-out@1"),
    ],
)  # fmt: skip
def test_a_message_without_its_opt_out_is_suppressed_citing_the_rule_that_asks_for_it(  # type: ignore[no-untyped-def]
    redis_url: str,
    redis_client: object,
    tmp_path: Path,
    clock: SimulatedClock,
    templates,
    fields,
    rule,
) -> None:
    app = make_app(redis_url, tmp_path, clock, BARE_SCHEDULE, templates_dir=templates)
    enroll(app, parse_account(account(**fields)))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["step"], first["outcome"], first["reason"], first["rule"]) == (
        "early.1",
        "suppressed",
        "template_noncompliant",
        rule,
    )
    assert len(app.recorded) == 1
    assert app.store.require("A-1").cursor == 1  # the cadence goes on with the next step
    assert outbox(app, "sms") == []


def test_a_template_that_fails_to_render_is_suppressed_as_a_template_error(  # type: ignore[no-untyped-def]
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock, templates
) -> None:
    schedule = TEST_SCHEDULE.replace("template: friendly_nudge}", "template: broken}", 1)
    app = make_app(redis_url, tmp_path, clock, schedule, templates_dir=templates)
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["outcome"], first["reason"], first["rule"]) == (
        "suppressed",
        "template_error",
        "content/template_error@1",
    )
    assert outbox(app, "sms") == []


def test_templates_lint_reports_a_template_without_its_opt_out(templates: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "worker.cli", "templates", "lint"],
        env={**os.environ, "REMIND_TEMPLATES_DIR": str(templates), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert (
        f"{templates}/bare/sms.txt:1: error: bare sms en: the SMS lacks the opt-out instruction "
        "'Reply STOP to opt out.'" in done.stdout
    )
    assert "friendly_nudge" not in done.stdout
