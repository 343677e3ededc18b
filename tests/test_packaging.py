"""Packaging metadata: what `make install` reads from pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from tests.pipeline_helpers import ROOT


def test_license_is_an_spdx_string_with_its_file() -> None:
    # A TOML table (`license = {text = ...}`) makes setuptools >= 77 warn at every install.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    files = project["project"]["license-files"]
    assert files == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("Apache License")
    # The SPDX string form needs setuptools 77 to build.
    requires = project["build-system"]["requires"]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    assert re.fullmatch(r"setuptools>=(\d+)", setuptools)
    assert int(setuptools.split(">=")[1]) >= 77
