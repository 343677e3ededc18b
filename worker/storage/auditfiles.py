"""The audit archive in files: ``<REMIND_DATA_DIR>/audit/YYYY-MM-DD/au-<shard>.jsonl.gz``.

One file per audit shard and UTC day of the decision, append-only: each archived batch is one
gzip member (``zcat`` reads the members of a file as one text), one line per record
``{"id": <stream id>, "at": <epoch seconds>, "record": <the record>}``. Only the holder of the
shard's lock (``flock`` on ``.locks/au-<shard>``, let go by the kernel when its process dies)
writes a shard's files, so processes archiving at once each take other shards.

A batch is made durable in three steps, each on disk before the next:

1. the shard's state file (``.state/au-<shard>.json``, replaced atomically) records the size of
   every file the batch will append to (``pending``);
2. the batch is appended and each file fsynced (and its directory, when the file is new);
3. the state records the batch's last stream id as the shard's cursor, ``pending`` cleared.

Whoever takes the lock next finds a ``pending`` batch if its writer died before step 3,
truncates the files back to the sizes noted and archives the batch again from the stream (which
is only trimmed after step 3): nothing is lost and nothing is archived twice.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import logging
import os
import shutil
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: (decision instant, shard, stream id, record JSON): what an archive stores.
Entry = tuple[float, str, str, str]
#: (decision instant, shard, stream id, record): what an archive reads back.
Found = tuple[float, str, str, dict[str, Any]]


def day_of(at: float) -> date:
    return datetime.fromtimestamp(at, UTC).date()


class FileArchive:
    """Daily gzip files under ``root`` (docs/audit.md)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def close(self) -> None:
        pass

    @contextmanager
    def locked(self, shard: str) -> Iterator[bool]:
        """Hold shard ``shard``'s lock for the block (True), or False when another process has
        it. A batch its last holder left half written is undone first."""
        locks = self.root / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / f"au-{shard}", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            self._recover(shard)
            yield True
        finally:
            os.close(fd)  # closing the descriptor lets go of the lock

    def cursor(self, shard: str) -> str:
        """The last stream id of shard ``shard`` archived for good ("" before the first)."""
        return str(self._state(shard).get("last", ""))

    def store(self, shard: str, entries: list[Entry]) -> None:
        """Append ``entries`` (in stream order, after the cursor) durably; move the cursor."""
        if not entries:
            return
        lines: dict[Path, list[str]] = defaultdict(list)
        for at, _, entry_id, raw in entries:
            path = self.root / day_of(at).isoformat() / f"au-{shard}.jsonl.gz"
            lines[path].append(f'{{"id":"{entry_id}","at":{at!r},"record":{raw}}}\n')
        state = self._state(shard)
        sizes = {
            str(p.relative_to(self.root)): (p.stat().st_size if p.exists() else 0) for p in lines
        }
        self._write_state(shard, {"last": state.get("last", ""), "pending": sizes})
        for path, chunk in lines.items():
            new_dir = not path.parent.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            with open(path, "ab") as f:
                f.write(gzip.compress("".join(chunk).encode(), compresslevel=6, mtime=0))
                f.flush()
                os.fsync(f.fileno())
            if new:
                _fsync_dir(path.parent)
            if new_dir:
                _fsync_dir(self.root)
        self._write_state(shard, {"last": entries[-1][2]})

    def read(self, since: float, until: float) -> Iterator[Found]:
        """Archived records with ``since <= at < until``, ordered by (at, shard, id), one day
        of records in memory at a time."""
        if until <= since:
            return
        day, last = day_of(since), day_of(until)
        while day <= last:
            folder = self.root / day.isoformat()
            found: list[Found] = []
            if folder.is_dir():
                for path in sorted(folder.glob("au-*.jsonl.gz")):
                    shard = path.name[3 : -len(".jsonl.gz")]
                    for item in _lines(path):
                        at = float(item["at"])
                        if since <= at < until:
                            found.append((at, shard, str(item["id"]), item["record"]))
            found.sort(key=lambda e: (e[0], e[1], _id_key(e[2])))
            yield from found
            day += timedelta(days=1)

    def drop_before(self, day: date) -> int:
        """Delete every day folder before ``day``; return how many."""
        dropped = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            if folder.is_dir() and _is_day(folder.name) and folder.name < day.isoformat():
                shutil.rmtree(folder)
                dropped += 1
        return dropped

    def _recover(self, shard: str) -> None:
        state = self._state(shard)
        pending = state.get("pending")
        if not pending:
            return
        for name, size in pending.items():
            path = self.root / name
            if path.exists() and path.stat().st_size > int(size):
                with open(path, "r+b") as f:
                    f.truncate(int(size))
                    os.fsync(f.fileno())
        log.warning("audit shard %s: undid a batch its archiver left unfinished", shard)
        self._write_state(shard, {"last": state.get("last", "")})

    def _state_path(self, shard: str) -> Path:
        return self.root / ".state" / f"au-{shard}.json"

    def _state(self, shard: str) -> dict[str, Any]:
        path = self._state_path(shard)
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _write_state(self, shard: str, state: dict[str, Any]) -> None:
        path = self._state_path(shard)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(state))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    """The records of one archive file; a last member cut short (its writer died while
    appending, and the batch is still on the stream) ends the file."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    yield json.loads(line)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        log.warning("audit archive %s ends with a batch cut short; it is read from Redis", path)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _is_day(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
