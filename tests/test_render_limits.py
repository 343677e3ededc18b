"""Render limits: a template that loops or grows without end fails fast as a template error."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.clock import SimulatedClock
from worker.contracts.validation import parse_account
from worker.errors import TemplateError
from worker.intake import enroll
from worker.rendering.limits import RenderLimits
from worker.rendering.renderer import Renderer

from .pipeline_helpers import ROOT, account, make_app, outbox, run_until


class TickingClock:
    """A monotonic clock that moves one millisecond each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += 0.001
        return self.now


def renderer(root: Path, sms: str, limits: RenderLimits | None = None) -> Renderer:
    (root / "t").mkdir(parents=True)
    (root / "t" / "sms.txt").write_text(sms, encoding="utf-8")
    return Renderer(root, limits)


NESTED = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def test_nested_loops_that_print_nothing_stop_at_the_time_limit(tmp_path: Path) -> None:
    clock = TickingClock()
    r = renderer(tmp_path, NESTED, RenderLimits(seconds=0.5, monotonic=clock))
    with pytest.raises(TemplateError, match=r"t/sms.txt:1: render took longer than 0.5 s"):
        r.render("t", "sms", "en", {})
    # The render cost at most the limit, plus the one tick that found it spent.
    assert clock.now <= 0.5 + 0.002
    assert clock.reads == 501  # one to set the deadline, 500 checks


def test_a_loop_that_prints_stops_at_the_time_limit_between_chunks(tmp_path: Path) -> None:
    clock = TickingClock()
    r = renderer(
        tmp_path, "{% for i in range(10) %}{{ i }}{% endfor %}", RenderLimits(0.005, 10**6, clock)
    )
    with pytest.raises(TemplateError, match=r"render took longer than 0\.005 s"):
        r.render("t", "sms", "en", {})
    assert clock.now <= 0.005 + 0.002


def test_nested_loops_on_the_real_clock_fail_well_within_a_second(tmp_path: Path) -> None:
    r = renderer(tmp_path, NESTED, RenderLimits(seconds=0.05))
    started = time.monotonic()
    with pytest.raises(TemplateError, match="render took longer"):
        r.render("t", "sms", "en", {})
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "expression",
    [
        "'x' * 200000000",
        "200000000 * 'x'",
        "[1] * 200000000",
        "10 ** 10000000",
        "'%900000000s' % 'x'",
        "'x' | center(900000000)",
        "'x' | indent(900000000, true)",
        "'%900000000s' | format('x')",
        "'x'.ljust(900000000)",
        "'{:>900000000}'.format('x')",
    ],
)
def test_an_operator_that_would_build_a_huge_value_is_refused(
    tmp_path: Path, expression: str
) -> None:
    r = renderer(tmp_path, "{{ " + expression + " }}")
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"t/sms\.txt:1: a (repetition|power|format|width)"):
        r.render("t", "sms", "en", {})
    assert time.monotonic() - started < 1.0


def test_output_over_the_size_limit_is_a_template_error(tmp_path: Path) -> None:
    loop = "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}"
    r = renderer(tmp_path, loop, RenderLimits(max_chars=50_000))
    with pytest.raises(TemplateError, match="output longer than 50000 characters"):
        r.render("t", "sms", "en", {})


def test_ordinary_loops_and_small_operators_still_render(tmp_path: Path) -> None:
    text = (
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ '-' * 3 }} {{ 2 ** 8 }} {{ '%5s' % 'a' }}"
        " {{ 'b' | center(3) }}|{{ '{:>2}'.format('c') }} {{ 12345678 | int }} {{ ref | upper }}"
    )
    assert renderer(tmp_path, text).render("t", "sms", "en", {"ref": "nw-1234567"}).text == (
        "012 --- 256     a  b | c 12345678 NW-1234567"
    )


def test_a_template_that_loops_forever_costs_a_dispatch_at_most_the_render_limit(
    redis_url: str,
    redis_client: object,
    tmp_path: Path,
    clock: SimulatedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through the whole pipeline: the step is suppressed as a template error, nothing is sent,
    and the render spent the limit (1 s on the injected monotonic clock), not 10^10 loops."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "friendly_nudge" / "sms.txt").write_text(NESTED + "\n{{ opt_out }}\n")
    app = make_app(redis_url, tmp_path, clock, templates_dir=templates)
    ticking = TickingClock()
    app.renderer = Renderer(templates, RenderLimits(seconds=1.0, monotonic=ticking))
    enroll(app, parse_account(account()))
    run_until(app, clock, datetime(2026, 3, 2, 16, tzinfo=UTC))
    first = app.recorded[0]
    assert (first["step"], first["outcome"], first["reason"]) == (
        "early.1",
        "suppressed",
        "template_error",
    )
    assert "friendly_nudge/sms.txt:1: render took longer than 1 s" in caplog.text
    assert outbox(app, "sms") == []
    assert 1.0 < ticking.now <= 1.0 + 0.002  # the limit, plus the one tick that found it spent
