"""An independent breach checker: did any recorded send break an enforced rule?

It uses no engine code. It reads the outcome records (docs/contracts.md, Outcome), the account
rows, the events, the schedule's YAML file and the rule pack files (``worker/gate/packs/*.yaml``)
with PyYAML, works out by itself where the person may be (``where``), and judges every ``sent``
outcome, reading every rule cautiously (docs/compliance.md, Cautious readings):

- jurisdiction (``where``): every pack of every candidate region applies: the address's, each
  phone's (a US number brings its area code's state), else the schedule's ``country``; a rule
  marked U only when the schedule sets ``enforce_unverified``, and only rules binding the
  schedule's collector type;
- caps (``caps``): counted under every applicable cap, a call without a known result under
  every call cap, calendar days in every candidate zone;
- hours, days, holidays and cooldowns (``clock``): in every candidate zone (the ``timezone``
  field is one more candidate, never an override), holidays of every candidate region;
- standing (``standing``): no send without a country, without consent, to a work email without
  consent, after a stop or opt-out, or during a hold;
- repayment plans (``repayment``): no collection step while a plan surely runs, no instalment
  step without an open instalment, nothing once payments cover the balance or a settlement.

Content rules (opt-out text, disclosures, licence numbers, limited voicemails) are not judged
here: they concern what a message says, not whether and when it went.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .caps import cap_breaches
from .clock import clock_breaches, cooldown_breaches
from .packs import PACK_DIR, enforced, read_packs, read_plan
from .repayment import repayment_breaches
from .sends import CallResults, read_sends
from .standing import standing_breaches
from .where import read_person

__all__ = ["CallResults", "find_breaches"]


def find_breaches(
    outcomes: Iterable[Mapping[str, Any]],
    accounts: Mapping[str, Any],
    schedule: Path | str,
    *,
    call_results: CallResults = "unknown",
    recipients: Mapping[str, str] | None = None,
    events: Iterable[Mapping[str, Any]] = (),
    pack_dir: Path = PACK_DIR,
) -> list[str]:
    """Every breach by the ``sent`` outcomes of ``accounts`` (rows or account models, by account
    id) under ``schedule`` (a YAML file's path, or YAML text), one readable line each, starting
    ``pack/rule@version:``; [] when none.

    ``recipients`` maps dispatch ids to the number or address each send went to (the outbox);
    ``events`` are the events applied (call results, conversations, stops, opt-outs);
    ``call_results`` replays a simulation run that assumed every call went so; ``pack_dir`` is
    where the pack files are.
    """
    plan = read_plan(schedule)
    packs = read_packs(pack_dir)
    people = {a_id: read_person(a, plan.country) for a_id, a in accounts.items()}
    records, happened = list(outcomes), [dict(e) for e in events]
    sends = read_sends(records, people, call_results, recipients or {}, happened)
    rules = {a_id: enforced(plan, packs, p.regions) for a_id, p in people.items()}
    breaches = cap_breaches(sends, rules)
    for send in sends:
        mine = rules[send.person.account_id]
        breaches += clock_breaches(send, mine) + standing_breaches(send, mine, plan, happened)
    text = schedule.read_text(encoding="utf-8") if isinstance(schedule, Path) else schedule
    breaches += repayment_breaches(sends, accounts, happened, text)
    return breaches + cooldown_breaches(sends, rules, happened, people)
