"""A person's reply, end to end: the ``reply`` event opts out or holds at once, the next step
finds it, and the outcome and its audit record carry the reply as evidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.errors import InvalidInput
from worker.intake import apply_event, apply_raw, enroll
from worker.storage import keys
from worker.storage.results import audit_export

from .pipeline_helpers import ROOT, TEST_SCHEDULE, account, make_app, outbox, run_until

NUMBER = "+12125550123"
OTHER = "+12125550199"
WEEK = datetime(2026, 3, 7, tzinfo=UTC)


@pytest.fixture
def app(redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock) -> App:
    remind = make_app(redis_url, tmp_path, clock)
    enroll(remind, parse_account(account()))
    return remind


def reply(app: App, text: str, channel: str = "sms", **fields: Any) -> Any:
    data = {"account_id": "A-1", "type": "reply", "channel": channel, "text": text, **fields}
    return apply_event(app, parse_event(data))


def event(app: App, type_: str, **fields: Any) -> Any:
    return apply_event(app, parse_event({"account_id": "A-1", "type": type_, **fields}))


def steps(app: App) -> list[tuple[Any, ...]]:
    """(step, outcome, reason) of each outcome recorded, the reply's own included."""
    return [(o["step"], o["outcome"], o["reason"]) for o in app.recorded]  # type: ignore[attr-defined]


def opt_outs(app: App) -> set[str]:
    return app.store.opted_out(app.store.require("A-1").person_id)


def test_a_reply_asking_to_stop_texts_opts_out_at_once_and_the_next_text_is_suppressed(
    app: App,
) -> None:
    reply(app, "please stop texting me", address=NUMBER)
    run_until(app, app.clock, WEEK)  # type: ignore[arg-type]
    assert steps(app) == [
        (None, "opted_out", "reply_stop"),
        ("early.1", "suppressed", "opted_out"),
        ("early.2", "suppressed", "opted_out"),
        ("early.3", "suppressed", "opted_out"),
        ("early.4", "sent", None),  # email: the reply refused texts only
    ]
    recorded: Any = app.recorded  # type: ignore[attr-defined]
    assert recorded[0]["rule"] == "us-federal/T4@2026-11-29"
    assert recorded[0]["channel"] == "sms"
    assert recorded[0]["at"] == "2026-03-02T12:00:00Z"
    assert recorded[1]["rule"] == "consent/opted_out@1"
    # it names texts: the whole channel; and the number it came from, for calls too (T4)
    assert opt_outs(app) == {"sms", f"sms:{NUMBER}", f"voice:{NUMBER}"}
    assert outbox(app, "sms") == []


def test_a_bare_stop_opts_out_only_the_number_it_came_from(app: App) -> None:
    phones = [
        {"number": NUMBER, "kind": "mobile", "sms_consent": True, "voice_consent": True},
        {"number": OTHER, "kind": "mobile", "sms_consent": True},
    ]
    event(app, "contact_update", phones=phones)
    reply(app, "STOP please", address="+1 212 555 0123")  # spelled any way E.164 allows
    assert opt_outs(app) == {f"sms:{NUMBER}", f"voice:{NUMBER}"}
    run_until(app, app.clock, datetime(2026, 3, 2, 16, tzinfo=UTC))  # type: ignore[arg-type]
    assert [m["to"] for m in outbox(app, "sms")] == [OTHER]


def test_a_stop_from_an_unknown_sender_opts_out_the_whole_channel(app: App) -> None:
    reply(app, "unsubscribe")
    assert opt_outs(app) == {"sms"}


def test_an_uncertain_reply_holds_the_number_and_records_a_review(app: App) -> None:
    reply(app, "stop calling my mother", address=NUMBER)
    run_until(app, app.clock, WEEK)  # type: ignore[arg-type]
    assert steps(app) == [
        (None, "review", "uncertain_reply"),
        ("early.1", "suppressed", "held_for_review"),
        ("early.2", "suppressed", "held_for_review"),
        ("early.3", "suppressed", "held_for_review"),
        ("early.4", "sent", None),  # the email address is not held
    ]
    recorded: Any = app.recorded  # type: ignore[attr-defined]
    assert recorded[0]["rule"] == "reply/review@1"
    assert recorded[1]["rule"] == "consent/held_for_review@1"
    assert opt_outs(app) == {f"held:{NUMBER}"}  # held, not opted out: a person decides


def test_an_opt_in_naming_the_held_number_ends_the_review_and_texts_resume(app: App) -> None:
    reply(app, "wrong number", address=NUMBER)
    event(app, "opt_in", channel="sms", address=NUMBER)
    assert opt_outs(app) == set()
    run_until(app, app.clock, datetime(2026, 3, 2, 16, tzinfo=UTC))  # type: ignore[arg-type]
    assert steps(app)[1:] == [("early.1", "sent", None)]


def test_an_opt_out_naming_the_held_number_confirms_the_stop(app: App) -> None:
    reply(app, "I can't stop by the office", address=NUMBER)
    event(app, "opt_out", channel="sms", address=NUMBER)
    assert opt_outs(app) == {f"sms:{NUMBER}"}
    run_until(app, app.clock, datetime(2026, 3, 2, 16, tzinfo=UTC))  # type: ignore[arg-type]
    assert steps(app)[1:] == [("early.1", "suppressed", "opted_out")]


def test_a_review_of_a_reply_that_names_every_medium_holds_every_contact(app: App) -> None:
    reply(app, "don't contact me at work", address=NUMBER)
    assert opt_outs(app) == {f"held:{NUMBER}", "held:sam@example.com", "held:visit"}


def test_a_reply_that_asks_nothing_changes_nothing_and_records_nothing(app: App) -> None:
    reply(app, "I will pay on Friday", address=NUMBER)
    reply(app, "HELP", address=NUMBER)
    run_until(app, app.clock, datetime(2026, 3, 2, 16, tzinfo=UTC))  # type: ignore[arg-type]
    assert steps(app) == [("early.1", "sent", None)]
    assert opt_outs(app) == set()


def test_a_start_reply_is_recorded_for_review_and_does_not_undo_an_opt_out(app: App) -> None:
    reply(app, "STOP", address=NUMBER)
    reply(app, "START", address=NUMBER)
    assert steps(app) == [(None, "opted_out", "reply_stop"), (None, "review", "reply_start")]
    assert f"sms:{NUMBER}" in opt_outs(app)


def test_an_email_asking_to_unsubscribe_opts_out_that_address(app: App) -> None:
    reply(app, "Unsubscribe me please", channel="email", address="SAM@example.com")
    assert opt_outs(app) == {"email:sam@example.com"}  # as the account spells it
    run_until(app, app.clock, datetime(2026, 3, 20, tzinfo=UTC))  # type: ignore[arg-type]
    recorded: Any = app.recorded  # type: ignore[attr-defined]
    emails = [(o["step"], o["outcome"], o["reason"]) for o in recorded if o["channel"] == "email"]
    assert emails[0] == (None, "opted_out", "reply_stop")
    assert ("late.2", "suppressed", "opted_out") in emails
    assert not [o for o in recorded if o["channel"] == "email" and o["outcome"] == "sent"]
    assert [o["outcome"] for o in recorded if o["step"] == "early.1"] == ["sent"]


def test_the_audit_record_keeps_the_reply_as_evidence_with_personal_data_masked(
    app: App, redis_client: redis.Redis
) -> None:
    reply(app, "stop texting me at +12125550123 or 212-555-0199, sam@example.com", address=NUMBER)
    records = list(audit_export(redis_client, since=datetime(2026, 3, 1, tzinfo=UTC),
                                until=datetime(2026, 3, 3, tzinfo=UTC)))  # fmt: skip
    assert [r["outcome"] for r in records] == ["opted_out"]
    (check,) = records[0]["checks"]
    assert check["kind"] == "reply" and check["verdict"] == "block"
    assert check["detail"] == (
        'sms reply from +1********23: "stop texting me at +*********23 or ***-***-**99, '
        's***@example.com"; read as stop (stop); opted out: sms, sms:+*********23, '
        "voice:+*********23"
    )
    everything = json.dumps(records)
    assert "2125550123" not in everything and "555-0199" not in everything


def test_a_chinese_reply_cites_the_chinese_keyword_rule(
    redis_url: str, redis_client: object, tmp_path: Path, clock: SimulatedClock
) -> None:
    app = make_app(redis_url, tmp_path, clock)
    cn = account(
        timezone="Asia/Shanghai",
        locale="zh-Hans",
        phones=[{"number": "+8613812345678", "kind": "mobile", "sms_consent": True}],
        balance={"amount": "500", "currency": "CNY"},
    )
    enroll(app, parse_account(cn))
    reply(app, "请退订，谢谢", address="+8613812345678")
    recorded: Any = app.recorded  # type: ignore[attr-defined]
    assert [(o["outcome"], o["rule"]) for o in recorded] == [("opted_out", "cn/CN-KW@2026-11-29")]
    assert "sms:+8613812345678" in opt_outs(app)


def test_a_stop_in_words_no_pack_lists_cites_the_reply_rule(app: App) -> None:
    reply(app, "leave me alone", address=NUMBER)
    recorded: Any = app.recorded  # type: ignore[attr-defined]
    assert recorded[0]["rule"] == "reply/stop@1"
    assert opt_outs(app) == {"sms", "voice", "email", "visit", f"sms:{NUMBER}", f"voice:{NUMBER}"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "sms"}, "text: is required for a reply event"),
        ({"text": "stop"}, "channel: is required for a reply event"),
        ({"channel": "voice", "text": "stop"}, "channel: a reply comes by sms or email, not voice"),
        ({"channel": "sms", "text": "stop", "address": "2125550123"},
         "address: must be a phone number in E.164 form"),
        ({"channel": "email", "text": "stop", "address": "sam"},
         "address: must be an email address"),
        ({"channel": "sms", "text": "x" * 20_001}, "text: is longer than 20000 characters"),
        ({"channel": "sms", "text": "stop", "reason": "x"},
         "reason: does not apply to a reply event"),
    ],
)  # fmt: skip
def test_a_malformed_reply_is_refused_naming_the_field(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_event({"account_id": "A-1", "type": "reply", **fields})


def test_text_belongs_to_replies_only() -> None:
    with pytest.raises(InvalidInput, match="text: does not apply to an opt_out event"):
        parse_event({"account_id": "A-1", "type": "opt_out", "channel": "sms", "text": "stop"})


def test_a_bad_reply_on_the_queue_becomes_a_rejected_outcome(app: App) -> None:
    out = apply_raw(app, {"account_id": "A-1", "type": "reply", "channel": "sms"})
    assert getattr(out, "outcome", None) == "rejected"
    assert app.client.scard(keys.opt_outs(app.store.require("A-1").person_id)) == 0


def test_the_event_command_applies_a_reply(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "t.yaml").write_text(TEST_SCHEDULE)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REMIND_FIXED_NOW": "2026-03-02T12:00:00Z",
        "REMIND_SCHEDULES_DIR": str(tmp_path / "schedules"),
        "REMIND_TEMPLATES_DIR": str(ROOT / "templates"),
        "REMIND_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
    }

    def remind(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "worker.cli", *args], env=env, input=stdin,
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip

    remind("enroll", "-", stdin=json.dumps(account()) + "\n")
    done = remind("event", "A-1", "reply", "--channel", "sms", "--text", "please stop texting me")
    assert (done.returncode, done.stdout.strip()) == (0, "A-1: reply applied; status active")
    shown = remind("explain", "A-1")
    assert "opted out: sms" in shown.stdout
    assert "gate at 2026-03-02T12:00:00Z: suppress (opted_out, consent/opted_out@1)" in shown.stdout
