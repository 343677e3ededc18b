"""A schedule's ``licences``: the licence number (or ``exempt``) it shows per COUNTRY-REGION.

Some states require a collector's licence number in its messages (us-ca/CA1); a schedule names
it once, keyed by the region's code: ``licences: {US-CA: "10012345"}`` (docs/contracts.md,
Schedule).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import yaml

from worker.cadence.yamlnodes import Node

_LICENCE_KEY = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_LICENCE_MAX = 64


def read_licences(node: Node | None) -> Mapping[str, str]:
    """``{US-CA: "10012345"}``: a licence number (or ``exempt``) per COUNTRY-REGION code."""
    if node is None:
        return MappingProxyType({})
    licences: dict[str, str] = {}
    for key, value in node.mapping(required=_written_keys(node)).items():
        if not _LICENCE_KEY.fullmatch(key):
            raise value.error(f"must be keyed by COUNTRY-REGION such as US-CA, not {key!r}")
        number = value.text()
        if "\n" in number or len(number) > _LICENCE_MAX:
            raise value.error(f"must be one line of at most {_LICENCE_MAX} characters")
        licences[key] = number
    return MappingProxyType(licences)


def _written_keys(node: Node) -> list[str]:
    """The keys of a mapping node as written, so ``Node.mapping`` accepts open-ended keys.

    ``Node.mapping`` checks keys against a known list; here any key may appear (it is checked
    after), and ``mapping`` still refuses duplicates, empty values and non-mappings.
    """
    # yamlnodes has no public reader for open-ended keys, so peek at the wrapped PyYAML node.
    raw = node._node
    if not isinstance(raw, yaml.MappingNode):
        return []  # node.mapping() reports it
    return [Node(key, path=node.path, file=node.file).text() for key, _ in raw.value]
