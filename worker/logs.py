"""Logging: one event per line, with phone numbers and email addresses masked.

Masking happens in a filter on the root handler, so a careless ``log.info("%s", account)`` still
cannot write personal data to a log.
"""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"\+\d{1,3}(\d{4,12})(\d{2})\b")
# The local part is anything up to a delimiter (not just ASCII letters), so that josé@ or
# jane!doe@ are masked whole: the account contract accepts any non-space local part.
_EMAIL = re.compile(
    r"""([^\s@<>()\[\]{},;:"'=/\\])[^\s@<>()\[\]{},;:"=/\\]*"""
    r"@([\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,})"
)


def mask(text: str) -> str:
    """Mask E.164 numbers (keep the last two digits) and email local parts (keep the first)."""
    text = _PHONE.sub(lambda m: "+" + "*" * (len(m.group(0)) - 3) + m.group(2), text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


class MaskingFilter(logging.Filter):
    """Rewrites every record's message with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = ()
        # A provider error in a traceback can quote the number it refused; the formatter
        # reuses exc_text when set, so the masked text is what gets written.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def configure(level: int = logging.INFO) -> None:
    """Set up the root logger once: key=value-ish single lines, masked."""
    root = logging.getLogger()
    if any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
    )
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every run of the tick at INFO: one line per tick is noise, not events.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
