"""The git revision a document's ``compare_to`` names: looked up once, by the loader (the checker's
TP210 and the build's 修改对照表 read what it found) and by ``townplans diff``.

git runs as a subprocess, never through a shell, in the workspace; a name starting with ``-``
is refused (it would be read as an option)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from townplans.model import Revision, revision_name

__all__ = ["Lookup", "git", "lookup", "revision_name"]

TIMEOUT = 60

Lookup = Revision
"""The commit a revision names, or why there is none (Chinese)."""


def git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """git's result, or None when git cannot run."""
    environment = {**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=root, capture_output=True,
            env=environment, timeout=TIMEOUT, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None


def lookup(root: Path, revision: str) -> Lookup:
    """The commit ``revision`` names in the repository holding ``root`` (asked each time: a
    tag may move between two builds in one process)."""
    if not revision or revision.startswith("-"):
        return Lookup(None, f"版本名“{revision}”无效：应为提交号、标签或分支名")
    inside = git(root, "rev-parse", "--is-inside-work-tree")
    if inside is None:
        return Lookup(None, "找不到 git 程序：无法按版本比较")
    if inside.returncode != 0:
        return Lookup(None, "工作区不在 git 仓库中：无法按版本比较")
    found = git(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
    )
    commit = (
        found.stdout.decode("utf-8", "replace").strip() if found and found.returncode == 0 else ""
    )
    if not commit:
        return Lookup(None, f"找不到版本“{revision}”（git tag 列出全部标签）")
    return Lookup(commit)
