"""Draw the sample district's images: site photos with EXIF, planning drawings with legends, boards.

The sample content in towns/ is the specification: every drawing a Markdown file links to is drawn
with its caption as title, and every project gets before / progress / after photos dated from its
brief (start date, progress date, percent complete), a site drawing and a display board made from
the brief's facts. Output is deterministic (seeded by path) and small, so the repository stays
light. Files that exist are kept unless --force; the deliberate gaps listed in towns/README.md are
never drawn.

    python tools/make_sample_images.py [--force] [--root .]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw, ImageFont

# Deliberate gaps (towns/README.md): these files must stay missing.
GAPS = {
    "towns/yaodian/master-plan/drawings/05-roads.png",
    "towns/yaodian/projects/qindu-avenue/photos/after",
}

# Approximate centre of each town (WGS-84), for photo GPS tags.
TOWN_GPS = {
    "weicheng": (34.3390, 108.7120),
    "yaodian": (34.3830, 108.8040),
    "zhengyang": (34.4160, 108.8590),
    "dizhang": (34.4330, 108.7630),
    "zhouling": (34.4050, 108.6870),
    "beidu": (34.4460, 108.8220),
}

LAND_USE = [
    ("R", "居住用地", (250, 226, 120)),
    ("C", "公共设施用地", (235, 110, 100)),
    ("M", "生产设施用地", (190, 150, 110)),
    ("W", "仓储用地", (200, 170, 220)),
    ("G", "绿地", (120, 190, 110)),
    ("E", "水域", (130, 190, 235)),
]
PHOTO_SIZE = (800, 600)
DRAWING_SIZE = (1000, 750)


def find_font() -> str:
    """A CJK font file for the labels (Noto Sans CJK, from fonts-noto-cjk)."""
    try:
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if path and "CJK" in path:
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    sys.exit("需要中文字体 Noto Sans CJK：apt-get install fonts-noto-cjk")


def rng_for(key: str) -> random.Random:
    return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    data = yaml.safe_load(match.group(1)) if match else {}
    return data if isinstance(data, dict) else {}


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    numbers = [int(n) for n in re.findall(r"\d+", str(value))[:3]]
    return dt.date(*numbers)


def percent(value: Any) -> float:
    match = re.search(r"[\d.]+", str(value))
    return float(match.group()) if match else 0.0


# -- drawings ------------------------------------------------------------------------------------


def draw_plan(title: str, subtitle: str, key: str, font_path: str) -> Image.Image:
    """A planning drawing: land-use blocks on a street grid, legend, north arrow, scale bar."""
    rng = rng_for(key)
    width, _height = DRAWING_SIZE
    image = Image.new("RGB", DRAWING_SIZE, "white")
    draw = ImageDraw.Draw(image)
    title_font = ImageFont.truetype(font_path, 30)
    small = ImageFont.truetype(font_path, 16)
    draw.text((width // 2, 30), title, font=title_font, fill="black", anchor="mt")
    draw.text((width // 2, 70), subtitle, font=small, fill=(60, 60, 60), anchor="mt")
    map_box = (40, 100, 760, 700)
    draw.rectangle(map_box, outline="black", width=2)
    columns, rows = rng.randint(4, 6), rng.randint(3, 5)
    cell_w = (map_box[2] - map_box[0]) / columns
    cell_h = (map_box[3] - map_box[1]) / rows
    for col in range(columns):
        for row in range(rows):
            _code, _name, colour = rng.choice(LAND_USE[:5])
            x0 = map_box[0] + col * cell_w + 6
            y0 = map_box[1] + row * cell_h + 6
            draw.rectangle(
                (x0, y0, x0 + cell_w - 12, y0 + cell_h - 12), fill=colour, outline=(90, 90, 90)
            )
            label = f"{chr(65 + row)}-{col + 1:02d}"
            draw.text((x0 + 6, y0 + 4), label, font=small, fill="black")
    river_y = map_box[3] - rng.randint(30, 60)
    draw.line((map_box[0], river_y, map_box[2], river_y - 20), fill=LAND_USE[5][2], width=14)
    # Legend, north arrow and scale bar: what every sheet must carry.
    draw.text((790, 110), "图  例", font=small, fill="black")
    for index, (code, name, colour) in enumerate(LAND_USE):
        y = 145 + index * 34
        draw.rectangle((790, y, 822, y + 22), fill=colour, outline="black")
        draw.text((832, y + 2), f"{code} {name}", font=small, fill="black")
    draw.polygon([(880, 420), (866, 470), (880, 460), (894, 470)], fill="black")
    draw.text((880, 395), "N", font=small, fill="black", anchor="mm")
    draw.line((790, 540, 950, 540), fill="black", width=3)
    for x in (790, 870, 950):
        draw.line((x, 532, x, 548), fill="black", width=2)
    draw.text((790, 552), "0     200    400米", font=small, fill="black")
    draw.text((790, 660), "比例 1:5000", font=small, fill="black")
    draw.text(
        (width // 2, 725),
        "咸阳市城乡规划设计研究院  2023年7月",
        font=small,
        fill=(80, 80, 80),
        anchor="mm",
    )
    return image


def draw_board(brief: dict[str, Any], town_name: str, font_path: str) -> Image.Image:
    """A display board (展板) with the project's facts, in the 工程概况牌 manner."""
    image = Image.new("RGB", (1000, 700), (20, 70, 140))
    draw = ImageDraw.Draw(image)
    big = ImageFont.truetype(font_path, 40)
    body = ImageFont.truetype(font_path, 24)
    draw.rectangle((30, 30, 970, 670), outline="white", width=4)
    draw.text((500, 80), str(brief.get("title", "")), font=big, fill="white", anchor="mm")
    draw.text(
        (500, 130), f"{town_name}小城镇建设项目", font=body, fill=(220, 230, 255), anchor="mm"
    )
    funding = brief.get("funding") or []
    funding_text = "、".join(
        f"{item.get('source')}{item.get('amount')}" for item in funding if isinstance(item, dict)
    )
    lines = [
        f"建设单位：{brief.get('owner', '')}",
        f"建设地点：{brief.get('location', '')}",
        f"总 投 资：{brief.get('investment', '')}",
        f"资金来源：{funding_text or '见项目简介'}",
        f"开工日期：{brief.get('start', '')}    完成时限：{brief.get('deadline', '')}",
        f"形象进度：{brief.get('progress_percent', '')}",
        f"责任领导：{brief.get('leader', '')}",
    ]
    for index, line in enumerate(lines):
        draw.text((70, 190 + index * 58), line[:36], font=body, fill="white")
    return image


# -- photos -----------------------------------------------------------------------------------------


def draw_scene(category: str, stage: str, key: str, font_path: str) -> Image.Image:
    """A drawn site photo: sky, ground and a subject that looks worse before than after."""
    rng = rng_for(key)
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    sky = (170, 175, 180) if stage == "before" else (120, 175, 230)
    for y in range(height // 2):
        shade = int(40 * y / (height / 2))
        draw.line(
            (0, y, width, y),
            fill=(sky[0] + shade // 2, sky[1] + shade // 3, min(255, sky[2] + shade // 4)),
        )
    ground = (150, 130, 100) if stage == "before" else (110, 150, 90)
    draw.rectangle((0, height // 2, width, height), fill=ground)
    horizon = height // 2
    for index in range(rng.randint(3, 6)):  # buildings on the horizon
        x0 = rng.randint(0, width - 120)
        top = horizon - rng.randint(60, 160)
        draw.rectangle(
            (x0, top, x0 + rng.randint(70, 140), horizon),
            fill=(200 - index * 12, 190 - index * 10, 180),
        )
    if category in ("道路建设", "镇容镇貌", "集贸市场"):
        colour = (90, 90, 90) if stage != "before" else (120, 110, 100)
        draw.polygon(
            [(width * 0.45, horizon), (width * 0.55, horizon), (width, height), (0, height)],
            fill=colour,
        )
        if stage == "before":
            for _ in range(14):
                x, y = rng.randint(150, 650), rng.randint(horizon + 40, height - 20)
                draw.ellipse(
                    (x, y, x + rng.randint(20, 60), y + rng.randint(8, 20)), fill=(70, 60, 50)
                )
        else:
            draw.line((width / 2, horizon + 10, width / 2, height), fill="white", width=6)
            for side in (0.2, 0.8):
                for step in range(4):
                    lamp_x = width * side + (step * 40 if side > 0.5 else -step * 40)
                    draw.line(
                        (lamp_x, horizon + 20 + step * 50, lamp_x, horizon - 40 + step * 40),
                        fill=(60, 60, 60),
                        width=4,
                    )
    elif category == "给排水":
        draw.rectangle(
            (100, horizon + 80, 700, horizon + 160),
            fill=(80, 60, 40) if stage != "after" else (100, 100, 100),
        )
        if stage != "before":
            draw.rectangle((120, horizon + 100, 680, horizon + 130), fill=(60, 120, 180))
    else:  # squares, parks, facilities
        colour = (170, 160, 150) if stage == "before" else (215, 205, 190)
        draw.rectangle((80, horizon + 40, 720, height - 40), fill=colour)
        trees = 4 if stage == "before" else 12
        for _ in range(trees):
            x, y = rng.randint(90, 700), rng.randint(horizon + 20, height - 80)
            draw.ellipse(
                (x, y, x + 50, y + 50), fill=(50, 120, 50) if stage != "before" else (110, 110, 70)
            )
    if stage == "progress":
        for _ in range(3):  # machinery and barriers
            x = rng.randint(100, 600)
            draw.rectangle(
                (x, horizon + 60, x + 90, horizon + 110), fill=(240, 190, 30), outline="black"
            )
    font = ImageFont.truetype(font_path, 20)
    label = {"before": "施工前", "progress": "施工中", "after": "建成后"}[stage]
    draw.text(
        (16, height - 34), label, font=font, fill="white", stroke_width=2, stroke_fill="black"
    )
    return image


def save_photo(
    image: Image.Image, path: Path, taken: dt.datetime, gps: tuple[float, float], rotate: bool
) -> None:
    """Save a JPEG with DateTimeOriginal, camera and GPS tags; ``rotate`` stores it sideways with
    Orientation 6, as phones do, so the album pipeline's orientation handling is exercised."""
    exif = Image.Exif()
    exif[0x010F] = "townplans"  # Make
    exif[0x0110] = "sample camera"  # Model
    exif[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    if rotate:
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    gps_ifd = exif.get_ifd(0x8825)
    gps_ifd[1] = "N"
    gps_ifd[2] = _dms(gps[0])
    gps_ifd[3] = "E"
    gps_ifd[4] = _dms(gps[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=72, optimize=True, exif=exif)


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    return (float(degrees), float(minutes), round((minutes_full - minutes) * 60, 2))


# -- driving it from the content ----------------------------------------------------------------------


def plan_drawings(root: Path, town: Path, font_path: str, force: bool) -> int:
    made = 0
    town_name = str(
        yaml.safe_load((town / "town.yaml").read_text(encoding="utf-8")).get("name", town.name)
    )
    for markdown in sorted(town.rglob("*.md")):
        if "projects" in markdown.parts or "reports" in markdown.parts:
            continue
        text = markdown.read_text(encoding="utf-8")
        meta = front_matter(markdown)
        subtitle = str(meta.get("title") or f"{town_name}总体规划")
        for alt, target in re.findall(r"!\[([^\]]*)\]\(([^)\s]+)\)", text):
            path = markdown.parent / target
            rel = path.relative_to(root).as_posix()
            if rel in GAPS or (path.exists() and not force):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            draw_plan(alt, subtitle, rel, font_path).quantize(colors=64).save(path, optimize=True)
            made += 1
    return made


def project_images(root: Path, town: Path, font_path: str, force: bool) -> int:
    made = 0
    town_name = str(
        yaml.safe_load((town / "town.yaml").read_text(encoding="utf-8")).get("name", town.name)
    )
    base = TOWN_GPS.get(town.name, (34.40, 108.75))
    for project in sorted(p for p in (town / "projects").iterdir() if p.is_dir()):
        brief = front_matter(project / "brief.md")
        category = str(brief.get("category", ""))
        start = as_date(brief.get("start") or brief.get("submitted") or "2023-07-26")
        progress_date = as_date(brief.get("progress_date", "2023-09-18"))
        done = percent(brief.get("progress_percent", 0))
        key = project.relative_to(root).as_posix()  # seeds must not depend on where the repo is
        rng = rng_for(key)
        spot = (base[0] + rng.uniform(-0.01, 0.01), base[1] + rng.uniform(-0.01, 0.01))
        shots = [
            ("before", 1, start - dt.timedelta(days=12)),
            ("before", 2, start - dt.timedelta(days=9)),
        ]
        if done > 0:
            middle = start + (progress_date - start) / 2
            shots.append(("progress", 1, middle))
            if done >= 50:
                shots.append(("progress", 2, middle + dt.timedelta(days=7)))
        if done >= 100:
            shots += [
                ("after", 1, progress_date - dt.timedelta(days=2)),
                ("after", 2, progress_date - dt.timedelta(days=1)),
            ]
        for stage, number, day in shots:
            folder = project / "photos" / stage
            path = folder / f"{stage}-{number}.jpg"
            if folder.relative_to(root).as_posix() in GAPS or (path.exists() and not force):
                continue
            taken = dt.datetime.combine(day, dt.time(9 + number, 10 * number))
            # Pairs share a viewpoint: the same GPS position for before-N and after-N.
            offset = 0.0004 * number
            gps = (spot[0] + offset, spot[1] + offset)
            image = draw_scene(category, stage, f"{key}/{stage}-{number}", font_path)
            save_photo(image, path, taken, gps, rotate=(stage == "progress" and number == 1))
            made += 1
        drawing = project / "drawings" / "site-plan.png"
        if force or not drawing.exists():
            drawing.parent.mkdir(parents=True, exist_ok=True)
            title = f"{brief.get('title', project.name)}总平面图"
            seed = drawing.relative_to(root).as_posix()
            draw_plan(title, town_name, seed, font_path).quantize(colors=64).save(
                drawing, optimize=True
            )
            made += 1
        board = project / "boards" / "board.png"
        if force or not board.exists():
            board.parent.mkdir(parents=True, exist_ok=True)
            draw_board(brief, town_name, font_path).quantize(colors=32).save(board, optimize=True)
            made += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--force", action="store_true", help="redraw files that exist")
    args = parser.parse_args()
    root = args.root.resolve()
    font_path = find_font()
    made = 0
    for town in sorted(p for p in (root / "towns").iterdir() if (p / "town.yaml").is_file()):
        made += plan_drawings(root, town, font_path, args.force)
        made += project_images(root, town, font_path, args.force)
    print(f"drew {made} images")


if __name__ == "__main__":
    main()
