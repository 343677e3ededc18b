"""One attempt at an account's pending step, and the gate's decision on it.

An ``Attempt`` carries what every outcome of the step needs (the app, the account's state, its
pinned schedule, the step, the instant, the person's zone and the gate's decision), so the
modules that act on the decision pass one object instead of seven values.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass, field
from datetime import datetime

from worker.accounts.outcomes import make_outcome
from worker.accounts.places import stated_places
from worker.accounts.plans import claim_key
from worker.accounts.state import AccountState
from worker.app import App
from worker.cadence.schedule import Occurrence, Schedule
from worker.contracts.outcome import Outcome, OutcomeKind
from worker.gate.decide import Decision, Setting, evaluate
from worker.gate.types import LogReader
from worker.storage.keys import dispatch_id, idempotency
from worker.storage.scripts import Batch


@dataclass
class Attempt:
    """Attempt number ``state.attempt`` at ``step``, decided at ``now``."""

    app: App
    state: AccountState
    schedule: Schedule
    step: Occurrence
    now: datetime
    zone: str  # the person's primary zone: each outcome's local time is shown in it
    decision: Decision
    #: the worker working the message (its id goes into the claim), None outside a worker
    holder: str | None = None
    #: the dispatch's writes, sent together with its next round trip (None: each at once)
    writes: Batch | None = None
    #: stages the worker's lease on the entry in a batch (a worker's dispatch; once is enough):
    #: it rides the claim's round trip, before the claim
    lease: Callable[[Batch], None] | None = None
    #: the id of this attempt's send (idempotency key, cap log member), fixed when it begins:
    #: a transient failure counts the next attempt on the state but releases this one's caps
    dispatch_id: str = field(init=False)

    def __post_init__(self) -> None:
        key = claim_key(self.state, self.step)  # a plan step's carries the plan's number
        self.dispatch_id = dispatch_id(
            self.state.account_id, key, self.state.attempt, self.state.cycle
        )

    @property
    def channel(self) -> str:
        """The channel decided on, fallback applied."""
        return self.decision.channel

    def record(
        self,
        outcome: OutcomeKind,
        *,
        step: Occurrence | None = None,
        channel: str | None = None,
        reason: str | None = None,
        rule: str | None = None,
        next_attempt_at: datetime | None = None,
        provider: str | None = None,
        provider_id: str | None = None,
        locale: str | None = None,
    ) -> Outcome:
        """An outcome of this attempt (of ``step`` when it is another step, a missed one)."""
        return make_outcome(
            now=self.now,
            state=self.state,
            step=step or self.step,
            zone=self.zone,
            outcome=outcome,
            channel=channel,
            reason=reason,
            rule=rule,
            next_attempt_at=next_attempt_at,
            provider=provider,
            provider_id=provider_id,
            locale=locale,
        )

    def commit(self) -> None:
        """Save the state and place (or take off) its pending step on the timeline."""
        self.app.commit(self.state, self.now, self.writes)

    def finish_claim(self, value: str) -> None:
        """Store what became of the send on its at-most-once claim (``Caps.finish``), with the
        dispatch's next round trip when it has a batch of writes (the claim is held either
        way: until then it says ``claimed``, which is never sent again)."""
        if self.writes is None:
            self.app.caps.finish(
                person_id=self.state.person_id, dispatch_id=self.dispatch_id, value=value
            )
        else:
            key = idempotency(self.state.person_id, self.dispatch_id)
            self.writes.pipe.set(key, value, ex=self.app.caps.ttl)

    def flush(self) -> None:
        """Send the staged writes now (before a claim: what was decided before it is saved
        first, as when each write went at once)."""
        if self.writes is not None:
            self.writes.execute()

    def claim_batch(self) -> Batch | None:
        """The batch the at-most-once claim is sent in: the worker's lease first (None: no
        lease to take, the claim goes alone)."""
        if self.lease is None:
            return None
        batch = Batch(self.app.client.pipeline(transaction=False))
        self.lease(batch)
        return batch

    def judged_at(self, at: datetime) -> Decision:
        """The gate's decision on the same step at another instant (no reservation)."""
        return evaluate_step(self.app, self.state, self.schedule, self.step, at)


def setting_of(schedule: Schedule) -> Setting:
    """What the schedule tells the gate: its version, collector type and U-rule mode."""
    return Setting(
        schedule.version, schedule.collector, schedule.enforce_unverified, schedule.country
    )


def evaluate_step(
    app: App,
    state: AccountState,
    schedule: Schedule,
    step: Occurrence,
    at: datetime,
    *,
    consent: tuple[Set[str], Set[str]] | None = None,
    read_logs: LogReader | None = None,
) -> Decision:
    """The gate's decision on ``step`` at ``at`` (no reservation): also what explain shows.

    ``consent``: the person's (opted out, opted in) sets, when read already (under the lock);
    ``read_logs``: how to read the cap logs, by default ``App.read_logs``."""
    opted_out, opted_in = consent or app.store.consent_sets(state.person_id)
    return evaluate(
        state,
        step,
        app.rules(schedule, state.account, stated_places(state, at)),
        at,
        opted_out=opted_out,
        opted_in=opted_in,
        read_logs=read_logs or app.read_logs,
        setting=setting_of(schedule),
    )
