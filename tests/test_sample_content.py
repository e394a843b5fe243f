"""The sample district's committed images and the script that draws them."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

from townplans.model import Workspace

STAGE_ORDER = {"before": 0, "progress": 1, "after": 2}


def _taken(path: Path) -> dt.datetime:
    with Image.open(path) as image:
        text = image.getexif().get_ifd(0x8769)[0x9003]
    return dt.datetime.strptime(text, "%Y:%m:%d %H:%M:%S")


def test_every_photo_has_an_exif_date_in_stage_order(sample: Workspace, repo: Path) -> None:
    for town in sample.district.towns:
        for project in town.projects:
            dated = sorted(
                (_taken(repo / p.asset.path), STAGE_ORDER[p.stage]) for p in project.photos
            )
            assert dated, project.folder
            stages = [stage for _, stage in dated]
            assert stages == sorted(stages), f"{project.folder}: photo dates out of stage order"


def test_photos_carry_gps_and_some_need_rotation(sample: Workspace, repo: Path) -> None:
    orientations = set()
    for town in sample.district.towns:
        for photo in town.projects[0].photos:
            with Image.open(repo / photo.asset.path) as image:
                exif = image.getexif()
                assert exif.get_ifd(0x8825)[1] == "N"
                orientations.add(exif.get(0x0112, 1))
    assert 6 in orientations  # phone-style sideways storage exercises the album pipeline


def test_documented_gaps_are_really_missing(repo: Path) -> None:
    assert not (repo / "towns/yaodian/master-plan/drawings/05-roads.png").exists()
    assert not list((repo / "towns/yaodian/projects/qindu-avenue/photos").glob("after/*"))
    readme = (repo / "towns/README.md").read_text(encoding="utf-8")
    for text in ("05-roads.png", "qindu-avenue", "beidu-market", "greening_coverage"):
        assert text in readme


def test_image_script_is_deterministic_and_keeps_the_gaps(repo: Path, tmp_path: Path) -> None:
    hashes = []
    for run in ("one", "two"):
        root = tmp_path / run
        (root / "towns").mkdir(parents=True)
        shutil.copytree(
            repo / "towns/yaodian",
            root / "towns/yaodian",
            ignore=shutil.ignore_patterns("*.png", "*.jpg"),
        )
        subprocess.run(
            [sys.executable, str(repo / "tools/make_sample_images.py"), "--root", str(root)],
            check=True,
        )
        files = sorted(p for p in (root / "towns").rglob("*") if p.suffix in (".png", ".jpg"))
        hashes.append(
            {
                p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in files
            }
        )
    assert hashes[0] == hashes[1]
    assert "towns/yaodian/master-plan/drawings/05-roads.png" not in hashes[0]
    assert "towns/yaodian/projects/qindu-avenue/photos/before/before-1.jpg" in hashes[0]
    assert not any("qindu-avenue/photos/after" in name for name in hashes[0])
