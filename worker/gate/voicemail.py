"""A limited-content voicemail, checked by construction (12 CFR 1006.2(j), rule F17).

A voicemail that holds only what the rule permits is no communication, so it reveals nothing to
whoever hears it. Rather than look for words that reveal a debt (any list misses "your unpaid
bill"), the check accepts a voicemail only when it is exactly a sequence of the phrases below,
in the voicemail's language, with the caller's values put in: ``{caller_name}`` (a business
name that does not say debt collection), ``{contact_name}`` (a person to ask for) and
``{callback_number}``. Spaces and line breaks between phrases do not matter.

The rule also *requires* four items, so the phrases used must together give each of them:
the business name, a request to reply, a person's name and a telephone number. The optional
items the rule allows are a salutation and "any representative can help"; the date and time
and suggested reply times are not offered, since no template variable holds them. The
person's own name is not permitted: the Bureau's limited-content message does not name the
consumer, and whoever hears the message may not be them.

Adding a phrase: it must say nothing but one or more of the items above (docs/compliance.md,
Cautious readings); a reviewer checks each addition against 12 CFR 1006.2(j).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from worker.cadence.caller import is_person_name, is_phone_number, says_collection
from worker.rendering.locales import language

__all__ = ["PHRASES", "REQUIRED", "Phrase", "voicemail_problems"]

#: The items 1006.2(j)(1) requires, and how a problem names each one missing.
REQUIRED: Mapping[str, str] = {
    "business": "the business name",
    "reply": "a request to call back",
    "person": "a person to ask for",
    "number": "the callback number",
}
_VARIABLES = ("caller_name", "contact_name", "callback_number")
_SHOWN = 40  # characters of an unpermitted remainder quoted in a problem


@dataclass(frozen=True)
class Phrase:
    """One permitted phrase, with ``{variable}`` slots, and the required items it gives."""

    text: str
    gives: frozenset[str] = frozenset()


def _p(text: str, *gives: str) -> Phrase:
    return Phrase(text, frozenset(gives))


#: The permitted phrases, by language (``worker.rendering.locales.language``).
PHRASES: Mapping[str, tuple[Phrase, ...]] = {
    "en": (
        _p("Hello."),
        _p("Hi."),
        _p("Good morning."),
        _p("Good afternoon."),
        _p("Good evening."),
        _p("This is {contact_name} calling from {caller_name}.", "person", "business"),
        _p("This is {contact_name} from {caller_name}.", "person", "business"),
        _p("This is a message from {caller_name}.", "business"),
        _p("Please call us back.", "reply"),
        _p("Please call us back on {callback_number}.", "reply", "number"),
        _p("Please call us back at {callback_number}.", "reply", "number"),
        _p("Please call me back on {callback_number}.", "reply", "number"),
        _p("Please call me back at {callback_number}.", "reply", "number"),
        _p("Please call {contact_name} on {callback_number}.", "reply", "person", "number"),
        _p("Please call {contact_name} at {callback_number}.", "reply", "person", "number"),
        _p("Our number is {callback_number}.", "number"),
        _p("You can ask for {contact_name}.", "person"),
        _p("You can ask for {contact_name} or any of our representatives.", "person"),
        _p("Any of our representatives can help you."),
    ),
    "zh-Hans": (
        _p("您好。"),
        _p("您好，"),
        _p("这里是{caller_name}。", "business"),
        _p("这里是{caller_name}的{contact_name}。", "business", "person"),
        _p("我是{caller_name}的{contact_name}。", "business", "person"),
        _p("请您方便时回电。", "reply"),
        _p("请您方便时回电，号码是{callback_number}。", "reply", "number"),
        _p("请回电{callback_number}。", "reply", "number"),
        _p("请致电{contact_name}，号码是{callback_number}。", "reply", "person", "number"),
        _p("我们的电话是{callback_number}。", "number"),
        _p("您可以找{contact_name}。", "person"),
        _p("您可以找{contact_name}或任何一位客服人员。", "person"),
        _p("任何一位客服人员都可以为您服务。"),
    ),
    "zh-Hant": (
        _p("您好。"),
        _p("您好，"),
        _p("這裡是{caller_name}。", "business"),
        _p("這裡是{caller_name}的{contact_name}。", "business", "person"),
        _p("我是{caller_name}的{contact_name}。", "business", "person"),
        _p("請您方便時回電。", "reply"),
        _p("請您方便時回電，號碼是{callback_number}。", "reply", "number"),
        _p("請回電{callback_number}。", "reply", "number"),
        _p("請致電{contact_name}，號碼是{callback_number}。", "reply", "person", "number"),
        _p("我們的電話是{callback_number}。", "number"),
        _p("您可以找{contact_name}。", "person"),
        _p("您可以找{contact_name}或任何一位客服人員。", "person"),
        _p("任何一位客服人員都可以為您服務。"),
    ),
}


def voicemail_problems(voicemail: str, locale: str, context: Mapping[str, Any]) -> list[str]:
    """Why ``voicemail`` is not a limited-content message, as sentences; empty when it is.

    ``context`` gives the caller's values (``build_context``). A blank voicemail leaves no
    message and passes. The values are checked first (a business name that says debt
    collection, a contact that is no person's name, a number that is none), then the text.
    """
    text = " ".join(voicemail.split())
    if not text:
        return []
    values = {key: _value(context.get(key)) for key in _VARIABLES}
    problems = _value_problems(values)
    phrases = _instances(language(locale), tuple(sorted((k, v) for k, v in values.items() if v)))
    used, stop = _parse(text, phrases)
    if used is None:
        rest = text[stop:].lstrip()
        shown = rest if len(rest) <= _SHOWN else rest[:_SHOWN].rstrip() + "…"
        problems.append(
            f"the voicemail says {shown!r}, which is none of the phrases a limited-content "
            "message may hold"
        )
        return problems
    given = frozenset().union(*(p.gives for p in used))
    problems += [
        f"the voicemail lacks {what}" for item, what in REQUIRED.items() if item not in given
    ]
    return problems


def _value(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _value_problems(values: Mapping[str, str | None]) -> list[str]:
    problems = []
    name, contact, number = (values[k] for k in _VARIABLES)
    if name is not None and (word := says_collection(name)) is not None:
        problems.append(f"the business name {name!r} says debt collection ({word!r})")
    if contact is not None and not is_person_name(contact):
        problems.append(f"the contact name {contact!r} is not a person's name")
    if number is not None and not is_phone_number(number):
        problems.append(f"the callback number {number!r} is not a telephone number")
    return problems


@cache
def _instances(lang: str, values: tuple[tuple[str, str], ...]) -> tuple[Phrase, ...]:
    """The phrases of ``lang`` with ``values`` put in; a phrase whose value is missing is out."""
    known = dict(values)
    found = []
    for phrase in PHRASES.get(lang, PHRASES["en"]):
        slots = [v for v in _VARIABLES if "{" + v + "}" in phrase.text]
        if all(v in known for v in slots):
            text = phrase.text
            for v in slots:
                text = text.replace("{" + v + "}", known[v])
            found.append(Phrase(text, phrase.gives))
    # Longest first, so "Please call us back on N." is tried before "Please call us back.".
    return tuple(sorted(found, key=lambda p: -len(p.text)))


def _parse(text: str, phrases: tuple[Phrase, ...]) -> tuple[list[Phrase] | None, int]:
    """The phrases ``text`` is made of, in order, or None and how far the best attempt got."""
    farthest = 0
    failed: set[int] = set()

    def walk(at: int) -> list[Phrase] | None:
        nonlocal farthest
        if text.startswith(" ", at):  # the one space the text has between two phrases
            at += 1
        farthest = max(farthest, at)
        if at == len(text):
            return []
        if at in failed:
            return None
        for phrase in phrases:
            if text.startswith(phrase.text, at):
                rest = walk(at + len(phrase.text))
                if rest is not None:
                    return [phrase, *rest]
        failed.add(at)
        return None

    used = walk(0)
    return used, farthest
