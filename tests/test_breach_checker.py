"""The independent breach checker (``tests/breach/``) reports planted breaches of every kind it
judges, reading each rule cautiously, and uses no engine code: its silence on a simulation
means something only because these tests show it speaking up.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from .breach import find_breaches

BREACH = Path(__file__).resolve().parent / "breach"

#: A schedule whose house policy adds nothing: only the packs decide what the checker reports.
OPEN = """\
name: open
version: "1"
locale: en
send_time: "10:00"
policy:
  hours: {start: "00:00", end: "23:59"}
tiers:
  - name: t
    steps:
      - {every: 1, from: 1, until: 9, channel: voice, template: reminder_call}
"""
#: The same with Sundays and public holidays blocked, and a declared country.
CLOSED_SUNDAYS = OPEN.replace(
    'policy:\n  hours: {start: "00:00", end: "23:59"}',
    'policy:\n  hours: {start: "00:00", end: "23:59"}\n'
    "  blocked_days: {weekdays: [sunday], public_holidays: true}",
)
WITH_COUNTRY = OPEN.replace('send_time: "10:00"', 'send_time: "10:00"\ncountry: US')


def account(account_id: str, *numbers: str, kind: str = "mobile", **fields: Any) -> dict[str, Any]:
    phones = [
        {"number": n, "kind": kind, "sms_consent": kind == "mobile", "voice_consent": True}
        for n in numbers
    ]
    return {"account_id": account_id, "due_date": "2026-03-01", "phones": phones, **fields}


MA = {"country": "US", "region": "MA", "city": "Boston"}
CA = {"country": "US", "region": "CA", "city": "San Francisco"}
PEOPLE = {
    a["account_id"]: a
    for a in (
        account("MA-NO-ADDRESS", "+16175550111"),
        account("TZ-CONFLICT", "+16175550112", timezone="America/Los_Angeles", address=MA),
        account("CA-MA-PHONE", "+16175550113", address=CA),
        account("CA", "+14155550114", address=CA),
        account("LA-ONLY", "+14155550116", timezone="America/Los_Angeles", address=CA),
        account("CA-SPOUSE", "+14155550114", person_id="SPOUSE", address=CA),
        account("WA-PHONE", "+12065550115"),
        account("EMAIL-ONLY", emails=[{"address": "e@example.com", "consent": True}]),
        account(
            "WORK-EMAIL",
            address=MA,
            emails=[{"address": "w@corp.example", "kind": "work", "consent": False}],
        ),
    )
}


def sent(account_id: str, at: str, channel: str = "voice", n: int = 0) -> dict[str, Any]:
    return {
        "at": at,
        "account_id": account_id,
        "step": f"s{n}",
        "channel": channel,
        "outcome": "sent",
        "provider_id": f"{account_id}:s{n}:{channel}",
    }


def rules_broken(
    outcomes: list[dict[str, Any]],
    schedule: str = OPEN,
    events: list[dict[str, Any]] | None = None,
    **options: Any,
) -> set[str]:
    breaches = find_breaches(outcomes, PEOPLE, schedule, events=events or [], **options)
    return {b.split("@", 1)[0] for b in breaches}


def test_the_checker_imports_no_engine_code() -> None:
    for module in sorted(BREACH.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "worker" or n.startswith("worker.") for n in names), module


def test_a_cap_is_counted_under_the_pack_of_the_phones_area_code() -> None:
    # no address: the 206 number alone puts the person in Washington (WA1: 3 a week)
    texts = [sent("WA-PHONE", f"2026-03-0{d}T18:00:00Z", "sms", d) for d in (2, 3, 4, 5)]
    assert rules_broken(texts[:3]) == set()
    assert rules_broken(texts) == {"us-wa/WA1"}


def test_ma_calls_without_a_result_count_for_a_boston_number_without_an_address() -> None:
    calls = [sent("MA-NO-ADDRESS", f"2026-03-0{d}T15:00:00Z", n=d) for d in (2, 3, 4)]
    assert rules_broken(calls) == {"us-ma/MA1"}
    unreachable = [
        {"account_id": "MA-NO-ADDRESS", "type": "call_result", "result": "unreachable",
         "at": c["at"].replace(":00:00Z", ":01:00Z"), "dispatch_id": c["provider_id"]}
        for c in calls
    ]  # fmt: skip
    assert rules_broken(calls, events=unreachable) == set()


def test_a_phone_in_another_state_brings_that_states_pack() -> None:
    calls = [sent("CA-MA-PHONE", f"2026-03-0{d}T18:00:00Z", n=d) for d in (2, 3, 4)]
    assert rules_broken(calls) == {"us-ma/MA1"}
    assert rules_broken([{**c, "account_id": "CA"} for c in calls]) == set()


def test_hours_must_hold_in_the_address_zone_as_well_as_the_timezone_field() -> None:
    # 20:30 in Los Angeles is 23:30 in Boston: allowed where the field says, not at the address
    late = [sent("TZ-CONFLICT", "2026-03-03T04:30:00Z", "sms")]
    breaches = find_breaches(late, PEOPLE, OPEN)
    assert {b.split("@", 1)[0] for b in breaches} == {"us-federal/F7", "us-ma/MA3"}
    assert all("in America/New_York" in b for b in breaches), breaches
    assert rules_broken([{**late[0], "account_id": "LA-ONLY"}]) == set()
    # 10:00 in Los Angeles is 13:00 in Boston: allowed in both
    assert rules_broken([sent("TZ-CONFLICT", "2026-03-03T18:00:00Z", "sms")]) == set()


def test_a_cooldown_runs_to_the_end_of_its_last_day_in_every_zone() -> None:
    # 21:30 on 9 March in Los Angeles is 00:30 on 10 March in Boston: day 7 there is 16 March
    talk = {"account_id": "TZ-CONFLICT", "type": "conversation", "channel": "voice",
            "at": "2026-03-10T04:30:00Z"}  # fmt: skip
    call = sent("TZ-CONFLICT", "2026-03-16T16:00:00Z")  # 12:00 in Boston, 09:00 in LA
    assert rules_broken([call], events=[talk]) == {"us-federal/F2"}
    assert rules_broken([{**call, "at": "2026-03-17T16:00:00Z"}], events=[talk]) == set()


def test_a_calendar_cap_holds_on_the_local_days_of_every_zone() -> None:
    # seven calls to one number from 00:30 to 06:30 on 4 March in Boston, which in Los Angeles
    # is 21:30 on 3 March to 03:30 on 4 March: F6-day (6 a day) is broken on Boston's day only
    calls = [sent("TZ-CONFLICT", f"2026-03-04T{h:02d}:30:00Z", n=h) for h in range(5, 12)]
    breaches = find_breaches(calls, PEOPLE, OPEN)
    f6_day = [b for b in breaches if b.startswith("us-federal/F6-day@")]
    assert f6_day, breaches
    assert all("in America/New_York" in b for b in f6_day), f6_day


def test_blocked_weekdays_and_the_holidays_of_every_candidate_region_are_closed() -> None:
    sunday = sent("CA", "2026-03-08T18:00:00Z")
    assert rules_broken([sunday], CLOSED_SUNDAYS) == {"house/blocked-days"}
    assert rules_broken([sunday]) == set()
    # Patriots' Day is a Massachusetts holiday: closed for a Californian with a Boston number
    patriots = sent("CA-MA-PHONE", "2026-04-20T18:00:00Z")
    assert rules_broken([patriots], CLOSED_SUNDAYS) == {"house/public-holidays"}
    assert rules_broken([{**patriots, "account_id": "CA"}], CLOSED_SUNDAYS) == set()


def test_an_account_with_no_country_must_not_be_contacted() -> None:
    email = sent("EMAIL-ONLY", "2026-03-03T20:00:00Z", "email")  # 15:00 in Boston, 10:00 Honolulu
    assert rules_broken([email]) == {"where/no-country"}
    assert rules_broken([email], WITH_COUNTRY) == set()
    # with only the schedule's country, every US zone is a candidate: 12:00 in Boston is 07:00
    # in Honolulu
    early = {**email, "at": "2026-03-03T17:00:00Z"}
    breaches = find_breaches([early], PEOPLE, WITH_COUNTRY)
    assert {b.split("@", 1)[0] for b in breaches} == {"us-federal/F7"}
    assert any("in Pacific/Honolulu" in b for b in breaches), breaches


def test_unverified_rules_count_only_when_the_schedule_enforces_them(tmp_path: Path) -> None:
    (tmp_path / "u.yaml").write_text(
        "pack: u\nversion: '1'\ntitle: t\ndisclaimer: d\napplies_when: {country: US}\n"
        "rules:\n  - {id: U1, title: t, citation: c, certainty: U, kind: cap, limit: 1,"
        " window: 7d}\n",
        encoding="utf-8",
    )
    calls = [sent("CA", f"2026-03-0{d}T18:00:00Z", n=d) for d in (2, 3)]
    enforcing = OPEN.replace("locale: en", "locale: en\nenforce_unverified: true")
    assert rules_broken(calls, pack_dir=tmp_path) == set()
    assert rules_broken(calls, enforcing, pack_dir=tmp_path) == {"u/U1"}


@pytest.mark.parametrize(
    ("outcomes", "events", "expected"),
    [
        pytest.param(
            [sent("CA", "2026-03-05T18:00:00Z")],
            [{"account_id": "CA", "type": "cease", "at": "2026-03-04T18:00:00Z"}],
            {"lifecycle/cease"},
            id="a_send_after_a_cease",
        ),
        pytest.param(
            [sent("CA", "2026-03-05T18:00:00Z", "sms")],
            [
                {
                    "account_id": "CA",
                    "type": "opt_out",
                    "channel": "sms",
                    "at": "2026-03-04T18:00:00Z",
                }
            ],
            {"consent/opted-out"},
            id="a_text_after_an_sms_opt_out",
        ),
        pytest.param(
            [sent("CA", "2026-03-05T18:00:00Z", "voice")],
            [
                {
                    "account_id": "CA",
                    "type": "opt_out",
                    "channel": "sms",
                    "at": "2026-03-04T18:00:00Z",
                }
            ],
            set(),
            id="a_call_after_an_sms_opt_out_is_allowed",
        ),
        pytest.param(
            [sent("CA", "2026-03-05T18:00:00Z")],
            [{"account_id": "CA", "type": "dispute", "at": "2026-03-04T18:00:00Z"}],
            {"lifecycle/dispute"},
            id="a_send_during_a_dispute",
        ),
        pytest.param(
            [sent("WORK-EMAIL", "2026-03-05T18:00:00Z", "email")],
            [],
            {"us-federal/F12", "consent/no-consent"},
            id="an_email_to_a_work_address_without_consent",
        ),
        pytest.param(
            [sent("CA", "2026-03-05T18:00:00Z"), sent("CA-SPOUSE", "2026-03-05T18:03:00Z")],
            [],
            {"us-federal/F6-gap"},
            id="two_people_called_on_one_number_three_minutes_apart",
        ),
    ],
)
def test_the_checker_reports_sends_that_should_not_have_happened(
    outcomes: list[dict[str, Any]], events: list[dict[str, Any]], expected: set[str]
) -> None:
    recipients = {o["provider_id"]: "+14155550114" for o in outcomes if o["account_id"] == "CA"}
    recipients.update(
        {o["provider_id"]: "w@corp.example" for o in outcomes if o["channel"] == "email"}
    )
    assert rules_broken(outcomes, events=events, recipients=recipients) == expected
