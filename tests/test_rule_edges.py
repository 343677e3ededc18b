"""Each jurisdiction rule at its edges, judged by the production gate on the real Redis.

The schedule here is permissive on purpose (open all day, no caps), so every deferral below is
the rule pack's doing, and each test names the rule that must decide.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.dispatch.pipeline import evaluate_step
from worker.gate.calls import record_call_result
from worker.gate.counters import cap_key, cap_spec
from worker.gate.decide import Decision
from worker.gate.packs.files import find_pack
from worker.gate.types import Target
from worker.intake import apply_event, enroll
from worker.storage import keys

from .pipeline_helpers import account, make_app

OPEN_SCHEDULE = """\
name: t
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "00:00", end: "23:59"}
tiers:
  - name: early
    steps:
      - {day: 1, channel: voice, template: reminder_call}
      - {day: 2, channel: sms, template: reminder}
      - {day: 3, channel: email, template: reminder}
"""

NY = {"timezone": "America/New_York"}


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    return make_app(redis_url, tmp_path, clock, schedule=OPEN_SCHEDULE)


def enrolled(app: App, **fields: Any) -> str:
    data = account(**fields)
    enroll(app, parse_account(data))
    return str(data["account_id"])


def judge_at(app: App, account_id: str, at: datetime, step_index: int = 0) -> Decision:
    state = app.store.require(account_id)
    schedule = app.pinned_schedule(state.schedule_ref)
    return evaluate_step(app, state, schedule, schedule.occurrences[step_index], at)


def prefill(
    app: App,
    account_id: str,
    pack: str,
    rule_id: str,
    instants: list[datetime],
    *,
    channel: str = "voice",
    result: str | None = None,
    zone: str = "America/New_York",
    first: int = 0,
) -> None:
    """Record sends under one rule's counter through the production Lua reservation."""
    state = app.store.require(account_id)
    rule = find_pack(pack).rule(rule_id)
    phone = state.account.phones[0]
    target = Target(channel, phone.number, phone.kind, True)
    key = cap_key(rule, state, target)
    assert key is not None
    for n, t in enumerate(instants, start=first):
        spec = cap_spec(rule, key, t, zone)
        res = app.caps.reserve_specs(
            person_id=state.person_id, dispatch_id=f"{account_id}:x:{n}", specs=[spec], now=t
        )
        assert res.status == "ok", (n, res)
        if channel == "voice" and rule.counts != {"sent"}:
            # as count_after_send does: remember the log, so a call result can move the call
            app.client.hset(
                keys.call_counts(state.person_id, f"{account_id}:x:{n}"),
                key,
                f"{t.timestamp()}|{','.join(sorted(rule.counts))}",
            )
        if result is not None:
            record_call_result(app.client, state.person_id, f"{account_id}:x:{n}", result)


def event(app: App, account_id: str, type_: str, **fields: Any) -> None:
    apply_event(app, parse_event({"account_id": account_id, "type": type_, **fields}))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def deciding(d: Decision) -> tuple[str, str | None]:
    """The decision's action and deciding rule without its pack version."""
    return d.action, d.rule.split("@", 1)[0] if d.rule else None


# --- US federal ----------------------------------------------------------------------------


def test_f1_the_seventh_call_in_seven_days_is_allowed(app: App) -> None:
    a = enrolled(app, **NY)
    first = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F1", [first + timedelta(days=d) for d in range(6)])
    d = judge_at(app, a, first + timedelta(days=6))
    assert d.action == "allow"


def test_f1_the_eighth_call_waits_for_the_instant_the_first_leaves_the_window(app: App) -> None:
    a = enrolled(app, **NY)
    first = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F1", [first + timedelta(days=d) for d in range(7)])
    d = judge_at(app, a, first + timedelta(days=6, hours=1))
    assert (d.action, d.reason, d.rule, d.at) == (
        "defer",
        "cap",
        "us-federal/F1@2026-11-29",
        first + timedelta(days=7),
    )
    assert judge_at(app, a, first + timedelta(days=7) - timedelta(seconds=1)).action == "defer"
    assert judge_at(app, a, first + timedelta(days=7)).action == "allow"


def test_f1_counts_per_debt_so_another_debt_of_the_person_is_not_held(app: App) -> None:
    a = enrolled(app, account_id="A-1", person_id="P", debt_id="D1", **NY)
    b = enrolled(app, account_id="A-2", person_id="P", debt_id="D2", **NY)
    first = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F1", [first + timedelta(days=d) for d in range(7)])
    assert judge_at(app, a, first + timedelta(days=6, hours=1)).action == "defer"
    assert judge_at(app, b, first + timedelta(days=6, hours=1)).action == "allow"


def test_f2_a_conversation_on_day_1_blocks_calls_through_day_7(app: App) -> None:
    a = enrolled(app, **NY)
    event(app, a, "conversation", channel="voice", at="2026-03-02T15:00:00Z")
    d = judge_at(app, a, utc(2026, 3, 9, 0, 30))  # day 7: 2026-03-08 20:30 EDT
    # day 8 starts at local midnight; F7 then opens the window at 08:00 EDT
    assert (d.action, d.reason, d.rule, d.at) == (
        "defer",
        "cooldown",
        "us-federal/F2@2026-11-29",
        utc(2026, 3, 9, 12),
    )
    assert judge_at(app, a, utc(2026, 3, 9, 12)).action == "allow"


def test_f2_counts_the_seven_days_in_every_zone_the_person_may_be_in(app: App) -> None:
    # Los Angeles on the timezone field, a Boston address: the conversation at 20:30 PST on
    # March 9 is March 10 in Boston, so day 8 starts at midnight of March 17 Boston time
    a = enrolled(
        app,
        timezone="America/Los_Angeles",
        address={"country": "US", "region": "MA", "city": "Boston", "postal_code": "02108"},
    )
    event(app, a, "conversation", channel="voice", at="2026-03-10T04:30:00Z")
    d = judge_at(app, a, utc(2026, 3, 16, 17))  # March 16, 13:00 EDT / 10:00 PDT
    assert (d.action, d.reason, d.rule) == ("defer", "cooldown", "us-federal/F2@2026-11-29")
    assert d.at is not None and d.at >= utc(2026, 3, 17, 4)  # midnight EDT, March 17


def test_f2_does_not_hold_sms(app: App) -> None:
    a = enrolled(app, **NY)
    event(app, a, "conversation", channel="voice", at="2026-03-02T15:00:00Z")
    assert judge_at(app, a, utc(2026, 3, 3, 15), step_index=1).action == "allow"


def test_f6_two_unanswered_calls_to_one_number_are_five_minutes_apart(app: App) -> None:
    a = enrolled(app, **NY)
    t = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F6-gap", [t], result="unanswered")
    d = judge_at(app, a, t + timedelta(minutes=4, seconds=59))
    assert (d.action, d.rule, d.at) == (
        "defer",
        "us-federal/F6-gap@2026-11-29",
        t + timedelta(minutes=5),
    )


def test_f6_an_answered_call_does_not_start_the_five_minutes(app: App) -> None:
    a = enrolled(app, **NY)
    t = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F6-gap", [t], result="answered")
    assert judge_at(app, a, t + timedelta(minutes=1)).action == "allow"


def test_f6_a_call_that_reached_voicemail_starts_the_five_minutes(app: App) -> None:
    # no conversation took place: a voicemail is an unanswered call for F6
    a = enrolled(app, **NY)
    t = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F6-gap", [t], result="voicemail")
    d = judge_at(app, a, t + timedelta(minutes=4))
    assert deciding(d) == ("defer", "us-federal/F6-gap")
    assert d.at == t + timedelta(minutes=5)


def test_f6_a_call_that_could_not_reach_the_person_starts_the_five_minutes(app: App) -> None:
    a = enrolled(app, **NY)
    t = utc(2026, 3, 2, 15)
    prefill(app, a, "us-federal", "F6-gap", [t])
    event(app, a, "call_result", result="unreachable", dispatch_id=f"{a}:x:0")
    assert deciding(judge_at(app, a, t + timedelta(minutes=4))) == ("defer", "us-federal/F6-gap")


MISMATCH = {
    "timezone": None,  # no stated zone: the phone and the address are the candidates
    "phones": [
        {"number": "+12125550123", "kind": "mobile", "sms_consent": True, "voice_consent": True}
    ],
    "address": {"country": "US", "region": "CA", "city": "Los Angeles"},
}


# --- China -----------------------------------------------------------------------------------

CN = {
    "timezone": "Asia/Shanghai",
    "phones": [
        {"number": "+8613800138000", "kind": "mobile", "sms_consent": True, "voice_consent": True}
    ],
    "address": {"country": "CN", "region": "SH"},
}


def test_cn2_six_unanswered_calls_a_day_to_one_number_then_the_next_local_day(app: App) -> None:
    a = enrolled(app, **CN)
    morning = utc(2026, 3, 3, 1)  # 09:00 Shanghai
    calls = [morning + timedelta(minutes=10 * n) for n in range(6)]
    prefill(app, a, "cn", "CN2", calls, result="unanswered", zone="Asia/Shanghai")
    d = judge_at(app, a, morning + timedelta(hours=2))
    assert (d.action, d.reason, d.rule, d.at) == (
        "defer",
        "cap",
        "cn/CN2@2026-11-29",
        utc(2026, 3, 4, 0),  # 08:00 the next day (CN1)
    )
    assert judge_at(app, a, utc(2026, 3, 4, 0)).action == "allow"


def test_cn2_calls_that_reached_voicemail_are_not_connected_and_count(app: App) -> None:
    a = enrolled(app, **CN)
    morning = utc(2026, 3, 3, 1)  # 09:00 Shanghai
    calls = [morning + timedelta(minutes=10 * n) for n in range(6)]
    prefill(app, a, "cn", "CN2", calls, result="voicemail", zone="Asia/Shanghai")
    d = judge_at(app, a, morning + timedelta(hours=2))
    assert deciding(d) == ("defer", "cn/CN2")
    assert d.at == utc(2026, 3, 4, 0)


def test_cn2_calls_that_did_not_get_through_count(app: App) -> None:
    a = enrolled(app, **CN)
    morning = utc(2026, 3, 3, 1)
    calls = [morning + timedelta(minutes=10 * n) for n in range(6)]
    prefill(app, a, "cn", "CN2", calls, zone="Asia/Shanghai")
    for n in range(6):
        event(app, a, "call_result", result="unreachable", dispatch_id=f"{a}:x:{n}")
    assert deciding(judge_at(app, a, morning + timedelta(hours=2))) == ("defer", "cn/CN2")


def test_cn4_three_connected_calls_a_day_per_person(app: App) -> None:
    a = enrolled(app, **CN)
    morning = utc(2026, 3, 3, 1)
    calls = [morning + timedelta(hours=n) for n in range(3)]
    prefill(app, a, "cn", "CN4", calls, result="answered", zone="Asia/Shanghai")
    d = judge_at(app, a, morning + timedelta(hours=4))
    assert (d.rule, d.at) == ("cn/CN4@2026-11-29", utc(2026, 3, 4, 0))


def test_cn4_unanswered_calls_do_not_count_as_connected(app: App) -> None:
    a = enrolled(app, **CN)
    morning = utc(2026, 3, 3, 1)
    calls = [morning + timedelta(hours=n) for n in range(3)]
    prefill(app, a, "cn", "CN4", calls, result="unanswered", zone="Asia/Shanghai")
    assert judge_at(app, a, morning + timedelta(hours=4)).action == "allow"


# --- Massachusetts ---------------------------------------------------------------------------

MA = {
    "timezone": "America/New_York",  # Boston
    "address": {"country": "US", "region": "MA", "city": "Boston"},
}


def test_ma1_calls_that_reached_voicemail_count_two_per_seven_days_per_debt(app: App) -> None:
    a = enrolled(app, **MA)
    t0 = utc(2026, 3, 2, 15)
    prefill(app, a, "us-ma", "MA1", [t0, t0 + timedelta(days=2)], result="voicemail")
    d = judge_at(app, a, t0 + timedelta(days=3))
    assert (d.action, d.reason, d.rule, d.at) == (
        "defer",
        "cap",
        "us-ma/MA1@2026-11-29",
        t0 + timedelta(days=7),
    )


def test_ma1_an_unanswered_call_counts_even_when_no_message_was_left(app: App) -> None:
    # Armata v. Target Corp., 480 Mass. 14 (2018): the call was initiated; leaving no message
    # was the caller's choice
    a = enrolled(app, **MA)
    t0 = utc(2026, 3, 2, 15)
    prefill(app, a, "us-ma", "MA1", [t0, t0 + timedelta(days=2)], result="unanswered")
    d = judge_at(app, a, t0 + timedelta(days=3))
    assert deciding(d) == ("defer", "us-ma/MA1")
    assert d.at == t0 + timedelta(days=7)


def test_ma1_an_answered_call_counts(app: App) -> None:
    a = enrolled(app, **MA)
    t0 = utc(2026, 3, 2, 15)
    prefill(app, a, "us-ma", "MA1", [t0, t0 + timedelta(days=2)], result="answered")
    assert deciding(judge_at(app, a, t0 + timedelta(days=3))) == ("defer", "us-ma/MA1")


def test_ma1_a_call_that_reached_neither_the_person_nor_a_voicemail_does_not_count(
    app: App,
) -> None:
    a = enrolled(app, **MA)
    t0 = utc(2026, 3, 2, 15)
    prefill(app, a, "us-ma", "MA1", [t0, t0 + timedelta(days=2)])
    for n in range(2):
        event(app, a, "call_result", result="unreachable", dispatch_id=f"{a}:x:{n}")
    assert judge_at(app, a, t0 + timedelta(days=3)).action == "allow"


def test_ma2_an_unanswered_call_to_a_work_number_counts(app: App) -> None:
    work = [{"number": "+16175550199", "kind": "work", "sms_consent": True, "voice_consent": True}]
    a = enrolled(app, **MA, phones=work)
    t0 = utc(2026, 3, 2, 15)
    prefill(app, a, "us-ma", "MA2", [t0, t0 + timedelta(days=2)], result="unanswered")
    d = judge_at(app, a, t0 + timedelta(days=3))
    assert deciding(d) == ("defer", "us-ma/MA2")
    assert d.at == t0 + timedelta(days=30)


def test_ma1_a_call_whose_result_is_unknown_counts_until_it_is_known(app: App) -> None:
    a = enrolled(app, **MA)
    t0 = utc(2026, 3, 2, 15)
    prefill(app, a, "us-ma", "MA1", [t0, t0 + timedelta(days=2)])
    assert judge_at(app, a, t0 + timedelta(days=3)).rule == "us-ma/MA1@2026-11-29"


# --- United Kingdom --------------------------------------------------------------------------

UK = {
    "timezone": "Europe/London",
    "phones": [
        {"number": "+447700900123", "kind": "mobile", "sms_consent": True, "voice_consent": True}
    ],
    "address": {"country": "GB", "region": "ENG"},
}


HOURS_EDGES = [
    # F7 across the March DST change in New York
    (NY, utc(2026, 3, 8, 11, 59), "us-federal/F7", utc(2026, 3, 8, 12)),  # 07:59 EDT, DST day
    (NY, utc(2026, 3, 8, 12), None, None),  # 08:00 EDT
    (NY, utc(2026, 3, 8, 0, 59, 59), None, None),  # 19:59:59 EST on the 7th
    (NY, utc(2026, 3, 8, 2), "us-federal/F7", utc(2026, 3, 8, 12)),  # 21:00 EST -> 08:00 EDT
    # F8: an Eastern mobile with a Pacific address allows 11:00-21:00 Eastern only
    (MISMATCH, utc(2026, 3, 3, 15, 59), "us-federal/F7", utc(2026, 3, 3, 16)),  # 10:59 ET
    (MISMATCH, utc(2026, 3, 3, 16), None, None),  # 11:00 ET = 08:00 PT
    (MISMATCH, utc(2026, 3, 4, 1, 59, 59), None, None),  # 20:59:59 ET
    (MISMATCH, utc(2026, 3, 4, 2), "us-federal/F7", utc(2026, 3, 4, 16)),  # 21:00 ET -> 11:00
    # CN1: no contact from 22:00 to 08:00 Shanghai
    (CN, utc(2026, 3, 3, 13, 59, 59), None, None),  # 21:59:59
    (CN, utc(2026, 3, 3, 14), "cn/CN1", utc(2026, 3, 4, 0)),  # 22:00 -> 08:00 next day
    (CN, utc(2026, 3, 3, 23, 59, 59), "cn/CN1", utc(2026, 3, 4, 0)),  # 07:59:59
    (CN, utc(2026, 3, 4, 0), None, None),  # 08:00
    # UK1: 08:00-21:00 London, in GMT and in BST
    (UK, utc(2026, 3, 27, 7, 59), "uk/UK1", utc(2026, 3, 27, 8)),  # 07:59 GMT
    (UK, utc(2026, 3, 30, 6, 59), "uk/UK1", utc(2026, 3, 30, 7)),  # 07:59 BST -> 08:00 BST
    (UK, utc(2026, 3, 30, 19, 59), None, None),  # 20:59 BST
    (UK, utc(2026, 3, 30, 20), "uk/UK1", utc(2026, 3, 31, 7)),  # 21:00 BST -> 08:00 BST
]


@pytest.mark.parametrize(("fields", "at", "rule", "next_at"), HOURS_EDGES)
def test_hours_rules_at_their_edges(
    app: App, fields: dict[str, Any], at: datetime, rule: str | None, next_at: datetime | None
) -> None:
    d = judge_at(app, enrolled(app, **fields), at)
    if rule is None:
        assert d.action == "allow"
    else:
        version = find_pack(rule.split("/", 1)[0]).version
        assert (d.action, d.rule, d.at) == ("defer", f"{rule}@{version}", next_at)


# --- certainty, stated constraints, explainability -------------------------------------------

WA = {"timezone": "America/Los_Angeles", "address": {"country": "US", "region": "WA"}}


@pytest.mark.parametrize(("step", "channel"), [(0, "voice"), (1, "sms"), (2, "email")])
def test_wa1_calls_texts_and_emails_count_together_three_a_week(
    app: App, step: int, channel: str
) -> None:
    a = enrolled(app, **WA)
    t0 = utc(2026, 3, 2, 18)  # 10:00 in Seattle
    for n, sent in enumerate(("voice", "sms", "email")):
        prefill(app, a, "us-wa", "WA1", [t0 + timedelta(hours=n)], channel=sent, first=n)
    d = judge_at(app, a, t0 + timedelta(hours=3), step_index=step)
    assert app.pinned_schedule(app.store.require(a).schedule_ref).occurrences[step].channel == (
        channel
    )
    assert deciding(d) == ("defer", "us-wa/WA1")
    assert d.at == t0 + timedelta(days=7)


def test_an_unverified_rule_warns_without_deferring(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no shipped cap is unverified: an unverified copy of WA1, given to a New York account
    # (which the us-wa pack does not bind), stands in for one
    unverified = replace(find_pack("us-wa").rule("WA1"), certainty="U")
    rules = app.rules
    monkeypatch.setattr(
        app, "rules", lambda schedule, acct, stated=(): [*rules(schedule, acct, stated), unverified]
    )
    a = enrolled(app, **NY)
    t0 = utc(2026, 3, 2, 18)
    prefill(app, a, "us-wa", "WA1", [t0 + timedelta(hours=h) for h in range(3)])
    d = judge_at(app, a, t0 + timedelta(hours=4))
    assert d.action == "allow"
    assert d.judgement is not None
    [check] = [c for c in d.judgement.checks if c.rule == unverified.ref]
    assert (check.verdict, check.reason) == ("warn", "cap")


def test_stated_inconvenient_hours_defer_to_their_end(app: App) -> None:
    a = enrolled(app, **NY)
    event(
        app,
        a,
        "constraint",
        at="2026-03-02T12:00:00Z",
        constraint={"kind": "inconvenient_hours", "start": "12:00", "end": "14:00"},
    )
    d = judge_at(app, a, utc(2026, 3, 2, 17, 30))  # 12:30 EST
    assert (d.action, d.reason, d.rule, d.at) == (
        "defer",
        "stated_constraint",
        "person/inconvenient-hours@2026-03-02",
        utc(2026, 3, 2, 19),
    )


def test_a_stated_constraint_expires_after_its_until_date(app: App) -> None:
    a = enrolled(app, **NY)
    event(
        app,
        a,
        "constraint",
        until="2026-03-02",
        constraint={"kind": "inconvenient_days", "weekdays": ["tuesday"]},
    )
    assert judge_at(app, a, utc(2026, 3, 3, 15)).action == "allow"  # Tuesday, after expiry


def test_a_refused_channel_is_blocked_and_cited(app: App) -> None:
    a = enrolled(app, **NY)
    event(app, a, "constraint", constraint={"kind": "refuse_channel", "channel": "voice"})
    d = judge_at(app, a, utc(2026, 3, 2, 15))
    assert (d.action, d.reason, d.rule) == (
        "suppress",
        "stated_constraint",
        "person/refused-channel@2026-03-02",
    )


def test_every_applicable_rule_is_listed_with_its_verdict(app: App) -> None:
    a = enrolled(app, **MA)
    d = judge_at(app, a, utc(2026, 3, 2, 15))
    assert d.judgement is not None
    rules = {c.rule: c.verdict for c in d.judgement.checks}
    for expected in (
        "us-federal/F1@2026-11-29",
        "us-federal/F7@2026-11-29",
        "us-ma/MA1@2026-11-29",
        "us-ma/MA3@2026-11-29",
        "house/quiet-hours@1",
    ):
        assert rules[expected] == "allow", expected
    assert "us-ma/MA2@2026-11-29" not in rules  # work numbers only: this is a mobile


def test_f2_applies_to_every_debt_of_the_person_that_was_discussed(app: App) -> None:
    a = enrolled(app, account_id="A-1", person_id="P", debt_id="D1", **NY)
    b = enrolled(app, account_id="A-2", person_id="P", debt_id="D2", **NY)
    c = enrolled(app, account_id="A-3", person_id="P", debt_id="D3", **NY)
    event(app, a, "conversation", channel="voice", debts=["D2"], at="2026-03-02T15:00:00Z")
    later = utc(2026, 3, 4, 15)
    assert judge_at(app, a, later).rule == "us-federal/F2@2026-11-29"
    assert judge_at(app, b, later).rule == "us-federal/F2@2026-11-29"
    assert judge_at(app, c, later).action == "allow"  # not discussed


def test_a_refused_medium_stays_refused_when_upstream_re_sends_consent(app: App) -> None:
    a = enrolled(app, **NY)
    event(app, a, "opt_out", channel="voice")
    enrolled(app, **NY)  # the same account again, with voice_consent true
    d = judge_at(app, a, utc(2026, 3, 2, 15))
    assert (d.action, d.reason) == ("suppress", "opted_out")
