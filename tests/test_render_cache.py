"""What the renderer keeps between renders, and who sees a template edited on disk.

A worker's renderer (the default) lists each template folder and compiles each file once; a
renderer built with ``reload=True`` sees every edit; ``remind templates preview`` and ``lint``
build a renderer per call, so an editor sees an edit on the next call.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.pipeline_helpers import ROOT
from worker.lint.engine import lint
from worker.lint.preview import preview
from worker.rendering.renderer import Renderer
from worker.rendering.sms import (
    _CJK,
    _INVISIBLE,
    _TYPOGRAPHY,
    GSM7_BASIC,
    GSM7_EXTENSION,
    _plain_space,
    normalise_sms,
    segment_info,
)

CONTEXT = {"name": "Ana", "opt_out": "Reply STOP to opt out."}


def _write(path: Path, text: str, *, later: int = 0) -> None:
    """Write ``text``; ``later`` seconds on the modification time (an edit Jinja can tell from
    the one before, whatever the file system's timestamp resolution)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if later:
        stat = path.stat()
        os.utime(path, (stat.st_atime + later, stat.st_mtime + later))


def test_a_workers_renderer_keeps_what_it_compiled_and_a_new_one_sees_the_edit(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "t" / "sms.txt", "Hi {{ name }}. {{ opt_out }}")
    worker = Renderer(tmp_path)
    assert worker.render("t", "sms", "en", CONTEXT).text == "Hi Ana. Reply STOP to opt out."
    _write(tmp_path / "t" / "sms.txt", "Hello {{ name }}. {{ opt_out }}", later=5)
    _write(tmp_path / "t" / "sms.fr.txt", "Bonjour {{ name }}. {{ opt_out }}")
    # the same process keeps the compiled file and the folder's listing...
    assert worker.render("t", "sms", "en", CONTEXT).text == "Hi Ana. Reply STOP to opt out."
    assert worker.render("t", "sms", "fr", CONTEXT).locale == "en"
    # ...and a restarted one reads them again
    fresh = Renderer(tmp_path)
    assert fresh.render("t", "sms", "en", CONTEXT).text == "Hello Ana. Reply STOP to opt out."
    assert fresh.render("t", "sms", "fr", CONTEXT).text == "Bonjour Ana. Reply STOP to opt out."


def test_a_reloading_renderer_sees_an_edit_a_new_file_and_a_removed_one(tmp_path: Path) -> None:
    _write(tmp_path / "t" / "sms.txt", "Hi {{ name }}. {{ opt_out }}")
    editor = Renderer(tmp_path, reload=True)
    assert editor.render("t", "sms", "en", CONTEXT).text == "Hi Ana. Reply STOP to opt out."
    _write(tmp_path / "t" / "sms.txt", "Hello {{ name }}. {{ opt_out }}", later=5)
    _write(tmp_path / "t" / "sms.fr.txt", "Bonjour {{ name }}. {{ opt_out }}")
    assert editor.render("t", "sms", "en", CONTEXT).text == "Hello Ana. Reply STOP to opt out."
    assert editor.render("t", "sms", "fr", CONTEXT).text == "Bonjour Ana. Reply STOP to opt out."
    (tmp_path / "t" / "sms.fr.txt").unlink()
    assert editor.render("t", "sms", "fr", CONTEXT).locale == "en"
    assert editor.part_files("t") == [("sms.txt", "en", "sms.txt")]


def test_preview_and_lint_see_a_template_edited_between_two_calls(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    for folder in ("reminder", "_layouts"):  # one template: lint reads every one
        shutil.copytree(ROOT / "templates" / folder, templates / folder)
    sms = templates / "reminder" / "sms.txt"

    def shown() -> str:
        found = preview(templates, "reminder", locale="en", channel="sms")
        return found.renders[0].parts[0].text

    assert "Pay online" in shown()
    assert not [f for f in lint(templates) if f.file == str(sms)]
    _write(sms, "Hi {{ name }}, please pay. Settle now: {{ payment_url }}\n", later=5)
    assert shown() == "Hi Sam Lee, please pay. Settle now: https://pay.example.com/1"
    # the opt-out is gone: the next lint says so
    assert any("opt-out" in f.message for f in lint(templates) if f.file == str(sms))


def _normalised_one_character_at_a_time(text: str) -> str:
    """``normalise_sms`` as first written, a Python call per character: the reference."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = "".join(_plain_space(ch) for ch in text)
    if not _CJK.search(text):
        text = text.translate(_TYPOGRAPHY)
    lines = (line.strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def test_sms_text_is_cleaned_as_the_per_character_rule_says_for_every_bmp_character() -> None:
    # The translation table learns each character's category on first sight: every character
    # of the Basic Multilingual Plane, between letters and between spaces, comes out the same.
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates cannot be written to a message
        for text in (f"a{chr(code)}b", f" {chr(code)}\t{chr(code)}\r\n"):
            assert normalise_sms(text) == _normalised_one_character_at_a_time(text), hex(code)


def test_segment_counts_agree_with_counting_each_character() -> None:
    def counted(text: str) -> tuple[str, int]:
        if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
            return "GSM-7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        return "UCS-2", sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)

    for text in ("", "a" * 160, "a" * 159 + "€", "€" * 81, "中" * 70, "中" * 69 + "😀", "x😀"):
        info = segment_info(text)
        assert (info.encoding, info.units) == counted(text), text
    assert segment_info("a" * 159 + "€").segments == 2  # 161 septets
    assert segment_info("中" * 69 + "😀").segments == 2  # 71 code units
