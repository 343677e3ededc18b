"""What an SMS template costs: its segments, Twilio's body limit, characters that force UCS-2.

One character outside the GSM-7 alphabet switches a whole message to UCS-2: 70 characters a
segment instead of 160 (``worker.rendering.sms``). ``normalise_sms`` replaces the typography it
knows (no-break spaces, curly quotes, dashes) in Latin-script messages; anything else (an emoji,
a ``ç``) is sent as written and costs segments. Lint names each such character, where it is and
what it costs, on the rendered sample message.
"""

from __future__ import annotations

import unicodedata

from worker.lint.findings import Finding
from worker.rendering.limits import DEFAULT_SMS_MAX_SEGMENTS, TWILIO_BODY_MAX
from worker.rendering.sms import _CJK, GSM7_BASIC, GSM7_EXTENSION, normalise_sms, segment_info


def _gsm(ch: str) -> bool:
    return ch in GSM7_BASIC or ch in GSM7_EXTENSION


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'character')}"


def sms_findings(
    file: str, source: str, body: str, *, max_segments: int | None = DEFAULT_SMS_MAX_SEGMENTS
) -> list[Finding]:
    """Findings for the SMS template ``source`` (in ``file``) whose sample renders as ``body``.

    ``max_segments`` is the default limit to warn above; None when the schedules that send the
    template are linted with their own limits (``worker.lint.jurisdictions``).
    """
    findings: list[Finding] = []
    info = segment_info(body)
    if len(body) > TWILIO_BODY_MAX:
        findings.append(
            Finding(
                file,
                1,
                "error",
                f"the SMS is {len(body)} characters, over Twilio's {TWILIO_BODY_MAX}: "
                "it is never sent",
                "shorten it",
            )
        )
    elif max_segments is not None and info.segments > max_segments:
        findings.append(
            Finding(
                file,
                1,
                "warning",
                f"the sample SMS takes {info.segments} segments ({info.units} {info.encoding} "
                f"units), over the default sms_max_segments of {DEFAULT_SMS_MAX_SEGMENTS}: "
                "refused unless its schedule allows more",
                f"shorten it, or set sms_max_segments: {info.segments} in the schedule",
            )
        )
    if _CJK.search(body):
        return findings  # UCS-2 anyway: “” and —— are correct Chinese punctuation
    plain = segment_info("".join(ch if _gsm(ch) else "?" for ch in body)).segments
    for number, line in enumerate(source.splitlines(), start=1):
        for column, ch in enumerate(line, start=1):
            if _gsm(ch) or ch == "\t":
                continue
            sent = normalise_sms(f"a{ch}a")[1:-1]
            if all(_gsm(c) for c in sent):
                findings.append(
                    Finding(
                        file,
                        number,
                        "warning",
                        f"{_name(ch)} at column {column} would force UCS-2; it is sent as {sent!r}",
                        f"write {sent!r}, so the file says what is sent",
                    )
                )
            else:
                extra = info.segments - plain
                cost = (
                    f"the sample takes {info.segments} segments instead of {plain} (+{extra})"
                    if extra
                    else "no extra segment in the sample, but 70 characters a segment, not 160"
                )
                findings.append(
                    Finding(
                        file,
                        number,
                        "warning",
                        f"{_name(ch)} at column {column} forces UCS-2: {cost}",
                        "use GSM-7 characters only (letters, digits, plain punctuation)",
                    )
                )
    return findings
