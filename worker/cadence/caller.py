"""Who is calling: a schedule's ``caller`` block, and what its values may hold.

A prerecorded call must say at its start who is calling and give a number to call back (47 CFR
64.1200(b)(1)-(2), rule T5), and a limited-content voicemail may name only a business that does
not say it collects debts, a person to ask for and a number (12 CFR 1006.2(j), rule F17). A
schedule says it once for all its accounts (docs/contracts.md, Schedule)::

    caller:
      name: Harbour Services              # the registered business name, said first in calls
      callback_number: "+1 800 555 0100"
      contact_name: Sam Carter            # a person to ask for, named in voicemails

An account's ``vars`` (``business_name``, ``callback_number``, ``contact_name``) override it for
that account; the gate then checks those values with the same functions as the reader here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.cadence.yamlnodes import Node

__all__ = [
    "COLLECTION_WORDS",
    "Caller",
    "is_person_name",
    "is_phone_number",
    "read_caller",
    "says_collection",
]

#: Words that make a business name say debt collection, which a voicemail's business name must
#: not (12 CFR 1006.2(j)(1)(i)). English words match whole, in any case; Chinese ones anywhere.
#: A list can only catch the obvious: counsel still vets the name (docs/compliance.md).
COLLECTION_WORDS: tuple[str, ...] = (
    "debt", "debts", "debtor", "debtors", "collect", "collects", "collecting", "collection",
    "collections", "collector", "collectors", "recovery", "recoveries", "receivable",
    "receivables", "arrears", "delinquent", "delinquency", "overdue", "past due", "repossession",
    "催收", "催款", "讨债", "討債", "追债", "追債", "收债", "收債", "清收", "债务", "債務", "欠款",
    "逾期", "追讨", "追討",
)  # fmt: skip

_NAME_MAX = 80
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]*[0-9]")
_PHONE_DIGITS = (7, 15)
# Letters of any script, in words joined by spaces, dots, hyphens or apostrophes.
_PERSON = re.compile(r"[^\W\d_]+(?:[ .'’-]+[^\W\d_]+)*\.?")


@dataclass(frozen=True)
class Caller:
    """Who calls, as said in call scripts and voicemails."""

    name: str  # the business name the caller is registered under
    callback_number: str  # a number the person can call back (not the dialler's)
    contact_name: str | None = None  # a natural person to ask for


def says_collection(name: str) -> str | None:
    """The word of ``name`` that says debt collection, as written there; None if none does."""
    for word in COLLECTION_WORDS:
        if not word.isascii():
            if word in name:
                return word
            continue
        pattern = r"\s+".join(re.escape(part) for part in word.split())
        found = re.search(rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", name, re.I)
        if found:
            return found[0]
    return None


def is_phone_number(text: str) -> bool:
    """True for a telephone number as people write it: ``+1 800 555 0100``, ``(800) 555-0100``."""
    digits = sum(c.isdigit() for c in text)
    low, high = _PHONE_DIGITS
    return _PHONE.fullmatch(text.strip()) is not None and low <= digits <= high


def is_person_name(text: str) -> bool:
    """True for what can be a person's name: words of letters, no digits, not a collection word."""
    text = text.strip()
    return (
        0 < len(text) <= _NAME_MAX
        and _PERSON.fullmatch(text) is not None
        and says_collection(text) is None
    )


def read_caller(node: Node | None) -> Caller | None:
    """The ``caller`` block of a schedule, or None when it has none."""
    if node is None:
        return None
    fields = node.mapping(required=("name", "callback_number"), optional=("contact_name",))
    name = fields["name"].text().strip()
    if "\n" in name or len(name) > _NAME_MAX:
        raise fields["name"].error(f"must be one line of at most {_NAME_MAX} characters")
    word = says_collection(name)
    if word is not None:
        raise fields["name"].error(
            f"says debt collection ({word!r}); voicemails say this name, and a limited-content "
            "voicemail may name only a business that does not (12 CFR 1006.2(j))"
        )
    number = fields["callback_number"].text().strip()
    if not is_phone_number(number):
        raise fields["callback_number"].error("must be a telephone number such as +1 800 555 0100")
    contact = fields["contact_name"].text().strip() if "contact_name" in fields else None
    if contact is not None and not is_person_name(contact):
        raise fields["contact_name"].error(
            "must be a person's name (letters, spaces, . ' -), such as Sam Carter"
        )
    return Caller(name, number, contact)
