"""Inspection albums from real photos: the photo pipeline on the camera corpus, pairing, the album
PDF and DOCX, page weight and print resolution, and the cache."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import cast

import docx
import pytest
from docx.oxml.ns import qn
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tests.conftest import REPO, SHARED, DistrictBuild, copy_workspace, require_corpora
from tests.test_table_layout import Fragment, _line_pairs, fragments
from tests.test_words import word_splits
from townplans import pipeline, targets
from townplans.check import Selection
from townplans.model import Asset, ImageInfo, Photo
from townplans.photopairs import PairedBy, pair_photos
from townplans.render.album import DETAILS, GUTTER_MM, MARGIN_MM, PAGE_MM, AlbumPhoto
from townplans.render.images import Prepared, Slot, prepare
from townplans.render.style import load_style
from townplans.targets import PhotoCache

PHOTOS = SHARED / "corpora/photos"
SAMPLE_PHOTOS = [p for p in (REPO / "towns").glob("*/projects/*/photos/*/*") if p.is_file()]
SLOT = Slot(128, 92)


@pytest.fixture
def corpus() -> Path:
    require_corpora()
    return PHOTOS


def _gray(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("L").resize((64, 43))


def test_every_orientation_comes_out_upright(corpus: Path, tmp_path: Path) -> None:
    """Judged by the pixels, not the tag: all eight Landscape_N files show the same picture."""
    cache = PhotoCache(tmp_path)
    reference = prepare(corpus / "Landscape_1.jpg", SLOT, cache).path
    assert reference is not None
    upright = _gray(reference)
    for number in range(1, 9):
        with Image.open(corpus / f"Landscape_{number}.jpg") as original:
            assert original.getexif().get(0x0112, 1) == number
        prepared = prepare(corpus / f"Landscape_{number}.jpg", SLOT, cache)
        assert prepared.path is not None and prepared.width > prepared.height
        difference = ImageStat.Stat(ImageChops.difference(upright, _gray(prepared.path))).mean[0]
        assert difference < 3, (number, difference)
    # A sideways photo really is different before the orientation is applied.
    with Image.open(corpus / "Landscape_6.jpg") as raw:
        assert raw.width < raw.height


def test_every_corpus_photo_goes_through_the_pipeline(corpus: Path, tmp_path: Path) -> None:
    cache = PhotoCache(tmp_path / "cache")
    results = {path.name: prepare(path, SLOT, cache) for path in sorted(corpus.glob("*.jp*g"))}
    assert len(results) == 20
    broken = {name for name, result in results.items() if result.error}
    assert broken == {"DSCN0012_truncated.jpg", "truncated_jpeg.jpg"}
    assert all("截断" in (results[name].error or "") for name in broken)
    for name, result in results.items():
        if result.path is None:
            continue
        with Image.open(result.path) as image:
            assert image.mode == "RGB" and image.format == "JPEG", name  # CMYK converted too
            assert image.width <= SLOT.pixels()[0] and image.height <= SLOT.pixels()[1], name
            assert "exif" not in image.info  # GPS positions are not copied into the album
    assert results["pil_sample_cmyk.jpg"].path is not None
    assert results["32-lens_data.jpeg"].path is not None  # progressive
    big = results["HMD_Nokia_8.3_5G.jpg"]
    assert big.width == SLOT.pixels()[0]  # 4608 px wide, decoded in draft mode and fitted


def test_cache_means_no_image_work_the_second_time(corpus: Path, tmp_path: Path) -> None:
    cache = PhotoCache(tmp_path)
    first = prepare(corpus / "DSCN0010.jpg", SLOT, cache)
    second = prepare(corpus / "DSCN0010.jpg", SLOT, cache)
    assert not first.cached and second.cached and first.path == second.path
    assert not prepare(
        corpus / "DSCN0010.jpg", Slot(60, 40), cache
    ).cached  # other settings, other key


def test_decompression_bombs_and_lying_files_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (13000, 10000)).save(bomb)  # 130 megapixels in a few kilobytes
    result = prepare(bomb, SLOT, PhotoCache(tmp_path / "cache"))
    assert result.path is None and "压缩炸弹" in (result.error or "")
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"<html>not a photo</html>")
    assert "不是可识别的图片" in (prepare(fake, SLOT, PhotoCache(tmp_path / "cache")).error or "")


def _photo(
    path: str,
    stage: str,
    gps: tuple[float, float] | None = None,
    caption: dict[str, str] | None = None,
) -> tuple[Photo, AlbumPhoto]:
    info = ImageInfo("x", gps=gps)
    photo = Photo(Asset(path, Path(path).name, "jpg", 1, info), stage, caption or {})
    return photo, AlbumPhoto(path, stage, None, "", "", Prepared(Path(path)))


def test_pairs_come_from_photos_yaml_then_names_then_gps_then_order() -> None:
    b1, _ = _photo("p/photos/before/east.jpg", "before", caption={"pair": "west-after.jpg"})
    b2, _ = _photo("p/photos/before/before-2.jpg", "before")
    b3, _ = _photo("p/photos/before/IMG_0001.jpg", "before", gps=(34.34, 108.71))
    b4, _ = _photo("p/photos/before/b9.jpg", "before")
    a1, _ = _photo("p/photos/after/west-after.jpg", "after")
    a2, _ = _photo("p/photos/after/after-2.jpg", "after")
    a3, _ = _photo("p/photos/after/IMG_0932.jpg", "after", gps=(34.3401, 108.7101))
    a4, _ = _photo("p/photos/after/IMG_0999.jpg", "after", gps=(34.40, 108.80))  # 9 km away
    a5, _ = _photo("p/photos/after/z1.jpg", "after")
    found = pair_photos((b1, b2, b3, b4, a1, a2, a3, a4, a5))
    pairs = {(_name(p.before), _name(p.after)): p.by for p in found}
    assert pairs[("east", "west-after")] is PairedBy.DECLARED
    assert pairs[("before-2", "after-2")] is PairedBy.NAME
    assert pairs[("IMG_0001", "IMG_0932")] is PairedBy.GPS
    # Left over: the first before and the first after by file name, paired only by their order
    # (TP311 warns); the one more after-photo has no partner (TP312 reports the counts).
    assert pairs[("b9", "IMG_0999")] is PairedBy.ORDER
    assert pairs[("", "z1")] is None


def _name(photo: Photo | None) -> str:
    return Path(photo.asset.path).stem if photo is not None else ""


@pytest.fixture
def built(district_build: DistrictBuild) -> Path:
    """The sample district as built once per test run (read only)."""
    return district_build.root


@pytest.mark.slow
def test_albums_build_with_light_pages_and_print_resolution(
    district_build: DistrictBuild,
) -> None:
    root = district_build.root
    # every photo of the sample prepared once (20 for 渭城镇, 14 for 窑店镇, …)
    assert district_build.photos_prepared == len(SAMPLE_PHOTOS) == 102
    album = root / "build/weicheng/渭城镇小城镇建设观摩图册.pdf"
    listing = subprocess.run(
        ["pdfimages", "-list", str(album)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    # A page's own weight: the images it draws and its content stream (the subset fonts are
    # shared by every page and counted once for the whole file).
    weight: dict[int, float] = {}
    for row in rows:
        size = float(row[14].rstrip("BKM")) * {"K": 1024, "M": 1048576}.get(row[14][-1], 1)
        weight[int(row[0])] = weight.get(int(row[0]), 0) + size
    for number, page in enumerate(PdfReader(str(album)).pages, 1):
        own = weight.get(number, 0) + len(page.get_contents().get_data())
        assert own <= 300_000, f"page {number}: {own:.0f} bytes"
    photos = [row for row in rows if row[8] == "jpeg"]
    assert len(photos) == 21  # and the key photo on the cover
    assert all(int(row[12]) >= 150 and int(row[13]) >= 150 for row in photos), listing
    text = subprocess.run(
        ["pdftotext", "-layout", str(album), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "滨河路道路改造工程" in text and "施工前 · 2023年7月16日" in text and "建成后" in text
    assert "改造前路面破损" in text  # caption from photos.yaml


@pytest.mark.slow
def test_album_follows_the_construction_plan_and_shows_what_is_missing(built: Path) -> None:
    root = built
    document = docx.Document(str(root / "build/yaodian/窑店镇小城镇建设观摩图册.docx"))
    section = document.sections[0]
    assert section.page_width > section.page_height
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["秦都大道北段景观提升工程", "镇区公厕改造工程", "窑店老街立面整治工程"]
    texts = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any("【缺：建成后照片】" in t for t in texts)  # 秦都大道 has no after photos
    # photos, a drawing and a board per project, and the key photo on the cover
    assert len(document.inline_shapes) == 14 + 6 + 1
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(root / "build/yaodian/窑店镇小城镇建设观摩图册.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "【缺：建成后照片】" in pdf


@pytest.mark.slow
def test_second_build_does_no_image_work(district_copy: Callable[..., Path]) -> None:
    root = district_copy()
    again = pipeline.run_build(root, ("weicheng", "yaodian"))
    assert again.report.built == []  # nothing changed: nothing is made at all
    # Both albums deleted (PDF and DOCX each): the build makes them again, and nothing else,
    # every photo from the cache
    albums = sorted(root.glob("build/[wy]*/*观摩图册.*"))
    assert {a.parent.name for a in albums} == {"weicheng", "yaodian"} and len(albums) == 4
    for album in albums:
        album.unlink()
    again = pipeline.run_build(root, ("weicheng", "yaodian"))
    assert sorted(again.report.built) == albums
    assert again.photos_prepared == 0 and again.photos_cached == 2 * 34


@pytest.mark.slow
def test_real_camera_photos_in_a_project(corpus: Path, tmp_path: Path) -> None:
    """Corpus photos as a planner would drop them in: orientations, CMYK, no dates, a truncated one."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    project = root / "towns/weicheng/projects/binhe-road/photos"
    for stage in ("before", "progress", "after"):
        shutil.rmtree(project / stage)
        (project / stage).mkdir()
    (root / "towns/weicheng/projects/binhe-road/photos.yaml").unlink()
    for name in ("DSCN0010.jpg", "Landscape_6.jpg", "pil_sample_cmyk.jpg"):
        shutil.copy(corpus / name, project / "before" / name)
    for name in ("olympus-d320l.jpg", "DSCN0012_truncated.jpg", "canon_hdr_NO.jpg"):
        shutil.copy(corpus / name, project / "after" / name)
    shutil.copy(corpus / "32-lens_data.jpeg", project / "progress/32-lens_data.jpeg")
    _, result = pipeline.run_check(root, Selection(towns=("weicheng",)), dt.date(2023, 9, 20))
    codes = {(f.code, Path(f.ref.path).name) for f in result.findings}
    assert ("TP304", "DSCN0012_truncated.jpg") in codes
    assert ("TP506", "Landscape_6.jpg") in codes  # no date anywhere
    # 2008 before, 2012 progress, 2015 after: in order, so no date-order warning.
    assert not [code for code, name in codes if code == "TP505"]
    outcome = pipeline.run_build(root, ("weicheng",))
    assert not outcome.failed
    text = subprocess.run(
        ["pdftotext", "-layout", str(root / "build/weicheng/渭城镇小城镇建设观摩图册.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "照片无法使用" in re.sub(r"\s+", "", text) and "日期不详" in text


def test_photos_yaml_overrides_the_stage(tmp_path: Path) -> None:
    from townplans.load import load_workspace
    from townplans.profile import load_profile

    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    captions = root / "towns/weicheng/projects/sewage-network/photos.yaml"
    captions.write_text(
        "progress-2.jpg: {stage: after, date: 2023-09-18, place: 渭城街}\n", encoding="utf-8"
    )
    profile = load_profile(root / "templates/profile.yaml", root).profile
    assert profile is not None
    project = next(
        p
        for p in load_workspace(root, profile).town("weicheng").projects
        if p.slug == "sewage-network"
    )
    moved = next(p for p in project.photos if p.asset.name == "progress-2.jpg")
    assert moved.stage == "after" and moved.caption["place"] == "渭城街"


@pytest.mark.slow
def test_albums_fill_their_pages_with_titled_pictures_and_a_cover(built: Path) -> None:
    """Slots cut from the page: every page after the contents with pictures prints them over at
    least 45 % of its 267 × 180 mm text block (the old fixed half-page slots gave ~40 % and 22
    pages); a project's facts stand on an information page of their own, without pictures;
    captions are titles, never file names; no 【缺 where the checker asks for no photo (市场 at
    70 % has no after-photos yet); the cover shows district, town, date and a key photo."""
    root = built
    album = root / "build/weicheng/渭城镇小城镇建设观摩图册.pdf"
    listing = subprocess.run(
        ["pdfimages", "-list", str(album)], capture_output=True, text=True, check=True
    ).stdout
    covered: dict[int, float] = {}
    for row in (line.split() for line in listing.splitlines()[2:]):
        width = int(row[3]) / int(row[12]) * 25.4
        height = int(row[4]) / int(row[13]) * 25.4
        covered[int(row[0])] = covered.get(int(row[0]), 0.0) + width * height
    pages = len(PdfReader(str(album)).pages)
    assert pages <= 18  # four information pages, seven pages of pictures
    assert 1 in covered  # the key photo on the cover
    text = subprocess.run(
        ["pdftotext", str(album), "-"], capture_output=True, text=True, check=True
    ).stdout
    facts = {n for n, page in enumerate(text.split("\f"), 1) if "责任领导" in page}
    fill = {p: round(a / (267 * 180), 2) for p, a in covered.items() if p > 2}
    assert all(f >= 0.45 for f in fill.values()) and not facts & fill.keys(), (fill, facts)
    cover = "".join(text.split("\f")[0].split())
    assert "咸阳市渭城区" in cover and "渭城镇" in cover and "2023年" in cover
    flat = "".join(text.split())
    assert "site-plan" not in flat and "board" not in flat and "图纸：" not in flat
    assert "项目图纸" in flat and "展板" in flat
    assert "【缺" not in flat
    document = docx.Document(str(root / "build/weicheng/渭城镇小城镇建设观摩图册.docx"))
    words = [p.text for p in document.paragraphs]
    assert not any("【缺" in t for t in words) and "咸阳市渭城区　渭城镇" in words


LABELS = tuple(label for label, _ in DETAILS)


def _info_pages(pdf: Path) -> dict[int, tuple[set[str], float]]:
    """Each information page of an album (a page whose facts table names a 责任领导): the facts'
    labels it shows and the height of their type (pt, the median of the labels' word boxes)."""
    found: dict[int, tuple[set[str], float]] = {}
    pages: dict[int, list[Fragment]] = {}
    for fragment in fragments(pdf):
        pages.setdefault(fragment.page, []).append(fragment)
    for number, on_page in pages.items():
        labels = [f for f in on_page if f.text in LABELS]
        if any(f.text == "责任领导" for f in labels):
            heights = sorted(f.y1 - f.y0 for f in labels)
            found[number] = ({f.text for f in labels}, heights[len(heights) // 2])
    return found


def album_pdfs(root: Path, word_pdfs: Path, word: bool) -> list[tuple[Path, Path]]:
    """Each album of the shared build (its PDF) with the PDF a writer made of it: the album's own,
    or LibreOffice's of its DOCX (``word``)."""
    albums = sorted((root / "build").rglob("*观摩图册.pdf"))
    return [(album, word_pdfs / album.name if word else album) for album in albums]


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_every_projects_information_page_shows_the_same_facts_in_one_size(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    """Review F17: some projects had a full-page table of fourteen facts, others a 10.5 pt table
    beside their drawings without 建设单位, 开工日期, 累计完成投资 …; now every project has its
    information page, with every label, in one size, in both writers."""
    albums = album_pdfs(built_district, district_word_pdfs, word)
    assert len(albums) >= 6
    sizes: list[float] = []
    for album, pdf in albums:
        pages = _info_pages(pdf)
        headings = [p.text for p in docx.Document(str(album.with_suffix(".docx"))).paragraphs
                    if p.style.name == "Heading 1"]  # fmt: skip
        assert len(pages) == len(headings), (album.name, sorted(pages))
        for number, (labels, size) in pages.items():
            assert labels == set(LABELS), (album.name, number, set(LABELS) - labels)
            sizes.append(size)
    assert max(sizes) - min(sizes) < 0.5, sizes


UNIT_START = re.compile(r"[万亿元米㎡个盏座处户人年月日天件块株栋辆台套间层张项吨%％]")


def parted_in_cells(pdf: Path, pages: set[int]) -> list[str]:
    """A number at the end of a line of a cell and its unit starting the cell's next line
    (“健身器材36” / “件”): two fragments of ``pages`` one above the other, starting at the same
    place, within two lines' height."""
    on_pages = [f for f in fragments(pdf) if f.page in pages]
    found = []
    for above in on_pages:
        for below in on_pages:
            if (
                below.page == above.page
                and abs(below.x0 - above.x0) < 2
                and 0 < below.y0 - above.y0 < 2 * (above.y1 - above.y0)
                and re.search(r"\d$", above.text)
                and UNIT_START.match(below.text)
            ):
                found.append(f"第 {above.page} 页“{above.text[-6:]}/{below.text[:4]}”")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_an_information_pages_numbers_stay_with_their_units(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    """review29: the facts were plain text in both writers, and 周陵's page broke “健身器材36” /
    “件”, 窑店's “门头牌匾70” / “块”. They are written as a document's table cells are."""
    parted = []
    for album, pdf in album_pdfs(built_district, district_word_pdfs, word):
        parted += [f"{album.name} {place}" for place in parted_in_cells(pdf, set(_info_pages(pdf)))]
    assert not parted, parted


def _info_values(album_docx: Path) -> list[str]:
    """The values of an album's information pages as its DOCX holds them (no WORD JOINER)."""
    tables = [t for t in docx.Document(str(album_docx)).tables if t.cell(0, 0).text == "项目类别"]
    return [
        re.sub(r"\s+", "", cell.text.replace("\u2060", ""))
        for table in tables
        for row in table.rows
        for cell in row.cells[1::2]
    ]


def lone_last_characters(pdf: Path, cells: list[str]) -> list[str]:
    """A cell's last line holding one CJK character (and its punctuation), under the line it
    ends: two lines of ``pdf``, one below the other, that end one of ``cells``."""
    found = []
    for above, below in _line_pairs(fragments(pdf)):
        tail = below.text.rstrip("，。、；：）】》”")
        lone = len(tail) == 1 and "\u4e00" <= tail <= "\u9fff"
        if lone and any(cell.endswith(above.text + below.text) for cell in cells):
            found.append(f"第 {above.page} 页“{above.text[-6:]}/{below.text}”")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_an_information_pages_values_break_between_words(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    """review30: the facts were broken anywhere (“（控规WC-06地” / “块）”, “至北环路” / “段）”, and
    in LibreOffice, which laid the table out on four equal w:gridCol, “管理有限公” / “司”) and a
    value could end on one character (“接入渭城镇污水处理” / “站”). They are broken between the
    words of the town's lexicon, as a document's table cells are, in both writers."""
    session, result = pipeline.run_check(built_district)
    graph = targets.Graph(session, load_style(session.paths.style), result)
    found = []
    for town in session.workspace.district.towns:
        (album,) = (built_district / "build").rglob(f"{town.name}*观摩图册.pdf")
        pdf = district_word_pdfs / album.name if word else album
        cells = _info_values(album.with_suffix(".docx"))
        lexicon = graph.assembler.lexicon(p.name for p in town.projects)
        found += [f"{album.name} {place}" for place in word_splits(pdf, cells, lexicon)]
        found += [f"{album.name} {place}" for place in lone_last_characters(pdf, cells)]
    assert not found, found


def test_the_docx_information_table_has_the_pdfs_columns(tmp_path: Path) -> None:
    """LibreOffice lays a table out by its w:gridCol (python-docx writes them equal) and set
    the table's text, not its rule, at the margin: the grid is the cells' widths, the table
    centred on the text block, each cell padded as the PDF's."""
    from townplans.render import album as album_render

    facts = [("项目类别", "给排水"), ("建设单位", "渭城镇人民政府"), ("建设规模及内容", "新建")]
    document = docx.Document()
    heading = document.add_heading("镇区雨污分流管网工程", level=1)
    album_render._info_docx(document, heading, facts, load_style(REPO / "templates/style.yaml"))
    table = document.tables[0]
    grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    widths = [int(cell._tc.tcPr.tcW.get(qn("w:w"))) for cell in table.rows[0].cells]
    assert grid == widths
    assert sum(grid) == pytest.approx(album_render.TEXT_MM[0] / 25.4 * 1440, abs=4)
    assert grid[0] == pytest.approx(album_render.INFO_LABEL_MM / 25.4 * 1440, abs=2)
    assert table._tbl.tblPr.find(qn("w:jc")).get(qn("w:val")) == "center"
    margins = table._tbl.tblPr.find(qn("w:tblCellMar"))
    assert int(margins.find(qn("w:left")).get(qn("w:w"))) == round(
        album_render.INFO_PAD_MM / 25.4 * 1440
    )


@pytest.mark.slow
def test_an_albums_pdf_is_set_in_the_faces_its_docx_names(built_district: Path) -> None:
    """review29: the album's PDF had no @font-face rules and fell back to Noto Serif (a 宋体
    design) where its DOCX names 仿宋 (FandolFang in LibreOffice); its title in Noto Serif Bold
    for 小标宋. Now the workspace's faces, as every document's PDF."""
    for album in sorted((built_district / "build").rglob("*观摩图册.pdf")):
        fonts = subprocess.run(
            ["pdffonts", str(album)], capture_output=True, text=True, check=True
        ).stdout
        assert "FandolFang" in fonts and "FandolSong-Bold" in fonts, (album.name, fonts)


@pytest.mark.slow
def test_libreoffice_sets_every_album_picture_where_the_pdf_does(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """review30: in LibreOffice a drawing and a board side by side stood on different lines
    (their captions 18.5 pt apart; the PDF aligns a row's feet) and wide photos sat 9 pt to the
    right. Every picture after the cover now has the PDF's box in LibreOffice's PDF of the DOCX,
    page by page."""
    moved = []
    for album in sorted((built_district / "build").rglob("*观摩图册.pdf")):
        printed = sorted(box for box in placed(album) if box[0] > 1)
        word = sorted(box for box in placed(district_word_pdfs / album.name) if box[0] > 1)
        assert len(printed) == len(word) > 10, album.name
        moved += [
            (album.name, box, other)
            for box, other in zip(printed, word, strict=True)
            if box[0] != other[0]
            or max(abs(a - b) for a, b in zip(box[1:], other[1:], strict=True)) > 0.5
        ]
    assert not moved, moved[:5]


def _contents(pdf: Path) -> tuple[tuple[float, float, float], list[Fragment]]:
    """The album's contents page (page 2): its title's left, right and foot (“目” and “录” are
    read apart), and its entries, top to bottom."""
    page = sorted((f for f in fragments(pdf) if f.page == 2), key=lambda f: f.y0)
    title = [f for f in page if f.text.strip() in ("目", "录", "目录", "目\u3000录")]
    assert title, pdf.name
    foot = max(f.y1 for f in title)
    lines: dict[float, list[Fragment]] = {}
    for fragment in page:
        if fragment.y0 > foot:
            lines.setdefault(round(fragment.y0), []).append(fragment)
    entries = [
        Fragment(2, min(f.x0 for f in parts), parts[0].y0, max(f.x1 for f in parts),
                 parts[0].y1, "".join(f.text for f in sorted(parts, key=lambda f: f.x0)))
        for _, parts in sorted(lines.items())
    ]  # fmt: skip
    return (min(f.x0 for f in title), max(f.x1 for f in title), foot), [
        entry for entry in entries if re.search(r"\.\d+$", entry.text)
    ]


@pytest.mark.slow
def test_an_albums_contents_page_looks_alike_in_both_writers(
    built_district: Path, district_word_pdfs: Path
) -> None:
    """review30: the PDF set “目　录” flush left over numbered 12 pt entries, Word centred it
    over unnumbered 16 pt ones. Both now: the title centred, the entries in the contents' face
    and size from the text block's left, at one pitch."""
    left, middle = MARGIN_MM * 72 / 25.4, PAGE_MM[0] / 2 * 72 / 25.4
    for album in sorted((built_district / "build").rglob("*观摩图册.pdf"))[:2]:
        laid = [_contents(album), _contents(district_word_pdfs / album.name)]
        for title, entries in laid:
            assert (title[0] + title[1]) / 2 == pytest.approx(middle, abs=2), album.name
            assert entries and all(e.x0 == pytest.approx(left, abs=1) for e in entries)
            assert not re.match(r"\d+\.", entries[0].text), entries[0].text  # no numbers
        (_, printed), (_, word) = laid
        assert len(printed) == len(word)
        pitch = [b.y0 - a.y0 for a, b in itertools.pairwise(printed)]
        word_pitch = [b.y0 - a.y0 for a, b in itertools.pairwise(word)]
        assert pitch == pytest.approx(word_pitch, abs=1.0), (pitch, word_pitch)
        heights = [e.y1 - e.y0 for e in printed]
        assert min(heights) > 15, heights  # 16 pt, not 12


def placed(pdf: Path) -> list[tuple[int, float, float, float, float]]:
    """Each image the PDF draws: its page and its box (x0, y0, x1, y1 in pt, from the page's
    foot), read from the transformation in force where the page paints it."""
    found = []
    for number, page in enumerate(PdfReader(pdf).pages, 1):
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        xobjects = cast(DictionaryObject, resources.get("/XObject", DictionaryObject()))
        images = {
            str(name)
            for name, ref in xobjects.items()
            if str(cast(DictionaryObject, ref.get_object())["/Subtype"]) == "/Image"
        }

        def visit(
            op: bytes,
            args: list[object],
            cm: list[float],
            tm: list[float],
            images: set[str] = images,
            number: int = number,
        ) -> None:
            if op == b"Do" and args and args[0] in images:
                found.append((number, cm[4], cm[5], cm[4] + cm[0], cm[5] + cm[3]))

        page.extract_text(visitor_operand_before=visit)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("word", [False, True], ids=["pdf", "libreoffice"])
def test_side_by_side_photos_keep_the_gutter_inside_the_text_block(
    built_district: Path, district_word_pdfs: Path, word: bool
) -> None:
    """review29: the album's page kept the browser's body margin (8 px a side), so its photo
    rows, planned on the 267 mm text block, were squeezed into one 4 mm narrower: 1.4 pt between
    two photos side by side. Now at least the 5 mm gutter (more where a photo is narrower than
    its slot), and every photo inside the text block. review30: in LibreOffice the second photo
    ran 7.4 pt into the right margin (the table's equal w:gridCol, then the 9 pt LibreOffice
    puts beside an inline picture whose distance from the text is not written)."""
    left, right = MARGIN_MM * 72 / 25.4, (PAGE_MM[0] - MARGIN_MM) * 72 / 25.4
    gutter = GUTTER_MM * 72 / 25.4
    gaps = []
    for _, pdf in album_pdfs(built_district, district_word_pdfs, word):
        boxes = [box for box in placed(pdf) if box[0] > 1]  # the cover's key photo aside
        for box in boxes:
            assert left - 0.5 <= box[1] and box[3] <= right + 0.5, (pdf.name, box)
        for one, other in itertools.pairwise(boxes):
            if one[0] == other[0] and other[1] > one[3] and abs(one[4] - other[4]) < 30:
                gaps.append(other[1] - one[3])
    assert len(gaps) > 20 and min(gaps) == pytest.approx(gutter, abs=0.5), sorted(gaps)[:5]
