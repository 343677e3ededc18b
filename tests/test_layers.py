"""The layer contract of pyproject.toml holds, and would catch an upward import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_shipped_package_keeps_its_layers(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "worker", tmp_path / "worker")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_domain_module_importing_an_entry_point_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "worker", tmp_path / "worker")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    consent = tmp_path / "worker" / "gate" / "consent.py"
    consent.write_text(consent.read_text() + "\nfrom worker.runtime import actors  # upward\n")
    result = _lint(tmp_path)
    assert result.returncode == 1
    assert "worker.gate is not allowed to import worker.runtime" in result.stdout
    assert "worker.gate.consent -> worker.runtime.actors" in result.stdout
