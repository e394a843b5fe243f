"""Real inputs written by others: every CommonMark spec example, the GFM table examples and the
Chinese planning Markdown convert to DOCX and PDF, and their text is found in both outputs."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import subprocess
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

import docx
import pypdf
import pytest
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from markdown_it.token import Token

from tests.conftest import SHARED, require_corpora
from townplans import mdparser
from townplans.rawhtml import is_comment, is_table, parse_table
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.layout import missing_image
from townplans.render.pdf import anchor_pages, html_to_pdf
from townplans.render.style import Style, css, load_style

CORPORA = SHARED / "corpora"


@pytest.fixture(autouse=True)
def _corpora_present() -> None:
    require_corpora()


STYLE: Style = load_style(Path(__file__).resolve().parent.parent / "templates/style.yaml")
SHEET = css(STYLE)


def _examples() -> list[dict[str, object]]:
    path = CORPORA / "commonmark/commonmark-spec-0.31.2.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def block_texts(tokens: Sequence[Token]) -> Iterator[str]:
    """The plain text of each block, as markdown-it-py parses it (inline text, code, raw HTML but
    comments, which neither writer prints)."""
    for token in tokens:
        if token.type == "inline":
            yield "".join(_inline_text(child) for child in token.children or ())
        elif token.type in ("fence", "code_block"):
            yield token.content
        elif token.type == "html_block" and not is_comment(token.content):
            if is_table(token.content):
                yield from (cell.text for row in parse_table(token.content).rows for cell in row)
            else:
                yield token.content


def _inline_text(child: Token) -> str:
    if child.type == "html_inline" and is_comment(child.content):
        return ""
    if child.type in ("text", "code_inline", "html_inline"):
        return child.content
    if child.type == "image":
        # The corpus's images do not exist here, so both outputs show the alt text followed by a
        # visible "missing image" note, by design.
        return missing_image(child.content, str(child.attrs.get("src", "")))
    if child.type in ("softbreak", "hardbreak"):
        return " "
    return ""


def squeeze(text: str) -> str:
    """Text without whitespace and without the invisible ZERO WIDTH SPACE and WORD JOINER the
    writers put where a line may or may not break (issue 10), for comparing what is there, not
    where it wraps."""
    return re.sub(r"[\s\u200b\u2060]+", "", text.replace("\u00a0", " "))


def to_docx_text(tokens: Sequence[Token], root: Path) -> tuple[bytes, str]:
    writer = DocxWriter(STYLE, root)
    writer.add_markdown(tokens, root)
    buffer = io.BytesIO()
    writer.document.save(buffer)
    return buffer.getvalue(), docx_text(writer.document.element.body)


def docx_text(element: BaseOxmlElement) -> str:
    """The text of a piece of a Word document's body."""
    # A hyphen in a number or code is a w:noBreakHyphen (issue 10): it reads as "-".
    return "".join(
        "-" if node.tag == qn("w:noBreakHyphen") else node.text or ""
        for node in element.iter(qn("w:t"), qn("w:noBreakHyphen"))
    )


def to_pdf_text(tokens: Sequence[Token], root: Path) -> tuple[bytes, str]:
    """PDF bytes and their text (``page_texts``)."""
    body = html_render.render_body([html_render.HtmlPart(tokens, root, root)])
    page = html_render.page("示例", body, SHEET, cover=False, toc=False)
    data, _ = html_to_pdf(page, {"workspace": root})
    return data, "\n".join(page_texts(data))


PORTRAIT_BLOCK = ["-x", "0", "-y", "95", "-W", "595", "-H", "655"]
LANDSCAPE_BLOCK = ["-x", "0", "-y", "75", "-W", "842", "-H", "460"]
"""A page's text block in points from its top left corner (A4: 105–743 pt from the top of a
portrait page, 88–511 pt of a landscape one, a wide table's page, issue 10)."""


def page_texts(data: bytes) -> list[str]:
    """The text of each page of a PDF as pdftotext extracts it (poppler reads every font encoding
    WeasyPrint writes; pypdf garbles some), only its text block: the running header and the page
    number are cropped away, as they would otherwise interrupt a paragraph that runs over a page
    break. One pdftotext for all pages per orientation (a page's crop is its orientation's)."""
    landscape = [
        sheet.mediabox.width > sheet.mediabox.height
        for sheet in pypdf.PdfReader(io.BytesIO(data)).pages
    ]
    crops = [(False, PORTRAIT_BLOCK)] + ([(True, LANDSCAPE_BLOCK)] if any(landscape) else [])
    cropped: dict[bool, list[str]] = {}
    for turned, crop in crops:
        text = subprocess.run(
            ["pdftotext", "-raw", *crop, "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode("utf-8")
        # Every page's text ends with a form feed.
        cropped[turned] = text.split("\f")[: len(landscape)]
        assert len(cropped[turned]) == len(landscape), "pdftotext 的页数与 PDF 不符"
    return [cropped[turned][number] for number, turned in enumerate(landscape)]


BATCH = 50
"""CommonMark examples converted together: one Word writer and one PDF a batch, not one each."""


@dataclass
class Converted:
    """The text of one CommonMark example's part of its batch's Word and PDF outputs, or what
    went wrong converting it (a traceback, reported by the example's own test)."""

    docx_text: str = ""
    pdf_text: str = ""
    error: str | None = None


def example_anchor(number: int) -> str:
    return f"commonmark-example-{number}"


def convert_batch(examples: Sequence[dict[str, object]], root: Path) -> dict[int, Converted]:
    """Each example's text in one Word document and one PDF shared by the batch, by example
    number. The Markdown is never joined: each example is parsed and its HTML body rendered on
    its own (its link reference definitions and unclosed constructs stay in it), and only the
    HTML is concatenated, each example starting a page of its own (a forced break) whose first
    page the layout gives by the example's anchor; its text is that of its pages."""
    writer = DocxWriter(STYLE, root)
    converted: dict[int, Converted] = {}
    sections: list[str] = []
    for example in examples:
        number = int(str(example["example"]))
        result = converted[number] = Converted()
        try:
            tokens = mdparser.parse(str(example["markdown"]))
            result.docx_text = added_docx_text(writer, tokens, root)
            body = html_render.render_body([html_render.HtmlPart(tokens, root, root)])
        except Exception:  # noqa: BLE001 - its own test reports it, naming the example
            result.error = traceback.format_exc()
            continue
        anchor = example_anchor(number)
        sections.append(f'<div id="{anchor}" style="break-before: page">{body.html}</div>')
    writer.document.save(io.BytesIO())
    body = html_render.RenderedBody("\n".join(sections))
    page = html_render.page("示例", body, SHEET, cover=False, toc=False)
    mounts = {"workspace": root}
    first_pages = anchor_pages(page, mounts)  # laid out once: html_to_pdf prints this layout
    texts = page_texts(html_to_pdf(page, mounts)[0])
    starts = sorted(
        (first_pages[example_anchor(n)], n) for n in converted if example_anchor(n) in first_pages
    )
    ends = [start for start, _ in starts[1:]] + [len(texts) + 1]
    for (start, number), end in zip(starts, ends, strict=True):
        converted[number].pdf_text = "\n".join(texts[start - 1 : end - 1])
    return converted


def added_docx_text(writer: DocxWriter, tokens: Sequence[Token], root: Path) -> str:
    """The text of what ``tokens`` add to the writer's body."""
    body = writer.document.element.body
    before = set(body)
    writer.add_markdown(tokens, root)
    return "".join(docx_text(element) for element in body if element not in before)


class CommonMarkOutputs:
    """Every CommonMark example converted (``convert_batch``), a batch on the first demand for
    one of its examples, once per test run: xdist's workers share the batches through files in
    the run's temporary folder (as ``made_once``). A worker that finds its batch being made by
    the other makes the next one meanwhile, so that they work side by side instead of waiting."""

    def __init__(self, examples: Sequence[dict[str, object]], folder: Path) -> None:
        self.batches = [examples[at : at + BATCH] for at in range(0, len(examples), BATCH)]
        self.batch_of = {
            int(str(e["example"])): index for index, batch in enumerate(self.batches) for e in batch
        }
        self.folder = folder
        self.converted: dict[int, dict[int, Converted]] = {}

    def __getitem__(self, number: int) -> Converted:
        index = self.batch_of[number]
        if index not in self.converted:
            if not self._make(index, wait=False) and index + 1 < len(self.batches):
                self._make(index + 1, wait=False)
            self._make(index, wait=True)
            made = json.loads((self.folder / f"{index}.json").read_text(encoding="utf-8"))
            self.converted[index] = {int(n): Converted(**texts) for n, texts in made.items()}
        return self.converted[index][number]

    def _make(self, index: int, wait: bool) -> bool:
        """Make batch ``index`` unless it is made; False if another worker is making it (and
        ``wait`` is False)."""
        with (self.folder / f"{index}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return False
            try:
                made = self.folder / f"{index}.json"
                if not made.exists():
                    root = self.folder / f"root-{index}"
                    root.mkdir()
                    converted = convert_batch(self.batches[index], root)
                    texts = {number: asdict(result) for number, result in converted.items()}
                    partial = made.with_suffix(".partial")
                    partial.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
                    partial.replace(made)
                return True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def commonmark_outputs(tmp_path_factory: pytest.TempPathFactory) -> CommonMarkOutputs:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder = base / "commonmark"
    folder.mkdir(exist_ok=True)
    return CommonMarkOutputs(_examples(), folder)


@pytest.mark.parametrize("example", _examples(), ids=lambda e: f"example-{e['example']}")
def test_commonmark_example_converts_with_its_text(
    example: dict[str, object], commonmark_outputs: CommonMarkOutputs
) -> None:
    converted = commonmark_outputs[int(str(example["example"]))]
    if converted.error is not None:
        pytest.fail(converted.error)
    in_docx, in_pdf = squeeze(converted.docx_text), squeeze(converted.pdf_text)
    for text in block_texts(mdparser.parse(str(example["markdown"]))):
        expected = squeeze(text)
        assert expected in in_docx, f"DOCX lacks {expected!r}"
        assert expected in in_pdf, f"PDF lacks {expected!r}"


def test_all_commonmark_examples_are_present() -> None:
    assert len(_examples()) == 652


class _Cells(HTMLParser):
    """Rows of cell texts from the spec's expected HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _gfm_tables() -> list[tuple[str, str]]:
    path = CORPORA / "commonmark/gfm-spec-0.29.txt"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8").replace("→", "\t")
    fence = "`" * 32
    blocks = re.findall(
        rf"^{fence} example table\n(.*?)\n^\.\n(.*?)^{fence}$", text, re.DOTALL | re.MULTILINE
    )
    return [(markdown + "\n", html) for markdown, html in blocks]


@pytest.mark.parametrize(("markdown", "expected"), _gfm_tables())
def test_gfm_table_examples_keep_their_cells(markdown: str, expected: str, tmp_path: Path) -> None:
    tokens = mdparser.parse(markdown)
    data, _ = to_docx_text(tokens, tmp_path)
    parser = _Cells()
    parser.feed(expected)
    # Issue 10: an empty cell prints "—" (the spec's HTML leaves it empty).
    expected_rows = [[cell or "—" for cell in row] for row in parser.rows if row]
    document = docx.Document(io.BytesIO(data))
    if not expected_rows:
        assert not document.tables
        return
    [table] = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == expected_rows
    _, pdf_text = to_pdf_text(tokens, tmp_path)
    for row in expected_rows:
        for cell in row:
            assert squeeze(cell) in squeeze(pdf_text)


def test_there_are_eight_gfm_table_examples() -> None:
    assert len(_gfm_tables()) == 8


ZH_DOCUMENTS = sorted(
    p.name for p in (CORPORA / "markdown-zh").glob("*.md") if p.name != "SOURCES.md"
)


@pytest.mark.parametrize("name", ZH_DOCUMENTS)
def test_chinese_planning_markdown_builds_with_headings_tables_and_text(
    name: str, tmp_path: Path
) -> None:
    text = (CORPORA / "markdown-zh" / name).read_text(encoding="utf-8")
    tokens = mdparser.parse(text)
    data, docx_text = to_docx_text(tokens, tmp_path)
    _, pdf_text = to_pdf_text(tokens, tmp_path)
    headings = [
        mdparser.inline_text(tokens[i + 1])
        for i, t in enumerate(tokens)
        if t.type == "heading_open"
    ]
    document = docx.Document(io.BytesIO(data))
    styled = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert [squeeze(h) for h in styled] == [squeeze(h) for h in headings]
    for heading in headings:
        assert squeeze(heading) in squeeze(pdf_text)
    html_tables = sum(1 for t in tokens if t.type == "html_block" and is_table(t.content))
    pipe_tables = sum(1 for t in tokens if t.type == "table_open")
    assert len(document.tables) == html_tables + pipe_tables
    for block in block_texts(tokens):
        assert squeeze(block) in squeeze(docx_text)
        assert squeeze(block) in squeeze(pdf_text)


def test_merged_cells_survive_in_both_outputs(tmp_path: Path) -> None:
    """The village plan's land-use table: rowspan/colspan become Word merges and HTML spans."""
    text = (CORPORA / "markdown-zh/jintian-village-plan-2022-2035.md").read_text(encoding="utf-8")
    tokens = mdparser.parse(text)
    table_token = next(t for t in tokens if t.type == "html_block" and 'rowspan="13"' in t.content)
    data, _ = to_docx_text([table_token], tmp_path)
    xml = docx.Document(io.BytesIO(data)).tables[0]._tbl.xml
    assert 'w:gridSpan w:val="3"' in xml and "w:vMerge" in xml
    table = docx.Document(io.BytesIO(data)).tables[0]
    assert len(table.columns) == 8 and len(table.rows) == 27
    assert table.cell(5, 0).text == table.cell(3, 0).text == "农业用地"  # one merged cell
    body = html_render.render_body([html_render.HtmlPart([table_token], tmp_path, tmp_path)])
    assert 'rowspan="13"' in body.html and 'colspan="3"' in body.html


def test_other_raw_html_is_escaped_text(tmp_path: Path) -> None:
    tokens = mdparser.parse(
        '<script>alert(1)</script>\n\n段落 <img src="x.png" onerror="alert(2)"> 结束\n\n<table><tr><td>甲<script>x</script></td><td onclick="y">乙</td></tr></table>\n'
    )
    body = html_render.render_body([html_render.HtmlPart(tokens, tmp_path, tmp_path)])
    assert "<script" not in body.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in body.html
    # The img tag is text now, and the table kept only its safe parts.
    assert "<img" not in body.html and "&lt;img src=&quot;x.png&quot;" in body.html
    assert "onclick" not in body.html
    assert "<td>甲</td><td>乙</td>" in body.html
    assert any("script" in problem.message for problem in body.problems)
    _, text = to_docx_text(tokens, tmp_path)
    assert "<script>alert(1)</script>" in text and '<img src="x.png" onerror="alert(2)">' in text
