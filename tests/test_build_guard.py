"""The guard of ``make test-fast``: a test not marked slow cannot build (tests/build_guard.py)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import build_guard
from tests.cli_run import townplans
from tests.conftest import copy_workspace
from townplans import pipeline

PYTHON = [sys.executable, "-m", "townplans", "--root", "/ws"]
WRAPPED = [sys.executable, "-c", "import json", "--", *PYTHON]
"""How tests/cli_run.py runs the command: its measuring wrapper first."""


@pytest.mark.parametrize(
    "command",
    [
        [*PYTHON, "build"],
        [*PYTHON, "-q", "build", "--force", "--jobs", "1"],
        ["/ws/.venv/bin/townplans", "build", "--town", "weicheng"],
        [*WRAPPED, "build", "--town", "weicheng", "-j", "2"],
        [*PYTHON, "package", "weicheng"],
        [*PYTHON, "package", "--all"],
        ["bash", "-c", 'cd ws\ntownplans check; code=$?; echo "$code"\ntownplans build --pdfa'],
        ["bash", "-c", "townplans status && townplans package weicheng | tail -1"],
        [
            "/usr/bin/soffice",
            "-env:UserInstallation=file:///p",
            "--headless",
            "--convert-to",
            "pdf",
        ],
        "libreoffice --headless --convert-to pdf a.docx",
    ],
)
def test_building_commands_are_recognised(command: list[str] | str) -> None:
    assert build_guard.building_command(command) is not None


@pytest.mark.parametrize(
    "command",
    [
        [*PYTHON, "check"],
        [*PYTHON, "build", "--dry-run"],
        [*WRAPPED, "build", "--town", "weicheng", "--dry-run"],
        [*PYTHON, "package", "--verify", "build/packages/渭城镇报送材料.zip"],
        [sys.executable, "-m", "townplans", "--root", "build", "status"],  # a folder named build
        ["bash", "-c", "townplans init 我的区 && townplans new town hexi --name 河西镇"],
        ["pdftotext", "-layout", "build/weicheng/渭城镇总体规划.pdf", "-"],
        ["git", "-C", "/ws", "commit", "-m", "build"],
    ],
)
def test_other_commands_run(command: list[str]) -> None:
    assert build_guard.building_command(command) is None


def test_an_unmarked_test_cannot_build_in_process_and_a_dry_run_can(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    planned = pipeline.run_build(root, ("beidu",), dry_run=True).report.built
    # A dry run makes nothing: allowed. 14 of the town and a 周报 (DOCX, PDF) for each of its
    # 7 reports (北杜镇 starts on 4 August): 28.
    assert len(planned) == 14 + 2 * 7 == 28
    with pytest.raises(
        pytest.fail.Exception, match=r"builds 28 output\(s\).*mark it @pytest.mark.slow"
    ):
        pipeline.run_build(root, ("beidu",))
    assert not [p for p in (root / "build").rglob("*") if p.suffix in (".pdf", ".docx")]
    assert build_guard.refused  # would fail this test at its report, had the code caught it
    build_guard.refused.clear()  # expected here


def test_an_unmarked_test_cannot_build_in_a_child_process(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    for run in (
        lambda: townplans(root, "build", "--town", "beidu"),
        lambda: subprocess.run([*PYTHON[:-1], str(root), "package", "beidu"], check=False),
    ):
        with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest\.mark\.slow"):
            run()
    assert not (root / "build").exists()  # refused before the child started
    build_guard.refused.clear()  # expected here
    assert townplans(root, "build", "--dry-run").code == 0


@dataclass
class _Item:
    """What the guard reads of a pytest item."""

    fixturenames: list[str]
    slow: bool = False
    nodeid: str = "tests/test_x.py::test_x"

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def test_a_test_asking_for_a_build_needs_the_mark() -> None:
    for fixture in ("built_district", "district_copy", "district_word_pdfs"):
        reason = build_guard.needs_a_build(_Item(["tmp_path", fixture]))  # type: ignore[arg-type]
        assert reason is not None and fixture in reason and "mark it" in reason
        assert build_guard.needs_a_build(_Item([fixture], slow=True)) is None  # type: ignore[arg-type]
    assert build_guard.needs_a_build(_Item(["tmp_path", "sample"])) is None  # type: ignore[arg-type]
