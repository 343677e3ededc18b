"""A results consumer reading the stream ``remind:results`` as a consumer group.

    REDIS_URL=redis://127.0.0.1:6390 python examples/results_stream.py billing --count 10

Uses only redis-py: a consumer needs none of remind's code. The group keeps its position in
Redis, so a restarted reader resumes where it stopped, and an entry read but not acknowledged
(the reader died while handling it) is read again first. Entries are trimmed by age
(``REMIND_RESULTS_RETENTION_DAYS``): a reader must not stay away longer than that.
``remind results tail --group billing`` reads the same way from the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket

import redis

STREAM = "remind:results"


def handle(outcome: dict[str, object]) -> None:
    """Your system's work: here, one line per outcome."""
    print(outcome["account_id"], outcome["outcome"], outcome.get("reason") or "-", flush=True)


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("group", help="the consumer group (one per consuming system)")
    args.add_argument("--consumer", default=socket.gethostname(), help="this reader's name")
    args.add_argument("--count", type=int, default=0, help="stop after this many (0: never)")
    args.add_argument("--idle-exit", action="store_true", help="stop when nothing is left")
    opts = args.parse_args()
    client = redis.Redis.from_url(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6390"), decode_responses=True
    )
    try:  # start the group at the oldest entry kept; an existing group keeps its position
        client.xgroup_create(STREAM, opts.group, id="0", mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise
    handled, start = 0, "0"  # "0": this consumer's unacknowledged entries first, then ">"
    while True:
        batch = client.xreadgroup(opts.group, opts.consumer, {STREAM: start}, count=100, block=1000)
        entries = batch[0][1] if batch else []
        if not entries and start == "0":
            start = ">"
            continue
        if not entries and opts.idle_exit:
            return 0
        for entry_id, fields in entries:
            if fields:  # an entry trimmed while pending comes back empty
                handle(json.loads(fields["outcome"]))
            client.xack(STREAM, opts.group, entry_id)
            handled += 1
            if opts.count and handled >= opts.count:
                return 0
        if start != ">":
            start = entries[-1][0] if entries else ">"


if __name__ == "__main__":
    raise SystemExit(main())
