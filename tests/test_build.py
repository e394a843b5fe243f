"""The end-to-end build, read back: DOCX with python-docx, PDF with pypdf and poppler."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from tests.conftest import REPO, copy_workspace
from townplans import pipeline
from townplans.render.pdf import RefusedResourceError, check_allowed

TOWN_FILES = {
    "weicheng": "渭城镇总体规划",
    "yaodian": "窑店镇总体规划",
    "zhengyang": "正阳镇总体规划",
    "dizhang": "底张镇总体规划",
    "zhouling": "周陵镇总体规划",
    "beidu": "北杜镇总体规划",
}


@pytest.fixture
def built(built_district: Path) -> Path:
    """The whole sample district, built once per test run (read only)."""
    return built_district


def _docx(root: Path, town: str) -> Document:
    return docx.Document(str(root / "build" / town / f"{TOWN_FILES[town]}.docx"))


def _pdf_text(path: Path) -> str:
    # -layout keeps justified lines together (plain mode splits them at the stretched spaces).
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.slow
def test_every_town_gets_docx_and_pdf_with_chinese_names(built: Path) -> None:
    for town, stem in TOWN_FILES.items():
        assert (built / "build" / town / f"{stem}.docx").stat().st_size > 10_000
        assert (built / "build" / town / f"{stem}.pdf").stat().st_size > 10_000


@pytest.mark.slow
def test_docx_has_real_headings_tables_lists_and_images(built: Path) -> None:
    document = _docx(built, "weicheng")
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", "第一章 总则") in headings
    assert ("Heading 3", "第十条 四个功能区") in headings  # a 条 is ranked by its numbering
    # Ten chapters; the tenth lists the drawings, so no drawing list is generated to repeat it.
    assert sum(1 for style, _ in headings if style == "Heading 1") == 10
    assert headings[-1] == ("Heading 1", "第十章 图纸目录")
    # the 修订记录 (issue 13) before the contents, then the text's own table
    history, table = document.tables
    assert [cell.text for cell in history.rows[0].cells] == ["版本", "日期", "成果阶段", "修订摘要"]
    # WORD JOINERs (invisible) keep “（公顷）” on one line (issue 10): read without them.
    assert [cell.text.replace("\u2060", "") for cell in table.rows[0].cells] == [
        "用地代码",
        "用地名称",
        "面积（公顷）",
        "比例（%）",
    ]
    assert table.rows[-1].cells[2].text == "410.5"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats across pages
    assert len(document.inline_shapes) == 7
    numbered = [
        p for p in document.paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None
    ]
    assert any(p.text.startswith("《中华人民共和国城乡规划法》") for p in numbered)
    assert any(p.text.startswith("镇区1处") for p in numbered)  # Word numbering, no typed marker
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    # Tables carry 表号/表题 too (issue 10): the figures' captions are counted apart.
    figures = [text for text in captions if text.startswith("图")]
    assert figures[0] == "图 1  镇域现状分析图" and len(figures) == 7
    assert "表 1  用地平衡" in captions


@pytest.mark.slow
def test_docx_images_fit_the_text_block(built: Path) -> None:
    """Each picture within the text block of its own section (drawings sit on landscape ones)."""
    document = _docx(built, "weicheng")
    section_number = 0
    checked = 0
    for paragraph in document.element.body.iter(qn("w:p")):
        section = document.sections[section_number]
        width = section.page_width - section.left_margin - section.right_margin
        height = section.page_height - section.top_margin - section.bottom_margin
        for extent in paragraph.iter(qn("wp:extent")):
            assert int(extent.get("cx")) <= width and int(extent.get("cy")) <= height
            checked += 1
        if paragraph.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            section_number += 1
    assert checked == 7


@pytest.mark.slow
def test_docx_page_and_fonts_follow_gbt9704(built: Path) -> None:
    document = _docx(built, "zhouling")
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    margins = [
        section.top_margin.mm,
        section.bottom_margin.mm,
        section.left_margin.mm,
        section.right_margin.mm,
    ]
    assert [round(value) for value in margins] == [37, 35, 28, 26]

    def east_asian(style_name: str) -> str:
        return document.styles[style_name].element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asian("Normal") == "仿宋_GB2312"
    assert east_asian("Heading 1") == "黑体"
    assert east_asian("Heading 2") == "楷体_GB2312"
    assert east_asian("Title") == "方正小标宋简体"
    assert document.styles["Normal"].font.size.pt == 16
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Title"].font.size.pt == 22


@pytest.mark.slow
def test_docx_has_toc_and_page_number_fields(built: Path) -> None:
    document = _docx(built, "beidu")
    body = document.element.body.xml
    assert "TOC \\o" in body
    footer = document.sections[0].footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and footer.text.startswith("— ")


@pytest.mark.slow
def test_pdf_text_is_extractable_chinese_and_fonts_embedded(built: Path) -> None:
    for town, stem in TOWN_FILES.items():
        path = built / "build" / town / f"{stem}.pdf"
        text = _pdf_text(path)
        assert stem.replace("总体规划", "") in text
        assert "第一章" in text and "图纸" in text
        fonts = subprocess.run(
            ["pdffonts", str(path)], capture_output=True, text=True, check=True
        ).stdout
        rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
        assert rows and any("CJK" in row[0] for row in rows)
        # columns: name type encoding emb sub uni object ID (type may have spaces: count from the end)
        assert all(row[-5] == "yes" for row in rows), fonts


@pytest.mark.slow
def test_pdf_reads_back_with_pypdf_and_has_pages(built: Path) -> None:
    reader = PdfReader(str(built / "build/weicheng/渭城镇总体规划.pdf"))
    assert len(reader.pages) >= 8
    whole = "".join(page.extract_text() for page in reader.pages)
    assert "渭城镇" in whole.replace("\n", "") and "410.5" in whole


@pytest.mark.slow
def test_missing_drawing_shows_a_visible_placeholder_in_both_outputs(built: Path) -> None:
    placeholder = "镇区综合交通规划图【缺：图片 drawings/05-roads.png】"
    assert placeholder in [p.text for p in _docx(built, "yaodian").paragraphs]
    pdf_text = "".join(_pdf_text(built / "build/yaodian/窑店镇总体规划.pdf").split())
    assert "".join(placeholder.split()) in pdf_text


def _tree_hash(folder: Path) -> dict[str, str]:
    """SHA-256 of every output (the photo cache, manifest and lock are internal, not outputs)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


@pytest.mark.slow
def test_build_never_modifies_sources(built: Path) -> None:
    """The shared build ran on a copy of the sample: its sources are still the sample's."""
    assert (built / "build/weicheng/渭城镇总体规划.pdf").is_file()  # it did build
    assert _tree_hash(built / "templates") == _tree_hash(REPO / "templates")
    copied = {  # what copy_workspace copies: district.yaml and the towns' folders
        name: digest
        for name, digest in _tree_hash(REPO / "towns").items()
        if "/" in name or name == "district.yaml"
    }
    assert len(copied) > 300 and _tree_hash(built / "towns") == copied


@pytest.mark.slow
def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    """正阳镇 built again, alone, in one process, in another folder: its outputs are byte for
    byte those of the shared build (the whole district, two worker processes)."""
    root = copy_workspace(tmp_path / "ws", ("zhengyang",))
    pipeline.run_build(root, ("zhengyang",), jobs=1)
    again = _tree_hash(root / "build" / "zhengyang")
    # Five town documents, the album and the check report (two formats each) and a 周报 (DOCX,
    # PDF) for each of its 8 reports.
    assert again == _tree_hash(built / "build" / "zhengyang") and len(again) == 14 + 16 == 30


@pytest.mark.slow
def test_raw_html_is_escaped_and_never_executed_or_fetched(
    district_copy: Callable[..., Path],
) -> None:
    root = district_copy()
    chapter = root / "towns/weicheng/master-plan/04-implementation.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8")
        + '\n<script>alert("x")</script>\n\n段落中的 <img src="file:///etc/hostname"> 标签。\n',
        encoding="utf-8",
    )
    outcome = pipeline.run_build(root, ("weicheng",))
    assert not outcome.failed
    plan = root / "build/weicheng/渭城镇总体规划"
    assert {plan.with_suffix(".docx"), plan.with_suffix(".pdf")} <= set(outcome.written)
    document = docx.Document(str(root / "build/weicheng/渭城镇总体规划.docx"))
    texts = "\n".join(p.text for p in document.paragraphs)
    assert '<script>alert("x")</script>' in texts and '<img src="file:///etc/hostname">' in texts
    pdf_text = _pdf_text(root / "build/weicheng/渭城镇总体规划.pdf")
    assert "<script>alert" in pdf_text


def test_pdf_fetcher_refuses_network_and_outside_files(tmp_path: Path) -> None:
    inside = tmp_path / "图纸" / "a.png"
    inside.parent.mkdir()
    inside.write_bytes(b"x")
    mounts = {"workspace": tmp_path}
    assert check_allowed("workspace:%E5%9B%BE%E7%BA%B8/a.png", mounts) == inside
    for url in ("https://example.com/a.png", "file:///etc/hostname", "data:image/png;base64,AAAA"):
        with pytest.raises(RefusedResourceError, match="不联网"):
            check_allowed(url, mounts)
    with pytest.raises(RefusedResourceError, match="拒绝读取"):
        check_allowed("workspace:../../../etc/hostname", mounts)


@pytest.mark.slow
def test_broken_towns_do_not_stop_the_others_from_building(
    workspace_copy: Callable[..., Path],
) -> None:
    """Acceptance: malformed YAML, GB18030 Markdown and a missing image; every town still builds."""
    root = workspace_copy("weicheng", "zhengyang", "dizhang", reports=1)
    (root / "towns/weicheng/town.yaml").write_text("name: [渭城镇\n", encoding="utf-8")
    chapter = root / "towns/zhengyang/master-plan/master-plan.md"
    chapter.write_bytes(chapter.read_text(encoding="utf-8").encode("gb18030"))
    (root / "towns/dizhang/master-plan/drawings/04-land-use.png").unlink()
    towns = ("weicheng", "zhengyang", "dizhang")
    outcome = pipeline.run_build(root, towns, jobs=2)  # the towns' outputs: the district's aside
    assert not outcome.failed
    for town in towns:
        made = {path.suffix for path in outcome.written if path.parent.name == town}
        assert made == {".docx", ".pdf", ".html", ".json"}, town
    codes = {(f.code, f.ref.path) for f in outcome.check.findings}
    assert ("TP002", "towns/weicheng/town.yaml") in codes
    assert ("TP003", "towns/zhengyang/master-plan/master-plan.md") in codes
    assert ("TP005", "towns/dizhang/master-plan/02-systems.md") in codes
    assert "正阳镇总体规划" in _pdf_text(root / "build/zhengyang/正阳镇总体规划.pdf")


@pytest.mark.slow
def test_fonts_dropped_into_templates_fonts_are_embedded(tmp_path: Path) -> None:
    """A district's own font in templates/fonts/ is served through the templates: fetcher."""
    from fontTools.ttLib import TTFont

    source = next(Path("/usr/share/fonts").rglob("NotoSansCJK-Regular.ttc"), None)
    if source is None:
        pytest.fail("fonts-noto-cjk is not installed (make test installs it)")
    root = copy_workspace(tmp_path / "ws", ("beidu",), reports=1)
    font = TTFont(str(source), fontNumber=2)  # the SC member of the collection
    for record in font["name"].names:
        if record.nameID in (1, 4, 6, 16):
            record.string = "TownplansTestSans"
    (root / "templates/fonts").mkdir(exist_ok=True)
    font.save(str(root / "templates/fonts/TownplansTestSans.otf"))
    style = root / "templates/style.yaml"
    style.write_text(
        style.read_text(encoding="utf-8").replace(
            "pdf: [FangSong, FandolFang, Noto Serif CJK SC], size: 16}",
            "pdf: [TownplansTestSans], size: 16}",
            1,
        ),
        encoding="utf-8",
    )
    pipeline.run_build(root, ("beidu",))
    fonts = subprocess.run(
        ["pdffonts", str(root / "build/beidu/北杜镇总体规划.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "TownplansTestSans" in fonts
