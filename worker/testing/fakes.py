"""``python -m worker.testing.fakes``: the Twilio emulator and the SMTP sink as one process.

``remind demo --live`` starts it when no real provider is configured (the fakes are the top
layer: the demo starts this process rather than importing them). It prints one JSON object a
line on standard output, phone numbers and addresses masked::

    {"event": "ready", "twilio": "http://127.0.0.1:41234", "smtp": "smtp://127.0.0.1:41235"}
    {"event": "request", "kind": "Messages", "to": "+*********23"}
    {"event": "callback", "kind": "sms-status", "path": "/twilio/status/sms?dispatch=...",
     "fields": {"MessageStatus": "delivered"}, "status": 200, "answer": "{\\"done\\":..."}
    {"event": "email", "to": ["s***@example.com"], "subject": "...", "unsubscribe": true}

and stops on SIGTERM or SIGINT. ``--sms`` and ``--calls`` script the fates in turn:
``delivered``, ``undelivered:30005``; ``human:2`` (a person presses 2), ``machine_end_beep``,
``busy``, ``no-answer``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

from worker.logs import mask
from worker.testing.smtp_sink import SmtpSink
from worker.testing.twilio_callbacks import Callback
from worker.testing.twilio_emulator import (
    Reply,
    TwilioEmulator,
    answered,
    busy,
    delivered,
    no_answer,
    undelivered,
)

#: Callback fields worth showing: what happened, never who it happened to.
SHOWN = ("MessageStatus", "ErrorCode", "CallStatus", "AnsweredBy", "Digits", "CallDuration")


def sms_fate(text: str) -> Reply:
    """``delivered`` or ``undelivered:CODE``."""
    name, _, code = text.partition(":")
    if name == "delivered":
        return delivered()
    if name in ("undelivered", "failed"):
        return undelivered(int(code or 30003), status=name)
    raise ValueError(f"--sms: {text!r} is not delivered or undelivered:CODE")


def call_fate(text: str) -> Reply:
    """``busy``, ``no-answer``, or who answers with the keys pressed (``human:2``)."""
    if text == "busy":
        return busy()
    if text == "no-answer":
        return no_answer()
    by, _, keys = text.partition(":")
    return answered(by, digits=tuple(keys))


def serve(sms: list[Reply], calls: list[Reply], token: str, sid: str) -> None:
    """Serve both fakes and print what happens until SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # callbacks are printed the moment they are answered: the web service records an outcome
    # while answering, and the demo shows the callback before what it caused
    told = TwilioEmulator(
        auth=(sid, token),
        on_request=lambda r: emit(
            {"event": "request", "kind": r.kind, "to": mask(r.fields.get("To", ""))}
        ),
        on_callback=lambda c: emit(callback_news(c)),
    )
    with told as twilio, SmtpSink() as sink:
        twilio.script(*sms, kind="Messages")
        twilio.script(*calls, kind="Calls")
        emit({"event": "ready", "twilio": twilio.base_url, "smtp": sink.url})
        seen = 0
        while True:
            stopping = stop.wait(0.1)  # the pace at which emails are shown, nothing waits on it
            mails = list(sink.messages)
            for m in mails[seen:]:
                emit({"event": "email", "to": [mask(t) for t in m.rcpt_tos],
                      "subject": str(m.message["Subject"]),
                      "unsubscribe": m.message["List-Unsubscribe"] is not None})  # fmt: skip
            seen = len(mails)
            if stopping:
                return


def callback_news(c: Callback) -> dict[str, Any]:
    """What to print of one callback: where it went, what it said, what it got back."""
    url = urlsplit(c.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    fields = {k: c.form[k] for k in SHOWN if k in c.form}
    answer = c.error or " ".join(c.body.split())[:120]
    return {"event": "callback", "kind": c.kind, "path": path, "fields": fields,
            "status": c.status, "answer": answer}  # fmt: skip


_printing = threading.Lock()


def emit(news: dict[str, Any]) -> None:
    """Print one line of news (from the main or the callback thread, never interleaved)."""
    with _printing:
        print(json.dumps(news, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker.testing.fakes", description=__doc__)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True, help="signs the callbacks")
    parser.add_argument("--sms", default="", help="comma-separated SMS fates, in turn")
    parser.add_argument("--calls", default="", help="comma-separated call fates, in turn")
    args = parser.parse_args(argv)
    try:
        sms = [sms_fate(f) for f in args.sms.split(",") if f]
        calls = [call_fate(f) for f in args.calls.split(",") if f]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    serve(sms, calls, args.auth_token, args.account_sid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
