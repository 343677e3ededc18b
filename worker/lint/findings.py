"""A lint finding: where (file and line), how bad, what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one template file; ``error`` fails ``remind templates lint``."""

    file: str
    line: int
    level: Level
    message: str
    fix: str = ""

    def format(self) -> str:
        """``file:line: level: message (fix: ...)``, the form editors and CI parse."""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{self.file}:{self.line}: {self.level}: {self.message}{fix}"

    def as_json(self) -> dict[str, Any]:
        """The finding as a JSON object, for ``--json``."""
        return asdict(self)
