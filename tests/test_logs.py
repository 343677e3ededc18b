"""Log masking: phone numbers and email addresses never reach a log line whole
(docs/architecture.md, Personal data)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from worker import logs
from worker.logs import MaskingFilter, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("+12125550123", "+*********23"),
        ("calling +12125550123 now", "calling +*********23 now"),
        ("to=+8613800138000 status=sent", "to=+***********00 status=sent"),
        ("+447911123456, +8613800138000", "+**********56, +***********00"),
        ("sms +14155550123 then voice +14155550199.", "sms +*********23 then voice +*********99."),
        ("jane.doe@example.com", "j***@example.com"),
        ("to=<jane.doe@example.com>", "to=<j***@example.com>"),
        ("email=jane+tag@mail.example.co.uk;", "email=j***@mail.example.co.uk;"),
        ("{'address': 'jane@example.com'}", "{'address': 'j***@example.com'}"),
        ("josé@example.com", "j***@example.com"),
        ("jane!doe@example.com", "j***@example.com"),
        ("o'brien@example.ie", "o***@example.ie"),
        (
            "a@example.com and b.c@example.org",
            "a***@example.com and b***@example.org",
        ),
        (
            "+12125550123 jane@example.com",
            "+*********23 j***@example.com",
        ),
        ("enrolled account A-1 on standard@3", "enrolled account A-1 on standard@3"),
        ("tick claimed 12 entries in 0.004s", "tick claimed 12 entries in 0.004s"),
        ("100% of 2026-03-02T12:00:00+00:00", "100% of 2026-03-02T12:00:00+00:00"),
        ("", ""),
    ],
)
def test_mask_hides_phone_numbers_and_email_local_parts(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", ["+*********23 j***@example.com", "+12125550123 jane@example.com"])
def test_masking_twice_changes_nothing_more(text: str) -> None:
    assert mask(mask(text)) == mask(text)


@pytest.fixture
def log_stream() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing ``LEVEL message`` lines to a StringIO through the masking filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("tests.logs.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_a_logged_line_is_written_with_its_arguments_masked(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_stream

    logger.info("sent sms to %s, copy to %s", "+12125550123", "jane.doe@example.com")

    assert stream.getvalue() == "INFO sent sms to +*********23, copy to j***@example.com\n"


def test_an_object_logged_without_care_is_still_masked(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_stream

    logger.warning({"phone": "+447911123456", "email": "jane@example.com"})

    assert stream.getvalue() == "WARNING {'phone': '+**********56', 'email': 'j***@example.com'}\n"


def test_a_line_without_personal_data_is_written_unchanged(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_stream

    logger.debug("tick claimed %d entries, %d%% of the batch", 12, 40)

    assert stream.getvalue() == "DEBUG tick claimed 12 entries, 40% of the batch\n"


def test_a_traceback_is_masked_too(log_stream: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_stream

    try:
        raise ValueError("provider refused +12125550123 for jane@example.com")
    except ValueError:
        logger.exception("send failed for %s", "+12125550123")

    lines = stream.getvalue().splitlines()
    assert lines[0] == "ERROR send failed for +*********23"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: provider refused +*********23 for j***@example.com"
    assert "+12125550123" not in stream.getvalue()
    assert "jane@" not in stream.getvalue()


@pytest.fixture
def bare_root_logger() -> Iterator[logging.Logger]:
    """The root logger with our handlers stripped, restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = [h for h in root.handlers if not h.filters]
    try:
        yield root
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)


def test_configure_installs_one_masking_handler_however_often_it_is_called(
    bare_root_logger: logging.Logger,
) -> None:
    before = len(bare_root_logger.handlers)

    logs.configure(logging.DEBUG)
    logs.configure(logging.DEBUG)

    added = bare_root_logger.handlers[before:]
    assert len(added) == 1
    assert [type(f) for f in added[0].filters] == [MaskingFilter]
    assert bare_root_logger.level == logging.DEBUG
