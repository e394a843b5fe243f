"""townplans diff on a repository built in the test: the 修改对照表 lists exactly the changes
of four commits, with their reasons, authors and dates, in Word and in PDF; identical versions,
an older file outside git, and a user's mistakes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from tests.revision_fixture import AUTHORS, REASON, SUMMARY, V1, V4, git, plan_repository
from townplans.cli import cli
from townplans.revision.history import Document as Compared
from townplans.revision.history import compare_document
from townplans.revision.model import Op
from townplans.revision.table import rows

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PLAN = Compared("", files=("plan.md",), tag_prefix="plan-")


def table_rows(docx: Path) -> list[list[str]]:
    table = Document(str(docx)).tables[0]
    return [[c.text.replace("\u2060", "") for c in row.cells] for row in table.rows]


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("townplans") or str(Path(__file__).parents[1] / ".venv/bin/townplans"),
         "--root", str(root), *args],
        capture_output=True, text=True, check=False, cwd=root,
    )  # fmt: skip


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("repo")
    return folder, plan_repository(folder)


def test_the_table_lists_exactly_the_changes_with_reasons_authors_and_dates(
    repository: tuple[Path, list[str]],
) -> None:
    folder, commits = repository
    comparison = compare_document(folder, PLAN, commits[0], commits[-1])
    changes = [s for s in comparison.steps if s.op is not Op.EQUAL]
    who = {
        (s.op, (s.new or s.old).text[:6]): (s.revision.author, s.revision.date)
        for s in changes
        if s.revision
    }
    dates = {name: dt.datetime.fromisoformat(date) for name, date in AUTHORS}
    assert who == {
        (Op.MODIFY, "规划范围为河"): ("李二", dates["李二"]),
        (Op.MODIFY, "规划期限为2"): ("李二", dates["李二"]),
        (Op.DELETE, "规划期内分两"): ("赵四", dates["赵四"]),
        (Op.MOVE_FROM, "第四条 工业"): ("张三", dates["张三"]),
        (Op.MOVE_FROM, "工业用地布置"): ("张三", dates["张三"]),
        (Op.MOVE_TO, "第四条 工业"): ("张三", dates["张三"]),
        (Op.MOVE_TO, "工业用地布置"): ("张三", dates["张三"]),
        (Op.MODIFY, "设施 | 数"): ("张三", dates["张三"]),
        (Op.INSERT, "图1 道路系"): ("赵四", dates["赵四"]),
    }
    found = rows(comparison)
    assert len(found) == 6


def test_diff_writes_the_table_in_word_and_pdf(
    repository: tuple[Path, list[str]], tmp_path: Path
) -> None:
    folder, _ = repository
    done = run(folder, "diff", "plan.md", "--to", "HEAD", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (
        "修改 6 处" in done.stdout and "移动 1 节" in done.stdout and "新增图 1 幅" in done.stdout
    )
    assert "plan-征求意见稿 → HEAD" in done.stdout  # the last stage tag is the default --from
    header, *body = table_rows(tmp_path / "河西镇总体规划修改对照表.docx")
    assert header == ["序号", "章节", "原文", "修改后", "修改说明"]
    assert [row[0] for row in body] == ["1", "2", "3", "4", "5", "6"]
    sections = [row[1] for row in body]
    assert sections[0] == "第一章 总则 > 第一条 规划范围"
    assert "表格第2行“小学”第3列“用地（公顷）”" in sections[3]
    assert sections[4].startswith(
        "由 第二章 用地布局 第三条 居住用地之后 移至 第二章 用地布局 第五条 公共服务设施之后"
    )
    assert [row[2] for row in body][:2] == [
        "……42.6平方公里，镇区规划面积2.1平方公里。",
        "……2021—2035年，近期至2025年。",
    ]
    assert body[0][3] == "……42.6平方公里，镇区规划面积2.3平方公里。"
    assert body[5][3].startswith("图：图1 道路系统规划图")
    assert [row[4] for row in body] == [REASON] + [SUMMARY] * 5
    # the marks: struck through in 原文, underlined in 修改后
    table = Document(str(tmp_path / "河西镇总体规划修改对照表.docx")).tables[0]
    struck = [
        "".join(r.text for r in p.runs if r.font.strike) for p in table.rows[1].cells[2].paragraphs
    ]
    underlined = [
        "".join(r.text for r in p.runs if r.underline) for p in table.rows[1].cells[3].paragraphs
    ]
    assert struck == ["2.1"] and underlined == ["2.3"]
    section = Document(str(tmp_path / "河西镇总体规划修改对照表.docx")).sections[0]
    assert section.page_width > section.page_height  # landscape
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "河西镇总体规划修改对照表.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "河西镇总体规划修改对照表" in text
    for expected in ("2.3", "2027", "4.5", "道路系统规划图", "由 第二章 用地布局"):
        assert expected in text
    assert text.count("根据专家评审") == 5


def test_identical_versions_give_an_empty_table(
    repository: tuple[Path, list[str]], tmp_path: Path
) -> None:
    folder, _ = repository
    done = run(folder, "diff", "plan.md", "--from", "HEAD", "--to", "HEAD", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "无修改" in done.stdout
    assert table_rows(tmp_path / "河西镇总体规划修改对照表.docx")[1][:2] == ["—", "无修改"]


def test_the_working_tree_is_the_default_to_and_its_editor_the_author(
    repository: tuple[Path, list[str]], tmp_path: Path
) -> None:
    folder, _ = repository
    copy = tmp_path / "repo"
    shutil.copytree(folder, copy)
    (copy / "plan.md").write_text(V4.replace("三级。", "四级。"), encoding="utf-8")
    comparison = compare_document(copy, PLAN, "HEAD", None)
    (change,) = comparison.changes
    assert change.revision is not None and change.revision.author == "工作区编辑"
    assert abs(change.revision.date - dt.datetime.now().astimezone()) < dt.timedelta(minutes=5)


def test_from_a_file_outside_git(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(V1, encoding="utf-8")
    (tmp_path / "plan.md").write_text(V4, encoding="utf-8")
    done = run(tmp_path, "diff", "plan.md", "--from", "old.md")
    assert done.returncode == 0, done.stderr
    assert "修改 6 处" in done.stdout
    written = tmp_path / "build" / "修订" / "河西镇总体规划修改对照表.docx"
    assert len(table_rows(written)) == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("diff", "plan.md", "--from", "HEAD"), "不在 git 仓库中"),
        (("diff", "absent.md", "--from", "old.md"), "找不到文件 absent.md"),
    ],
)
def test_outside_git_mistakes_are_told_in_chinese(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "plan.md").write_text(V1, encoding="utf-8")
    (tmp_path / "old.md").write_text(V1, encoding="utf-8")
    done = run(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_unknown_revision_and_absent_file_are_told_in_chinese(
    repository: tuple[Path, list[str]],
) -> None:
    folder, _ = repository
    runner = CliRunner()
    unknown = runner.invoke(
        cli, ["--root", str(folder), "diff", "plan.md", "--from", "no-such-tag"]
    )
    assert unknown.exit_code == 2 and "找不到版本“no-such-tag”" in unknown.output
    git(folder, "checkout", "-q", "-b", "extra")
    (folder / "other.md").write_text("# 新文件\n", encoding="utf-8")
    try:
        absent = runner.invoke(cli, ["--root", str(folder), "diff", "other.md", "--from", "HEAD"])
        assert absent.exit_code == 2 and "版本 HEAD 中没有文件 other.md" in absent.output
        assert absent.exception is None or isinstance(absent.exception, SystemExit)
    finally:
        (folder / "other.md").unlink()
        git(folder, "checkout", "-q", "main")


@pytest.mark.slow
def test_build_with_compare_to_makes_the_table_and_package_includes_it(
    district_copy: Callable[..., Path],
) -> None:
    import zipfile

    from townplans import pipeline

    root = district_copy()  # built: packing makes what the edits below change, and the tables
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "征求意见稿", author=AUTHORS[0])
    git(root, "tag", "weicheng-总体规划-征求意见稿", author=AUTHORS[0])
    general = root / "towns/weicheng/master-plan/01-general.md"
    general.write_text(
        general.read_text(encoding="utf-8").replace(
            "\nstatus: 送审稿\n", "\nstatus: 送审稿\ncompare_to: weicheng-总体规划-征求意见稿\n", 1
        ),
        encoding="utf-8",
    )
    land = root / "towns/weicheng/master-plan/02-land-use.md"
    land.write_text(
        land.read_text(encoding="utf-8").replace("划分四个功能区", "划分为四个功能区"),
        encoding="utf-8",
    )
    git(root, "commit", "-qam", "送审稿", author=AUTHORS[1])
    (result,) = pipeline.run_package(root, ("weicheng",), jobs=1)
    assert result.path is not None, [f.message for f in result.errors]
    names = zipfile.ZipFile(result.path).namelist()
    assert "weicheng/渭城镇总体规划修改对照表.docx" in names
    assert "weicheng/渭城镇总体规划修改对照表.pdf" in names
    assert "weicheng/渭城镇总体规划（修订标记）.docx" in names
    _, *body = table_rows(root / "build/weicheng/渭城镇总体规划修改对照表.docx")
    assert len(body) == 1 and body[0][1] == "第三章 镇区用地布局 > 第九条 布局结构"
    assert body[0][3].endswith("划分为四个功能区。")
    # no comment beside the paragraph: the reason of the plan's entry in its revisions
    assert body[0][4] == "落实区自然资源局和镇人大在征求意见阶段的书面意见"
    # the same inputs: nothing rebuilt; the tag moved: the table rebuilt
    again = pipeline.run_build(root, ("weicheng",), jobs=1)
    table = root / "build/weicheng/渭城镇总体规划修改对照表.docx"
    assert table in again.report.up_to_date
    git(root, "tag", "-f", "weicheng-总体规划-征求意见稿", "HEAD", author=AUTHORS[1])
    moved = pipeline.run_build(root, ("weicheng",), jobs=1)
    assert table in moved.report.built
    assert table_rows(table)[1][:2] == ["—", "无修改"]


def test_writers_leave_comments_out_and_underline_insertions(tmp_path: Path) -> None:
    from townplans import mdparser
    from townplans.paths import WorkspacePaths
    from townplans.render.documents import DocumentSpec, Part, to_docx, to_html
    from townplans.render.layout import Origin
    from townplans.render.style import load_style

    text = (
        "段落一<!-- 注：不打印 -->接续，++新增文字++与~~删去文字~~。\n"
        "<!-- 修改说明：依据评审意见 -->\n\n<!--\n多行注释\n-->\n\n段落二。\n"
    )
    tokens = tuple(mdparser.parse(text))
    spec = DocumentSpec(
        "示例", "示例", lambda: (Part(tokens, tmp_path, Origin()),), cover=False, toc=False
    )
    style = load_style(WorkspacePaths(tmp_path).style)
    html, _ = to_html(spec, style, tmp_path)
    assert (
        "<!--" not in html
        and "修改说明" not in html
        and "多行注释" not in html
        and "&lt;!--" not in html
    )
    assert "<ins>新增文字</ins>" in html and "<s>删去文字</s>" in html
    data, _ = to_docx(spec, style, tmp_path, dt.datetime(2024, 1, 1))
    path = tmp_path / "x.docx"
    path.write_bytes(data)
    paragraphs = [p for p in Document(str(path)).paragraphs if p.text.strip()]
    assert [p.text for p in paragraphs] == ["段落一接续，新增文字与删去文字。", "段落二。"]
    runs = paragraphs[0].runs
    assert [r.text for r in runs if r.underline] == ["新增文字"]
    assert [r.text for r in runs if r.font.strike] == ["删去文字"]


def test_the_tracked_docx_of_the_four_commits_accepts_to_the_new_and_rejects_to_the_old(
    repository: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """The tracked-changes DOCX ``diff`` writes for the fixture's four commits: Word revisions
    of every kind with the commits' authors and dates; accepting them all gives the text of the
    last commit and rejecting them all that of the first (each as ``diff`` writes a version
    compared with itself, which holds no revision)."""
    from townplans.revision import resolve

    folder, commits = repository
    first, last = commits[0], commits[-1]

    def tracked(old: str, new: str, name: str) -> Path:
        out = tmp_path / name
        done = run(folder, "diff", "plan.md", "--from", old, "--to", new, "-o", str(out))
        assert done.returncode == 0, done.stderr
        (found,) = out.glob("*（修订标记）.docx")
        return found

    def body(texts: list[str]) -> list[str]:  # the cover names the two versions compared
        return [t for t in texts if not t.startswith(("原稿：", "修订稿："))]

    root = resolve.document_xml(tracked(first, last, "range"))
    marks = {tag: root.findall(f".//{{{W}}}{tag}") for tag in ("ins", "del", "moveFrom", "moveTo")}
    assert all(marks.values()), {tag: len(found) for tag, found in marks.items()}
    assert root.findall(f".//{{{W}}}moveFromRangeStart") and root.findall(
        f".//{{{W}}}moveToRangeStart"
    )
    stamped = {
        (mark.get(f"{{{W}}}author"), mark.get(f"{{{W}}}date"))
        for found in marks.values()
        for mark in found
    }
    expected = {
        (name, dt.datetime.fromisoformat(date).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for name, date in AUTHORS[1:]
    }
    assert stamped == expected
    new = resolve.document_xml(tracked(last, last, "new"))
    old = resolve.document_xml(tracked(first, first, "old"))
    for same in (new, old):
        assert not same.findall(f".//{{{W}}}ins") and not same.findall(f".//{{{W}}}del")
    accepted = resolve.paragraph_texts(resolve.resolved(root, accept=True))
    rejected = resolve.paragraph_texts(resolve.resolved(root, accept=False))
    assert body(accepted) == body(resolve.paragraph_texts(new))
    assert body(rejected) == body(resolve.paragraph_texts(old))
