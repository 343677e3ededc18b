"""Content rules a rendered message must pass, failing closed (F10, F16, F17, CA1).

A content rule in a pack names one check. ``content_requirements`` turns a judgement into the
checks a message must pass (each with the rule that asks for it), the disclosure text and the
licence number its template is given; ``check_content`` then checks the rendered message before
it is sent. Any problem suppresses the message as ``template_noncompliant``, citing the rule of
the first problem: a message that may break a content rule is never sent.

The house asks for the opt-out on every SMS and email, also where no pack does (F10 is a US
rule): it is then cited as ``house/opt-out@<schedule version>``. docs/compliance.md lists the
rules and their sources.

===================== =========================================================================
``opt_out``           SMS and email (text and HTML) carry ``context["opt_out"]`` (F10)
``disclosure``        SMS, email (text and HTML) and call script carry ``context["disclosure"]``;
                      never required in, nor looked for in, the voicemail (F16)
``voicemail_limited`` a call's voicemail holds nothing that reveals the debt (F17)
``licence``           SMS and email (text and HTML) carry ``context["licence_number"]`` (CA1)
===================== =========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from worker.accounts.state import AccountState
from worker.cadence.schedule import LICENCE_EXEMPT, Schedule
from worker.gate.engine import Judgement
from worker.gate.packs.select import HOUSE, licence_keys
from worker.gate.rules import CONTENT_CHECKS
from worker.rendering.locales import DEFAULT_LOCALE, locale_chain
from worker.rendering.renderer import Rendered
from worker.rendering.sms import normalise_sms

__all__ = [
    "HOUSE_OPT_OUT",
    "VOICEMAIL_DENYLIST",
    "ContentProblem",
    "ContentRequirements",
    "check_content",
    "content_requirements",
    "disclosure_text",
    "opt_out_problems",
]

#: The id of the house rule that asks for the opt-out where no pack does.
HOUSE_OPT_OUT = "opt-out"

#: Words a limited-content voicemail must not say (12 CFR 1006.2(j)): whoever hears it could
#: learn that the call is about a debt. English words match whole words, any case; Chinese ones
#: match anywhere. The English plurals and "owes"/"owing" are listed because a business name such
#: as "Acme Collections" reveals as much as "collection" does.
VOICEMAIL_DENYLIST: tuple[str, ...] = (
    "debt", "debts", "collect", "collection", "collections", "collector", "collectors",
    "owe", "owed", "owes", "owing", "overdue", "past due", "payment", "payments",
    "balance", "balances", "account", "accounts", "delinquent", "arrears",
    "欠款", "逾期", "债务", "債務", "催收", "还款", "還款", "欠費", "欠费",
)  # fmt: skip

#: Channels whose messages are written: they carry the opt-out and the licence number.
_WRITTEN = frozenset({"sms", "email"})
#: Channels whose main text speaks to the person and so carries the disclosure.
_DISCLOSED = frozenset({"sms", "email", "voice"})
_PART_NAMES = {"sms": "the SMS", "email": "the email text", "voice": "the call script"}
# A digit run with its grouping and decimals: "$1,250.00" and "1,250.00 CHF" both hold 1,250.00.
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class ContentProblem:
    """Why a rendered message breaks a content rule; any problem keeps the message from sending."""

    check: str  # "opt_out" | "disclosure" | "voicemail_limited" | "licence"
    message: str  # a sentence naming the part, e.g. "the SMS lacks the debt-collector disclosure"


@dataclass(frozen=True)
class ContentRequirements:
    """What one message must show: the checks, the rule asking for each, the values to show."""

    rules: Mapping[str, str]  # check name -> ref of the rule that asks for it
    disclosure: str | None = None  # the text the template prints as ``disclosure``
    licence_number: str | None = None  # the number the template prints as ``licence_number``

    @property
    def checks(self) -> frozenset[str]:
        """The names of the checks the rendered message must pass."""
        return frozenset(self.rules)

    def rule_of(self, problem: ContentProblem) -> str:
        """The rule a problem breaks: what the ``template_noncompliant`` outcome cites."""
        return self.rules[problem.check]


def content_requirements(
    judgement: Judgement, *, channel: str, state: AccountState, schedule: Schedule, locale: str
) -> ContentRequirements:
    """The content a message on ``channel`` must carry under ``judgement``'s content rules.

    The disclosure is the initial one (F16) until the account's first message has gone out.
    The licence number is the schedule's for the rule's ``COUNTRY-REGION`` (``US-CA`` for CA1).
    A schedule that declares itself ``exempt`` there needs none; one that says nothing keeps
    the check without a number, so the message fails it and is suppressed citing the rule.
    """
    rules: dict[str, str] = {}
    for rule in judgement.content:
        if rule.content:
            rules.setdefault(rule.content, rule.ref)
    if channel in _WRITTEN:
        rules.setdefault("opt_out", f"{HOUSE}/{HOUSE_OPT_OUT}@{schedule.version}")
    disclosure = next((r for r in judgement.content if r.content == "disclosure"), None)
    text = (
        disclosure_text(disclosure.texts, initial=state.sent_count == 0, locale=locale)
        if disclosure
        else None
    )
    licence = _licence_number(judgement, schedule)
    if licence == LICENCE_EXEMPT:
        rules.pop("licence", None)
        licence = None
    return ContentRequirements(rules, text, licence)


def _licence_number(judgement: Judgement, schedule: Schedule) -> str | None:
    """The number to show for the licence rule, ``exempt``, or None when one is missing."""
    rule = next((r for r in judgement.content if r.content == "licence"), None)
    if rule is None:
        return None
    given = [schedule.licences.get(key) for key in licence_keys(rule.pack)]
    if not given or None in given:
        return None  # fail closed: no number for a place the rule covers
    numbers = [n for n in given if n is not None and n != LICENCE_EXEMPT]
    return numbers[0] if numbers else LICENCE_EXEMPT


def disclosure_text(
    texts: Mapping[str, Mapping[str, str]], *, initial: bool, locale: str
) -> str | None:
    """The disclosure a pack rule requires for ``locale``, or None when it has none.

    ``texts`` is a rule's ``{"initial": {locale: text}, "subsequent": {...}}``. The initial text
    (F16: "attempting to collect a debt...") is never replaced by the subsequent one or the other
    way round, because each is only compliant in its place. Locales fall back like template
    files (``zh-Hant-TW`` -> ``zh-Hant`` -> ``zh``), then to ``en``; case is ignored.
    """
    by_locale = {tag.lower(): text for tag, text in texts.get(_variant(initial), {}).items()}
    for tag in [*locale_chain(locale), DEFAULT_LOCALE]:
        text = by_locale.get(tag.lower())
        if text and text.strip():
            return text
    return None


def check_content(
    rendered: Rendered, *, checks: Iterable[str], context: Mapping[str, Any]
) -> list[ContentProblem]:
    """Every way ``rendered`` breaks the content ``checks``; an empty list means it may be sent.

    ``context`` is the template context the message was rendered from (``build_context``): the
    checks compare the message with the values the templates were given. Problems come in the
    order of ``CONTENT_CHECKS``, then of the parts of the message. Raises ``ValueError`` for a
    check name it does not know, rather than letting a message pass a check nobody ran.
    """
    wanted = set(checks)
    unknown = sorted(wanted - set(CONTENT_CHECKS))
    if unknown:
        raise ValueError(f"unknown content check(s): {', '.join(unknown)}")
    problems: list[ContentProblem] = []
    for name in CONTENT_CHECKS:
        if name in wanted:
            problems += _CHECKERS[name](rendered, context)
    return problems


def opt_out_problems(rendered: Rendered, context: Mapping[str, Any]) -> list[str]:
    """What ``rendered`` lacks of the opt-out every SMS and email carries, as sentences.

    The check ``remind templates lint`` runs on each template: the one content rule that holds
    in every jurisdiction (F10 where a pack asks, the house elsewhere).
    """
    return [p.message for p in check_content(rendered, checks=("opt_out",), context=context)]


def _variant(initial: bool) -> str:
    return "initial" if initial else "subsequent"


def _text(value: Any) -> str | None:
    """``value`` when it is text worth looking for, else None."""
    return value if isinstance(value, str) and value.strip() else None


def _lacking(check: str, rendered: Rendered, needle: str, what: str) -> list[ContentProblem]:
    """A problem for each written part of ``rendered`` that does not hold ``needle``."""
    problems = []
    # The SMS body was normalised after rendering; the needle must be too, or a no-break space
    # in a pack's text would fail a message that carries it.
    wanted = normalise_sms(needle) if rendered.channel == "sms" else needle
    if wanted not in rendered.text:
        problems.append(ContentProblem(check, f"{_PART_NAMES[rendered.channel]} lacks {what}"))
    html = rendered.html
    # The HTML is what most mail clients show, so it must carry the text as well.
    if html is not None and needle not in html and str(escape(needle)) not in html:
        problems.append(ContentProblem(check, f"the email HTML lacks {what}"))
    return problems


def _opt_out(rendered: Rendered, context: Mapping[str, Any]) -> list[ContentProblem]:
    if rendered.channel not in _WRITTEN:
        return []
    opt_out = _text(context.get("opt_out"))
    if opt_out is None:
        return [ContentProblem("opt_out", "no opt-out text in the context")]
    return _lacking("opt_out", rendered, opt_out, f"the opt-out instruction {opt_out!r}")


def _disclosure(rendered: Rendered, context: Mapping[str, Any]) -> list[ContentProblem]:
    if rendered.channel not in _DISCLOSED:
        return []
    disclosure = _text(context.get("disclosure"))
    if disclosure is None:
        return [ContentProblem("disclosure", f"no disclosure text for locale {rendered.locale!r}")]
    return _lacking("disclosure", rendered, disclosure, "the debt-collector disclosure")


def _licence(rendered: Rendered, context: Mapping[str, Any]) -> list[ContentProblem]:
    if rendered.channel not in _WRITTEN:
        return []
    number = _text(context.get("licence_number"))
    if number is None:
        return [ContentProblem("licence", "no licence number configured")]
    return _lacking("licence", rendered, number, f"the licence number {number!r}")


def _voicemail_limited(rendered: Rendered, context: Mapping[str, Any]) -> list[ContentProblem]:
    voicemail = rendered.voicemail
    if rendered.channel != "voice" or voicemail is None:
        return []
    found = []
    amount = _text(context.get("amount"))
    if amount is not None and _says_amount(voicemail, amount):
        found.append(f"reveals the amount {amount!r}")
    # The person's name is allowed: F17 lets a limited-content message greet them.
    for key, what in (
        ("reference", "reveals the reference"),
        ("creditor", "names the creditor"),
        ("payment_url", "gives the payment URL"),
    ):
        value = _text(context.get(key))
        if value is not None and value.casefold() in voicemail.casefold():
            found.append(f"{what} {value!r}")
    found += [f"uses the word {word!r}" for word in VOICEMAIL_DENYLIST if _says(voicemail, word)]
    return [ContentProblem("voicemail_limited", f"the voicemail {f}") for f in found]


def _says_amount(voicemail: str, amount: str) -> bool:
    """True when the voicemail holds the amount, with or without its symbol or grouping."""
    if amount in voicemail:
        return True
    number = _NUMBER.search(amount)
    if number is None:
        return False
    forms = {number[0], number[0].replace(",", "")}
    # Digit boundaries, so "80.00" is not found inside a phone number such as "180.001".
    return any(re.search(rf"(?<!\d){re.escape(f)}(?!\d)", voicemail) for f in forms)


def _says(voicemail: str, word: str) -> bool:
    if not word.isascii():
        return word in voicemail  # Chinese has no spaces between words
    pattern = r"\s+".join(re.escape(part) for part in word.split())
    return re.search(rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", voicemail, re.I) is not None


_CHECKERS: dict[str, Callable[[Rendered, Mapping[str, Any]], list[ContentProblem]]] = {
    "opt_out": _opt_out,
    "disclosure": _disclosure,
    "voicemail_limited": _voicemail_limited,
    "licence": _licence,
}
