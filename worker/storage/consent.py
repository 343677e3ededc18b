"""A person's consent sets in Redis: the opt-outs (and holds) and the opt-ins, by entry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import redis

from worker.storage import keys


class ConsentStore:
    """The consent part of ``worker.storage.store.Store``: the person's opt-out and opt-in sets."""

    client: redis.Redis

    def opted_out(self, person_id: str) -> set[str]:
        return cast("set[str]", self.client.smembers(keys.opt_outs(person_id)))

    def consent_sets(self, person_id: str) -> tuple[set[str], set[str]]:
        """(opted out, opted in) entries of the person, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.smembers(keys.opt_outs(person_id))
        pipe.smembers(keys.opt_ins(person_id))
        out, in_ = pipe.execute()
        return out, in_

    def set_opt_out(self, person_id: str, entry: str) -> None:
        # both keys carry the person's hash tag: one slot, so a transaction on a cluster too
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(keys.opt_outs(person_id), entry)
        pipe.srem(keys.opt_ins(person_id), entry)
        pipe.execute()

    def set_opt_in(self, person_id: str, entry: str) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.srem(keys.opt_outs(person_id), entry)
        pipe.sadd(keys.opt_ins(person_id), entry)
        pipe.execute()

    def add_opt_outs(self, person_id: str, entries: Iterable[str]) -> None:
        """Add ``entries`` to the opt-out set as they are (holds, whose meaning
        ``worker.gate.consent`` owns); ``set_opt_out`` is the one for opt-outs proper."""
        if entries := list(entries):
            self.client.sadd(keys.opt_outs(person_id), *entries)

    def remove_opt_outs(self, person_id: str, entries: Iterable[str]) -> None:
        """Take ``entries`` out of the opt-out set (a hold a person has reviewed)."""
        if entries := list(entries):
            self.client.srem(keys.opt_outs(person_id), *entries)

    def add_opt_ins(self, person_id: str, entries: Iterable[str]) -> None:
        """Add ``entries`` to the opt-in set as they are (the addresses a person wrote from)."""
        if entries := list(entries):
            self.client.sadd(keys.opt_ins(person_id), *entries)
