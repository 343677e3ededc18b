"""The outbox channel: one JSON line per message under ``var/outbox/<channel>.jsonl``.

The default when no provider is configured: the demo and the simulator send here, and a person
can read exactly what would have gone out.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path

from worker.channels.base import OutgoingMessage, Receipt
from worker.clock import Clock, isoformat_utc


class OutboxChannel:
    """Appends each message to ``<directory>/<channel>.jsonl``."""

    name = "outbox"

    def __init__(self, directory: Path, clock: Clock):
        self.directory = directory
        self.clock = clock
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> Receipt:
        record = {"at": isoformat_utc(self.clock.now()), **asdict(message)}
        record = {k: v for k, v in record.items() if v is not None}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / f"{message.channel}.jsonl", "a", encoding="utf-8") as f:
                f.write(line)
        return Receipt(provider="outbox", provider_id=message.dispatch_id)
