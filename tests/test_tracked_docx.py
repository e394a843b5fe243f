"""The tracked-changes DOCX (issue 13): a comparison's new version with real Word revisions.

Comparisons are built by hand from ``revision.blocks`` and ``textdiff.compare``; the DOCX is read
back with lxml; accepting every change must give exactly the paragraph (and cell) texts the same
writer prints for the new version, rejecting every change those of the old one; LibreOffice opens
it, prints the marks and keeps them through a round trip to DOCX.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from docx.oxml import parse_xml
from docx.oxml.xmlchemy import BaseOxmlElement
from PIL import Image

from tests.conftest import libreoffice_env
from townplans.render.style import load_style
from townplans.revision import resolve, textdiff
from townplans.revision.blocks import blocks
from townplans.revision.model import Block, Comparison, Op, Revision, Step, Version
from townplans.revision.tracked import write_tracked_docx

REPO = Path(__file__).resolve().parent.parent
STYLE = load_style(REPO / "templates/style.yaml")
W = resolve.W
ZHANG = Revision("张三", dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
LI = Revision("李四", dt.datetime(2024, 4, 2, 14, 0, tzinfo=dt.UTC))
ZHANG_DATE, LI_DATE = "2024-03-01T01:30:00Z", "2024-04-02T14:00:00Z"

OLD = """# 第一章 总则

第一条 本规划范围为渭城镇镇区，**规划期限**为2021—2035年。

第二条 本段在修订稿中删除。

## 第一节 用地

用地说明段落。

| 地块 | 面积 |
|---|---|
| A-01 | 1.2公顷 |
| A-02 | 3.4公顷 |

# 第二章 交通

第三条 道路网络由主干路和次干路组成。
"""

NEW = """# 第一章 总则

# 第二章 交通

第三条 道路网络由主干路、次干路和支路组成。

第一条 本规划范围为渭城镇中心镇区，**期限**为2021—2035年。

## 第一节 用地

用地说明段落。

新增的段落，说明用地调整。

| 地块 | 面积 |
|---|---|
| A-01 | 1.5公顷 |
| A-02 | 3.4公顷 |
| A-03 | 2.0公顷 |

![土地利用规划图](fig.png)
"""


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def comparison(old: str = OLD, new: str = NEW) -> Comparison:
    """The fixture's changes, step by step in merged order (new order; the moved section's old
    place where it stood)."""
    o, n = blocks(old, "plan.md"), blocks(new, "plan.md")

    def step(op: Op, before: Block | None, after: Block | None, **more: object) -> Step:
        segments = (
            textdiff.compare(before.text, after.text)
            if op in (Op.MODIFY, Op.MOVE_TO) and before and after
            else ()
        )
        return Step(op, before, after, segments=segments, **more)  # type: ignore[arg-type]

    steps = (
        step(Op.EQUAL, o[0], n[0]),
        step(Op.MOVE_TO, o[6], n[1], move=1, revision=LI),
        step(Op.MOVE_TO, o[7], n[2], move=1, revision=LI),
        step(Op.MODIFY, o[1], n[3], revision=ZHANG),
        step(Op.DELETE, o[2], None, revision=ZHANG),
        step(Op.EQUAL, o[3], n[4]),
        step(Op.EQUAL, o[4], n[5]),
        step(Op.INSERT, None, n[6], revision=LI),
        step(Op.MODIFY, o[5], n[7], revision=ZHANG),
        step(Op.INSERT, None, n[8], revision=LI),
        step(Op.MOVE_FROM, o[6], n[1], move=1, revision=LI),
        step(Op.MOVE_FROM, o[7], n[2], move=1, revision=LI),
    )
    return Comparison("渭城镇总体规划", Version("v1", o, ZHANG), Version("工作区", n), steps)


def as_equal(comparison: Comparison, side: str) -> Comparison:
    """The same two versions, every block of one side unchanged: what the writer prints for it."""
    version = comparison.new if side == "new" else comparison.old
    steps = tuple(Step(Op.EQUAL, block, block) for block in version.blocks)
    return Comparison(comparison.title, comparison.old, comparison.new, steps)


def write(comparison: Comparison, root: Path, name: str) -> BaseOxmlElement:
    path = root / name
    assert write_tracked_docx(comparison, root, path, STYLE, plan=True) == []
    return resolve.document_xml(path)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tracked")
    Image.new("RGB", (300, 200), (200, 60, 60)).save(root / "fig.png")
    return root


@pytest.fixture(scope="module")
def tracked(workspace: Path) -> BaseOxmlElement:
    return write(comparison(), workspace, "修订标记稿.docx")


def revisions(root: BaseOxmlElement, tag: str) -> list[BaseOxmlElement]:
    return list(root.iter(_w(tag)))


def text_of(element: BaseOxmlElement) -> str:
    return "".join(t.text or "" for t in element.iter(_w("t"), _w("delText")))


# -- the marks -----------------------------------------------------------------------------------


def test_every_kind_of_revision_is_written_with_its_author_and_date(
    tracked: BaseOxmlElement,
) -> None:
    inserted = revisions(tracked, "ins")
    deleted = revisions(tracked, "del")
    moved_from, moved_to = revisions(tracked, "moveFrom"), revisions(tracked, "moveTo")
    assert inserted and deleted and moved_from and moved_to
    authors = Counter(
        (e.get(_w("author")), e.get(_w("date")))
        for e in (*inserted, *deleted, *moved_from, *moved_to)
    )
    assert set(authors) == {("张三", ZHANG_DATE), ("李四", LI_DATE)}
    # the moves are 李四's, the edit inside 第一条 and the deleted paragraph 张三's
    assert {(e.get(_w("author")), e.get(_w("date"))) for e in (*moved_from, *moved_to)} == {
        ("李四", LI_DATE)
    }
    text = "".join(t.text or "" for d in deleted for t in d.iter(_w("delText")))
    # in document order; a changed number is deleted and inserted whole (``textdiff``)
    assert text == "规划" + "第二条 本段在修订稿中删除。" + "1.2"


def test_ids_are_unique_and_move_ranges_pair_by_name(tracked: BaseOxmlElement) -> None:
    tags = ("ins", "del", "moveFrom", "moveTo", "moveFromRangeStart", "moveToRangeStart")
    ids = [e.get(_w("id")) for tag in tags for e in revisions(tracked, tag)]
    bookmarks = [e.get(_w("id")) for e in revisions(tracked, "bookmarkStart")]
    assert len(ids) == len(set(ids)) and not set(ids) & set(bookmarks)
    for kind in ("moveFrom", "moveTo"):
        (start,) = revisions(tracked, f"{kind}RangeStart")
        (end,) = revisions(tracked, f"{kind}RangeEnd")
        assert start.get(_w("name")) == "move1" and end.get(_w("id")) == start.get(_w("id"))
    # moved text keeps w:t (ECMA-376 §17.13.5.22); only deleted runs hold w:delText
    sources = [e for e in revisions(tracked, "moveFrom") if e.getparent().tag == _w("p")]
    assert sources and all(s.find(f"{_w('r')}/{_w('t')}") is not None for s in sources)
    assert not [t for s in sources for t in s.iter(_w("delText"))]


def test_paragraph_marks_rows_and_the_drawing_are_marked(tracked: BaseOxmlElement) -> None:
    def mark_of(text: str) -> str:
        for paragraph in tracked.iter(_w("p")):
            if text in text_of(paragraph):
                marks = paragraph.find(f"{_w('pPr')}/{_w('rPr')}")
                found = [] if marks is None else [m.tag.split("}")[1] for m in marks]
                return next(iter(f for f in found if f in ("ins", "del", "moveFrom", "moveTo")), "")
        raise AssertionError(text)

    assert mark_of("第二条 本段在修订稿中删除") == "del"
    assert mark_of("新增的段落") == "ins"
    assert mark_of("土地利用规划图") == "ins"
    assert mark_of("第一条 本规划范围") == ""  # changed inside: its mark stays
    rows = [row.find(f"{_w('trPr')}/{_w('ins')}") is not None for row in tracked.iter(_w("tr"))]
    assert rows == [False, False, False, True]  # A-03 inserted
    drawings = [d for d in tracked.iter(_w("drawing"))]
    assert len(drawings) == 1 and drawings[0].getparent().getparent().tag == _w("ins")


def test_a_deleted_piece_keeps_its_bold_and_inserted_text_stands_in_ins(
    tracked: BaseOxmlElement,
) -> None:
    (paragraph,) = [p for p in tracked.iter(_w("p")) if "第一条" in text_of(p)]
    pieces = [
        (e.tag.split("}")[1], text_of(e), e.find(f"{_w('r')}/{_w('rPr')}/{_w('b')}") is not None)
        for e in paragraph
        if e.tag in (_w("ins"), _w("del"))
    ]  # fmt: skip
    assert pieces == [("ins", "中心", False), ("del", "规划", True)]
    cell = [(text_of(e), text_of(e.getnext())) for e in revisions(tracked, "del") if text_of(e) == "1.2"]  # fmt: skip
    assert cell == [("1.2", "1.5")], "the cell's number deleted, then the new one inserted"


# -- accepting and rejecting ---------------------------------------------------------------------


def test_accepting_every_change_gives_the_new_version(
    tracked: BaseOxmlElement, workspace: Path
) -> None:
    new = write(as_equal(comparison(), "new"), workspace, "new.docx")
    accepted = resolve.paragraph_texts(resolve.resolved(tracked, accept=True))
    assert accepted == resolve.paragraph_texts(new)
    assert "第三条 道路网络由主干路、次干路和支路组成。" in accepted
    assert "第二条 本段在修订稿中删除。" not in accepted


def test_rejecting_every_change_gives_the_old_version(
    tracked: BaseOxmlElement, workspace: Path
) -> None:
    old = write(as_equal(comparison(), "old"), workspace, "old.docx")
    rejected = resolve.paragraph_texts(resolve.resolved(tracked, accept=False))
    assert rejected == resolve.paragraph_texts(old)
    assert rejected.index(
        "第一条 本规划范围为渭城镇镇区，规划期限为2021—2035年。"
    ) < rejected.index("第三条 道路网络由主干路和次干路组成。")


def test_identical_versions_give_no_revision(workspace: Path) -> None:
    same = comparison(NEW, NEW)
    document = write(as_equal(same, "new"), workspace, "same.docx")
    tags = ("ins", "del", "moveFrom", "moveTo", "moveFromRangeStart", "moveToRangeStart")
    assert not [e for tag in tags for e in revisions(document, tag)]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("规划期限为2035年。", "**规划期限**为2035年。"),  # only the formatting changed
        ("道路\\\n网络。", "道路网络。"),  # a hard line break removed
        ("- 主干路\n- 次干路\n", "- 主干路\n- 次干路两条\n- 支路\n"),  # a list item changed, one added
        ("- 主干路\n- 次干路\n", "- 主干路\n- 次干路两条\n"),  # a list item changed inside
        ("| 项目 | 数量 |\n|---|---|\n| 路灯 | 12 |\n| 绿地 | 3 |\n", "| 项目 | 数量 |\n|---|---|\n| 路灯 |  |\n"),
        ("| 项目 | 数量 |\n|---|---|\n| 路灯 | 12 |\n", "| 项目 | 数量 | 备注 |\n|---|---|---|\n| 路灯 | 12 | 新 |\n"),
    ],
    ids=["format-only", "line-break", "list", "list-item", "cell-emptied-row-deleted", "column-added"],
)  # fmt: skip
def test_every_modification_accepts_to_the_new_and_rejects_to_the_old(
    old: str, new: str, tmp_path: Path
) -> None:
    (before,), (after,) = blocks(old, "a.md"), blocks(new, "a.md")
    step = Step(
        Op.MODIFY, before, after, segments=textdiff.compare(before.text, after.text), revision=LI
    )
    changed = Comparison("文档", Version("旧", (before,)), Version("新", (after,)), (step,))
    tracked = write(changed, tmp_path, "t.docx")
    assert resolve.paragraph_texts(resolve.resolved(tracked, True)) == resolve.paragraph_texts(
        write(as_equal(changed, "new"), tmp_path, "new.docx")
    )
    assert resolve.paragraph_texts(resolve.resolved(tracked, False)) == resolve.paragraph_texts(
        write(as_equal(changed, "old"), tmp_path, "old.docx")
    )
    assert revisions(tracked, "ins") or revisions(tracked, "del")


def test_resolve_joins_a_paragraph_whose_mark_goes_and_drops_rows() -> None:
    xml = f"""<w:document xmlns:w="{W}"><w:body>
      <w:p><w:pPr><w:rPr><w:del w:id="1" w:author="a"/></w:rPr></w:pPr>
        <w:r><w:t>留</w:t></w:r><w:del w:id="2" w:author="a"><w:r><w:delText>删</w:delText></w:r></w:del></w:p>
      <w:p><w:ins w:id="3" w:author="a"><w:r><w:t>增</w:t></w:r></w:ins><w:r><w:t>尾</w:t></w:r></w:p>
      <w:tbl><w:tr><w:trPr><w:ins w:id="4" w:author="a"/></w:trPr><w:tc><w:p><w:r><w:t>新行</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
    </w:body></w:document>"""  # fmt: skip
    root = parse_xml(xml)
    assert resolve.paragraph_texts(resolve.resolved(root, True)) == ["留增尾", "新行"]
    assert resolve.paragraph_texts(resolve.resolved(root, False)) == ["留删", "尾"]
    assert resolve.paragraph_texts(root) == ["留删", "增尾", "新行"]  # the original is untouched


# -- LibreOffice -----------------------------------------------------------------------------------


@pytest.mark.slow  # LibreOffice
def test_libreoffice_prints_the_marks_and_keeps_them_through_a_round_trip(
    tracked: BaseOxmlElement, workspace: Path, tmp_path: Path
) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "make test installs libreoffice-writer-nogui"
    source = workspace / "修订标记稿.docx"
    for kind in ("pdf", "docx"):
        subprocess.run(
            [soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
             "--convert-to", kind, "--outdir", str(tmp_path / kind), str(source)],
            check=True, capture_output=True, timeout=180, env=libreoffice_env(tmp_path),
        )  # fmt: skip
    printed = (
        subprocess.run(
            ["pdftotext", str(tmp_path / "pdf" / "修订标记稿.pdf"), "-"],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.replace("\n", "")
        .replace(" ", "")
    )
    # changes are shown by default: deleted and inserted text are both printed
    for shown in ("第二条本段在修订稿中删除。", "新增的段落", "渭城镇中心镇区", "规划期限", "A-03"):
        assert shown in printed
    assert printed.count("第三条道路网络由主干路") == 2  # where it stood and where it stands
    again = resolve.document_xml(tmp_path / "docx" / "修订标记稿.docx")
    kinds = Counter(e.tag.split("}")[1] for e in again.iter(*map(_w, ("ins", "del", "moveFrom", "moveTo"))))  # fmt: skip
    assert kinds["ins"] and kinds["del"] and kinds["moveFrom"] and kinds["moveTo"]

    def words(root: BaseOxmlElement, accept: bool) -> list[str]:
        return [t.strip() for t in resolve.paragraph_texts(resolve.resolved(root, accept)) if t.strip()]  # fmt: skip

    for accept in (True, False):
        assert words(again, accept) == words(tracked, accept)


def test_an_edit_inside_a_list_item_marks_only_the_edit(tmp_path: Path) -> None:
    (before,), (after,) = (
        blocks("- 主干路\n- 次干路\n", "a.md"),
        blocks("- 主干路\n- 次干路两条\n", "a.md"),
    )
    step = Step(Op.MODIFY, before, after, segments=textdiff.compare(before.text, after.text))
    changed = Comparison("文档", Version("旧", (before,)), Version("新", (after,), LI), (step,))
    tracked = write(changed, tmp_path, "t.docx")
    assert [(text_of(e), e.get(_w("author"))) for e in revisions(tracked, "ins")] == [
        ("两条", "李四")
    ]
    assert not revisions(tracked, "del")
