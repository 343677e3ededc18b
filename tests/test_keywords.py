"""Inbound SMS keywords: a whole reply of STOP, START or HELP words, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from worker.contracts.vocab import COLLECTORS
from worker.gate.keywords import (
    DEFAULT_KEYWORDS,
    Intent,
    classify_inbound,
    classify_reply,
    keyword_sets,
    words,
)
from worker.gate.packs.files import parse_pack

#: A pack's keywords rule, as rule packs carry it.
SPANISH = {"stop": ("ALTO", "BAJA", "PARAR"), "start": ("COMENZAR",), "help": ("AYUDA",)}
#: A pack that lists a word the defaults give to another intent.
CANCEL_IS_HELP = {"help": ("CANCEL", "MENU")}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # the TCPA revocation words and the carrier keywords
        ("STOP", "stop"),
        ("stop", "stop"),
        ("Stop", "stop"),
        ("STOPALL", "stop"),
        ("stop all", "stop"),
        ("QUIT", "stop"),
        ("end", "stop"),
        ("Revoke", "stop"),
        ("opt out", "stop"),
        ("OPTOUT", "stop"),
        ("cancel", "stop"),
        ("UNSUBSCRIBE", "stop"),
        ("START", "start"),
        ("unstop", "start"),
        ("HELP", "help"),
        ("info", "help"),
        # punctuation, spacing and width
        ("stop.", "stop"),
        ("  STOP  ", "stop"),
        ("\tstop\n", "stop"),
        ("Opt  out!", "stop"),
        ("opt-out", "stop"),
        ("'STOP'", "stop"),
        ("STOP!!! 😡", "stop"),
        ("STOP ❤️", "stop"),
        ("ＳＴＯＰ", "stop"),
        ("ｓｔｏｐ！", "stop"),
        ("ＨＥＬＰ？", "help"),
        # nothing but keywords
        ("STOP STOP", "stop"),
        ("stop, unsubscribe", "stop"),
        ("Stop. Stop. STOP!", "stop"),
        ("opt out opt out", "stop"),
        ("start start", "start"),
        # mixed intents: stop beats start beats help
        ("STOP HELP", "stop"),
        ("help stop", "stop"),
        ("START STOP", "stop"),
        ("help start", "start"),
        # Chinese replies
        ("退订", "stop"),
        ("退訂", "stop"),
        ("退订。", "stop"),
        ("【退订】", "stop"),
        ("取消订阅", "stop"),
        ("取消訂閱", "stop"),
        ("TD", "stop"),
        ("td", "stop"),
        ("ＴＤ", "stop"),
        ("T", "stop"),
        ("t!", "stop"),
        # sentences and other words are not keywords
        ("please don't stop helping me", None),
        ("Can you help?", None),
        ("I will pay at the end of the month", None),
        ("STOP please", None),
        ("stopped", None),
        ("STOP1", None),
        ("yes", None),
        ("请退订", None),
        ("我已经还款了", None),
        ("don't", None),
        # nothing at all
        ("", None),
        ("   ", None),
        ("?!.", None),
        ("😡", None),
    ],
)
def test_a_reply_is_a_keyword_only_when_the_whole_of_it_is(
    text: str, intent: Intent | None
) -> None:
    assert classify_inbound(text) == intent


@pytest.mark.parametrize(
    ("text", "sets", "intent"),
    [
        ("alto", [SPANISH], "stop"),
        ("¡BAJA!", [SPANISH], "stop"),
        ("Comenzar", [SPANISH], "start"),
        ("ayuda", [SPANISH], "help"),
        ("alto", [], None),
        ("STOP", [SPANISH], "stop"),  # the defaults still apply next to a pack's set
        ("ayuda stop", [SPANISH], "stop"),
        ("menu", [SPANISH, CANCEL_IS_HELP], "help"),  # several sets add up
        ("cancel", [CANCEL_IS_HELP], "stop"),  # listed under help too: stop is stronger
        ("alto por favor", [SPANISH], None),
        ("parar", [{"stop": ["parar"]}], "stop"),
        ("opt-in", [{"start": ["OPT IN"]}], "start"),
    ],
)
def test_pack_keyword_sets_add_to_the_defaults(
    text: str, sets: list[Mapping[str, Sequence[str]]], intent: Intent | None
) -> None:
    assert classify_inbound(text, sets) == intent


def test_keyword_sets_may_be_any_iterable_read_once() -> None:
    assert classify_inbound("alto", (s for s in [SPANISH])) == "stop"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ([{"unsubscribe": ["BAJA"]}], "unknown keyword intent 'unsubscribe'"),
        ([{"stop": ["!!"]}], "stop keyword '!!' has no letters or digits"),
        ([{"help": [""]}], "help keyword '' has no letters or digits"),
    ],
)
def test_a_malformed_keyword_set_is_refused(
    sets: list[Mapping[str, Sequence[str]]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        classify_inbound("STOP", sets)


def test_yes_is_not_a_default_start_keyword() -> None:
    assert "YES" not in DEFAULT_KEYWORDS["start"]
    assert classify_inbound("YES") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Opt  out!", ("opt", "out")),
        ("ＳＴＯＰ", ("stop",)),
        ("don't", ("don", "t")),
        ("退订，谢谢", ("退订", "谢谢")),
        ("Straße", ("strasse",)),
        ("", ()),
    ],
)
def test_words_fold_width_and_case_and_split_on_anything_but_letters_and_digits(
    text: str, expected: tuple[str, ...]
) -> None:
    assert words(text) == expected


@pytest.mark.parametrize("collector", COLLECTORS)
@pytest.mark.parametrize(
    ("text", "country", "intent"),
    [
        ("STOP", "US", "stop"),
        ("revoke", "US", "stop"),
        ("unstop", "US", "start"),
        ("退订", "CN", "stop"),
        ("TD", "CN", "stop"),
        ("info", "GB", "help"),
        ("please call me tomorrow", "US", None),
    ],
)
def test_a_reply_is_classified_with_the_keywords_of_the_senders_packs(
    text: str, country: str, intent: str | None, collector: str
) -> None:
    # the shipped keyword rules bind creditors and collectors alike
    assert classify_reply(text, country, collector=collector) == intent


#: A pack whose keywords rules differ by who collects.
BY_COLLECTOR = parse_pack(
    """
pack: by-collector
version: "1"
title: keywords that depend on who collects
disclaimer: test data
applies_when: {}
rules:
  - {id: K1, title: collectors only, citation: test, certainty: V, kind: keywords,
     collectors: [third_party], keywords: {stop: [basta]}}
  - {id: K2, title: everyone, citation: test, certainty: V, kind: keywords,
     keywords: {help: [ayuda]}}
""",
    file="by-collector.yaml",
)


@pytest.mark.parametrize(
    ("collector", "text", "intent"),
    [
        ("third_party", "basta", "stop"),
        ("creditor", "basta", None),
        ("third_party", "ayuda", "help"),
        ("creditor", "ayuda", "help"),
    ],
)
def test_a_keywords_rule_for_collectors_only_does_not_bind_a_creditor(
    collector: str, text: str, intent: str | None
) -> None:
    sets = keyword_sets([BY_COLLECTOR], collector)

    assert classify_inbound(text, sets) == intent


def test_an_unknown_collector_is_refused_rather_than_matching_no_collector_rule() -> None:
    with pytest.raises(ValueError, match="unknown collector 'debt_buyer'"):
        classify_reply("STOP", "US", collector="debt_buyer")
