"""The renderer: locale fallback, strictness, sandbox, escaping, clean-up, the opt-out check."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from worker.cadence.caller import Caller
from worker.contracts.account import Account
from worker.contracts.validation import parse_account
from worker.errors import TemplateError
from worker.rendering.context import build_context
from worker.rendering.locales import locale_chain
from worker.rendering.renderer import Rendered, Renderer
from worker.rendering.sms import normalise_sms

OPT_OUT = "Reply STOP to opt out."


def make_templates(root: Path, files: dict[str, str]) -> Renderer:
    """Write ``{"<template>/<file>": text}`` under ``root`` and return a renderer on it."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Renderer(root)


def context(**values: Any) -> dict[str, Any]:
    return {"name": "Ana", "opt_out": OPT_OUT, **values}


def account(**fields: Any) -> Account:
    data: dict[str, Any] = {"account_id": "a-1", "schedule": "standard", "due_date": "2026-03-02"}
    return parse_account({**data, **fields})


# --- locale fallback -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "chain"),
    [
        ("zh-Hant-TW", ["zh-Hant-TW", "zh-Hant", "zh"]),
        ("en-US", ["en-US", "en"]),
        ("en", ["en"]),
        ("zh-Hans", ["zh-Hans", "zh"]),
        ("zh-hant", ["zh-hant", "zh"]),
        ("zh-CN", ["zh-CN", "zh-Hans", "zh"]),
        ("zh-TW", ["zh-TW", "zh-Hant", "zh"]),
        ("zh-HK", ["zh-HK", "zh-Hant", "zh"]),
        ("zh", ["zh", "zh-Hans"]),
        ("zh_Hant_TW", ["zh-Hant-TW", "zh-Hant", "zh"]),
        ("sr-Latn-RS", ["sr-Latn-RS", "sr-Latn", "sr"]),
        ("", []),
    ],
)
def test_locale_chain_goes_from_the_most_specific_tag_to_the_language(
    locale: str, chain: list[str]
) -> None:
    assert locale_chain(locale) == chain


@pytest.fixture
def greet(tmp_path: Path) -> Renderer:
    return make_templates(
        tmp_path,
        {
            "greet/sms.txt": "default {{ opt_out }}",
            "greet/sms.zh.txt": "zh {{ opt_out }}",
            "greet/sms.zh-Hans.txt": "hans {{ opt_out }}",
            "greet/sms.zh-Hant.txt": "hant {{ opt_out }}",
            "greet/sms.en-GB.txt": "gb {{ opt_out }}",
        },
    )


@pytest.mark.parametrize(
    ("requested", "used", "text"),
    [
        ("zh-Hant-TW", "zh-Hant", "hant"),
        ("ZH-HANT-tw", "zh-Hant", "hant"),
        ("zh-hans", "zh-Hans", "hans"),
        ("zh-CN", "zh-Hans", "hans"),
        ("zh-TW", "zh-Hant", "hant"),
        ("zh-Latn", "zh", "zh"),
        ("en-GB", "en-GB", "gb"),
        ("en-US", "en", "default"),
        ("fr-FR", "en", "default"),
        ("", "en", "default"),
    ],
)
def test_render_uses_the_first_locale_in_the_chain_that_has_the_part(
    greet: Renderer, requested: str, used: str, text: str
) -> None:
    rendered = greet.render("greet", "sms", requested, context())
    assert rendered == Rendered("greet", "sms", used, f"{text} {OPT_OUT}")


def test_a_part_missing_in_every_locale_names_the_template_the_part_and_the_locales_tried(
    tmp_path: Path,
) -> None:
    renderer = make_templates(tmp_path, {"greet/email.txt": "{{ opt_out }}"})
    with pytest.raises(TemplateError) as error:
        renderer.render("greet", "sms", "zh-Hant-TW", context())
    assert str(error.value) == (
        "template 'greet' has no sms.txt for locale 'zh-Hant-TW' "
        "(tried zh-Hant-TW, zh-Hant, zh, default)"
    )


def test_an_unknown_template_is_a_template_error(greet: Renderer) -> None:
    with pytest.raises(TemplateError, match="no template named 'nope'"):
        greet.render("nope", "sms", "en", context())


def test_a_template_name_that_is_a_path_is_refused(greet: Renderer) -> None:
    with pytest.raises(TemplateError, match="is not a template name"):
        greet.render("../greet", "sms", "en", context())


def test_an_unknown_channel_is_a_template_error(greet: Renderer) -> None:
    with pytest.raises(TemplateError, match="unknown channel 'fax'"):
        greet.render("greet", "fax", "en", context())


def test_template_names_and_locales_come_from_the_files(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "b/sms.txt": "x",
            "b/sms.zh-Hans.txt": "x",
            "b/email.subject.zh-Hant.txt": "x",
            "b/notes.md": "not a part",
            "a/voice.txt": "x",
            "empty/notes.md": "no parts at all",
            "README.md": "a file, not a template",
        },
    )
    assert renderer.template_names() == ["a", "b"]
    assert renderer.locales_of("b") == {"en", "zh-Hans", "zh-Hant"}
    assert renderer.locales_of("a") == {"en"}


def test_a_folder_whose_name_starts_with_an_underscore_is_not_a_template(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "_layouts/email.html": "<p>{{ opt_out }}</p>",
            "_layouts/sms.txt": "{{ opt_out }}",
            "a/sms.txt": "{{ opt_out }}",
        },
    )
    assert renderer.template_names() == ["a"]
    assert renderer.has_part("_layouts", "sms") is False
    with pytest.raises(TemplateError, match=r"^'_layouts' is not a template name"):
        renderer.render("_layouts", "sms", "en", context())


def test_a_missing_templates_directory_is_an_error_at_construction(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        Renderer(tmp_path / "missing")


# --- strictness and the sandbox ----------------------------------------------------------------


def test_an_undefined_variable_names_the_file_the_line_and_the_variable(tmp_path: Path) -> None:
    renderer = make_templates(tmp_path, {"greet/sms.txt": "Hello\n{{ nme }}\n{{ opt_out }}"})
    with pytest.raises(TemplateError) as error:
        renderer.render("greet", "sms", "en", context())
    assert str(error.value) == "greet/sms.txt:2: 'nme' is undefined"


def test_a_missing_vars_key_read_with_get_is_none_but_read_as_an_attribute_is_an_error(
    tmp_path: Path,
) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "ok/sms.txt": "{% if vars.get('x') %}x{% else %}no x{% endif %} {{ opt_out }}",
            "bad/sms.txt": "{% if vars.x %}x{% endif %} {{ opt_out }}",
        },
    )
    assert renderer.render("ok", "sms", "en", context(vars={})).text == f"no x {OPT_OUT}"
    with pytest.raises(TemplateError, match="has no attribute 'x'"):
        renderer.render("bad", "sms", "en", context(vars={}))


def test_printing_none_is_an_error_rather_than_the_word_none(tmp_path: Path) -> None:
    renderer = make_templates(tmp_path, {"greet/sms.txt": "You owe {{ amount }}. {{ opt_out }}"})
    with pytest.raises(TemplateError, match=r"^greet/sms\.txt:1: printed None"):
        renderer.render("greet", "sms", "en", context(amount=None))


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ name.__init__.__globals__ }}",
        "{{ vars.update({'x': 1}) }}",
    ],
)
def test_the_sandbox_blocks_escapes_and_mutation(tmp_path: Path, expression: str) -> None:
    renderer = make_templates(tmp_path, {"greet/sms.txt": expression + " {{ opt_out }}"})
    with pytest.raises(TemplateError, match=r"^greet/sms\.txt:1: "):
        renderer.render("greet", "sms", "en", context(vars={}))


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    renderer = make_templates(tmp_path, {"greet/sms.txt": "ok\n{% if %}\n{{ opt_out }}"})
    with pytest.raises(TemplateError, match=r"^greet/sms\.txt:2: syntax error"):
        renderer.render("greet", "sms", "en", context())


LAYOUT_FILES = {
    "_layouts/email.html": (
        "<h1>{% block title %}{% endblock %}</h1>\n{% block body %}{% endblock %}\n"
        '{% include "_layouts/footer.html" %}\n'
    ),
    "_layouts/footer.html": "<p>{{ opt_out }} {{ name }}</p>",
    "_layouts/footer.txt": "{{ opt_out }} {{ name }}",
    "mail/email.subject.txt": "Hi",
    "mail/email.txt": '{% include "_layouts/footer.txt" %}',
}


def test_a_template_extends_and_includes_files_of_a_layout_folder_in_the_sandbox(
    tmp_path: Path,
) -> None:
    child = (
        '{% extends "_layouts/email.html" %}\n'
        "{% block title %}For {{ name }}{% endblock %}\n"
        "{% block body %}\n<p>Hi {{ name }}</p>\n{% endblock %}\n"
    )
    renderer = make_templates(tmp_path, {**LAYOUT_FILES, "mail/email.html": child})
    rendered = renderer.render("mail", "email", "en", context(name="<b>Tom</b>"))
    # A layout is escaped by its own extension: the .html footer is, the .txt one is not.
    assert (rendered.text, rendered.html) == (
        f"{OPT_OUT} <b>Tom</b>",
        "<h1>For &lt;b&gt;Tom&lt;/b&gt;</h1>\n<p>Hi &lt;b&gt;Tom&lt;/b&gt;</p>\n"
        f"<p>{OPT_OUT} &lt;b&gt;Tom&lt;/b&gt;</p>",
    )


@pytest.mark.parametrize(
    ("layout", "child", "message"),
    [
        (
            "ok\n{{ nme }}\n",
            '{% extends "_layouts/email.html" %}',
            "mail/email.html via _layouts/email.html:2: 'nme' is undefined",
        ),
        (
            "ok\n{% if %}\n",
            '{% extends "_layouts/email.html" %}',
            "mail/email.html via _layouts/email.html:2: syntax error: "
            "Expected an expression, got 'end of statement block'",
        ),
        (
            "ok\n{{ ''.__class__.__mro__ }}\n",
            'ok\n{% include "_layouts/email.html" %}',
            "mail/email.html via _layouts/email.html:2: sandbox violation: "
            "access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "ok\n",
            '{{ name }}\n{% extends "_layouts/nope.html" %}',
            "mail/email.html:2: no file '_layouts/nope.html' in the templates directory",
        ),
        (
            "ok\n",
            '{% include "../outside.html" %}',
            "mail/email.html:1: no file '../outside.html' in the templates directory",
        ),
    ],
)
def test_an_error_in_a_layout_names_the_layout_file_and_line(
    tmp_path: Path, layout: str, child: str, message: str
) -> None:
    (tmp_path / "outside.html").write_text("{{ opt_out }}")
    files = {**LAYOUT_FILES, "_layouts/email.html": layout, "mail/email.html": child}
    renderer = make_templates(tmp_path / "templates", files)
    with pytest.raises(TemplateError) as error:
        renderer.render("mail", "email", "en", context())
    assert str(error.value) == message


# --- escaping and clean-up -----------------------------------------------------------------------


def test_html_parts_are_autoescaped_and_text_parts_are_not(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "mail/email.subject.txt": "For {{ name }}",
            "mail/email.txt": "Hi {{ name }}\n{{ opt_out }}",
            "mail/email.html": "<p>Hi {{ name }}</p>\n<p>{{ opt_out }}</p>",
        },
    )
    rendered = renderer.render("mail", "email", "en", context(name="<b>Tom & Jerry</b>"))
    assert rendered == Rendered(
        template="mail",
        channel="email",
        locale="en",
        text=f"Hi <b>Tom & Jerry</b>\n{OPT_OUT}",
        subject="For <b>Tom & Jerry</b>",
        html=f"<p>Hi &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p>\n<p>{OPT_OUT}</p>",
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # Odd spaces become plain spaces; curly quotes, dashes and the ellipsis go ASCII.
        (
            "Hi\xa0Ana,\u202fit\u2019s \u201cdue\u201d \u2013 now\u2014today\u2026",
            'Hi Ana, it\'s "due" - now-today...',
        ),
        ("\u2007\u2009\u3000x\ty\u205f", "x y"),
        # Spaces around lines and every blank line go; single newlines stay.
        ("\n\n line one \xa0 \n\n \n\u00a0\n  line  two\t\n\n", "line one\nline  two"),
        ("one\r\ntwo\rthree\u2028four", "one\ntwo\nthree\nfour"),
        # Invisible characters that would force UCS-2 are dropped.
        ("a\u200bb\ufeffc\u00add", "abcd"),
        # Chinese keeps its own punctuation (the message is UCS-2 anyway), not its odd spaces.
        (
            "王小明您好，“温馨”提醒……——谢谢\u3000回复TD退订",
            "王小明您好，“温馨”提醒……——谢谢 回复TD退订",
        ),
    ],
)
def test_normalise_sms_gives_the_exact_message_text(raw: str, clean: str) -> None:
    assert normalise_sms(raw) == clean


def test_a_rendered_sms_is_normalised_and_never_holds_a_no_break_space(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "greet/sms.txt": (
                "{% if name %}\n  Hi\xa0{{ name }},\n{% endif %}\n\n"
                "it\u2019s {{ amount }}\u00a0due.   \n\n{{ opt_out }}\n\n"
            )
        },
    )
    rendered = renderer.render("greet", "sms", "en", context(amount="$5.00"))
    assert rendered.text == f"Hi Ana,\nit's $5.00 due.\n{OPT_OUT}"


def test_text_parts_lose_trailing_spaces_and_keep_at_most_one_blank_line(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "call/voice.txt": "\n\nHello {{ name }}.   \n\n\n\n\nBye.  \n\n",
            "call/voicemail.txt": "  Call us.  \n",
        },
    )
    rendered = renderer.render("call", "voice", "en", context())
    assert rendered == Rendered("call", "voice", "en", "Hello Ana.\n\nBye.", voicemail="  Call us.")


def test_an_email_subject_is_one_line(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "mail/email.subject.txt": "Hello\n{{ name }}\r\n  there",
            "mail/email.txt": "{{ opt_out }}",
        },
    )
    assert renderer.render("mail", "email", "en", context()).subject == "Hello Ana there"


def test_an_email_without_a_subject_in_its_locale_is_an_error(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "mail/email.subject.txt": "Hello",
            "mail/email.txt": "{{ opt_out }}",
            "mail/email.zh-Hans.txt": "{{ opt_out }}",
        },
    )
    with pytest.raises(TemplateError, match=r"no email\.subject\.txt for locale 'zh-Hans'"):
        renderer.render("mail", "email", "zh-CN", context())


def test_companion_parts_come_only_from_the_locale_of_the_main_part(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "call/voice.txt": "Hello",
            "call/voicemail.txt": "Call us",
            "call/voice.zh-Hans.txt": "您好",
        },
    )
    assert renderer.render("call", "voice", "zh-CN", context()) == Rendered(
        "call", "voice", "zh-Hans", "您好", voicemail=None
    )
    assert renderer.render("call", "voice", "en", context()).voicemail == "Call us"


def test_a_visit_renders_its_brief(tmp_path: Path) -> None:
    renderer = make_templates(tmp_path, {"visit/visit.txt": "Visit {{ name }}"})
    assert renderer.render("visit", "visit", "en", context()) == Rendered(
        "visit", "visit", "en", "Visit Ana"
    )


# --- opt-out, failing closed -------------------------------------------------------------------


def test_the_renderer_leaves_the_opt_out_to_the_gate(tmp_path: Path) -> None:
    # One opt-out check, the gate's (worker.gate.content): rendering only renders.
    renderer = make_templates(
        tmp_path,
        {
            "bare/sms.txt": "Hi {{ name }}",
            "bare/email.subject.txt": "Hi",
            "bare/email.txt": "Hi {{ name }}",
            "bare/voice.txt": "Hello",
            "bare/visit.txt": "Brief",
        },
    )
    assert renderer.render("bare", "sms", "en", context(opt_out="")).text == "Hi Ana"
    assert renderer.render("bare", "email", "en", context()).text == "Hi Ana"
    assert renderer.render("bare", "voice", "en", context()).text == "Hello"
    assert renderer.render("bare", "visit", "en", context()).text == "Brief"


# --- build_context -------------------------------------------------------------------------------

KEYS = {
    "name", "amount", "amount_due", "currency", "creditor", "reference", "payment_url", "due_date",
    "days_past_due", "tier", "channel", "opt_out", "unsubscribe_url", "disclosure",
    "licence_number", "caller_name", "callback_number", "contact_name", "call_opt_out", "vars",
}  # fmt: skip


def test_build_context_gives_a_full_account_every_variable() -> None:
    full = account(
        name="Ana Lopez",
        balance={"amount": "1250", "currency": "USD"},
        creditor="Northwind",
        reference="NW-1",
        payment_url="https://pay.example/NW-1",
        vars={"callback_number": "+1 800 555 0100"},
    )
    ctx = build_context(
        full,
        day=12,
        tier="mid",
        channel="email",
        locale="en-US",
        unsubscribe_url="https://u/x",
        disclosure="This is a communication from a debt collector.",
        licence_number="10059-12",
        caller=Caller("Harbour Services", "+1 800 555 0199", "Sam Carter"),
    )
    assert ctx == {
        "name": "Ana Lopez",
        "amount": "$1,250.00",
        "amount_due": Decimal("1250"),
        "currency": "USD",
        "creditor": "Northwind",
        "reference": "NW-1",
        "payment_url": "https://pay.example/NW-1",
        "due_date": "March 2, 2026",
        "days_past_due": 12,
        "tier": "mid",
        "channel": "email",
        "opt_out": OPT_OUT,
        "unsubscribe_url": "https://u/x",
        "disclosure": "This is a communication from a debt collector.",
        "licence_number": "10059-12",
        "caller_name": "Harbour Services",
        "callback_number": "+1 800 555 0100",  # the account's own wins over the schedule's
        "contact_name": "Sam Carter",
        "call_opt_out": "To stop calls to this number, press 9.",
        "vars": {"callback_number": "+1 800 555 0100"},
    }


def test_build_context_gives_a_bare_account_the_same_keys_with_none() -> None:
    ctx = build_context(account(), day=0, tier="early", channel="sms", locale="en")
    assert set(ctx) == KEYS
    assert [k for k, v in ctx.items() if v is None] == [
        "amount", "amount_due", "currency", "creditor", "reference", "payment_url",
        "unsubscribe_url", "disclosure", "licence_number", "caller_name", "callback_number",
        "contact_name",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1250", "USD", "$1,250.00"),
        ("80", "GBP", "£80.00"),
        ("99.5", "EUR", "€99.50"),
        ("3200", "CNY", "¥3,200.00"),
        ("1250", "CHF", "1,250.00 CHF"),
        ("1234567.891", "JPY", "1,234,567.89 JPY"),
        ("0.005", "USD", "$0.01"),
        ("-5", "USD", "-$5.00"),
    ],
)
def test_amount_is_the_balance_with_its_currency(amount: str, currency: str, shown: str) -> None:
    acct = account(balance={"amount": amount, "currency": currency})
    ctx = build_context(acct, day=1, tier="t", channel="sms", locale="en")
    assert (ctx["amount"], ctx["currency"]) == (shown, currency)


@pytest.mark.parametrize(
    ("locale", "name", "opt_out", "due_date"),
    [
        ("en-US", "Customer", OPT_OUT, "March 2, 2026"),
        ("de-DE", "Customer", OPT_OUT, "March 2, 2026"),
        ("zh-Hans", "客户", "回复TD退订", "2026年3月2日"),
        ("zh-CN", "客户", "回复TD退订", "2026年3月2日"),
        ("zh", "客户", "回复TD退订", "2026年3月2日"),
        ("zh-Hant-TW", "客戶", "回覆TD退訂", "2026年3月2日"),
        ("zh-hk", "客戶", "回覆TD退訂", "2026年3月2日"),
    ],
)
def test_wording_follows_the_locale(locale: str, name: str, opt_out: str, due_date: str) -> None:
    ctx = build_context(account(), day=3, tier="t", channel="sms", locale=locale)
    assert (ctx["name"], ctx["opt_out"], ctx["due_date"]) == (name, opt_out, due_date)


def test_the_context_vars_are_a_copy_of_the_account_vars() -> None:
    acct = account(vars={"a": 1})
    ctx = build_context(acct, day=3, tier="t", channel="sms", locale="en")
    ctx["vars"]["a"] = 2
    assert acct.vars == {"a": 1}


def test_the_disclosure_and_licence_number_are_printed_only_when_given(tmp_path: Path) -> None:
    renderer = make_templates(
        tmp_path,
        {
            "t/sms.txt": "Hi.\n{% if disclosure %}\n{{ disclosure }}\n{% endif %}\n"
            "{% if licence_number %}\nLicence no. {{ licence_number }}\n{% endif %}\n"
            "{{ opt_out }}\n"
        },
    )
    with_both = build_context(
        account(), day=1, tier="t", channel="sms", locale="en", disclosure="D.", licence_number="7"
    )
    without = build_context(account(), day=1, tier="t", channel="sms", locale="en")
    assert renderer.render("t", "sms", "en", with_both).text == f"Hi.\nD.\nLicence no. 7\n{OPT_OUT}"
    assert renderer.render("t", "sms", "en", without).text == f"Hi.\n{OPT_OUT}"
