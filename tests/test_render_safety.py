"""Hostile and broken input in the writers: never a hang, a crash or an unbounded grid, and what
is not rendered as written is reported (issue 9, render side). Outputs are read back."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn

from tests.conftest import SHARED, copy_workspace, require_corpora
from townplans import limits, mdparser, pipeline, rawhtml
from townplans.render import documents, pdf, tokens
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.layout import Origin
from townplans.render.pdf import html_to_pdf
from townplans.render.style import css, load_style

REPO = Path(__file__).resolve().parent.parent
STYLE = load_style(REPO / "templates/style.yaml")
CORPORA = SHARED / "corpora"


def write_docx(markdown: str, root: Path) -> tuple[Document, list[str]]:
    writer = DocxWriter(STYLE, root)
    writer.add_markdown(mdparser.parse(markdown), root)
    buffer = io.BytesIO()
    writer.document.save(buffer)
    return docx.Document(io.BytesIO(buffer.getvalue())), [p.message for p in writer.problems]


def render_html(markdown: str, root: Path) -> html_render.RenderedBody:
    return html_render.render_body([html_render.HtmlPart(mdparser.parse(markdown), root, root)])


def write_pdf(markdown: str, root: Path) -> bytes:
    page = html_render.page("t", render_html(markdown, root), css(STYLE), cover=False, toc=False)
    return html_to_pdf(page, {"workspace": root})[0]


# -- tables: one pass, whatever their size ---------------------------------------------------------


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("called while writing a table")


SPANS = (
    '<table><tr><th>序号</th><th colspan="2">名称</th></tr>'
    '<tr><td rowspan="2">1</td><td>甲</td><td>乙</td></tr>'
    '<tr><td colspan="2" align="center">丙<br>丁</td></tr></table>\n'
)


def test_word_tables_are_written_in_one_pass_with_merges_header_and_widths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gfm = "| 序号 | 名称 | 面积 |\n|---|:---:|---:|\n" + "".join(
        f"| {i} | 地块{i} | {i}.5 |\n" for i in range(300)
    )
    with monkeypatch.context() as patched:
        # python-docx's per-cell lookups walk the whole table on every call (quadratic)
        for owner, name in ((docx.table.Table, "cell"), (docx.table._Cell, "merge")):
            patched.setattr(owner, name, _refuse)
        patched.setattr(docx.table.Table, "_cells", property(_refuse))
        document, _ = write_docx(gfm + "\n" + SPANS, tmp_path)
    plain, merged = document.tables
    assert len(plain.rows) == 301 and plain.rows[300].cells[1].text == "地块299"
    assert plain.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert plain.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    assert plain.rows[1]._tr.trPr.find(qn("w:cantSplit")) is not None  # no row split over pages
    assert plain.rows[5].cells[2].paragraphs[0].alignment == 2  # right, as the delimiter row says
    xml = merged._tbl
    rows = xml.tr_lst
    assert [tc.grid_span for tc in rows[0].tc_lst] == [1, 2]
    assert [tc.vMerge for tc in rows[1].tc_lst] == ["restart", None, None]
    assert [(tc.vMerge, tc.grid_span) for tc in rows[2].tc_lst] == [("continue", 1), (None, 2)]
    grid = [int(column.w or 0) for column in xml.tblGrid.gridCol_lst]
    assert rows[0].tc_lst[1].width == grid[1] + grid[2]  # a spanning cell is as wide as its columns
    assert merged.cell(2, 1).text == "丙\n丁"
    assert sum(grid) <= document.sections[0].page_width - document.sections[0].left_margin


def test_pdf_tables_take_their_widths_from_the_colgroup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The automatic table layout measures every cell's min/max content first (a third of the
    time of a 2,000-row table); both writers already agree on the column widths."""
    import weasyprint.layout.table

    monkeypatch.setattr(weasyprint.layout.table, "table_and_columns_preferred_widths", _refuse)
    assert write_pdf("| a | b |\n|---|---|\n| 1 | 2 |\n\n" + SPANS, tmp_path).startswith(b"%PDF")


def _measured(monkeypatch: pytest.MonkeyPatch, markdown: str, root: Path) -> list[str]:
    """The cell texts the table layout measured while both writers wrote ``markdown`` and the
    HTML was rendered twice (for the PDF and for the DOCX's table of contents), in a process
    that had measured nothing before."""
    from townplans.render import layout

    measured: list[str] = []
    original = layout.minimum_em

    def spy(text: str, lexicon: Any = None) -> float:  # the words measured with, if any
        measured.append(text)
        return original(text, lexicon)

    layout.measure.cache_clear()
    monkeypatch.setattr(layout, "minimum_em", spy)
    write_docx(markdown, root)
    render_html(markdown, root)
    render_html(markdown, root)
    return measured


def test_the_table_layout_measures_each_distinct_cell_text_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def table(rows: int) -> str:
        return "| 序号 | 用地 | 面积 |\n|---|---|---:|\n" + "".join(
            f"| {i} | {'R2' if i % 2 else 'G1'} | — |\n" for i in range(rows)
        )

    measured = _measured(monkeypatch, table(500), tmp_path)
    count = len(measured)
    assert sorted(measured) == sorted(
        {"序号", "用地", "面积", "R2", "G1", "—"} | {str(i) for i in range(500)}
    )
    # twice the rows, twice the distinct texts: twice the measuring, never more
    with monkeypatch.context() as again:
        assert len(_measured(again, table(1_000), tmp_path)) == count + 500


# -- table limits: spans, rows and columns -----------------------------------------------------------

HOSTILE = '<table><tr><td rowspan="100000" colspan="100000">x</td></tr></table>\n'


def test_huge_spans_are_clamped_to_the_table_in_both_writers(tmp_path: Path) -> None:
    document, problems = write_docx(HOSTILE, tmp_path)
    [table] = document.tables
    assert len(table.rows) == 1 and len(table.columns) == 1 and table.rows[0].cells[0].text == "x"
    assert any("超过上限 1000" in problem for problem in problems), problems
    body = render_html(HOSTILE, tmp_path)
    assert "<td>x</td>" in body.html and "span" not in body.html
    assert any("超过上限 1000" in problem.message for problem in body.problems)


def test_span_limit_layout_is_linear_in_the_cells() -> None:
    """Every cell of a wide row declares a huge span: the grid stays at the column limit."""
    row = '<td rowspan="9999999" colspan="9999999">x</td>' * 200
    table = rawhtml.parse_table(f"<table><tr>{row}</tr>" + "<tr><td>y</td></tr>" * 10 + "</table>")
    grid = table.grid()
    assert grid.columns == 64 and len(grid.rows) == 11
    messages = [note.message for note in grid.notes]
    assert any("第 65 列起不输出" in m for m in messages) and any(
        "200 个单元格" in m for m in messages
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # a lone title cell spans the table as far as the rows below define it
        ("<tr><td colspan=9>标题</td></tr><tr><td>a</td><td>b</td><td>c</td></tr>", ["3", "111"]),
        # a rowspan stops at the last row
        ("<tr><td rowspan=5>a</td><td>b</td></tr><tr><td>c</td></tr>", ["R1", "C1"]),
        # a colspan stops at a cell a rowspan above already holds
        ("<tr><td>x</td><td rowspan=2>y</td></tr><tr><td colspan=3>z</td></tr>", ["1R", "1C"]),
        # a short row is completed with empty places
        ("<tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>", ["11", "1_"]),
    ],
)
def test_spans_stop_at_the_table_edge(html: str, expected: list[str]) -> None:
    grid = rawhtml.parse_table(f"<table>{html}</table>").grid()

    def shape(slot: rawhtml.Slot) -> str:
        if slot.continued:
            return "C"
        if slot.cell is None:
            return "_"
        return "R" if slot.rowspan > 1 else str(slot.colspan)

    assert ["".join(shape(slot) for slot in row) for row in grid.rows] == expected
    assert all(sum(slot.colspan for slot in row) == grid.columns for row in grid.rows)


def test_html_tables_beyond_the_row_and_column_limits_are_cut(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 3)
    monkeypatch.setattr(limits, "MAX_TABLE_COLUMNS", 2)
    rows = "".join(f"<tr><td>{i}a</td><td>{i}b</td><td>{i}c</td></tr>" for i in range(5))
    markdown = f"正文\n\n<table>\n{rows}\n</table>\n"
    document, problems = write_docx(markdown, tmp_path)
    [table] = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["0a", "0b"],
        ["1a", "1b"],
        ["2a", "2b"],
    ]
    assert any("表格有 5 行，超过上限 3 行" in p for p in problems), problems
    assert any("表格有 3 列，超过上限 2 列" in p for p in problems), problems
    body = render_html(markdown, tmp_path)
    assert "2b" in body.html and "3a" not in body.html and "0c" not in body.html


# -- what the writers report names the place in the sources ------------------------------------------


@pytest.mark.slow
def test_writer_problems_point_at_the_source_file_and_line(tmp_path: Path) -> None:
    """A raw-HTML tag dropped in chapter 3 is reported there (it was reported at chapter 1, the
    document's first file, without a line); one in a template part names the template."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",), reports=1)  # the plan is what counts
    chapter = root / "towns/weicheng/master-plan/03-infrastructure.md"
    text = chapter.read_text(encoding="utf-8")
    table = '<table>\n<tr><td>甲</td>\n<td><font color="red">乙</font></td></tr>\n</table>\n'
    chapter.write_text(text + "\n" + table, encoding="utf-8")
    font_line = len((text + "\n").splitlines()) + 3
    # Without a chapter listing the drawings, the plan gets the generated drawing list.
    listing = root / "towns/weicheng/master-plan/04-implementation.md"
    words = listing.read_text(encoding="utf-8").replace("# 第十章 图纸目录", "# 第十章 附图")
    listing.write_text(words, encoding="utf-8")
    template = root / "templates/documents/drawing-list.md.j2"
    template.write_text(
        template.read_text(encoding="utf-8") + "\n<table><tr><td><u>丙</u></td></tr></table>\n",
        encoding="utf-8",
    )
    outcome = pipeline.run_build(root, ("weicheng",))
    dropped = {
        (f.ref.path, f.ref.line, f.message.split("：", 1)[0])
        for f in outcome.findings
        if f.code == "TP702"
    }
    assert dropped == {
        ("towns/weicheng/master-plan/03-infrastructure.md", font_line, "“渭城镇总体规划.docx”"),
        ("towns/weicheng/master-plan/03-infrastructure.md", font_line, "“渭城镇总体规划.pdf”"),
        ("templates/documents/drawing-list.md.j2", None, "“渭城镇总体规划.docx”"),
        ("templates/documents/drawing-list.md.j2", None, "“渭城镇总体规划.pdf”"),
    }


def test_gfm_tables_beyond_the_row_and_column_limits_are_cut(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 3)
    monkeypatch.setattr(limits, "MAX_TABLE_COLUMNS", 2)
    rows = "".join(f"| {i}a | {i}b | {i}c |\n" for i in range(1, 5))
    markdown = f"正文\n\n| 甲 | 乙 | 丙 |\n|---|---|---|\n{rows}\n之后的段落\n"
    document, problems = write_docx(markdown, tmp_path)
    [table] = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["甲", "乙"],
        ["1a", "1b"],
        ["2a", "2b"],
    ]
    assert "之后的段落" in [p.text for p in document.paragraphs]
    assert problems == [
        "表格有 5 行，超过上限 3 行：第 4 行起不输出",
        "表格有 3 列，超过上限 2 列：第 3 列起不输出",
    ]
    body = render_html(markdown, tmp_path)
    assert "2b" in body.html and "3a" not in body.html and "丙" not in body.html
    assert "之后的段落" in re.sub(r"<[^>]+>", "", body.html)  # its last two kept in a span
    assert [p.message for p in body.problems] == problems


# -- characters XML forbids -----------------------------------------------------------------------------

FORBIDDEN = ["\x07", "\x01", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800"]


def _everywhere(bad: str) -> str:
    """``bad`` in a heading, a paragraph, a GFM cell, an image's alt and title, a link and its
    title, a raw-HTML table cell and a code block (a link target cannot hold one: CommonMark
    leaves such a link as text)."""
    return (
        f"# 第一章 总{bad}则\n\n正文{bad}段落\n第二行\n\n| 表头{bad} | 乙 |\n|---|---|\n| 1 | 2{bad} |\n\n"
        f'![图{bad}](x.png "图名{bad}")\n\n[链接{bad}](https://example.com/ "标题{bad}")\n\n'
        f"<table><tr><td>单元{bad}格</td></tr></table>\n\n```\n代码{bad}\n```\n"
    )


def _spec(markdown: str, root: Path, bad: str) -> documents.DocumentSpec:
    origin = Origin("towns/t/master-plan/01-general.md")
    part = documents.Part(tuple(mdparser.parse(markdown)), root, origin)
    return documents.DocumentSpec(
        "总体规划", f"某镇总体规划{bad}", lambda: (part,), (f"某设计院{bad}",),
        author=f"某镇{bad}", sources=(origin.path or "",),
    )  # fmt: skip


@pytest.mark.parametrize("bad", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_forbidden_characters_are_dropped_from_word_and_reported_once(
    bad: str, tmp_path: Path
) -> None:
    spec = _spec(_everywhere(bad), tmp_path, bad)
    data, problems = documents.to_docx(spec, STYLE, tmp_path, dt.datetime(2023, 9, 1))
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert "某镇总体规划" in texts and "第一章 总则" in texts and "正文段落第二行" in texts
    assert "图【缺：图片 x.png】" in "".join(texts) and "链接" in texts
    assert document.tables[0].rows[0].cells[0].text == "表头"
    assert document.tables[1].rows[0].cells[0].text == "单元格"
    assert document.core_properties.title == "某镇总体规划"
    assert not tokens.FORBIDDEN.search(document.element.xml)
    [dropped] = [p for p in problems if p.code == "TP707"]
    assert str(dropped.ref) == "towns/t/master-plan/01-general.md:1"
    assert f"U+{ord(bad):04X}" in dropped.message


@pytest.mark.parametrize("bad", ["\x07", "\ud800"], ids=["BEL", "lone-surrogate"])
def test_forbidden_characters_are_dropped_from_the_pdf(bad: str, tmp_path: Path) -> None:
    spec = _spec(_everywhere(bad), tmp_path, bad)
    html, problems = documents.to_html(spec, STYLE, tmp_path)
    data, _ = html_to_pdf(html, {"workspace": tmp_path})
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    for expected in ("某镇总体规划", "第一章 总则", "正文段落", "表头", "单元格", "链接", "代码"):
        assert expected in text
    assert [str(p.ref) for p in problems if p.code == "TP707"] == [
        "towns/t/master-plan/01-general.md:1"
    ]


def test_forbidden_characters_in_front_matter_alone_are_reported_at_the_document(
    tmp_path: Path,
) -> None:
    spec = _spec("正文\n", tmp_path, "\x07")
    _, problems = documents.to_docx(spec, STYLE, tmp_path, dt.datetime(2023, 9, 1))
    assert [str(p.ref) for p in problems] == ["towns/t/master-plan/01-general.md"]


def test_forbidden_characters_in_a_generated_part_name_its_template(tmp_path: Path) -> None:
    templates = documents.Templates(REPO / "templates/documents")
    part = templates.part("missing-sections.md.j2", tmp_path, missing=["建设\x07标准"])
    writer = DocxWriter(STYLE, tmp_path)
    writer.add_markdown(part.tokens, part.base_dir, part.origin)
    assert "建设标准" in [p.text for p in writer.document.paragraphs]
    assert [str(p.ref) for p in writer.problems] == ["templates/documents/missing-sections.md.j2"]


def test_albums_never_break_on_forbidden_characters(tmp_path: Path) -> None:
    """A file name or a photos.yaml caption holding a control character (the loader reports it as
    TP014): the album is still made, without it."""
    from townplans.render import album
    from townplans.render.images import Prepared

    bad = "\x07"
    photo = album.AlbumPhoto(
        f"towns/t/projects/p/photos/before/前{bad}.jpg", "before", None, f"东{bad}段",
        f"说明{bad}", Prepared(None, error="无法读取"),
    )  # fmt: skip
    project = album.AlbumProject(
        f"项目{bad}", "p1", [("责任领导", f"张{bad}三")], pairs=[(photo, None)]
    )
    model = album.Album(f"某镇观摩图册{bad}", f"某区{bad}", [project])
    document = docx.Document(io.BytesIO(album.album_docx(model, STYLE, tmp_path)))
    texts = [p.text for p in document.paragraphs]
    assert "某镇观摩图册" in texts and "项目" in texts
    assert document.tables[0].rows[0].cells[1].text == "张三"
    page = album.album_html(model, STYLE, tmp_path)
    assert "某镇观摩图册" in page and "东段" in page and not tokens.FORBIDDEN.search(page)


# -- long lines: line breaking stays linear -------------------------------------------------------------


def test_long_unbreakable_lines_are_laid_out_from_a_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """WeasyPrint is never handed the whole rest of a paragraph to find one line (it used to be,
    for every line of a run without break opportunities: quadratic)."""
    from weasyprint.text import line_break

    longest = 0
    original = line_break.split_first_line

    def spy(text: str, *args: object, **kwargs: object) -> object:
        nonlocal longest
        longest = max(longest, len(text))
        return original(text, *args, **kwargs)

    monkeypatch.setattr("weasyprint.layout.inline.split_first_line", spy)
    markdown = "a" * 30_000 + "\n\n| 甲 | 乙 |\n|---|---|\n| " + "b" * 5_000 + " | 丙 |\n"
    data = write_pdf(markdown, tmp_path)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    assert "".join(text.split()).count("a") == 30_000
    assert longest < 2_000, longest


def _line_boxes(html: str, root: Path) -> list[tuple[str, float, float, float]]:
    """(text, x, y, width) of every text box WeasyPrint laid out."""
    import weasyprint
    from weasyprint.formatting_structure.boxes import TextBox

    document = weasyprint.HTML(string=html, url_fetcher=pdf.make_fetcher({"workspace": root}))
    return [
        (box.text, round(box.position_x, 3), round(box.position_y, 3), round(box.width, 3))
        for page in document.render().pages
        for box in page._page_box.descendants()
        if isinstance(box, TextBox)
    ]


def test_bounded_line_breaking_lays_out_exactly_as_weasyprint_does(tmp_path: Path) -> None:
    """Same line boxes with and without the window, for ordinary text (Chinese and Latin, a long
    URL, words just wider than the line, a narrow table) and a long run."""
    require_corpora()
    markdown = (
        (CORPORA / "markdown-zh/gbt9704-2012-summary.md").read_text(encoding="utf-8")
        + "\n\n参见 https://www.mohurd.gov.cn/gongkai/zhengce/zhengcefilelib/202305/20230530_772155.html"
        " 以及 telecommunications internationalization。\n\n"
        + " ".join(["m" * 40] * 20)
        + "\n\n|" + " 列 |" * 12 + "\n|" + "---|" * 12 + "\n|" + " 规划用地布局 |" * 12 + "\n\n"
        + "x" * 3_000 + "\n\n```\n" + "y" * 2_000 + "\n```\n"
    )  # fmt: skip
    page = html_render.page(
        "t", render_html(markdown, tmp_path), css(STYLE), cover=False, toc=False
    )
    with pdf.bounded_line_breaking():
        windowed = _line_boxes(page, tmp_path)
    assert windowed == _line_boxes(page, tmp_path)
    assert len(windowed) > 500


# -- long Chinese runs reach WeasyPrint in pieces ------------------------------------------------------------

PARAGRAPH_ZH = (
    "为落实区委、区政府小城镇建设部署，引导渭城镇镇区有序扩展（2021—2035年），统筹镇域产业、居住、"
    "生态空间，修编本规划。用地面积12.5公顷，道路 road 长 1,200 米；“双引号”《书名》。"
)


def test_a_long_text_is_cut_into_pieces_only_between_two_ideographs() -> None:
    text = (PARAGRAPH_ZH * 120)[:9_000]
    html = html_render.in_pieces(text)
    pieces = html.removeprefix("<span>").removesuffix("</span>").split("</span><span>")
    assert "".join(pieces) == text and len(pieces) > 4
    assert all(len(piece) >= html_render.RUN_PIECE_CHARS for piece in pieces)
    for before, after in itertools.pairwise(pieces):
        assert "\u4e00" <= before[-1] <= "\u9fff" and "\u4e00" <= after[0] <= "\u9fff"
    assert html_render.in_pieces(text[: html_render.LONG_RUN_CHARS]) == text[:2_000]
    assert html_render.in_pieces("a" * 50_000) == "a" * 50_000  # no place a line breaks anyway
    assert html_render.in_pieces("&lt;" * 5_000) == "&lt;" * 5_000  # never inside an entity


def test_weasyprint_takes_lines_from_pieces_not_from_the_whole_paragraph(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """WeasyPrint encodes a text box's whole text again for each line it takes from it: a box is
    never much longer than ``LONG_RUN_CHARS``, in a paragraph, a table cell or a code block, so
    a line costs the same however long its paragraph (it was quadratic: 170,000 characters 9 s,
    half of them 2.8 s)."""
    from weasyprint.layout import inline

    longest = 0
    original = inline.split_text_box

    def spy(context: object, box: object, *args: object, **kwargs: object) -> object:
        nonlocal longest
        longest = max(longest, len(getattr(box, "text", "")))
        return original(context, box, *args, **kwargs)

    monkeypatch.setattr(inline, "split_text_box", spy)
    long_zh = "规划" * 10_000
    markdown = f"{long_zh}\n\n| 甲 | 乙 |\n|---|---|\n| {long_zh} | 丙 |\n\n```\n{long_zh}\n```\n"
    text = subprocess.run(
        ["pdftotext", "-", "-"],
        input=write_pdf(markdown, tmp_path),
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    assert text.count("规") == text.count("划") == 3 * 10_000  # every character printed
    assert 0 < longest <= html_render.LONG_RUN_CHARS + html_render.RUN_PIECE_CHARS, longest


def _lines(html: str, root: Path) -> list[tuple[str, float]]:
    """(text, y) of every line WeasyPrint laid out."""
    import weasyprint
    from weasyprint.formatting_structure.boxes import LineBox, TextBox

    document = weasyprint.HTML(string=html, url_fetcher=pdf.make_fetcher({"workspace": root}))
    return [
        ("".join(b.text for b in line.descendants() if isinstance(b, TextBox)), line.position_y)
        for page in document.render().pages
        for line in page._page_box.descendants()
        if isinstance(line, LineBox)
    ]


def test_pieces_break_into_the_same_lines_as_the_whole_text(tmp_path: Path) -> None:
    text = (PARAGRAPH_ZH * 100)[:8_000]
    whole, cut = (
        html_render.page(
            "t", html_render.RenderedBody(f"<p>{body}</p>"), css(STYLE), cover=False, toc=False
        )
        for body in (text, html_render.in_pieces(text))
    )
    assert cut != whole
    lines = _lines(whole, tmp_path)
    assert len(lines) > 100
    assert _lines(cut, tmp_path) == lines


# -- values from YAML print exactly as written ------------------------------------------------------------

TRICKY = [
    "__class__", "*斜体*", "[链接](https://example.com)", "<b>粗</b>", "# 不是标题", "1. 不是列表",
    "- 也不是", "> 不是引用", "a|b", "\\newpage", "::: cover", "&amp;", "`代码`", "~~删除~~",
    "脚注[^1]", "---", "C:\\路径\\文件", "![图](x.png)",
]  # fmt: skip


def _generated_parts(root: Path) -> list[documents.Part]:
    templates = documents.Templates(REPO / "templates/documents")
    head = templates.part(
        "gongwen-head.md.j2", root, mark=TRICKY[0] + "文件", title=TRICKY[15],
        doc_number=TRICKY[4], recipient=TRICKY[3] + "：", signers=(),
    )  # fmt: skip
    form = {
        "name": TRICKY[5],
        "form": [{"label": f"字段{i}", "value": value} for i, value in enumerate(TRICKY)],
        "funding": [{"source": TRICKY[8], "amount": TRICKY[1]}],
        "funding_total": "",
        "permits": [{"label": "用地", "status": TRICKY[9]}],
    }
    brief = templates.part("project-brief.md.j2", root, p=form)
    summary = documents.md_table(["镇", "说明"], [[TRICKY[2], TRICKY[6]]])
    return [head, brief, documents.Part(tuple(mdparser.parse(summary)), root, Origin())]


def test_values_from_yaml_print_exactly_as_written_in_word_and_pdf(tmp_path: Path) -> None:
    parts = _generated_parts(tmp_path)
    writer = DocxWriter(STYLE, tmp_path)
    for part in parts:
        writer.add_markdown(part.tokens, part.base_dir, part.origin)
    cells = [c.text for t in writer.document.tables for row in t.rows for c in row.cells]
    paragraphs = [p.text for p in writer.document.paragraphs]
    assert [value for value in TRICKY if value not in cells] == []
    assert {TRICKY[0] + "文件", TRICKY[4], TRICKY[15], TRICKY[3] + "：", TRICKY[5]} <= set(
        paragraphs
    )
    assert not writer.document.inline_shapes and len(writer.document.tables) == 4
    body = html_render.render_body(
        [html_render.HtmlPart(p.tokens, p.base_dir, tmp_path, p.origin) for p in parts]
    )
    page = html_render.page("t", body, css(STYLE), cover=False, toc=False)
    data, _ = html_to_pdf(page, {"workspace": tmp_path})
    text = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    squeezed = "".join(text.split())
    assert [value for value in TRICKY if "".join(value.split()) not in squeezed] == []
    assert "<b>" not in body.html.replace("&lt;b&gt;", "") and "<a " not in body.html
