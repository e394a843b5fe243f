"""Revision outputs as documents (issue 22, point 6): the tracked-changes DOCX is the built
document (cover, 修订记录, contents, running header, watermark, table captions, properties) with
its changes marked; the authors and dates of the changes never come from the login or today's
clock; the 修改对照表 names both versions by stage, version and date, carries each change's reason
and holds no invisible character."""

from __future__ import annotations

import datetime as dt
import getpass
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from tests.conftest import copy_workspace
from tests.test_revision_diff import run
from townplans.revision.blocks import file_blocks

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PLAN = "towns/weicheng/detailed-plans/center/plan.md"
TITLE = "渭城镇中心区控制性详细规划"
INVISIBLE = ("\u2060", "\u200b")
OLD_HEAD = (
    "status: 送审稿\nversion: v1.0\n"
    "revisions:\n  - {version: v1.0, date: 2023-06-10, status: 送审稿, summary: 提交审查}\n"
)
NEW_HEAD = OLD_HEAD.replace("status: 送审稿\nversion: v1.0", "status: 报批稿\nversion: v1.1") + (
    "  - {version: v1.1, date: 2023-08-20, status: 报批稿, summary: 按评审意见修改,"
    " reason: 落实专家评审意见}\n"
)
COMMENT_REASON = "采纳镇人大意见"


def _versions(root: Path) -> Path:
    """The center plan as 送审稿 v1.0 kept in old.md, and edited to 报批稿 v1.1 in place: one
    change under the revision entry's reason, one with its own comment on a line of its own."""
    plan = root / PLAN
    text = plan.read_text(encoding="utf-8")
    text = text.replace("date: 2023-07-10\nstatus: 送审稿\nversion: v1.0\n", "date: 2023-08-20\n")
    old = text.replace("date: 2023-08-20\n", "date: 2023-06-10\n" + OLD_HEAD)
    (root / "old.md").write_text(old, encoding="utf-8")
    new = text.replace("date: 2023-08-20\n", "date: 2023-08-20\n" + NEW_HEAD)
    new = new.replace("总用地86.4公顷", "总用地88.0公顷")
    new = new.replace(
        "完善公共服务设施，改善居住环境，塑造滨水景观。\n",
        f"完善2处教育和医疗设施，改善居住环境，塑造滨水景观。\n\n<!-- 修改说明：{COMMENT_REASON} -->\n",
    )
    assert new.count("88.0") and new.count(COMMENT_REASON)
    plan.write_text(new, encoding="utf-8")
    return root


def _diff(root: Path, *extra: str, env: dict[str, str] | None = None) -> Path:
    out = root / "out"
    command = ("diff", PLAN, "--from", "old.md", "-o", str(out), *extra)
    if env is None:
        done = run(root, *command)
    else:
        done = subprocess.run(
            [str(Path(__file__).parents[1] / ".venv/bin/townplans"), "--root", str(root), *command],
            capture_output=True, text=True, check=False, cwd=root, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def _marks(path: Path) -> set[tuple[str | None, str | None]]:
    body = docx.Document(str(path)).element.body
    return {
        (mark.get(f"{W}author"), mark.get(f"{W}date"))
        for tag in ("ins", "del")
        for mark in body.iter(f"{W}{tag}")
    }


def _texts(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return "".join(
            package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith(".xml")
        )


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The diff of the two versions, made once for the tests that read it (read only)."""
    root = _versions(copy_workspace(tmp_path_factory.mktemp("compared") / "ws", ("weicheng",)))
    return _diff(root, "--author", "张工")


def test_the_tracked_docx_is_the_built_document_with_its_changes(compared: Path) -> None:
    (tracked,) = compared.glob("*（修订标记）.docx")
    document = docx.Document(str(tracked))
    texts = [p.text for p in document.paragraphs]
    assert TITLE in texts and "修订标记稿" in texts  # the cover, and what it is
    assert (
        "原稿：送审稿 v1.0（2023-06-10）" in texts and "修订稿：报批稿 v1.1（2023-08-20）" in texts
    )
    body = document.element.body.xml
    assert "修订记录" in texts and 'TOC \\o "1-' in body  # 修订记录 and the contents
    assert any(t.startswith("表") and "地块控制指标" in t for t in texts), texts  # table captions
    header = document.sections[-1].header._element.xml
    assert TITLE in header and 'string="报批稿"' in header  # running header and watermark
    properties = document.core_properties
    assert properties.author == "咸阳市城乡规划设计研究院"  # not python-docx
    assert properties.title == TITLE
    assert properties.created == dt.datetime(2023, 8, 20, tzinfo=dt.UTC)
    assert properties.comments == ""
    # every change by --author on the new version's date, never the login name or today
    assert _marks(tracked) == {("张工", "2023-08-20T00:00:00Z")}


def test_the_table_names_versions_and_reasons_and_holds_nothing_invisible(compared: Path) -> None:
    (table,) = compared.glob("*修改对照表.docx")
    document = docx.Document(str(table))
    texts = [p.text for p in document.paragraphs]
    assert "原稿：送审稿 v1.0（2023-06-10） / 修订稿：报批稿 v1.1（2023-08-20）" in texts
    assert not [t for t in texts if "工作区" in t or ".md" in t]
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows][1:]
    reasons = {row[1]: (row[3], row[4]) for row in rows}
    assert {k: v[1] for k, v in reasons.items()} == {
        "第一章 总则": "落实专家评审意见",  # the revision entry's reason
        "第二章 功能定位与规划目标": COMMENT_REASON,  # its own comment, on a line of its own
    }, rows
    assert "88.0公顷" in reasons["第一章 总则"][0]
    for path in compared.glob("*.docx"):
        assert not [c for c in INVISIBLE if c in _texts(path)], path.name
    (pdf,) = compared.glob("*.pdf")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "88.0" in text and not [c for c in INVISIBLE if c in text]


def test_without_author_the_changes_are_git_users_never_the_login(
    workspace_copy: Callable[..., Path], tmp_path: Path
) -> None:
    root = _versions(workspace_copy("weicheng"))
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = 李规划\n", encoding="utf-8")
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    out = _diff(root, env={**base, "GIT_CONFIG_GLOBAL": str(config)})
    (tracked,) = out.glob("*（修订标记）.docx")
    assert _marks(tracked) == {("李规划", "2023-08-20T00:00:00Z")}
    out = _diff(root, env={**base, "GIT_CONFIG_GLOBAL": "/dev/null"})
    (tracked,) = out.glob("*（修订标记）.docx")
    authors = {author for author, _ in _marks(tracked)}
    assert authors == {"未署名"} and getpass.getuser() not in authors


def test_a_comment_on_a_line_of_its_own_explains_the_block_above() -> None:
    text = (
        "# 第一章\n\n<!-- 修改说明：标题下的说明 -->\n\n甲段。\n\n乙段。\n\n"
        "<!-- 修改说明：乙段的说明 -->\n\n# 第二章\n\n<!-- 修改说明：紧贴下一段 -->\n丙段。\n"
    )
    blocks = {b.text: b.reason for b in file_blocks(text, "a.md")}
    assert blocks == {
        "第一章": "", "甲段。": "标题下的说明", "乙段。": "乙段的说明", "第二章": "",
        "丙段。": "紧贴下一段",
    }  # fmt: skip
    assert re.fullmatch(r"[^\u2060]*", "".join(blocks))


def test_the_table_numbers_its_first_page_under_its_title_in_both_writers(compared: Path) -> None:
    """The 修改对照表 opens with its title on a turned page 1: the page number, no running
    header, as every document without a cover. The PDF had no number there and Word set the
    running header above the title."""
    (pdf,) = compared.glob("*.pdf")
    first = subprocess.run(
        ["pdftotext", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert re.search(r"—\s*1\s*—", first) and first.lstrip().startswith(TITLE), first
    (table,) = compared.glob("*修改对照表.docx")
    section = docx.Document(str(table)).sections[0]
    assert section.different_first_page_header_footer
    assert not "".join(section.first_page_header._element.itertext()).strip()
    assert "PAGE" in section.first_page_footer._element.xml
