"""A plan's history as a git repository built in the test: four commits by four authors on
four dates, each making the edits the 修改对照表 must list (and nothing else)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

V1 = """---
title: 河西镇总体规划
status: 征求意见稿
version: "1.0"
---

# 第一章 总则

## 第一条 规划范围

规划范围为河西镇行政辖区，镇域面积42.6平方公里，镇区规划面积2.1平方公里。

## 第二条 规划期限

规划期限为2021—2035年，近期至2025年。

规划期内分两期实施，一期以镇区道路和供水设施为主。

# 第二章 用地布局

## 第三条 居住用地

居住用地集中布置在镇区北部，规划居住用地面积86公顷。

## 第四条 工业用地

工业用地布置在镇区东部，规划工业用地面积40公顷。

## 第五条 公共服务设施

镇区设中学一所、小学两所、卫生院一所。

| 设施 | 数量 | 用地（公顷） |
|---|---|---|
| 中学 | 1 | 3.2 |
| 小学 | 2 | 4.0 |

# 第三章 道路交通

镇区道路分为主干路、次干路和支路三级。
"""

REASON = "依据“三区三线”划定成果调整镇区范围"
SUMMARY = "根据专家评审意见修改"

V2 = V1.replace(
    "镇区规划面积2.1平方公里。\n", f"镇区规划面积2.3平方公里。\n<!-- 修改说明：{REASON} -->\n"
).replace("近期至2025年", "近期至2027年")
_INDUSTRY = "## 第四条 工业用地\n\n工业用地布置在镇区东部，规划工业用地面积40公顷。\n\n"
V3 = (
    V2.replace(_INDUSTRY, "")
    .replace("# 第三章 道路交通", _INDUSTRY + "# 第三章 道路交通")
    .replace("| 小学 | 2 | 4.0 |", "| 小学 | 2 | 4.5 |")
)
V4 = (
    V3.replace("规划期内分两期实施，一期以镇区道路和供水设施为主。\n\n", "")
    .replace(
        "镇区道路分为主干路、次干路和支路三级。\n",
        "镇区道路分为主干路、次干路和支路三级。\n\n![图1 道路系统规划图](drawings/roads.png)\n",
    )
    .replace(
        'status: 征求意见稿\nversion: "1.0"\n',
        f'status: 送审稿\nversion: "2.0"\nrevisions:\n  - {{version: "1.0", date: 2024-01-10, status: 征求意见稿, summary: 初稿}}\n  - {{version: "2.0", date: 2024-04-20, status: 送审稿, summary: {SUMMARY}}}\n',
    )
)

AUTHORS = (
    ("王一", "2024-01-10T09:00:00+08:00"),
    ("李二", "2024-02-05T10:30:00+08:00"),
    ("张三", "2024-03-01T14:00:00+08:00"),
    ("赵四", "2024-04-20T16:45:00+08:00"),
)


def git(folder: Path, *args: str, author: tuple[str, str] | None = None) -> str:
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    if author is not None:
        name, date = author
        environment.update(
            GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL="a@example.cn", GIT_AUTHOR_DATE=date,
            GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL="a@example.cn", GIT_COMMITTER_DATE=date,
        )  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=folder, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout


def plan_repository(folder: Path, path: str = "plan.md") -> list[str]:
    """``folder`` made a repository holding ``path`` in four commits (V1…V4); returns the
    commit ids, oldest first. V1 is tagged ``<stem>-征求意见稿``."""
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "工作区编辑")
    git(folder, "config", "user.email", "w@example.cn")
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    commits = []
    for text, author in zip((V1, V2, V3, V4), AUTHORS, strict=True):
        target.write_text(text, encoding="utf-8")
        git(folder, "add", "-A")
        git(folder, "commit", "-q", "-m", f"{author[0]}的修改", author=author)
        commits.append(git(folder, "rev-parse", "HEAD").strip())
    git(folder, "tag", f"{Path(path).stem}-征求意见稿", commits[0], author=AUTHORS[0])
    return commits
