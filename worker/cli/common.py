"""What every ``remind`` command shares: its two consoles, its settings and ISO instant options."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from worker.config import Settings
from worker.errors import InvalidInput

#: Results go to standard output, problems to standard error.
console = Console()
err = Console(stderr=True)
# Piped into a file, grep or a log collector, a line stays one line: rich would otherwise
# hard-wrap it at 80 columns (or $COLUMNS), splitting file paths and messages in two.
for _c in (console, err):
    if not _c.is_terminal:
        _c.soft_wrap = True


def load_settings() -> Settings:
    """The process's settings, read from the environment when a command runs, not at import."""
    return Settings.from_env()


def parse_instant(value: str, option: str) -> datetime:
    """``value`` given to ``option`` as an aware datetime; a date or no offset means UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"is not an ISO 8601 date or instant: {value!r}", field=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
