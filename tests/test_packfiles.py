"""Rule packs: the shipped files against their reading (docs/compliance.md), the loader's errors,
and `remind packs`."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from types import MappingProxyType

import pytest
from typer.testing import CliRunner

from worker.cadence.policy import BlockedDays, Window
from worker.cli.packs import packs_app
from worker.errors import ScheduleError
from worker.gate.packs.files import (
    DEFAULT_ACTIONS,
    PackError,
    applicable_packs,
    builtin_packs,
    find_pack,
    load_pack,
    parse_pack,
)
from worker.gate.rules import AppliesWhen, Rule

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "worker" / "gate" / "packs"
BROKEN = Path(__file__).resolve().parent / "fixtures" / "packs"

HEAD = """\
pack: inline
version: "1"
title: Inline pack
disclaimer: Not legal advice.
applies_when: {country: US}
rules:
"""
NOTE = "  - {id: R1, title: T, citation: C, certainty: V, kind: note}\n"

# --- the shipped packs -------------------------------------------------------------------------

RULE_IDS = {
    "us-federal": [
        "F1", "F2", "F3", "F5", "F6-gap", "F6-day", "F6-weekend", "F7", "F8", "F10", "F12",
        "F14", "F15", "F16", "F17", "F-validation", "F19", "T3", "T4", "T5", "T6", "T7",
        "F-wording",
    ],
    "us-ma": ["MA1", "MA2", "MA3"],
    "us-wa": ["WA1", "WA1-work", "WA1-hours"],
    "us-ca": ["CA1", "CA-time-barred"],
    "cn": ["CN1", "CN2", "CN3", "CN4", "CN5", "CN-KW", "CN-wording"],
    "uk": ["UK1", "UK2", "UK-wording"],
}  # fmt: skip

CN_BANKS = "中国银行业协会《金融机构个人消费类贷款催收工作指引（试行）》2026"
UK2_CITE = "FCA CONC 7.9.6R, 7.9.7R (third parties, embarrassment); CONC 7.9.10R (identity first)"
REG_F_FAQ = "CFPB Regulation F FAQ (factors that rebut the presumption of compliance)"
#: Every shipped rule: (pack, id, certainty as docs/compliance.md marks it, citation).
MARKS = [
    ("us-federal", "F1", "V", "12 CFR 1006.14(b)(2)(i)(A)"),
    ("us-federal", "F2", "V", "12 CFR 1006.14(b)(2)(i)(B)"),
    ("us-federal", "F3", "V", "12 CFR 1006.14(b)(2); CFPB Regulation F FAQ"),
    ("us-federal", "F5", "S", "12 CFR 1006.14(a), official comment"),
    ("us-federal", "F6-gap", "S", REG_F_FAQ),
    ("us-federal", "F6-day", "S", REG_F_FAQ),
    ("us-federal", "F6-weekend", "S", REG_F_FAQ),
    ("us-federal", "F7", "V", "12 CFR 1006.6(b)(1)(i)"),
    ("us-federal", "F8", "S", "12 CFR 1006.6(b)(1)(i), official comment"),
    ("us-federal", "F10", "V", "12 CFR 1006.6(e)"),
    ("us-federal", "F12", "V", "12 CFR 1006.22(f)(3)"),
    ("us-federal", "F14", "V", "12 CFR 1006.6(c)"),
    ("us-federal", "F15", "U", "12 CFR 1006.14(h)"),
    ("us-federal", "F16", "V", "12 CFR 1006.18(e)"),
    ("us-federal", "F17", "S", "12 CFR 1006.2(j)"),
    ("us-federal", "F-validation", "V", "15 U.S.C. 1692g(a); 12 CFR 1006.34(a)(1)"),
    ("us-federal", "F19", "V", "12 CFR 1006.100"),
    ("us-federal", "T3", "V", "47 CFR 64.1200(a)(3)"),
    ("us-federal", "T4", "V", "47 CFR 64.1200(a)(10)–(12)"),
    ("us-federal", "T5", "V", "47 CFR 64.1200(b)(1)–(2)"),
    ("us-federal", "T6", "S", "47 CFR 64.1200(a)(3), (b)(3)"),
    ("us-federal", "T7", "S", "CTIA Messaging Principles and Best Practices"),
    ("us-ma", "MA1", "V", "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d)"),
    ("us-ma", "MA2", "V", "209 CMR 18.16(1)(d)"),
    ("us-ma", "MA3", "V", "209 CMR 18.16"),
    ("us-wa", "WA1", "S", "RCW 19.16.250"),
    ("us-wa", "WA1-work", "S", "RCW 19.16.250"),
    ("us-wa", "WA1-hours", "S", "RCW 19.16.250"),
    ("us-ca", "CA1", "S", "Cal. Civ. Code 1788.11, 1788.17; Cal. Fin. Code 100000 et seq."),
    ("us-ca", "CA-time-barred", "S", "Cal. Civ. Code 1788.14(d)"),
    ("cn", "CN1", "S", CN_BANKS),
    ("cn", "CN2", "S", CN_BANKS),
    ("cn", "CN3", "S", CN_BANKS),
    ("cn", "CN4", "S", "中国互联网金融协会 催收风控指引"),
    ("cn", "CN5", "S", "商业银行信用卡业务监督管理办法"),
    ("cn", "CN-KW", "U", "Chinese carrier practice for SMS unsubscribe replies (退订)"),
    ("uk", "UK1", "V", "FCA CONC 7.9.4R; MCOB 13.5.4G"),
    ("uk", "UK2", "V", UK2_CITE),
    (
        "us-federal",
        "F-wording",
        "S",
        "15 U.S.C. 1692d, 1692e(4), (5), (7); 12 CFR 1006.14, 1006.18",
    ),
    ("cn", "CN-wording", "S", CN_BANKS),
    (
        "uk",
        "UK-wording",
        "U",
        "FCA CONC 7.9.7R (third parties); CONC 7 (threats, paragraph unverified)",
    ),
]


def test_every_pack_file_is_shipped_and_loads_under_its_own_name() -> None:
    packs = builtin_packs()
    assert sorted(packs) == sorted(p.stem for p in PACKS.glob("*.yaml"))
    assert sorted(packs) == sorted(RULE_IDS)
    for name, pack in packs.items():
        assert (pack.name, Path(pack.source).name) == (name, f"{name}.yaml")
        assert load_pack(PACKS / f"{name}.yaml") == pack


def test_the_shipped_packs_are_read_once_per_process() -> None:
    assert builtin_packs() is builtin_packs()


@pytest.mark.parametrize(("pack", "ids"), RULE_IDS.items())
def test_each_pack_holds_exactly_its_compliance_rows(pack: str, ids: list[str]) -> None:
    assert [r.id for r in find_pack(pack).rules] == ids


@pytest.mark.parametrize(("pack", "rule_id", "certainty", "citation"), MARKS)
def test_each_rule_carries_the_mark_and_citation_of_compliance_md(
    pack: str, rule_id: str, certainty: str, citation: str
) -> None:
    rule = find_pack(pack).rule(rule_id)
    assert (rule.certainty, rule.citation) == (certainty, citation)


def test_the_marks_table_covers_every_shipped_rule() -> None:
    """A rule missing from MARKS would have an unchecked citation and certainty."""
    shipped = {(p.name, r.id) for p in builtin_packs().values() for r in p.rules}
    assert shipped == {(pack, rule_id) for pack, rule_id, _, _ in MARKS}


#: Each pack's version: bumped whenever a rule of the pack changes.
VERSIONS = {
    "us-federal": "2026-11-29",
    "us-ma": "2026-11-29",
    "us-wa": "2026-11-29",
    "us-ca": "2026-11-29",
    "cn": "2026-11-29",
    "uk": "2026-11-29",
}


@pytest.mark.parametrize(("pack", "version"), VERSIONS.items())
def test_every_pack_says_it_is_not_legal_advice_and_is_versioned(pack: str, version: str) -> None:
    loaded = find_pack(pack)
    assert loaded.disclaimer.startswith("Not legal advice.")
    assert loaded.version == version


@pytest.mark.parametrize(
    ("pack", "applies_when"),
    [
        ("us-federal", AppliesWhen("US")),
        ("us-ma", AppliesWhen("US", frozenset({"MA"}))),
        ("us-wa", AppliesWhen("US", frozenset({"WA"}))),
        ("us-ca", AppliesWhen("US", frozenset({"CA"}))),
        ("cn", AppliesWhen("CN")),
        ("uk", AppliesWhen("GB")),
    ],
)
def test_each_pack_applies_to_its_jurisdiction(pack: str, applies_when: AppliesWhen) -> None:
    assert find_pack(pack).applies_when == applies_when


#: every call that did not reach the person (F6, CN2)
NOT_CONNECTED = {"unanswered", "voicemail", "unreachable"}
#: (pack, rule, channels, limit, window_seconds, calendar_days, per, counts, number_kinds)
CAPS = [
    ("us-federal", "F1", {"voice"}, 7, 7 * 86_400, None, "debt", {"sent"}, set()),
    ("us-federal", "F6-gap", {"voice"}, 1, 300, None, "number", NOT_CONNECTED, set()),
    ("us-federal", "F6-day", {"voice"}, 6, None, 1, "number", {"sent"}, set()),
    ("us-federal", "T3", {"voice"}, 3, 30 * 86_400, None, "number", {"sent"}, {"landline"}),
    ("us-ma", "MA1", {"voice", "sms"}, 2, 7 * 86_400, None, "debt",
     {"answered", "voicemail", "unanswered"}, {"mobile", "landline"}),
    ("us-ma", "MA2", {"voice", "sms"}, 2, 30 * 86_400, None, "debt",
     {"answered", "voicemail", "unanswered"}, {"work"}),
    ("us-wa", "WA1", set(), 3, 7 * 86_400, None, "person", {"sent"}, set()),
    ("us-wa", "WA1-work", {"voice"}, 1, 7 * 86_400, None, "person", {"sent"}, {"work"}),
    ("cn", "CN2", {"voice"}, 6, None, 1, "number", NOT_CONNECTED, set()),
    ("cn", "CN4", {"voice"}, 3, None, 1, "person", {"answered"}, set()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pack", "rule_id", "channels", "limit", "window", "days", "per", "counts", "kinds"), CAPS
)
def test_caps_hold_their_exact_numbers(
    pack: str,
    rule_id: str,
    channels: set[str],
    limit: int,
    window: int | None,
    days: int | None,
    per: str,
    counts: set[str],
    kinds: set[str],
) -> None:
    rule = find_pack(pack).rule(rule_id)
    assert (rule.kind, rule.action) == ("cap", "defer")
    assert (rule.channels, rule.limit, rule.window_seconds, rule.calendar_days) == (
        frozenset(channels),
        limit,
        window,
        days,
    )
    assert (rule.per, rule.counts, rule.number_kinds) == (per, frozenset(counts), frozenset(kinds))


@pytest.mark.parametrize(
    ("pack", "rule_id", "channels", "window"),
    [
        ("us-federal", "F7", set(), Window(time(8), time(21))),
        ("us-ma", "MA3", set(), Window(time(8), time(21))),
        ("us-wa", "WA1-hours", {"voice"}, Window(time(7, 30), time(21))),
        ("cn", "CN1", set(), Window(time(8), time(22))),
        ("uk", "UK1", set(), Window(time(8), time(21))),
    ],
)
def test_hours_rules_hold_their_local_window(
    pack: str, rule_id: str, channels: set[str], window: Window
) -> None:
    rule = find_pack(pack).rule(rule_id)
    assert (rule.kind, rule.action, rule.channels, rule.window) == (
        "hours",
        "defer",
        frozenset(channels),
        window,
    )


def test_the_post_conversation_cooldown_is_seven_days_per_debt_on_calls() -> None:
    rule = find_pack("us-federal").rule("F2")
    assert (rule.kind, rule.channels, rule.after, rule.days, rule.per, rule.effective) == (
        "cooldown",
        frozenset({"voice"}),
        "conversation",
        7,
        "debt",
        date(2021, 11, 30),
    )


def test_email_to_a_work_address_without_consent_is_blocked() -> None:
    rule = find_pack("us-federal").rule("F12")
    assert (rule.kind, rule.channels, rule.requires, rule.action) == (
        "consent",
        frozenset({"email"}),
        "work_email_consent",
        "block",
    )


def test_the_debt_collector_disclosure_binds_third_parties_in_three_languages() -> None:
    rule = find_pack("us-federal").rule("F16")
    assert (rule.kind, rule.content, rule.action, rule.channels, rule.collectors) == (
        "content",
        "disclosure",
        "require",
        frozenset(),
        frozenset({"third_party"}),
    )
    assert rule.texts == {
        "initial": {
            "en": "We are attempting to collect a debt and any information obtained will be used"
            " for that purpose.",
            "zh-Hans": "我们正在试图收取一笔债务，所获得的任何信息都将用于此目的。",
            "zh-Hant": "我們正在試圖收取一筆債務，所獲得的任何資訊都將用於此目的。",
        },
        "subsequent": {
            "en": "This communication is from a debt collector.",
            "zh-Hans": "本通讯来自债务催收方。",
            "zh-Hant": "本通訊來自債務催收方。",
        },
    }


@pytest.mark.parametrize(
    ("pack", "rule_id", "content", "channels"),
    [
        ("us-federal", "F10", "opt_out", {"sms", "email"}),
        ("us-federal", "F17", "voicemail_limited", {"voice"}),
        ("us-ca", "CA1", "licence", {"sms", "email"}),
    ],
)
def test_content_rules_name_their_check_and_channels(
    pack: str, rule_id: str, content: str, channels: set[str]
) -> None:
    rule = find_pack(pack).rule(rule_id)
    assert (rule.kind, rule.content, rule.channels, rule.texts) == (
        "content",
        content,
        frozenset(channels),
        {},
    )


@pytest.mark.parametrize(
    ("pack", "rule_id", "keywords"),
    [
        ("us-federal", "T4", {"stop": ("stop", "quit", "end", "revoke", "opt out", "cancel",
                                       "unsubscribe")}),
        ("us-federal", "T7", {"stop": ("stop", "end", "cancel", "unsubscribe", "quit"),
                              "help": ("help", "info"), "start": ("start", "unstop")}),
        ("cn", "CN-KW", {"stop": ("退订", "退訂", "td", "t", "停止")}),
    ],
)  # fmt: skip
def test_keyword_rules_list_their_replies_casefolded(
    pack: str, rule_id: str, keywords: dict[str, tuple[str, ...]]
) -> None:
    rule = find_pack(pack).rule(rule_id)
    assert (rule.kind, rule.channels, rule.action, rule.keywords) == (
        "keywords",
        frozenset({"sms"}),
        "record",
        keywords,
    )


@pytest.mark.parametrize(
    ("pack", "rule_id", "days"), [("us-federal", "F19", 1095), ("cn", "CN5", 730)]
)
def test_retention_rules_keep_records_for_their_days(pack: str, rule_id: str, days: int) -> None:
    rule = find_pack(pack).rule(rule_id)
    assert (rule.kind, rule.retention_days, rule.action) == ("retention", days, "record")


def test_note_rules_say_where_they_are_enforced() -> None:
    rule = find_pack("us-federal").rule("F14")
    assert (rule.kind, rule.action, rule.enforced_by) == (
        "note",
        "record",
        "lifecycle: a cease event stops the cadence (schedules must list cease under stop)",
    )


# --- which packs apply ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "region", "extra", "expected"),
    [
        ("US", "MA", (), ["us-federal", "us-ma"]),
        ("US", "WA", (), ["us-federal", "us-wa"]),
        ("US", "CA", (), ["us-federal", "us-ca"]),
        ("US", "NY", (), ["us-federal"]),
        ("US", None, (), ["us-federal"]),
        ("CN", None, (), ["cn"]),
        ("GB", "ENG", (), ["uk"]),
        ("FR", None, (), []),
        (None, None, (), []),
        ("US", "NY", ("us-ma",), ["us-federal", "us-ma"]),
        ("US", "MA", ("us-ma", "us-federal"), ["us-federal", "us-ma"]),
        ("US", "NY", ("us-wa", "us-ca"), ["us-federal", "us-ca", "us-wa"]),
        ("CN", None, ("uk",), ["cn", "uk"]),
        (None, None, ("us-ma", "us-federal"), ["us-federal", "us-ma"]),
    ],
)
def test_applicable_packs_are_the_matching_ones_plus_extras_federal_first(
    country: str | None, region: str | None, extra: tuple[str, ...], expected: list[str]
) -> None:
    packs = applicable_packs(country, region, "third_party", extra)
    assert [p.name for p in packs] == expected


def test_an_unknown_extra_pack_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(PackError) as raised:
        applicable_packs("US", "MA", "third_party", ["us-ny"])
    assert str(raised.value) == (
        f"{PACKS}: no rule pack named 'us-ny' (packs: cn, uk, us-ca, us-federal, us-ma, us-wa)"
    )


# --- errors name the file, the line and the field -----------------------------------------------

#: (fixture file, line, field, part of the message) of every file in tests/fixtures/packs.
BROKEN_CASES = [
    ("unknown_key", 14, "rules.0.windw", "unknown key (known keys: action, after,"),
    ("cap_without_limit", 14, "rules.1.limit", "is required"),
    ("bad_certainty", 11, "rules.0.certainty", "must be one of V, S, U, not 'verified'"),
    ("field_of_another_kind", 16, "rules.0.limit",
     "is not a field of hours rules (hours rules take: hours)"),
    ("unknown_kind", 8, "rules.0.kind", "not 'frequency'"),
    ("duplicate_rule_id", 10, "rules.2", "rule id 'R1' is already used on line 8"),
    ("wrong_name", 2, "pack", "must be 'wrong_name', the file's name, not 'us-federal'"),
    ("cap_two_spans", 15, "rules.0.calendar_days", "either window: (rolling) or calendar_days:"),
    ("bad_count", 15, "rules.0.counts.1", "not 'delivered'"),
    ("invalid_syntax", 7, None, "invalid YAML: expected ',' or '}'"),
]  # fmt: skip


@pytest.mark.parametrize(("fixture", "line", "field", "message"), BROKEN_CASES)
def test_a_broken_pack_is_refused_naming_file_line_and_field(
    fixture: str, line: int, field: str | None, message: str
) -> None:
    path = BROKEN / f"{fixture}.yaml"
    with pytest.raises(PackError) as raised:
        load_pack(path)
    error = raised.value
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert message in str(error)


def test_every_broken_fixture_is_in_the_table() -> None:
    """A fixture nobody asserts on is a test that cannot fail."""
    assert {case[0] for case in BROKEN_CASES} == {p.stem for p in BROKEN.glob("*.yaml")}


def test_the_error_reads_file_line_field_then_the_problem_and_is_a_schedule_error() -> None:
    path = BROKEN / "field_of_another_kind.yaml"
    with pytest.raises(ScheduleError) as raised:
        load_pack(path)
    assert isinstance(raised.value, PackError)
    assert str(raised.value) == (
        f"{path}:16: rules.0.limit: is not a field of hours rules (hours rules take: hours)"
    )


@pytest.mark.parametrize(
    ("rules", "line", "field", "message"),
    [
        ("  - {id: R1, title: T, citation: C, certainty: V}\n", 7, "rules.0.kind", "is required"),
        ("  - {id: R1, title: T, citation: C, kind: note}\n", 7, "rules.0.certainty",
         "is required"),
        ("  - {id: R1, title: T, certainty: V, kind: note}\n", 7, "rules.0.citation",
         "is required"),
        ("  - {id: R1, certainty: V, citation: C, kind: note}\n", 7, "rules.0.title",
         "is required"),
        ("  - {id: 'F/1', title: T, citation: C, certainty: V, kind: note}\n", 7, "rules.0.id",
         "must be a rule id"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: note, channels: [fax]}\n", 7,
         "rules.0.channels.0", "must be one of sms, email, voice, visit, not 'fax'"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: note, channels: []}\n", 7,
         "rules.0.channels", "must not be an empty list"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: note, action: ignore}\n", 7,
         "rules.0.action", "not 'ignore'"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: cap, limit: 0, window: 7d}\n",
         7, "rules.0.limit", "must be at least 1, not 0"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: cap, limit: 2}\n", 7,
         "rules.0", "either window: (rolling) or calendar_days:"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: cap, limit: 2, window: 7d,"
         " counts: [placed, sent]}\n", 7, "rules.0.counts.1", "sent is listed twice"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: cap, limit: 2, window: 7d,"
         " per: household}\n", 7, "rules.0.per", "not 'household'"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: cooldown, after: call,"
         " days: 7}\n", 7, "rules.0.after", "not 'call'"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: keywords, keywords: {}}\n", 7,
         "rules.0.keywords", "needs at least one of stop, start, help"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: keywords,"
         " keywords: {stop: [STOP, stop]}}\n", 7, "rules.0.keywords.stop.1",
         "keyword 'stop' is listed twice"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: content, content: opt_out,"
         " texts: {initial: {en_US: x}}}\n", 7, "rules.0.texts.initial.en_US",
         "must be a BCP 47 locale"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: days}\n", 7, "rules.0",
         "a days rule needs weekdays:, public_holidays: or dates:"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: hours,"
         " hours: {start: '21:00', end: '08:00'}}\n", 7, "rules.0.hours.end",
         "must be after start 21:00"),
        ("  - {id: R1, title: T, citation: C, certainty: V, kind: note, effective: 2021-13-01}\n",
         7, "rules.0.effective", "must be a date YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_a_malformed_rule_is_refused_naming_line_and_field(
    rules: str, line: int, field: str, message: str
) -> None:
    with pytest.raises(PackError) as raised:
        parse_pack(HEAD + rules, file="inline.yaml")
    assert (raised.value.file, raised.value.line, raised.value.field) == (
        "inline.yaml",
        line,
        field,
    )
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("", 1, None, "the file holds no YAML document"),
        (HEAD, 6, "rules", "must not be empty"),
        (HEAD.replace("rules:", "rules: []"), 6, "rules", "must not be an empty list"),
        (HEAD.replace("pack: inline", "pack: Inline") + NOTE, 1, "pack", "must be a pack name"),
        (HEAD.replace("{country: US}", "{country: usa}") + NOTE, 5, "applies_when.country",
         "ISO 3166-1"),
        (HEAD.replace("{country: US}", "{regions: [MA]}") + NOTE, 5, "applies_when.regions",
         "needs country:"),
        (HEAD.replace("{country: US}", "{collectors: [agency]}") + NOTE, 5,
         "applies_when.collectors.0", "must be one of creditor, third_party"),
        (HEAD.replace("disclaimer: Not legal advice.\n", "") + NOTE, 1, "disclaimer",
         "is required"),
    ],
)  # fmt: skip
def test_a_malformed_pack_is_refused_naming_line_and_field(
    text: str, line: int, field: str | None, message: str
) -> None:
    with pytest.raises(PackError) as raised:
        parse_pack(text, file="inline.yaml")
    assert (raised.value.line, raised.value.field) == (line, field)
    assert message in str(raised.value)


@pytest.mark.parametrize(("kind", "fields", "action"), [
    ("hours", "hours: {start: '08:00', end: '21:00'}", "defer"),
    ("days", "weekdays: [sunday]", "defer"),
    ("cap", "limit: 1, window: 1d", "defer"),
    ("cooldown", "after: conversation, days: 7", "defer"),
    ("consent", "requires: work_email_consent", "block"),
    ("content", "content: opt_out", "require"),
    ("keywords", "keywords: {stop: [stop]}", "record"),
    ("retention", "retention_days: 30", "record"),
    ("note", "enforced_by: people", "record"),
])  # fmt: skip
def test_each_kind_has_its_default_action(kind: str, fields: str, action: str) -> None:
    text = HEAD + f"  - {{id: R1, title: T, citation: C, certainty: S, kind: {kind}, {fields}}}\n"
    assert parse_pack(text, file="inline.yaml").rules[0].action == action
    assert DEFAULT_ACTIONS[kind] == action


def test_a_rule_may_name_its_own_action_and_placed_counts_as_sent() -> None:
    text = HEAD + (
        "  - {id: R1, title: T, citation: C, certainty: U, kind: cap, limit: 2, window: 90m,"
        " counts: [placed], action: warn}\n"
    )
    rule = parse_pack(text, file="inline.yaml").rules[0]
    assert (rule.action, rule.counts, rule.window_seconds) == ("warn", frozenset({"sent"}), 5400)


def test_a_days_rule_reads_weekdays_holidays_and_dates() -> None:
    text = HEAD + (
        "  - {id: R1, title: T, citation: C, certainty: S, kind: days, weekdays: [sunday],"
        " public_holidays: true, dates: [2026-12-24]}\n"
    )
    rule = parse_pack(text, file="inline.yaml").rules[0]
    assert rule.blocked == BlockedDays(frozenset({6}), True, frozenset({date(2026, 12, 24)}))


def test_a_parsed_rule_cites_pack_rule_and_version() -> None:
    pack = parse_pack(HEAD + NOTE, file="inline.yaml")
    assert pack.rules == (
        Rule(
            pack="inline",
            pack_version="1",
            id="R1",
            title="T",
            citation="C",
            certainty="V",
            kind="note",
            action="record",
            texts=MappingProxyType({}),
        ),
    )
    assert (pack.rules[0].ref, pack.source) == ("inline/R1@1", "inline.yaml")


def test_a_missing_pack_file_is_a_pack_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(PackError) as raised:
        load_pack(path)
    assert (raised.value.file, raised.value.line) == (str(path), None)
    assert "cannot be read: No such file or directory" in str(raised.value)


# --- remind packs list|show ----------------------------------------------------------------------


def test_packs_show_prints_each_rule_with_its_numbers_and_citation() -> None:
    result = CliRunner().invoke(packs_app, ["show", "us-federal"])
    assert result.exit_code == 0, result.output
    assert "12 CFR 1006.14(b)(2)(i)(A)" in result.output
    assert "at most 7 per 7d rolling, per debt, counting sent" in result.output
    assert "at most 6 per local day, per number, counting sent" in result.output
    assert "only 08:00-21:00 local time" in result.output
    assert "Not legal advice." in result.output


def test_packs_show_says_which_numbers_a_content_rule_covers_and_where_a_note_warns() -> None:
    result = CliRunner().invoke(packs_app, ["show", "us-federal"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "content check call_opt_out, calls to landline numbers" in result.output
    assert "warns on   initial communication" in result.output


def test_packs_list_counts_each_packs_rules_by_certainty() -> None:
    result = CliRunner().invoke(packs_app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {
        cells[0]: cells[1:6]
        for line in result.output.splitlines()
        if len(cells := [c.strip() for c in line.strip("│").split("│")]) > 5
    }
    assert rows["us-federal"] == ["2026-11-29", "US", "13", "9", "1"]
    assert rows["us-ma"] == ["2026-11-29", "US-MA", "3", "0", "0"]
    assert rows["cn"] == ["2026-11-29", "CN", "0", "6", "1"]


def test_packs_show_of_an_unknown_pack_is_a_pack_error() -> None:
    result = CliRunner().invoke(packs_app, ["show", "us-ny"])
    assert isinstance(result.exception, PackError)
    assert "no rule pack named 'us-ny'" in str(result.exception)
