"""The verdict of a rule the gate does not enforce: a note, a keyword list, a retention period.

Such a rule never holds a message back; its check says ``n/a`` with what the rule says or where
it is enforced. A ``note`` with ``warns_on`` marks a duty remind cannot perform itself (sending
a validation notice, adding a notice on a time-barred debt): its check says ``warn`` on the
messages where the duty arises, so the audit log and ``remind explain`` show where a person must
act (docs/compliance.md, Not automated).
"""

from __future__ import annotations

from worker.accounts.state import AccountState
from worker.gate.disclosure import medium_of
from worker.gate.rules import Rule
from worker.gate.types import Check

__all__ = ["info_check"]


def info_check(rule: Rule, state: AccountState, channel: str) -> Check:
    """The check of a ``note``, ``keywords`` or ``retention`` rule for a step on ``channel``."""
    detail = rule.enforced_by or rule.title
    return Check(
        rule.ref, rule.kind, "warn" if _warns(rule, state, channel) else "n/a", None, None, detail
    )


def _warns(rule: Rule, state: AccountState, channel: str) -> bool:
    if rule.warns_on == "written":
        return medium_of(channel) == "written"
    if rule.warns_on == "initial_communication":
        # Nothing known to have been communicated yet: this message may be the first one (a
        # call too, should it be answered).
        return not state.communicated
    return False
