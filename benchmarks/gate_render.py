"""The gate's decision time and the rendering CPU of one dispatch, for an A/B of two trees.

Run: ``.venv/bin/python -m benchmarks.gate_render [--n N] [--rounds R]`` prints one JSON line per
round: the gate's p50/p99 for the account every US pack applies to, allowed and deferred (the
``gate_*`` figures of ``make bench``, measured the same way); ``gate_cold_*``, accounts in the
same places with numbers of their own, decided once each (nothing of the person cached); and
``render_*``: what composing that account's allowed SMS costs once the gate has allowed it
(what ``worker.dispatch.compose`` does: the content requirements, the context, the render, the
channel limits and the content checks), without Redis.

To compare with another commit in the same run, check it out elsewhere (``git archive REV |
tar -x -C /tmp/base``) and alternate: ``PYTHONPATH=/tmp/base .venv/bin/python -m
benchmarks.gate_render`` then the same without ``PYTHONPATH``; the JSON says which tree ran.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import worker
from benchmarks.fixtures import NOW, Bench, every_pack_account, private_redis
from benchmarks.inprocess import ALLOWED_AT, _timed, gate_case
from worker.accounts import places, zones
from worker.accounts.places import stated_places
from worker.accounts.plans import instalment_number
from worker.accounts.state import AccountState
from worker.dispatch.attempt import setting_of
from worker.gate.content import check_content, content_requirements
from worker.gate.decide import evaluate
from worker.intake import enroll_raw
from worker.rendering.context import build_context
from worker.rendering.limits import channel_problems
from worker.rendering.plan_context import plan_context


def measure(n: int) -> dict[str, Any]:
    """Gate p50/p99 allowed and deferred, and render p50/p99, over ``n`` repetitions each."""
    report: dict[str, Any] = {"tree": worker.__file__.rsplit("/worker/", 1)[0], "n": n}
    with private_redis() as bench:
        case = gate_case(bench)
        for name, at in (("gate", ALLOWED_AT), ("gate_defer", NOW)):
            report[f"{name}_action"] = case.decide(at).action
            report.update(_timed(name, lambda at=at: case.decide(at), n))
        app, state = case.app, case.state
        schedule = app.pinned_schedule(state.schedule_ref)
        assert state.cursor is not None
        step = schedule.occurrences[state.cursor]
        decision = case.decide(ALLOWED_AT)
        judgement = decision.judgement
        assert judgement is not None
        locale = state.account.locale or schedule.locale

        def compose() -> int:
            need = content_requirements(
                judgement, channel=decision.channel, state=state, schedule=schedule, locale=locale
            )
            context = build_context(
                state.account,
                day=step.day,
                tier=step.tier,
                channel=decision.channel,
                locale=locale,
                disclosure=need.disclosure,
                licence_number=need.licence_number,
                caller=schedule.caller,
            )
            context.update(plan_context(state, locale, ALLOWED_AT, instalment_number(step)))
            rendered = app.renderer.render(step.template, decision.channel, locale, context)
            problems = channel_problems(rendered, sms_max_segments=schedule.sms_max_segments)
            return len(problems) + len(check_content(rendered, checks=need.checks, context=context))

        report.update(_cold(bench, min(n, COLD_ACCOUNTS)))
        report["render_channel"] = decision.channel
        report["render_problems"] = compose()  # 0: the message would be sent
        report.update(_timed("render", compose, n))
        app.client.close()
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in report.items()}


#: Accounts decided once each for the cold figure (each enrolment costs a few Redis writes).
COLD_ACCOUNTS = 1000


def _cold(bench: Bench, n: int) -> dict[str, float]:
    """p50/p99 of deciding ``n`` accounts once each: every US pack applies to each, but each has
    its own two numbers, so nothing of a person is cached (what a worker meets in production,
    where a decision is rarely for the person of the one before)."""
    app = bench.app()
    deciders = []
    for i in range(n):
        data = every_pack_account()
        data["account_id"] = f"bench-cold-{i}"
        data["person_id"] = f"bench-cold-{i}"
        for phone, prefix in zip(data["phones"], ("+1415", "+1206"), strict=True):
            phone["number"] = f"{prefix}{2000000 + i:07d}"
        state = enroll_raw(app, data, source="bench")
        assert isinstance(state, AccountState) and state.cursor is not None
        schedule = app.pinned_schedule(state.schedule_ref)
        deciders.append((state, schedule, schedule.occurrences[state.cursor]))
    # Enrolment read the numbers already (intake places the person): forget what was kept of
    # them, as a worker that did not enrol the person has nothing of it.
    for module in (zones, places):
        for kept in vars(module).values():
            if callable(getattr(kept, "cache_clear", None)):
                kept.cache_clear()
    samples = []
    for state, schedule, step in deciders:
        t0 = time.perf_counter_ns()
        rules = app.rules(schedule, state.account, stated_places(state, ALLOWED_AT))
        evaluate(
            state,
            step,
            rules,
            ALLOWED_AT,
            opted_out=frozenset(),
            opted_in=frozenset(),
            read_logs=lambda keys: {k: [] for k in keys},
            setting=setting_of(schedule),
        )
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    app.client.close()
    return {
        "gate_cold_p50_us": samples[len(samples) // 2],
        "gate_cold_p99_us": samples[min(len(samples) - 1, int(0.99 * len(samples)))],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, print one JSON line per round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=5000, help="repetitions of each measure")
    parser.add_argument("--rounds", type=int, default=1, help="rounds, one JSON line each")
    args = parser.parse_args(argv)
    for _ in range(args.rounds):
        print(json.dumps(measure(args.n)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
