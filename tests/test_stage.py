"""Issue 13 part 1: a plan's 成果阶段 and 版本号 on its cover and in its running header, the 修订记录
from its front matter, and the diagonal stage watermark on every page before 批准稿, in both
outputs; the checker's view of ``revisions`` and what the scaffolds offer. Read back: pdftotext and word boxes for the PDF, python-docx for the DOCX, LibreOffice's
PDF of the DOCX rendered to pixels (its watermark is a drawing, not text)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx.document import Document
from PIL import Image, ImageChops

from tests.conftest import copy_workspace, libreoffice_pdfs, made_once
from townplans import pipeline
from townplans.check import Selection
from townplans.render.ooxml import VML, WATERMARK_SHAPE
from townplans.render.style import StyleError, load_style

MASTER = "渭城镇总体规划"
APPROVED = "渭城镇滨河路沿线修建性详细规划"  # 批准稿: no watermark
GONGWEN = "渭城镇2023年小城镇建设计划"
HEADER = "渭城镇总体规划（2021—2035年）　送审稿　v2.0"
HEADER_ZONE_PT = 25 / 25.4 * 72
"""Above this (25 mm from the top) only the running header prints: the text block starts 37 mm
down on a portrait page, 28 mm on a landscape one."""


@pytest.fixture(scope="module")
def builds(built_district: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """weicheng as the sample district builds it (the shared build, read only), and a copy of
    that build with the watermark switched off in style.yaml and weicheng built again (once per
    test run, read only): the two differ in nothing else."""

    def without_watermark(folder: Path) -> None:
        plain = Path(shutil.copytree(built_district, folder / "ws", symlinks=True))
        text = (plain / "templates/style.yaml").read_text(encoding="utf-8")
        (plain / "templates/style.yaml").write_text(
            text.replace("  enabled: true", "  enabled: false"), encoding="utf-8"
        )
        outcome = pipeline.run_build(plain, ("weicheng",), jobs=2)
        assert not outcome.failed, [str(f) for f in outcome.findings]
        # the documents compared below were printed again, without the watermark
        made = {p.name for p in outcome.written}
        assert made >= {f"{MASTER}.pdf", f"{MASTER}.docx", f"{APPROVED}.pdf"}, made

    plain = made_once(tmp_path_factory, "stage-plain", without_watermark) / "ws"
    return {"marked": built_district / "build/weicheng", "plain": plain / "build/weicheng"}


def _pages(pdf: Path) -> list[str]:
    count = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf))).group(1))
    return [
        _run("pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-") for n in range(1, count + 1)
    ]


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _ink(text: str) -> Counter[str]:
    """The characters of ``text`` but spaces, with their counts."""
    return Counter(c for c in text if not c.isspace())


def _header_lines(pdf: Path) -> list[str]:
    """Per page, the words printed above the text block (the running header), joined."""
    html = _run("pdftotext", "-bbox", str(pdf), "-")
    pages = html.split("<page ")[1:]
    found = []
    for page in pages:
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page)
        top = sorted((float(x), word) for x, y, word in words if float(y) < HEADER_ZONE_PT)
        found.append("".join(word for _, word in top))
    return found


@pytest.mark.slow
def test_stage_and_version_on_the_cover_and_in_the_running_header_of_the_pdf(
    builds: dict[str, Path],
) -> None:
    pdf = builds["marked"] / f"{MASTER}.pdf"
    pages = _pages(pdf)
    cover = _run("pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-")
    assert re.search(r"送审稿\s+v2\.0", cover)
    headers = _header_lines(pdf)
    assert headers[0] == ""  # the cover has none
    assert headers[1:] == [HEADER.replace("　", "")] * (len(pages) - 1)
    # the 公文 has no running header (GB/T 9704), stage or not
    assert set(_header_lines(builds["marked"] / f"{GONGWEN}.pdf")) == {""}


def _headers(document: Document) -> list[tuple[str, str, object]]:
    """(which, text, element) of every header each section uses."""
    found = []
    for number, section in enumerate(document.sections):
        used = [("default", section.header), ("even", section.even_page_header)]
        if section.different_first_page_header_footer:
            used.append(("first", section.first_page_header))
        found += [(f"{number}:{name}", h.paragraphs[0].text, h._element) for name, h in used]
    return found


def _watermarks(element: object) -> list[str]:
    assert hasattr(element, "iter")
    return [
        path.get("string", "")
        for shape in element.iter(f"{{{VML}}}shape")
        if shape.get("type") == WATERMARK_SHAPE
        for path in shape.iter(f"{{{VML}}}textpath")
    ]


@pytest.mark.slow
def test_word_has_the_running_header_and_the_watermark_in_every_section(
    builds: dict[str, Path],
) -> None:
    document = docx.Document(str(builds["marked"] / f"{MASTER}.docx"))
    assert len(document.sections) > 1  # landscape drawings: sections inherit the headers
    headers = _headers(document)
    assert [name for name, _, _ in headers if name.endswith("first")] == ["0:first"]  # the cover
    for name, text, element in headers:
        assert text == ("" if name == "0:first" else HEADER), name
        assert _watermarks(element) == ["送审稿"], name
    cover = [p.text for p in document.paragraphs[:14] if p.text.strip()]
    assert "送审稿　v2.0" in cover
    approved = docx.Document(str(builds["marked"] / f"{APPROVED}.docx"))
    for name, text, element in _headers(approved):
        assert _watermarks(element) == [], name
        assert text == ("" if name == "0:first" else f"{APPROVED}　批准稿　v3.0"), name
    gongwen = docx.Document(str(builds["marked"] / f"{GONGWEN}.docx"))
    for name, text, element in _headers(gongwen):
        assert text == "" and _watermarks(element) == [], name
    plain = docx.Document(str(builds["plain"] / f"{MASTER}.docx"))
    assert all(_watermarks(element) == [] for _, _, element in _headers(plain))


def _rendered(pdf: Path, folder: Path, dpi: int = 30) -> list[Image.Image]:
    """Every page of ``pdf`` as a grey image."""
    folder.mkdir(parents=True, exist_ok=True)
    _run("pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(folder / "p"))
    return [Image.open(page).convert("L") for page in sorted(folder.glob("p-*.png"))]


def _mark_box(marked: Image.Image, plain: Image.Image) -> tuple[int, int, int, int] | None:
    """Where two renderings of a page differ (the watermark), or None."""
    difference = ImageChops.difference(marked, plain)
    return difference.point(lambda v: 255 if v > 8 else 0).getbbox()


@pytest.mark.slow
def test_the_pdf_watermark_is_on_every_page_before_the_final_stage_and_moves_nothing(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    marked_pdf, plain_pdf = builds["marked"] / f"{MASTER}.pdf", builds["plain"] / f"{MASTER}.pdf"
    marked, plain = _pages(marked_pdf), _pages(plain_pdf)
    # the same pages and the same text: the watermark is outlines, not text, and moves nothing
    assert len(marked) == len(plain) == 16
    assert marked == plain
    images = zip(
        _rendered(marked_pdf, tmp_path / "marked"), _rendered(plain_pdf, tmp_path / "plain"),
        strict=True,
    )  # fmt: skip
    hidden = []
    for number, (with_mark, without) in enumerate(images, 1):
        box = _mark_box(with_mark, without)
        if box is None:
            hidden.append(number)
            continue
        width, height = with_mark.size
        left, top, right, bottom = box
        assert left < width / 2 < right and top < height / 2 < bottom, (number, box)
        assert right - left > width / 4 and bottom - top > width / 4, (number, box)  # diagonal
    # behind the content: only a drawing filling its page covers it
    assert all(re.search(r"图 \d+", marked[n - 1]) for n in hidden), hidden
    assert len(hidden) <= 7, hidden
    approved = builds["marked"] / f"{APPROVED}.pdf"
    assert _pages(approved) == _pages(builds["plain"] / f"{APPROVED}.pdf")
    assert "批准稿" in _run("pdftotext", "-f", "1", "-l", "1", str(approved), "-")
    approved_images = zip(
        _rendered(approved, tmp_path / "approved"),
        _rendered(builds["plain"] / f"{APPROVED}.pdf", tmp_path / "approved-plain"),
        strict=True,
    )
    assert all(_mark_box(a, b) is None for a, b in approved_images)


@pytest.mark.slow
def test_the_revision_history_has_the_rows_of_the_front_matter(builds: dict[str, Path]) -> None:
    rows = [
        ["v1.0", "2023年4月20日", "征求意见稿", "完成规划初稿，向镇人大、各村和区级有关部门征求意见"],
        ["v2.0", "2023年6月28日", "送审稿", "采纳征求意见，调整镇区用地布局和近期建设项目，提交区规划委员会审查"],
    ]  # fmt: skip
    document = docx.Document(str(builds["marked"] / f"{MASTER}.docx"))
    table = document.tables[0]
    # a wrapping cell carries Word line breaks between its words (issue 22): read without them
    read = [
        [c.text.replace("\u2060", "").replace("\n", "") for c in row.cells] for row in table.rows
    ]
    assert read == [["版本", "日期", "成果阶段", "修订摘要"], *rows]
    texts = [p.text for p in document.paragraphs]
    assert texts.index("修订记录") < texts.index("目  录")  # after the cover, before the contents
    assert document.paragraphs[texts.index("目  录") + 1].text.startswith("第一章")
    # the plan's own tables keep their numbers: the history is not 表 1
    assert any(p.text.startswith("表 1") and "用地平衡" in p.text for p in document.paragraphs)
    # read from the build without the watermark, whose rotated characters pdftotext interleaves
    plain = builds["plain"] / f"{MASTER}.pdf"
    page = "".join(_run("pdftotext", "-f", "2", "-l", "2", "-layout", str(plain), "-").split())
    assert page.startswith(HEADER.replace("　", "") + "修订记录")
    lines = [
        "".join(line.split()).replace("\u2060", "")
        for line in _run("pdftotext", "-f", "2", "-l", "2", "-layout", str(plain), "-").splitlines()
    ]
    for row in rows:  # version, date and stage on one line each, the summary as it wraps
        assert any(line.startswith("".join(row[:3])) for line in lines), (row, lines)
        assert not _ink(row[3]) - _ink("".join(lines))  # wrapped beside the other cells
    assert "表1" not in page
    center = docx.Document(str(builds["marked"] / "渭城镇中心区控制性详细规划.docx"))
    assert "修订记录" not in [p.text for p in center.paragraphs]  # a version, no revisions


@pytest.mark.slow
def test_libreoffice_shows_the_word_watermark_light_and_behind_the_text(
    builds: dict[str, Path], district_word_pdfs: Path, tmp_path: Path
) -> None:
    # the shared build's DOCX is converted once a run; the one without the watermark here
    libreoffice_pdfs([builds["plain"] / f"{MASTER}.docx"], tmp_path / "plain")
    pdfs = {
        "marked": district_word_pdfs / f"{MASTER}.pdf",
        "plain": tmp_path / "plain" / f"{MASTER}.pdf",
    }
    counts = {name: len(_pages(pdf)) for name, pdf in pdfs.items()}
    assert counts["marked"] == counts["plain"], counts
    for page in (1, 6):  # the cover and a body page with a table
        images = {}
        for name, pdf in pdfs.items():
            prefix = tmp_path / f"{name}-{page}"
            _run(
                "pdftoppm",
                "-r",
                "40",
                "-gray",
                "-png",
                "-f",
                str(page),
                "-l",
                str(page),
                str(pdf),
                str(prefix),
            )
            [image] = tmp_path.glob(f"{name}-{page}-*.png")
            images[name] = Image.open(image).convert("L")
        difference = ImageChops.difference(images["marked"], images["plain"])
        box = difference.point(lambda v: 255 if v > 8 else 0).getbbox()
        assert box is not None, f"page {page}: no watermark"
        width, height = images["marked"].size
        left, top, right, bottom = box
        # diagonal across the middle of the page, in both directions
        assert left < width / 2 < right and top < height / 2 < bottom, box
        assert right - left > width / 4 and bottom - top > width / 4, box
        # light: where only the watermark is drawn the page stays pale grey
        marked = images["marked"].crop(box)
        pairs = zip(marked.tobytes(), difference.crop(box).tobytes(), strict=True)
        changed = [v for v, d in pairs if d > 8]
        assert Counter(v > 170 for v in changed)[True] / len(changed) > 0.9, page


def test_style_yaml_watermark_is_optional_and_checked(tmp_path: Path, repo: Path) -> None:
    text = (repo / "templates/style.yaml").read_text(encoding="utf-8")
    without = re.sub(r"\n# The stage watermark.*", "\n", text, flags=re.DOTALL)
    (tmp_path / "style.yaml").write_text(without, encoding="utf-8")
    assert load_style(tmp_path / "style.yaml").watermark.enabled  # a style from before it
    for bad, key in (
        ("color: grey", "color"),
        ("opacity: 3", "opacity"),
        ("colour: C0C0C0", "colour"),
    ):
        (tmp_path / "style.yaml").write_text(without + f"watermark:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(StyleError, match=key):
            load_style(tmp_path / "style.yaml")


GENERAL = "towns/weicheng/master-plan/01-general.md"


def _findings(root: Path) -> list[tuple[str, str, int | None, str]]:
    _, result = pipeline.run_check(root, Selection(towns=("weicheng",)))
    return [(f.code, f.ref.path, f.ref.line, f.message) for f in result.findings]


@pytest.mark.parametrize(
    ("old", "new", "code", "fragment"),
    [
        ("status: 送审稿\nversion", "status: 报批稿\nversion", "TP616", "成果阶段为“送审稿”"),
        ("version: v2.0\nrevisions", "revisions", "TP616", "本稿没有版本号（version）"),
        ("    status: 送审稿\n", "    status: 审查稿\n", "TP203", "成果阶段"),
        ("date: 2023-04-20", "date: 2023-02-30", "TP501", "修订日期"),
        ("    summary: 完成规划初稿", "    brief: 完成规划初稿", "TP201", "修订摘要"),
    ],
)
def test_revisions_are_checked_like_every_field(
    tmp_path: Path, old: str, new: str, code: str, fragment: str
) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    file = root / GENERAL
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = [f for f in _findings(root) if f[0] == code and f[1] == GENERAL]
    assert any(fragment in message for *_, message in found), _findings(root)


def test_v_and_case_do_not_make_another_version(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    file = root / GENERAL
    text = file.read_text(encoding="utf-8").replace(
        "version: v2.0\nrevisions", "version: V2.0\nrevisions"
    )
    file.write_text(text, encoding="utf-8")
    assert not [f for f in _findings(root) if f[0] in ("TP616", "TP008")]


def test_scaffolds_offer_stage_version_and_revisions(tmp_path: Path) -> None:
    def townplans(*arguments: str, cwd: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "townplans", *arguments], cwd=cwd, check=True,
            capture_output=True, text=True,
        )  # fmt: skip

    townplans("init", "ws", "--name", "某区", "--year", "2024", cwd=tmp_path)
    root = tmp_path / "ws"
    townplans("new", "town", "hexi", "--name", "河西镇", cwd=root)
    townplans(
        "new", "plan", "hexi", "river", "--name", "滨河街修建性详细规划", "--kind", "site", cwd=root
    )
    stages = "征求意见稿/送审稿/报批稿/批准稿"
    master = next((root / "towns/hexi/master-plan").glob("*.md")).read_text(encoding="utf-8")
    site = (root / "towns/hexi/detailed-plans/river/plan.md").read_text(encoding="utf-8")
    assert f"status: 征求意见稿\n# status（成果阶段）可选：{stages}\n" in master
    assert f"status: 【待填写：成果阶段，可选 {stages}】\n" in site
    for text in (master, site):
        assert "# version: v2.1  # 版本号（可选，文字）\n" in text
        assert "# revisions:  # 修订记录" in text
        assert f"#     status: 征求意见稿  # 成果阶段：{stages}\n" in text
        assert "#     reason: " in text
    gongwen = (root / "towns/hexi/construction-plan.md").read_text(encoding="utf-8")
    assert "status" not in gongwen and "version" not in gongwen  # a 公文 has neither
