"""The TwiML of a reminder call, built with twilio's TwiML classes.

::

    <Response>
      <Gather action="{PUBLIC_BASE_URL}/twilio/voice/keypress?dispatch=..." numDigits="1">
        <Say language="en-US">the script, one Say per paragraph</Say>
        <Say language="en-US">the menu: 1 an agent, 2 promise to pay, 9 no more calls</Say>
      </Gather>
      <Say language="en-US">the voicemail part</Say>
      <Hangup/>
    </Response>

The keypress handler belongs to the web service (a later part of remind); without
``PUBLIC_BASE_URL`` there is nowhere to send a key, so the script is said without a menu.
``voicemail_twiml`` is what the web service puts on a call that a machine answered.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from worker.channels.base import OutgoingMessage
from worker.channels.sms import callback_url

KEYPRESS_PATH = "/twilio/voice/keypress"
#: Seconds Twilio waits for a key once the menu has been said.
GATHER_TIMEOUT = 6
#: English-language voices Twilio has by region; other regions are read in US English.
_ENGLISH_REGIONS = frozenset({"AU", "CA", "GB", "IN", "US"})

# The menu is what the keypress handler answers to, so it lives with the call, not in a
# template: (agent line, the rest) by wording family.
_MENU = {
    "en": (
        "To speak with someone now, press 1.",
        "To promise a payment, press 2. To stop calls to this number, press 9.",
    ),
    "zh-Hans": (
        "如需人工服务，请按1。",
        "如需承诺还款，请按2。如不想再接到打给此号码的电话，请按9。",
    ),
    "zh-Hant": (
        "如需專人服務，請按1。",
        "如需承諾還款，請按2。如不想再接到打給此號碼的電話，請按9。",
    ),
}


def call_twiml(message: OutgoingMessage, *, public_base_url: str | None, agent: bool) -> str:
    """The call's TwiML: script and menu inside a Gather, then the voicemail, then hang up."""
    language = say_language(message.locale)
    response = VoiceResponse()
    paragraphs = [p.strip() for p in message.text.split("\n\n") if p.strip()]
    if public_base_url:
        gather = Gather(
            action=callback_url(public_base_url, KEYPRESS_PATH, message.dispatch_id),
            method="POST",
            num_digits=1,
            timeout=GATHER_TIMEOUT,
            input="dtmf",
        )
        for paragraph in paragraphs:
            gather.say(paragraph, language=language)
        gather.say(menu(message.locale, agent=agent), language=language)
        response.append(gather)
    else:
        for paragraph in paragraphs:
            response.say(paragraph, language=language)
    if message.voicemail:
        response.say(message.voicemail, language=language)
    response.hangup()
    return str(response.to_xml(xml_declaration=False))


def voicemail_twiml(voicemail: str, locale: str) -> str:
    """The TwiML a machine gets: the voicemail part alone, then hang up."""
    response = VoiceResponse()
    response.say(voicemail, language=say_language(locale))
    response.hangup()
    return str(response.to_xml(xml_declaration=False))


def menu(locale: str, *, agent: bool) -> str:
    """The keypress menu in the locale's wording family; option 1 only with an agent number."""
    agent_line, rest = _MENU[_family(locale)]
    return f"{agent_line} {rest}" if agent else rest


def say_language(locale: str) -> str:
    """The ``language`` of ``<Say>`` for a template locale (``zh-Hant-TW`` -> ``zh-TW``)."""
    subtags = [s for s in locale.replace("_", "-").split("-") if s]
    regions = {s.upper() for s in subtags[1:] if len(s) == 2}
    family = _family(locale)
    if family == "zh-Hans":
        return "zh-CN"
    if family == "zh-Hant":
        return "zh-HK" if regions & {"HK", "MO"} else "zh-TW"
    region = next(iter(sorted(regions & _ENGLISH_REGIONS)), "US")
    return f"en-{region}"


def _family(locale: str) -> str:
    subtags = [s.lower() for s in locale.replace("_", "-").split("-") if s]
    if not subtags or subtags[0] != "zh":
        return "en"
    if "hant" in subtags or {"tw", "hk", "mo"} & set(subtags):
        return "zh-Hant"
    return "zh-Hans"
