"""Lua scripts shipped in ``worker/storage/lua``; each file is headed by its KEYS/ARGV contract.

``Batch`` sends scripts inside a caller's pipeline as bare ``EVALSHA``: redis-py's own script
objects make a pipeline ask ``SCRIPT EXISTS`` first, a round trip of its own each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import redis
from redis.cluster import ClusterPipeline
from redis.exceptions import NoScriptError


@cache
def script_source(name: str) -> str:
    return (resources.files("worker.storage") / "lua" / f"{name}.lua").read_text()


def load_script(client: redis.Redis, name: str) -> Any:
    """A callable script object (EVALSHA with a transparent reload on NOSCRIPT)."""
    return client.register_script(script_source(name))


class Batch:
    """A pipeline that carries scripts too: the commands of one round trip, staged by several
    parts of the code before one of them sends it (``execute``).

    A script goes as ``EVALSHA``. Should the server not know it (restarted, failed over, script
    cache flushed), the rest of the pipeline still runs, and that script alone is sent again
    through its script object, which loads it: one trip more, once per server. A Redis Cluster
    client refuses scripts in a pipeline: there a script sends what was staged before it, then
    runs on its own (a round trip more per script, the order kept).
    """

    def __init__(self, pipe: Any):
        self.pipe = pipe
        self._scripts: dict[int, tuple[Any, list[Any], list[Any]]] = {}
        self._alone = isinstance(pipe, ClusterPipeline)
        self._done: list[Any] = []  # replies of what was sent already (a cluster's scripts)

    def __len__(self) -> int:
        return len(self._done) + len(self.pipe)

    def __bool__(self) -> bool:  # an empty batch is still a batch (``batch or ...``)
        return True

    def script(
        self, script: Any, keys: Sequence[Any], args: Sequence[Any], *, whole: bool = False
    ) -> int:
        """Stage ``script`` with ``keys`` and ``args``; return the index of its reply.
        ``whole``: sent as its text (``EVAL``), which a server cannot have forgotten, so it runs
        before whatever is staged after it even on a server that lost its scripts."""
        index = len(self)
        if self._alone:
            self._done += self._send()
            self._done.append(script(keys=list(keys), args=list(args)))
        elif whole:
            self.pipe.eval(script.script, len(keys), *keys, *args)
        else:
            self.pipe.evalsha(script.sha, len(keys), *keys, *args)
            self._scripts[len(self.pipe) - 1] = (script, list(keys), list(args))
        return index

    def execute(self, *, atomic: bool = True) -> list[Any]:
        """Send what is staged (nothing: no round trip); the replies, in staging order.
        ``atomic=False``: a plain pipeline this once, even if the batch's is a transaction (a
        trip of reads, which ``MULTI``/``EXEC`` would only make dearer)."""
        replies, self._done = self._done + self._send(atomic), []
        return replies

    def _send(self, atomic: bool = True) -> list[Any]:
        scripts, self._scripts = self._scripts, {}
        if not len(self.pipe):
            return []
        transaction = self.pipe.transaction
        self.pipe.transaction = transaction and atomic
        try:
            replies: list[Any] = self.pipe.execute(raise_on_error=False)
        finally:
            self.pipe.transaction = transaction
        for i, reply in enumerate(replies):
            if isinstance(reply, NoScriptError) and i in scripts:
                script, keys, args = scripts[i]
                replies[i] = script(keys=keys, args=args)
            elif isinstance(reply, Exception):
                raise reply
        return replies
