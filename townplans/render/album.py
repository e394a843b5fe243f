"""The inspection album (观摩图册): per town, every project's overview, drawings and board,
before/after pairs side by side and progress photos in date order, in PDF and DOCX.

``album_model`` reads the town and prepares the photos (through the photo pipeline and its cache);
``album_html`` and ``album_docx`` lay the same model out on A4 landscape pages. Projects follow
the order of the construction plan's project table. Before/after pairs come from photos.yaml
(``pair``), else matching file names (before-1 / after-1), else the nearest GPS positions.

Every project opens with its information page: the same facts for every project (``DETAILS``), in
one size, in rows that fill the page. Pages are filled, not half used: each group of pictures
(drawings and boards, before/after pairs, progress photos) is laid out on a grid whose slot size
comes from the page's text block, the rows a page holds and the pictures' proportions (``grid``),
the same in both writers. Captions are titles, never file names: a drawing or board by the alt text
its brief shows it with, else by the profile's label for its folder; a photo by its stage, date,
place and photos.yaml caption. A 【缺：…】 slot stands only where the checker asks for the photo (an
after-photo once the project is complete). The cover names the district, the town and the date and
shows a key photo (photos.yaml ``cover: true``, else the first project's latest after- or progress
photo).
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
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from townplans.completeness import condition_holds
from townplans.mdparser import tables
from townplans.model import Photo, Project, Town
from townplans.photopairs import pair_photos
from townplans.profile import Profile
from townplans.render import documents, ooxml
from townplans.render.html import WORKSPACE, kept_html, resource_url
from townplans.render.html import metadata as html_metadata
from townplans.render.images import Cache, Prepared, Slot, prepare
from townplans.render.layout import kept_together, natural_em, pt_to_mm, text_block, text_em
from townplans.render.ooxml import TocLine, set_fonts
from townplans.render.style import FontRole, Style, _family
from townplans.render.tokens import xml_text
from townplans.render.words import Lexicon
from townplans.reproducible import source_stamp
from townplans.values import date_or_none

PAGE_MM = (297.0, 210.0)
MARGIN_MM = 15.0
TEXT_MM = (PAGE_MM[0] - 2 * MARGIN_MM, PAGE_MM[1] - 2 * MARGIN_MM)
"""The landscape text block (267 × 180 mm): every slot is cut from it."""
GUTTER_MM = 5.0
"""Between the columns of a grid."""
ROW_GAP_MM = 4.0
HEADING_MM = 12.0
"""A group's heading (14 pt) with the space above it: one per page is reserved."""
CAPTION_MM = 6.0
"""One caption line (9 pt) and the space above it, under every slot."""
SLACK_MM = 8.0
"""Kept free on a page so that captions wrapping to a second line never push a row over."""
CAPTION_PT = 9.0
CAPTION_LINE_PT = CAPTION_PT * 1.25
"""A caption line's height in both writers (CSS line-height 1.25, Word's exact line spacing)."""
CAPTION_GAP_MM = 1.5
"""Between a picture and its caption."""
HEADING_PT = 14.0
HEADING_LINE_PT = HEADING_PT * 1.2
"""A group heading's line (CSS line-height 1.2, Word's exact spacing), below HEADING_MM - 6 mm."""
PICTURE_LINE_MM = 1.5
"""What Word and LibreOffice add to a picture's line below the picture (the paragraph mark's
descent): counted in the Word grid's budget."""
FOOTER_DISTANCE_MM = 6.0
"""The Word footer's distance from the page's edge: its page number (11 pt) stays inside the
15 mm margin, so the body keeps the whole text block as the PDF's does."""
PHOTO_SLOT = Slot((TEXT_MM[0] - GUTTER_MM) / 2, TEXT_MM[1] - HEADING_MM - SLACK_MM - CAPTION_MM)
"""The largest slot a grid gives (two columns, one row a page): photos are prepared for it."""
STAGE_LABELS = {"before": "施工前", "progress": "施工中", "after": "建成后"}


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
    aspect: float = 4 / 3
    """Width over height."""


@dataclass
class AlbumProject:
    name: str
    anchor: str
    facts: list[tuple[str, str]]
    """The facts table beside the drawings when they share the project's first page."""
    images: list[AlbumImage] = field(default_factory=list)
    pairs: list[tuple[AlbumPhoto | None, AlbumPhoto | None]] = field(default_factory=list)
    progress: list[AlbumPhoto] = field(default_factory=list)
    after_required: bool = True
    """Whether the checker asks for after-photos (the project is complete): only then does a
    before-photo without its partner get a 【缺：建成后照片】 slot beside it."""
    details: list[tuple[str, str]] = field(default_factory=list)
    """The facts of its information page (``DETAILS``, every label for every project): who
    builds it, its dates and the investment completed too."""

    @property
    def info_facts(self) -> list[tuple[str, str]]:
        """What its information page shows: the ``details``, or the ``facts`` when there are
        none (a project made without them still shows its facts, never an empty table)."""
        return self.details or self.facts


@dataclass
class Album:
    title: str
    subtitle: str
    projects: list[AlbumProject]
    prepared: int = 0
    """Photos decoded and resized in this build (0 when every photo came from the cache)."""
    cached: int = 0
    district: str = ""
    town: str = ""
    date: dt.date | None = None
    """The album's date on the cover: the latest photo's (``album_date``)."""
    lexicon: Lexicon | None = None
    """The words the information page's facts keep whole where a value wraps (the workspace's
    terms and the projects' names, as a document's table cells keep them)."""
    cover: AlbumPhoto | None = None
    """The key photo on the cover."""


# -- page grids ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grid:
    """Columns, rows a page and the slot each picture is fitted into."""

    columns: int
    rows: int
    slot: Slot


def slot_for(columns: int, rows: int) -> Slot:
    """The slot of a grid of ``columns`` and ``rows`` a page, cut from the text block less a
    heading, the captions, the gaps and the slack."""
    width = (TEXT_MM[0] - (columns - 1) * GUTTER_MM) / columns
    height = (
        TEXT_MM[1] - HEADING_MM - SLACK_MM - rows * CAPTION_MM - (rows - 1) * ROW_GAP_MM
    ) / rows
    return Slot(width, height)


def fitted(aspect: float, slot: Slot) -> tuple[float, float]:
    """Width and height (mm) of a picture of ``aspect`` (width / height) filling ``slot``."""
    width = min(slot.width_mm, slot.height_mm * aspect)
    return width, width / aspect


def grid(aspects: Sequence[float], columns: Sequence[int] = (2,)) -> Grid:
    """The grid that prints ``aspects`` largest for the pages they take: of the column counts
    allowed and one or two rows a page, the one whose pictures cover most of the text blocks of
    their pages (fewer pages on a tie)."""
    best: tuple[float, int, Grid] | None = None
    for count in columns:
        for rows in (1, 2):
            slot = slot_for(count, rows)
            pages = max(1, math.ceil(math.ceil(len(aspects) / count) / rows))
            area = sum(math.prod(fitted(a, slot)) for a in aspects)
            score = (area / (pages * TEXT_MM[0] * TEXT_MM[1]), -pages, Grid(count, rows, slot))
            if best is None or score[:2] > best[:2]:
                best = score
    assert best is not None
    return best[2]


def _aspect(photo: AlbumPhoto | None) -> float:
    prepared = photo.prepared if photo is not None else None
    if prepared is None or not prepared.width or not prepared.height:
        return 4 / 3
    return prepared.width / prepared.height


# -- the model ---------------------------------------------------------------------------------------------


def album_model(
    town: Town,
    profile: Profile,
    root: Path,
    cache: Cache,
    district_name: str,
    year: str,
    lexicon: Lexicon | None = None,
) -> Album:
    projects = _in_plan_order(town)
    album = Album(f"{town.name}小城镇建设观摩图册", f"{district_name} {year}", [])
    album.lexicon = lexicon
    album.district, album.town = district_name, town.name
    keys: list[AlbumPhoto] = []
    for index, project in enumerate(projects, 1):
        entry = _project(project, profile, root, cache, f"p{index}", album)
        album.projects.append(entry)
        keys += [_photo(p, root, cache, album) for p in project.photos if p.caption.get("cover")]
    album.date = album_date(album)
    album.cover = next(iter(keys), None) or _key_photo(album.projects)
    return album


def _key_photo(projects: Sequence[AlbumProject]) -> AlbumPhoto | None:
    """The first project's latest after-photo, else its latest progress photo, else the next
    project's; a before-photo only when nothing else exists."""
    for stage in ("after", "progress", "before"):
        for project in projects:
            photos = [
                p
                for p in (*(p for pair in project.pairs for p in pair if p), *project.progress)
                if p.stage == stage and p.prepared.path is not None
            ]
            if photos:
                return max(photos, key=lambda p: (p.date or dt.date.min, p.source))
    return None


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
    entry.details = _details(project, profile, entry.facts)
    doctype = profile.documents.get("project_brief")
    shown = {
        link.resolved: link.text
        for link in (project.brief.links if project.brief is not None else ())
        if link.is_image and link.resolved and link.text
    }
    for key, assets in (("drawings", project.drawings), ("boards", project.boards)):
        spec = doctype.attachments.get(key) if doctype is not None else None
        label = spec.label if spec is not None else {"drawings": "项目图纸", "boards": "展板"}[key]
        usable = [a for a in assets if a.image and not a.image.error]
        for number, asset in enumerate(usable, 1):
            title = shown.get(asset.path) or (label if len(usable) == 1 else f"{label}（{number}）")
            info = asset.image
            aspect = info.width / info.height if info and info.width and info.height else 4 / 3
            entry.images.append(AlbumImage(asset.path, title, aspect))
    after_spec = doctype.attachments.get("after") if doctype is not None else None
    entry.after_required = bool(
        after_spec is None
        or after_spec.when is None
        or (
            project.brief is not None
            and doctype is not None
            and condition_holds(project.brief.meta, doctype, after_spec.when)
        )
    )
    photos = [_photo(p, root, cache, album) for p in project.photos]
    entry.pairs = _pairs(project, photos)
    entry.progress = sorted(
        (p for p in photos if p.stage == "progress"),
        key=lambda p: (p.date or dt.date.max, p.source),
    )
    return entry


def _facts(project: Project, profile: Profile) -> list[tuple[str, str]]:
    doctype = profile.documents.get("project_brief")
    if project.brief is None or doctype is None:
        return [("项目简介", documents.missing("项目简介"))]
    meta, fields = project.brief.meta, doctype.fields
    funding = documents._funding(meta, fields.get("funding"))
    funding_text = "；".join(  # “上级补助400万元”, as the 汇编 and the rules write it
        f"{s}{documents.number_text(a) if not isinstance(a, str) else a}万元" for s, a in funding
    )
    shown = [
        ("项目类别", "category"), ("所属功能区", "zone"), ("建设地点", "location"), ("建设规模及内容", "scale"),
        ("投资规模", "investment"), ("完成时限", "deadline"), ("形象进度", "progress"),
        ("形象进度百分比", "progress_percent"), ("责任领导", "leader"), ("责任单位", "unit"),
    ]  # fmt: skip
    facts = [(label, documents._value(meta, fields.get(key))) for label, key in shown]
    facts.insert(5, ("资金来源", funding_text or documents.missing("资金来源")))
    return facts


DETAILS = (
    ("项目类别", None), ("所属功能区", None), ("建设单位", "owner"), ("建设地点", None),
    ("建设规模及内容", None), ("投资规模", None), ("累计完成投资", "cumulative_investment"),
    ("资金来源", None), ("开工日期", "start"), ("完成时限", None), ("形象进度", None),
    ("形象进度百分比", None), ("进度截至日期", "progress_date"), ("责任领导", None),
    ("责任单位", None),
)  # fmt: skip
"""The information page's facts in a reader's order (what, where, who, how much, when, how far,
who answers for it): a label with no field key is one of ``_facts``. Every project's page shows
every label (an optional one left empty reads “—”), so the pages of an album read alike."""


def _details(
    project: Project, profile: Profile, facts: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    doctype = profile.documents.get("project_brief")
    if project.brief is None or doctype is None:  # no brief: every fact is missing
        return [(label, documents.missing(label)) for label, _ in DETAILS]
    known, meta = dict(facts), project.brief.meta
    found = []
    for label, key in DETAILS:
        value = known.get(label) if key is None else documents._value(meta, doctype.fields.get(key))
        found.append((label, value or "—"))
    return found


def _photo(photo: Photo, root: Path, cache: Cache, album: Album) -> AlbumPhoto:
    prepared = prepare(root / photo.asset.path, PHOTO_SLOT, cache)
    if prepared.cached:
        album.cached += 1
    elif prepared.path is not None:
        album.prepared += 1
    caption = photo.caption
    stage = photo.stage  # photos.yaml's stage, when given, was applied by the loader
    info = photo.asset.image
    date = date_or_none(caption.get("date")) or (info.taken.date() if info and info.taken else None)
    place = str(caption.get("place") or "") or _coordinates(info.gps if info else None)
    return AlbumPhoto(
        photo.asset.path, stage, date, place, str(caption.get("caption") or ""), prepared
    )


def _coordinates(gps: tuple[float, float] | None) -> str:
    if gps is None:
        return ""
    latitude, longitude = gps
    return f"{'北纬' if latitude >= 0 else '南纬'}{abs(latitude):.4f}° {'东经' if longitude >= 0 else '西经'}{abs(longitude):.4f}°"


def _pairs(
    project: Project, photos: Sequence[AlbumPhoto]
) -> list[tuple[AlbumPhoto | None, AlbumPhoto | None]]:
    """The project's before/after pairs as photopairs decides them (the checker warns about the
    same pairs), with the prepared photos."""
    prepared = {photo.source: photo for photo in photos}

    def of(photo: Photo | None) -> AlbumPhoto | None:
        return prepared.get(photo.asset.path) if photo is not None else None

    return [(of(pair.before), of(pair.after)) for pair in pair_photos(project.photos)]


def _html(text: str) -> str:
    """Text for the album page: escaped, without the characters XML forbids (a file name or a
    photos.yaml caption may hold a control character; Pango cannot encode a lone surrogate)."""
    return escape(xml_text(text))


def _workspace_url(root: Path, path: Path | str) -> str:
    absolute = Path(path) if Path(path).is_absolute() else root / path
    return resource_url(WORKSPACE, absolute.resolve().relative_to(root.resolve()).as_posix())


@dataclass(frozen=True, slots=True)
class Cell:
    """One slot of a grid, for either writer: a picture (``path``), a 【缺：…】 or unusable-photo
    note (``note``), or nothing (an after-photo the checker does not ask for yet)."""

    path: Path | None
    caption: str
    aspect: float = 4 / 3
    note: str = ""


def _photo_cell(root: Path, photo: AlbumPhoto | None, missing_label: str | None) -> Cell:
    """A photo's slot; for no photo a 【缺：…】 slot when ``missing_label`` (the checker asks for
    it), else an empty one."""
    if photo is None:
        return Cell(None, "", note=f"【缺：{missing_label}】" if missing_label else "")
    if photo.prepared.path is None:
        note = f"【照片无法使用：{photo.source}，{photo.prepared.error or ''}】"
        return Cell(None, photo.caption, note=note)
    path = photo.prepared.path
    return Cell(path if path.is_absolute() else root / path, photo.caption, _aspect(photo))


def groups(project: AlbumProject, root: Path) -> list[tuple[str, list[Cell], Grid]]:
    """A project's pictures as both writers print them: each group's heading, its slots in
    order and the grid they fill."""
    found: list[tuple[str, list[Cell], Grid]] = []
    if project.images:
        cells = [Cell(root / i.source, i.title, i.aspect) for i in project.images]
        found.append(("规划图纸与展板", cells, grid([c.aspect for c in cells])))
    if project.pairs and not project.after_required and all(a is None for _, a in project.pairs):
        # no after-photo yet, none asked for: the before-photos alone, as large as they go
        cells = [_photo_cell(root, b, "施工前照片") for b, _ in project.pairs]
        found.append(("施工前现状", cells, grid([c.aspect for c in cells], (2, 3))))
    elif project.pairs:
        after = "建成后照片" if project.after_required else None
        cells = []
        for before, later in project.pairs:
            cells += [_photo_cell(root, before, "施工前照片"), _photo_cell(root, later, after)]
        found.append(("建设前后对比", cells, grid([c.aspect for c in cells])))
    if project.progress:
        cells = [_photo_cell(root, p, None) for p in project.progress]
        found.append(("建设进度", cells, grid([c.aspect for c in cells], (2, 3))))
    return found


TOC_LINE_EM = 1.58
"""The contents' line pitch, in ems of the toc role: what Word's TOC 1 lines take (25.3 pt at
16 pt in LibreOffice's PDF of the DOCX), so both writers' contents pages look alike."""

INFO_PT = 14.0
"""The information page's type (4号): read at arm's length on an inspection tour. Every project
has its information page, laid out to fill the page (``info_rows``), in this one size."""
INFO_LINE_MM = INFO_PT * 1.5 * 25.4 / 72
INFO_LABEL_MM = 46.0
"""The label column of the information page's table."""
INFO_PAD_MM = 4.0
"""The left and right padding of the information page's cells, in both writers."""
INFO_HEADING_MM = 24.0
"""The project's name (22 pt) over its red rule, and the space under it."""
INFO_ROW_MM = 22.0
"""The tallest a row of the information page's table is made (a short table does not stretch)."""


def info_rows(facts: Sequence[tuple[str, str]]) -> list[tuple[list[tuple[str, str]], float]]:
    """The information page's table: ``fact_rows`` each with its height (mm), the rows sharing
    the text block under the heading (less the slack) and each at least as tall as its longest
    value's lines at 14 pt."""
    rows = fact_rows(facts)
    room = TEXT_MM[1] - INFO_HEADING_MM - SLACK_MM
    char = INFO_PT * 25.4 / 72
    needs = []
    for row in rows:
        cell = info_value_mm(len(row) == 1)
        lines = max(math.ceil(len(value) * char / cell) or 1 for _, value in row)
        needs.append(lines * INFO_LINE_MM + 4)
    even = min(INFO_ROW_MM, max(0.0, room - sum(needs)) / max(len(rows), 1) + min(needs, default=0))
    return [(row, max(need, even)) for row, need in zip(rows, needs, strict=True)]


def info_value_mm(alone: bool) -> float:
    """The width of a value's text on the information page: half the table (a fact ``alone`` on
    its row, all of it) less the label column and the cell's padding."""
    return (TEXT_MM[0] if alone else TEXT_MM[0] / 2) - INFO_LABEL_MM - 2 * INFO_PAD_MM


def info_words(value: str, alone: bool, lexicon: Lexicon | None) -> tuple[Lexicon | None, float]:
    """The lexicon a value of the information page is broken by (None when it fits its one
    line: a word is kept whole only where the text wraps, as in a document's cells) and its
    line's room in ems."""
    room = info_value_mm(alone) / pt_to_mm(INFO_PT)
    return (lexicon if natural_em(value) > room else None), room


def _slot_html(root: Path, cell: Cell, slot: Slot) -> str:
    width, height = fitted(cell.aspect, slot)
    caption = f"<figcaption>{_html(cell.caption)}</figcaption>" if cell.caption else ""
    box = f"width:{slot.width_mm:.1f}mm"
    if cell.path is not None:
        size = f"width:{width:.1f}mm;height:{height:.1f}mm"
        url = _workspace_url(root, cell.path)
        return f'<figure class="slot" style="{box}"><img src="{url}" alt="" style="{size}">{caption}</figure>'
    if not cell.note:
        return f'<figure class="slot" style="{box}"></figure>'
    size = f"width:{width:.1f}mm;height:{height:.1f}mm"
    return (
        f'<figure class="slot empty" style="{box}"><div class="placeholder" style="{size}">'
        f"{_html(cell.note)}</div>{caption}</figure>"
    )


def album_html(album: Album, style: Style, root: Path, faces: str = "") -> str:
    """The album's print HTML; ``faces``: the ``@font-face`` rules of the workspace's fonts
    (``html.font_faces``), so that its PDF is set in the faces its DOCX names (仿宋, 黑体 …),
    as every document's is, not in the system's fallback for them."""
    fonts = style.fonts
    css = (
        faces
        + f"""
@page {{ size: {PAGE_MM[0]}mm {PAGE_MM[1]}mm; margin: {MARGIN_MM}mm;
  @bottom-center {{ content: "— " counter(page) " —"; font-family: {_family(fonts["page_number"])}; font-size: 11pt; }} }}
@page :first {{ @bottom-center {{ content: none; }} }}
html {{ font-family: {_family(fonts["body"])}; font-size: 12pt; }}
body {{ margin: 0; }}
h1 {{ font-family: {_family(fonts["heading1"])}; font-size: 18pt; margin: 0 0 3mm; }}
.cover {{ text-align: center; page-break-after: always; }}
.cover .title {{ font-family: {_family(fonts["title"])}; font-size: 30pt; margin: 4mm 0 6mm; }}
.cover img {{ display: block; margin: 0 auto; }}
.cover .sub {{ margin-top: 6mm; font-size: 16pt; line-height: 1.6; }}
.contents {{ page-break-after: always; }} .contents a {{ color: inherit; text-decoration: none; }}
.contents h1 {{ text-align: center; }} .contents ol {{ list-style: none; margin: 0; padding: 0; }}
.contents li {{ font-family: {_family(fonts["toc"])}; font-size: {fonts["toc"].size:g}pt; line-height: {TOC_LINE_EM:g}; }}
.contents a::after {{ content: leader(".") target-counter(attr(href), page); }}
section.project {{ page-break-before: always; }}
table.facts {{ border-collapse: collapse; width: 100%; }}
.nobr {{ white-space: nowrap; }}
table.facts th, table.facts td {{ border: 0.5pt solid #333; padding: 1mm 2mm; text-align: left; vertical-align: top; }}
table.facts th {{ width: 26mm; background: #f2f2f2; font-weight: normal; font-family: {_family(fonts["heading1"])}; }}
h1.info {{ font-size: 22pt; margin: 0 0 6mm; padding-bottom: 2mm; border-bottom: 1.5pt solid #c00; }}
table.facts.info {{ font-size: {INFO_PT:g}pt; line-height: 1.5; page-break-after: always; table-layout: fixed; }}
table.facts.info th {{ width: {INFO_LABEL_MM:g}mm; }}
table.facts.info th, table.facts.info td {{ padding: 0 {INFO_PAD_MM:g}mm; vertical-align: middle; }}
.row {{ display: flex; justify-content: space-between; align-items: flex-end; page-break-inside: avoid; margin-top: {ROW_GAP_MM}mm; }}
.slot {{ margin: 0; text-align: center; }}
.slot img {{ display: block; margin: 0 auto; }}
.placeholder {{ box-sizing: border-box; margin: 0 auto; border: 0.8pt dashed #c00; color: #c00; display: flex; align-items: center; justify-content: center; }}
figcaption {{ font-size: {CAPTION_PT:g}pt; line-height: {CAPTION_LINE_PT:g}pt; margin-top: {CAPTION_GAP_MM:g}mm; }}
h2 {{ font-family: {_family(fonts["heading2"])}; font-size: {HEADING_PT:g}pt; line-height: {HEADING_LINE_PT:g}pt; margin: {HEADING_MM - 6:.0f}mm 0 0; page-break-after: avoid; }}
"""
    )
    parts = [
        _cover_html(album, root),
        '<nav class="contents"><h1>目　录</h1><ol>'
        + "".join(f'<li><a href="#{p.anchor}">{_html(p.name)}</a></li>' for p in album.projects)
        + "</ol></nav>",
    ]
    for project in album.projects:
        parts.append(_project_html(project, root, album.lexicon))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_html(album.title)}</title>{_metadata(album)}<style>{css}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def _metadata(album: Album) -> str:
    """The PDF's properties: the town as author (as the DOCX's), what the album is, and the
    latest photo's date (``source_stamp``: SOURCE_DATE_EPOCH first)."""
    author = xml_text(album.town or album.district)
    return html_metadata(author, xml_text(_subject(album)), source_stamp(album_date(album)))


def _subject(album: Album) -> str:
    return f"{album.town or album.district} · 观摩图册（项目概况、建设进程、前后对比）"


COVER_PHOTO = Slot(200.0, 100.0)
"""The key photo on the cover, under the title and above the district, town and date."""


def cover_lines(album: Album) -> list[str]:
    """The cover's lines under the key photo: district and town, and the date (month)."""
    where = "　".join(x for x in (album.district, album.town) if x) or album.subtitle
    when = f"{album.date.year}年{album.date.month}月" if album.date else ""
    return [line for line in (where, when) if line]


def _cover_html(album: Album, root: Path) -> str:
    photo = ""
    if album.cover is not None and album.cover.prepared.path is not None:
        width, height = fitted(_aspect(album.cover), COVER_PHOTO)
        url = _workspace_url(root, album.cover.prepared.path)
        photo = f'<img src="{url}" alt="" style="width:{width:.1f}mm;height:{height:.1f}mm">'
    lines = "<br>".join(_html(line) for line in cover_lines(album))
    return (
        f'<div class="cover"><div class="title">{_html(album.title)}</div>{photo}'
        f'<div class="sub">{lines}</div></div>'
    )


WIDE_FACTS = ("建设规模及内容", "资金来源")
"""Facts that take a row of their own in the facts table (long text); the others go two a row."""


def fact_rows(facts: Sequence[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The facts table's rows: a long fact alone, the others two a row, in their order."""
    rows: list[list[tuple[str, str]]] = []
    pending: list[tuple[str, str]] = []
    for fact in facts:
        if fact[0] in WIDE_FACTS:
            rows.append([fact])
            continue
        pending.append(fact)
        if len(pending) == 2:
            rows.append(pending)
            pending = []
    return rows + ([pending] if pending else [])


def _facts_row(
    row: Sequence[tuple[str, str]], lexicon: Lexicon | None = None, height: str = ""
) -> str:
    span = ' colspan="3"' if len(row) == 1 else ""
    # A fact's numbers, dates, codes and words each on one line, as a document's cells have
    # them (“健身器材36件” broke before its 件, review29; “WC-06地” / “块）”, review30).
    cells = "".join(
        f"<th>{_html(k)}</th><td{span}>{kept_html(xml_text(v), *info_words(v, bool(span), lexicon))}</td>"
        for k, v in row
    )
    return f"<tr{height}>{cells}</tr>"


def _project_html(project: AlbumProject, root: Path, lexicon: Lexicon | None = None) -> str:
    rows = "".join(
        _facts_row(row, lexicon, f' style="height:{height:.1f}mm"')
        for row, height in info_rows(project.info_facts)
    )
    head = f'<h1 class="info" id="{project.anchor}">{_html(project.name)}</h1>'
    value = TEXT_MM[0] / 2 - INFO_LABEL_MM
    columns = f'<col style="width:{INFO_LABEL_MM:g}mm"><col style="width:{value:.1f}mm">' * 2
    table = f'<table class="facts info"><colgroup>{columns}</colgroup>{rows}</table>'
    html = [f'<section class="project">{head}{table}']
    for heading, cells, layout in groups(project, root):
        html.append(f"<h2>{_html(heading)}</h2>")
        slots = [_slot_html(root, cell, layout.slot) for cell in cells]
        # A short last row keeps the places of a full one (empty slots after its pictures), as
        # the DOCX's table has them: spread on their own, two of three went to the row's ends.
        empty = _slot_html(root, Cell(None, "", 1.0), layout.slot)
        slots += [empty] * (-len(slots) % layout.columns)
        html += [
            f'<div class="row">{"".join(slots[i : i + layout.columns])}</div>'
            for i in range(0, len(slots), layout.columns)
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
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    _album_styles(document, style)
    ooxml.keep_numbers_with_units(document.settings.element)
    _page_numbers(document, style)
    # Every text goes through xml_text: python-docx refuses a control character with a ValueError,
    # and file names and photos.yaml captions may hold one.
    _cover_docx(document, album)
    heading = document.add_paragraph()  # not a heading: the contents do not list themselves
    heading.paragraph_format.page_break_before = True
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(heading.add_run("目　录"), style.fonts["heading1"])
    heading.runs[0].font.size = Pt(18)
    ooxml.add_toc(
        lambda name: document.add_paragraph(style=name), contents, 1, style.fonts["toc"],
        "（在 Word 中右键“更新域”生成目录页码）",
    )  # fmt: skip
    for number, project in enumerate(album.projects, 1):
        heading = document.add_paragraph(xml_text(project.name), style="Heading 1")
        heading.paragraph_format.page_break_before = True
        ooxml.add_bookmark(heading, ooxml.bookmark_name(project.anchor), number)
        _info_docx(document, heading, project.info_facts, style, album.lexicon)
        for index, (title, cells, layout) in enumerate(groups(project, root)):
            group = document.add_paragraph(title, style="Heading 2")
            group.paragraph_format.keep_with_next = True
            group.paragraph_format.page_break_before = index == 0  # after the information page
            _grid(document, cells, word_grid(layout, cells, section))
    date = album_date(album)
    when = stamp or dt.datetime.combine(date or dt.date(2000, 1, 1), dt.time())
    subject = xml_text(_subject(album))
    ooxml.set_properties(document, xml_text(album.title), xml_text(author), when, subject)
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
    fmt = paragraph.paragraph_format  # one 11 pt line, inside the margin (FOOTER_DISTANCE_MM)
    fmt.space_after, fmt.line_spacing = Pt(0), 1.0
    set_fonts(paragraph.add_run("— "), role)
    ooxml.add_field(paragraph, "PAGE", role)
    set_fonts(paragraph.add_run(" —"), role)
    for run in paragraph.runs:
        run.font.size = Pt(11)


def _cover_docx(document: DocumentObject, album: Album) -> None:
    """Title, key photo, district and town, date: the cover as the PDF has it."""
    title = document.add_paragraph(xml_text(album.title), style="Title")
    title.paragraph_format.space_before = Pt(12)
    title.paragraph_format.space_after = Pt(12)
    if album.cover is not None and album.cover.prepared.path is not None:
        width, height = fitted(_aspect(album.cover), COVER_PHOTO)
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        ooxml.add_picture(picture.add_run(), str(album.cover.prepared.path), Mm(width), Mm(height))
    for line in cover_lines(album):
        paragraph = document.add_paragraph(xml_text(line))
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(6)
        for run in paragraph.runs:
            run.font.size = Pt(16)


def caption_lines(caption: str, width_mm: float) -> int:
    """Lines a caption takes in a cell ``width_mm`` wide (less Word's cell margins)."""
    if not caption:
        return 0
    room = width_mm - 2 * WORD_CELL_MARGIN_MM
    return max(1, math.ceil(text_em(caption) * pt_to_mm(CAPTION_PT) / room))


WORD_CELL_MARGIN_MM = 1.9
"""Word's default left and right cell margin (108 twips), which the grid tables keep."""


def word_grid(grid_: Grid, cells: Sequence[Cell], section: Section) -> Grid:
    """``grid_`` with its slot no taller than the page of ``section`` holds: the text block
    (from the section's page size and margins) less the group's heading and, for each row, the
    gap above it, the picture line's descent and its tallest caption, divided among the rows a
    page holds. Rows cannot split, so a row taller than its share would push the grid over."""
    _, height_emu = text_block(section)
    usable = height_emu / 36000 - HEADING_MM
    rows = [cells[start : start + grid_.columns] for start in range(0, len(cells), grid_.columns)]
    captions = max(
        (max(caption_lines(c.caption, grid_.slot.width_mm) for c in row) for row in rows),
        default=1,
    )
    per_row = ROW_GAP_MM + PICTURE_LINE_MM + CAPTION_GAP_MM
    per_row += captions * pt_to_mm(CAPTION_LINE_PT)
    fits = usable / min(grid_.rows, len(rows) or 1) - per_row
    if fits >= grid_.slot.height_mm:
        return grid_
    return Grid(grid_.columns, grid_.rows, Slot(grid_.slot.width_mm, fits))


def _info_docx(
    document: DocumentObject,
    heading: Paragraph,
    facts: Sequence[tuple[str, str]],
    style: Style,
    lexicon: Lexicon | None = None,
) -> None:
    """The information page as the PDF has it: the name in 22 pt over a red rule, the facts in
    4号 in rows sized to fill the page (``info_rows``), labels in 黑体 on grey."""
    for run in heading.runs:
        run.font.size = Pt(22)
    ooxml.border(heading, "bottom", 12, color="C00000")
    heading.paragraph_format.space_before = Pt(0)  # the page's top, as the PDF has it
    heading.paragraph_format.space_after = Pt(17)
    rows = info_rows(facts)
    if not rows:  # Word will not open a table without rows
        return
    label, value = Mm(INFO_LABEL_MM), Mm(TEXT_MM[0] / 2 - INFO_LABEL_MM)
    table = document.add_table(rows=len(rows), cols=4)
    table.style = document.styles["Table Grid"]
    # The grid as the cells' widths: LibreOffice lays a table out by its w:gridCol, which
    # python-docx makes equal (four 189 pt columns split “管理有限公 / 司”, review30).
    ooxml.set_grid(table._tbl, [int(width) for width in (label, value, label, value)])
    # Centred on the text block as the PDF's: LibreOffice set the table's text, not its rule,
    # at the margin (the rule 5.6 pt outside it, review30).
    table.alignment, table.autofit = WD_TABLE_ALIGNMENT.CENTER, False
    ooxml.set_cell_margins(table._tbl, INFO_PAD_MM * 72 / 25.4)
    for row, (items, height) in zip(table.rows, rows, strict=True):
        # a little under the PDF's: Word's and LibreOffice's lines of the same size run taller,
        # and a row only grows (at least), so the table stays on its page in both
        row.height, row.height_rule = Mm(height * DOCX_ROW_SHARE), WD_ROW_HEIGHT_RULE.AT_LEAST
        ooxml.cant_split(row._tr)
        cells = row.cells
        if len(items) == 1:
            cells[1].merge(cells[3])
        for index, (key, text) in enumerate(items):
            _info_cell(cells[2 * index], key, style.fonts["heading1"], shaded=True)
            _info_cell(cells[2 * index + 1], text, None, shaded=False)
            words, room = info_words(text, len(items) == 1, lexicon)
            if words is not None:
                ooxml.break_between_words(cells[2 * index + 1]._tc, room, words)
        for cell, width in zip(cells, (label, value, label, value), strict=True):
            cell.width = width


DOCX_ROW_SHARE = 0.85
"""The share of the PDF's row height a row of the DOCX information page is given (at least)."""


def _info_cell(cell: _Cell, text: str, role: FontRole | None, *, shaded: bool) -> None:
    if shaded:  # w:shd goes before w:vAlign in a cell's properties
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), "F2F2F2")
        cell._tc.get_or_add_tcPr().append(shading)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    # A fact's numbers, dates and codes written whole, as a document's table cells have them.
    pieces = kept_together(xml_text(text)) if role is None else [(xml_text(text), False)]
    for piece, kept in pieces:
        run = paragraph.add_run("" if kept else piece)
        if kept:
            ooxml.add_unbroken_text(run._r, piece)
        if role is not None:
            set_fonts(run, role)
        run.font.size = Pt(INFO_PT)
    fmt = paragraph.paragraph_format
    fmt.line_spacing, fmt.space_before, fmt.space_after = 1.25, Pt(0), Pt(0)


def _grid(document: DocumentObject, cells: Sequence[Cell], grid_: Grid) -> None:
    """The cells on ``grid_``: a table of its columns, each picture fitted to the slot, rows never
    split across pages, every line's height set (the gap above a row, the picture's line, the
    caption's exact lines) as the PDF sets them, so that ``word_grid``'s budget holds."""
    table = document.add_table(rows=math.ceil(len(cells) / grid_.columns), cols=grid_.columns)
    table.alignment, table.autofit = WD_TABLE_ALIGNMENT.CENTER, False
    # The text block in python-docx's equal columns, without cell margins, each slot at its
    # column's left, centre or right as the PDF spreads a row's slots (the first and last
    # flush with the text block, the gaps equal).
    text_width, _ = text_block(document.sections[-1])
    column = int(text_width) // grid_.columns
    ooxml.set_cell_margins(table._tbl, 0)
    # in whole twips, as Word stores indents, and rounded so that a picture as wide as the slot
    # still fits between them
    slack = max(column - math.ceil(Mm(grid_.slot.width_mm) / 635) * 635, 0) // 635 * 635
    for row in table.rows:
        ooxml.cant_split(row._tr)
    for index, cell in enumerate(cells):
        place = table.cell(index // grid_.columns, index % grid_.columns)
        # a row's slots stand on one line, as the PDF's row aligns its figures' feet: a drawing
        # and a board of different heights have their captions level (review30: 18.5 pt apart)
        place.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        position = index % grid_.columns
        left = slack * position // max(grid_.columns - 1, 1) if grid_.columns > 1 else slack // 2
        left = left // 635 * 635
        paragraph = place.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = paragraph.paragraph_format
        fmt.left_indent, fmt.right_indent = Emu(left), Emu(slack - left)
        fmt.keep_with_next = True
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.space_before, fmt.space_after = Mm(ROW_GAP_MM), Pt(0)
        width, height = fitted(cell.aspect, grid_.slot)
        if cell.path is not None:
            ooxml.add_picture(paragraph.add_run(), str(cell.path), Mm(width), Mm(height))
        elif cell.note:
            run = paragraph.add_run(xml_text(cell.note))
            run.font.color.rgb = RGBColor(0xC0, 0, 0)
        if cell.caption:
            caption = place.add_paragraph(xml_text(cell.caption))
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            lines = caption.paragraph_format
            lines.left_indent, lines.right_indent = Emu(left), Emu(slack - left)
            lines.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            lines.line_spacing = Pt(CAPTION_LINE_PT)
            lines.space_before, lines.space_after = Mm(CAPTION_GAP_MM), Pt(0)
            for run in caption.runs:
                run.font.size = Pt(CAPTION_PT)


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
    group = document.styles["Heading 2"].paragraph_format  # as the PDF's h2: HEADING_MM in all
    group.space_before, group.space_after = Mm(HEADING_MM - 6), Pt(0)
    group.line_spacing_rule, group.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(HEADING_LINE_PT)
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
