"""The inspection album (观摩图册): per town, every project's overview, drawings and board,
before/after pairs side by side and progress photos in date order, in PDF and DOCX.

``album_model`` reads the town and prepares the photos (through the photo pipeline and its cache);
``album_html`` and ``album_docx`` lay the same model out on A4 landscape pages. Projects follow
the order of the construction plan's project table. Before/after pairs come from photos.yaml
(``pair``), else matching file names (before-1 / after-1), else the nearest GPS positions.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from PIL import Image

from townplans.load.values import ValueFormatError, parse_date
from townplans.mdparser import tables
from townplans.model import Asset, Photo, Project, Town
from townplans.profile import Profile
from townplans.render import documents, ooxml
from townplans.render.html import WORKSPACE, resource_url
from townplans.render.images import Cache, Prepared, Slot, prepare
from townplans.render.ooxml import TocLine, set_fonts
from townplans.render.style import Style, _family
from townplans.render.tokens import xml_text

PAGE_MM = (297.0, 210.0)
MARGIN_MM = 15.0
PHOTO_SLOT = Slot(128.0, 92.0)
"""Half the landscape text block, less a gutter: the size each photo of a pair is printed at."""
DRAWING_SLOT = Slot(128.0, 110.0)
STAGE_LABELS = {"before": "施工前", "progress": "施工中", "after": "建成后"}
PAIR_DISTANCE_M = 300.0
"""Before and after photos farther apart than this are not paired by GPS."""


@dataclass(frozen=True, slots=True)
class AlbumPhoto:
    """One photo as the album shows it."""

    source: str
    stage: str
    date: dt.date | None
    place: str
    note: str
    prepared: Prepared

    @property
    def caption(self) -> str:
        parts = [
            STAGE_LABELS.get(self.stage, self.stage),
            documents.chinese_date(self.date) or "日期不详",
        ]
        if self.place:
            parts.append(self.place)
        text = " · ".join(parts)
        return f"{text}｜{self.note}" if self.note else text


@dataclass(frozen=True, slots=True)
class AlbumImage:
    """A drawing or a board, shown as it is (already print-sized)."""

    source: str
    title: str


@dataclass
class AlbumProject:
    name: str
    anchor: str
    facts: list[tuple[str, str]]
    images: list[AlbumImage] = field(default_factory=list)
    pairs: list[tuple[AlbumPhoto | None, AlbumPhoto | None]] = field(default_factory=list)
    progress: list[AlbumPhoto] = field(default_factory=list)


@dataclass
class Album:
    title: str
    subtitle: str
    projects: list[AlbumProject]
    prepared: int = 0
    """Photos decoded and resized in this build (0 when every photo came from the cache)."""
    cached: int = 0


# -- the model ---------------------------------------------------------------------------------------------


def album_model(
    town: Town, profile: Profile, root: Path, cache: Cache, district_name: str, year: str
) -> Album:
    projects = _in_plan_order(town)
    album = Album(f"{town.name}小城镇建设观摩图册", f"{district_name} {year}", [])
    for index, project in enumerate(projects, 1):
        album.projects.append(_project(project, profile, root, cache, f"p{index}", album))
    return album


def _in_plan_order(town: Town) -> list[Project]:
    """Projects in the order of the construction plan's project table; others after, by folder."""
    order: list[str] = []
    if town.construction_plan is not None:
        for table in tables(town.construction_plan):
            column = table.column("项目名称")
            if column is not None:
                order += [
                    re.sub(r"\s+", "", row.cells[column])
                    for row in table.rows
                    if column < len(row.cells)
                ]
    rank = {name: index for index, name in enumerate(order)}
    return sorted(
        town.projects, key=lambda p: (rank.get(re.sub(r"\s+", "", p.name), len(rank)), p.slug)
    )


def _project(
    project: Project, profile: Profile, root: Path, cache: Cache, anchor: str, album: Album
) -> AlbumProject:
    entry = AlbumProject(project.name, anchor, _facts(project, profile))
    entry.images = [
        AlbumImage(a.path, f"{_stem_title(a)}")
        for a in (*project.drawings, *project.boards)
        if a.image and not a.image.error
    ]
    photos = [_photo(p, root, cache, album) for p in project.photos]
    before = [p for p in photos if p.stage == "before"]
    after = [p for p in photos if p.stage == "after"]
    entry.pairs = pair_photos(before, after, project)
    entry.progress = sorted(
        (p for p in photos if p.stage == "progress"),
        key=lambda p: (p.date or dt.date.max, p.source),
    )
    return entry


def _stem_title(asset: Asset) -> str:
    folder = "展板" if "/boards/" in asset.path else "图纸"
    return f"{folder}：{Path(asset.name).stem}"


def _facts(project: Project, profile: Profile) -> list[tuple[str, str]]:
    doctype = profile.documents.get("project_brief")
    if project.brief is None or doctype is None:
        return [("项目简介", documents.missing("项目简介"))]
    meta, fields = project.brief.meta, doctype.fields
    funding = documents._funding(meta, fields.get("funding"))
    funding_text = "；".join(
        f"{s} {documents.number_text(a) if not isinstance(a, str) else a}万元" for s, a in funding
    )
    shown = [
        ("项目类别", "category"), ("所属功能区", "zone"), ("建设地点", "location"), ("建设规模及内容", "scale"),
        ("投资规模", "investment"), ("完成时限", "deadline"), ("形象进度", "progress"),
        ("形象进度百分比", "progress_percent"), ("责任领导", "leader"), ("责任单位", "unit"),
    ]  # fmt: skip
    facts = [(label, documents._value(meta, fields.get(key))) for label, key in shown]
    facts.insert(5, ("资金来源", funding_text or documents.missing("资金来源")))
    return facts


def _photo(photo: Photo, root: Path, cache: Cache, album: Album) -> AlbumPhoto:
    prepared = prepare(root / photo.asset.path, PHOTO_SLOT, cache)
    if prepared.cached:
        album.cached += 1
    elif prepared.path is not None:
        album.prepared += 1
    caption = photo.caption
    stage = photo.stage  # photos.yaml's stage, when given, was applied by the loader
    info = photo.asset.image
    date = _date(caption.get("date")) or (info.taken.date() if info and info.taken else None)
    place = str(caption.get("place") or "") or _coordinates(info.gps if info else None)
    return AlbumPhoto(
        photo.asset.path, stage, date, place, str(caption.get("caption") or ""), prepared
    )


def _date(raw: object) -> dt.date | None:
    try:
        value = parse_date(raw).value if raw is not None else None
    except ValueFormatError:
        return None
    return value if isinstance(value, dt.date) else None


def _coordinates(gps: tuple[float, float] | None) -> str:
    if gps is None:
        return ""
    latitude, longitude = gps
    return f"{'北纬' if latitude >= 0 else '南纬'}{abs(latitude):.4f}° {'东经' if longitude >= 0 else '西经'}{abs(longitude):.4f}°"


def pair_photos(
    before: Sequence[AlbumPhoto], after: Sequence[AlbumPhoto], project: Project
) -> list[tuple[AlbumPhoto | None, AlbumPhoto | None]]:
    """Before/after pairs: photos.yaml ``pair`` first, then file names, then nearest GPS."""
    left, right = list(before), list(after)
    pairs: list[tuple[AlbumPhoto | None, AlbumPhoto | None]] = []

    def take(b: AlbumPhoto, a: AlbumPhoto) -> None:
        pairs.append((b, a))
        left.remove(b)
        right.remove(a)

    by_name = {Path(p.source).name: p for p in (*before, *after)}
    captions = {Path(p.asset.path).name: p.caption for p in project.photos}
    for photo in list(left):
        partner = by_name.get(str(captions.get(Path(photo.source).name, {}).get("pair", "")))
        if partner in right:
            take(photo, partner)
    for photo in list(right):
        partner = by_name.get(str(captions.get(Path(photo.source).name, {}).get("pair", "")))
        if partner in left:
            take(partner, photo)
    for photo in list(left):
        key = _name_key(photo.source)
        partner = next((a for a in right if _name_key(a.source) == key), None)
        if key and partner is not None:
            take(photo, partner)
    gps = {p.asset.path: g for p in project.photos if p.asset.image and (g := p.asset.image.gps)}
    for photo in list(left):
        here = gps.get(photo.source)
        candidates = [
            (_distance(here, gps[a.source]), a.source, a) for a in right if here and a.source in gps
        ]
        if candidates:
            distance, _, partner = min(candidates)
            if distance <= PAIR_DISTANCE_M:
                take(photo, partner)
    pairs += [(b, None) for b in left] + [(None, a) for a in right]
    return pairs


def _name_key(path: str) -> str:
    """before-1.jpg / after-1.jpg / 施工前-东段.jpg -> the part that names the viewpoint."""
    stem = Path(path).stem.lower()
    return re.sub(r"^(before|after|施工前|建成后|改造前|改造后|前|后)[-_ ]*", "", stem)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two WGS-84 points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371000 * math.asin(math.sqrt(h))


# -- PDF (HTML) ----------------------------------------------------------------------------------------------


def _html(text: str) -> str:
    """Text for the album page: escaped, without the characters XML forbids (a file name or a
    photos.yaml caption may hold a control character; Pango cannot encode a lone surrogate)."""
    return escape(xml_text(text))


def _workspace_url(root: Path, path: Path | str) -> str:
    absolute = Path(path) if Path(path).is_absolute() else root / path
    return resource_url(WORKSPACE, absolute.resolve().relative_to(root.resolve()).as_posix())


def _figure(root: Path, photo: AlbumPhoto | None, missing_label: str) -> str:
    if photo is None:
        return f'<figure class="slot empty"><div class="placeholder">【缺：{_html(missing_label)}】</div></figure>'
    if photo.prepared.path is None:
        note = f"【照片无法使用：{_html(photo.source)}，{_html(photo.prepared.error or '')}】"
        return f'<figure class="slot empty"><div class="placeholder">{note}</div><figcaption>{_html(photo.caption)}</figcaption></figure>'
    url = _workspace_url(root, photo.prepared.path)
    return f'<figure class="slot"><img src="{url}" alt=""><figcaption>{_html(photo.caption)}</figcaption></figure>'


def album_html(album: Album, style: Style, root: Path) -> str:
    fonts = style.fonts
    css = f"""
@page {{ size: {PAGE_MM[0]}mm {PAGE_MM[1]}mm; margin: {MARGIN_MM}mm;
  @bottom-center {{ content: "— " counter(page) " —"; font-family: {_family(fonts["page_number"])}; font-size: 11pt; }} }}
@page :first {{ @bottom-center {{ content: none; }} }}
html {{ font-family: {_family(fonts["body"])}; font-size: 12pt; }}
h1 {{ font-family: {_family(fonts["heading1"])}; font-size: 18pt; margin: 0 0 4mm; }}
.cover {{ text-align: center; padding-top: 55mm; page-break-after: always; }}
.cover .title {{ font-family: {_family(fonts["title"])}; font-size: 30pt; }}
.cover .sub {{ margin-top: 20mm; font-size: 16pt; }}
.contents {{ page-break-after: always; }} .contents a {{ color: inherit; text-decoration: none; }}
.contents li {{ margin: 2mm 0; }} .contents a::after {{ content: leader(".") target-counter(attr(href), page); }}
section.project {{ page-break-before: always; }}
table.facts {{ border-collapse: collapse; width: 100%; font-size: 11pt; }}
table.facts th, table.facts td {{ border: 0.5pt solid #333; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }}
table.facts th {{ width: 28mm; background: #f2f2f2; font-weight: normal; font-family: {_family(fonts["heading1"])}; }}
.row {{ display: flex; justify-content: space-between; page-break-inside: avoid; margin-top: 5mm; }}
.slot {{ width: {PHOTO_SLOT.width_mm}mm; margin: 0; text-align: center; }}
.slot img {{ max-width: {PHOTO_SLOT.width_mm}mm; max-height: {PHOTO_SLOT.height_mm}mm; }}
.images .slot img {{ max-height: {DRAWING_SLOT.height_mm}mm; }}
.placeholder {{ height: {PHOTO_SLOT.height_mm * 0.6:.0f}mm; border: 0.8pt dashed #c00; color: #c00; display: flex; align-items: center; justify-content: center; }}
figcaption {{ font-size: 10pt; margin-top: 1.5mm; }}
h2 {{ font-family: {_family(fonts["heading2"])}; font-size: 14pt; margin: 5mm 0 0; page-break-after: avoid; }}
"""
    parts = [
        f'<div class="cover"><div class="title">{_html(album.title)}</div><div class="sub">{_html(album.subtitle)}</div></div>',
        '<nav class="contents"><h1>目　录</h1><ol>'
        + "".join(f'<li><a href="#{p.anchor}">{_html(p.name)}</a></li>' for p in album.projects)
        + "</ol></nav>",
    ]
    for project in album.projects:
        parts.append(_project_html(project, root))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_html(album.title)}</title><style>{css}</style></head><body>{''.join(parts)}</body></html>"
    )


def _project_html(project: AlbumProject, root: Path) -> str:
    rows = "".join(f"<tr><th>{_html(k)}</th><td>{_html(v)}</td></tr>" for k, v in project.facts)
    html = [
        f'<section class="project"><h1 id="{project.anchor}">{_html(project.name)}</h1><table class="facts">{rows}</table>'
    ]
    images = [
        f'<figure class="slot"><img src="{_workspace_url(root, image.source)}" alt=""><figcaption>{_html(image.title)}</figcaption></figure>'
        for image in project.images
    ]
    if images:
        html.append("<h2>规划图纸与展板</h2>")
        html += [
            f'<div class="row images">{"".join(images[i : i + 2])}</div>'
            for i in range(0, len(images), 2)
        ]
    if project.pairs:
        html.append("<h2>建设前后对比</h2>")
        html += [
            f'<div class="row">{_figure(root, b, "施工前照片")}{_figure(root, a, "建成后照片")}</div>'
            for b, a in project.pairs
        ]
    if project.progress:
        html.append("<h2>建设进度</h2>")
        figures = [_figure(root, p, "") for p in project.progress]
        html += [
            f'<div class="row">{"".join(figures[i : i + 2])}</div>'
            for i in range(0, len(figures), 2)
        ]
    html.append("</section>")
    return "".join(html)


# -- DOCX ------------------------------------------------------------------------------------------------------


def album_contents(album: Album, pages: dict[str, int]) -> list[TocLine]:
    """The album's contents as its PDF prints them: each project with the page ``pages`` (the
    PDF's layout of ``album_html``) puts its heading on."""
    return [
        TocLine(1, xml_text(p.name), ooxml.bookmark_name(p.anchor), pages.get(p.anchor))
        for p in album.projects
    ]


def album_date(album: Album) -> dt.date | None:
    """The album's own date: the latest date a photo of it was taken."""
    dates = [
        photo.date
        for project in album.projects
        for photo in (*(p for pair in project.pairs for p in pair if p), *project.progress)
        if photo.date is not None
    ]
    return max(dates, default=None)


def album_docx(
    album: Album,
    style: Style,
    root: Path,
    contents: Sequence[TocLine] = (),
    author: str = "",
    stamp: dt.datetime | None = None,
) -> bytes:
    """The same album in Word: landscape pages, a contents page (a TOC field holding
    ``contents``), a heading per project, photos in 2-column tables, "— n —" page numbers from
    the second page; properties name the album, ``author`` and ``stamp``."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    _album_styles(document, style)
    _page_numbers(document, style)
    # Every text goes through xml_text: python-docx refuses a control character with a ValueError,
    # and file names and photos.yaml captions may hold one.
    title = document.add_paragraph(xml_text(album.title), style="Title")
    title.paragraph_format.space_before = Pt(150)
    document.add_paragraph(xml_text(album.subtitle)).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    heading = document.add_paragraph()  # not a heading: the contents do not list themselves
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(heading.add_run("目　录"), style.fonts["heading1"])
    heading.runs[0].font.size = Pt(18)
    ooxml.add_toc(
        lambda name: document.add_paragraph(style=name), contents, 1, style.fonts["toc"],
        "（在 Word 中右键“更新域”生成目录页码）",
    )  # fmt: skip
    for number, project in enumerate(album.projects, 1):
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        heading = document.add_paragraph(xml_text(project.name), style="Heading 1")
        ooxml.add_bookmark(heading, ooxml.bookmark_name(project.anchor), number)
        facts = document.add_table(rows=len(project.facts), cols=2)
        facts.style = document.styles["Table Grid"]
        for row, (key, value) in zip(facts.rows, project.facts, strict=True):
            row.cells[0].text, row.cells[1].text = xml_text(key), xml_text(value)
            row.cells[0].width, row.cells[1].width = Mm(35), Mm(232)
        if project.images:
            document.add_paragraph("规划图纸与展板", style="Heading 2")
            _grid(document, [(root / i.source, i.title) for i in project.images], DRAWING_SLOT)
        if project.pairs:
            document.add_paragraph("建设前后对比", style="Heading 2")
            cells: list[tuple[Path | None, str]] = []
            for before, after in project.pairs:
                cells += [_docx_cell(before, "施工前照片"), _docx_cell(after, "建成后照片")]
            _grid(document, cells, PHOTO_SLOT)
        if project.progress:
            document.add_paragraph("建设进度", style="Heading 2")
            _grid(document, [_docx_cell(p, "") for p in project.progress], PHOTO_SLOT)
    date = album_date(album)
    when = stamp or dt.datetime.combine(date or dt.date(2000, 1, 1), dt.time())
    ooxml.set_properties(document, xml_text(album.title), xml_text(author), when)
    ooxml.tidy_breaks(document.element.body)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_numbers(document: DocumentObject, style: Style) -> None:
    """ "— n —" centred at the foot of every page but the cover, as the PDF album has them."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    role = style.fonts["page_number"]
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(paragraph.add_run("— "), role)
    ooxml.add_field(paragraph, "PAGE", role)
    set_fonts(paragraph.add_run(" —"), role)
    for run in paragraph.runs:
        run.font.size = Pt(11)


def _docx_cell(photo: AlbumPhoto | None, missing: str) -> tuple[Path | None, str]:
    if photo is None:
        return None, f"【缺：{missing}】"
    if photo.prepared.path is None:
        return None, f"【照片无法使用：{photo.source}】{photo.caption}"
    return photo.prepared.path, photo.caption


def _grid(document: DocumentObject, cells: Sequence[tuple[Path | None, str]], slot: Slot) -> None:
    table = document.add_table(rows=(len(cells) + 1) // 2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, (path, caption) in enumerate(cells):
        cell = table.cell(index // 2, index % 2)
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if path is not None:
            paragraph.add_run().add_picture(str(path), width=_fit_width(path, slot))
        else:
            run = paragraph.add_run("（无照片）")
            run.font.color.rgb = RGBColor(0xC0, 0, 0)
        caption_paragraph = cell.add_paragraph(xml_text(caption))
        caption_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _fit_width(path: Path, slot: Slot) -> int:
    with Image.open(path) as image:
        ratio = image.width / image.height
    width_mm = min(slot.width_mm, slot.height_mm * ratio)
    return int(Mm(width_mm))


def _album_styles(document: DocumentObject, style: Style) -> None:
    for name, role, size in (
        ("Normal", "table", 11.0),
        ("Title", "title", 30.0),
        ("Heading 1", "heading1", 18.0),
        ("Heading 2", "heading2", 14.0),
    ):
        named = document.styles[name]
        assert isinstance(named, ParagraphStyle)
        set_fonts(named, style.fonts[role])
        named.font.size = Pt(size)
        named.font.color.rgb = RGBColor(0, 0, 0)
    title = document.styles["Title"]
    assert isinstance(title, ParagraphStyle)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for border in title.element.xpath("./w:pPr/w:pBdr"):
        border.getparent().remove(border)
    for rfonts in document.styles.element.iter(qn("w:rFonts")):
        if rfonts.get(qn("w:ascii")) and not rfonts.get(qn("w:eastAsia")):
            rfonts.set(qn("w:eastAsia"), style.fonts["body"].east_asian)
    width = Mm(PAGE_MM[0] - 2 * MARGIN_MM)
    ooxml.toc_styles(document, 1, style.fonts["toc"], int(width), Pt(0))
    ooxml.drop_theme_fonts(document, style.fonts["body"])
