"""``/preview`` and ``/preview/api``: the page, behind the API keys, over the preview engine."""

from __future__ import annotations

from pathlib import Path

import redis

from tests.web_helpers import AUTH, web_client
from worker.clock import SimulatedClock

CN_GENTLE_ZH_HANS = (
    "【Northwind Lending】Sam Lee您好，温馨提醒：您编号NW-1的账单（应还$125.50）已于2026年3月1日"
    "到期。如已还款，请忽略本信息。\n还款：https://pay.example.com/1\n回复TD退订"
)


def test_the_page_loads_without_a_key_and_holds_no_data(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    page = client.get("/preview")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/preview/preview.js" defer></script>' in page.text
    assert "cn_gentle" not in page.text  # the template list comes from the API, with a key
    script = client.get("/preview/preview.js")
    assert (script.status_code, script.headers["content-type"]) == (
        200,
        "text/javascript; charset=utf-8",
    )
    assert '"Bearer " + state.key' in script.text
    assert client.get("/preview/preview.css").status_code == 200
    assert client.get("/preview/server.py").status_code == 404


def test_the_api_refuses_a_request_without_a_known_key(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    assert client.get("/preview/api/templates").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/preview/api/render", json={"template": "x"}, headers=wrong).json() == {
        "detail": "a valid API key is required (Authorization: Bearer <key>)"
    }


def test_the_template_list_gives_each_templates_locales_and_channels(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    listed = client.get("/preview/api/templates", headers=AUTH).json()["templates"]
    by_name = {t["name"]: t for t in listed}
    assert len(listed) == 17  # 12 for collection, 5 for repayment plans
    assert by_name["cn_gentle"] == {
        "name": "cn_gentle",
        "locales": ["en", "zh-Hans", "zh-Hant"],
        "channels": ["sms"],
    }
    assert by_name["reminder_call"]["channels"] == ["sms", "voice"]
    assert by_name["friendly_nudge"]["channels"] == ["sms", "email"]


def test_render_shows_a_chinese_sms_as_ucs2_with_its_segments(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    r = client.post(
        "/preview/api/render",
        json={"template": "cn_gentle", "locale": "zh-Hans", "channel": "sms"},
        headers=AUTH,
    )
    assert r.status_code == 200
    shown = r.json()
    assert (shown["account"], shown["errors"], shown["findings"]) == ("sample", 0, [])
    [render] = shown["renders"]
    assert (render["channel"], render["locale"], render["used"], render["error"]) == (
        "sms",
        "zh-Hans",
        "zh-Hans",
        None,
    )
    [part] = render["parts"]
    assert part["text"] == CN_GENTLE_ZH_HANS
    assert part["file"].endswith("templates/cn_gentle/sms.zh-Hans.txt")
    assert part["sms"] == {
        "encoding": "UCS-2",
        "units": 117,
        "segments": 2,
        "capacity": 134,
        "characters": [],
        "reason": "Chinese text is sent as UCS-2: 70 units a segment, 67 once split",
    }


def test_render_with_a_pasted_account_uses_it_and_a_bad_field_is_named(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    account = {"account_id": "P-1", "schedule": "t", "due_date": "2026-03-01", "name": "李明"}
    r = client.post(
        "/preview/api/render",
        json={"template": "cn_gentle", "locale": "zh-Hans", "account": account},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    [render] = r.json()["renders"]
    assert render["parts"][0]["text"] == (
        "李明您好，温馨提醒：您的账单已于2026年3月1日到期。如已还款，请忽略本信息。\n回复TD退订"
    )
    assert r.json()["account"] == "the pasted account"
    bad = client.post(
        "/preview/api/render",
        json={"template": "cn_gentle", "account": {**account, "phones": [{"number": "12"}]}},
        headers=AUTH,
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "phones.0.number"
    assert bad.json()["detail"].startswith("the pasted account: phones.0.number: ")


def test_render_names_what_exists_for_an_unknown_template_locale_or_field(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)

    def refused(body: dict[str, object]) -> dict[str, str]:
        r = client.post("/preview/api/render", json=body, headers=AUTH)
        assert r.status_code == 422
        return {"field": r.json()["field"], "detail": r.json()["detail"]}

    assert refused({"template": "cn_gentle", "locale": "fr"}) == {
        "field": "locale",
        "detail": "locale: template 'cn_gentle' has no files for locale 'fr' "
        "(it has: en, zh-Hans, zh-Hant)",
    }
    assert refused({"template": "cn_gentle", "channel": "email"})["detail"] == (
        "channel: template 'cn_gentle' has no 'email' part (it has: sms)"
    )
    unknown = refused({"template": "nope"})
    assert unknown["field"] == "template"
    assert "(there are: cn_call, cn_field_visit, cn_final, cn_gentle," in unknown["detail"]
    assert refused({"template": "cn_gentle", "colour": "red"})["field"] == "colour"


def test_the_email_html_comes_whole_for_the_pages_sandboxed_frame(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    client, _ = web_client(redis_url, tmp_path, clock)
    r = client.post(
        "/preview/api/render",
        json={"template": "friendly_nudge", "locale": "en", "channel": "email"},
        headers=AUTH,
    )
    [render] = r.json()["renders"]
    assert [p["name"] for p in render["parts"]] == ["email.subject", "email.text", "email.html"]
    html = render["parts"][2]["text"]
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "https://pay.example.com/1" in html
    script = client.get("/preview/preview.js").text
    assert 'el("iframe", { sandbox: "", title: "the HTML email", srcdoc: p.text })' in script
