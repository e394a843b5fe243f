"""Word lays out like the PDF (issue 22, point 5): in LibreOffice's PDF of the DOCX the album and
the 项目简介汇编 of two towns take as many pages as WeasyPrint's PDF, each project starts a page,
and every entry of the DOCX's prefilled table of contents names the page LibreOffice puts its
heading on (the page numbers are the PDF's, so they are right in both)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

TOWNS = ("weicheng", "zhengyang")
KINDS = ("小城镇建设观摩图册", "小城镇建设项目简介汇编")


def _built(root: Path) -> list[Path]:
    return sorted(
        path
        for town in TOWNS
        for path in (root / "build" / town).glob("*.docx")
        if path.stem.endswith(KINDS)
    )


def _page_texts(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"Pages:\s+(\d+)", info.stdout)
    assert found is not None
    return [_page_text(pdf, n) for n in range(1, int(found.group(1)) + 1)]


def _page_text(pdf: Path, page: int) -> str:
    command = ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _toc_entries(document: docx.document.Document) -> list[tuple[str, int]]:
    """The prefilled TOC's entries: each line's title and page number."""
    entries = []
    for paragraph in document.paragraphs:
        name = paragraph.style.name.lower() if paragraph.style is not None else ""
        if name.startswith("toc") and "\t" in paragraph.text:
            title, page = paragraph.text.rsplit("\t", 1)
            entries.append((title.strip(), int(page)))
    return entries


def _lines(text: str) -> list[str]:
    """A page's lines that hold something (the running header first)."""
    return [line for line in text.splitlines() if line.strip()]


def _squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


def heading_pages(entries: list[tuple[str, int]], pages: list[str], start: int) -> list[int | None]:
    """The page (1-based) holding each entry's title as a line of its own, searched in document
    order from page ``start`` (a title that repeats, as 一、项目概况 under every project, is
    found after the one before it)."""
    found: list[int | None] = []
    at = start
    for title, _ in entries:
        key = _squeezed(title)
        page = next(
            (
                number + 1
                for number in range(at - 1, len(pages))
                if any(_squeezed(line) == key for line in pages[number].splitlines())
            ),
            None,
        )
        found.append(page)
        at = page or at
    return found


def _after_contents(pages: list[str]) -> int:
    """The first page after the contents page (目 录)."""
    contents = next(n for n, text in enumerate(pages) if re.search(r"目\s*录", text))
    return contents + 2


@pytest.mark.slow
def test_word_takes_the_pdfs_pages(built_district: Path, district_word_pdfs: Path) -> None:
    files = _built(built_district)
    assert len(files) == 2 * len(TOWNS)
    for file in files:
        word = _page_texts(district_word_pdfs / f"{file.stem}.pdf")
        printed = _page_texts(file.with_suffix(".pdf"))
        assert len(word) == len(printed), (file.name, len(word), len(printed))


@pytest.mark.slow
def test_prefilled_toc_names_the_pages_word_puts_the_headings_on(
    built_district: Path, district_word_pdfs: Path
) -> None:
    for file in _built(built_district):
        entries = _toc_entries(docx.Document(str(file)))
        assert len(entries) >= 4, file.name
        for pdf in (district_word_pdfs / f"{file.stem}.pdf", file.with_suffix(".pdf")):
            pages = _page_texts(pdf)
            found = heading_pages(entries, pages, _after_contents(pages))
            wrong = [(t, p, f) for (t, p), f in zip(entries, found, strict=True) if p != f]
            assert not wrong, (pdf.name, wrong)


@pytest.mark.slow
def test_each_project_starts_a_page(built_district: Path, district_word_pdfs: Path) -> None:
    """In the 项目简介汇编 every project's heading after the first breaks the page in the DOCX
    itself, and LibreOffice sets each at the top of its page."""
    for town in TOWNS:
        (file,) = (built_district / "build" / town).glob("*项目简介汇编.docx")
        document = docx.Document(str(file))
        titles = [
            p
            for p in document.paragraphs
            if p.style is not None and p.style.name == "Heading 1" and p.text.strip()
        ]
        assert len(titles) >= 3, file.name
        for title in titles[1:]:
            assert title._p.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}") is not None, title.text
        pages = _page_texts(district_word_pdfs / f"{file.stem}.pdf")
        for title in titles:
            starts = [
                n
                for n, text in enumerate(pages)
                if _squeezed(title.text) in [_squeezed(line) for line in _lines(text)[:2]]
            ]
            assert starts, (file.name, title.text)
