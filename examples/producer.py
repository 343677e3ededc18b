"""An upstream producer: enqueue accounts and events for remind's workers.

    REDIS_URL=redis://127.0.0.1:6390 python examples/producer.py examples/accounts-odd.jsonl

Without REDIS_URL it finds the embedded Redis of ``./var`` if ``remind run`` serves it there.
``connect()`` sets the broker up before the actors are imported; importing
``worker.runtime.actors`` on its own fails rather than send to a default Redis on localhost:6379.
Each line of the file is one account (docs/contracts.md, Account). The workers validate them;
a bad one becomes an outcome ``rejected`` on the results queue and stream.
"""

from __future__ import annotations

import json
import sys

from worker.runtime.client import connect


def main(path: str) -> int:
    remind = connect()
    sent = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                remind.enroll(json.loads(line))
                sent += 1
    print(f"enqueued {sent} account(s) on queue intake", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
