"""Which F16 disclosure a message carries, and what a sent message or a call result changes.

12 CFR 1006.18(e) (F16): the initial communication says that the collector "is attempting to
collect a debt and any information obtained will be used for that purpose", each later one that
it comes from a debt collector. The statute (15 U.S.C. 1692e(11)) asks for the long statement in
the first *written* communication and, when the first communication is oral, in that one too;
so remind follows the two media apart, per account (docs/compliance.md, Cautious readings):

- written (SMS, email): the long statement until a written message has carried it;
- oral (calls): the long statement until a call that carried it is known to have been answered.
  A placed call is a communication only once answered, which a ``call_result`` event says
  later; an unanswered call and a limited-content voicemail are none (12 CFR 1006.2(d), (j)).

Saying the long statement where the short one would do is the safe side: it says as well that
a debt collector is calling. The facts live on ``AccountState`` (``disclosed``,
``communicated``, ``disclosing_calls``); ``note_sent`` and ``note_call_result`` keep them.
"""

from __future__ import annotations

from collections.abc import Mapping

from worker.accounts.state import AccountState, Medium
from worker.rendering.locales import DEFAULT_LOCALE, locale_chain

__all__ = ["disclosure_text", "initial_due", "medium_of", "note_call_result", "note_sent"]

_MEDIA: Mapping[str, Medium] = {"sms": "written", "email": "written", "voice": "oral"}
#: Calls remembered while their result is unknown; forgetting an older one only means the next
#: call says the long statement again, the safe side.
_KEEP_CALLS = 10


def medium_of(channel: str) -> Medium | None:
    """``written`` for SMS and email, ``oral`` for calls, None for a field-visit brief.

    A visit brief is handed to an agent: remind cannot know whether the visit took place, nor
    what was said there, so a visit never counts as having disclosed anything.
    """
    return _MEDIA.get(channel)


def initial_due(state: AccountState, channel: str) -> bool:
    """True when a message on ``channel`` must carry the initial disclosure (F16)."""
    medium = medium_of(channel)
    return medium is None or medium not in state.disclosed


def disclosure_text(
    texts: Mapping[str, Mapping[str, str]], *, initial: bool, locale: str
) -> str | None:
    """The disclosure a pack rule requires for ``locale``, or None when it has none.

    ``texts`` is a rule's ``{"initial": {locale: text}, "subsequent": {...}}``. The initial text
    (F16: "attempting to collect a debt...") is never replaced by the subsequent one or the other
    way round, because each is only compliant in its place. Locales fall back like template
    files (``zh-Hant-TW`` -> ``zh-Hant`` -> ``zh``), then to ``en``; case is ignored.
    """
    variant = "initial" if initial else "subsequent"
    by_locale = {tag.lower(): text for tag, text in texts.get(variant, {}).items()}
    for tag in [*locale_chain(locale), DEFAULT_LOCALE]:
        text = by_locale.get(tag.lower())
        if text and text.strip():
            return text
    return None


def note_sent(
    state: AccountState,
    channel: str,
    dispatch_id: str,
    *,
    initial_disclosure: bool,
    call_result: str = "unknown",
) -> None:
    """Record what a message just sent told the person.

    A sent SMS or email is a written communication, and carried the initial disclosure when
    ``initial_disclosure``. A call is remembered until its result is known; ``call_result`` is
    that result when already known (a simulation's "what if every call were answered").
    """
    medium = medium_of(channel)
    if medium == "written":
        _add(state.communicated, "written")
        if initial_disclosure:
            _add(state.disclosed, "written")
    elif medium == "oral":
        if initial_disclosure:
            state.disclosing_calls = [*state.disclosing_calls, dispatch_id][-_KEEP_CALLS:]
        if call_result != "unknown":
            note_call_result(state, dispatch_id, call_result)


def note_call_result(state: AccountState, dispatch_id: str, result: str) -> None:
    """Record how call ``dispatch_id`` ended: answered, it was an oral communication.

    Only an answered call communicates; an answered call that said the initial disclosure gives
    it for every later call. Other results change nothing: the call was no communication.
    """
    if result != "answered":
        return
    _add(state.communicated, "oral")
    if dispatch_id in state.disclosing_calls:
        _add(state.disclosed, "oral")
        state.disclosing_calls = []


def _add(media: list[Medium], medium: Medium) -> None:
    if medium not in media:
        media.append(medium)
