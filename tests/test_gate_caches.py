"""What the gate keeps between decisions: the rules per (schedule, places), each number's mask,
rule refs, window and cap texts. Each must follow the value it was built from."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import time

from worker.accounts.places import Place
from worker.accounts.zones import mask_phone
from worker.cadence.policy import Window
from worker.cadence.schedule import Schedule, parse_schedule
from worker.contracts.validation import parse_account
from worker.gate.counters import cap_text
from worker.gate.packs.select import RULES_CACHE_SIZE, compiled_rules, house_rules, rules_for
from worker.gate.prepared import _kept, prepare
from worker.gate.rules import Rule


def schedule(start: str = "09:00", *, version: str = "1", cap: int = 2) -> Schedule:
    return parse_schedule(
        f"""
name: cached
version: "{version}"
locale: en
send_time: "12:00"
country: US
policy:
  hours: {{start: "{start}", end: "20:00"}}
  caps:
    - {{id: sms-per-week, channel: sms, limit: {cap}, per: 7d}}
tiers:
  - name: early
    steps:
      - {{day: 1, channel: sms, template: reminder}}
""",
        file="cached.yaml",
    )


ACCOUNT = parse_account(
    {
        "account_id": "a-1",
        "schedule": "cached",
        "due_date": "2026-03-01",
        "address": {"country": "US", "region": "MA"},
        "phones": [{"number": "+14155550100", "kind": "mobile", "sms_consent": True}],
    }
)


def house(rules: list[Rule]) -> list[str]:
    return [r.ref for r in rules if r.pack == "house"]


def test_a_schedule_with_a_new_version_gets_new_compiled_rules() -> None:
    first = rules_for(schedule(version="1"), ACCOUNT)
    second = rules_for(schedule(version="2"), ACCOUNT)
    assert house(first) == ["house/quiet-hours@1", "house/sms-per-week@1"]
    assert house(second) == ["house/quiet-hours@2", "house/sms-per-week@2"]
    # the packs of the places are the same: federal, Massachusetts and California
    packs = {r.pack for r in first} - {"house"}
    assert packs == {r.pack for r in second} - {"house"} == {"us-federal", "us-ma", "us-ca"}


def test_the_same_version_re_read_with_another_policy_gets_its_own_rules() -> None:
    # A file edited without bumping its version: equal name@version, another policy.
    for hour, cap in ((7, 1), (10, 3), (7, 1)):
        s = schedule(f"{hour:02d}:00", cap=cap)
        rules = rules_for(s, ACCOUNT)
        hours = next(r for r in rules if r.ref == "house/quiet-hours@1")
        assert hours.window == Window(time(hour, 0), time(20, 0))
        assert next(r.limit for r in rules if r.id == "sms-per-week") == cap
        del s, rules
        gc.collect()


def test_other_places_get_other_rules_and_a_caller_cannot_change_the_cached_ones() -> None:
    s = schedule()
    here = rules_for(s, ACCOUNT)
    stated = rules_for(s, ACCOUNT, [Place("US", "WA", "stated")])
    assert "us-wa" not in {r.pack for r in here}
    assert "us-wa" in {r.pack for r in stated}
    # the same places said by other numbers share the rules
    other = parse_account(
        {
            **ACCOUNT.model_dump(mode="json"),
            "phones": [{"number": "+14155550199", "kind": "mobile", "sms_consent": True}],
        }
    )
    assert [id(r) for r in rules_for(s, other)] == [id(r) for r in here]
    here.clear()  # the caller's own list
    assert rules_for(s, ACCOUNT) == rules_for(s, ACCOUNT) != []
    assert rules_for(s, ACCOUNT) is not rules_for(s, ACCOUNT)


def test_the_compiled_rules_cache_is_bounded() -> None:
    for n in range(RULES_CACHE_SIZE + 5):
        compiled_rules(schedule(version=f"v{n}"), (("US", "MA"),))
    assert compiled_rules.cache_info().currsize <= RULES_CACHE_SIZE


def test_a_rule_ref_follows_a_copy_with_another_version() -> None:
    rule = rules_for(schedule(version="3"), ACCOUNT)[-1]
    assert rule.ref == "house/sms-per-week@3"
    copy = replace(rule, pack_version="4")
    assert copy.ref == "house/sms-per-week@4"
    assert rule.ref == "house/sms-per-week@3"
    assert rule != copy


def test_window_and_cap_texts_are_the_values_they_were_built_from() -> None:
    window = Window(time(8, 30), time(21, 0))
    assert str(window) == "08:30-21:00"
    assert window == Window(time(8, 30), time(21, 0))  # the kept text is not a field
    assert hash(window) == hash(Window(time(8, 30), time(21, 0)))
    assert repr(window) == "Window(start=datetime.time(8, 30), end=datetime.time(21, 0))"
    rule = rules_for(schedule(cap=2), ACCOUNT)[-1]
    assert cap_text(rule) == "2 per 7d per person (sent)"
    assert cap_text(replace(rule, limit=5, window_seconds=3600)) == "5 per 3600s per person (sent)"
    assert cap_text(replace(rule, window_seconds=None, calendar_days=2)) == (
        "2 per 2 local day(s) per person (sent)"
    )


def test_a_phone_mask_is_the_same_however_often_it_is_asked() -> None:
    assert mask_phone("+12125550167") == "+1********67"
    assert mask_phone("+12125550167") == "+1********67"
    assert mask_phone("+442079460958") == "+44********58"
    assert mask_phone("not a number") == "+"


def test_prepared_rules_follow_their_rule_objects_however_memory_is_reused() -> None:
    # Kept by the identity of the rules: a rule set collected and another built in its place
    # (possibly at the same addresses) must not get the old answer.
    for hour in (7, 10, 8, 7):
        rules = list(house_rules(schedule(f"{hour:02d}:00", version=f"p{hour}")))
        rules = [replace(r) for r in rules]  # new objects each round, dropped at the next
        p = prepare(rules, (), "sms", "creditor", "mobile", False)
        assert p.window == Window(time(hour, 0), time(20, 0))
        assert [r.ref for r, _ in p.caps] == [f"house/sms-per-week@p{hour}"]
        del rules, p
        gc.collect()


def test_stated_rules_are_sorted_out_afresh_each_time() -> None:
    rules = rules_for(schedule(), ACCOUNT)
    stated = [replace(rules[-1], pack="person", id="stated")]
    before = _kept.cache_info().currsize
    p = prepare(rules, stated, "sms", "creditor", "mobile", False)
    assert p.caps[-1][0].ref == "person/stated@1"
    assert _kept.cache_info().currsize == before
    # an email step: the SMS-only rules do not apply to it
    assert not [
        r
        for r in prepare(rules, (), "email", "creditor", None, False).rules
        if r.channels == frozenset({"sms"})
    ]
