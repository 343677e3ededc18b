"""The application context: one object that wires settings, Redis, the clock and the parts.

Actors, the scheduler, the simulator and the CLI all build one ``App`` and call the plain
functions of ``worker.intake`` and ``worker.dispatch`` with it; tests do the same without a broker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import redis

from worker.accounts.places import Place
from worker.accounts.state import AccountState
from worker.cadence.arms import challenger_from_file
from worker.cadence.challenger import CHAMPION, arm_of, challenger_error
from worker.cadence.pinning import check_pinned, pin_conflicts
from worker.cadence.schedule import Schedule, find_schedule, parse_schedule
from worker.channels.base import Channel
from worker.channels.live import live_channels
from worker.channels.outbox import OutboxChannel
from worker.channels.visit import Enqueue
from worker.clock import Clock
from worker.config import Settings
from worker.contracts.account import Account
from worker.contracts.vocab import CHANNELS
from worker.errors import ConfigError, StateError
from worker.gate.calls import CallResults
from worker.gate.caps import Caps
from worker.gate.counters import CapKeyMemory
from worker.gate.packs.select import rules_for
from worker.gate.rules import Rule
from worker.rendering.renderer import Renderer
from worker.storage import keys, phones, replication
from worker.storage.connection import decodes_responses, is_cluster
from worker.storage.leases import Leases
from worker.storage.results import Results, Sink
from worker.storage.scripts import Batch
from worker.storage.store import Store
from worker.storage.timeline import Timeline


class App:
    """Everything a decision needs, built once per process."""

    def __init__(
        self,
        settings: Settings,
        client: redis.Redis,
        clock: Clock,
        *,
        channels: Mapping[str, Channel] | None = None,
        sinks: list[Sink] | None = None,
        simulated_calls: CallResults = "unknown",
    ):
        if not decodes_responses(client):
            # every reader below compares replies with str; bytes would silently never match
            raise ConfigError(
                "App needs a Redis client that decodes replies (worker.storage.connection.client)"
            )
        self.settings = settings
        #: the result every placed call is given when sent: "unknown" (live, and the simulator's
        #: default) counts it under every call cap until a call_result event says how it went;
        #: the simulator's "what if" runs give every call one result instead
        self.simulated_calls: CallResults = simulated_calls
        self.client = client
        self.clock = clock
        self.store = Store(client)
        self.timeline = Timeline(client)
        self.leases = Leases(client, heartbeat_timeout=settings.worker_heartbeat_seconds)
        self.caps = Caps(client)
        #: the cap logs each dispatch asked for, read with the next one's lock (a guess)
        self.cap_keys = CapKeyMemory()
        self.renderer = Renderer(settings.templates_dir)
        self.results = Results(
            client,
            sinks=sinks,
            audit_retention_days=settings.audit_retention_days,
            audit_redis_days=settings.audit_redis_days,
            retention_seconds=settings.results_retention_days * 86400,
        )
        self.channels: dict[str, Channel] = dict(
            channels or default_channels(settings, clock, client)
        )
        self._pinned: dict[str, Schedule] = {}
        self._current: dict[tuple[str, float], Schedule] = {}
        self._lock = threading.Lock()

    def current_schedule(self, name: str) -> Schedule:
        """The schedule ``name`` as its file stands now (re-read when the file changes).

        A file whose version is pinned with other content raises ``PinConflict``: its edit
        would never run (worker.cadence.pinning).
        """
        path = Path(self.settings.schedules_dir) / f"{name}.yaml"
        mtime = path.stat().st_mtime if path.exists() else 0.0
        with self._lock:
            cached = self._current.get((name, mtime))
        if cached is None:
            cached = find_schedule(name, Path(self.settings.schedules_dir))
            check_pinned(cached, self.store.pinned_schedule(cached.ref), file=str(path))
            with self._lock:
                self._current[(name, mtime)] = cached
        return cached

    def pinned_schedule(self, ref: str) -> Schedule:
        """The exact schedule version an account enrolled under."""
        with self._lock:
            cached = self._pinned.get(ref)
        if cached is not None:
            return cached
        source = self.store.pinned_schedule(ref)
        if source is None:
            raise StateError(f"schedule {ref} is not pinned in this Redis")
        schedule = parse_schedule(source, file=f"pinned {ref}")
        with self._lock:
            self._pinned[ref] = schedule
        return schedule

    def arm_schedule(self, champion: Schedule, person_id: str) -> Schedule:
        """The version a new enrolment of ``person_id`` runs: ``champion``, or its challenger
        for the person's share (worker.cadence.challenger), from its file or pinned copy."""
        block = champion.challenger
        if block is None or arm_of(champion.name, block, person_id) == CHAMPION:
            return champion
        folder = Path(self.settings.schedules_dir)
        if block.file is not None:
            path = folder / block.file
            key = (f"{champion.ref}>{block.file}", path.stat().st_mtime if path.exists() else 0.0)
            with self._lock:
                cached = self._current.get(key)
            if cached is None:
                cached = challenger_from_file(champion, folder)
                assert cached is not None
                check_pinned(cached, self.store.pinned_schedule(cached.ref), file=str(path))
                with self._lock:
                    self._current[key] = cached
            return cached
        ref = f"{champion.name}@{block.version}"
        if self.store.pinned_schedule(ref) is None:
            raise challenger_error(
                block, f"version {block.version!r} is not pinned in this Redis and no file names it"
            )
        return self.pinned_schedule(ref)

    def commit(self, state: AccountState, now: datetime, batch: Batch | None = None) -> None:
        """Save ``state`` and put its pending step on the timeline (or take it off), together.

        On one server this is a transaction. On a Redis Cluster the keys sit on three slots (the
        person's, the account index's, the timeline shard's), which no transaction spans: the
        pipeline applies each in order per node. A crash between them leaves the work that made
        the change unfinished: an event or enrolment is not acknowledged and is delivered again,
        a dispatch's entry comes back when its claim's lease ends, and the redo rewrites all
        three (a step already sent is not sent again: its dispatch id is claimed).

        ``batch`` (a dispatch's, from ``writes``): the writes are added to it, sent with its
        next round trip, instead of now.
        """
        state.updated_at = now
        target = self.writes() if batch is None else batch
        # a dispatch (``batch``) found the account through its index, under the lock: the
        # index and the person's set of accounts stand, only the state is written
        self.store.save(state, target.pipe, indexed=batch is not None)
        if state.due_at is not None:  # a collection step, a plan step or a queued plan message
            self.timeline.place(state.account_id, state.due_at, target.pipe)
        else:
            self.timeline.remove(state.account_id, target.pipe)
        if batch is None:
            target.execute()

    def writes(self) -> Batch:
        """An empty batch of commands for one round trip: a transaction on one server, a plain
        pipeline (applied in order per node) on a cluster, as ``commit`` explains."""
        return Batch(self.client.pipeline(transaction=not is_cluster(self.client)))

    def confirm_replicated(self, *states: AccountState) -> None:
        """Return once the nodes holding ``states`` (state, index, timeline shard, phone index)
        have passed their writes to ``REMIND_REDIS_MIN_REPLICAS`` replicas; ``ReplicationError``
        if not. Intake calls it before it acknowledges (``worker.storage.replication``)."""
        wanted = self.settings.redis_replication
        written = [
            key
            for s in states
            for key in (
                keys.account_state(s.person_id, s.account_id),
                keys.account_index(s.account_id),
                keys.timeline(keys.shard_of(s.account_id)),
                *(keys.phone_accounts(n) for n in phones.listed(s)),
            )
        ]
        replication.confirm(self.client, written, wanted.min_replicas, wanted.wait_ms)

    def confirm_claim(self, person_id: str, dispatch_id: str) -> None:
        """Return once the at-most-once claim of ``dispatch_id`` is on
        ``REMIND_REDIS_MIN_REPLICAS`` replicas; ``ReplicationError`` if not (nothing is sent)."""
        wanted = self.settings.redis_replication
        claim = [keys.idempotency(person_id, dispatch_id)]
        replication.confirm(self.client, claim, wanted.min_replicas, wanted.wait_ms)

    def rules(
        self, schedule: Schedule, account: Account, stated: Sequence[Place] = ()
    ) -> list[Rule]:
        """Every rule of the packs that apply to ``account`` under ``schedule``, house last;
        ``stated``: places the person said they are in, whose packs apply too."""
        return rules_for(schedule, account, stated)

    def read_logs(
        self, cap_keys: Sequence[str], batch: Batch | None = None
    ) -> dict[str, list[float]]:
        """The send instants each cap log holds, ascending (one round trip for all); with
        ``batch``, that round trip also carries what the batch holds."""
        target = Batch(self.client.pipeline(transaction=False)) if batch is None else batch
        first = len(target)
        for key in cap_keys:
            target.pipe.zrange(key, 0, -1, withscores=True)
        return {
            key: [float(score) for _, score in entries]
            for key, entries in zip(cap_keys, target.execute(atomic=False)[first:], strict=True)
        }


def check_before_start(settings: Settings, client: redis.Redis) -> None:
    """Refuse to start a process on ``client`` (the state database) when a schedule file changed
    under a version accounts are pinned to (``PinConflict``, naming every such file), or when the
    database is marked as ``remind simulate``'s, which empties it (``ConfigError``)."""
    if client.exists(keys.SIMULATION_MARKER):
        raise ConfigError(
            "REDIS_URL's database is marked as remind simulate's database (key "
            f"{keys.SIMULATION_MARKER}), which every simulation empties: point REDIS_URL at "
            "another database, or delete that key if this database is really remind's state"
        )
    conflicts = pin_conflicts(Path(settings.schedules_dir), Store(client).pinned_schedule)
    if conflicts:
        raise conflicts[0].with_others(conflicts[1:])


def default_channels(
    settings: Settings,
    clock: Clock,
    client: redis.Redis | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    enqueue: Enqueue | None = None,
) -> dict[str, Channel]:
    """The outbox for every channel, except those ``REMIND_CHANNELS`` sends live.

    Live channels pace and pause through ``client`` (the state Redis), wait with ``sleep`` and
    put visit tasks on the queue with ``enqueue`` (by default dramatiq's broker).
    """
    outbox = OutboxChannel(settings.outbox_dir, clock)
    channels: dict[str, Channel] = dict.fromkeys(CHANNELS, outbox)
    if settings.live_channels:
        if client is None:
            raise ConfigError("live channels need the state Redis (pacing is shared there)")
        channels.update(live_channels(settings, clock, client, sleep=sleep, enqueue=enqueue))
    return channels
