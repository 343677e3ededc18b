"""Reading a person's reply: a stop, a reply to hold for a person's review, or neither.

A reply made only of keywords keeps the meaning ``worker.gate.keywords.classify_inbound`` gives
it (stop, start or help). Any other reply is read as free text with the tables of
``worker.gate.replywords``, and the cautious reading decides (docs/compliance.md, Cautious
readings): the law asks that a revocation made by any reasonable means be honoured (47 CFR
64.1200(a)(10)-(12); 12 CFR 1006.14(h) for a refused medium), so

- a stop word anywhere, or other plain words for stop, make the reply a **stop**;
- a stop word whose other use is present ("stop by", "the end of the month") or that follows a
  negation, a stop narrowed to a place, time or person ("don't call me at work"), and a reply
  that may mean the number must not be used at all ("wrong number") make it a **review**: the
  number is held, no contact on it, until a person decides;
- only a reply with none of these is read as nothing. When in doubt: review, never nothing;
- a reply with none of these that asks for a repayment plan ("PLAN", "方案", "a payment plan
  please") is a **plan** request, for a person to answer with ``plan_agreed``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from worker.gate import replywords as rw
from worker.gate.keywords import DEFAULT_KEYWORDS, classify_inbound

__all__ = ["Reading", "ReplyIntent", "decided_by", "read_reply", "units"]

ReplyIntent = Literal["stop", "review", "start", "help", "plan"]
_NO_MEDIA: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reading:
    """What a reply asks: its intent, the channels it names and the words that decided it."""

    intent: ReplyIntent | None
    #: channels the reply names ("don't call me": voice); empty when it names none
    media: frozenset[str] = _NO_MEDIA
    #: the phrases that decided, in the reply's order, for the record
    words: tuple[str, ...] = ()


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# NFKC has already turned full-width ！？，；： into their ASCII forms.
_CLAUSE_END = frozenset(".!?,;:。、")
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_VARIATION_SELECTORS = frozenset(map(chr, range(0xFE00, 0xFE10)))
_CLAUSE = "|"


def units(text: str) -> tuple[str, ...]:
    """``text`` as matched: folded Latin words ("don't" is "dont") and single Chinese
    characters, with ``|`` where a clause ends."""
    folded = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    out: list[str] = []
    word: list[str] = []
    for c in folded:
        if _HAN.match(c) or not (
            unicodedata.category(c)[0] in "LNM" and c not in _VARIATION_SELECTORS
        ):
            if word:
                out.append("".join(word))
                word.clear()
            if _HAN.match(c):
                out.append(c)
            elif c in _CLAUSE_END and out and out[-1] != _CLAUSE:
                out.append(_CLAUSE)
        else:
            word.append(c)
    if word:
        out.append("".join(word))
    while out and out[-1] == _CLAUSE:
        out.pop()
    return tuple(out)


def _label(phrase: Sequence[str]) -> str:
    """Units back as text: Latin words spaced, Chinese characters joined."""
    text = ""
    for u in phrase:
        if text and not _HAN.match(u) and not _HAN.match(text[-1]):
            text += " "
        text += u
    return text


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    label: str
    media: frozenset[str] = _NO_MEDIA


class _Message:
    """A reply's units, indexed for phrase look-ups."""

    def __init__(self, text: str):
        self.units = units(text)
        self.has_han = any(_HAN.match(u) for u in self.units)
        self.clause: list[int] = []
        n = 0
        for u in self.units:
            n += u == _CLAUSE
            self.clause.append(n)
        self._at: dict[str, list[int]] = {}
        for i, u in enumerate(self.units):
            self._at.setdefault(u, []).append(i)

    def find(self, phrase: str, media: frozenset[str] = _NO_MEDIA) -> Iterator[_Hit]:
        """Every occurrence of ``phrase`` inside one clause."""
        want = units(phrase)
        if not want or _CLAUSE in want:
            return
        for i in self._at.get(want[0], ()):
            if self.units[i : i + len(want)] == want:
                yield _Hit(i, i + len(want), _label(want), media)

    def find_all(self, phrases: Iterable[str] | Mapping[str, frozenset[str]]) -> list[_Hit]:
        if isinstance(phrases, Mapping):
            return [h for p, m in phrases.items() for h in self.find(p, m)]
        return [h for p in phrases for h in self.find(p)]

    def media_of(self, hits: Iterable[_Hit]) -> frozenset[str]:
        """The channels the hits name, and those named anywhere in their clauses."""
        clauses = {self.clause[h.start] for h in hits}
        named = [h for h in self.find_all(rw.MEDIA) if self.clause[h.start] in clauses]
        return frozenset().union(*(h.media for h in [*hits, *named]))


def _stop_words(keyword_sets: Sequence[Mapping[str, Sequence[str]]]) -> list[str]:
    packs = (w for s in keyword_sets for w in s.get("stop", ()))
    return list(dict.fromkeys([*rw.STOP_WORDS, *DEFAULT_KEYWORDS["stop"], *packs]))


def _is_short(word: str) -> bool:
    """One or two Latin letters (T, TD): a stop word only alone or among Chinese."""
    return len(word) <= 2 and word.isascii()


def _stop_hits(m: _Message, stop_words: Sequence[str]) -> tuple[list[_Hit], list[_Hit]]:
    """(clear, unclear) stops: a stop word is unclear when its other use covers it or a
    negation comes just before it in its clause."""
    others = m.find_all(rw.OTHER_USES)
    clear: list[_Hit] = []
    unclear: list[_Hit] = []
    for word in stop_words:
        if _is_short(word.strip()) and not m.has_han:
            continue
        for hit in m.find(word):
            cover = next((o for o in others if o.start <= hit.start and hit.end <= o.end), None)
            before = range(max(0, hit.start - 3), hit.start)
            negation = next(
                (
                    j
                    for j in before
                    if m.units[j] in rw.NEGATIONS and m.clause[j] == m.clause[hit.start]
                ),
                None,
            )
            if cover is not None:
                unclear.append(cover)
            elif negation is not None:
                unclear.append(_Hit(negation, hit.end, _label(m.units[negation : hit.end])))
            else:
                clear.append(hit)
    clear += m.find_all(rw.STOP_PHRASES)
    clear += _han_refusals(m)
    return _outermost(clear), unclear


def _han_refusals(m: _Message) -> list[_Hit]:
    """A Chinese "don't" followed within a few characters by a medium (别给我家人打电话)."""
    found: list[_Hit] = []
    media = [h for h in m.find_all(rw.MEDIA) if h.label in rw.HAN_MEDIA]
    for neg in m.find_all(rw.HAN_NEGATORS):
        for h in media:
            near = neg.end <= h.start <= neg.end + rw.HAN_GAP
            if near and m.clause[h.start] == m.clause[neg.start]:
                found.append(_Hit(neg.start, h.end, _label(m.units[neg.start : h.end]), h.media))
    return found


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    """The hits not inside a longer one, so "取消订阅" is not also read as "取消"."""
    return [
        h
        for h in hits
        if not any(
            o is not h
            and o.start <= h.start
            and h.end <= o.end
            and o.end - o.start > h.end - h.start
            for o in hits
        )
    ]


def _labels(hits: Iterable[_Hit]) -> tuple[str, ...]:
    ordered = sorted(hits, key=lambda h: (h.start, -h.end))
    return tuple(dict.fromkeys(h.label for h in ordered))


def read_reply(text: str, keyword_sets: Iterable[Mapping[str, Sequence[str]]] = ()) -> Reading:
    """What ``text`` asks (see the module's docstring). ``keyword_sets`` are the keyword rules
    of the person's packs (``worker.gate.keywords.keyword_sets``): their stop words count
    anywhere in a free-text reply too."""
    sets = list(keyword_sets)
    m = _Message(text)
    clear, unclear = _stop_hits(m, _stop_words(sets))
    whole = classify_inbound(text, sets)
    if whole == "stop":
        return Reading("stop", _NO_MEDIA, _labels(clear) or (_label(m.units),))
    if whole is not None:
        return Reading(whole, _NO_MEDIA, (_label(m.units),))
    review = m.find_all(rw.REVIEW_PHRASES)
    narrowing = m.find_all(rw.QUALIFIERS) if clear else []
    if clear and not review and not narrowing:
        return Reading("stop", m.media_of(clear), _labels(clear))
    if clear or unclear or review:
        media = m.media_of(clear) | frozenset().union(*(h.media for h in review))
        return Reading("review", media, _labels([*clear, *unclear, *narrowing, *review]))
    asked = _plan_request(m)
    if asked:
        return Reading("plan", _NO_MEDIA, asked)
    return Reading(None)


def _plan_request(m: _Message) -> tuple[str, ...]:
    """The words of a reply that asks for a repayment plan: all of it one plan word, or a plan
    phrase anywhere; () when it asks for none."""
    whole = tuple(u for u in m.units if u != _CLAUSE)
    if any(whole == units(w) for w in rw.PLAN_WORDS):
        return (_label(whole),)
    return _labels(m.find_all(rw.PLAN_PHRASES))


def decided_by(reading: Reading, keywords: Iterable[str]) -> bool:
    """Whether one of ``keywords`` (a keyword rule's stop words, say) decided ``reading``."""
    listed = {_label(units(k)) for k in keywords}
    return any(w in listed for w in reading.words)
