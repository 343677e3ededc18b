"""Names a template uses that nothing defines, read from the file rather than from one render.

Rendering the sample account only runs the branches the sample takes: a typo inside
``{% if days_past_due < 0 %}`` or an unknown filter inside an ``{% if %}`` (Jinja looks such
filters up only when the branch runs) would pass. So lint also reads every template file's
syntax tree and reports, at its line:

- a filter or a test that the environment does not have (``{{ amount | mony }}``);
- a variable that is neither a template variable (``build_context``) nor a global nor set in
  the template (``{{ nmae }}``);
- an attribute the sandbox refuses (``__class__``, ``_private``, ``mro``...): a sandbox escape
  attempt fails every render that reaches it, so it is an error wherever it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from jinja2 import Environment, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
)

from worker.lint.findings import Finding
from worker.rendering.filters import FILTERS

# What the sandbox refuses besides names starting with "_" (jinja2.sandbox.is_internal_attribute).
_UNSAFE = frozenset(
    {
        *UNSAFE_GENERATOR_ATTRIBUTES,
        *UNSAFE_COROUTINE_ATTRIBUTES,
        *UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
        "mro",
        "func_code",
        "func_globals",
        "tb_frame",
        "f_globals",
    }
)

#: The filters remind adds for editors, named in a fix.
_EDITORS = tuple(FILTERS)


def name_findings(env: Environment, file: Path, source: str, known: Iterable[str]) -> list[Finding]:
    """Unknown filters, tests and variables and unsafe attributes in one template file.

    A syntax error is left to the render, which reports it with its line.
    """
    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return []
    where = str(file)
    findings: list[Finding] = []
    filters = ", ".join(_EDITORS)
    for node in tree.find_all(nodes.Filter):
        if node.name not in env.filters:
            findings.append(
                Finding(
                    where,
                    node.lineno,
                    "error",
                    f"no filter named {node.name!r}",
                    f"use a filter templates/README.md lists ({filters}, or one of Jinja's)",
                )
            )
    for test in tree.find_all(nodes.Test):
        if test.name not in env.tests:
            findings.append(
                Finding(where, test.lineno, "error", f"no test named {test.name!r}", "")
            )
    undefined = meta.find_undeclared_variables(tree) - set(known) - set(env.globals)
    seen: set[str] = set()
    for name_node in tree.find_all(nodes.Name):
        name = name_node.name
        if name in undefined and name not in seen and name_node.ctx == "load":
            seen.add(name)
            findings.append(
                Finding(
                    where,
                    name_node.lineno,
                    "error",
                    f"{name!r} is undefined",
                    "use a variable templates/README.md lists, or vars.get('key')",
                )
            )
    for attr in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(attr, nodes.Getattr):
            key: str | None = attr.attr
        else:
            key = _const(attr.arg) if isinstance(attr, nodes.Getitem) else None
        if key is not None and (key.startswith("_") or key in _UNSAFE):
            findings.append(
                Finding(
                    where,
                    attr.lineno,
                    "error",
                    f"sandbox violation: {key!r} is not reachable from a template",
                    "templates see only the variables templates/README.md lists",
                )
            )
    return findings


def _const(node: nodes.Node) -> str | None:
    value = node.value if isinstance(node, nodes.Const) else None
    return value if isinstance(value, str) else None
