"""Twilio status callbacks: an SMS's delivery and a call's result, recorded once each.

Callbacks repeat and arrive out of order, so each SID keeps the rank of the furthest status
seen and a callback that does not move it forward is ignored (which also drops a repeated
(sid, status)). An SMS's final status becomes a ``delivered`` or ``undelivered`` outcome; a
call's result (the status, or the answering-machine verdict) becomes a ``call_result`` event
applied through ``worker.intake``, which moves the call between cap logs and records
``answered`` or ``voicemail`` as ``remind event ... call_result`` would. The verdict usually
comes first with the request for the call's TwiML (``worker.web.voice_routes``).
"""

from __future__ import annotations

from typing import cast

from worker.accounts.cursor import primary_zone
from worker.accounts.outcomes import make_outcome
from worker.app import App
from worker.contracts.validation import parse_event
from worker.storage import keys
from worker.storage.scripts import load_script
from worker.storage.store import AccountBusy
from worker.web.patience import apply_patiently

#: How far each SMS status is along; the final ones share the last rank (one final only).
SMS_RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3,
            "delivered": 4, "undelivered": 4, "failed": 4}  # fmt: skip
#: The outcome each final SMS status records.
SMS_OUTCOME = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}
#: A call's final statuses and the call result each gives (``completed`` gives none unless the
#: callback carries the answering-machine verdict).
CALL_RESULT = {"busy": "unanswered", "no-answer": "unanswered",
               "failed": "unreachable", "canceled": "unreachable"}  # fmt: skip
#: Twilio's ``AnsweredBy`` values and the call result each gives (fax and unknown give none:
#: the call keeps counting under every cap, the cautious reading).
ANSWERED_BY = {"human": "answered", "machine_start": "voicemail",
               "machine_end_beep": "voicemail", "machine_end_silence": "voicemail",
               "machine_end_other": "voicemail"}  # fmt: skip
#: Days a SID's furthest status is remembered; Twilio stops calling back long before.
SEEN_DAYS = 30


def sms_status(app: App, dispatch_id: str, form: dict[str, str]) -> str:
    """Record an SMS status callback; what was done (for the response and the tests)."""
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    state = app.store.load(keys.split_dispatch_id(dispatch_id)[0])
    if state is None or not sid or status not in SMS_RANK:
        return "ignored"
    if not _forward(app, state.person_id, f"sms:{sid}", SMS_RANK[status]):
        return "duplicate"
    kind = SMS_OUTCOME.get(status)
    if kind is None:
        return "noted"
    schedule = app.pinned_schedule(state.schedule_ref)
    step_key = keys.split_dispatch_id(dispatch_id)[1]
    app.results.publish(
        make_outcome(
            now=app.clock.now(),
            state=state,
            step=schedule.find(step_key) if step_key else None,
            zone=primary_zone(state.account),
            channel="sms",
            outcome=kind,  # type: ignore[arg-type]
            reason=form.get("ErrorCode") or None,
            provider="twilio",
            provider_id=sid,
        )
    )
    return kind


def call_status(app: App, dispatch_id: str, form: dict[str, str]) -> str:
    """Record a call's status callback (or the verdict it carries) as the call's result."""
    result = ANSWERED_BY.get(form.get("AnsweredBy", "")) or CALL_RESULT.get(
        form.get("CallStatus", "")
    )
    return call_result(app, dispatch_id, form.get("CallSid", ""), result)


def call_result(app: App, dispatch_id: str, sid: str, result: str | None) -> str:
    """Apply ``result`` as call ``sid``'s ``call_result`` event, unless a result was recorded
    for the call already; what was done (``ignored``, ``duplicate`` or the result)."""
    state = app.store.load(keys.split_dispatch_id(dispatch_id)[0])
    if state is None or not sid or result is None:
        return "ignored"
    # one result per call: the first that arrives (the TwiML fetch or a status) decides
    if not _forward(app, state.person_id, f"call:{sid}", 1):
        return "duplicate"
    event = {"account_id": state.account_id, "type": "call_result", "result": result,
             "dispatch_id": dispatch_id}  # fmt: skip
    try:
        apply_patiently(app, parse_event(event, "twilio callback"))
    except AccountBusy:
        # not recorded: forget the mark, so the call's next callback can record the result
        app.client.delete(keys.provider_status(state.person_id, f"call:{sid}"))
        raise
    return result


def _forward(app: App, person_id: str, what: str, rank: int) -> bool:
    """True, and ``rank`` kept, if ``rank`` moves ``what`` past every status seen before."""
    forward = load_script(app.client, "forward")
    key = keys.provider_status(person_id, what)
    return cast(int, forward(keys=[key], args=[rank, SEEN_DAYS * 86400])) == 1
