"""Reading a person's free-text reply: a stop, a reply to hold for review, or neither.

The cautious reading (docs/compliance.md, Cautious readings): a reply that uses a stop word or
plainly asks not to be contacted is a stop, whatever else it says (47 CFR 64.1200(a)(10)-(12),
12 CFR 1006.14(h)); a stop word used in a way that may mean something else, or a stop that names
a place, a time or another person, is held for a person to review; nothing that may mean stop is
ever read as nothing.
"""

from __future__ import annotations

import pytest

from worker.gate.replies import Reading, decided_by, read_reply

ALL = frozenset({"sms", "voice", "email", "visit"})


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # the TCPA words anywhere in the reply
        ("please stop texting me", "stop"),
        ("STOP please", "stop"),
        ("Stop it.", "stop"),
        ("stop sending these", "stop"),
        ("I said STOP!!!", "stop"),
        ("unsubscribe me", "stop"),
        ("Please unsubscribe me from this list", "stop"),
        ("I want to opt out", "stop"),
        ("opt-out now", "stop"),
        ("I revoke my consent", "stop"),
        ("cancel these messages", "stop"),
        ("quit texting me", "stop"),
        ("end this now", "stop"),
        ("No. Stop.", "stop"),
        ("stop all", "stop"),
        ("STOPALL", "stop"),
        # other wording that plainly asks not to be contacted
        ("don't text me", "stop"),
        ("Don’t text me anymore", "stop"),
        ("do not call me again", "stop"),
        ("dont email me", "stop"),
        ("do not contact me", "stop"),
        ("remove me from your list", "stop"),
        ("Remove my number", "stop"),
        ("take me off your list", "stop"),
        ("no more texts", "stop"),
        ("no more calls please", "stop"),
        ("leave me alone", "stop"),
        ("never contact me again", "stop"),
        ("unsubcribe", "stop"),
        ("I would appreciate if we discontinue any further texts", "stop"),
        ("Take my contact info off please", "stop"),
        ("Please remove this number", "stop"),
        ("No más mensajes", "stop"),
        # Chinese
        ("退订", "stop"),
        ("请退订，谢谢", "stop"),
        ("回复TD退订", "stop"),
        ("好的TD", "stop"),
        ("停止", "stop"),
        ("请停止发送", "stop"),
        ("不要再发了", "stop"),
        ("不要 再发 短信了", "stop"),
        ("别再打了", "stop"),
        ("別再打電話給我", "stop"),
        ("不要联系我", "stop"),
        ("拒收", "stop"),
        ("别烦我", "stop"),
        ("取消订阅", "stop"),
        # a clear stop beside an unclear use of a stop word is still a stop
        ("I can't stop by the office. Stop texting me.", "stop"),
        # a stop word that may mean something else: held for review
        ("I can't stop by the office", "review"),
        ("I will pay by the end of the month", "review"),
        ("can I cancel my payment plan?", "review"),
        ("please don't stop helping me", "review"),
        ("I don't want to unsubscribe", "review"),
        ("I quit my job last week", "review"),
        ("I need to end my payment plan", "review"),
        ("不要停止", "review"),
        ("取消订单", "review"),
        # a stop that names a place, a time or another person: held for review
        ("don't contact me at work", "review"),
        ("stop calling my mother", "review"),
        ("please stop texting my husband", "review"),
        ("don't call me before noon", "review"),
        ("stop texting me at night", "review"),
        ("不要打到我单位", "review"),
        ("别给我家人打电话", "review"),
        # not the person, or not theirs to answer: held for review
        ("wrong number", "review"),
        ("You have the wrong person", "review"),
        ("this is not my number anymore", "review"),
        ("who is this?", "review"),
        ("this number is no longer in service", "review"),
        ("talk to my lawyer", "review"),
        ("he passed away last month", "review"),
        ("cease all communication", "review"),
        ("打错了", "review"),
        ("我不是本人", "review"),
        ("不认识这个人", "review"),
        # the whole-reply keywords keep their meaning
        ("START", "start"),
        ("unstop", "start"),
        ("HELP", "help"),
        ("info", "help"),
        # replies that ask nothing of the kind
        ("I will pay on Friday", None),
        ("thanks, paid", None),
        ("Can you call me tomorrow?", None),
        ("what is my balance", None),
        ("my weekend is busy", None),
        ("stopped", None),
        ("Tomorrow", None),
        ("我明天还款", None),
        ("好的，谢谢", None),
        ("I paid at TD bank", None),
        ("", None),
        ("😡", None),
    ],
)
def test_a_reply_is_read_as_a_stop_a_reply_to_review_or_neither(
    text: str, intent: str | None
) -> None:
    assert read_reply(text).intent == intent


@pytest.mark.parametrize(
    ("text", "media"),
    [
        ("STOP", frozenset()),
        ("please stop texting me", {"sms"}),
        ("stop sending me txts", {"sms"}),
        ("do not call me again", {"voice"}),
        ("stop the robocalls", {"voice"}),
        ("no more emails", {"email"}),
        ("don't e-mail me", {"email"}),
        ("don't text or call me", {"sms", "voice"}),
        ("do not contact me", ALL),
        ("leave me alone", ALL),
        ("stop harassing me", ALL),
        ("Stop texting me. Call me instead.", {"sms"}),
        ("别再打了", {"voice"}),
        ("不要再发短信了", {"sms"}),
        ("不要再发邮件", {"email"}),
        ("不要联系我", ALL),
        ("退订", frozenset()),
    ],
)
def test_a_stop_that_names_a_medium_refuses_that_medium(text: str, media: frozenset[str]) -> None:
    reading = read_reply(text)
    assert (reading.intent, reading.media) == ("stop", media)


def test_a_reply_to_review_names_the_media_it_may_refuse() -> None:
    assert read_reply("don't contact me at work").media == ALL
    assert read_reply("stop calling my mother").media == {"voice"}
    assert read_reply("wrong number").media == frozenset()


def test_a_reading_keeps_the_words_that_decided_it() -> None:
    assert read_reply("please stop texting me").words == ("stop",)
    assert read_reply("stop calling my mother").words == ("stop", "my mother")
    assert read_reply("I will pay by the end of the month").words == ("end of",)
    assert read_reply("退订").words == ("退订",)
    assert read_reply("I will pay on Friday") == Reading(None)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("alto por favor", "stop"),  # a pack's stop word counts anywhere in a reply, too
        ("ALTO", "stop"),
        ("comenzar", "start"),
        ("tengo un carro alto", "stop"),  # no table of its other uses: read as a stop
    ],
)
def test_a_packs_keywords_count_in_free_text(text: str, intent: str) -> None:
    spanish = {"stop": ("ALTO",), "start": ("COMENZAR",)}
    assert read_reply(text, [spanish]).intent == intent


def test_a_one_or_two_letter_keyword_counts_only_whole_or_among_chinese() -> None:
    assert read_reply("T").intent == "stop"
    assert read_reply("td").intent == "stop"
    assert read_reply("好的T").intent == "stop"
    assert read_reply("I paid at TD bank").intent is None
    assert read_reply("can't").intent is None


def test_a_reading_says_which_keyword_list_decided_it() -> None:
    chinese = ["退订", "TD", "T"]
    assert decided_by(read_reply("T"), chinese)
    assert decided_by(read_reply("请退订"), chinese)
    assert decided_by(read_reply("Please STOP"), ["stop", "quit"])
    assert not decided_by(read_reply("I can't stop by. Leave me alone"), ["stop", "quit"])
