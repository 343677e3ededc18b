"""``remind packs list|show``: the shipped compliance rule packs, for people who check them.

Counsel reviewing a deployment wants each rule with its numbers, its citation and how sure we
are of it (V, S, U), without reading YAML; this prints exactly that.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from worker.contracts.vocab import WEEKDAYS
from worker.gate.packs.files import builtin_packs, find_pack
from worker.gate.rules import AppliesWhen, Rule

packs_app = typer.Typer(help="List and show the compliance rule packs.", no_args_is_help=True)
console = Console(highlight=False)

_CERTAINTIES = ("V", "S", "U")


@packs_app.command("list")
def packs_list() -> None:
    """One row per shipped pack: name, version, who it applies to, rules by certainty."""
    table = Table("pack", "version", "applies to", *_CERTAINTIES, "title")
    for pack in builtin_packs().values():
        table.add_row(
            pack.name,
            pack.version,
            applies_to(pack.applies_when),
            *(str(sum(r.certainty == c for r in pack.rules)) for c in _CERTAINTIES),
            escape(pack.title),
        )
    console.print(table)


@packs_app.command("show")
def packs_show(
    name: Annotated[str, typer.Argument(help="The pack name, e.g. us-federal.")],
) -> None:
    """Every rule of one pack: kind, channels, numbers, certainty and citation."""
    pack = find_pack(name)
    console.print(f"[bold]{escape(pack.name)}[/] {escape(pack.version)}: {escape(pack.title)}")
    console.print(escape(pack.disclaimer))
    console.print(f"applies to: {applies_to(pack.applies_when)}")
    for rule in pack.rules:
        channels = ", ".join(sorted(rule.channels)) or "all channels"
        console.print()
        console.print(f"[bold]{escape(rule.id)}[/]  {rule.kind} · {channels} · {rule.action}")
        block = Table.grid(padding=(0, 2))
        block.add_column(style="dim", no_wrap=True)
        block.add_column()
        block.add_row("title", escape(rule.title))
        block.add_row("rule", escape(numbers(rule)))
        block.add_row("certainty", rule.certainty)
        block.add_row("citation", escape(rule.citation))
        if rule.warns_on:
            block.add_row("warns on", rule.warns_on.replace("_", " "))
        if rule.effective:
            block.add_row("effective", rule.effective.isoformat())
        console.print(Padding(block, (0, 0, 0, 2)))


def applies_to(when: AppliesWhen) -> str:
    """``US``, ``US-MA, US-WA``, ``CN (third_party)`` or ``everyone``."""
    where = when.country or "any country"
    if when.regions:
        where = ", ".join(f"{when.country}-{r}" for r in sorted(when.regions))
    if when.collectors:
        where += f" ({', '.join(sorted(when.collectors))})"
    return "everyone" if where == "any country" else where


def numbers(rule: Rule) -> str:
    """The figures of a rule in one line, e.g. ``at most 7 per 7d rolling, per debt, ...``."""
    if rule.kind == "cap":
        span = (
            _days(rule.calendar_days, "local day")
            if rule.calendar_days
            else f"{duration(rule.window_seconds or 0)} rolling"
        )
        kinds = (
            f", on {' or '.join(sorted(rule.number_kinds))} numbers" if rule.number_kinds else ""
        )
        counts = ", ".join(sorted(rule.counts))
        return f"at most {rule.limit} per {span}, per {rule.per}{kinds}, counting {counts}"
    if rule.kind == "hours":
        return f"only {rule.window} local time"
    if rule.kind == "days" and rule.blocked is not None:
        days = [WEEKDAYS[d] for d in sorted(rule.blocked.weekdays)]
        days += ["public holidays"] if rule.blocked.public_holidays else []
        days += [d.isoformat() for d in sorted(rule.blocked.dates)]
        return f"no contact on {', '.join(days)}"
    if rule.kind == "cooldown":
        return f"none for {_days(rule.days or 0, 'day')} after a {rule.after}, per {rule.per}"
    if rule.kind == "consent":
        return f"requires {rule.requires}"
    if rule.kind == "content":
        variants = "; ".join(f"{v}: {', '.join(t)}" for v, t in rule.texts.items())
        kinds = (
            f", calls to {' or '.join(sorted(rule.number_kinds))} numbers"
            if rule.number_kinds
            else ""
        )
        return f"content check {rule.content}{kinds}" + (f" (texts {variants})" if variants else "")
    if rule.kind == "keywords":
        return "; ".join(f"{group}: {', '.join(words)}" for group, words in rule.keywords.items())
    if rule.kind == "retention":
        return f"keep records {rule.retention_days} days"
    if rule.kind == "wording":
        said = "; ".join(f"{loc}: {', '.join(p)}" for loc, p in rule.forbidden.items())
        return f"templates lint: must not say {said}"
    return f"enforced by: {rule.enforced_by}" if rule.enforced_by else "not automated"


def duration(seconds: int) -> str:
    """``7d``, ``24h`` or ``5m``: the largest unit that divides ``seconds``."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _days(n: int, unit: str) -> str:
    return unit if n == 1 else f"{n} {unit}s"
