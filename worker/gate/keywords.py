"""Inbound SMS keywords: whether a reply means stop, start or help (docs/compliance.md, T4, T7).

A reply is a keyword only when the WHOLE message is one, give or take case, width, spacing and
punctuation: "Opt  out!", "stop.", "ＳＴＯＰ" and "td" are; "please don't stop helping me" is
not. A message made only of keywords ("STOP STOP", "stop, unsubscribe") counts too. When it
mixes intents the strongest wins, stop over start over help: revoking consent must never be
lost to a resubscribe (47 CFR 64.1200(a)(10)-(12)).

This is the reading of a reply made only of keywords; any other reply is read as free text by
``worker.gate.replies`` (a stop word anywhere in it still stops), which calls this first.

How: text and keywords are both reduced to word tuples by one function (``words``): NFKC folds
full-width letters and punctuation, ``casefold`` removes case, and anything that is not a
letter, digit or combining mark separates words. A message is a keyword when its word tuple
splits entirely into keyword word tuples.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Literal

from worker.contracts.vocab import COLLECTORS
from worker.gate.packs.files import applicable_packs
from worker.gate.rules import Pack

__all__ = [
    "DEFAULT_KEYWORDS",
    "INTENTS",
    "Intent",
    "classify_inbound",
    "classify_reply",
    "keyword_sets",
    "words",
]

Intent = Literal["stop", "start", "help"]
#: Every intent, strongest first: when a message holds more than one, the first here wins.
INTENTS: tuple[Intent, ...] = ("stop", "start", "help")

#: Keywords that always apply, whatever the packs add: the TCPA revocation words
#: (64.1200(a)(10)-(12)), the CTIA carrier keywords, and the usual Chinese 退订 replies.
#: YES is not a start keyword: as a whole reply it answers too many other questions.
DEFAULT_KEYWORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "stop": (
            "STOP", "STOPALL", "STOP ALL", "QUIT", "END", "REVOKE", "OPT OUT", "OPTOUT",
            "CANCEL", "UNSUBSCRIBE",
            "退订", "退訂", "TD", "T", "取消订阅", "取消訂閱",
        ),
        "start": ("START", "UNSTOP"),
        "help": ("HELP", "INFO"),
    }
)  # fmt: skip

_Phrase = tuple[str, ...]
# Variation selectors are combining marks (Mn) but only pick an emoji's presentation.
_VARIATION_SELECTORS = frozenset(map(chr, range(0xFE00, 0xFE10)))


def words(text: str) -> tuple[str, ...]:
    """``text`` as the words keyword matching compares: folded, lower case, no punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(
        c if unicodedata.category(c)[0] in "LNM" and c not in _VARIATION_SELECTORS else " "
        for c in folded
    )
    return tuple(kept.split())


def _phrases(
    keyword_sets: Iterable[Mapping[str, Sequence[str]]],
) -> dict[_Phrase, int]:
    """Every keyword as words, with the rank (index in INTENTS) of its strongest intent."""
    ranks: dict[_Phrase, int] = {}
    for keyword_set in (DEFAULT_KEYWORDS, *keyword_sets):
        for intent, keywords in keyword_set.items():
            if intent not in INTENTS:
                raise ValueError(f"unknown keyword intent {intent!r} (known: {', '.join(INTENTS)})")
            rank = INTENTS.index(intent)
            for keyword in keywords:
                phrase = words(keyword)
                if not phrase:
                    raise ValueError(f"{intent} keyword {keyword!r} has no letters or digits")
                ranks[phrase] = min(rank, ranks.get(phrase, rank))
    return ranks


_DEFAULT_PHRASES = _phrases(())


def classify_inbound(
    text: str, keyword_sets: Iterable[Mapping[str, Sequence[str]]] = ()
) -> Intent | None:
    """The intent of an inbound SMS when the whole of it is keywords, else None.

    ``keyword_sets`` are the ``keywords`` rules of the person's packs, ``{intent: [keyword,
    ...]}``; they add to ``DEFAULT_KEYWORDS``. An intent other than stop, start or help, or a
    keyword with no letter or digit, is a ``ValueError``.
    """
    phrases = _DEFAULT_PHRASES if not keyword_sets else _phrases(keyword_sets)
    message = words(text)
    if not message:
        return None
    longest = max(map(len, phrases))
    # best[i]: the strongest rank over the ways message[i:] splits into keywords; None: no way.
    # Filled from the end, so each split point is looked at once (no backtracking blow-up).
    best: list[int | None] = [None] * len(message) + [len(INTENTS)]
    for i in range(len(message) - 1, -1, -1):
        for size in range(1, min(longest, len(message) - i) + 1):
            rank = phrases.get(message[i : i + size])
            rest = best[i + size]
            if rank is not None and rest is not None:
                found = min(rank, rest)
                current = best[i]
                best[i] = found if current is None else min(current, found)
    return None if best[0] is None else INTENTS[best[0]]


def keyword_sets(packs: Iterable[Pack], collector: str) -> list[Mapping[str, Sequence[str]]]:
    """The ``keywords`` of every keywords rule in ``packs`` that binds ``collector`` (a rule
    naming ``collectors`` binds only those), for ``classify_inbound``."""
    if collector not in COLLECTORS:
        raise ValueError(f"unknown collector {collector!r} (known: {', '.join(COLLECTORS)})")
    return [
        r.keywords
        for p in packs
        for r in p.rules
        if r.kind == "keywords" and (not r.collectors or collector in r.collectors)
    ]


def classify_reply(
    text: str, country: str | None, region: str | None = None, *, collector: str
) -> Intent | None:
    """``classify_inbound`` with the keyword rules of every pack that applies to the sender's
    jurisdiction (T4 and T7 for the US, CN-KW for China) and to ``collector``, the schedule's
    ``collector``: the call the web service makes for each inbound SMS."""
    packs = applicable_packs(country, region, collector)
    return classify_inbound(text, keyword_sets(packs, collector))
