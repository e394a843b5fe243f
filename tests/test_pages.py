"""Documents judged as pages: page breaks and drawings, in the PDF and in the Word document,
measured from what the outputs hold (page texts, page sizes, image sizes)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import docx
from docx.document import Document
from docx.oxml.ns import qn

from townplans import mdparser
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.pdf import html_to_pdf
from townplans.render.style import css, load_style

REPO = Path(__file__).resolve().parent.parent
STYLE = load_style(REPO / "templates/style.yaml")


def write_docx(markdown: str, root: Path) -> Document:
    writer = DocxWriter(STYLE, root)
    writer.add_markdown(mdparser.parse(markdown), root)
    buffer = io.BytesIO()
    writer.document.save(buffer)
    return docx.Document(io.BytesIO(buffer.getvalue()))


def write_pdf(markdown: str, root: Path) -> bytes:
    body = html_render.render_body([html_render.HtmlPart(mdparser.parse(markdown), root, root)])
    page = html_render.page("t", body, css(STYLE), cover=False, toc=False)
    return html_to_pdf(page, {"workspace": root})[0]


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return text.split("\f")[:-1]


def docx_pages(document: Document) -> list[str]:
    """The body text of each page as Word breaks it: at page breaks and new-page sections."""
    pages = [""]
    for paragraph in document.element.body.iter(qn("w:p")):
        for node in paragraph.iter(qn("w:t"), qn("w:br")):
            if node.tag == qn("w:br") and node.get(qn("w:type")) == "page":
                pages.append("")
            elif node.tag == qn("w:t"):
                pages[-1] += node.text or ""
        if paragraph.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            pages.append("")
    return [page for page in pages if page]


# -- page breaks ---------------------------------------------------------------------------------

BREAKS = (
    "第一页。\n\n\\newpage\n\n第二页。\n\\pagebreak\n第三页。\n\n"
    "::: pagebreak\n:::\n\n第四页。\n\n"
    "::: pagebreak\n第五页。\n:::\n\n"
    "见下页\\newpage 仍在第五页。\n\n"
    "`\\newpage` 是代码。\n"
)
"""Every supported way to break a page, and what stays text: a ``\\newpage`` after other text on
its line, and one in code."""


def test_page_breaks_break_the_page_in_word_and_pdf(tmp_path: Path) -> None:
    expected = [
        ["第一页"],
        ["第二页"],
        ["第三页"],
        ["第四页"],
        ["第五页", "见下页\\newpage 仍在第五页", "\\newpage 是代码"],
    ]
    for name, pages in (
        ("PDF", pdf_pages(write_pdf(BREAKS, tmp_path))),
        ("Word", docx_pages(write_docx(BREAKS, tmp_path))),
    ):
        assert len(pages) == len(expected), (name, pages)
        for page, texts in zip(pages, expected, strict=True):
            flat = " ".join(page.split())
            assert all(text in flat for text in texts), (name, flat)
            assert flat.count("\\newpage") == sum(text.count("\\newpage") for text in texts)
        assert "\\pagebreak" not in "".join(pages)


def test_a_page_break_line_is_one_token_wherever_it_stands() -> None:
    def kinds(source: str) -> list[str]:
        return [token.type for token in mdparser.parse(source)]

    assert kinds("\\newpage\n") == [mdparser.PAGE_BREAK]
    assert kinds("  \\pagebreak  \n") == [mdparser.PAGE_BREAK]
    assert mdparser.PAGE_BREAK in kinds("段落\n\\newpage\n下一段\n")  # ends the paragraph
    assert mdparser.PAGE_BREAK not in kinds("段落 \\newpage\n")  # text after other text
    assert mdparser.PAGE_BREAK not in kinds("    \\newpage\n")  # indented code
    assert mdparser.PAGE_BREAK not in kinds("```\n\\newpage\n```\n")
    assert mdparser.PAGE_BREAK not in kinds("\\\\newpage\n")  # escaped: the word itself
    assert mdparser.PAGE_BREAK not in kinds("| a |\n|---|\n| \\newpage |\n")
