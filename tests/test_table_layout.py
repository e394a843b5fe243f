"""Tables laid out from their content (issue 10): read back from the pages, as a reviewer sees
them. For every table of the sample district's documents and of the Chinese corpus documents,
every number, date, percentage, unit and code in a cell prints unbroken on one line, in the
WeasyPrint PDF and in LibreOffice's PDF of the DOCX, and no line starts with a closing
punctuation mark; plus the layout rules themselves (minimum and natural widths, landscape,
smaller size, captions, "—" for empty cells)."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import docx
import pytest
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.oxml.ns import qn
from markdown_it.token import Token

from tests.conftest import SHARED, libreoffice_pdfs, require_corpora
from townplans import mdparser, pipeline, targets, values
from townplans.rawhtml import is_table, parse_table
from townplans.render import documents
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.layout import (
    CELL_EXTRA_PT,
    CROWDED_LINES,
    ColumnNeeds,
    column_needs,
    crowding,
    heading_names_its_table,
    kept_together,
    minimum_em,
    plan_table,
    share,
)
from townplans.render.pdf import html_to_pdf
from townplans.render.style import Style, css, load_style
from townplans.render.tokens import prepare

REPO = Path(__file__).resolve().parent.parent
STYLE: Style = load_style(REPO / "templates/style.yaml")
PORTRAIT_PT = STYLE.text_width_mm * 72 / 25.4
LANDSCAPE_PT = STYLE.landscape_text_width_mm * 72 / 25.4
CORPUS = SHARED / "corpora" / "markdown-zh"

CLOSING = "，。、；：！？）」』》〉】〕”’"
"""Punctuation no line may start with (避头尾)."""
TOKEN = re.compile(
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}"
    r"|[A-Z]+\d*(?:-[A-Z\d]+)+|[A-Z]+\d+"
    r"|\d+(?:[.,]\d+)*(?:%|‰|万元|亿元|元|万㎡|万平方米|公顷|公里|平方米|米|㎡|个|盏|座|处|户|人|年|月|日)?"
)
"""What this test holds to one line, written independently of the writers' own rule: dates, a
number with its unit or percentage, codes such as WC-04 and R2."""


# -- layout rules ------------------------------------------------------------------------------------


def _widths(rows: Sequence[Sequence[str]], available: float = PORTRAIT_PT) -> list[float]:
    columns = len(rows[0])
    plan = plan_table(column_needs(rows, columns), 12.0, available, LANDSCAPE_PT)
    return list(plan.widths)


SITE_PLAN = [
    ["指标", "数值", "单位"],
    ["规划范围面积", "18.5", "公顷"],
    ["道路长度", "1.6", "公里"],
    ["路灯", "108", "盏"],
]


def test_a_short_table_shares_the_block_by_natural_width() -> None:
    """修规 技术经济指标: the first column took ~90 % of the width and 18.5 broke as 18. / 5."""
    widths = _widths(SITE_PLAN)
    assert sum(widths) == pytest.approx(PORTRAIT_PT)
    assert widths[0] / sum(widths) < 0.6
    for width, text in zip(widths[1:], ("18.5", "公顷"), strict=True):
        assert width >= minimum_em(text) * 12 + CELL_EXTRA_PT


def test_every_column_gets_its_minimum_and_short_columns_their_natural_width() -> None:
    header = ["序号", "项目名称", "建设规模及内容", "总投资（万元）", "完成时限", "责任领导"]
    row = [
        "12",
        "渭城文化广场建设项目",
        "广场用地4.1公顷，硬化铺装1.6万㎡，绿化2.1万㎡，舞台1座，健身器材40件，水冲式公厕1座" * 2,
        "1850",
        "2023年9月15日",
        "李国强（副镇长）",
    ]
    widths = _widths([header, row])
    needs = column_needs([header, row], len(row))
    for width, need in zip(widths, needs, strict=True):
        assert width >= need.minimum * 12 + CELL_EXTRA_PT - 1e-6
    # 序号 and 完成时限 cannot break: they get their natural width; the long text takes most.
    assert widths[0] == pytest.approx(needs[0].natural * 12 + CELL_EXTRA_PT)
    assert widths[4] == pytest.approx(needs[4].natural * 12 + CELL_EXTRA_PT)
    assert max(widths) == widths[2]


def test_minimum_widths_are_tokens_and_short_labels() -> None:
    assert minimum_em("序号") == 2  # a label of up to four characters never breaks
    assert minimum_em("渭城镇") == 3
    assert minimum_em("上级补助资金") < 2  # a longer text may break between characters
    assert minimum_em("于2023年9月15日完成") >= minimum_em("2023年9月15日") > 6
    assert minimum_em("总投资（万元）") == 4  # “（万元）” stays together


def test_share_fills_the_block_and_respects_minimums() -> None:
    minimum, natural = [30.0, 20.0, 10.0], [300.0, 40.0, 10.0]
    widths = share(minimum, natural, 200.0)
    assert sum(widths) == pytest.approx(200.0)
    assert all(w >= low - 1e-6 for w, low in zip(widths, minimum, strict=True))
    # The unbreakable column keeps its width; the others get their minimum and share the rest
    # by what they lack of their natural width (270 and 20 of 290: 140 × 270/290 and 140 × 20/290).
    assert widths[2] == pytest.approx(10.0)
    assert widths[0] == pytest.approx(30 + 140 * 270 / 290)
    assert widths[1] == pytest.approx(20 + 140 * 20 / 290)
    assert share([10.0, 10.0], [20.0, 60.0], 160.0) == pytest.approx([40.0, 120.0])


def test_too_wide_for_portrait_goes_landscape_then_smaller() -> None:
    dates = ColumnNeeds(minimum=7.2, natural=7.2)
    fits_landscape = plan_table([dates] * 6, 12.0, PORTRAIT_PT, LANDSCAPE_PT)
    assert fits_landscape.landscape and not fits_landscape.smaller
    smaller = plan_table([dates] * 8, 12.0, PORTRAIT_PT, LANDSCAPE_PT)
    assert smaller.landscape and smaller.smaller and smaller.font_pt < 12
    assert not smaller.overflows
    already = plan_table([dates] * 6, 12.0, LANDSCAPE_PT, None)  # in a landscape section
    assert not already.landscape and not already.smaller


ATTACHMENT = [
    ["序号", "项目名称", "类别", "功能区", "建设规模及内容", "总投资（万元）", "资金来源（万元）",
     "完成时限", "形象进度", "责任领导"],
    ["1", "滨河路道路改造工程", "道路建设", "重点景观建设区",
     "改造道路1.6公里，红线宽30米；新建人行道9600㎡、路灯108盏、街头游园3处", "1850",
     "上级补助800；区级财政650；镇自筹400", "2023年9月15日", "100%", "李国强（副镇长）"],
    ["2", "镇区雨污分流管网工程", "给排水", "居住发展区",
     "新建污水管道5.2公里（DN400—DN600）、雨水管道4.8公里，检查井286座，接入渭城镇污水处理站",
     "2100", "上级补助1200；部门资金500；镇自筹400", "2023年9月25日", "80%", "陈静（宣传委员）"],
]  # fmt: skip
"""建设计划's landscape 附件 table: ten columns whose minimums nearly fill the turned 版心."""
GONGWEN_LANDSCAPE_PT = 225 * 72 / 25.4


def test_a_crowded_table_is_set_one_size_smaller_without_a_finding() -> None:
    """The 附件 table gave 建设规模及内容 six characters at 12 pt (seven to eight lines a cell):
    at 五号 it gets more than nine and no column is crowded."""
    needs = column_needs(ATTACHMENT, len(ATTACHMENT[0]))
    at_size = share(
        [n.minimum * 12 + CELL_EXTRA_PT for n in needs],
        [n.natural * 12 + CELL_EXTRA_PT for n in needs],
        GONGWEN_LANDSCAPE_PT,
    )
    assert crowding(needs, at_size, 12.0) > CROWDED_LINES  # what the page showed
    plan = plan_table(needs, 12.0, GONGWEN_LANDSCAPE_PT, None)
    assert plan.crowded and plan.font_pt == 10.5 and not plan.smaller and not plan.overflows
    assert crowding(needs, plan.widths, plan.font_pt) <= CROWDED_LINES
    assert (plan.widths[4] - CELL_EXTRA_PT) / 10.5 > 9  # 建设规模及内容: over nine characters
    for width, need in zip(plan.widths, needs, strict=True):
        assert width >= need.minimum * 10.5 + CELL_EXTRA_PT - 1e-6
    # A table that is not crowded keeps the table size.
    assert plan_table(column_needs(SITE_PLAN, 3), 12.0, PORTRAIT_PT, LANDSCAPE_PT).font_pt == 12
    # Both writers set the crowded table at 五号 and report nothing.
    markdown = "".join(
        "| " + " | ".join(row) + " |\n" + ("|---" * len(row) + "|\n" if not n else "")
        for n, row in enumerate(ATTACHMENT)
    )
    markdown = "::: landscape\n\n" + markdown + "\n:::\n"
    document, writer = _docx(markdown)
    body = _html(markdown)
    assert not writer.problems and not body.problems
    sizes = {run.font.size.pt for run in document.tables[0].rows[1].cells[4].paragraphs[0].runs}
    assert sizes == {10.5}
    assert '<table style="font-size:10.5pt"' in body.html


def test_word_keeps_a_token_in_a_run_libreoffice_breaks_by_unicode_rules() -> None:
    """LibreOffice broke “2.1”/“万㎡”, “108”/“盏” at line ends: for Chinese it breaks at any
    character, WORD JOINER or not. A kept run's East Asian language is not Chinese, so it uses
    the Unicode rules, which keep joined characters together."""
    document, _ = _docx(CAPTIONED)
    runs = [r for r in document.tables[1]._tbl.iter(qn("w:r")) if "\u2060" in "".join(r.itertext())]
    assert runs
    for run in runs:
        lang = run.find(f"{qn('w:rPr')}/{qn('w:lang')}")
        assert lang is not None and lang.get(qn("w:eastAsia")) == "en-US"


def test_tokens_that_could_break_are_kept_together_with_their_punctuation() -> None:
    pieces = kept_together("于2023年9月15日完工，投资1850万元，WC-04地块（80个泊位）")
    kept = [piece for piece, keep in pieces if keep]
    assert kept == ["2023年9月15日", "1850万元，", "WC-04", "（80个"]
    assert (
        "".join(piece for piece, _ in pieces)
        == "于2023年9月15日完工，投资1850万元，WC-04地块（80个泊位）"
    )
    assert kept_together("18.5") == [("18.5", False)]  # nothing in it could break
    # A short remark in brackets stays whole, as the column's minimum counts it.
    assert kept_together("李国强（副镇长）") == [("李国强", False), ("（副镇长）", True)]
    assert kept_together("总投资（万元）") == [("总投资", False), ("（万元）", True)]


# -- the writers -------------------------------------------------------------------------------------

CAPTIONED = """# 七、技术经济指标

| 指标 | 数值 | 单位 |
|---|---:|---|
| 规划范围面积 | 18.5 | 公顷 |
| 停车泊位 |  | 个 |

表：项目完成时限

| 序号 | 完成时限 |
|---|---|
| 1 | 于2023年9月15日完工，WC-04地块 |
"""


def _docx(markdown: str, captions: bool = False) -> tuple[docx.document.Document, DocxWriter]:
    writer = DocxWriter(STYLE, REPO, table_captions=captions)
    writer.add_markdown(mdparser.parse(markdown), REPO)
    buffer = io.BytesIO()
    writer.document.save(buffer)
    return docx.Document(buffer), writer


def _html(markdown: str, captions: bool = False) -> html_render.RenderedBody:
    page = html_render.TablePage(
        STYLE.text_width_mm, STYLE.landscape_text_width_mm, 12.0, captions=captions
    )
    return html_render.render_body(
        [html_render.HtmlPart(mdparser.parse(markdown), REPO, REPO)], page
    )


SCHEDULE = (
    "## 七、技术经济指标\n\n| 项目 | 数值 |\n|---|---:|\n| 面积 | 12 |\n\n"
    "# 附表：地块指标一览表\n\n| 地块编号 | 用地面积 |\n|---|---:|\n| WC-01 | 3.2 |\n"
)


def test_a_schedule_titled_by_its_heading_has_no_caption_saying_it_again() -> None:
    """Review F22: “附表：地块指标一览表” was followed by “表 2  地块指标一览表”."""
    document, _ = _docx(SCHEDULE, captions=True)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions == ["表 1  技术经济指标"]
    body = _html(SCHEDULE, captions=True).html
    assert re.findall(r'<p class="table-caption">(.*?)</p>', body) == ["表 1  技术经济指标"]
    assert heading_names_its_table("附表2：道路一览表")
    assert not heading_names_its_table("附表") and not heading_names_its_table("七、附表说明")


def test_both_writers_number_and_title_tables_with_a_word_seq_field() -> None:
    document, _ = _docx(CAPTIONED, captions=True)
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    assert [p.text for p in captions] == ["表 1  技术经济指标", "表 2  项目完成时限"]
    assert all("SEQ 表" in p._p.xml for p in captions)
    assert all(p.paragraph_format.keep_with_next for p in captions)
    assert "表：项目完成时限" not in "".join(p.text for p in document.paragraphs)
    body = _html(CAPTIONED, captions=True).html
    assert re.findall(r'<p class="table-caption">(.*?)</p>', body) == [
        "表 1  技术经济指标",
        "表 2  项目完成时限",
    ]
    assert "表：" not in body
    # A document type that does not ask for captions numbers only the tables given one.
    assert re.findall(r'class="table-caption">(.*?)<', _html(CAPTIONED).html) == [
        "表 1  项目完成时限"
    ]


def test_empty_cells_print_a_dash_and_tokens_do_not_break_in_either_writer() -> None:
    document, _ = _docx(CAPTIONED)
    first, second = document.tables
    assert first.rows[2].cells[1].text == "—"
    cell = second.rows[1].cells[1]._tc
    assert cell.find(".//" + qn("w:noBreakHyphen")) is not None  # WC‑04
    assert "2023\u2060年\u20609\u2060月\u206015\u2060日" in cell.xml
    assert cell.find(".//" + qn("w:autoSpaceDE")) is not None
    body = _html(CAPTIONED).html
    assert '<td class="align-right">—</td>' in body
    assert '<span class="nobr">2023年9月15日</span>完工，<span class="nobr">WC-04</span>' in body


def test_word_and_pdf_get_the_same_column_widths() -> None:
    document, _ = _docx(CAPTIONED)
    grid = [int(c.w or 0) for c in document.tables[0]._tbl.tblGrid.gridCol_lst]
    body = _html(CAPTIONED).html
    shares = [float(s) for s in re.findall(r'<col style="width:([\d.]+)%">', body)][:3]
    assert [round(100 * w / sum(grid), 1) for w in grid] == pytest.approx(shares, abs=0.1)


WIDE = "| " + " | ".join(f"第{n}次" for n in range(9)) + " |\n" + "|---" * 9 + "|\n"
WIDE += "| " + " | ".join("2023年9月15日" for _ in range(9)) + " |\n"


def test_a_table_too_wide_for_landscape_is_set_smaller_with_a_finding() -> None:
    document, writer = _docx("# 表\n\n" + WIDE)
    assert [p.code for p in writer.problems] == ["TP708"]
    assert "已按" in writer.problems[0].message and "磅排印" in writer.problems[0].message
    sections = document.sections
    # landscape from page 1 (nothing before the heading), then back to portrait
    assert sections[0].orientation == 1 and sections[1].orientation == 0
    sizes = {run.font.size.pt for run in document.tables[0]._cells[10].paragraphs[0].runs}
    assert sizes and max(sizes) < 12
    body = _html("# 表\n\n" + WIDE)
    assert [p.code for p in body.problems] == ["TP708"]
    # the heading goes onto the table's landscape page with it
    assert '<div class="landscape"><h1 id="h1">表</h1>\n<table style="font-size:' in body.html


# -- numbers print as written ------------------------------------------------------------------------


def test_numbers_print_as_written_and_totals_keep_their_precision() -> None:
    assert documents.number_text(values.written("2.0")) == "2.0"
    assert documents.number_text(values.written("1,850")) == "1850"
    total = sum((values.written(v) for v in ("2.0", "42")), values.written("0"))
    assert documents.number_text(total) == "44.0"


# -- the pages -----------------------------------------------------------------------------------------


@dataclass
class Fragment:
    """Words at one baseline with no gap between them: a line of one cell or of the body."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def fragments(pdf: Path) -> list[Fragment]:
    """The PDF's lines, split where words are further apart than a space (a cell's padding is
    8 pt): what ``pdftotext -bbox-layout`` reads, without the zero-width characters."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found: list[Fragment] = []
    for number, page in enumerate(xml.split("<page ")[1:], 1):
        for line in re.findall(r"<line[^>]*>(.*?)</line>", page, re.DOTALL):
            current: Fragment | None = None
            for x0, y0, x1, y1, word in sorted(
                (float(a), float(b), float(c), float(d), _plain(unescape(w)))
                for a, b, c, d, w in _WORD.findall(line)
            ):
                if current is not None and x0 - current.x1 < 3.5:
                    current.x1, current.text = max(current.x1, x1), current.text + word
                else:
                    current = Fragment(number, x0, y0, x1, y1, word)
                    found.append(current)
    return found


def _plain(text: str) -> str:
    return (
        text.replace("\u2060", "")
        .replace("\u200b", "")
        .replace("\u2011", "-")
        .replace("\u00ad", "")
    )


def cell_texts(tokens: Sequence[Token]) -> list[str]:
    """The text of every table cell, as printed."""
    prepared = prepare(tokens).tokens
    texts: list[str] = []
    for index, token in enumerate(prepared):
        if token.type == "inline" and prepared[index - 1].type in ("th_open", "td_open"):
            texts.append(mdparser.inline_text(token))
        elif token.type == "html_block" and is_table(token.content):
            grid = parse_table(token.content).grid()
            texts += [s.cell.text for row in grid.rows for s in row if s.cell is not None]
    return texts


def page_problems(pdf: Path, cells: Sequence[str], body: bool = True) -> list[str]:
    """What breaks the rules on the pages of ``pdf``: a cell's token not found on one line, a
    token split across two lines of a cell, a line starting with a closing punctuation mark (in
    a cell, and in the body unless ``body`` is False)."""
    lines = fragments(pdf)
    squeezed = [re.sub(r"\s+", "", text) for text in cells]
    problems = [
        f"第 {f.page} 页有一行以“{f.text[0]}”开头：{f.text[:16]}"
        for f in lines
        if f.text[:1] in CLOSING
        and _starts_line(f, lines)
        and (body or _wrapped_in_cell(f, lines, squeezed))
    ]
    tokens = {m.group() for text in cells for m in TOKEN.finditer(text) if len(m.group()) > 1}
    printed = "\n".join(f.text for f in lines)
    problems += [f"“{token}”不在任何一行上" for token in sorted(tokens) if token not in printed]
    whole = set(squeezed)
    for above, below in _line_pairs(lines):
        joined = above.text + below.text
        if (above.text in whole and below.text in whole) or not any(
            joined in text for text in squeezed
        ):
            continue  # two cells, or body text: only a cell's own lines are held to this
        for match in TOKEN.finditer(joined):
            if match.start() < len(above.text) < match.end() and match.group() in tokens:
                problems.append(
                    f"第 {above.page} 页“{match.group()}”被拆成“{above.text[-8:]}”/“{below.text[:8]}”"
                )
    return problems


def _wrapped_in_cell(fragment: Fragment, lines: Sequence[Fragment], cells: Sequence[str]) -> bool:
    """Whether ``fragment`` continues the line above it in one cell's text."""
    return any(
        below is fragment and any(above.text + below.text in text for text in cells)
        for above, below in _line_pairs(lines)
    )


def _starts_line(fragment: Fragment, lines: Sequence[Fragment]) -> bool:
    """Whether ``fragment`` begins a line: nothing left of it on its baseline, or its left edge
    is that of a line above or below it (a cell's lines; a gap inside a justified line is not
    a line start)."""
    height = fragment.y1 - fragment.y0
    same_page = [f for f in lines if f.page == fragment.page and f is not fragment]
    leftmost = not any(abs(f.y0 - fragment.y0) < 2 and f.x1 <= fragment.x0 + 0.5 for f in same_page)
    aligned = any(
        abs(f.x0 - fragment.x0) < 1.5 and 0 < abs(f.y0 - fragment.y0) < 2.5 * height
        for f in same_page
    )
    return leftmost or aligned


def _line_pairs(lines: Sequence[Fragment]) -> Iterator[tuple[Fragment, Fragment]]:
    """Each line with the lines right below it that overlap it horizontally."""
    for above in lines:
        height = above.y1 - above.y0
        for below in lines:
            if (
                below.page == above.page
                and 0.3 * height < below.y0 - above.y0 < 2.5 * height
                and below.x0 < above.x1
                and below.x1 > above.x0
            ):
                yield above, below


@dataclass(frozen=True)
class Printed:
    """One document: its table cells as printed, its PDF and LibreOffice's PDF of its DOCX."""

    name: str
    cells: tuple[str, ...]
    pdf: Path
    word_pdf: Path
    emoji: bool
    """The text has characters beyond the BMP (📖), which LibreOffice sets over each other."""


def _district_documents(root: Path) -> list[documents.DocumentSpec]:
    """Every document of the sample district, as ``townplans build`` assembles them."""
    session, result = pipeline.run_check(root)
    return targets.Graph(session, load_style(session.paths.style), result).specs()


def _built(root: Path, name: str) -> tuple[Path, Path]:
    """The document's PDF and DOCX as ``townplans build`` wrote them."""
    (pdf,) = (root / "build").rglob(f"{name}.pdf")
    return pdf, pdf.with_suffix(".docx")


def _corpus_documents(folder: Path) -> list[tuple[str, list[Token], Path, Path]]:
    made = []
    sheet = css(STYLE)
    for source in sorted(CORPUS.glob("*.md")):
        if source.name == "SOURCES.md":
            continue
        tokens = mdparser.parse(source.read_text(encoding="utf-8"))
        writer = DocxWriter(STYLE, folder)
        writer.add_markdown(tokens, folder)
        docx_path = folder / f"{source.stem}.docx"
        writer.save(docx_path)
        page = html_render.TablePage(STYLE.text_width_mm, STYLE.landscape_text_width_mm, 12.0)
        body = html_render.render_body([html_render.HtmlPart(tokens, folder, folder)], page)
        data, _ = html_to_pdf(html_render.page(source.stem, body, sheet, toc=False), {})
        pdf_path = folder / f"{source.stem}.pdf"
        pdf_path.write_bytes(data)
        made.append((source.stem, tokens, pdf_path, docx_path))
    return made


@pytest.fixture(scope="module")
def printed(
    built_district: Path, district_word_pdfs: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[Printed]:
    """The sample district's documents as built (the shared build, with LibreOffice's PDF of
    each DOCX made once a run) and the corpus documents written into a temporary folder, their
    DOCX converted by LibreOffice here."""
    require_corpora()
    found: list[Printed] = []
    for spec in _district_documents(built_district):
        parts = spec.parts
        cells = tuple(text for part in parts for text in cell_texts(part.tokens))
        emoji = any(_astral(part.tokens) for part in parts)
        pdf, docx_path = _built(built_district, spec.name)
        found.append(
            Printed(spec.name, cells, pdf, district_word_pdfs / f"{docx_path.stem}.pdf", emoji)
        )
    corpus = _corpus_documents(tmp_path_factory.mktemp("corpus"))
    out = tmp_path_factory.mktemp("word")
    libreoffice_pdfs([docx_path for _, _, _, docx_path in corpus], out)
    for name, tokens, pdf, docx_path in corpus:
        cells = tuple(cell_texts(tokens))
        found.append(Printed(name, cells, pdf, out / f"{docx_path.stem}.pdf", _astral(tokens)))
    return found


def _astral(tokens: Sequence[Token]) -> bool:
    return any(ord(char) > 0xFFFF for token in tokens for char in token.content)


def _problems(printed: list[Printed], word: bool) -> str:
    found = {
        document.name: problems
        for document in printed
        if (
            problems := page_problems(
                document.word_pdf if word else document.pdf,
                document.cells,
                # LibreOffice sets emoji and the text after them over each other (its font
                # fallback, not the layout), so pdftotext cannot tell its lines apart there.
                body=not (word and document.emoji),
            )
        )
    }
    return "\n".join(f"{name}：{'；'.join(problems)}" for name, problems in found.items())


@pytest.mark.slow
def test_every_table_token_prints_on_one_line_in_the_pdf(printed: list[Printed]) -> None:
    assert len(printed) >= 30 and sum(len(p.cells) for p in printed) > 500
    problems = _problems(printed, word=False)
    assert not problems, problems


@pytest.mark.slow
def test_every_table_token_prints_on_one_line_in_libreoffices_pdf(printed: list[Printed]) -> None:
    assert len(printed) >= 30
    problems = _problems(printed, word=True)
    assert not problems, problems


def test_word_centres_a_cells_text_from_top_to_bottom_as_the_pdf() -> None:
    """Review R29: the PDF's cells are ``vertical-align: middle``; Word's were top-aligned, so a
    row whose project name wraps showed its other cells at different heights in the two."""
    document, _ = _docx(
        "| 序号 | 项目名称 |\n|---|---|\n| 1 | 滨河路道路改造工程滨河路道路改造工程 |\n"
    )
    cells = [cell for row in document.tables[0].rows for cell in row.cells]
    assert {cell.vertical_alignment for cell in cells} == {WD_CELL_VERTICAL_ALIGNMENT.CENTER}
    assert "vertical-align: middle" in css(STYLE)
