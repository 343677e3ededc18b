"""The texts remind answers an inbound SMS keyword with, and the TwiML that carries them.

A STOP is confirmed once (47 CFR 64.1200(a)(12) allows one confirmation text, with nothing
else in it), a START is confirmed, and a HELP gets who is writing and a number to call. The
contact details come from the schedule's ``caller`` block (``worker.cadence.caller``; an
account's ``vars`` ``business_name`` and ``callback_number`` override it, as in calls), so the
HELP answer names the same business and number a call would. For a number no account lists, or
a schedule without a ``caller``, ``REMIND_HELP_TEXT`` answers; without it, ``NO_CONTACT_HELP``.
"""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse

from worker.accounts.state import AccountState
from worker.app import App
from worker.config import Settings

#: The one confirmation of a STOP.
STOP_ANSWER = (
    "You are unsubscribed and will get no more text messages from us. Reply START to resubscribe."
)
#: The confirmation of a START.
START_ANSWER = "You are subscribed to text messages again. Reply STOP to unsubscribe."
#: The HELP answer built from a ``caller``: the business, its number, the way out.
HELP_ANSWER = "{name}: for help call {number}. Reply STOP to unsubscribe."
#: The HELP answer when neither a schedule nor ``REMIND_HELP_TEXT`` says who writes.
NO_CONTACT_HELP = "Reply STOP to unsubscribe or START to resubscribe."


def help_answer(app: App, settings: Settings, states: Sequence[AccountState]) -> str:
    """The HELP answer for a number listed by ``states`` (the first one with a caller)."""
    for state in states:
        caller = app.pinned_schedule(state.schedule_ref).caller
        given = state.account.vars
        name = given.get("business_name") or (caller.name if caller else None)
        number = given.get("callback_number") or (caller.callback_number if caller else None)
        if name and number:
            return HELP_ANSWER.format(name=name, number=number)
    return settings.help_text or NO_CONTACT_HELP


def twiml(answer: str | None) -> str:
    """The TwiML response: one ``<Message>`` with ``answer``, or an empty ``<Response/>``
    (Twilio then sends nothing back)."""
    response = MessagingResponse()
    if answer is not None:
        response.message(answer)
    return str(response)
