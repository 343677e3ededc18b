"""Where an account stands in another version of its schedule: the *equivalent position*.

``remind schedules migrate NAME --to VERSION`` moves accounts pinned to one version of a schedule
to another. The account's position in the old version is its pending step (``cursor``); every
step before it was done: sent, or passed over because its day went by. In the new version the
account goes on from the first step that

1. falls on the account's *position day* or later: today's day past due, or the pending step's
   day if that is earlier (a step deferred past its day stays due). Never back: a step the new
   version has on an earlier day is not replayed, as after a late enrolment; and
2. is not a step already done, judged by what the person received: a new step with the same
   (tier, day, channel) as one done in the old version is passed over, whatever its key or
   template.

So a step the new version keeps unchanged stays pending, one it moves to a day not yet reached
comes in its new place, and one it adds between today and the old pending step is sent. Ties on
a day keep the new version's order (send time, then declaration). When no step is left, the
cadence ends (an active account completes). Pure: no clock, no Redis.
"""

from __future__ import annotations

from worker.cadence.schedule import Occurrence, Schedule

#: What a person received: a step's tier, day past due and channel.
Identity = tuple[str, int, str]


def identity(step: Occurrence) -> Identity:
    """The (tier, day, channel) of ``step``."""
    return (step.tier, step.day, step.channel)


def equivalent_step(old: Schedule, cursor: int, new: Schedule, today: int) -> Occurrence | None:
    """The step of ``new`` at the position of ``old``'s pending occurrence ``cursor`` for an
    account ``today`` days past due (see the module docstring); None when none is left."""
    start = min(old.occurrences[cursor].day, today)
    done = {identity(o) for o in old.occurrences[:cursor]}
    for step in new.occurrences:
        if step.day >= start and identity(step) not in done:
            return step
    return None
