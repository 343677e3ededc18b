"""Prometheus's text exposition format (version 0.0.4), written out by hand.

remind's numbers live in Redis, not in the process (``worker.storage.metrics``), so the
collector registry of ``prometheus_client`` would only be a detour: each scrape reads Redis and
prints the families here. A family is its ``# HELP`` and ``# TYPE`` lines and one sample per
label set, label values escaped as the format says (backslash, double quote, newline).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

#: The ``Content-Type`` of the format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[tuple[str, str], ...]


@dataclass
class Family:
    """One metric: its name, help text, type and samples (label set -> value)."""

    name: str
    help: str
    type: Literal["counter", "gauge"]
    samples: dict[Labels, float] = field(default_factory=dict)

    def add(self, value: float, **labels: str) -> None:
        """Add ``value`` to the sample with ``labels`` (counters projected onto fewer labels
        than they were counted by add up)."""
        key = tuple(labels.items())
        self.samples[key] = self.samples.get(key, 0) + value

    def set(self, value: float, **labels: str) -> None:
        self.samples[tuple(labels.items())] = value


def escape(value: str) -> str:
    """A label value as the format writes it between double quotes."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def number(value: float) -> str:
    """A sample value: whole numbers without a decimal point, others as Python prints them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def sample(name: str, labels: Mapping[str, str] | Labels, value: float) -> str:
    """One sample line."""
    pairs = labels.items() if isinstance(labels, Mapping) else labels
    inner = ",".join(f'{k}="{escape(v)}"' for k, v in pairs)
    return f"{name}{{{inner}}} {number(value)}" if inner else f"{name} {number(value)}"


def render(families: Iterable[Family]) -> str:
    """The exposition of ``families``, samples sorted by their labels, ending in a newline."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help}")
        lines.append(f"# TYPE {family.name} {family.type}")
        lines += [sample(family.name, k, v) for k, v in sorted(family.samples.items())]
    return "\n".join(lines) + "\n"
