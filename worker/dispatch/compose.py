"""Composing an allowed step's message: render its template, then check what it must say.

The gate says what the message must carry (``content_requirements``); the renderer only
renders. A template that fails to render, or renders longer than its channel carries
(``worker.rendering.limits``), is refused as ``template_error``; a message that lacks
required content as ``template_noncompliant``, citing the rule of its first problem.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from worker.accounts.plans import instalment_number
from worker.dispatch.attempt import Attempt
from worker.errors import TemplateError
from worker.gate.content import check_content, content_requirements
from worker.rendering.context import build_context
from worker.rendering.limits import channel_problems
from worker.rendering.plan_context import plan_context
from worker.rendering.renderer import Rendered

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Composed:
    """The message to send, and whether it carries the initial disclosure (F16)."""

    rendered: Rendered
    initial_disclosure: bool


@dataclass(frozen=True)
class Refused:
    """Why the message may not go out: the suppression's reason and rule."""

    reason: str
    rule: str


def compose(a: Attempt) -> Composed | Refused:
    """The message for ``a``'s step on its decided channel, or why it is refused."""
    judgement = a.decision.judgement
    assert judgement is not None  # an allowed step was judged
    account = a.state.account
    locale = account.locale or a.schedule.locale
    need = content_requirements(
        judgement, channel=a.channel, state=a.state, schedule=a.schedule, locale=locale
    )
    try:
        context = build_context(
            account,
            day=a.step.day,
            tier=a.step.tier,
            channel=a.channel,
            locale=locale,
            disclosure=need.disclosure,
            licence_number=need.licence_number,
            caller=a.schedule.caller,
        )
        number = instalment_number(a.step)
        context.update(plan_context(a.state, locale, a.now, number))
        rendered = a.app.renderer.render(a.step.template, a.channel, locale, context)
        too_long = channel_problems(rendered, sms_max_segments=a.schedule.sms_max_segments)
        if too_long:
            raise TemplateError("; ".join(too_long))
    except TemplateError as e:
        return _refused(a, "template_error", f"content/template_error@{a.schedule.version}", e)
    if rendered.voicemail is not None and not rendered.voicemail.strip():
        # A voicemail part that renders empty (its caller is not configured) leaves no message.
        rendered = replace(rendered, voicemail=None)
    problems = check_content(rendered, checks=need.checks, context=context)
    if problems:
        why = "; ".join(p.message for p in problems)
        return _refused(a, "template_noncompliant", need.rule_of(problems[0]), why)
    return Composed(rendered, need.initial)


def _refused(a: Attempt, reason: str, rule: str, why: object) -> Refused:
    log.error("template %s for %s refused: %s", a.step.template, a.channel, why)
    return Refused(reason, rule)
