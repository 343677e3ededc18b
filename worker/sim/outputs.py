"""What a simulation writes, and the rule that it never writes over another run's output.

``remind simulate`` writes its outcomes to ``--json``, the messages to ``outbox/`` beside that
file and, if asked, a plot. An output that already exists belongs to an earlier run: the new run
stops before simulating anything, naming the paths, unless ``--force`` says to replace them.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from worker.errors import InvalidInput


def outbox_beside(json_out: Path) -> Path:
    """The outbox directory of the run whose outcomes go to ``json_out``."""
    return json_out.parent / "outbox"


def claim_outputs(paths: Sequence[Path], *, force: bool, option: str = "--json") -> None:
    """Make ``paths`` free for this run: refuse if any exists, or with ``force`` remove them.

    A directory counts only when it holds something (an empty one is no earlier run's output).
    """
    taken = [p for p in paths if _holds_something(p)]
    if not taken:
        return
    if not force:
        names = ", ".join(str(p) for p in taken)
        raise InvalidInput(
            f"{names} already hold(s) the output of an earlier run, and a run never writes over "
            "another: give the outputs a new folder, or pass --force to replace them",
            field=option,
        )
    for path in taken:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _holds_something(path: Path) -> bool:
    if path.is_dir() and not path.is_symlink():
        return any(path.iterdir())
    return path.exists() or path.is_symlink()
