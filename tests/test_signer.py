"""签发人 in a 上行文's 版头 (GB/T 9704-2012 7.2.5–7.2.6): the 建设计划 goes up to the district's
leading group, so its front matter may name the 签发人 (``signer``: one name or a list). Each
signer's line holds “签发人：” (3号仿宋) and the name (3号楷体) one character from the right; the
发文字号 stands on the last signer's line one character from the left instead of centred, and the
red separator stays 4 mm under it. Read back: the checker's findings, python-docx for the Word
document, ``pdftotext -bbox-layout`` and the page's pixels for the WeasyPrint PDF and for
LibreOffice's PDF of the Word document."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from tests.conftest import REPO, libreoffice_pdfs
from tests.test_gongwen import (
    CHAR,
    LEFT,
    LINE,
    MM,
    PDF,
    TEXT_WIDTH,
    WORD,
    Line,
    Page,
    Tolerance,
    _pt,
    horizontal_rules,
    read_pages,
    rows,
)
from townplans import mdparser, pipeline
from townplans.check import Selection
from townplans.render import documents
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.gongwen import css as gongwen_css
from townplans.render.pdf import html_to_pdf
from townplans.render.style import css, load_style
from townplans.values import ValueFormatError, parse_names

PLAN = "渭城镇2023年小城镇建设计划"
SOURCE = "towns/weicheng/construction-plan.md"
NUMBER = "渭城镇发〔2023〕21号"
STYLE = load_style(REPO / "templates/style.yaml")


def _with_signer(root: Path, signer: str) -> None:
    """The sample's 建设计划 with ``signer`` (YAML text) after its 发文机关."""
    path = root / SOURCE
    text = path.read_text(encoding="utf-8")
    marked = text.replace("\nissuer: 渭城镇人民政府\n", f"\nissuer: 渭城镇人民政府\n{signer}\n", 1)
    assert marked != text
    path.write_text(marked, encoding="utf-8")


def _findings(root: Path) -> list[tuple[str, int | None, str]]:
    _, result = pipeline.run_check(root, Selection(towns=("weicheng",)))
    return [(f.code, f.ref.line, f.message) for f in result.findings if f.ref.path == SOURCE]


# -- the profile ----------------------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["signer: 冯涛", "signer: [冯涛, 李明]", "签发人: 冯涛"])
def test_the_profile_knows_the_signer(workspace_copy: Callable[..., Path], signer: str) -> None:
    root = workspace_copy("weicheng")
    _with_signer(root, signer)
    assert _findings(root) == []


@pytest.mark.parametrize("signer", ["signer: {姓名: 冯涛}", "signer: [冯涛, [李明]]"])
def test_a_signer_that_is_no_name_is_reported_on_its_line(
    workspace_copy: Callable[..., Path], signer: str
) -> None:
    root = workspace_copy("weicheng")
    _with_signer(root, signer)
    [(code, line, message)] = _findings(root)
    assert code == "TP202" and line == 5 and "签发人" in message and "姓名" in message, message


def test_names_read_one_name_or_a_list() -> None:
    assert parse_names(" 冯涛 ").value == "冯涛"
    assert parse_names(["冯涛", "李明"]).value == "冯涛、李明"
    for wrong in ([], "", {"a": 1}, ["冯涛", None]):
        with pytest.raises(ValueFormatError):
            parse_names(wrong)


# -- the Word document, from the template ------------------------------------------------------------


def _head(root: Path, signers: tuple[str, ...]) -> documents.Part:
    templates = documents.Templates(REPO / "templates/documents")
    return templates.part(
        "gongwen-head.md.j2", root, mark="渭城镇人民政府文件", title=PLAN, doc_number=NUMBER,
        recipient="区小城镇建设工作领导小组：", signers=signers,
    )  # fmt: skip


def _word_head(root: Path, signers: tuple[str, ...]) -> list[Paragraph]:
    writer = DocxWriter(STYLE, root, gongwen=True)
    part = _head(root, signers)
    writer.add_markdown(part.tokens, part.base_dir, part.origin)
    return list(writer.document.paragraphs)


def _kai(paragraph: Paragraph, text: str) -> bool:
    """The run holding ``text`` is set in the signer role's 楷体."""
    [run] = [r for r in paragraph.runs if r.text == text]
    fonts = run._r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return fonts is not None and fonts.get(qn("w:eastAsia")) == STYLE.fonts["signer"].east_asian


def _right_tab(paragraph: Paragraph) -> float:
    [stop] = paragraph.paragraph_format.tab_stops
    assert stop.alignment == WD_TAB_ALIGNMENT.RIGHT
    return stop.position.pt


def test_word_sets_number_and_signer_on_one_line(tmp_path: Path) -> None:
    paragraphs = _word_head(tmp_path, ("冯涛",))
    line = paragraphs[1]
    assert line.text == f"{NUMBER}\t签发人：冯涛"
    fmt = line.paragraph_format
    # One character in from the left as a first-line indent, not a left indent: the red
    # separator (the paragraph's bottom border) spans the paragraph's indents.
    assert fmt.first_line_indent is not None and abs(fmt.first_line_indent.pt - CHAR) < 0.1
    assert fmt.left_indent == fmt.right_indent == 0
    assert abs(_right_tab(line) - (TEXT_WIDTH - CHAR)) < 0.1
    assert _kai(line, "冯涛") and not _kai(line, "签发人：")
    assert abs(fmt.space_before.pt - 2 * LINE) < 0.1
    bottom = line._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:bottom')}")
    assert bottom is not None and bottom.get(qn("w:color")) == STYLE.gongwen.red
    assert paragraphs[2].text == PLAN


def test_word_puts_each_signer_on_a_line_and_the_number_on_the_last(tmp_path: Path) -> None:
    paragraphs = _word_head(tmp_path, ("冯涛", "李明"))
    first, last = paragraphs[1], paragraphs[2]
    assert first.text == "\t签发人：冯涛" and last.text == f"{NUMBER}\t签发人：李明"
    assert _kai(first, "冯涛") and _kai(last, "李明")
    assert abs(first.paragraph_format.space_before.pt - 2 * LINE) < 0.1
    assert last.paragraph_format.space_before.pt == 0
    borders = [p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") for p in (first, last)]
    assert borders[0] is None and borders[1] is not None  # the separator under the last line only


def test_without_a_signer_the_number_stays_centred(tmp_path: Path) -> None:
    paragraphs = _word_head(tmp_path, ())
    assert paragraphs[1].text == NUMBER and not paragraphs[1].paragraph_format.tab_stops
    assert paragraphs[1].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_a_signer_prints_as_written(tmp_path: Path) -> None:
    """A name from YAML is text, not Markdown, in both writers."""
    tricky = ("*冯涛*", "::: cover")
    paragraphs = _word_head(tmp_path, tricky)
    assert [p.text for p in paragraphs[1:3]] == ["\t签发人：*冯涛*", f"{NUMBER}\t签发人：::: cover"]
    body = html_render.render_body(
        [html_render.HtmlPart(_head(tmp_path, tricky).tokens, tmp_path, tmp_path)]
    )
    text = re.sub(r"</?span[^>]*>", "", body.html)  # words kept whole are in nobr spans
    assert "<p>*冯涛*</p>" in text and "<p>::: cover</p>" in text


# -- the PDF, from the template (no build) --------------------------------------------------------------


def _pdf_head_lines(tmp_path: Path, signers: tuple[str, ...]) -> tuple[Page, list[Line]]:
    part = _head(tmp_path, signers)
    body = html_render.render_body([html_render.HtmlPart(part.tokens, tmp_path, tmp_path)])
    stylesheet = css(STYLE) + gongwen_css(STYLE, "渭城镇人民政府文件")
    page = html_render.page("t", body, stylesheet, cover=False, toc=False, gongwen=True)
    data, _ = html_to_pdf(page, {"workspace": tmp_path})
    (tmp_path / "head.pdf").write_bytes(data)
    [first, *_] = read_pages(tmp_path / "head.pdf", tmp_path)
    return first, first.lines


def test_pdf_puts_each_signer_on_a_line_one_line_apart(tmp_path: Path) -> None:
    _, lines = _pdf_head_lines(tmp_path, ("冯涛", "李明"))
    texts = [line.text for line in lines]
    first = lines[texts.index("签发人：冯涛")]
    last = lines[texts.index("签发人：李明")]
    number = lines[texts.index(NUMBER)]
    assert abs(last.middle - first.middle - LINE) < 0.5
    assert abs(number.middle - last.middle) < 0.5
    right = LEFT + TEXT_WIDTH - CHAR
    assert abs(first.x1 - right) < 1.0 and abs(last.x1 - right) < 1.0
    assert abs(number.x0 - (LEFT + CHAR)) < 1.0


# -- the built 建设计划: PDF and LibreOffice's PDF of the Word document ------------------------------


@pytest.fixture(scope="module")
def signed_build(
    built_district: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The sample's 建设计划 built with ``signer: 冯涛``: its PDF and LibreOffice's PDF of its
    Word document."""
    root = Path(shutil.copytree(built_district, tmp_path_factory.mktemp("signed") / "ws"))
    _with_signer(root, "signer: 冯涛")
    outcome = pipeline.run_build(root, ("weicheng",), jobs=2)
    assert not outcome.failed, [str(f) for f in outcome.findings]
    out = root / "build" / "weicheng"
    word = tmp_path_factory.mktemp("signed-word")
    libreoffice_pdfs([out / f"{PLAN}.docx"], word)
    return out / f"{PLAN}.pdf", word / f"{PLAN}.pdf"


@pytest.fixture(params=["pdf", "word"])
def signed_page(
    request: pytest.FixtureRequest, signed_build: tuple[Path, Path], tmp_path: Path
) -> tuple[Page, Tolerance]:
    pdf, word = signed_build
    if request.param == "pdf":
        return read_pages(pdf, tmp_path)[0], PDF
    return read_pages(word, tmp_path)[0], WORD


def _one(page: Page, predicate: Callable[[str], bool]) -> Line:
    found = [line for line in page.lines if predicate(line.text)]
    assert len(found) == 1, [line.text for line in page.lines]
    return found[0]


@pytest.mark.slow
def test_number_left_and_signer_right_one_character_in_on_one_baseline(
    signed_page: tuple[Page, Tolerance],
) -> None:
    page, tolerance = signed_page
    number = _one(page, lambda text: text == NUMBER)
    signer = _one(page, lambda text: text == "签发人：冯涛")
    assert abs(number.x0 - (LEFT + CHAR)) <= tolerance.edge_pt, (number.x0 - LEFT) / CHAR
    assert abs(signer.x1 - (LEFT + TEXT_WIDTH - CHAR)) <= tolerance.edge_pt, (
        LEFT + TEXT_WIDTH - signer.x1
    ) / CHAR
    assert abs(number.y1 - signer.y1) <= 0.5 and abs(number.y0 - signer.y0) <= 0.5


@pytest.mark.slow
def test_red_separator_still_4_mm_below_the_signer_line(
    signed_page: tuple[Page, Tolerance],
) -> None:
    page, tolerance = signed_page
    number = _one(page, lambda text: text == NUMBER)
    [(rule, x0, x1)] = [r for r in horizontal_rules(page, "red") if r[0] < page.height / 2]
    assert abs(x0 - LEFT) <= 1.0 * MM and abs(x1 - page.right) <= 1.0 * MM
    ink = rows(page, "ink", number.y0, rule - 1)
    assert abs((rule - _pt(ink[-1] + 1)) / MM - 4) <= tolerance.rule_gap, (rule - _pt(ink[-1])) / MM
    assert abs(_one(page, lambda text: text == PLAN).middle - rule - 2.5 * LINE) / MM <= (
        tolerance.lines
    )


def test_the_pdf_css_sets_the_name_in_kai() -> None:
    sheet = gongwen_css(STYLE, "渭城镇人民政府文件")
    assert ".redhead .signed p:last-child" in sheet and "KaiTi" in sheet.split(".signed p:last")[1]
    assert "KaiTi" in css(STYLE).split(".redhead .signed p:last-child")[1].split("}")[0]
    assert mdparser.CONTAINER_NAMES.count("signed") == 1
