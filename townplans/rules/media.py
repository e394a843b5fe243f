"""TP33x media as content: what the loader read from each picture (its exact and perceptual hash,
how uniform it is, its GPS position, its EXIF date) compared with what the picture is used for
and with the project's stated facts. No rule opens an image: ``load.images`` measured each one
once, and the probe cache keeps the measures between runs.

The thresholds were measured on the sample district (227 drawings, boards and photos drawn by
``tools/make_sample_images.py``) and on the 18 decodable real camera JPEGs of
``corpora/photos``; ``benchmarks/media_measures.py`` prints the figures:

- perceptual hash (256 bits): a copy of a photo re-encoded (quality 60 or 90), resized (down to a
  quarter), greyscale, PNG or 10 % brighter differs from it by at most 10 bits for the sample's
  photos and 24 for the real ones (a 100-pixel CMYK photo cut to 25 pixels); two different sample
  photos differ by at least 36 bits, two different real photos by at least 114, a real and a
  sample photo by 100. Boards and drawings are drawn on one template per kind: two *different*
  boards came within 14 bits and two drawings within 26, as close as their own copies (14 and 20),
  so for them only an exact copy counts.
- uniformity (share of pixels within ±8 grey levels of the most common one): photos at most
  0.38 and drawings 0.43 in the sample, boards 0.88, real photos 0.86 (a CMYK test card); a flat
  grey or black frame is 1.0, a grey placeholder with a line of text or a black frame with a time
  stamp 0.99, an empty white page with a frame line 0.955. Two of the real photos are flat: a
  4032×2012 picture of one grey (137) and a 10×10 near-black one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from townplans.facts import Entity, Fact
from townplans.facts.units import town_documents
from townplans.knowledge import Location
from townplans.model import Asset, ImageInfo, Located, Photo, Project, Severity, SourceRef, Town
from townplans.profile import DocumentType
from townplans.rules import Context, Problem, rule
from townplans.rules.dates import STAGE_LABELS, photo_date, photo_order_problems
from townplans.rules.documents import date_of

NEAR_BITS = 28
"""Two photos whose perceptual hashes differ by at most this many of 256 bits show the same
picture: above the 24 bits of the worst re-encoded copy, below the 36 of the closest two
different sample photos."""
BLANK_SHARE = 0.95
"""A picture with at least this share of its pixels on one grey level (±8) is blank: above the
0.88 of the sparsest sample board, below the 0.955 of an empty page with a frame line."""
BLOCKS = 32
"""The hash is cut into this many 8-bit blocks to find candidate twins without comparing every
pair: two hashes within ``NEAR_BITS`` (< 32) bits of each other share at least one block."""
KINDS = {"photo": "照片", "drawing": "图纸", "board": "展板"}


@dataclass(frozen=True, slots=True)
class Use:
    """A picture as what it stands for: a project's photo, board or drawing, a plan's drawing."""

    asset: Asset
    kind: str
    """``photo``, ``drawing`` or ``board``."""
    owner: str
    """The key of what it belongs to: ``town/project`` or ``town/plan``."""
    owner_name: str
    label: str
    """What it is called in a message: 施工前照片, 图纸, 展板."""


def uses(town: Town) -> Iterator[Use]:
    """Every photo, drawing and board of a town, as what it stands for (permits are papers)."""
    if town.master_plan is not None:
        for drawing in town.master_plan.drawings:
            yield Use(
                drawing, "drawing", f"{town.slug}/master-plan", f"{town.name}总体规划", "图纸"
            )
    for plan in town.detailed_plans:
        title = (plan.text.title if plan.text is not None else None) or plan.slug
        for drawing in plan.drawings:
            yield Use(drawing, "drawing", f"{town.slug}/{plan.slug}", title, "图纸")
    for project in town.projects:
        owner = f"{town.slug}/{project.slug}"
        for photo in project.photos:
            label = f"{STAGE_LABELS.get(photo.stage, photo.stage)}照片"
            yield Use(photo.asset, "photo", owner, project.name, label)
        for drawing in project.drawings:
            yield Use(drawing, "drawing", owner, project.name, "图纸")
        for board in project.boards:
            yield Use(board, "board", owner, project.name, "展板")


def _measured(asset: Asset) -> ImageInfo | None:
    info = asset.image
    return info if info is not None and info.error is None else None


def is_blank(info: ImageInfo) -> bool:
    return info.uniformity is not None and info.uniformity >= BLANK_SHARE


# -- TP330 one picture standing for two things ------------------------------------------------------


def _photos_of_one_project(a: Use, b: Use) -> bool:
    """Both photos of one project: an exact copy there is TP309's, and a near one is left alone
    (R35 asks for before and after photos from the same viewpoint, which may look alike)."""
    return a.kind == b.kind == "photo" and a.owner == b.owner


def _same_drawing(a: Use, b: Use) -> bool:
    """One drawing filed in two plans under one name (a location map the 控规 takes from the
    总规) stands for one thing, not two."""
    return a.kind == b.kind == "drawing" and a.asset.name == b.asset.name


class _Twins:
    """The pictures met so far, by exact hash and by perceptual-hash block."""

    def __init__(self) -> None:
        self.exact: dict[str, list[Use]] = defaultdict(list)
        self.blocks: dict[tuple[int, str], list[tuple[Use, int]]] = defaultdict(list)

    def twin(self, use: Use, info: ImageInfo) -> tuple[Use, int | None] | None:
        """The picture met before that ``use`` repeats (an exact copy first, else the closest),
        with the bits they differ by (None for an exact copy)."""
        for other in self.exact[info.sha256]:
            if not _photos_of_one_project(use, other) and not _same_drawing(use, other):
                return other, None
        if info.phash is None:
            return None
        value = int(info.phash, 16)
        candidates = {id(u): (u, h) for block in _blocks(info.phash) for u, h in self.blocks[block]}
        near = [
            (other, (value ^ hashed).bit_count())
            for other, hashed in candidates.values()
            if "photo" in (use.kind, other.kind) and not _photos_of_one_project(use, other)
        ]
        close = [(other, bits) for other, bits in near if bits <= NEAR_BITS]
        return min(close, key=lambda pair: pair[1]) if close else None

    def add(self, use: Use, info: ImageInfo) -> None:
        self.exact[info.sha256].append(use)
        if info.phash is not None:
            value = int(info.phash, 16)
            for block in _blocks(info.phash):
                self.blocks[block].append((use, value))


def _blocks(phash: str) -> list[tuple[int, str]]:
    width = max(1, len(phash) // BLOCKS)
    return [(index, phash[index * width : (index + 1) * width]) for index in range(BLOCKS)]


@rule(
    "TP330",
    "image-reused",
    Severity.ERROR,  # an exact copy stands for two things; a near one (perceptual) is a warning
    "同一画面用于两处：两个项目、两个镇，或两张图纸、展板（含重新压缩、缩放后的照片）",
    "plan",
    ("R35",),
    scope="district",
)
def image_reused(ctx: Context) -> Iterator[Problem]:
    twins = _Twins()
    for town in ctx.workspace.district.towns:
        for use in uses(town):
            info = _measured(use.asset)
            if info is None or is_blank(info):
                continue  # a blank picture is TP331's, and every blank one looks alike
            found = twins.twin(use, info)
            twins.add(use, info)
            if found is not None:
                exact = found[1] is None
                severity = None if exact else Severity.WARNING
                yield Problem(SourceRef(use.asset.path), _reuse_message(use, *found), severity)


def _reuse_message(use: Use, first: Use, bits: int | None) -> str:
    how = (
        "内容完全相同（SHA-256 一致）"
        if bits is None
        else f"是同一画面（感知哈希 256 位中只差 {bits} 位：重新压缩、缩放或转存的同一张图）"
    )
    second = "其" if use.owner == first.owner else use.owner_name + "的"
    return (
        f"{KINDS[use.kind]} {use.asset.name} 与 {first.asset.path} {how}：同一张图既作"
        f"{first.owner_name}的{first.label} {first.asset.name}，又作{second}{use.label}"
        f" {use.asset.name}，请换成各自的实际图片"
    )


# -- TP331 blank pictures ---------------------------------------------------------------------------


@rule(
    "TP331",
    "image-blank",
    Severity.ERROR,  # a uniform picture shows nothing: it cannot go into the album or the files
    "照片、图纸或展板几乎是一片纯色（灰色占位图、黑屏、空白页）",
    "plan",
    ("R35",),
)
def image_blank(ctx: Context) -> Iterator[Problem]:
    for use in uses(ctx.the_town):
        info = _measured(use.asset)
        if info is None or not is_blank(info):
            continue
        share = f"{info.uniformity:.0%}" if info.uniformity is not None else ""
        message = (
            f"{use.owner_name}的{use.label} {use.asset.name} 画面几乎是一片纯色（{share} 的像素"
            f"灰度相同）：像是占位图、黑屏或空白页，不是实际的{KINDS[use.kind]}，请换成实拍或实绘的图片"
        )
        yield Problem(SourceRef(use.asset.path), message)


# -- TP332 GPS position against the registry of places ---------------------------------------------


@rule(
    "TP332",
    "photo-gps-far",
    Severity.WARNING,
    "照片的 GPS 拍摄位置在本区之外，或远离项目所在镇（按地理登记）",
    "plan",
    ("R35",),
)
def photo_gps_far(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    knowledge = ctx.knowledge
    district = knowledge.location("district", (ctx.workspace.district.name,))
    own = knowledge.location("town", (town.name, town.slug))
    places = [place for place in (district, own) if place is not None]
    if not places:
        return  # nothing registered to judge against (the registry leaves unconfirmed places out)
    for project in town.projects:
        for photo in project.photos:
            info = _measured(photo.asset)
            if info is None or info.gps is None:
                continue
            far = _outside(places, *info.gps)
            if far is not None:
                message = _gps_message(project, photo, info.gps, *far)
                yield Problem(SourceRef(photo.asset.path), message)


def _outside(places: list[Location], lat: float, lon: float) -> tuple[Location, float] | None:
    """The first place (the district before the town) the position lies outside of."""
    for place in places:
        distance = place.distance_km(lat, lon)
        if distance > place.radius_km:
            return place, distance
    return None


def _gps_message(
    project: Project, photo: Photo, gps: tuple[float, float], place: Location, distance: float
) -> str:
    lat, lon = gps
    position = f"{'北' if lat >= 0 else '南'}纬 {abs(lat):.4f}°、{'东' if lon >= 0 else '西'}经 {abs(lon):.4f}°"
    unset = "，0,0 通常是相机未定位时写入的值" if lat == 0 and lon == 0 else ""
    return (
        f"{project.name}的照片 {photo.asset.name} 的 GPS 拍摄位置（{position}{unset}）距{place.name}"
        f"约 {distance:.0f} 公里，超出其 {place.radius_km:g} 公里范围（地理登记 {place.ref}）："
        "请核对是否误用了别处的照片"
    )


# -- TP333 photo dates against the project's dates -------------------------------------------------


@rule(
    "TP333",
    "photo-date-project",
    Severity.WARNING,
    "照片拍摄日期与项目日期矛盾（施工前照片晚于开工、建成后照片早于开工或完工前）",
    "plan",
    ("R35",),
)
def photo_date_project(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    for project in town.projects:
        subject = Entity("project", f"{town.slug}/{project.slug}")
        starts = [f for f in ctx.facts.of(subject, "start") if f.date is not None]
        start = min(starts, key=lambda f: f.date or dt.date.max) if starts else None
        unfinished = [f for f in ctx.facts.of(subject, "progress_percent") if _below_100(f)]
        ordered = {problem.ref.path for problem in photo_order_problems(project)}
        for photo in project.photos:
            day = photo_date(photo)
            if day is None or photo.asset.path in ordered:
                continue  # undated is TP506's; out of stage order is TP505's
            message = _date_problem(photo, day, start, unfinished)
            if message is not None:
                yield Problem(SourceRef(photo.asset.path), message)


def _below_100(fact: Fact) -> bool:
    quantity = fact.quantity
    return quantity is not None and fact.as_of is not None and quantity.value < 100


def _date_problem(
    photo: Photo, day: dt.date, start: Fact | None, unfinished: list[Fact]
) -> str | None:
    stage, name = photo.stage, photo.asset.name
    label = STAGE_LABELS.get(stage, stage)
    started = start.date if start is not None else None
    if start is not None and started is not None:
        if stage == "before" and day > started:
            return (
                f"{label}照片 {name} 拍摄于 {day}，晚于项目开工日期 {started}（{start.source}）："
                "开工后拍的不是施工前的样子，请换成开工前的照片或核对日期"
            )
        if stage in ("progress", "after") and day < started:
            return (
                f"{label}照片 {name} 拍摄于 {day}，早于项目开工日期 {started}（{start.source}）："
                "请核对照片的阶段或拍摄日期"
            )
    if stage == "after":
        later = [f for f in unfinished if f.as_of is not None and day < f.as_of]
        if later:
            fact = max(later, key=lambda f: f.as_of or dt.date.min)
            return (
                f"{label}照片 {name} 拍摄于 {day}，但 {fact.source} 写明截至 {fact.as_of} 形象进度"
                f"只有 {fact.value}：项目尚未建成，请换成完工后的照片或核对日期"
            )
    return None


# -- TP334 photo dates against the documents that show them ---------------------------------------


@rule(
    "TP334",
    "photo-after-document",
    Severity.WARNING,
    "文件中插入的照片拍摄日期晚于该文件的日期（周报、简介不可能展示之后才拍的照片）",
    "plan",
    ("R35", "R40"),
)
def photo_after_document(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    photos = {photo.asset.path: photo for project in town.projects for photo in project.photos}
    if not photos:
        return
    for unit in town_documents(town, ctx.profile):
        dated = _document_date(unit.meta, unit.doctype)
        if dated is None:
            continue
        when, what = dated
        for markdown in unit.files:
            for link in markdown.links:
                photo = photos.get(link.resolved or "") if link.is_image else None
                day = photo_date(photo) if photo is not None else None
                if photo is None or day is None or day <= when:
                    continue
                message = (
                    f"插入的照片 {photo.asset.path} 拍摄于 {day}，晚于本文件的{what} {when}："
                    "文件不可能展示之后才拍的照片，请核对照片或文件日期"
                )
                yield Problem(link.ref, message)


def _document_date(meta: Located, doctype: DocumentType) -> tuple[dt.date, str] | None:
    """The date a document speaks for, and what it is called: its date (成文、编制、报送日期), or
    for a project brief the date its progress is stated for (else its submission date)."""
    for key in ("date", "progress_date", "submitted"):
        day = date_of(meta, doctype, key)
        spec = doctype.fields.get(key)
        if day is not None and spec is not None:
            return day, spec.label
    return None
