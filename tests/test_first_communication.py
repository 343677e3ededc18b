"""The initial disclosure of 12 CFR 1006.18(e) goes where the rule puts it (F16).

The first written message (SMS or email) says "attempting to collect a debt and any information
obtained will be used for that purpose" until a written message has said it; a call says it
until a call that said it is known to have been answered. A placed call is not a communication
until its ``call_result`` says it was answered, and a limited-content voicemail never is one, so
neither uses up the initial disclosure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from worker.accounts.state import AccountState
from worker.cadence.schedule import parse_schedule
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.gate.content import content_requirements
from worker.gate.engine import Judgement
from worker.gate.packs.select import rules_for
from worker.intake import apply_event, enroll

from .pipeline_helpers import TEST_SCHEDULE, account, make_app, outbox, run_until

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
INITIAL = (
    "We are attempting to collect a debt and any information obtained will be used for that "
    "purpose."
)
SUBSEQUENT = "This communication is from a debt collector."
#: What a call needs to go out in the US: who calls and where to call back (T5), and a person
#: to ask for, so that its voicemail is a limited-content message (F17).
CALLER_VARS = {
    "business_name": "Harbour Services",
    "callback_number": "+1 800 555 0100",
    "contact_name": "Sam Carter",
}
#: A third-party collector calling on day 1 and texting on days 2 and 3, then calling on days 4
#: and 5: no cap of the test cadence holds any of them back.
CALL_THEN_TEXT = (
    TEST_SCHEDULE.replace("locale: en", "locale: en\ncollector: third_party")
    .replace("    - {channel: sms, limit: 2, per: 7d}\n", "")
    .split("tiers:")[0]
    + """tiers:
  - name: early
    steps:
      - {day: 1, channel: voice, template: reminder_call}
      - {day: 2, channel: sms, template: reminder}
      - {day: 3, channel: sms, template: reminder}
      - {day: 4, channel: voice, template: reminder_call}
      - {day: 5, channel: voice, template: reminder_call}
"""
)


def state(**fields: Any) -> AccountState:
    return AccountState(
        account=parse_account(account()),
        schedule="t",
        version="1",
        enrolled_at=NOW,
        updated_at=NOW,
        **fields,
    )


def disclosure(channel: str, s: AccountState) -> str | None:
    """The F16 text a message on ``channel`` is given for an account in state ``s``."""
    schedule = parse_schedule(CALL_THEN_TEXT, file="t.yaml")
    content = tuple(
        r for r in rules_for(schedule, s.account) if r.kind == "content" and r.covers(channel)
    )
    need = content_requirements(
        Judgement("allow", (), content=content),
        channel=channel,
        state=s,
        schedule=schedule,
        locale="en",
    )
    return need.disclosure


def test_a_text_after_a_call_of_unknown_result_still_carries_the_initial_disclosure() -> None:
    # One call placed, its result unknown: nothing was communicated yet.
    assert disclosure("sms", state(sent_count=1, last_call="A-1:early.1:0")) == INITIAL


def test_a_written_disclosure_moves_texts_and_emails_on_but_not_calls() -> None:
    s = state(sent_count=1, disclosed=["written"], communicated=["written"])
    assert (disclosure("sms", s), disclosure("email", s)) == (SUBSEQUENT, SUBSEQUENT)
    assert disclosure("voice", s) == INITIAL


def test_a_call_moves_on_only_once_a_call_that_disclosed_was_answered() -> None:
    s = state(sent_count=1, disclosed=["oral"], communicated=["oral"])
    assert (disclosure("voice", s), disclosure("sms", s)) == (SUBSEQUENT, INITIAL)


def _texts(app: Any, channel: str) -> list[str]:
    return [m["text"] for m in outbox(app, channel)]


def test_the_first_text_after_an_unanswered_call_carries_the_initial_disclosure(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, CALL_THEN_TEXT)
    enroll(app, parse_account(account(vars=CALLER_VARS)))
    run_until(app, clock, datetime(2026, 3, 3, 23, tzinfo=UTC))
    calls, texts = _texts(app, "voice"), _texts(app, "sms")
    assert len(calls) == 1 and INITIAL in calls[0]
    assert len(texts) == 1 and INITIAL in texts[0]  # the call was never answered
    run_until(app, clock, datetime(2026, 3, 4, 23, tzinfo=UTC))
    texts = _texts(app, "sms")
    assert len(texts) == 2 and SUBSEQUENT in texts[1] and INITIAL not in texts[1]


def test_a_call_says_the_initial_disclosure_until_a_call_is_answered(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock, CALL_THEN_TEXT)
    enroll(app, parse_account(account(vars=CALLER_VARS)))
    run_until(app, clock, datetime(2026, 3, 5, 23, tzinfo=UTC))
    calls = _texts(app, "voice")
    # Day 1's call went unanswered, so day 4's is still the first call that may be a
    # communication; the texts between them do not change that.
    assert len(calls) == 2 and INITIAL in calls[1]
    apply_event(
        app, parse_event({"account_id": "A-1", "type": "call_result", "result": "answered"})
    )
    run_until(app, clock, datetime(2026, 3, 6, 23, tzinfo=UTC))
    calls = _texts(app, "voice")
    assert len(calls) == 3 and SUBSEQUENT in calls[2] and INITIAL not in calls[2]
    assert app.store.require("A-1").disclosed == ["written", "oral"]
