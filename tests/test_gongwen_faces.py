"""The 公文's faces (GB/T 9704 5.2.2, 7.3.3) and its 版记 on an even page (7.4.1, 7.5), in the PDF
and in LibreOffice's PDF of the DOCX; doctor's warning when a role would take another design."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
from docx import Document
from docx.oxml.ns import qn

from townplans import doctor
from townplans.paths import WorkspacePaths, default_templates
from townplans.render import faces
from townplans.render.html import font_faces
from townplans.render.style import load_style

GONGWEN = re.compile(r"\d{4}年小城镇建设(计划|实施方案)$")
NUMBER = re.compile(r"—\s*\d+\s*—")


def _gongwen(build: Path) -> list[Path]:
    found = sorted(p for p in build.rglob("*.pdf") if GONGWEN.search(p.stem))
    assert len(found) == 6, found  # one 公文 for each of the sample's six towns
    return found


def _fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


# -- faces ------------------------------------------------------------------------------------


def test_names_say_their_design() -> None:
    assert faces.design("仿宋_GB2312") == "仿宋"
    assert faces.design("FangSong") == "仿宋"
    assert faces.design("FandolFang") == "仿宋"
    assert faces.design("方正小标宋简体") == "宋体"
    assert faces.design("FandolSong") == "宋体"
    assert faces.design("Noto Serif CJK SC") == "宋体"
    assert faces.design("楷体_GB2312") == "楷体"
    assert faces.design("AR PL UKai CN") == "楷体"
    assert faces.design("Noto Sans CJK SC") == "黑体"
    assert faces.design("Times New Roman") is None


def test_the_shipped_fonts_give_every_gongwen_role_its_design() -> None:
    """With nothing installed but Noto CJK, the fonts in templates/fonts/ are what each role of a
    公文 gets: 仿宋 body and tables, a heavy 宋体 title, 楷体 second-level headings."""
    templates = default_templates()
    style = load_style(templates / "style.yaml")
    found = {f.role: f for f in faces.faces(style, templates / "fonts", installed=_noto_only)}
    assert all(f.matches for f in found.values()), [faces.describe(f) for f in found.values()]
    assert found["body"].family == "FandolFang"
    assert found["table"].family == "FandolFang"
    assert found["title"].family == "FandolSong"
    assert found["heading2"].family == "FandolKai"
    assert found["heading1"].family == "Noto Sans CJK SC"


def _noto_only(name: str) -> bool:
    return name.startswith("Noto ")


def test_without_the_fonts_a_role_falls_back_to_another_design(tmp_path: Path) -> None:
    style = load_style(default_templates() / "style.yaml")
    found = {f.role: f for f in faces.faces(style, tmp_path / "none", installed=_noto_only)}
    assert not found["body"].matches and found["body"].found == "宋体"
    assert "不是仿宋" in faces.describe(found["body"])
    assert not found["heading2"].matches  # 楷体 wanted, Noto Serif (宋体) found
    assert found["heading1"].matches  # 黑体: Noto Sans CJK SC is one


def test_doctor_warns_when_a_gongwen_would_fall_back(tmp_path: Path) -> None:
    shutil.copytree(default_templates(), tmp_path / "templates", ignore=_no_fonts)
    (tmp_path / "towns").mkdir()
    check = doctor._gongwen_faces(WorkspacePaths(tmp_path))
    assert not check.ok and not check.required  # a warning: the PDF is still made
    assert "正文（仿宋_GB2312） → " in check.found and "不是仿宋" in check.found
    assert "templates/fonts/" in check.advice


def _no_fonts(folder: str, names: list[str]) -> list[str]:
    return ["fonts"] if "fonts" in names else []


def test_doctor_is_content_with_the_shipped_fonts(tmp_path: Path) -> None:
    shutil.copytree(default_templates(), tmp_path / "templates")
    (tmp_path / "towns").mkdir()
    check = doctor._gongwen_faces(WorkspacePaths(tmp_path))
    assert check.ok, check.found
    assert "正文（仿宋_GB2312） → FandolFang" in check.found


def test_a_bold_face_is_declared_bold() -> None:
    """FandolSong Bold says it is bold in its style bits (its weight class is 400): declared
    bold, a bold title takes it as it is instead of emboldening it a second time."""
    rules = font_faces(default_templates() / "fonts").splitlines()
    song = next(rule for rule in rules if '"FandolSong"' in rule)
    fang = next(rule for rule in rules if '"FandolFang"' in rule)  # not "FandolFang R"
    assert "font-weight: bold" in song
    assert "font-weight: normal" in fang


@pytest.mark.slow
def test_every_gongwen_pdf_is_set_in_fangsong_with_a_heavy_song_title(
    built_district: Path,
) -> None:
    for pdf in _gongwen(built_district / "build"):
        fonts = _fonts(pdf)
        assert "+FandolFang " in fonts, (pdf.name, fonts)  # the body (3号仿宋)
        assert "+FandolSong-Bold " in fonts, (pdf.name, fonts)  # the title and the 标志 (小标宋)


@pytest.mark.slow
def test_the_gongwen_docx_names_the_official_faces(built_district: Path) -> None:
    for pdf in _gongwen(built_district / "build"):
        styles = Document(str(pdf.with_suffix(".docx"))).styles
        east_asian = {
            name: styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
            for name in ("Normal", "Title", "Heading 1", "Heading 2")
        }
        assert east_asian == {
            "Normal": "仿宋_GB2312",
            "Title": "方正小标宋简体",
            "Heading 1": "黑体",
            "Heading 2": "楷体_GB2312",
        }, pdf.name
        # 小标宋 is heavy by design: Word would embolden a bold title again (review R10)
        title = styles["Title"]
        assert title.font.bold is not True and title.font.name == "方正小标宋简体", pdf.name
        head = Document(str(pdf.with_suffix(".docx"))).paragraphs[:8]
        assert not [r.text for p in head for r in p.runs if r.bold], pdf.name  # 标志 and title


# -- LibreOffice in the PDF's faces ----------------------------------------------------------


def test_the_fontconfig_sets_each_official_name_in_the_pdfs_face(tmp_path: Path) -> None:
    """The configuration LibreOffice runs with (tests, proof sheets, a reviewer on Linux) gives,
    for each east_asian name of style.yaml, the family the PDF sets that role in: without it
    fontconfig gives one CJK face (Noto Sans CJK JP) for all of them."""
    conf = faces.write_fontconfig(tmp_path, tmp_path / "out" / "fonts.conf")
    style = load_style(default_templates() / "style.yaml")
    fonts = default_templates() / "fonts"
    assert faces.aliases(style, fonts, installed=_noto_only) == {
        "仿宋_GB2312": "FandolFang",
        "方正小标宋简体": "FandolSong",
        "楷体_GB2312": "FandolKai",
        "黑体": "Noto Sans CJK SC",
        "宋体": "Noto Serif CJK SC",
    }
    expected = faces.aliases(style, fonts)  # what this machine has
    assert expected["仿宋_GB2312"] == "FandolFang"
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    for name, family in expected.items():
        found = subprocess.run(
            ["fc-match", "-f", "%{family}", name],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        assert family in found.split(","), (name, found)


def _text_faces(pdf: Path) -> list[tuple[str, str, float]]:
    """Each run of text in ``pdf`` with its font family (without the subset tag) and size."""
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", str(pdf)], capture_output=True, check=True
    ).stdout
    root = ElementTree.fromstring(xml)
    specs = {}
    for page in root.iter("page"):
        for spec in page.iter("fontspec"):
            family = spec.get("family", "").split("+", 1)[-1]
            specs[spec.get("id")] = (family, float(spec.get("size", "0")))
    return [
        ("".join(text.itertext()), *specs[text.get("font")])
        for page in root.iter("page")
        for text in page.iter("text")
    ]


def _cjk(text: str) -> int:
    return sum("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.mark.slow
def test_libreoffice_sets_the_docx_in_the_pdfs_faces(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """LibreOffice's PDF of a 公文 DOCX and of a plan's: the body in FandolFang (most of the
    Chinese), the 公文's 标志 and title (its two largest sizes) in FandolSong, as the PDF has them;
    without the configuration all of it was Noto Sans CJK JP."""
    town = built_district / "build" / "weicheng"
    for docx_file in (*town.glob("*年小城镇建设计划.docx"), *town.glob("*总体规划.docx")):
        runs = _text_faces(district_word_pdfs / f"{docx_file.stem}.pdf")
        chars = Counter[str]()
        for text, family, _ in runs:
            chars[family] += _cjk(text)
        assert chars.most_common(1)[0][0] == "FandolFang", (docx_file.name, chars)
        if "建设计划" in docx_file.stem:
            sizes = sorted({size for text, _, size in runs if _cjk(text)}, reverse=True)[:2]
            big = {family for text, family, size in runs if _cjk(text) and size in sizes}
            assert big == {"FandolSong"}, (docx_file.name, big)


# -- 版记 on an even page --------------------------------------------------------------------


BULLETIN = re.compile(r"工作进度通报（第\d+期）$")


def _with_imprint(build: Path) -> list[Path]:
    """Every 公文 with a 版记: the six towns' plans and the district's 通报 (eight weeks)."""
    bulletins = sorted(p for p in build.glob("*.pdf") if BULLETIN.search(p.stem))
    assert len(bulletins) == 8, bulletins
    return _gongwen(build) + bulletins


def _imprint_on_even_page(pdf: Path) -> tuple[int, bool]:
    """The 版记's page (it is the last) and whether a blank page went before it; asserts what
    7.4.1 and 7.5 ask of them."""
    pages = _pages(pdf)
    last = len(pages)
    assert "印发" in pages[-1], pdf.name  # 抄送 is optional (the 通报 has none)
    assert last % 2 == 0, f"{pdf.name}: 版记 on page {last}, an odd page"
    before = pages[-2]
    blank = not before.strip()
    if not blank:  # the body's own last page: numbered, and not the 版记's
        assert NUMBER.search(before) and "印发" not in before, pdf.name
    return last, blank


@pytest.mark.slow
def test_the_imprint_is_on_an_even_page_in_the_pdf(built_district: Path) -> None:
    """The sample's six towns had their 版记 on pages 5, 5, 7, 5, 5 (odd) and 6; now each is on an
    even page, after a blank page without a number where the body ended on an even page. How
    many bodies end on an even page is the layout's (the faces, the grid and the tables' widths
    move it; since the widths are fitted every plan of the six has the blank page): the plans
    and the 通报 have both kinds between them, so both ways to an even page are read."""
    blanks = [_imprint_on_even_page(pdf)[1] for pdf in _with_imprint(built_district / "build")]
    assert len(blanks) == 14 and any(blanks) and not all(blanks), blanks


@pytest.mark.slow
def test_the_imprint_is_on_an_even_page_in_word(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """The DOCX starts the 版记's section on an even page; Word and LibreOffice put the blank
    page in (LibreOffice's PDF keeps it: ``PDF_EXPORT``)."""
    blanks = 0
    for pdf in _with_imprint(built_district / "build"):
        _, blank = _imprint_on_even_page(district_word_pdfs / pdf.name)
        blanks += blank
        document = Document(str(pdf.with_suffix(".docx")))
        last = document.sections[-1]._sectPr.find(qn("w:type"))
        assert last is not None and last.get(qn("w:val")) == "evenPage", pdf.name
    assert blanks >= 1


# -- metadata --------------------------------------------------------------------------------------


def test_pdf_properties_come_from_the_content() -> None:
    """Author, Subject and the content's date reach the PDF's Info and, for PDF/A, its XMP
    (dc:creator): not the build's clock."""
    import datetime as dt
    import io

    from pypdf import PdfReader

    from townplans.render.html import metadata
    from townplans.render.pdf import html_to_pdf

    meta = metadata("渭城镇人民政府", "渭城镇 · 建设计划", dt.datetime(2023, 7, 24))
    html = f"<html><head><title>计划</title>{meta}</head><body><p>正文</p></body></html>"
    data, _ = html_to_pdf(html, {}, "pdf/a-2b")
    reader = PdfReader(io.BytesIO(data))
    info = reader.metadata
    assert info is not None
    assert info.author == "渭城镇人民政府"
    assert info.subject == "渭城镇 · 建设计划"
    assert info.creation_date == dt.datetime(2023, 7, 24, tzinfo=dt.UTC)
    xmp = reader.xmp_metadata
    assert xmp is not None and xmp.dc_creator == ["渭城镇人民政府"]


@pytest.mark.slow
def test_every_pdf_and_docx_carries_title_author_subject_and_the_content_date(
    built_district: Path,
) -> None:
    from pypdf import PdfReader

    pdfs = sorted((built_district / "build").rglob("*.pdf"))
    assert len(pdfs) >= 37
    for pdf in pdfs:
        info = PdfReader(str(pdf)).metadata
        assert info is not None, pdf.name
        assert info.title and info.author and info.subject, (pdf.name, dict(info))
        assert info.creation_date is not None, pdf.name
        docx = pdf.with_suffix(".docx")
        if docx.is_file():
            core = Document(str(docx)).core_properties
            assert core.author == info.author, pdf.name
            assert core.subject == info.subject, pdf.name
            # not python-docx's template date (2013); the district summary, which has no date
            # of its own, is dated by the latest of the towns' documents
            assert core.created is not None and core.created.year != 2013, pdf.name
            assert core.created.replace(tzinfo=None) == info.creation_date.replace(tzinfo=None)
