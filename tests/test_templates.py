"""The shipped templates: every template, part and locale renders, complies and fits."""

from __future__ import annotations

import shutil
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from worker.contracts.account import Account
from worker.contracts.validation import parse_account
from worker.gate.voicemail import voicemail_problems
from worker.rendering.context import build_context
from worker.rendering.renderer import Rendered, Renderer
from worker.rendering.sms import segment_info

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LOCALES = ("en", "zh-Hans", "zh-Hant")

#: What the schedules rely on: every template, the parts it ships, in all three locales. The call
#: templates carry an SMS too, for the steps whose ``fallback: sms`` reuses the call's template.
SHIPPED = {
    "friendly_nudge": {"sms.txt", "email.subject.txt", "email.txt", "email.html"},
    "reminder": {"sms.txt", "email.subject.txt", "email.txt"},
    "reminder_call": {"voice.txt", "voicemail.txt", "sms.txt"},
    "past_due_notice": {"sms.txt", "email.subject.txt", "email.txt", "email.html"},
    "firm_notice": {"sms.txt", "email.subject.txt", "email.txt"},
    "final_notice": {"sms.txt", "email.subject.txt", "email.txt", "email.html"},
    "final_call": {"voice.txt", "voicemail.txt", "sms.txt"},
    "cn_gentle": {"sms.txt"},
    "cn_call": {"voice.txt", "voicemail.txt", "sms.txt"},
    "cn_overdue": {"sms.txt", "email.subject.txt", "email.txt"},
    "cn_final": {"sms.txt", "email.subject.txt", "email.txt"},
    "cn_field_visit": {"visit.txt"},
}
#: The shared HTML email layouts the ``email.html`` files extend; not templates themselves.
LAYOUTS = "_layouts"
HTML_TEMPLATES = [t for t, parts in SHIPPED.items() if "email.html" in parts]
CHANNEL_OF = {"sms.txt": "sms", "email.txt": "email", "voice.txt": "voice", "visit.txt": "visit"}
UNSUBSCRIBE = "https://remind.example/unsubscribe/tok123"

_BASE = {"schedule": "standard", "due_date": "2026-03-02"}
#: Typical accounts: what the segment limits are promised for.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "us": {
        "account_id": "us-1", "name": "Ana Lopez", "locale": "en-US",
        "balance": {"amount": "1250", "currency": "USD"}, "creditor": "Northwind Credit Union",
        "reference": "NW-4417", "payment_url": "https://pay.northwind.example/NW-4417",
        "vars": {"callback_number": "+1 800 555 0100", "contact_name": "Sam Carter"},
    },
    "cn": {
        "account_id": "cn-1", "name": "王小明", "locale": "zh-CN",
        "balance": {"amount": "3200", "currency": "CNY"}, "creditor": "华信消费金融",
        "reference": "HX250417", "payment_url": "https://hx.example.cn/p/HX250417",
        "vars": {"callback_number": "400-800-1234"},
    },
    "hk": {
        "account_id": "hk-1", "name": "Chan Tai Man", "locale": "en-HK",
        "balance": {"amount": "8000", "currency": "HKD"}, "creditor": "Harbour Finance Ltd",
        "reference": "HF-20250417", "payment_url": "https://pay.harbourfinance.example/HF-20250417",
    },
    # Nothing optional: every template must still read well (and never print None).
    "bare": {"account_id": "bare-1"},
    # Every optional variable the templates know, so every branch renders.
    "full": {
        "account_id": "full-1", "name": "Chris Wong",
        "balance": {"amount": "80", "currency": "GBP"}, "creditor": "Harbour Bank",
        "reference": "HB-9", "payment_url": "https://hb.example/9",
        "vars": {
            "callback_number": "+44 20 7946 0000", "contact_name": "Jo Lee",
            "business_name": "Harbour Services",
            "next_steps": "We will write to you by post next week.",
            "visit_address": "1 Harbour Road", "visit_notes": "Ring the side door.",
        },
    },
}  # fmt: skip


def _account(key: str) -> Account:
    return parse_account({**_BASE, **ACCOUNTS[key]})


#: The short disclosure of a later communication from a debt collector, in each language.
DISCLOSURES = {
    "en": "This is a communication from a debt collector.",
    "zh-Hans": "本信息来自债务催收机构。",
    "zh-Hant": "本訊息來自債務催收機構。",
}
LICENCE = "10059-12"
OPT_OUTS = {"en": "Reply STOP to opt out.", "zh-Hans": "回复TD退订", "zh-Hant": "回覆TD退訂"}


def _render(
    template: str,
    channel: str,
    locale: str,
    key: str,
    day: int = 12,
    *,
    disclosed: bool | None = None,
    renderer: Renderer | None = None,
) -> Rendered:
    """Render for account ``key``; ``disclosed`` (default: only for ``full``) sets the
    disclosure and the licence number as a third-party collector's rule packs would."""
    url = UNSUBSCRIBE if key in ("us", "full") and channel == "email" else None
    extra = disclosed if disclosed is not None else key == "full"
    ctx = build_context(
        _account(key),
        day=day,
        tier="mid",
        channel=channel,
        locale=locale,
        unsubscribe_url=url,
        disclosure=DISCLOSURES[locale] if extra else None,
        licence_number=LICENCE if extra else None,
    )
    return (renderer or _renderer()).render(template, channel, locale, ctx)


@cache
def _renderer() -> Renderer:
    return Renderer(TEMPLATES)


def _localised(part: str, locale: str) -> str:
    stem, ext = part.rsplit(".", 1)
    return part if locale == "en" else f"{stem}.{locale}.{ext}"


CASES = [
    pytest.param(template, channel, locale, key, id=f"{template}-{channel}-{locale}-{key}")
    for template, parts in SHIPPED.items()
    for part, channel in CHANNEL_OF.items()
    if part in parts
    for locale in LOCALES
    for key in ACCOUNTS
]


def test_the_shipped_files_are_exactly_the_templates_parts_and_locales_promised() -> None:
    on_disk = {d.name: {f.name for f in d.iterdir()} for d in TEMPLATES.iterdir() if d.is_dir()}
    promised = {
        name: {_localised(part, locale) for part in parts for locale in LOCALES}
        for name, parts in {**SHIPPED, LAYOUTS: {"email.html"}}.items()
    }
    assert on_disk == promised
    assert (TEMPLATES / "README.md").is_file()


def test_the_renderer_sees_every_template_in_three_locales() -> None:
    renderer = Renderer(TEMPLATES)
    assert renderer.template_names() == sorted(SHIPPED)
    assert {name: renderer.locales_of(name) for name in SHIPPED} == {
        name: set(LOCALES) for name in SHIPPED
    }


def test_the_layout_folder_is_not_listed_as_a_template() -> None:
    assert (TEMPLATES / LAYOUTS / "email.html").is_file()
    assert LAYOUTS not in Renderer(TEMPLATES).template_names()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", HTML_TEMPLATES)
def test_every_html_email_extends_the_layout_of_its_own_locale(template: str, locale: str) -> None:
    """So the look and the footer stay in one place: no email carries a skeleton of its own."""
    file = _localised("email.html", locale)
    lines = (TEMPLATES / template / file).read_text(encoding="utf-8").splitlines()
    assert lines[0] == f'{{% extends "{LAYOUTS}/{file}" %}}'
    assert [line for line in lines if "<html" in line or "opt_out" in line] == []


@pytest.mark.parametrize(
    ("layout", "old", "new", "locales"),
    [
        ("email.html", "line-height:", "line-height: ", LOCALES),
        ("email.html", "font-size:13px;", "font-size:12px;", LOCALES),
        ("email.html", "background:#1f5fa8;", "background:#0b3d6e;", LOCALES),
        ("email.html", "Unsubscribe from these emails", "Stop these emails", ("en",)),
        ("email.zh-Hans.html", "退订邮件", "取消订阅邮件", ("zh-Hans",)),
        ("email.zh-Hant.html", "線上付款", "網上付款", ("zh-Hant",)),
    ],
)
def test_a_change_to_a_layout_shows_in_every_email_that_uses_it_and_nowhere_else(
    tmp_path: Path, layout: str, old: str, new: str, locales: tuple[str, ...]
) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    path = tmp_path / "templates" / LAYOUTS / layout
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    changed = Renderer(tmp_path / "templates")
    for template in HTML_TEMPLATES:
        for locale in LOCALES:
            before = _render(template, "email", locale, "full").html
            after = _render(template, "email", locale, "full", renderer=changed).html
            assert before is not None and after is not None
            if locale in locales:
                assert before.count(old) == 1
                assert after == before.replace(old, new)
            else:
                assert after == before


@pytest.mark.parametrize(("template", "channel", "locale", "key"), CASES)
def test_every_template_renders_in_its_own_locale_without_printing_none(
    template: str, channel: str, locale: str, key: str
) -> None:
    rendered = _render(template, channel, locale, key)
    assert rendered.locale == locale
    parts = [rendered.text, rendered.subject, rendered.html, rendered.voicemail]
    for part in filter(None, parts):
        assert "None" not in part
        assert "{{" not in part and "{%" not in part
    assert rendered.text
    assert (rendered.subject is not None) == (channel == "email")
    assert (rendered.html is not None) == (channel == "email" and "email.html" in SHIPPED[template])
    assert (rendered.voicemail is not None) == (channel == "voice")


@pytest.mark.parametrize(
    ("template", "channel", "locale", "key"), [c for c in CASES if c.values[1] == "sms"]
)
def test_every_sms_ends_with_the_opt_out_and_holds_no_odd_space(
    template: str, channel: str, locale: str, key: str
) -> None:
    rendered = _render(template, channel, locale, key)
    assert rendered.text.splitlines()[-1] == OPT_OUTS[locale]
    assert "\xa0" not in rendered.text
    assert "\n\n" not in rendered.text


@pytest.mark.parametrize(
    ("template", "channel", "locale", "key"), [c for c in CASES if c.values[1] == "email"]
)
def test_every_email_ends_with_the_opt_out_and_shows_the_unsubscribe_link_when_set(
    template: str, channel: str, locale: str, key: str
) -> None:
    rendered = _render(template, channel, locale, key)
    assert rendered.text.splitlines()[-1] == OPT_OUTS[locale]
    has_link = key in ("us", "full")
    assert (UNSUBSCRIBE in rendered.text) == has_link
    if rendered.html is not None:
        assert OPT_OUTS[locale] in rendered.html
        assert (f'href="{UNSUBSCRIBE}"' in rendered.html) == has_link


class _TagBalance(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.lang: str | None = None
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


@pytest.mark.parametrize(
    ("template", "channel", "locale", "key"),
    [c for c in CASES if c.values[1] == "email" and "email.html" in SHIPPED[str(c.values[0])]],
)
def test_every_html_email_is_balanced_and_declares_its_language(
    template: str, channel: str, locale: str, key: str
) -> None:
    html = _render(template, channel, locale, key).html
    assert html is not None
    parser = _TagBalance()
    parser.feed(html)
    assert (parser.errors, parser.stack, parser.lang) == ([], [], locale)


SMS_TEMPLATES = [t for t, parts in SHIPPED.items() if "sms.txt" in parts]


@pytest.mark.parametrize("key", ["us", "hk"])
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_an_english_sms_for_a_typical_account_fits_two_gsm7_segments(
    template: str, key: str
) -> None:
    info = segment_info(_render(template, "sms", "en", key).text)
    assert info.encoding == "GSM-7"
    assert info.segments <= 2


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_a_chinese_sms_for_a_typical_account_fits_two_ucs2_segments(
    template: str, locale: str
) -> None:
    info = segment_info(_render(template, "sms", locale, "cn").text)
    assert info.encoding == "UCS-2"
    assert info.segments <= 2


@pytest.mark.parametrize("key", ["us", "hk"])
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_an_english_sms_with_the_disclosure_and_licence_fits_three_gsm7_segments(
    template: str, key: str
) -> None:
    text = _render(template, "sms", "en", key, disclosed=True).text
    info = segment_info(text)
    assert DISCLOSURES["en"] in text and f"Licence no. {LICENCE}" in text
    assert info.encoding == "GSM-7"
    assert info.segments <= 3


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_a_chinese_sms_with_the_disclosure_and_licence_fits_three_ucs2_segments(
    template: str, locale: str
) -> None:
    text = _render(template, "sms", locale, "cn", disclosed=True).text
    info = segment_info(text)
    assert DISCLOSURES[locale] in text and LICENCE in text
    assert info.encoding == "UCS-2"
    assert info.segments <= 3


CALL_TEMPLATES = [t for t, parts in SHIPPED.items() if "voicemail.txt" in parts]
CALLER_KEYS = ("caller_name", "contact_name", "callback_number")


@pytest.mark.parametrize("key", ["us", "cn", "bare", "full"])
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", CALL_TEMPLATES)
def test_a_voicemail_is_a_limited_content_message_or_nothing(
    template: str, locale: str, key: str
) -> None:
    rendered = _render(template, "voice", locale, key)
    voicemail = rendered.voicemail
    assert voicemail is not None
    account = _account(key)
    ctx = build_context(account, day=12, tier="mid", channel="voice", locale=locale)
    # Only "full" names a business, a contact and a number; without all three no message is left.
    assert bool(voicemail) == all(ctx[k] for k in CALLER_KEYS) == (key == "full")
    assert voicemail_problems(voicemail, rendered.locale, ctx) == []
    secrets = (ctx["amount"], account.reference, account.name, account.payment_url)
    # Never the creditor: whoever hears the message would learn whom the person owes.
    for secret in (*secrets, account.creditor, DISCLOSURES[locale]):
        if secret:
            assert secret not in voicemail


@pytest.mark.parametrize("key", ["us", "cn"])
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", CALL_TEMPLATES)
def test_a_call_script_asks_anyone_else_to_hang_up_before_the_account_is_mentioned(
    template: str, locale: str, key: str
) -> None:
    first_paragraph = _render(template, "voice", locale, key).text.split("\n\n")[0]
    account = _account(key)
    ctx = build_context(account, day=12, tier="mid", channel="voice", locale=locale)
    hang_up = {"en": "please hang up now", "zh-Hans": "请挂断电话", "zh-Hant": "請掛斷電話"}
    assert hang_up[locale] in first_paragraph
    assert ctx["amount"] not in first_paragraph
    assert str(account.reference) not in first_paragraph


LICENCE_LINES = {
    "en": f"Licence no. {LICENCE}",
    "zh-Hans": f"许可证号：{LICENCE}",
    "zh-Hant": f"許可證號：{LICENCE}",
}


@pytest.mark.parametrize(
    ("template", "channel", "locale", "key"),
    [c for c in CASES if c.values[1] in ("sms", "email") and c.values[3] == "full"],
)
def test_written_messages_show_the_disclosure_and_licence_just_before_the_opt_out(
    template: str, channel: str, locale: str, key: str
) -> None:
    rendered = _render(template, channel, locale, key)
    lines = rendered.text.splitlines()
    footer = [DISCLOSURES[locale], LICENCE_LINES[locale]]
    if channel == "email":
        footer.append(next(line for line in lines if UNSUBSCRIBE in line))
    assert lines[-len(footer) - 1 :] == [*footer, OPT_OUTS[locale]]
    if rendered.html is not None:
        assert f"<p>{DISCLOSURES[locale]}</p>" in rendered.html
        assert f"{LICENCE_LINES[locale]}<br>" in rendered.html


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", CALL_TEMPLATES)
def test_a_call_script_gives_the_disclosure_right_after_the_request_to_hang_up(
    template: str, locale: str
) -> None:
    paragraphs = _render(template, "voice", locale, "full").text.split("\n\n")
    assert paragraphs[1] == DISCLOSURES[locale]
    assert _render(template, "voice", locale, "us").text.count(DISCLOSURES[locale]) == 0


THREATS = (
    "arrest", "jail", "prison", "lawsuit", "sue you", "legal action", "court", "police",
    "逮捕", "拘留", "坐牢", "起诉", "起訴", "法院", "公安", "警方", "征信", "徵信",
)  # fmt: skip


@pytest.mark.parametrize(
    ("template", "channel", "locale", "key"),
    [c for c in CASES if c.values[1] != "visit" and c.values[3] == "full"],
)
def test_customer_messages_never_mention_arrest_courts_or_police(
    template: str, channel: str, locale: str, key: str
) -> None:
    rendered = _render(template, channel, locale, key)
    text = " ".join(filter(None, [rendered.text, rendered.subject, rendered.voicemail])).lower()
    assert [w for w in THREATS if w in text] == []


@pytest.mark.parametrize(
    ("template", "day", "phrase"),
    [
        ("friendly_nudge", -3, "is due on March 2, 2026."),
        ("friendly_nudge", 0, "is due today."),
        ("friendly_nudge", 4, "was due on March 2, 2026."),
        ("cn_gentle", -3, "is due on March 2, 2026."),
        ("cn_gentle", 0, "is due today."),
        ("reminder", 1, "is now 1 day past due."),
        ("reminder", 9, "is now 9 days past due."),
    ],
)
def test_english_wording_is_true_for_the_day_it_is_sent(
    template: str, day: int, phrase: str
) -> None:
    assert phrase in _render(template, "sms", "en", "us", day=day).text


@pytest.mark.parametrize(
    ("locale", "phrase"),
    [
        ("en-US", "was due on March 2, 2026 and is now 9 days past due."),
        ("en-GB", "was due on 2 March 2026 and is now 9 days past due."),
        ("en", "was due on March 2, 2026 and is now 9 days past due."),
    ],
)
def test_english_dates_are_written_the_way_the_persons_locale_writes_them(
    locale: str, phrase: str
) -> None:
    assert phrase in _render("reminder", "sms", locale, "us", day=9).text


@pytest.mark.parametrize(
    ("locale", "day", "phrase"),
    [
        ("zh-Hans", -3, "将于2026年3月2日到期"),
        ("zh-Hans", 0, "于今天到期"),
        ("zh-Hans", 4, "已于2026年3月2日到期"),
        ("zh-Hant", -3, "將於2026年3月2日到期"),
        ("zh-Hant", 4, "已於2026年3月2日到期"),
    ],
)
def test_chinese_wording_is_true_for_the_day_it_is_sent(locale: str, day: int, phrase: str) -> None:
    assert phrase in _render("cn_gentle", "sms", locale, "cn", day=day).text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_field_visit_brief_carries_the_case_and_the_conduct_rules(locale: str) -> None:
    brief = _render("cn_field_visit", "visit", locale, "full").text
    for value in ("Chris Wong", "HB-9", "£80.00", "1 Harbour Road", "Ring the side door."):
        assert value in brief
    assert "22:00" in brief and "08:00" in brief


def test_every_step_of_every_schedule_in_the_folder_has_its_template_parts() -> None:
    """A step (or its fallback) whose template lacks the channel's part would be suppressed.

    Every schedule in ``schedules/`` is checked: the shipped ones and any an ops team added."""
    from worker.cadence.schedule import find_schedule, list_schedules
    from worker.rendering.lint import schedule_gaps

    root = Path(__file__).resolve().parent.parent
    renderer = Renderer(root / "templates")
    names = list_schedules(root / "schedules")
    assert {"standard", "zh-cn"} <= set(names)
    for name in names:
        assert schedule_gaps(find_schedule(name, root / "schedules"), renderer) == []


def test_a_missing_fallback_part_is_reported(tmp_path: Path) -> None:
    from worker.cadence.schedule import parse_schedule
    from worker.rendering.lint import schedule_gaps

    (tmp_path / "only_voice").mkdir()
    (tmp_path / "only_voice" / "voice.txt").write_text("Hello {{ name }}")
    schedule = parse_schedule(
        'name: x\nversion: "1"\nlocale: en\nsend_time: "10:00"\ntiers:\n  - name: early\n'
        "    steps:\n      - {day: 1, channel: voice, template: only_voice, fallback: sms}\n",
        file="x.yaml",
    )
    assert schedule_gaps(schedule, Renderer(tmp_path)) == [
        "x@1 early.1: template 'only_voice' has no sms.txt for its sms fallback"
    ]
