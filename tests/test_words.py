"""Words kept whole in table cells (issue 22, point 1): the segmenter with the workspace's terms,
each column at least as wide as its longest word, no line of a cell breaking inside a word —
read back from the pages of the sample district's documents, in the WeasyPrint PDF and in
LibreOffice's PDF of the DOCX — and the segmenter never loaded by ``check``."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.table import CT_Tc
from docx.oxml.xmlchemy import BaseOxmlElement

from tests.conftest import copy_workspace
from tests.test_table_layout import (
    Fragment,
    _district_documents,
    _line_pairs,
    cell_texts,
    fragments,
)
from townplans import mdparser
from townplans.render import html as html_render
from townplans.render import ooxml
from townplans.render.documents import DocumentSpec, workspace_terms
from townplans.render.docx import DocxWriter
from townplans.render.layout import (
    gfm_table_texts,
    kept_in_body,
    kept_together,
    kept_with_previous,
    line_breaks,
    minimum_em,
    natural_em,
    table_label,
    table_lines,
)
from townplans.render.style import Style, css, load_style
from townplans.render.words import Lexicon, words

REPO = Path(__file__).resolve().parent.parent
STYLE: Style = load_style(REPO / "templates/style.yaml")
LEXICON = Lexicon.of(["滨河路", "西屯村", "窑店老街", "重点景观建设区外围"])

# -- the segmenter ---------------------------------------------------------------------------------


def test_the_funding_sources_are_words_a_cell_keeps_whole() -> None:
    """Review S2: “部门 / 资金280”, “镇 / 自筹200” in a 公文 附件's 资金来源 column."""
    from townplans.profile import load_profile

    profile = load_profile(REPO / "templates" / "profile.yaml", REPO).profile
    assert profile is not None
    terms = workspace_terms(profile, ())
    assert {"部门资金", "镇自筹", "社会资本", "上级补助"} <= set(terms)
    lexicon = Lexicon.of(terms)
    found = words("部门资金280；镇自筹200", lexicon)
    assert found[0] == "部门资金" and "镇自筹" in found


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("镇区集中供水管网延伸工程", "管网"),
        ("中心卫生院门诊楼改造工程", "门诊楼"),
        ("计划总投资（万元）", "总投资"),
    ],
)
def test_the_trades_vocabulary_keeps_its_words_whole(name: str, word: str) -> None:
    """Review T1: the dictionary alone split “镇区集中供水管 / 网延伸工程” and “中心卫生院门诊 /
    楼改造工程” in the 通报's cells, and “计划总 / 投资” in a head; the profile's vocabulary
    is part of every document's lexicon."""
    from townplans.profile import load_profile

    profile = load_profile(REPO / "templates" / "profile.yaml", REPO).profile
    assert profile is not None
    assert word in words(name, Lexicon.of(workspace_terms(profile, ())))
    assert word not in words(name, Lexicon.of(()))  # the dictionary alone parts it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("滨河路道路改造工程", ["滨河路", "道路", "改造", "工程"]),
        ("重点景观建设区", ["重点", "景观", "建设", "区"]),
        ("人均道路面积", ["人均", "道路", "面积"]),
        ("西屯村安置区", ["西屯村", "安置", "区"]),
    ],
)
def test_the_segmenter_finds_the_words_of_the_issue(text: str, expected: list[str]) -> None:
    assert words(text, LEXICON) == expected


def test_a_workspace_term_is_one_word_and_a_long_title_is_not() -> None:
    assert "西屯村" in LEXICON.terms and "窑店老街" in LEXICON.terms
    assert "重点景观建设区外围" not in LEXICON.terms  # longer than a word: would widen a column
    assert Lexicon.of(["b", "R2", "滨河路", " 滨河路 "]).terms == ("滨河路",)
    # The lexicon decides the words: without the term “西屯村” is not held together.
    assert 2 in LEXICON.inside("西屯村") and 1 in LEXICON.inside("西屯村")


def test_a_columns_minimum_is_its_longest_word() -> None:
    assert minimum_em("滨河路道路改造工程") == 1.0  # without words: any character
    assert minimum_em("滨河路道路改造工程", LEXICON) == 3.0
    assert minimum_em("区级财政650万元", LEXICON) == pytest.approx(minimum_em("650万元"))
    assert minimum_em("建筑控制高度（米）", LEXICON) == 3.0  # “（米）” is one piece


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("滨河路道路改造工程", 4, ["滨河路", "道路改造", "工程"]),
        ("重点景观建设区", 4, ["重点景观", "建设区"]),
        ("区级财政650万元", 4, ["区级财政", "650万元"]),
        ("建筑控制高度（米）", 5, ["建筑控制", "高度（米）"]),
        ("一、建设目标", 3, ["一、", "建设", "目标"]),
        # review30: the last character goes down with the word before it, not alone
        ("接入渭城镇污水处理站。", 9.5, ["接入渭城镇", "污水处理站。"]),
        ("窑店街至北环路段）", 8, ["窑店街至", "北环路段）"]),
    ],
)
def test_lines_break_between_words(text: str, width: float, lines: list[str]) -> None:
    breaks = [0, *line_breaks(text, width, LEXICON), len(text)]
    assert [text[a:b] for a, b in itertools.pairwise(breaks)] == lines


# -- the writers -----------------------------------------------------------------------------------

NARROW = (
    "| 项目名称 | 建设内容 | 完成时限 | 形象进度 | 责任领导 | 资金来源 |\n"
    "|---|---|---|---|---|---|\n"
    "| 滨河路道路改造工程 | 重点景观建设区外立面整治，人均道路面积提高 | 2024年12月 | 完成 | 张三 "
    "| 区级财政650万元 |\n"
)


def _html(markdown: str, lexicon: Lexicon | None) -> str:
    page = html_render.TablePage(60.0, 120.0, 12.0, lexicon=lexicon)
    return html_render.render_body(
        [html_render.HtmlPart(mdparser.parse(markdown), Path(), Path())], page
    ).html


def test_the_html_keeps_the_words_of_a_wrapping_cell_in_nowrap_spans() -> None:
    html = _html(NARROW, LEXICON)
    assert '<span class="nobr">道路</span>' in html and '<span class="nobr">改造</span>' in html
    assert "<td>张三</td>" in html  # a cell on one line needs no span
    plain = re.sub(r"<[^>]+>", "", html)
    assert "滨河路道路改造工程" in plain and "\u2060" not in plain  # nothing invisible added
    without = _html(NARROW, None)
    assert '<span class="nobr">道路</span>' not in without


def test_a_wrapping_cells_last_character_stays_with_the_word_before_it() -> None:
    """review30 (“污水处理” / “站”): the HTML holds the cell's last character to the word before
    it, where the Word writer's model of the lines moves it down with that word; not when the
    two would not fit the cell's line."""
    html = html_render.kept_html("接入渭城镇污水处理站", LEXICON, 9.5)
    assert '<span class="nobr">污水处理站</span>' in html
    assert "污水处理站" not in html_render.kept_html("接入渭城镇污水处理站", LEXICON, 4.5)
    assert '<span class="nobr">处理站</span>' in html_render.kept_html("处理站", LEXICON, 9.5)


def _cell(text: str) -> CT_Tc:
    return parse_xml(
        f"<w:tc {nsdecls('w')}><w:p><w:r><w:t>{text[:4]}</w:t></w:r>"
        f"<w:r><w:rPr><w:b/></w:rPr><w:t>{text[4:]}</w:t></w:r></w:p></w:tc>"
    )


def test_the_docx_cell_breaks_its_lines_between_words() -> None:
    cell = _cell("滨河路道路改造工程")
    ooxml.break_between_words(cell, 4.0, LEXICON)
    lines = "".join(
        "\n" if child.tag == qn("w:br") else child.text or ""
        for child in cell.iter(qn("w:t"), qn("w:br"))
    ).split("\n")
    assert lines == ["滨河路", "道路改造", "工程"]
    assert cell.findall(f".//{qn('w:b')}")  # the runs keep their formatting
    fits = _cell("滨河路道路")
    ooxml.break_between_words(fits, 6.0, LEXICON)
    assert not fits.findall(f".//{qn('w:br')}")  # a cell on one line is left as it is


def test_no_docx_break_where_a_run_written_whole_starts() -> None:
    """“26.4%（未达标）” in a column too narrow for it: the PDF breaks before “（未达标）”, a run
    written whole (joined, ``UNBROKEN_LANGUAGE``); Word and LibreOffice break there too, so the
    cell gets no ``w:br`` and its text reads as one (a break inside a plain run still comes)."""
    cell = parse_xml(f"<w:tc {nsdecls('w')}><w:p><w:r><w:t>26.4%</w:t></w:r></w:p></w:tc>")
    (paragraph,) = cell.findall(qn("w:p"))
    whole = paragraph.add_r()
    ooxml.add_unbroken_text(whole, "（未达标）")
    ooxml.break_between_words(cell, 4.0, LEXICON)
    assert not cell.findall(f".//{qn('w:br')}")
    plain = _cell("滨河路道路（未达标）")
    ooxml.break_between_words(plain, 4.0, LEXICON)
    assert plain.findall(f".//{qn('w:br')}")


# -- check never loads the segmenter ---------------------------------------------------------------


def test_check_never_imports_the_segmenter(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    script = (
        "import sys; from pathlib import Path; from townplans import pipeline\n"
        "pipeline.run_check(Path(sys.argv[1]))\n"
        "print('rjieba' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(root)],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert run.stdout.strip() == "False", run.stdout


# -- the pages --------------------------------------------------------------------------------------


def word_splits(pdf: Path, cells: Sequence[str], lexicon: Lexicon) -> list[str]:
    """Each place in ``pdf`` where a table cell's line ends inside a word of ``lexicon``: two
    lines, one below the other, that follow each other in one cell's text."""
    lines = fragments(pdf)
    squeezed = [re.sub(r"\s+", "", text) for text in cells]
    whole = set(squeezed)
    found: list[str] = []
    for above, below in _line_pairs(lines):
        joined = above.text + below.text
        if above.text in whole and below.text in whole:
            continue  # two cells
        for text in squeezed:
            at = text.find(joined)
            if at >= 0:
                if at + len(above.text) in lexicon.inside(text):
                    found.append(f"第 {above.page} 页“{above.text[-6:]}/{below.text[:6]}”")
                break
    return found


def _documents(root: Path) -> list[tuple[str, tuple[str, ...], Lexicon]]:
    made = []
    for spec in _district_documents(root):
        assert spec.lexicon is not None, spec.name
        cells = tuple(text for part in spec.parts for text in cell_texts(part.tokens))
        if any(natural_em(text) > 4 for text in cells):
            made.append((spec.name, cells, spec.lexicon))
    return made


def _splits(root: Path, folder: Path | None) -> dict[str, list[str]]:
    found = {}
    for name, cells, lexicon in _documents(root):
        (pdf,) = (root / "build").rglob(f"{name}.pdf")
        if folder is not None:
            pdf = folder / pdf.name
        if splits := word_splits(pdf, cells, lexicon):
            found[name] = splits
    return found


def _progress_documents(root: Path) -> list[DocumentSpec]:
    """The latest 周报 of each town and the latest 通报, as ``townplans build`` assembles them."""
    from townplans import pipeline, targets

    session, result = pipeline.run_check(root)
    graph = targets.Graph(session, load_style(session.paths.style), result)
    reports = [graph.report_specs(town)[-1] for town in graph.towns() if town.reports]
    return [*reports, graph.bulletin(graph.reported_weeks()[-1])[0]]


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_no_cell_of_a_progress_document_breaks_inside_a_word(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    """Review F31, R27: the 周报 and 通报 had no lexicon, and their cells broke anywhere
    (“整理竣工资 / 料”, “镇区垃圾中转站建设项 / 目”)."""
    specs = _progress_documents(built_district)
    assert len(specs) == 7  # six towns' 周报 and the 通报
    found = {}
    for spec in specs:
        assert spec.lexicon is not None, spec.name
        cells = tuple(text for part in spec.parts for text in cell_texts(part.tokens))
        if splits := word_splits(
            _pdfs(built_district, spec, district_word_pdfs if word else None), cells, spec.lexicon
        ):
            found[spec.name] = splits
    assert not found, found


@pytest.mark.slow
def test_no_table_line_breaks_inside_a_word_in_the_pdf(built_district: Path) -> None:
    assert len(_documents(built_district)) >= 10
    found = _splits(built_district, None)
    assert not found, found


@pytest.mark.slow
def test_no_table_line_breaks_inside_a_word_in_libreoffices_pdf(
    built_district: Path, district_word_pdfs: Path
) -> None:
    found = _splits(built_district, district_word_pdfs)
    assert not found, found


# -- rows and body text kept together ---------------------------------------------------------------

TOTALS = (
    "| 来源 | 金额 |\n|---|---|\n| 上级补助 | 800 |\n| 区级财政 | 650 |\n| 镇自筹 | 400 |\n"
    "| 合计 | 1850 |\n"
)


def test_a_total_row_keeps_two_data_rows_on_its_page() -> None:
    rows = [["来源", "金额"], *([f"来源{n}", str(n)] for n in range(1, 9))]
    assert kept_with_previous(rows) == {2, 3, 8}  # three rows at the foot, two overleaf
    assert kept_with_previous([*rows, ["合计", "36"]]) == {2, 3, 8, 9}
    assert kept_with_previous([*rows[:2], ["总计", "1"]]) == {2}  # one data row: with it
    assert kept_with_previous([["合计", "金额"], *rows[1:]]) == {2, 3, 8}  # a header
    tall = [["来源", "金额"], *([f"来源{n}", "\n".join("1234")] for n in range(1, 9))]
    assert kept_with_previous([*tall, ["合计", "36"]], 1, [4.0, 4.0]) == {8, 9}  # tall: totals


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_a_table_of_four_rows_or_fewer_is_never_split(count: int) -> None:
    """Review F30, R22: a town's table of two to four rows in the 通报's 附件1 was split 2 + 1,
    3 + 1 and 2 + 2."""
    rows = [["来源", "金额"], *([f"来源{n}", str(n)] for n in range(count))]
    assert kept_with_previous(rows) == set(range(2, count + 1))


def test_a_split_leaves_three_rows_at_the_foot_and_two_overleaf() -> None:
    """Five rows part three and two at most (review R19: the 考核评分表's 2 + 3), rather than
    leave half a page blank above them (the issue's 控规 page 3)."""
    rows = [["来源", "金额"], *([f"来源{n}", str(n)] for n in range(5))]
    kept = kept_with_previous(rows)
    breaks = [index for index in range(2, len(rows)) if index not in kept]
    assert breaks == [4]  # before the 4th data row of five


def test_a_tall_table_keeps_only_its_total_with_two_rows() -> None:
    """The 公文 附件's 项目一览表: rows of five lines in a column eight ems wide. Kept whole it
    would not fit its page with its title, which would stand alone on the page before."""
    scope = "改造市场交易棚2800㎡，新建停车场4200㎡（160个泊位），更新给排水、电力和消防设施"
    rows = [["序号", "建设规模及内容"], *([str(n), scope] for n in range(1, 4)), ["合计", "—"]]
    assert table_lines(rows, [2.0, 8.0], 1) == 3 * 6 + 1
    assert kept_with_previous(rows, 1, [2.0, 8.0]) == {3, 4}  # the total and the row above
    assert kept_with_previous(rows, 1, [2.0, 40.0]) == {2, 3, 4}  # one line a row: whole


def test_a_table_with_a_note_keeps_its_last_rows_together() -> None:
    """The note under a table keeps the table's last row on its page; the row above comes along,
    whatever the table's length, so a break never leaves one row alone over the page."""
    rows = [["指标", "目标"], *([f"指标{n}", "≥100%"] for n in range(20))]
    assert kept_with_previous(rows) == frozenset()  # a long table: any break will do
    assert kept_with_previous(rows, noted=True) == {20}  # the last row stays with the one above


def test_both_writers_keep_the_total_with_the_rows_above_it() -> None:
    html = _html(TOTALS, None)
    assert html.count('<tr class="keep">') == 3  # the 2nd row; the total and the one above
    assert re.search(r'<tr class="keep">\s*<td>镇自筹', html)
    writer = DocxWriter(STYLE, Path())
    writer.add_markdown(mdparser.parse(TOTALS), Path())
    rows = writer.document.tables[0].rows
    kept = [
        all(p.paragraph_format.keep_with_next for c in r.cells for p in c.paragraphs) for r in rows
    ]
    assert kept == [False, True, True, True, False]  # the rows before 区级财政, 镇自筹, 合计


LABELLED = "**资金来源**\n\n| 来源 | 金额 |\n|---|---:|\n| 【缺：资金来源】 | — |\n| 合计 | — |\n"


def test_both_writers_keep_a_tables_bold_label_with_it() -> None:
    assert '<p class="table-label"><strong>资金来源</strong></p>' in _html(LABELLED, None)
    assert "<p><strong>资金来源</strong></p>" in _html("**资金来源**\n\n正文。\n", None)
    assert "table-label" not in _html("**资金**来源\n\n| a |\n|---|\n| 1 |\n", None)
    assert ".table-label { break-after: avoid; }" in css(STYLE)
    writer = DocxWriter(STYLE, Path())
    writer.add_markdown(mdparser.parse(f"**报建手续**\n\n正文。\n\n{LABELLED}"), Path())
    labels = [p for p in writer.document.paragraphs if p.text in ("报建手续", "资金来源")]
    assert [p.paragraph_format.keep_with_next for p in labels] == [None, True]


WIDE = (  # seven dates that never break: wider than the portrait text block, not the landscape
    "| " + " | ".join(f"列{i}" for i in range(7)) + " |\n|" + "---|" * 7 + "\n| "
    + " | ".join("2023年9月25日" for _ in range(7)) + " |\n"
)  # fmt: skip


def test_a_heading_goes_onto_the_landscape_page_of_its_table_in_both_writers() -> None:
    markdown = f"正文。\n\n## 二、指标\n\n{WIDE}\n## 三、投资\n\n正文。\n"
    html = _html(markdown, None)
    assert '<div class="landscape"><h2 id="h1">二、指标</h2>' in html
    assert html.count('<div class="landscape">') == 1 and '<h2 id="h2">三、投资' in html
    assert html.index("</table>\n</div>") < html.index("三、投资")
    writer = DocxWriter(STYLE, Path())
    writer.add_markdown(mdparser.parse(markdown), Path())
    sections = writer.document.sections
    assert [s.orientation for s in sections] == [0, 1, 0]  # portrait, landscape, portrait
    body = writer.document.element.body
    turns = [i for i, e in enumerate(body) if e.find(".//" + qn("w:sectPr")) is not None]
    texts = ["".join(t.text or "" for t in e.iter(qn("w:t"))) for e in body]
    heading = texts.index("二、指标")
    assert turns[0] < heading < turns[1] < texts.index("三、投资")  # on the landscape section
    # a heading before a table that fits the portrait page stays where it is
    narrow = DocxWriter(STYLE, Path())
    narrow.add_markdown(mdparser.parse(f"## 二、指标\n\n{TOTALS}"), Path())
    assert len(narrow.document.sections) == 1
    assert '<div class="landscape">' not in _html(f"## 二、指标\n\n{TOTALS}", None)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("用地108㎡，符合", "108㎡，"),
        ("沿线，22公顷）、重点", "22公顷）、"),
        ("投资680万元", "680万元"),
        ("设置9个停车场", "9个"),
        ("规划期限2023—2035年。", "2023—2035年。"),
        ("项目按期推进25分，进度按时报送", "25分，"),
    ],
)
def test_body_text_keeps_numbers_units_and_ranges_whole(text: str, whole: str) -> None:
    assert (whole, True) in kept_in_body(text)


def test_a_date_in_body_text_may_break_after_its_year_and_month() -> None:
    """Each number stays with its unit, as Word breaks a date (digits may not end its line, 年
    and 月 may); a whole date kept on one line spread the line before it (review28 #3). A
    table's cell keeps the date whole."""
    text = "于2023年9月15日完工"
    assert [piece for piece, kept in kept_in_body(text) if kept] == ["2023年", "9月", "15日"]
    assert ("2023年9月15日", True) in kept_together(text)


def test_a_codes_hyphen_in_body_text_does_not_break() -> None:
    """Review R8: LibreOffice parted “BD-” / “05”. The hyphen is Word's non-breaking hyphen,
    as in a table's cells; the text reads the same."""
    writer = DocxWriter(STYLE, Path())
    writer.add_markdown(mdparser.parse("ZL-04地块建设周陵文化广场，管径DN400—DN600。\n"), Path())
    paragraph = writer.document.paragraphs[-1]
    assert paragraph._p.xml.count("<w:noBreakHyphen/>") == 1
    shown = "".join(
        "-" if child.tag == qn("w:noBreakHyphen") else (child.text or "")
        for run in paragraph._p.iter(qn("w:r"))
        for child in run
        if child.tag in (qn("w:t"), qn("w:noBreakHyphen"))
    )
    assert shown == "ZL-04地块建设周陵文化广场，管径DN400—DN600。"


def test_a_paragraphs_last_line_holds_two_characters() -> None:
    assert kept_in_body("建筑高度不超过十二米。", last=True)[-1] == ("二米。", True)
    assert kept_in_body("建筑高度不超过十二米。")[-1] == ("建筑高度不超过十二米。", False)
    html = _html("规划范围东至文王路，西至西环路，建筑高度不超过十二米。\n", None)
    assert '<span class="nobr">二米<span class="hang">。</span></span></p>' in html
    writer = DocxWriter(STYLE, Path())
    writer.add_markdown(mdparser.parse("建设用地108㎡，建筑高度不超过十二米。\n"), Path())
    # Word's body text is the text: no WORD JOINER a reader would copy (issue 22, point 6).
    assert writer.document.paragraphs[-1].text == "建设用地108㎡，建筑高度不超过十二米。"


def _line_breaking_sets(settings: BaseOxmlElement) -> dict[str, str]:
    return {
        child.tag.split("}")[1]: f"{child.get(qn('w:lang'))}:{child.get(qn('w:val'))}"
        for child in settings
        if child.tag in (qn("w:noLineBreaksAfter"), qn("w:noLineBreaksBefore"))
    }


def test_word_keeps_a_number_on_the_line_of_its_unit_by_its_own_rules() -> None:
    """Word's custom sets for Chinese: no line ends with a digit or a range dash, so “680万元”
    and “2023—2035年” are not parted, with the body text left as written (no WORD JOINER);
    its own sets otherwise (no line starts with “，” or “）”, none ends with “（”).
    LibreOffice 7.4 does not read these settings (``ooxml.keep_numbers_with_units``)."""
    writer = DocxWriter(STYLE, Path())
    writer.add_markdown(mdparser.parse("投资680万元，规划期限2023—2035年。\n"), Path())
    settings = writer.document.settings.element
    sets = _line_breaking_sets(settings)
    after, before = sets["noLineBreaksAfter"], sets["noLineBreaksBefore"]
    assert after.startswith("zh-CN:") and before.startswith("zh-CN:")
    assert set("0123456789—～（“《") <= set(after) and not set("，。）”") & set(after)
    assert set("，。、）”》％") <= set(before) and not set("0123456789（") & set(before)
    order = [child.tag.split("}")[1] for child in settings]
    assert order.index("noLineBreaksBefore") < order.index("savePreviewPicture")
    assert order.index("characterSpacingControl") < order.index("noLineBreaksAfter")
    assert writer.document.paragraphs[-1].text == "投资680万元，规划期限2023—2035年。"


@pytest.mark.slow
def test_every_docx_of_the_district_has_words_line_breaking_sets(built_district: Path) -> None:
    files = sorted((built_district / "build").rglob("*.docx"))
    assert any("图册" in f.name for f in files) and any("周报" in f.name for f in files)
    for file in files:
        with zipfile.ZipFile(file) as docx_zip:
            settings = parse_xml(docx_zip.read("word/settings.xml"))
        sets = _line_breaking_sets(settings)
        assert set(sets) == {"noLineBreaksAfter", "noLineBreaksBefore"}, file.name
        assert "5" in sets["noLineBreaksAfter"], file.name


UNITS = r"(?:万元|亿元|元|万㎡|万平方米|平方公里|公顷|公里|平方米|米|㎡|个|盏|座|处|户|人|年|%|万人|分|期)"
NUMBER_UNIT = re.compile(r"\d+(?:\.\d+)?(?:[—–~～]\d+(?:\.\d+)?)?" + UNITS)
"""What body text holds to one line, written apart from the writers' rule: a number with its
unit, a range (2023—2035年)."""
CLOSING = "，。、；：！？）」』》〉】〕”’"
PAGE_NUMBER = re.compile(r"[—–-]\s*\d+\s*[—–-]")
PAGE_NUMBER_PART = re.compile(r"[—–-]?\s*\d*\s*[—–-]?")
"""A page number (“— 3 —”, which pdftotext may read as three words), or a part of one: on a
公文 text page (no table) nothing else is only digits and dashes."""
FULL_LINE_PT = 0.8 * STYLE.text_width_mm * 72 / 25.4


def body_problems(pdf: Path) -> list[str]:
    """A number parted from its unit across two lines, a line starting with “—” and a digit, a
    paragraph's last line of one character (“米。”) after a full line."""
    lines = fragments(pdf)
    found: list[str] = []
    for above, below in _line_pairs(lines):
        height = above.y1 - above.y0
        if (
            abs(below.x0 - above.x0) > 40
            or below.y0 - above.y0 > 1.8 * height
            or above.x1 - above.x0 < FULL_LINE_PT
        ):
            continue  # not a full line and the next line of the same text
        joined = above.text + below.text
        found += [
            f"第 {above.page} 页“{above.text[-6:]}/{below.text[:6]}”"
            for match in NUMBER_UNIT.finditer(joined)
            if match.start() < len(above.text) < match.end()
        ]
        if re.match(r"[—–]\d", below.text) and not PAGE_NUMBER.fullmatch(below.text.strip()):
            found.append(f"第 {below.page} 页一行以“{below.text[:8]}”开头")
        core = below.text.rstrip(CLOSING)
        if len(core) == 1 and core.isalnum():
            found.append(f"第 {below.page} 页段落末行只有“{below.text}”")
    return found


Row = tuple[tuple[int, int], list[Fragment]]


def _successive_rows(pdf: Path) -> Iterator[tuple[Row, Row]]:
    """Each printed row of ``pdf`` (its fragments sharing a page and a top, keyed by both) with
    the row after it, in reading order."""
    rows: dict[tuple[int, int], list[Fragment]] = {}
    for fragment in fragments(pdf):
        rows.setdefault((fragment.page, round(fragment.y0)), []).append(fragment)
    return itertools.pairwise(sorted(rows.items()))


def parted_codes(pdf: Path) -> list[str]:
    """A code parted at its hyphen across two lines of text (“BD-” / “05”, review R8): a line
    whose last word ends in a letter or digit and a hyphen, the next line below it starting
    with a letter or digit."""
    found = []
    for ((page, top), above), ((next_page, below_top), below) in _successive_rows(pdf):
        last = max(above, key=lambda f: f.x1)
        first = min(below, key=lambda f: f.x0)
        if (
            next_page == page
            and below_top - top < 2.5 * (last.y1 - last.y0)
            and re.search(r"[A-Za-z0-9][-‐‑]$", last.text)
            and re.match(r"[A-Za-z0-9]", first.text)
        ):
            found.append(f"第 {page} 页“{last.text[-6:]}/{first.text[:6]}”")
    return found


LEFT_PT = STYLE.margin_left_mm * 72 / 25.4
RIGHT_PT = LEFT_PT + STYLE.text_width_mm * 72 / 25.4


def ragged_lines(pdf: Path) -> list[str]:
    """A line of a justified paragraph, not its last, that ends short of the text block's right
    edge (review R15: “…累计完成投资” / “680万元。”, 58 pt short): a portrait page's line
    followed by a line of the same paragraph, which starts at the left edge (not a table's cell,
    4 pt in), within two lines' height."""
    found = []
    for ((page, top), above), ((next_page, below_top), below) in _successive_rows(pdf):
        start, end = min(f.x0 for f in above), max(f.x1 for f in above)
        if (
            next_page == page
            and 0 < below_top - top < 2 * max(f.y1 - f.y0 for f in above)
            and abs(min(f.x0 for f in below) - LEFT_PT) < 1
            and start - LEFT_PT < 3 * STYLE.fonts["body"].size
            and RIGHT_PT - 5 * STYLE.fonts["body"].size < end < RIGHT_PT - 2
        ):
            text = "".join(f.text for f in sorted(above, key=lambda f: f.x0))
            found.append(f"第 {page} 页“…{text[-8:]}”距右边 {RIGHT_PT - end:.0f} pt")
    return found


def _without_page_number(on_page: list[Fragment]) -> list[Fragment]:
    """The fragments of a page but its page number, which pdftotext may read as one word
    (“—3—”) or as three (“—”, “3”, “—”): a line that reads as a page number as a whole."""
    lines: dict[float, list[Fragment]] = {}
    for fragment in on_page:
        top = next((t for t in lines if abs(t - fragment.y0) < 2), fragment.y0)
        lines.setdefault(top, []).append(fragment)
    return [
        f
        for line in lines.values()
        if not PAGE_NUMBER.fullmatch("".join(f.text for f in sorted(line, key=lambda f: f.x0)))
        for f in line
    ]


def stranded(pdf: Path, headings: set[str]) -> list[str]:
    """A heading on the last line of a page (but the last page), a 合计 or 总计 row with fewer
    than two rows above it on its page (the repeated header and the total alone)."""
    lines = fragments(pdf)
    pages: dict[int, list[Fragment]] = {}
    for line in lines:
        pages.setdefault(line.page, []).append(line)
    found: list[str] = []
    for page, on_page in sorted(pages.items()):
        body = _without_page_number(on_page)
        if not body:
            continue
        bottom = max(f.y0 for f in body)
        last = "".join(f.text for f in sorted(body, key=lambda f: f.x0) if abs(f.y0 - bottom) < 2)
        if re.sub(r"\s+", "", last) in headings and page < max(pages):
            found.append(f"第 {page} 页末行是标题“{last}”")
        for total in (f for f in body if f.text.startswith(("合计", "总计"))):
            above = [
                f
                for f in body
                if f.x0 < total.x1 and f.x1 > total.x0 and f.y0 < total.y0 - 1 and f is not total
            ]
            if len(above) < 3 and not _starts_under(body, above, headings):
                found.append(f"第 {page} 页“{total.text}”行上方只有{[f.text for f in above]}")
    return found


def _starts_under(body: list[Fragment], rows: list[Fragment], headings: set[str]) -> bool:
    """Whether the table whose ``rows`` these are starts on this page, under its heading or
    label: a table of one data row and its total, whole on the page, strands nothing (a page
    that goes on with a table shows its repeated header, with no heading above it)."""
    if not rows:
        return False
    top = min(f.y0 for f in rows)
    higher = [f for f in body if f.y0 < top - 2]
    if not higher:
        return False
    nearest = max(f.y0 for f in higher)
    line = "".join(f.text for f in sorted(higher, key=lambda f: f.x0) if abs(f.y0 - nearest) < 2)
    return re.sub(r"\s+", "", line) in headings


def _page_lines(pdf: Path, page: int) -> list[float]:
    """The tops of the lines of ``page`` (its page number left out)."""
    lines = [
        f
        for f in fragments(pdf)
        if f.page == page and not PAGE_NUMBER_PART.fullmatch(f.text.strip())
    ]
    tops: list[float] = []
    for top in sorted(f.y0 for f in lines):
        if not tops or top - tops[-1] > 2:
            tops.append(top)
    return tops


def _line_text(pdf: Path, page: int, top: float) -> str:
    """The text of the line of ``page`` whose top is ``top`` (spaces left out)."""
    on_line = [f for f in fragments(pdf) if f.page == page and abs(f.y0 - top) < 2]
    return re.sub(r"\s+", "", "".join(f.text for f in sorted(on_line, key=lambda f: f.x0)))


def _headings(spec: DocumentSpec) -> set[str]:
    """The headings of ``spec``, and the bold labels of its tables (“**资金来源**”), which are
    kept with what follows them as headings are."""
    return {
        re.sub(r"\s+", "", mdparser.inline_text(part.tokens[i + 1]))
        for part in spec.parts
        for i, token in enumerate(part.tokens)
        if token.type == "heading_open" or table_label(part.tokens, i)
    }


def _pdfs(root: Path, spec: DocumentSpec, word: Path | None) -> Path:
    (pdf,) = (root / "build").rglob(f"{spec.name}.pdf")
    return pdf if word is None else word / pdf.name


def _page_findings(root: Path, word: Path | None) -> dict[str, list[str]]:
    """What ``stranded`` finds, and in the WeasyPrint PDF (``word`` None) ``body_problems``: the
    DOCX's body text is written as it is (no invisible characters to hold a number to its
    unit), so LibreOffice may still part them."""
    found = {}
    for spec in _district_documents(root):
        pdf = _pdfs(root, spec, word)
        body = body_problems(pdf) if word is None else parted_codes(pdf)
        if problems := [*stranded(pdf, _headings(spec)), *body]:
            found[spec.name] = problems
    return found


@pytest.mark.slow
def test_justified_lines_end_flush_with_the_text_block_in_the_pdf(built_district: Path) -> None:
    """Chinese text has no spaces to widen: a line whose last piece was kept for the next
    (a number with its unit) ended short, where Word spreads the line over its characters."""
    found = {}
    for spec in _district_documents(built_district):
        if spec.gongwen is not None or spec.landscape:
            continue  # the 公文 is justified already; the 修改对照表 is a table
        if ragged := ragged_lines(_pdfs(built_district, spec, None)):
            found[spec.name] = ragged
    assert not found, found


@pytest.mark.slow
def test_no_stranded_row_or_heading_and_no_parted_number_in_the_pdf(built_district: Path) -> None:
    found = _page_findings(built_district, None)
    assert not found, found


@pytest.mark.slow
def test_no_stranded_row_or_heading_and_no_parted_number_in_libreoffices_pdf(
    built_district: Path, district_word_pdfs: Path
) -> None:
    found = _page_findings(built_district, district_word_pdfs)
    assert not found, found


def _table_rows(spec: DocumentSpec) -> list[list[list[str]]]:
    """The data rows of each Markdown table of ``spec`` (its header row left out), each row its
    cells' texts without spaces (an empty cell's “—” left out), in document order."""
    found = []
    for part in spec.parts:
        for index, token in enumerate(part.tokens):
            if token.type == "table_open":
                rows = gfm_table_texts(part.tokens, index)[1:]
                cells = ([re.sub(r"\s+", "", c) for c in row] for row in rows)
                found.append([[c for c in dict.fromkeys(row) if c and c != "—"] for row in cells])
    return found


def _shows(fragment: str, cell: str) -> bool:
    """Whether a line of a PDF is ``cell``, or the first line of it wrapped (four characters or
    more, so that “C3” or “1” alone is no evidence)."""
    return bool(fragment) and (
        fragment == cell or (len(fragment) >= 4 and cell.startswith(fragment))
    )


AT_THE_FOOT, OVERLEAF = 3, 2
"""Data rows a short table leaves at the foot of the page it breaks on, and carries over."""
LONG_CELL = 24
"""A table with a cell longer than this (characters) has rows of several lines (the 公文
附件's 建设规模及内容): one of them is a good part of a page, and the table may not fit its
page whole, so it may leave one row on a page (``layout.SHORT_TABLE_LINES``)."""


def row_pages(pdf: Path, spec: DocumentSpec) -> list[list[int | None]]:
    """The page each data row of each Markdown table of ``spec`` is printed on (None: not
    found): each row is found in reading order, after the row before it, where one of its
    cells is shown with another of its cells on the same line (±30 pt)."""
    lines = sorted(fragments(pdf), key=lambda f: (f.page, f.y0, f.x0))
    texts = [re.sub(r"\s+", "", f.text) for f in lines]

    def row_at(index: int, row: list[str]) -> bool:
        if not any(_shows(texts[index], cell) for cell in row):
            return False
        near = range(max(0, index - 40), min(len(lines), index + 40))
        return len(row) < 2 or any(
            _shows(texts[other], cell)
            and not _shows(texts[index], cell)
            and lines[other].page == lines[index].page
            and abs(lines[other].y0 - lines[index].y0) < 30
            for other in near
            for cell in row
        )

    found: list[list[int | None]] = []
    cursor = 0
    for rows in _table_rows(spec):
        pages: list[int | None] = []
        for row in rows:
            at = next((i for i in range(cursor, len(lines)) if row_at(i, row)), None)
            if at is not None:
                cursor = at + 1
            pages.append(None if at is None else lines[at].page)
        found.append(pages)
    return found


def split_rows(pdf: Path, spec: DocumentSpec) -> tuple[list[str], int, int]:
    """Tables of ``spec`` whose rows are short (no cell over ``LONG_CELL`` characters) that a
    page break parts with fewer than ``AT_THE_FOOT`` data rows before it or ``OVERLEAF`` after
    it (``row_pages``), as (findings, rows found, rows)."""
    findings: list[str] = []
    located = total = 0
    for rows, pages in zip(_table_rows(spec), row_pages(pdf, spec), strict=True):
        short = max((len(cell) for row in rows for cell in row), default=0) <= LONG_CELL
        total += len(pages)
        located += sum(page is not None for page in pages)
        shares = Counter(page for page in pages if page is not None)
        counts = [shares[page] for page in sorted(shares)]
        if short and len(counts) > 1 and (counts[0] < AT_THE_FOOT or min(counts[1:]) < OVERLEAF):
            findings.append(f"表格（{rows[0][0] if rows[0] else ''}…）各页行数 {dict(shares)}")
    return findings, located, total


@pytest.mark.slow
def test_the_gongwens_tables_fall_on_the_same_pages_in_word(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """Every row of every table of the six 公文 (their 附件's 项目一览表 too) is on the same page
    in LibreOffice's PDF as in the PDF (review R1: 北杜's 附件 left its header and one row on
    its page in Word, the rest overleaf, where the PDF has the table whole)."""
    specs = [s for s in _district_documents(built_district) if s.gongwen is not None]
    assert len(specs) >= 6
    differ = {}
    for spec in specs:
        printed = row_pages(_pdfs(built_district, spec, None), spec)
        word = row_pages(_pdfs(built_district, spec, district_word_pdfs), spec)
        assert all(page is not None for pages in printed for page in pages), spec.name
        if word != printed:
            differ[spec.name] = (printed, word)
    assert not differ, differ


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_no_page_break_leaves_too_few_rows_of_a_table_on_a_page(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    found: dict[str, list[str]] = {}
    located = total = 0
    for spec in _district_documents(built_district):
        pdf = _pdfs(built_district, spec, district_word_pdfs if word else None)
        findings, shown, rows = split_rows(pdf, spec)
        located, total = located + shown, total + rows
        if findings:
            found[spec.name] = findings
    assert located >= 0.98 * total > 500, (located, total)  # the rows are read, not missed
    assert not found, found


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_the_gongwens_first_page_is_filled_to_its_22nd_line(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    specs = [s for s in _district_documents(built_district) if s.gongwen is not None]
    assert len(specs) >= 2
    for spec in specs:
        pdf = _pdfs(built_district, spec, district_word_pdfs if word else None)
        first, second = _page_lines(pdf, 1), _page_lines(pdf, 2)
        # The 22nd line of the grid, from page 2 (a full grid page): from its first body line, as
        # a heading's characters (黑体, 楷体) start a few points higher on their line than the
        # body's 仿宋 (FandolFang) do.
        pitch = STYLE.line_spacing_pt
        body = next(t for t in second if _line_text(pdf, 2, t) not in _headings(spec))
        last = body + (21 - round((body - second[0]) / pitch)) * pitch
        # LibreOffice places text in a line of exact height by its own rule: its lines sit up to
        # 2 pt off the PDF's (test_gongwen's WORD tolerance)
        within = 2.0 if word else 1.5
        if first[-1] == pytest.approx(last - pitch, abs=within):
            # Filled to its 21st line: the 22nd would have held a heading alone at the page's
            # foot, which goes down with the paragraph it heads (底张镇's “二、功能分区”).
            top = _line_text(pdf, 2, second[0])
            assert top in _headings(spec), (spec.name, top, first, second)
            continue
        assert first[-1] == pytest.approx(last, abs=within), (spec.name, first, second)
