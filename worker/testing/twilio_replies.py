"""The emulator's answers: one scripted ``Reply`` per request, the helpers that build the
usual ones (``accepted``, ``error(21211)``, ``throttled``, ``hang``...), and ``Faults``, a seeded
share of failing answers for the fault suite (docs/reliability.md)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from worker.testing.twilio_callbacks import Fate


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, JSON body (None: the resource), headers; ``hang`` holds the
    answer that many seconds (past the client's timeout); ``drop`` closes without answering;
    ``fate`` says which callbacks follow a created resource (None: delivered, or a person
    answers and presses nothing)."""

    status: int = 201
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    drop: bool = False
    fate: Fate | None = None


def accepted(fate: Fate | None = None) -> Reply:
    """201 with the created message or call; ``fate`` scripts its callbacks."""
    return Reply(fate=fate)


def delivered() -> Reply:
    """A message created, then queued, sent and delivered."""
    return accepted(Fate("delivered"))


def undelivered(code: int = 30003, *, status: str = "undelivered") -> Reply:
    """A message created, then ``undelivered`` (or ``failed``) with Twilio error ``code``."""
    return accepted(Fate(status, error_code=code))


def answered(by: str = "human", digits: tuple[str, ...] = (), duration: int = 42) -> Reply:
    """A call created and answered by ``by`` (``human``, ``machine_end_beep``, ...), who presses
    ``digits``, one per gather in turn; it completes after ``duration`` seconds."""
    return accepted(Fate("completed", answered_by=by, digits=digits, duration=duration))


def busy() -> Reply:
    """A call created that finds the line busy: its status callback only."""
    return accepted(Fate("busy"))


def no_answer() -> Reply:
    """A call created that nobody answers: its status callback only."""
    return accepted(Fate("no-answer"))


def error(code: int, status: int = 400, message: str = "refused") -> Reply:
    """A Twilio error answer, e.g. ``error(21211)`` (invalid 'To' number)."""
    return Reply(status, {"code": code, "message": message, "status": status})


def throttled(retry_after: float = 1) -> Reply:
    """429 Too Many Requests (error 20429) with a Retry-After header."""
    body = {"code": 20429, "message": "Too Many Requests", "status": 429}
    return Reply(429, body, {"Retry-After": f"{retry_after:g}"})


def server_error(status: int = 500) -> Reply:
    """A 5xx answer without a Twilio error code."""
    return Reply(status, {"message": "Internal Server Error", "status": status})


def hang(seconds: float = 5.0) -> Reply:
    """Create the resource but answer only after ``seconds``: the client's read times out."""
    return Reply(hang=seconds)


def drop() -> Reply:
    """Read the request, then close the connection without an answer."""
    return Reply(drop=True)


@dataclass(frozen=True)
class Faults:
    """Requests answered with a fault at ``rate`` (0..1), one of ``kinds`` in equal shares: a
    ``429`` with a Retry-After of 1 to 3 seconds, a ``500``, or a create that ``hang``s past the
    client's timeout. Drawn from ``random.Random(seed)``, one draw per request in the order they
    arrive, so a run that sends one request at a time meets the same faults every time; a
    scripted reply still wins (its draw is spent all the same)."""

    rate: float = 0.3
    seed: int = 0
    kinds: tuple[str, ...] = ("429", "500", "hang")
    hang_seconds: float = 5.0

    def source(self) -> Callable[[], Reply | None]:
        """The fault of each next request, or None (answered as scripted, else accepted)."""
        draws = random.Random(self.seed)
        made = {
            "429": lambda wait: throttled(retry_after=wait),
            "500": lambda wait: server_error(500),
            "hang": lambda wait: hang(self.hang_seconds),
        }

        def next_fault() -> Reply | None:
            roll, kind, wait = draws.random(), draws.choice(self.kinds), draws.randint(1, 3)
            return made[kind](wait) if roll < self.rate else None

        return next_fault


def label(reply: Reply) -> str:
    """What a reply did, as the request log counts it: ``201``, ``429``, ``500``, ``hang``..."""
    if reply.drop:
        return "drop"
    if reply.hang:
        return "hang"
    return str(reply.status)
