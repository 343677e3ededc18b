"""The repository documents itself: docs/ matches the rule packs, and citations resolve.

Docstrings, comments and the README cite ``docs/<file>.md, <Section>``; a clone of the
repository must be able to follow every one of them, and never meet a pointer to notes kept
outside it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from worker.gate.packs.files import builtin_packs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: Where citations may appear: the package, its tests, the docs and the data files.
CITING = ("worker", "tests", "docs", "templates", "schedules", "examples", "benchmarks")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".lua", ".txt", ".html", ".jsonl", ".toml"}

# Built from pieces so that this file does not match what it looks for.
_NOTES = ("DESIGN", "COMPLIANCE", "INTEGRATION")
OUTSIDE_NOTES = re.compile("|".join([*(rf"{n}\.md" for n in _NOTES), r"\.\./" + "shared"]))
#: "(docs/contracts.md, Outcome)" or '(docs/contracts.md, "Account")': the section cited.
CITATION = re.compile(r'\(docs/([a-z-]+)\.md, "?([^,;)"]+?)"?[,;)]')
#: A relative markdown link from one doc to another: [text](file.md#anchor).
LINK = re.compile(r"\]\(([a-z-]+\.md)(?:#([a-z0-9-]+))?\)")


def _text_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in CITING:
        files += [
            p
            for p in sorted((ROOT / folder).rglob("*"))
            if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts
        ]
    return files


def _headings(doc: Path) -> list[str]:
    return [
        line.lstrip("#").strip()
        for line in doc.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]


def _row_ids(doc: Path) -> set[str]:
    return {
        cells[1].strip()
        for line in doc.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and len(cells := line.split("|")) > 2
    }


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = re.sub(r"[^\w\- ]", "", heading.lower())
    return kept.replace(" ", "-")


def test_no_file_points_at_notes_kept_outside_the_repository() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _text_files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE_NOTES.search(line)
    ]
    assert found == []


def test_every_cited_section_of_the_docs_exists() -> None:
    missing = []
    for path in _text_files():
        for doc_name, cited in CITATION.findall(path.read_text(encoding="utf-8")):
            doc = DOCS / f"{doc_name}.md"
            section = " ".join(cited.split())  # a citation may wrap onto the next line
            if not doc.is_file():
                missing.append(f"{path.relative_to(ROOT)}: no docs/{doc_name}.md")
            elif section not in _headings(doc) and section not in _row_ids(doc):
                missing.append(f"{path.relative_to(ROOT)}: docs/{doc_name}.md has no {section!r}")
    assert missing == []


def test_every_link_between_the_docs_reaches_a_heading() -> None:
    broken = []
    for doc in sorted(DOCS.glob("*.md")):
        for target, anchor in LINK.findall(doc.read_text(encoding="utf-8")):
            linked = DOCS / target
            if not linked.is_file():
                broken.append(f"{doc.name}: {target} does not exist")
            elif anchor and anchor not in {_slug(h) for h in _headings(linked)}:
                broken.append(f"{doc.name}: {target} has no heading for #{anchor}")
    assert broken == []


def _documented_rules() -> dict[tuple[str, str], tuple[str, str, str, str]]:
    """(pack, rule id) -> (kind, channels, citation, mark) from the tables of compliance.md."""
    rules: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    pack = None
    for line in (DOCS / "compliance.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            pack = line[4:].strip()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if pack in builtin_packs() and len(cells) == 6 and cells[0] not in ("id", "---"):
            rule_id, kind, channels, _figures, citation, mark = cells
            rules[(pack, rule_id)] = (kind, channels, citation, mark)
    return rules


def test_the_compliance_tables_list_every_shipped_rule_as_its_pack_file_says() -> None:
    shipped = {
        (pack.name, r.id): (r.kind, ", ".join(sorted(r.channels)) or "all", r.citation, r.certainty)
        for pack in builtin_packs().values()
        for r in pack.rules
    }
    assert _documented_rules() == shipped


@pytest.mark.parametrize(
    "name", ["architecture", "contracts", "compliance", "integration", "reliability"]
)
def test_each_document_exists_and_opens_with_a_title(name: str) -> None:
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    assert text.startswith("# ")


def test_the_package_layout_names_every_module() -> None:
    """docs/architecture.md's layout table has a row for every module of worker/."""
    layout = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"`([\w/.]+\.py)`", layout))
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "worker").rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py")
        and not any(str(path.relative_to(ROOT)).endswith(row) for row in rows)
        and path.name not in rows
    ]
    assert missing == []
