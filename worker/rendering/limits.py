"""What one render may cost: a wall-clock budget and an output size, enforced while it runs.

A template is code a customer writes, run in the worker thread that dispatches steps. Jinja's
sandbox stops it reaching Python, not from looping for hours or building a gigabyte string:
``{{ 'x' * 200000000 }}`` or two nested ``range(100000)`` loops would hold the thread. So:

- ``*`` and ``**`` (and ``%`` with a huge field width) are checked before Python runs them;
- every ``{% for %}`` iterable is wrapped in a guard that checks the clock at each item, which
  catches loops that print nothing;
- the output is taken chunk by chunk from ``generate()``, counting characters and checking the
  clock between chunks.

The clock is a monotonic-time function passed in, so a test measures the budget without sleeping.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from worker.rendering.sms import segment_info

if TYPE_CHECKING:
    from worker.rendering.renderer import Rendered

#: Seconds one template file may take to render, and characters it may produce.
DEFAULT_SECONDS = 1.0
DEFAULT_MAX_CHARS = 200_000
# The global every {% for %} iterable is passed through; a name no template would choose.
_GUARD = "__remind_loop_guard__"
# "%1000000000s" % x: a field width or precision that alone exceeds the output limit.
_WIDTH = re.compile(r"%[-#0 +]*(\d+)?(?:\.(\d+))?")
_BRACE_WIDTH = re.compile(r"\{[^{}]*:[^{}\d]*(\d+)")
# Filters and str methods whose width argument alone decides how long the result is.
_WIDE_FILTERS = ("center", "indent", "truncate", "wordwrap", "format")
_WIDE_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


class RenderLimitExceeded(RuntimeError):
    """A render ran out of time or output; the renderer reports it as a ``TemplateError``."""


@dataclass(frozen=True)
class RenderLimits:
    """The budget of one template file's render."""

    seconds: float = DEFAULT_SECONDS
    max_chars: int = DEFAULT_MAX_CHARS
    monotonic: Callable[[], float] = time.monotonic


class _Budget:
    """The deadline of the render running in this thread."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.deadline = limits.monotonic() + limits.seconds

    def check_time(self) -> None:
        if self.limits.monotonic() > self.deadline:
            raise RenderLimitExceeded(
                f"render took longer than {self.limits.seconds:g} s (loops too large?)"
            )


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with loops, operators and output held to ``RenderLimits``."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, limits: RenderLimits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self._local = threading.local()  # one worker may render in several threads
        self.globals[_GUARD] = self._guard
        # center(900000000), indent, truncate, wordwrap...: a width alone can exhaust memory.
        for name in _WIDE_FILTERS:
            self.filters[name] = self._sized(name, self.filters[name])

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Wrap every loop's iterable: `{% for x in y %}` runs as `{% for x in guard(y) %}`.
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.Name(_GUARD, "load", lineno=loop.lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return tree

    def _budget(self) -> _Budget | None:
        budget: _Budget | None = getattr(self._local, "budget", None)
        return budget

    def _guard(self, iterable: Iterable[Any]) -> Iterator[Any]:
        budget = self._budget()
        for item in iterable:
            if budget is not None:
                budget.check_time()
            yield item

    def _too_big(self, args: Iterable[Any]) -> None:
        limit = self.limits.max_chars
        for arg in args:
            if isinstance(arg, int) and not isinstance(arg, bool) and arg > limit:
                raise RenderLimitExceeded(f"a width of {arg}, over {limit} characters")

    def _wide_format(self, text: Any) -> None:
        if not isinstance(text, str):
            return
        limit = self.limits.max_chars
        widths = [*_WIDTH.findall(text), *((w, "") for w in _BRACE_WIDTH.findall(text))]
        if any(int(w or 0) > limit or int(p or 0) > limit for w, p in widths):
            raise RenderLimitExceeded(f"a format width over {limit} characters")

    def _sized(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)  # keeps jinja's pass_context/pass_environment marks
        def sized(*args: Any, **kwargs: Any) -> Any:
            if name == "format":
                self._wide_format(args[0] if args else None)
            else:
                self._too_big([*args, *kwargs.values()])
            return fn(*args, **kwargs)

        return sized

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Refuse ``'x'.ljust(900000000)`` and the like before it runs."""
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str) and getattr(obj, "__name__", "") in _WIDE_METHODS:
            self._too_big([*args, *kwargs.values()])
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Refuse ``'{:>900000000}'.format(x)`` when the method is looked up."""
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            self._wide_format(owner)
        return super().wrap_str_format(value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse ``*``, ``**`` and ``%`` whose result would exceed the output limit."""
        limit = self.limits.max_chars
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(n, int)
                if sized and len(seq) * n > limit:
                    raise RenderLimitExceeded(f"a repetition longer than {limit} characters")
        elif operator == "**" and isinstance(right, int) and isinstance(left, int):
            # The result has about right * log2(left) bits; 4 bits a digit is a safe bound.
            if abs(left) > 1 and right * abs(left).bit_length() > limit * 4:
                raise RenderLimitExceeded(f"a power with more than {limit} digits")
        elif operator == "%" and isinstance(left, str):
            for width, precision in _WIDTH.findall(left):
                if int(width or 0) > limit or int(precision or 0) > limit:
                    raise RenderLimitExceeded(f"a format width over {limit} characters")
        return super().call_binop(context, operator, left, right)

    def render_limited(self, name: str, context: dict[str, Any]) -> str:
        """Render template ``name``, raising ``RenderLimitExceeded`` past the budget."""
        template = self.get_template(name)
        budget = _Budget(self.limits)
        self._local.budget = budget
        try:
            chunks: list[str] = []
            size = 0
            for chunk in template.generate(context):
                size += len(chunk)
                if size > self.limits.max_chars:
                    raise RenderLimitExceeded(
                        f"output longer than {self.limits.max_chars} characters"
                    )
                budget.check_time()
                chunks.append(chunk)
            return "".join(chunks)
        finally:
            self._local.budget = None


#: Twilio accepts a message body of at most 1,600 characters, and TwiML of at most 4,000.
TWILIO_BODY_MAX = 1600
TWIML_MAX = 4000
#: Room kept in the TwiML for the menu, the <Say> tags and escaping.
TWIML_MARKUP = 1000
#: An email's text and HTML parts together; far above any reminder, far below a mail limit.
EMAIL_MAX_CHARS = 100_000
#: A schedule's default ``sms_max_segments``: three parts cost three messages.
DEFAULT_SMS_MAX_SEGMENTS = 3


def channel_problems(rendered: Rendered, *, sms_max_segments: int) -> list[str]:
    """What makes ``rendered`` too long for its channel, as sentences (empty: it fits).

    A message over these limits is refused before it is sent (``template_error``): the
    provider would refuse it anyway (Twilio error 21617 for a body over 1,600 characters,
    11750 for TwiML over 4,000), or it would cost more segments than the schedule allows.
    """
    problems: list[str] = []
    if rendered.channel == "sms":
        info = segment_info(rendered.text)
        if info.segments > sms_max_segments:
            problems.append(
                f"SMS of {info.units} {info.encoding} units takes {info.segments} segments, "
                f"over the schedule's sms_max_segments of {sms_max_segments}"
            )
        if len(rendered.text) > TWILIO_BODY_MAX:
            problems.append(
                f"SMS of {len(rendered.text)} characters, over Twilio's {TWILIO_BODY_MAX}"
            )
    elif rendered.channel == "email":
        size = len(rendered.text) + len(rendered.html or "") + len(rendered.subject or "")
        if size > EMAIL_MAX_CHARS:
            problems.append(f"email of {size} characters, over {EMAIL_MAX_CHARS}")
    elif rendered.channel == "voice":
        # Script and voicemail go in one TwiML document, with the menu and the markup around
        # them (worker.channels.twiml); keep room for those.
        spoken = len(rendered.text) + len(rendered.voicemail or "")
        if spoken > TWIML_MAX - TWIML_MARKUP:
            problems.append(
                f"voice script and voicemail of {spoken} characters, over the "
                f"{TWIML_MAX - TWIML_MARKUP} that fit in Twilio's {TWIML_MAX}-character TwiML"
            )
    return problems
