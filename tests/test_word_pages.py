"""Word lays out like the PDF (issue 22, point 5): in LibreOffice's PDF of the DOCX every document
of two towns (公文, plans, album, 项目简介汇编, 周报) and the district summary take as many pages as
WeasyPrint's PDF, each project of the 项目简介汇编 starts a page, and every entry of a DOCX's
prefilled table of contents names the page LibreOffice puts its heading on (the page numbers are
the PDF's, so they are right in both). LibreOffice runs with the PDF's faces (conftest
``libreoffice_env``): the pages are compared set in the same type."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

TOWNS = ("weicheng", "zhengyang")
KINDS = ("小城镇建设观摩图册", "小城镇建设项目简介汇编")
SUMMARY = "*小城镇建设情况汇总.docx"
WITH_CONTENTS = ("总体规划", "控制性详细规划", "修建性详细规划", *KINDS, "情况汇总")
"""The documents with a table of contents (the 公文 and the 周报 have none)."""


def _built(root: Path) -> list[Path]:
    """Every DOCX of the two towns, and the district summary."""
    towns = [path for town in TOWNS for path in (root / "build" / town).glob("*.docx")]
    return sorted([*towns, *(root / "build").glob(SUMMARY)])


def _with_contents(root: Path) -> list[Path]:
    return [path for path in _built(root) if path.stem.endswith(WITH_CONTENTS)]


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"Pages:\s+(\d+)", info.stdout)
    assert found is not None
    return int(found.group(1))


def _page_texts(pdf: Path) -> list[str]:
    return [_page_text(pdf, n) for n in range(1, _pages(pdf) + 1)]


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
    # Each town: 建设计划, 总规, 控规, 修规, album, 简介 and 8 周报; and the summary.
    assert len(files) == 2 * (6 + 8) + 1, [f.name for f in files]
    differ = []
    for file in files:
        word = _pages(district_word_pdfs / f"{file.stem}.pdf")
        printed = _pages(file.with_suffix(".pdf"))
        if word != printed:
            differ.append((file.name, word, printed))
    assert not differ, differ


@pytest.mark.slow
def test_prefilled_toc_names_the_pages_word_puts_the_headings_on(
    built_district: Path, district_word_pdfs: Path
) -> None:
    files = _with_contents(built_district)
    assert len(files) == 2 * 5 + 1, [f.name for f in files]
    for file in files:
        entries = _toc_entries(docx.Document(str(file)))
        assert len(entries) >= 3, file.name
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
