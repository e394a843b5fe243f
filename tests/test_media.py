"""Media as content: what the probe measures in each picture (a perceptual hash of it as shown, how
uniform it is) and keeps in the probe cache, and the rules that compare what was read: one picture
used for two things (TP330), a blank picture (TP331), a GPS position far from the district or the
town (TP332), photo dates against the project (TP333) and against the document showing the photo
(TP334)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.conftest import REPO, SHARED, copy_workspace, require_corpora
from tests.media_fixture import (
    BEIJING,
    blank_png,
    grey_placeholder,
    reencode,
    with_date,
    with_gps,
)
from townplans import pipeline
from townplans.check import Selection
from townplans.load import images
from townplans.load.images import ProbeCache, probe, probe_all
from townplans.model import Finding, ImageInfo
from townplans.rules.media import BLANK_SHARE, NEAR_BITS, is_blank

TODAY = dt.date(2023, 9, 20)
W = "towns/weicheng"
BINHE = f"{W}/projects/binhe-road"
SQUARE = f"{W}/projects/culture-square"
MARKET = f"{W}/projects/market-upgrade"
SCHOOL = "towns/beidu/projects/school-road"
MEDIA = ("TP330", "TP331", "TP332", "TP333", "TP334")


def bits(a: ImageInfo, b: ImageInfo) -> int:
    assert a.phash is not None and b.phash is not None
    return (int(a.phash, 16) ^ int(b.phash, 16)).bit_count()


def check(root: Path, towns: tuple[str, ...] = ("weicheng",)) -> list[Finding]:
    _, result = pipeline.run_check(root, Selection(towns=towns), TODAY)
    return list(result.findings)


def media(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.ref.path) for f in findings if f.code in MEDIA]


# -- what the probe measures ------------------------------------------------------------------------


def test_a_reencoded_resized_or_rotated_copy_is_the_same_picture(tmp_path: Path) -> None:
    original = REPO / BINHE / "photos/before/before-1.jpg"
    half, grey, png, turned = (tmp_path / n for n in ("half.jpg", "grey.jpg", "x.png", "t.jpg"))
    reencode(original, half)
    reencode(original, tmp_path / "quarter.jpg", scale=0.25, quality=60)
    with Image.open(original) as image:
        image.convert("L").save(grey, "JPEG", quality=85)
        image.save(png, "PNG")
        # stored sideways with the EXIF orientation that shows it upright (as a phone saves it)
        exif = image.getexif()
        exif[0x0112] = 6
        image.transpose(Image.Transpose.ROTATE_90).save(turned, "JPEG", exif=exif)
    first = probe(original)
    copies = [probe(p) for p in (half, tmp_path / "quarter.jpg", grey, png, turned)]
    assert all(bits(first, copy) <= NEAR_BITS for copy in copies), [bits(first, c) for c in copies]
    assert probe(turned).orientation == 6


def test_different_photos_of_one_viewpoint_are_different_pictures() -> None:
    """Before and after photos share a viewpoint (R35): the closest two sample photos still
    differ by more than ``NEAR_BITS``."""
    photos = sorted((REPO / "towns").glob("*/projects/*/photos/*/*.jpg"))
    probed = probe_all(photos)
    closest = min(bits(probed[a], probed[b]) for a, b in itertools.combinations(photos, 2))
    assert closest > NEAR_BITS


def test_a_flat_picture_is_blank_and_the_sample_pictures_are_not(tmp_path: Path) -> None:
    photo = REPO / BINHE / "photos/before/before-1.jpg"
    grey_placeholder(photo, tmp_path / "grey.jpg")
    Image.new("RGB", (800, 600), (3, 3, 3)).save(tmp_path / "black.jpg", "JPEG")
    placeholder = Image.new("RGB", (800, 600), (200, 200, 200))
    ImageDraw.Draw(placeholder).text((350, 290), "NO PHOTO", fill=(40, 40, 40))
    placeholder.save(tmp_path / "text.png")
    for name in ("grey.jpg", "black.jpg", "text.png"):
        assert is_blank(probe(tmp_path / name)), name
    assert probe(tmp_path / "grey.jpg").taken is not None  # a placeholder keeps the EXIF date
    pictures = sorted(p for p in (REPO / "towns").rglob("*") if p.suffix in (".jpg", ".png"))
    measured = probe_all(pictures)
    assert max(info.uniformity or 0 for info in measured.values()) < BLANK_SHARE


def test_a_16_bit_picture_is_judged_on_its_own_range(tmp_path: Path) -> None:
    """Grey levels up to 65535 (a 16-bit scan): a gradient is not blank, a flat one is."""
    gradient = Image.new("I;16", (256, 100))
    gradient.putdata([column * 250 for _ in range(100) for column in range(256)])
    gradient.save(tmp_path / "scan.png")
    Image.new("I;16", (256, 100), 40000).save(tmp_path / "flat.png")
    assert not is_blank(probe(tmp_path / "scan.png"))
    assert is_blank(probe(tmp_path / "flat.png"))


def test_real_camera_photos_are_neither_blank_nor_twins_unless_they_are() -> None:
    """Of the 18 decodable corpus photos, two are flat (a 4032×2012 picture of one grey, 137, and
    a 10×10 near-black one): they are blank. The eight Landscape_N files are one photo saved with
    the eight EXIF orientations (and the digit N drawn on it): shown upright, one picture."""
    require_corpora()
    folder = SHARED / "corpora" / "photos"
    probed = {p.name: probe(p) for p in sorted(folder.glob("*.jp*g"))}
    good = {name: info for name, info in probed.items() if info.error is None}
    assert len(good) == 18
    assert {name for name, info in good.items() if is_blank(info)} == {
        "67-0_length_string.jpg",
        "empty_gps_ifd.jpg",
    }
    distinct = {
        name: info
        for name, info in good.items()
        if not is_blank(info) and (not name.startswith("Landscape") or name == "Landscape_1.jpg")
    }
    assert min(bits(a, b) for a, b in itertools.combinations(distinct.values(), 2)) > NEAR_BITS
    landscapes = [info for name, info in good.items() if name.startswith("Landscape")]
    assert max(bits(landscapes[0], other) for other in landscapes) <= NEAR_BITS


def test_the_cache_keeps_the_measures_and_forgets_an_older_format(tmp_path: Path) -> None:
    picture = tmp_path / "before.jpg"
    shutil.copy(REPO / BINHE / "photos/before/before-1.jpg", picture)
    cache = ProbeCache()
    first = probe_all([picture], cache=cache)[picture]
    assert first.phash is not None and len(first.phash) == 64 and first.uniformity is not None
    again = ProbeCache.from_json(cache.to_json())
    assert again.get(picture) == first
    # what an older townplans wrote: the same entry without a format (and without the measures)
    entry = json.loads(cache.to_json())["files"]
    assert ProbeCache.from_json(json.dumps(entry)).get(picture) is None
    stale = json.loads(cache.to_json())
    stale["format"] = images.PROBE_FORMAT - 1
    assert ProbeCache.from_json(json.dumps(stale)).get(picture) is None
    for key, value in (("phash", "zz" * 32), ("uniformity", 7.0), ("uniformity", "1")):
        edited = json.loads(cache.to_json())
        edited["files"][str(picture)]["info"][key] = value
        assert ProbeCache.from_json(json.dumps(edited)).get(picture) is None, key


def test_a_picture_too_large_to_decode_cheaply_is_left_unmeasured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawing = tmp_path / "drawing.png"
    Image.new("RGB", (200, 100), "white").save(drawing)
    monkeypatch.setattr(images, "CONTENT_PIXELS", 200 * 100 - 1)
    info = probe(drawing)
    assert info.error is None and (info.width, info.height) == (200, 100)
    assert info.phash is None and info.uniformity is None
    monkeypatch.setattr(images, "CONTENT_PIXELS", 200 * 100)
    assert probe(drawing).uniformity == 1.0


def test_check_with_a_warm_cache_never_imports_imagehash(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    script = (
        "import sys; from pathlib import Path; from townplans import pipeline\n"
        "from townplans.load.images import ProbeCache\n"
        "root = Path(sys.argv[1]); cache = ProbeCache.from_json(sys.argv[2])\n"
        "pipeline.run_check(root, pipeline.Selection(), None, cache)\n"
        "print(sorted(m for m in ('imagehash', 'numpy', 'scipy') if m in sys.modules))\n"
    )
    cache = ProbeCache()
    pipeline.open_session(root, probe_cache=cache)
    warm = subprocess.run(
        [sys.executable, "-c", script, str(root), cache.to_json()],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    cold = subprocess.run(
        [sys.executable, "-c", script, str(root), "{}"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert warm.stdout.strip() == "[]", warm.stdout
    assert "imagehash" in cold.stdout  # the same script does import it when it probes


# -- TP330 one picture standing for two things -------------------------------------------------------


def test_the_clean_sample_district_has_no_media_finding(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    towns = tuple(p.name for p in (root / "towns").iterdir() if p.is_dir())
    assert media(check(root, towns)) == []


def test_a_photo_copied_into_another_town_is_reported_once_naming_both(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng", "beidu"))
    copy = root / SCHOOL / "photos/progress/progress-3.jpg"
    shutil.copy(root / BINHE / "photos/after/after-1.jpg", copy)
    found = [f for f in check(root, ("weicheng", "beidu")) if f.code == "TP330"]
    assert [f.ref.path for f in found] == [f"{SCHOOL}/photos/progress/progress-3.jpg"]
    assert f"{BINHE}/photos/after/after-1.jpg" in found[0].message
    assert "SHA-256 一致" in found[0].message
    assert "既作滨河路道路改造工程的建成后照片 after-1.jpg，又作北杜" in found[0].message


def test_a_drawing_filed_twice_under_two_names_is_reported(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    drawings = root / W / "master-plan/drawings"
    shutil.copy(drawings / "04-land-use.png", drawings / "05-roads.png")
    found = [f for f in check(root) if f.code == "TP330"]
    assert [f.ref.path for f in found] == [f"{W}/master-plan/drawings/05-roads.png"], found
    assert "既作渭城镇总体规划的图纸 04-land-use.png，又作其图纸 05-roads.png" in found[0].message


def test_one_drawing_filed_in_two_plans_under_one_name_stands_for_one_thing(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    center = root / W / "detailed-plans/center/drawings"
    shutil.copy(center / "01-location.png", root / W / "detailed-plans/binhe-road/drawings")
    assert [f for f in check(root) if f.code == "TP330"] == []


def test_an_exact_copy_inside_one_project_is_tp309s_alone(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    photos = root / BINHE / "photos"
    shutil.copy(photos / "before/before-1.jpg", photos / "after/after-3.jpg")
    reencode(photos / "before/before-2.jpg", photos / "after/after-4.jpg")
    codes = [f.code for f in check(root) if f.code in ("TP309", "TP330")]
    assert codes == ["TP309"]


def test_blank_pictures_alike_are_reported_as_blank_not_as_twins(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    for project in (MARKET, SQUARE):
        photo = root / project / "photos/progress/progress-1.jpg"
        grey_placeholder(photo, photo)
    assert sorted(media(check(root))) == [
        ("TP331", f"{SQUARE}/photos/progress/progress-1.jpg"),
        ("TP331", f"{MARKET}/photos/progress/progress-1.jpg"),
    ]


def test_an_empty_board_is_blank(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    board = root / MARKET / "boards/board.png"
    blank_png(board, board)
    found = [f for f in check(root) if f.code == "TP331"]
    assert [f.ref.path for f in found] == [f"{MARKET}/boards/board.png"]
    assert "展板" in found[0].message and "100%" in found[0].message


# -- TP332 GPS against the registry of places -------------------------------------------------------


def _register_town(root: Path, lat: float, lon: float, radius: float) -> None:
    (root / "templates/knowledge/towns.yaml").write_text(
        "geography:\n"
        f"  - {{name: 渭城镇, kind: town, lat: {lat}, lon: {lon}, radius_km: {radius},"
        " source: 测试用}\n",
        encoding="utf-8",
    )


def test_a_photo_taken_far_away_is_reported_with_its_distance(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    with_gps(root / BINHE / "photos/before/before-2.jpg", *BEIJING)
    found = [f for f in check(root) if f.code == "TP332"]
    assert [f.ref.path for f in found] == [f"{BINHE}/photos/before/before-2.jpg"]
    assert "距咸阳市渭城区约 9" in found[0].message and "templates/knowledge/geography.yaml" in (
        found[0].message
    )


def test_a_registered_town_holds_its_projects_photos(tmp_path: Path) -> None:
    """Weicheng's sample photos lie 0.4–1.1 km from 34.339, 108.712: all inside 5 km, some
    outside 0.5 km."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _register_town(root, 34.339, 108.712, 5)
    assert [f for f in check(root) if f.code == "TP332"] == []
    _register_town(root, 34.339, 108.712, 0.5)
    found = [f for f in check(root) if f.code == "TP332"]
    assert found and all("距渭城镇约" in f.message for f in found)


def test_an_impossible_place_is_a_located_knowledge_finding(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _register_town(root, 134.3, 108.7, 5)
    session = pipeline.open_session(root)
    found = [f for f in session.profile_findings if f.code == "TP905"]
    assert [str(f.ref) for f in found] == ["templates/knowledge/towns.yaml:2"]
    assert "纬度应在 -90～90" in found[0].message
    assert session.knowledge.location("town", ("渭城镇",)) is None


# -- TP333 photo dates against the project ----------------------------------------------------------


def test_a_before_photo_taken_after_the_start_names_the_start(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    with_date(root / BINHE / "photos/before/before-2.jpg", dt.datetime(2023, 8, 1, 9, 0))
    found = [f for f in check(root) if f.code == "TP333"]
    assert [f.ref.path for f in found] == [f"{BINHE}/photos/before/before-2.jpg"]
    assert "晚于项目开工日期 2023-07-28" in found[0].message
    assert f"{BINHE}/brief.md:" in found[0].message


def test_a_progress_photo_before_the_start_is_reported(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    with_date(root / BINHE / "photos/progress/progress-1.jpg", dt.datetime(2023, 7, 20, 9, 0))
    found = [f for f in check(root) if f.code == "TP333"]
    assert [f.ref.path for f in found] == [f"{BINHE}/photos/progress/progress-1.jpg"]
    assert "早于项目开工日期" in found[0].message


def test_an_after_photo_taken_while_a_report_says_unfinished_names_the_report(
    tmp_path: Path,
) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    with_date(root / BINHE / "photos/after/after-1.jpg", dt.datetime(2023, 9, 5, 9, 0))
    found = [f for f in check(root) if f.code == "TP333"]
    assert [f.ref.path for f in found] == [f"{BINHE}/photos/after/after-1.jpg"]
    assert f"{W}/reports/2023-09-08.md:" in found[0].message and "截至 2023-09-08" in (
        found[0].message
    )


def test_a_photo_out_of_stage_order_is_tp505s_alone(tmp_path: Path) -> None:
    """A before photo dated after the after photos is also after the start: TP505 says it."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    with_date(root / BINHE / "photos/before/before-1.jpg", dt.datetime(2023, 9, 19, 9, 0))
    codes = {f.code for f in check(root) if f.code in ("TP505", "TP333")}
    assert codes == {"TP505"}


# -- TP334 photo dates against the document showing them -------------------------------------------


def _show_in_report(root: Path, photo: str) -> Path:
    report = root / W / "reports/2023-09-08.md"
    text = report.read_text(encoding="utf-8")
    old = "# 二、存在问题"
    assert old in text
    report.write_text(text.replace(old, f"![现场](../projects/{photo})\n\n{old}"), "utf-8")
    return report


def test_a_report_showing_a_photo_taken_after_it_is_reported_at_the_link(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _show_in_report(root, "binhe-road/photos/after/after-1.jpg")
    found = [f for f in check(root) if f.code == "TP334"]
    assert [(f.ref.path, f.ref.line) for f in found] == [
        (f"{W}/reports/2023-09-08.md", _line(root))
    ]
    assert "拍摄于 2023-09-16，晚于本文件的报送日期 2023-09-08" in found[0].message


def test_a_report_showing_an_earlier_photo_is_fine(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _show_in_report(root, "binhe-road/photos/progress/progress-1.jpg")
    assert [f for f in check(root) if f.code == "TP334"] == []


def _line(root: Path) -> int:
    lines = (root / W / "reports/2023-09-08.md").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith("![现场]"))


def test_the_shipped_registry_places_the_district_and_cites_every_entry() -> None:
    session = pipeline.open_session(REPO)
    places = session.knowledge.geography
    district = session.knowledge.location("district", (session.workspace.district.name,))
    assert district is not None and district.radius_km >= 32.2  # the district's diagonal
    assert all(len(place.source) > 20 for place in places)
