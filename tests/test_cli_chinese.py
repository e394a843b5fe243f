"""The command line speaks Chinese and finds its workspace (issue 11): click's own texts
translated, an example in every help, the workspace found from any subfolder as git does, shared
options before or after the command, and ``package --all``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.conftest import copy_workspace
from townplans.cli import cli

ENGLISH = re.compile(r"Usage:|Options:|Commands:|Show this message|Error:|\[OPTIONS\]|Try '")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(cli), ids=lambda c: " ".join(c) or "townplans")
def test_every_help_is_chinese_with_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert not ENGLISH.search(result.output), result.output
    assert result.output.startswith("用法：") and "示例：" in result.output
    options = result.output.split("选项：")[1].split("示例：")[0]
    for line in options.splitlines():
        if line.strip().startswith("-") and not line.rstrip().endswith("]"):
            assert re.search(r"[\u4e00-\u9fff]", line) or line.strip().endswith(
                ("--format", "--version")
            ), f"option without help: {line}"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("check", "--bogus"), "没有选项 '--bogus'"),
        (("nosuch",), "没有命令 'nosuch'"),
        (("check", "--format", "xml"), "不是可选值"),
        (("build", "--jobs", "0"), "不在范围"),
        (("new", "town"), "缺少参数"),
        (("new", "town", "hexi"), "缺少选项"),
        (("package", "--verify", "/nonexistent/x.zip"), "不存在"),
        (("init", "--year", "二〇二四"), "不是有效的整数"),
    ],
)
def test_usage_errors_are_chinese(args: tuple[str, ...], fragment: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.output and not ENGLISH.search(result.output), result.output


def _townplans(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "townplans", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, "NO_COLOR": "1"}, check=False,
    )  # fmt: skip


def test_the_workspace_is_found_from_any_subfolder(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    inside = root / "towns/weicheng/projects/binhe-road"
    found = _townplans(inside, "check", "--town", "weicheng")
    assert found.returncode in (0, 1) and "渭城镇" in found.stdout, found.stderr
    made = _townplans(
        root / "towns/weicheng", "new", "project", "weicheng", "new-road", "--name", "新路"
    )
    assert made.returncode == 0, made.stderr
    assert (root / "towns/weicheng/projects/new-road/brief.md").is_file()
    outside = _townplans(tmp_path, "status")
    assert outside.returncode == 2 and "及其上级文件夹都不是 townplans 工作区" in outside.stderr


def test_shared_options_go_before_or_after_the_command(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    before = CliRunner().invoke(cli, ["--root", str(root), "-q", "check", "--town", "weicheng"])
    after = CliRunner().invoke(cli, ["check", "--town", "weicheng", "--root", str(root), "-q"])
    assert before.exit_code == after.exit_code and before.output == after.output


@pytest.mark.slow
def test_package_all_packs_what_passes_and_lists_the_refused(
    district_copy: Callable[..., Path],
) -> None:
    root = district_copy()  # the sample, built: packing builds only what changed (nothing)
    result = CliRunner().invoke(cli, ["--root", str(root), "package", "--all", "-j", "2"])
    assert result.exit_code == 1, result.output
    assert "已打包 渭城镇" in result.output and "拒绝打包 北杜镇" in result.output
    assert (root / "build/packages/渭城镇报送材料.zip").is_file()
    assert not (root / "build/packages/北杜镇报送材料.zip").exists()
    both = CliRunner().invoke(cli, ["--root", str(root), "package", "--all", "weicheng"])
    assert both.exit_code == 2 and "--all" in both.output
