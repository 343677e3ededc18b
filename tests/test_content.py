"""Content rules on rendered messages: opt-out, disclosure, limited-content voicemail, licence."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from worker.contracts.validation import parse_account
from worker.gate.content import ContentProblem, check_content, disclosure_text
from worker.rendering.context import build_context
from worker.rendering.renderer import Rendered, Renderer

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
OPT_OUT = "Reply STOP to opt out."
DISCLOSURE = "This is a communication from a debt collector."
LICENCE = "10059-12"
CREDITOR = "Northwind Credit Union"

#: Every variable a content check reads, set.
CONTEXT: dict[str, Any] = {
    "opt_out": OPT_OUT,
    "disclosure": DISCLOSURE,
    "licence_number": LICENCE,
    "amount": "$1,250.00",
    "creditor": CREDITOR,
    "reference": "NW-4417",
    "payment_url": "https://pay.example/NW-4417",
}
ALL_WRITTEN = f"Hi Ana. {DISCLOSURE} Licence no. {LICENCE}\n{OPT_OUT}"
NEUTRAL_VOICEMAIL = "Hello. Please call us back."


def sms(text: str) -> Rendered:
    return Rendered("t", "sms", "en", text)


def email(text: str, html: str | None = None) -> Rendered:
    return Rendered("t", "email", "en", text, subject="Hello", html=html)


def voice(text: str, voicemail: str | None = None, locale: str = "en") -> Rendered:
    return Rendered("t", "voice", locale, text, voicemail=voicemail)


def problem(check: str, message: str) -> ContentProblem:
    return ContentProblem(check, message)


def check(rendered: Rendered, *checks: str, **context: Any) -> list[ContentProblem]:
    return check_content(rendered, checks=set(checks), context={**CONTEXT, **context})


# --- each check, passing and failing ---------------------------------------------------------


# Each expected message, whole: the tables below compare the exact problems.
NO_OPT_OUT = f"lacks the opt-out instruction {OPT_OUT!r}"
NO_DISCLOSURE = "lacks the debt-collector disclosure"
NO_LICENCE = f"lacks the licence number {LICENCE!r}"
#: The disclosure with an ellipsis and a no-break space, which the SMS clean-up rewrites.
TYPOGRAPHIC = "This is a communication from a debt\xa0collector\u2026"


@pytest.mark.parametrize(
    ("rendered", "context", "expected"),
    [
        (sms(f"Hi.\n{OPT_OUT}"), {}, []),
        (sms("Hi."), {}, [f"the SMS {NO_OPT_OUT}"]),
        # The SMS body is normalised; a no-break space in the context text still matches it.
        (sms(f"Hi.\n{OPT_OUT}"), {"opt_out": "Reply\xa0STOP to opt out."}, []),
        (email(f"Hi.\n{OPT_OUT}"), {}, []),
        (email("Hi."), {}, [f"the email text {NO_OPT_OUT}"]),
        (email(f"Hi.\n{OPT_OUT}", f"<p>{OPT_OUT}</p>"), {}, []),
        (email(f"Hi.\n{OPT_OUT}", "<p>Hi.</p>"), {}, [f"the email HTML {NO_OPT_OUT}"]),
        (email("Hi.", "<p>Hi.</p>"), {}, [
            f"the email text {NO_OPT_OUT}", f"the email HTML {NO_OPT_OUT}"
        ]),
        (email("Stop & go", "<p>Stop &amp; go</p>"), {"opt_out": "Stop & go"}, []),
        (sms(OPT_OUT), {"opt_out": None}, ["no opt-out text in the context"]),
        (sms(OPT_OUT), {"opt_out": "  "}, ["no opt-out text in the context"]),
        # Calls and visits carry no opt-out instruction.
        (voice("Hello."), {}, []),
        (Rendered("t", "visit", "en", "Brief"), {}, []),
    ],
)  # fmt: skip
def test_the_opt_out_check_finds_the_instruction_in_every_written_part(
    rendered: Rendered, context: dict[str, Any], expected: list[str]
) -> None:
    assert check(rendered, "opt_out", **context) == [problem("opt_out", m) for m in expected]


@pytest.mark.parametrize(
    ("rendered", "context", "expected"),
    [
        (sms(f"Hi.\n{DISCLOSURE}"), {}, []),
        (sms("Hi."), {}, [f"the SMS {NO_DISCLOSURE}"]),
        (sms(f"Hi. {DISCLOSURE[:-1]}"), {}, [f"the SMS {NO_DISCLOSURE}"]),  # exactly, to the dot
        (sms(f"Hi.\n{DISCLOSURE[:-1]}..."), {"disclosure": TYPOGRAPHIC}, []),
        (email(f"Hi.\n{DISCLOSURE}"), {}, []),
        (email("Hi."), {}, [f"the email text {NO_DISCLOSURE}"]),
        (email(f"Hi.\n{DISCLOSURE}", f"<p>{DISCLOSURE}</p>"), {}, []),
        (email(f"Hi.\n{DISCLOSURE}", "<p>Hi.</p>"), {}, [f"the email HTML {NO_DISCLOSURE}"]),
        (email("A & B", "<p>A &amp; B</p>"), {"disclosure": "A & B"}, []),
        (voice(f"Hello.\n\n{DISCLOSURE}", voicemail=NEUTRAL_VOICEMAIL), {}, []),
        # Never looked for in the voicemail, which must not carry it.
        (voice("Hello.", voicemail=DISCLOSURE), {}, [f"the call script {NO_DISCLOSURE}"]),
        (sms(f"Hi.\n{DISCLOSURE}"), {"disclosure": None}, ["no disclosure text for locale 'en'"]),
        (voice("您好", locale="zh-Hant"), {"disclosure": ""}, [
            "no disclosure text for locale 'zh-Hant'"
        ]),
        # A field-visit brief is for the agent, not a message to the person.
        (Rendered("t", "visit", "en", "Brief"), {"disclosure": None}, []),
    ],
)  # fmt: skip
def test_the_disclosure_check_finds_the_exact_text_in_sms_email_and_call_script(
    rendered: Rendered, context: dict[str, Any], expected: list[str]
) -> None:
    assert check(rendered, "disclosure", **context) == [problem("disclosure", m) for m in expected]


@pytest.mark.parametrize(
    ("rendered", "context", "expected"),
    [
        (sms(f"Hi. Licence no. {LICENCE}\n{OPT_OUT}"), {}, []),
        (sms("Hi."), {}, [f"the SMS {NO_LICENCE}"]),
        (email(f"Licence no. {LICENCE}"), {}, []),
        (email("Hi."), {}, [f"the email text {NO_LICENCE}"]),
        (email(f"Licence no. {LICENCE}", "<p>Hi.</p>"), {}, [f"the email HTML {NO_LICENCE}"]),
        (sms(f"Hi.\n{OPT_OUT}"), {"licence_number": None}, ["no licence number configured"]),
        (email(f"Hi.\n{OPT_OUT}"), {"licence_number": ""}, ["no licence number configured"]),
        # Only written messages show the licence.
        (voice("Hello."), {"licence_number": None}, []),
    ],
)  # fmt: skip
def test_the_licence_check_finds_the_number_on_written_messages(
    rendered: Rendered, context: dict[str, Any], expected: list[str]
) -> None:
    assert check(rendered, "licence", **context) == [problem("licence", m) for m in expected]


# --- the limited-content voicemail (its phrases: tests/test_voicemail.py) -------------------


def vm(text: str) -> Rendered:
    return voice(f"Hello.\n\n{DISCLOSURE}", voicemail=text)


def test_the_voicemail_check_builds_on_the_callers_values_in_the_context() -> None:
    text = (
        "Hello. This is Sam Carter calling from Harbour Services. "
        "Please call us back on 800 555 0100."
    )
    caller = {"caller_name": "Harbour Services", "contact_name": "Sam Carter"}
    assert check(vm(text), "voicemail_limited", callback_number="800 555 0100", **caller) == []
    # The same words without the values to compare with: no phrase fits.
    assert [p.message for p in check(vm(text), "voicemail_limited")] == [
        "the voicemail says 'This is Sam Carter calling from Harbour…', which is none of the "
        "phrases a limited-content message may hold"
    ]


@pytest.mark.parametrize(
    "rendered",
    [
        voice("Your debt of $1,250.00 is overdue."),  # a call without a voicemail
        sms("Your debt of $1,250.00 is overdue."),
        email("Your debt of $1,250.00 is overdue."),
    ],
)
def test_the_voicemail_check_reads_only_the_voicemail(rendered: Rendered) -> None:
    assert check(rendered, "voicemail_limited") == []


# --- several checks --------------------------------------------------------------------------


def test_no_checks_means_no_problems() -> None:
    assert check(sms("Hi.")) == []


def test_problems_come_in_the_order_of_the_checks_whatever_the_order_asked() -> None:
    result = check_content(sms("Hi."), checks=["licence", "disclosure", "opt_out"], context=CONTEXT)
    assert result == [
        problem("opt_out", f"the SMS {NO_OPT_OUT}"),
        problem("disclosure", f"the SMS {NO_DISCLOSURE}"),
        problem("licence", f"the SMS {NO_LICENCE}"),
    ]


def test_a_written_message_with_everything_passes_every_check() -> None:
    checks = {"opt_out", "disclosure", "licence", "voicemail_limited"}
    assert check(sms(ALL_WRITTEN), *checks) == []
    assert check(email(ALL_WRITTEN, f"<p>{ALL_WRITTEN}</p>"), *checks) == []


def test_an_unknown_check_is_refused_rather_than_skipped() -> None:
    with pytest.raises(ValueError, match=r"^unknown content check\(s\): loud, tone$"):
        check(sms(ALL_WRITTEN), "opt_out", "tone", "loud")


# --- disclosure_text -------------------------------------------------------------------------

TEXTS = {
    "initial": {
        "en": "initial en",
        "zh-Hans": "initial hans",
        "zh-Hant": "initial hant",
        "en-GB": "initial gb",
    },
    "subsequent": {"en": "subsequent en", "zh-hant": "subsequent hant", "zh-Hans": " "},
}


@pytest.mark.parametrize(
    ("initial", "locale", "expected"),
    [
        (True, "en", "initial en"),
        (True, "en-US", "initial en"),
        (True, "en-GB", "initial gb"),
        (True, "zh-Hant-TW", "initial hant"),
        (True, "zh-TW", "initial hant"),
        (True, "zh-HK", "initial hant"),
        (True, "zh-CN", "initial hans"),
        (True, "zh", "initial hans"),
        (True, "ZH-HANS", "initial hans"),
        (True, "de-DE", "initial en"),
        (True, "", "initial en"),
        (False, "zh-Hant", "subsequent hant"),  # the pack wrote the tag in lower case
        (False, "en-US", "subsequent en"),
        (False, "zh-CN", "subsequent en"),  # a blank text counts as none
    ],
)
def test_disclosure_text_falls_back_through_the_locale_chain_then_english(
    initial: bool, locale: str, expected: str
) -> None:
    assert disclosure_text(TEXTS, initial=initial, locale=locale) == expected


@pytest.mark.parametrize(
    ("texts", "initial"),
    [
        ({}, True),
        ({"subsequent": {"en": "subsequent en"}}, True),  # never the subsequent for an initial
        ({"initial": {"en": "initial en"}}, False),  # and never the other way round
        ({"initial": {"fr": "initial fr"}}, True),
    ],
)
def test_disclosure_text_is_none_when_the_rule_has_no_text_for_the_message(
    texts: dict[str, dict[str, str]], initial: bool
) -> None:
    assert disclosure_text(texts, initial=initial, locale="zh-Hant-TW") is None


# --- the shipped templates -------------------------------------------------------------------

LOCALES = ("en", "zh-Hans", "zh-Hant")
#: The short disclosure of a later communication (12 CFR 1006.18(e)(2)), in each language.
DISCLOSURES = {
    "en": DISCLOSURE,
    "zh-Hans": "本信息来自债务催收机构。",
    "zh-Hant": "本訊息來自債務催收機構。",
}
#: Every variable a template can print, so every branch renders.
FULL: dict[str, Any] = {
    "account_id": "full-1", "schedule": "standard", "due_date": "2026-03-02",
    "name": "Ana Lopez", "balance": {"amount": "1250", "currency": "USD"},
    "creditor": "Northwind Credit Union", "reference": "NW-4417",
    "payment_url": "https://pay.northwind.example/NW-4417",
    "vars": {
        "callback_number": "+1 800 555 0100", "contact_name": "Sam Carter",
        "business_name": "Harbour Services", "next_steps": "We will write to you next week.",
        "visit_address": "1 Harbour Road", "visit_notes": "Ring the side door.",
    },
}  # fmt: skip
#: The checks a third-party collector in California would run, by channel.
CHECKS = {
    "sms": {"opt_out", "disclosure", "licence"},
    "email": {"opt_out", "disclosure", "licence"},
    "voice": {"disclosure", "voicemail_limited", "caller_identity", "call_opt_out"},
}


@cache
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


SHIPPED = [
    pytest.param(template, channel, locale, id=f"{template}-{channel}-{locale}")
    for template in renderer().template_names()
    for channel in ("sms", "email", "voice")
    if renderer().has_part(template, channel)
    for locale in LOCALES
]


def test_the_shipped_templates_are_all_checked() -> None:
    channels = [p.values[1] for p in SHIPPED]
    # 16 templates with an SMS (5 of them for plans), 11 with an email (4 for plans), 3 with a
    # call; each in three locales.
    assert (channels.count("sms"), channels.count("email"), channels.count("voice")) == (48, 33, 9)


@pytest.mark.parametrize(("template", "channel", "locale"), SHIPPED)
def test_every_shipped_template_passes_the_content_checks_for_a_third_party_collector(
    template: str, channel: str, locale: str
) -> None:
    ctx = build_context(
        parse_account(FULL),
        day=12,
        tier="mid",
        channel=channel,
        locale=locale,
        unsubscribe_url="https://remind.example/unsubscribe/tok123",
        disclosure=DISCLOSURES[locale],
        licence_number=LICENCE,
    )
    rendered = renderer().render(template, channel, locale, ctx)
    assert check_content(rendered, checks=CHECKS[channel], context=ctx) == []
    if rendered.voicemail is not None:
        assert DISCLOSURES[locale] not in rendered.voicemail


def test_a_template_without_the_disclosure_is_caught_after_rendering(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "sms.txt").write_text("Hi {{ name }}.\n{{ opt_out }}\n")
    ctx = build_context(
        parse_account(FULL), day=1, tier="t", channel="sms", locale="en", disclosure=DISCLOSURE
    )
    rendered = Renderer(tmp_path).render("plain", "sms", "en", ctx)
    assert check_content(rendered, checks=CHECKS["sms"], context=ctx) == [
        problem("disclosure", f"the SMS {NO_DISCLOSURE}"),
        problem("licence", "no licence number configured"),
    ]
