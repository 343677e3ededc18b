"""What is owed: the balance less the payments recorded, and whether a settlement offer stands
or has been paid (the sums a repayment plan and its templates read)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from worker.accounts.cursor import primary_zone
from worker.accounts.state import AccountState


def outstanding(state: AccountState) -> Decimal | None:
    """What is left of the account's balance after every payment recorded; None without one."""
    balance = state.account.balance
    if balance is None:
        return None
    return Decimal(balance.amount) - sum((Decimal(p.amount) for p in state.payments), Decimal(0))


def settlement_paid(state: AccountState) -> bool:
    """Whether an accepted settlement's amount has arrived (payments since it was offered)."""
    offer = state.settlement
    if offer is None or offer.accepted_at is None:
        return False
    since = sum((Decimal(p.amount) for p in state.payments if p.at >= offer.offered_at), Decimal(0))
    return since >= Decimal(offer.amount)


def offer_open(state: AccountState, now: datetime) -> bool:
    """Whether a settlement offer stands at ``now`` (through its local expiry date)."""
    offer = state.settlement
    if offer is None:
        return False
    local = now.astimezone(ZoneInfo(primary_zone(state.account))).date()
    return local <= offer.expires
