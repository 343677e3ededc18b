"""Content rules a rendered message must pass, failing closed (F10, F16, F17, T5, T6, CA1).

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
``disclosure``        SMS, email (text and HTML) and call script carry ``context["disclosure"]``,
                      the initial or the subsequent text as ``worker.gate.disclosure`` decides;
                      never required in, nor looked for in, the voicemail (F16)
``voicemail_limited`` a call's voicemail is a limited-content message: exactly a sequence of
                      permitted phrases (``worker.gate.voicemail``) (F17)
``caller_identity``   a call script names ``context["caller_name"]`` in its first paragraph and
                      says ``context["callback_number"]`` (T5)
``call_opt_out``      a call script offers ``context["call_opt_out"]`` in its first paragraph,
                      right after the caller's name (T6; the pack limits it to landlines)
``licence``           SMS and email (text and HTML) carry ``context["licence_number"]`` (CA1)
===================== =========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from worker.accounts.state import AccountState
from worker.cadence.schedule import LICENCE_EXEMPT, Schedule
from worker.gate.disclosure import disclosure_text, initial_due
from worker.gate.engine import Judgement
from worker.gate.packs.select import HOUSE, licence_keys
from worker.gate.rules import CONTENT_CHECKS
from worker.gate.voicemail import voicemail_problems
from worker.rendering.renderer import Rendered
from worker.rendering.sms import normalise_sms

__all__ = [
    "HOUSE_OPT_OUT",
    "ContentProblem",
    "ContentRequirements",
    "check_content",
    "content_requirements",
    "disclosure_text",
    "lint_problems",
]

#: The id of the house rule that asks for the opt-out where no pack does.
HOUSE_OPT_OUT = "opt-out"

#: Channels whose messages are written: they carry the opt-out and the licence number.
_WRITTEN = frozenset({"sms", "email"})
#: Channels whose main text speaks to the person and so carries the disclosure.
_DISCLOSED = frozenset({"sms", "email", "voice"})
_PART_NAMES = {"sms": "the SMS", "email": "the email text", "voice": "the call script"}
#: The checks ``remind templates lint`` runs on every template: those that need no pack value.
_LINTED = ("opt_out", "voicemail_limited", "caller_identity", "call_opt_out")


@dataclass(frozen=True)
class ContentProblem:
    """Why a rendered message breaks a content rule; any problem keeps the message from sending."""

    check: str  # one of CONTENT_CHECKS (worker.gate.rules)
    message: str  # a sentence naming the part, e.g. "the SMS lacks the debt-collector disclosure"


@dataclass(frozen=True)
class ContentRequirements:
    """What one message must show: the checks, the rule asking for each, the values to show."""

    rules: Mapping[str, str]  # check name -> ref of the rule that asks for it
    disclosure: str | None = None  # the text the template prints as ``disclosure``
    licence_number: str | None = None  # the number the template prints as ``licence_number``
    #: the disclosure is the initial one (F16): sending the message gives it in its medium
    initial: bool = False

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

    The disclosure is the initial one (F16) until a message of the same medium carried it, a
    call only once answered (``worker.gate.disclosure``).
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
    initial = initial_due(state, channel)
    text = disclosure_text(disclosure.texts, initial=initial, locale=locale) if disclosure else None
    licence = _licence_number(judgement, schedule)
    if licence == LICENCE_EXEMPT:
        rules.pop("licence", None)
        licence = None
    return ContentRequirements(rules, text, licence, initial=text is not None and initial)


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


def lint_problems(rendered: Rendered, context: Mapping[str, Any]) -> list[str]:
    """What ``rendered`` breaks of the checks every template must pass wherever it is sent.

    ``remind templates lint`` runs it on each template rendered for a sample account and
    caller: the opt-out, the limited-content voicemail, the caller's identity and the call
    opt-out. The disclosure and the licence number depend on the packs of a person, so a
    template is checked for them when a message is composed.
    """
    return [p.message for p in check_content(rendered, checks=_LINTED, context=context)]


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
    return [
        ContentProblem("voicemail_limited", message)
        for message in voicemail_problems(voicemail, rendered.locale, context)
    ]


def _caller_identity(rendered: Rendered, context: Mapping[str, Any]) -> list[ContentProblem]:
    if rendered.channel != "voice":
        return []
    name, number = _text(context.get("caller_name")), _text(context.get("callback_number"))
    problems = []
    if name is None:
        problems.append(ContentProblem("caller_identity", "no caller name configured"))
    elif name not in _opening(rendered.text):
        problems.append(
            ContentProblem(
                "caller_identity",
                f"the call script does not name the caller {name!r} in its first paragraph",
            )
        )
    if number is None:
        problems.append(ContentProblem("caller_identity", "no callback number configured"))
    elif number not in rendered.text:
        problems.append(
            ContentProblem(
                "caller_identity", f"the call script lacks the callback number {number!r}"
            )
        )
    return problems


def _call_opt_out(rendered: Rendered, context: Mapping[str, Any]) -> list[ContentProblem]:
    if rendered.channel != "voice":
        return []
    offer = _text(context.get("call_opt_out"))
    if offer is None:
        return [ContentProblem("call_opt_out", "no call opt-out text in the context")]
    if offer in _opening(rendered.text):
        return []
    return [
        ContentProblem(
            "call_opt_out",
            f"the call script does not offer the opt-out {offer!r} in its first paragraph",
        )
    ]


def _opening(script: str) -> str:
    """The first paragraph of a call script: what is said before the first blank line."""
    return script.strip().split("\n\n", 1)[0]


_CHECKERS: dict[str, Callable[[Rendered, Mapping[str, Any]], list[ContentProblem]]] = {
    "opt_out": _opt_out,
    "disclosure": _disclosure,
    "voicemail_limited": _voicemail_limited,
    "caller_identity": _caller_identity,
    "call_opt_out": _call_opt_out,
    "licence": _licence,
}
