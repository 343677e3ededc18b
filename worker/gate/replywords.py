"""The phrase tables ``worker.gate.replies`` reads free-text replies with, English and Chinese.

Each phrase is written as a person types it; ``replies.units`` turns it into the units it is
matched as (a Latin word, or one Chinese character), so "don't" and "dont", "e-mail" and
"e mail", full-width and half-width letters all match alike. A phrase matches only inside one
clause: sentence punctuation (. ! ? , ; and their Chinese forms) ends a clause.

Why each table exists (docs/compliance.md, Cautious readings):

- ``STOP_WORDS`` are the words the TCPA rule names (47 CFR 64.1200(a)(12)) and the carrier and
  Chinese unsubscribe words: anywhere in a reply they ask to stop, unless a use in
  ``OTHER_USES`` or a negation just before them (``NEGATIONS``) says they may mean something
  else, and then the reply is held for review.
- ``STOP_PHRASES`` are other words a reasonable person would read as "stop contacting me"
  (the FCC's "any reasonable means"; 12 CFR 1006.14(h) for a refused medium): always a stop.
- ``QUALIFIERS`` narrow a stop to a place, a time or another person ("don't call me at work",
  "stop texting my mother"): the stop is then not certain, and is held for review.
- ``REVIEW_PHRASES`` may mean the person should not be contacted on this number at all (a wrong
  number, an attorney, a death, a cease): held for review even without a stop word.
- ``MEDIA`` name a channel; a stop or review names the channels of every medium in its clause.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ALL_MEDIA = frozenset({"sms", "voice", "email", "visit"})
_SMS, _VOICE, _EMAIL = frozenset({"sms"}), frozenset({"voice"}), frozenset({"email"})
_NONE: frozenset[str] = frozenset()

#: Words that ask to stop wherever they stand, unless their other use or a negation is present.
STOP_WORDS: tuple[str, ...] = (
    "stop", "stopall", "stop all", "quit", "end", "revoke", "opt out", "optout", "cancel",
    "unsubscribe", "unsub", "unsubcribe", "unsuscribe", "unsubscibe", "discontinue",
    "退订", "退訂", "取消订阅", "取消訂閱", "停止", "取消", "td",
)  # fmt: skip

#: Uses of a stop word that may mean something else ("stop by", "the end of the month").
OTHER_USES: tuple[str, ...] = (
    "stop by", "stop in", "stop into", "stop at the", "stop over", "stop payment", "bus stop",
    "stop sign", "end of", "in the end", "at the end", "end date", "end up", "month end",
    "cancel my", "cancel the payment", "cancel payment", "cancel a payment", "cancel the plan",
    "cancel the order", "cancel the appointment", "cancel autopay", "cancel the autopay",
    "cancel the card", "end my", "discontinue my", "i quit", "quit my", "quit smoking",
    "td bank",
    "不要停止", "别停止", "別停止", "不能停止", "无法停止", "無法停止", "不会停止", "不會停止",
    "取消订单", "取消訂單", "取消还款", "取消還款", "取消分期", "取消预约", "取消預約", "取消付款",
    "取消自动", "取消自動", "取消扣款", "不要取消", "别取消", "別取消",
)  # fmt: skip

#: A stop word after one of these (within three words, in its clause) may be negated.
NEGATIONS: frozenset[str] = frozenset(
    {"dont", "not", "cant", "cannot", "wont", "never", "didnt", "doesnt", "isnt", "wasnt",
     "shouldnt", "couldnt", "wouldnt"}
)  # fmt: skip

_NEGATORS = ("dont", "do not", "never", "dont ever", "do not ever")
_VERBS: Mapping[str, frozenset[str]] = {
    "text": _SMS, "txt": _SMS, "sms": _SMS, "message": _NONE, "msg": _NONE, "send": _NONE,
    "call": _VOICE, "ring": _VOICE, "phone": _VOICE, "email": _EMAIL, "e mail": _EMAIL,
    "contact": ALL_MEDIA, "bother": ALL_MEDIA, "harass": ALL_MEDIA, "disturb": ALL_MEDIA,
}  # fmt: skip
_NOUNS: Mapping[str, frozenset[str]] = {
    "texts": _SMS, "text": _SMS, "txts": _SMS, "sms": _SMS, "messages": _NONE, "msgs": _NONE,
    "calls": _VOICE, "robocalls": _VOICE, "voicemails": _VOICE, "emails": _EMAIL,
    "e mails": _EMAIL, "contact": ALL_MEDIA,
}  # fmt: skip

#: Other words for stop, with the channels they name ("don't call" refuses calls).
STOP_PHRASES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        **{f"{n} {v}": media for n in _NEGATORS for v, media in _VERBS.items()},
        **{f"no more {noun}": media for noun, media in _NOUNS.items()},
        "remove me": _NONE, "remove my number": _NONE, "remove my name": _NONE,
        "remove this number": _NONE, "take me off": _NONE, "take my number off": _NONE,
        "take my name off": _NONE, "take my contact": _NONE, "take my info": _NONE,
        "take my details": _NONE, "off your list": _NONE, "off the list": _NONE,
        "no mas": _NONE, "no más": _NONE, "basta": _NONE,
        "opt me out": _NONE, "lose my number": _NONE, "delete my number": _NONE,
        "leave me alone": ALL_MEDIA, "go away": _NONE,
        "不要再发": _NONE, "不要再發": _NONE, "别再发": _NONE, "別再發": _NONE,
        "不要发了": _NONE, "不要發了": _NONE, "别发了": _NONE, "別發了": _NONE,
        "不要给我发": _NONE, "不要給我發": _NONE, "别给我发": _NONE, "別給我發": _NONE,
        "不要再打": _VOICE, "别再打": _VOICE, "別再打": _VOICE, "不要打了": _VOICE,
        "别打了": _VOICE, "別打了": _VOICE, "不要打给我": _VOICE, "不要打給我": _VOICE,
        "别打给我": _VOICE, "別打給我": _VOICE, "不要打到": _VOICE,
        "不要再联系": ALL_MEDIA, "不要再聯繫": ALL_MEDIA, "别再联系": ALL_MEDIA,
        "別再聯繫": ALL_MEDIA, "不要联系我": ALL_MEDIA, "不要聯繫我": ALL_MEDIA,
        "别联系我": ALL_MEDIA, "別聯繫我": ALL_MEDIA, "拒收": _NONE, "拒绝接收": _NONE,
        "拒絕接收": _NONE, "别烦我": ALL_MEDIA, "別煩我": ALL_MEDIA, "不要骚扰": ALL_MEDIA,
        "不要騷擾": ALL_MEDIA, "别骚扰": ALL_MEDIA, "別騷擾": ALL_MEDIA, "勿扰": ALL_MEDIA,
        "勿擾": ALL_MEDIA,
    }
)  # fmt: skip

#: A Chinese "don't" followed within a few characters by a medium refuses it (别给我家人打电话).
HAN_NEGATORS: tuple[str, ...] = ("别", "別", "不要", "勿", "不准", "不许", "不許")
#: How many characters may stand between a Chinese negator and the medium it refuses.
HAN_GAP = 6

#: Words that narrow a stop to a place, a time or another person: the stop is then reviewed.
QUALIFIERS: tuple[str, ...] = (
    "at work", "my work", "my job", "at the office", "my office", "workplace", "work number",
    "my mother", "my mom", "my mum", "my father", "my dad", "my wife", "my husband", "my son",
    "my daughter", "my brother", "my sister", "my parents", "my family", "my kids",
    "my children", "my boss", "my employer", "my partner", "my girlfriend", "my boyfriend",
    "my friend", "my roommate", "my neighbor", "my neighbour", "my grandmother", "my grandma",
    "my grandfather", "my grandpa", "my aunt", "my uncle",
    "before", "after", "during", "until", "till", "at night", "in the morning",
    "in the evening", "on weekends", "on the weekend", "on sundays", "on sunday", "for now",
    "for a while", "today", "tonight", "this week",
    "单位", "單位", "公司", "上班", "工作时间", "工作時間", "家人", "家里人", "家裡人", "我妈",
    "我媽", "我爸", "父母", "老婆", "老公", "孩子", "朋友", "同事", "领导", "領導", "晚上",
    "早上", "上午", "下午", "周末", "週末", "夜里", "夜裡", "暂时", "暫時", "明天", "今天",
)  # fmt: skip

#: Replies that may mean this number or address must not be used at all, with what they name.
REVIEW_PHRASES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "wrong number": _NONE, "wrong person": _NONE, "wrong guy": _NONE, "not me": _NONE,
        "isnt me": _NONE, "not my number": _NONE, "not my phone": _NONE,
        "no longer my": _NONE, "not my debt": _NONE, "who is this": _NONE,
        "not in service": _NONE, "no longer in service": _NONE, "new number": _NONE,
        "changed my number": _NONE,
        "whos this": _NONE, "who are you": _NONE, "not interested": _NONE,
        "lawyer": ALL_MEDIA, "attorney": ALL_MEDIA, "bankruptcy": ALL_MEDIA,
        "bankrupt": ALL_MEDIA, "passed away": ALL_MEDIA, "deceased": ALL_MEDIA,
        "died": ALL_MEDIA, "cease": ALL_MEDIA,
        "打错": _NONE, "打錯": _NONE, "发错": _NONE, "發錯": _NONE, "错号": _NONE,
        "錯號": _NONE, "不是我": _NONE, "不是本人": _NONE, "我不是": _NONE, "不认识": _NONE,
        "不認識": _NONE, "找错人": _NONE, "找錯人": _NONE, "换号": _NONE, "換號": _NONE,
        "你是谁": _NONE, "你是誰": _NONE, "律师": ALL_MEDIA, "律師": ALL_MEDIA,
        "去世": ALL_MEDIA, "过世": ALL_MEDIA, "過世": ALL_MEDIA, "破产": ALL_MEDIA,
        "破產": ALL_MEDIA, "停止催收": ALL_MEDIA, "不要再催": ALL_MEDIA,
    }
)  # fmt: skip

#: Words that name a channel; "contact" and its kin name every channel.
MEDIA: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        **dict.fromkeys(
            ("text", "texts", "texting", "texted", "txt", "txts", "txting", "sms"), _SMS
        ),
        **dict.fromkeys(
            ("call", "calls", "calling", "ring", "ringing", "voicemail", "voicemails",
             "robocall", "robocalls"),
            _VOICE,
        ),
        **dict.fromkeys(
            ("email", "emails", "emailing", "emailed", "e mail", "e mails"), _EMAIL
        ),
        **dict.fromkeys(
            ("contact", "contacting", "bother", "bothering", "harass", "harassing",
             "harassment"),
            ALL_MEDIA,
        ),
        **dict.fromkeys(("短信", "簡訊", "简讯", "信息", "訊息"), _SMS),
        **dict.fromkeys(("电话", "電話", "来电", "來電"), _VOICE),
        **dict.fromkeys(("邮件", "郵件", "电邮", "電郵", "邮箱", "郵箱"), _EMAIL),
        **dict.fromkeys(
            ("联系", "聯繫", "联络", "聯絡", "骚扰", "騷擾", "打扰", "打擾"), ALL_MEDIA
        ),
    }
)  # fmt: skip

#: The two-character Chinese media a ``HAN_NEGATORS`` word refuses when it comes first.
HAN_MEDIA: tuple[str, ...] = tuple(w for w in MEDIA if len(w) == 2 and not w.isascii())

#: A reply asking for a repayment plan: the whole reply one of ``PLAN_WORDS`` ("PLAN", "方案"),
#: or one of ``PLAN_PHRASES`` anywhere. Read only when the reply holds no stop and nothing to
#: review; it becomes an outcome for a person to answer with ``plan_agreed``.
PLAN_WORDS: tuple[str, ...] = ("plan", "方案", "分期", "還款方案", "还款方案")
PLAN_PHRASES: tuple[str, ...] = (
    "payment plan", "repayment plan", "instalment plan", "installment plan", "pay in instalments",
    "pay in installments", "set up a plan", "还款方案", "還款方案", "分期还款", "分期還款",
    "还款计划", "還款計劃", "分期付款",
)  # fmt: skip
