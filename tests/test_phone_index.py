"""The phone index kept at intake: each number finds the accounts that list it now, not those
that dropped it or were closed; a number that said STOP reaches the person who enrols it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.pipeline_helpers import account, make_app
from worker.app import App
from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account, parse_event
from worker.intake import apply_event, enroll
from worker.storage import phones

HOME, WORK, NEW = "+12125550123", "+12125550144", "+12125550177"


def numbers(*given: str) -> list[dict[str, Any]]:
    return [{"number": n, "kind": "mobile", "sms_consent": True} for n in given]


@pytest.fixture
def app(redis_client: redis.Redis, redis_url: str, tmp_path: Path, clock: SimulatedClock) -> App:
    return make_app(redis_url, tmp_path, clock)


def test_enrolling_again_with_fewer_numbers_unlinks_the_dropped_one(app: App) -> None:
    enroll(app, parse_account(account(phones=numbers(HOME, WORK))))
    enroll(app, parse_account(account(account_id="B-2", phones=numbers(WORK))))
    assert phones.accounts_for(app.client, WORK) == ["A-1", "B-2"]
    enroll(app, parse_account(account(phones=numbers(HOME))))
    assert phones.accounts_for(app.client, HOME) == ["A-1"]
    assert phones.accounts_for(app.client, WORK) == ["B-2"]


def test_a_paid_account_keeps_its_numbers_and_a_closed_one_loses_them(app: App) -> None:
    enroll(app, parse_account(account()))
    apply_event(app, parse_event({"account_id": "A-1", "type": "paid"}))
    assert phones.accounts_for(app.client, HOME) == ["A-1"]
    enroll(app, parse_account(account(account_id="B-2", phones=numbers(NEW))))
    apply_event(app, parse_event({"account_id": "B-2", "type": "close", "reason": "deceased"}))
    assert phones.accounts_for(app.client, NEW) == []
    # an update of the closed account does not bring its numbers back
    enroll(app, parse_account(account(account_id="B-2", phones=numbers(NEW, WORK))))
    assert (phones.accounts_for(app.client, NEW), phones.accounts_for(app.client, WORK)) == ([], [])


def test_a_number_that_said_stop_is_opted_out_for_the_person_who_adds_it(app: App) -> None:
    enroll(app, parse_account(account()))
    assert phones.opt_out_number(app.client, NEW, datetime(2026, 3, 1, tzinfo=UTC))
    assert not phones.opt_out_number(app.client, NEW, datetime(2026, 3, 2, tzinfo=UTC))
    apply_event(app, parse_event({"account_id": "A-1", "type": "contact_update",
                                  "phones": numbers(HOME, NEW)}))  # fmt: skip
    assert app.store.opted_out("A-1") == {f"sms:{NEW}"}
    assert phones.accounts_for(app.client, NEW) == ["A-1"]


@pytest.mark.parametrize(
    ("given", "indexed"),
    [("+1 (212) 555-0123", HOME), ("+12125550123", HOME), ("22395", "22395"), ("Acme", "Acme")],
)
def test_numbers_are_indexed_in_e164_and_short_codes_as_given(given: str, indexed: str) -> None:
    assert phones.e164(given) == indexed


def test_an_opt_in_event_after_a_stop_is_not_undone_by_enrolling_again(app: App) -> None:
    phones.opt_out_number(app.client, NEW, datetime(2026, 3, 1, tzinfo=UTC))
    enroll(app, parse_account(account(phones=numbers(NEW))))
    assert app.store.opted_out("A-1") == {f"sms:{NEW}"}
    opt_in = {"account_id": "A-1", "type": "opt_in", "channel": "sms", "address": NEW}
    apply_event(app, parse_event(opt_in))
    enroll(app, parse_account(account(phones=numbers(NEW), name="Sam Lee-Park")))
    assert app.store.opted_out("A-1") == set()
    assert phones.number_opted_out(app.client, NEW)  # the registry speaks for the number
