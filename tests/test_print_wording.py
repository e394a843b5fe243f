"""Issue 22 point 8 and the rest of point 4, read back from the outputs: the district summary's
check line in a reviewer's words and its missed targets as a word, dated by the towns'
documents; build/index.html in the district's document order; album information pages that use
the page; no page number on the 版记's page or the blank page before it (GB/T 9704 7.5)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from docx import Document

SUMMARY = "咸阳市渭城区小城镇建设情况汇总"
BOX = "{http://www.w3.org/1999/xhtml}"


def _lines(pdf: Path) -> list[list[tuple[str, float]]]:
    """Each page's lines as (text, height in pt) from ``pdftotext -bbox-layout``: what a reader
    sees and how large it is printed."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in ET.fromstring(xhtml).iter(f"{BOX}page"):
        found = []
        for line in page.iter(f"{BOX}line"):
            words = list(line.iter(f"{BOX}word"))
            height = max(float(w.get("yMax", 0)) - float(w.get("yMin", 0)) for w in words)
            found.append(("".join(w.text or "" for w in words), height))
        pages.append(found)
    return pages


def _seen(text: str) -> str:
    """Text as a reader sees it: without the zero-width characters the writers put in to keep
    or allow line breaks."""
    return re.sub("[\u200b\u2060]", "", text)


def _flat(pdf: Path) -> list[tuple[str, float]]:
    return [line for page in _lines(pdf) for line in page]


# -- the district summary --------------------------------------------------------------------------


def _check_lines(lines: list[tuple[str, float]]) -> tuple[tuple[str, float], tuple[str, float]]:
    headline = next(line for line in lines if line[0].startswith("材料检查："))
    basis = next(line for line in lines if line[0].startswith("按区级规则文件"))
    return headline, basis


@pytest.mark.slow
def test_the_summary_states_the_check_in_a_reviewers_words(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """“材料检查：错误 4 项、警告 0 项、提示 14 项，未通过。” as the line a reviewer reads, and
    what it was checked against (the rule file's version) under it in smaller print; no
    “规则文件版本” headline. In the PDF, in LibreOffice's PDF of the DOCX and in the DOCX."""
    pdf = built_district / "build" / f"{SUMMARY}.pdf"
    for made in (pdf, district_word_pdfs / pdf.name):
        lines = _flat(made)
        (headline, big), (basis, small) = _check_lines(lines)
        assert headline == "材料检查：错误4项、警告1项、提示14项，未通过。", made
        assert re.fullmatch(r"按区级规则文件2023\.1核对（\d+条规则，6个镇）。", basis), basis
        assert small < big * 0.9, (made, big, small)
        assert not any("规则文件版本" in text for text, _ in lines), made
    document = Document(str(pdf.with_suffix(".docx")))
    texts = [p.text for p in document.paragraphs]
    assert "材料检查：错误 4 项、警告 1 项、提示 14 项，未通过。" in texts
    assert not any("检查结果：" in t or "规则文件版本" in t for t in texts)


def _cell_of(pdf: Path, value: str) -> list[str]:
    """The lines around the first one holding ``value`` in the indicators' table."""
    lines = [text for text, _ in _flat(pdf)]
    at = next(i for i, text in enumerate(lines) if value in text)
    return lines[at - 1 : at + 3]


@pytest.mark.slow
def test_a_missed_target_is_a_word_in_its_cell(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """北杜镇's 镇区绿化覆盖率 (26.4 % against ≥30 %) reads “26.4%（未达标）” in its cell, the word
    whole on one line and in bold in the DOCX, not a ✗ beside the number."""
    pdf = built_district / "build" / f"{SUMMARY}.pdf"
    for made in (pdf, district_word_pdfs / pdf.name):
        flat = "".join(text for text, _ in _flat(made))
        assert "✗" not in flat, made
        assert "（未达标）" in flat, made  # whole: no line break inside the word
        assert any("26.4%" in line for line in _cell_of(made, "（未达标）")), made
    document = Document(str(pdf.with_suffix(".docx")))
    cells = [c for t in document.tables for row in t.rows for c in row.cells]
    missed = [c for c in cells if _seen(c.text).endswith("（未达标）")]
    assert [_seen(c.text) for c in missed] == ["26.4%（未达标）"]
    runs = missed[0].paragraphs[0].runs
    assert all(run.bold for run in runs if "未达标" in run.text)


@pytest.mark.slow
def test_the_summary_is_dated_by_the_latest_of_the_towns_documents(built_district: Path) -> None:
    """Not 2000-01-01 (the fallback of a document without a date): the latest date among the
    towns' documents (their PDFs' CreationDate, the albums apart), in both writers."""
    from pypdf import PdfReader

    def created(pdf: Path) -> dt.date:
        info = PdfReader(str(pdf)).metadata
        assert info is not None and info.creation_date is not None, pdf.name
        return info.creation_date.date()

    build = built_district / "build"
    towns = [p for p in build.glob("*/*.pdf") if not p.stem.endswith("观摩图册")]
    assert len(towns) >= 25
    pdf = build / f"{SUMMARY}.pdf"
    assert created(pdf) == max(created(p) for p in towns) != dt.date(2000, 1, 1)
    core = Document(str(pdf.with_suffix(".docx"))).core_properties
    assert core.created is not None and core.created.date() == created(pdf)


# -- build/index.html ---------------------------------------------------------------------------------

KINDS = ("总体规划", "控制性详细规划", "修建性详细规划", "建设(计划|实施方案)", "项目简介汇编",
         "观摩图册", "周报", "材料检查报告")  # fmt: skip
"""The district's document order, as the profile lists its deliverables."""


def _kind(name: str) -> int:
    return next(i for i, kind in enumerate(KINDS) if re.search(kind, name))


@pytest.mark.slow
def test_the_index_lists_files_in_the_districts_document_order(built_district: Path) -> None:
    """Towns as district.yaml lists them, each town's files as the profile orders its documents
    (总体规划, 控规, 修规, 建设计划, 项目简介汇编, 观摩图册, 检查报告), a PDF before its DOCX: not
    by code point (which put 2023年…建设计划 first and 控规 after 修规)."""
    import yaml

    page = (built_district / "build" / "index.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section><h2 id="([^"]+)">.*?<ul>(.*?)</ul></section>', page)
    district = yaml.safe_load((built_district / "towns" / "district.yaml").read_text("utf-8"))
    listed = [t if isinstance(t, str) else t.get("slug") for t in district["towns"]]
    assert [slug for slug, _ in sections] == listed
    for slug, items in sections:
        names = re.findall(r">([^<>]+)</a>", items)
        assert len(names) >= 12, (slug, names)
        kinds = [_kind(n) for n in names]
        assert kinds == sorted(kinds), (slug, names)
        assert set(range(len(KINDS))) <= set(kinds), (slug, names)
        stems = [Path(n).stem for n in names if n.endswith((".pdf", ".docx"))]
        suffixes = [Path(n).suffix for n in names if n.endswith((".pdf", ".docx"))]
        assert suffixes == [".pdf", ".docx"] * (len(stems) // 2), (slug, names)
    district_files = re.search(r"<h2>区级</h2><ul>(.*?)</ul>", page)
    assert district_files is not None
    listed_files = re.findall(r">([^<>]+)</a>", district_files.group(1))
    # the summary, then the weekly progress outputs as the profile lists them (通报 per week,
    # the 考核评分表, the workbook last)
    assert listed_files[:2] == [f"{SUMMARY}.pdf", f"{SUMMARY}.docx"], listed_files
    rest = [Path(n).stem for n in listed_files[2:]]
    notices = [i for i, n in enumerate(rest) if "通报" in n]
    scores = [i for i, n in enumerate(rest) if "评分表" in n]
    assert notices and scores and max(notices) < min(scores), listed_files
    assert listed_files[-1].endswith(".xlsx"), listed_files


# -- no page number on the 版记's page after a blank page (GB/T 9704 7.5) -----------------------------

GONGWEN = re.compile(r"\d{4}年小城镇建设(计划|实施方案)$")
BULLETIN = re.compile(r"工作进度通报（第\d+期）$")
NUMBER = re.compile(r"—\s*\d+\s*—")


def _text_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def _imprint_numbered(pdf: Path) -> tuple[bool, bool]:
    """Whether a blank page goes before the 版记 (the last page) and whether the 版记's page
    carries a page number; a blank page never does."""
    pages = _text_pages(pdf)
    assert "印发" in pages[-1] and len(pages) % 2 == 0, pdf.name
    blank = not pages[-2].strip()
    return blank, bool(NUMBER.search(pages[-1]))


@pytest.mark.slow
def test_neither_the_blank_page_nor_the_imprint_after_it_is_numbered(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """“公文的版记页前有空白页的，空白页和版记页均不编排页码”: in the PDF the 版记's page after a
    blank page has no number, a 版记 right after the body keeps its number (which towns have a
    blank page is the layout's: the six plans and the eight 通报 have both kinds between them);
    the DOCX's 版记 section has empty footers exactly where the PDF has the blank page, and
    LibreOffice's PDF of it prints no number on a 版记 page after a blank."""
    found = sorted((built_district / "build").rglob("*.pdf"))
    gongwen = [p for p in found if GONGWEN.search(p.stem) or BULLETIN.search(p.stem)]
    assert len(gongwen) == 14
    seen = {}
    for pdf in gongwen:
        blank, numbered = _imprint_numbered(pdf)
        assert numbered != blank, pdf.name
        seen[pdf.stem] = blank
        last = Document(str(pdf.with_suffix(".docx"))).sections[-1]
        footers = "".join(
            p.text for f in (last.footer, last.even_page_footer) for p in f.paragraphs
        )
        fields = last.footer._element.xpath(
            ".//w:instrText"
        ) + last.even_page_footer._element.xpath(".//w:instrText")
        assert (not footers.strip() and not fields) == blank, pdf.name
        word_blank, word_numbered = _imprint_numbered(district_word_pdfs / pdf.name)
        if word_blank:
            assert not word_numbered, pdf.name
    assert any(seen.values()) and not all(seen.values()), seen


# -- album information pages --------------------------------------------------------------------------

ALBUM = "渭城镇小城镇建设观摩图册"
FACTS = ("建设地点", "建设规模及内容", "投资规模", "资金来源", "开工日期", "完成时限", "形象进度",
         "责任单位")  # fmt: skip


def _boxes(pdf: Path) -> list[list[tuple[str, float, float]]]:
    """Each page's lines as (text, top, bottom) in pt."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in ET.fromstring(xhtml).iter(f"{BOX}page"):
        found = []
        for line in page.iter(f"{BOX}line"):
            words = list(line.iter(f"{BOX}word"))
            top = min(float(w.get("yMin", 0)) for w in words)
            bottom = max(float(w.get("yMax", 0)) for w in words)
            found.append(("".join(w.text or "" for w in words), top, bottom))
        pages.append(found)
    return pages


@pytest.mark.slow
def test_album_information_pages_use_the_page(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """Every project opens with an information page: its name, where, what, how much, from
    where, when and how far, in 14 pt over at least 70 % of the 180 mm text block (the old
    10.5 pt table used about a third), all of it on that one page in the PDF and in
    LibreOffice's PDF of the DOCX."""
    pdf = built_district / "build" / "weicheng" / f"{ALBUM}.pdf"
    for made in (pdf, district_word_pdfs / pdf.name):
        info = [
            page
            for page in _boxes(made)
            if any(text.startswith("项目类别") for text, _, _ in page)
            and not any(text.startswith("规划图纸与展板") for text, _, _ in page)
        ]
        assert len(info) == 4, made  # one for each of 渭城镇's four projects
        for page in info:
            body = [(t, top, bottom) for t, top, bottom in page if not re.fullmatch(r"—\d+—", t)]
            flat = "".join(t for t, _, _ in body)
            assert all(label in flat for label in FACTS), (made.name, flat)
            used = max(b for _, _, b in body) - min(t for _, t, _ in body)
            assert used / (180 * 72 / 25.4) >= 0.7, (made.name, used)
            label = next(b - t for text, t, b in body if text.startswith("项目类别"))
            assert label >= 12, (made.name, label)  # 14 pt type, not 10.5 pt
