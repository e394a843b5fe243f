"""The package ships its templates, and doctor tells the truth about the environment."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from townplans import doctor


def test_wheel_ships_the_templates_as_package_data(repo: Path, tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(repo),
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("townplans-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert (
            archive.read("townplans/_templates/profile.yaml")
            == (repo / "templates/profile.yaml").read_bytes()
        )
    assert "townplans/_templates/scaffold/document.md.j2" in names
    assert "townplans/_templates/style.yaml" in names
    assert not any(name.startswith("towns/") for name in names)


def test_doctor_explains_a_missing_harfbuzz_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    [_, subset] = doctor._pango_harfbuzz()
    assert not subset.ok
    assert "40 倍" in subset.found and subset.advice == "apt-get install libharfbuzz-subset0"


def test_doctor_reports_missing_cjk_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    class _NoFonts:
        stdout = ""

    monkeypatch.setattr("townplans.doctor.subprocess.run", lambda *a, **k: _NoFonts())
    check = doctor._cjk_fonts()
    assert not check.ok and "fonts-noto-cjk" in check.advice


def test_doctor_finds_the_installed_environment(repo: Path) -> None:
    checks = {check.name: check for check in doctor.run_checks(repo)}
    assert checks["HarfBuzz 字体子集"].ok
    assert checks["中文字体"].ok and "Noto" in checks["中文字体"].found
    assert checks["规则文件"].ok and "2023.1" in checks["规则文件"].found
