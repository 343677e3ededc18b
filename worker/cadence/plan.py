"""Read a schedule's ``plan:`` section: what a person on a repayment plan hears, and when.

::

    plan:
      grace_days: 5             # an instalment unpaid this many days after its date is missed
      on_broken: resume         # or "tier late": where collection goes on after a missed one
      confirmation: {channel: sms, template: plan_confirmation}   # when a plan is agreed
      thanks: {channel: sms, template: plan_thanks}               # when an instalment is paid
      settlement_offer: {channel: email, template: settlement_offer}  # when an offer is made
      steps:                    # around each instalment's due date, while it is unpaid
        - {before: 3, channel: sms, template: plan_reminder}
        - {on: 0, channel: email, template: plan_reminder, send_time: "09:30"}
        - {after: 2, channel: sms, template: plan_missed}

While a plan is active no collection step is sent, only these; each one still passes the gate.
A step is named after its instalment (``plan.2.before3``, ``plan.2.on0``, ``plan.2.after2``);
the messages sent on an event are ``plan.confirmation``, ``plan.<n>.thanks`` and
``plan.settlement_offer``. ``after`` steps come within the grace days: later, the plan is
broken and collection has taken over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from worker.cadence.policy import Policy
from worker.cadence.tiers import TEMPLATE_NAME
from worker.cadence.yamlnodes import Node
from worker.contracts.vocab import CHANNELS

StepWhen = Literal["before", "on", "after"]
_WHEN: tuple[StepWhen, ...] = ("before", "on", "after")
_STEP_KEYS = ("before", "on", "after", "channel", "template", "send_time", "fallback")
_MESSAGE_KEYS = ("channel", "template", "send_time", "fallback")
_SECTION_KEYS = ("grace_days", "on_broken", "confirmation", "thanks", "settlement_offer")
#: The longest grace a schedule may give (a missed instalment is told within a month).
MAX_GRACE_DAYS = 30


@dataclass(frozen=True)
class PlanMessage:
    """A plan message: a step around an instalment (``when`` and ``days``), or one sent on an
    event (``when`` None)."""

    channel: str
    template: str
    send_time: time
    fallback: str | None
    when: StepWhen | None = None
    days: int = 0

    @property
    def offset(self) -> int:
        """Days from the instalment's due date: -3 for ``before: 3``."""
        return -self.days if self.when == "before" else self.days

    @property
    def name(self) -> str:
        """``before3``, ``on0``, ``after2``: the last part of the step key."""
        return f"{self.when}{self.days}"


@dataclass(frozen=True)
class PlanSection:
    """A schedule's plan section (``Schedule.plan``)."""

    grace_days: int
    #: ``None``: resume the collection cadence where the account left it; else the tier to go to
    broken_tier: str | None
    steps: tuple[PlanMessage, ...]  # sorted by offset, then send time
    confirmation: PlanMessage | None = None
    thanks: PlanMessage | None = None
    settlement_offer: PlanMessage | None = None

    @property
    def on_broken(self) -> str:
        """``resume`` or ``tier NAME``, as written."""
        return "resume" if self.broken_tier is None else f"tier {self.broken_tier}"


def read_plan(
    node: Node | None, *, send_time: time, policy: Policy, tiers: tuple[str, ...]
) -> PlanSection | None:
    """The ``plan:`` section, or None when the schedule has none (plans then follow no steps
    but are still tracked; see ``worker.accounts.plans``)."""
    if node is None:
        return None
    fields = node.mapping(required=("steps",), optional=_SECTION_KEYS)
    grace = fields["grace_days"].integer(minimum=0) if "grace_days" in fields else 3
    if grace > MAX_GRACE_DAYS:
        raise fields["grace_days"].error(f"must be at most {MAX_GRACE_DAYS} days")
    broken_tier = _read_on_broken(fields.get("on_broken"), tiers)
    steps: list[PlanMessage] = []
    for step_node in fields["steps"].sequence(non_empty=True):
        step = _read_step(step_node, send_time, policy, grace)
        if any(s.name == step.name for s in steps):
            raise step_node.error(f"{step.when}: {step.days} is given twice; one step a day")
        steps.append(step)
    return PlanSection(
        grace_days=grace,
        broken_tier=broken_tier,
        steps=tuple(sorted(steps, key=lambda s: (s.offset, s.send_time))),
        confirmation=_message(fields.get("confirmation"), send_time, policy),
        thanks=_message(fields.get("thanks"), send_time, policy),
        settlement_offer=_message(fields.get("settlement_offer"), send_time, policy),
    )


def _read_on_broken(node: Node | None, tiers: tuple[str, ...]) -> str | None:
    if node is None:
        return None
    value = node.text()
    if value == "resume":
        return None
    word, _, tier = value.partition(" ")
    if word != "tier" or not tier.strip():
        raise node.error(f"must be 'resume' or 'tier NAME', not {value!r}")
    tier = tier.strip()
    if tier not in tiers:
        raise node.error(f"names tier {tier!r}, which is not a tier here ({', '.join(tiers)})")
    return tier


def _read_step(node: Node, default: time, policy: Policy, grace: int) -> PlanMessage:
    fields = node.mapping(required=("channel", "template"), optional=_STEP_KEYS)
    given = [w for w in _WHEN if w in fields]
    if len(given) != 1:
        raise node.error("a plan step has one of before:, on: or after: (days)")
    when = given[0]
    days = fields[when].integer(minimum=0)
    if when == "on" and days != 0:
        raise fields[when].error("must be 0: on: is the instalment's due date")
    if when == "after" and days > grace:
        raise fields[when].error(
            f"must be at most grace_days ({grace}): later, the plan is broken and"
            " collection has taken over"
        )
    message = _read_message(node, fields, default, policy)
    return PlanMessage(
        message.channel, message.template, message.send_time, message.fallback, when, days
    )


def _message(node: Node | None, default: time, policy: Policy) -> PlanMessage | None:
    if node is None:
        return None
    return _read_message(
        node, node.mapping(required=("channel", "template"), optional=_MESSAGE_KEYS), default,
        policy,
    )  # fmt: skip


def _read_message(
    node: Node, fields: dict[str, Node], default: time, policy: Policy
) -> PlanMessage:
    channel = fields["channel"].one_of(CHANNELS)
    fallback = fields["fallback"].one_of(CHANNELS) if "fallback" in fields else None
    if fallback == channel:
        raise fields["fallback"].error(f"must differ from the step's channel {channel}")
    at = fields["send_time"].clock_time() if "send_time" in fields else default
    window = policy.window_for(channel)
    if window is not None and not window.contains(at):
        where = fields.get("send_time", node)
        raise where.error(f"send time {at:%H:%M} is outside the {channel} hours {window}")
    template = fields["template"].matching(TEMPLATE_NAME, "a template name of a-z, 0-9 and _")
    return PlanMessage(channel, template, at, fallback)
