"""The TwiML of a reminder call and of its keypress menu, built with twilio's TwiML classes.

A person (``AnsweredBy=human``) hears ``call_twiml``::

    <Response>
      <Gather action="{PUBLIC_BASE_URL}/twilio/voice/keypress?dispatch=..." numDigits="1" ...>
        <Say language="en-US">the script, one Say per paragraph</Say>
        <Say language="en-US">the menu: 1 an agent, 2 promise to pay, 9 no more calls</Say>
      </Gather>
      <Say language="en-US">the voicemail part (said when no key was pressed)</Say>
      <Hangup/>
    </Response>

Anything else (a machine, a fax, a verdict of ``unknown``) hears ``voicemail_twiml``: the
limited-content voicemail part alone, then the call hangs up. The other documents answer the
keys (``worker.web.voice_routes``); their words are in ``worker.channels.voice_words``.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from worker.channels.voice_words import ask_date, family, menu, regions, say
from worker.storage.call_parts import CallParts

#: Seconds Twilio waits for a key once the menu has been said.
GATHER_TIMEOUT = 6
#: Seconds Twilio waits for the next digit of a date.
DATE_TIMEOUT = 10
#: English-language voices Twilio has by region; other regions are read in US English.
_ENGLISH_REGIONS = frozenset({"AU", "CA", "GB", "IN", "US"})


def action_url(base: str, path: str, dispatch_id: str, **more: str | int) -> str:
    """``base + path`` naming the dispatch and any state the next request needs. Twilio signs
    the whole URL it calls, so what is carried here cannot be forged."""
    query = urlencode({"dispatch": dispatch_id, **more}, quote_via=quote, safe="")
    return f"{base.rstrip('/')}{path}?{query}"


def call_twiml(parts: CallParts, *, keypress_url: str, agent: bool) -> str:
    """What a person hears: script and menu inside a Gather, then the voicemail, then hang up."""
    language = say_language(parts.locale)
    response = VoiceResponse()
    gather = _gather(keypress_url, digits=1, timeout=GATHER_TIMEOUT)
    for paragraph in (p.strip() for p in parts.script.split("\n\n")):
        if paragraph:
            gather.say(paragraph, language=language)
    gather.say(menu(parts.locale, agent=agent), language=language)
    response.append(gather)
    if parts.voicemail:
        response.say(parts.voicemail, language=language)
    response.hangup()
    return _xml(response)


def voicemail_twiml(voicemail: str | None, locale: str) -> str:
    """What a machine (or an unsure verdict) gets: the voicemail part alone, then hang up."""
    response = VoiceResponse()
    if voicemail:
        response.say(voicemail, language=say_language(locale))
    response.hangup()
    return _xml(response)


def menu_twiml(locale: str, *, action: str, agent: bool) -> str:
    """The menu again after a key that is not an option, then goodbye if no key comes."""
    language = say_language(locale)
    response = VoiceResponse()
    gather = _gather(action, digits=1, timeout=GATHER_TIMEOUT)
    gather.say(say(locale, "not_an_option"), language=language)
    gather.say(menu(locale, agent=agent), language=language)
    response.append(gather)
    return _goodbye(response, locale)


def date_twiml(locale: str, *, action: str, last: date | None = None) -> str:
    """Ask for the promised date (8 digits, ``#`` ends early); ``last``: the date keyed before
    could not be used, and this is the latest that can."""
    language = say_language(locale)
    response = VoiceResponse()
    gather = _gather(action, digits=8, timeout=DATE_TIMEOUT)
    if last is not None:
        gather.say(say(locale, "bad_date", last=last), language=language)
    gather.say(ask_date(locale), language=language)
    response.append(gather)
    return _goodbye(response, locale)


def confirm_twiml(locale: str, *, action: str, promised: date) -> str:
    """Read the promised date back: 1 confirms it, 2 asks for another."""
    response = VoiceResponse()
    gather = _gather(action, digits=1, timeout=GATHER_TIMEOUT)
    gather.say(say(locale, "confirm", date=promised), language=say_language(locale))
    response.append(gather)
    return _goodbye(response, locale)


def dial_twiml(locale: str, number: str, caller_id: str | None) -> str:
    """Connect the person to ``number``, showing ``caller_id`` (remind's own number: one Twilio
    always accepts); goodbye when that call ends or is not answered."""
    response = VoiceResponse()
    response.say(say(locale, "connecting"), language=say_language(locale))
    response.dial(number, caller_id=caller_id)
    return _goodbye(response, locale)


def goodbye_twiml(locale: str, prompt: str = "goodbye", **dates: date) -> str:
    """Say ``prompt`` (a goodbye: ``goodbye``, ``stopped``, ``promised``...), then hang up."""
    response = VoiceResponse()
    response.say(say(locale, prompt, **dates), language=say_language(locale))
    response.hangup()
    return _xml(response)


def say_language(locale: str) -> str:
    """The ``language`` of ``<Say>`` for a template locale (``zh-Hant-TW`` -> ``zh-TW``)."""
    found = regions(locale)
    wording = family(locale)
    if wording == "zh-Hans":
        return "zh-CN"
    if wording == "zh-Hant":
        return "zh-HK" if found & {"HK", "MO"} else "zh-TW"
    region = next(iter(sorted(found & _ENGLISH_REGIONS)), "US")
    return f"en-{region}"


def _gather(action: str, *, digits: int, timeout: int) -> Gather:
    # Twilio ends the input early on # by default (finishOnKey)
    return Gather(action=action, method="POST", num_digits=digits, timeout=timeout, input="dtmf")


def _goodbye(response: VoiceResponse, locale: str) -> str:
    """``response`` ending with a goodbye and a hang-up: what follows a Gather left unanswered."""
    response.say(say(locale, "goodbye"), language=say_language(locale))
    response.hangup()
    return _xml(response)


def _xml(response: VoiceResponse) -> str:
    return str(response.to_xml(xml_declaration=False))
