"""markdown-it tokens -> a python-docx Document styled from ``Style`` (GB/T 9704 defaults).

The writer walks the token stream once. Every block and inline construct has a mapping; a token
type without one is recorded in ``problems`` with its place in the sources (never dropped
silently). East Asian fonts are set by their official names (``w:eastAsia``) and Latin fonts
separately, so Word and WPS pick the right font for every character; no style or run keeps a
theme font (in Word the theme would win). Images are read only from inside the workspace. Raw HTML
tables (the safe subset in ``townplans.rawhtml``) become real Word tables with merged cells; any
other raw HTML is written as the literal text it is. Tables are written in one pass, whatever their
size (``ooxml``).

The table of contents is a real TOC field whose entries and page numbers are written at build time
from the PDF's layout (``add_toc``); every heading carries the bookmark its entry links to. Lists
are Word numbering (``numbering.xml``), each Markdown list restarting at its own start. A plan text
(``plan``) gives its headings the 章 / 节 / 条 looks of style.yaml at their rank (Heading 1–3).
The 22-line grid holds the body text only: tables, captions, figures, the cover, the TOC and page
numbers keep their own line heights. Before the document is written, its page and section breaks
are tidied so that none gives a blank page (``ooxml.tidy_breaks``).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section, _Footer
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from markdown_it.token import Token
from PIL import Image, UnidentifiedImageError

from townplans import mdparser
from townplans.rawhtml import Cell, Grid, Slot, is_break, is_table
from townplans.render import figures, htmltable, ooxml
from townplans.render.gongwen import MM, Geometry
from townplans.render.layout import (
    CELL_BORDER_PT,
    CELL_EXTRA_PT,
    CELL_LINE,
    CELL_PADDING_PT,
    CELL_PADDING_Y_PT,
    CELL_SLACK_PT,
    EMPTY_CELL,
    TABLE_GAP_PT,
    UNGAPPED_CONTAINERS,
    UNKNOWN,
    Origin,
    TableFamilies,
    TablePlan,
    break_opportunities,
    caption_text,
    column_needs,
    gfm_table_texts,
    heading_names_its_table,
    heading_title,
    kept_together,
    kept_with_previous,
    local_file,
    missing_image,
    mm_to_pt,
    plan_in_family,
    plan_table,
    softbreak,
    table_after_heading,
    table_label,
    table_note,
    text_block,
    text_width,
    too_wide_message,
)
from townplans.render.ooxml import TocLine, add_field, set_fonts
from townplans.render.selfcheck import OutputProblem
from townplans.render.style import FontRole, Style
from townplans.render.tokens import prepare
from townplans.render.words import Lexicon

EMU_PER_PT = 12700

__all__ = ["DocxWriter", "TocLine", "add_field", "set_fonts"]

PRINT_DPI = 150
"""Images are placed at their pixel size at this resolution, shrunk to fit the text block."""

_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


@dataclass
class _Inline:
    """Formatting state while walking an inline token's children."""

    bold: bool = False
    italic: bool = False
    strike: bool = False
    underline: bool = False
    """``++…++`` (an insertion in the 修改对照表)."""
    link: str | None = None
    hyperlink: BaseOxmlElement | None = None
    source: Token | None = None
    """The inline child being written (its runs are shown to the ``Tracker``)."""


@dataclass(frozen=True, slots=True)
class _InlineCall:
    """What stays the same while one inline token's children are written (``_inline``)."""

    paragraph: Paragraph
    children: Sequence[Token]
    base_dir: Path
    role: str | None
    bold: bool
    """The paragraph's own bold (a table's header row): ``**…**`` closing keeps it."""


InlineHandler = Callable[[_InlineCall, int, _Inline], None]
"""Writes the inline child at a position of ``_InlineCall.children``, updating the state."""

_TOGGLES = {
    "em_open": "italic", "em_close": "italic",
    "s_open": "strike", "s_close": "strike",
    "ins_open": "underline", "ins_close": "underline",
}  # fmt: skip
"""Inline markers that switch one formatting attribute of ``_Inline`` on (open) and off (close)."""


class Tracker(Protocol):
    """What a tracked-changes writer (``revision.tracked``) is told while a token stream is
    written: its revision marks are its own business, the writer only says where blocks start and
    which token each run comes from."""

    def block(self, token: Token, base_dir: Path) -> Path:
        """A top-level block starts with ``token``; returns the folder its links resolve against
        (``base_dir`` unless the block says otherwise)."""

    def run(self, run: BaseOxmlElement, source: Token) -> None:
        """``run`` was written for the inline child ``source``."""


@dataclass
class _ListLevel:
    num_id: int
    """The list's own ``w:num`` (restarting at its start number)."""
    first_paragraph: bool = True


@dataclass(frozen=True, slots=True)
class _Place:
    """One ``w:tc`` of a table row: the grid columns it spans, its vertical merge (``ooxml``), and
    what writes its first paragraph (None: an empty place, or one covered by a cell above)."""

    colspan: int = 1
    merge: str | None = None
    fill: Callable[[Paragraph], None] | None = None


def _vertical_merge(slot: Slot) -> str | None:
    if slot.continued:
        return ooxml.CONTINUE
    return ooxml.RESTART if slot.cell is not None and slot.rowspan > 1 else None


@dataclass
class DocxWriter:
    """Builds one Word document from one or more Markdown token streams."""

    style: Style
    root: Path
    gongwen: bool = False
    """A 公文 (GB/T 9704): the character grid, page numbers on every page (turned with a landscape
    附件 page) and the 版头, 署名 and 版记 in their places (``gongwen.Geometry``)."""
    bare_imprint: bool = False
    """The 版记's page carries no page number: the PDF put a blank page before it (GB/T 9704
    7.5: 空白页和版记页均不编排页码; ``gongwen.blank_before_imprint``)."""
    plan: bool = False
    """A plan text (总体规划, 控规, 修规): headings ranked and styled as 章 / 节 / 条."""
    landscape: bool = False
    """Every page landscape (the 修改对照表): the first section is turned, and a ``landscape``
    container starts no section of its own."""
    document: DocumentObject = field(init=False)
    problems: list[OutputProblem] = field(default_factory=list)
    table_captions: bool = False
    """Every table gets a number and title (表 1  标题), not only those with a “表：” line."""
    invisible: bool = True
    """Cells may hold WORD JOINERs and ZERO WIDTH SPACEs that keep a number whole or let a line
    break (``_kept_runs``); False for a text a reviewer copies and searches (the 修改对照表, the
    tracked changes), where numbers stay whole by their runs' language alone."""
    lexicon: Lexicon | None = None
    """The words no table cell breaks inside (``words``); None: cells break as Word breaks them."""
    families: TableFamilies = field(default_factory=dict)
    """The body's tables that share a head row (``layout.table_families``): planned on the
    family's rows, as the PDF plans them. Set before the body is written."""
    _lists: list[_ListLevel] = field(default_factory=list)
    _quote_depth: int = 0
    _containers: list[str] = field(default_factory=list)
    _figures: int = 0
    _pending_prefix: str = ""
    _first_in_attachment: bool = False
    _redhead_lines: int = 0
    _red_title: bool = False
    _mark_size: float = 0.0
    """The 发文机关标志's size while its runs are written (0 otherwise)."""
    _mark: str = ""
    """The 发文机关标志 as written (the title's place depends on its size)."""
    _item: int = 0
    """Paragraphs written so far in the current ``attachments`` or ``signature`` container."""
    _closing_kept: bool = False
    """Whether the body's end is kept with the 附件说明 or 署名 yet (``_keep_body_with_closing``)."""
    _printed: Paragraph | None = None
    """The 版记's 印发 line while its two parts are written (印发机关, then 印发日期)."""
    _signed: Paragraph | None = None
    """A 签发人's line in the 版头 while its parts are written (发文字号, “签发人：”, the name)."""
    _shapes: int = 0
    _dispatch: dict[str, Callable[[Sequence[Token], int, Path], int]] = field(default_factory=dict)
    _inline_dispatch: dict[str, InlineHandler] = field(default_factory=dict)
    _origin: Origin = UNKNOWN
    _line: int | None = None
    """0-based source line of the block being written, for problems."""
    _cell_formats: dict[tuple[str, float], BaseOxmlElement] = field(default_factory=dict)
    _turned_heading: bool = False
    """The table about to be written is on the landscape section its heading opened."""
    _turned_table: bool = False
    """A table on a landscape page of its own was just written: the paragraphs that follow it (a
    note under the table) stay on its page, as in the PDF, until another kind of block."""
    _cell_line_pt: float = 0.0
    """The exact line height of the cells of the table being written (``CELL_LINE`` times its
    font size), as the PDF's line-height: a row is as tall in both."""
    _run_fonts: dict[str, BaseOxmlElement] = field(default_factory=dict)
    _drawings: bool = False
    """The text being written is a plan's: each figure is a drawing on a page of its own."""
    _fresh: bool = True
    """Nothing has been written on the current page yet (a new page needs no break)."""
    _drawing_page: bool = False
    """The current page was started for a drawing (a heading may stand on it before the drawing)."""
    _drawing_heads: int = 0
    """Heading lines written on the current drawing page before the drawing."""
    _after_drawing: bool = False
    """The last block was a drawing: its page is full, what follows starts another."""
    _break_before: bool = False
    """The next heading or drawing paragraph starts a new page (``page_break_before``)."""
    _pixels: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    _headings: int = 0
    """Headings written so far: the n-th carries bookmark ``_Toc_hn``, as the PDF's anchor hn."""
    _numbering: ooxml.Numbering | None = None
    _tables: int = 0
    _heading: str = ""
    """The text of the last heading, the title of a table without a caption of its own."""
    tracker: Tracker | None = None
    """Told where each top-level block starts and which token each run comes from (tracked
    changes, ``revision.tracked``); None for every other document."""

    def __post_init__(self) -> None:
        self._dispatch = self._handlers()
        self._inline_dispatch = self._inline_handlers()
        self.document = Document()
        self._page_setup(self.document.sections[0], landscape=self.landscape)
        self._styles()
        if self.gongwen:
            self._gongwen_styles()
        self.document.settings.odd_and_even_pages_header_footer = True
        ooxml.keep_numbers_with_units(self.document.settings.element)
        self._page_numbers(self.document.sections[0])

    @property
    def geometry(self) -> Geometry:
        return Geometry(self.style)

    # -- page set-up --------------------------------------------------------------------------------

    def _page_setup(self, section: Section, landscape: bool) -> None:
        style = self.style
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        width, height = Mm(style.width_mm), Mm(style.height_mm)
        section.page_width, section.page_height = (height, width) if landscape else (width, height)
        section.top_margin = Mm(style.margin_top_mm)
        section.bottom_margin = Mm(style.margin_bottom_mm)
        section.left_margin = Mm(style.margin_left_mm)
        section.right_margin = Mm(style.margin_right_mm)
        if landscape:
            # A landscape page is the portrait page turned a quarter clockwise (GB/T 9704 8), as
            # the PDF sets every landscape page (``@page landscape``): the text block turns with
            # it (225 × 156 mm, not 243 × 138), so a table the PDF fits on one landscape page
            # fits on one in Word too. A 公文's left margin (the portrait foot) keeps room for
            # its turned page number.
            section.top_margin, section.right_margin = (
                Mm(style.margin_left_mm), Mm(style.margin_top_mm),
            )  # fmt: skip
            section.bottom_margin, section.left_margin = (
                Mm(style.margin_right_mm), Mm(style.margin_bottom_mm),
            )  # fmt: skip
        # The page number's dash sits 7 mm below the text block (GB/T 9704 7.5).
        bottom_mm = style.margin_right_mm if landscape else style.margin_bottom_mm
        section.footer_distance = Mm(max(bottom_mm - 7 - 5, 5))
        self._grid(section)
        if not landscape:
            # The number's line (one 4号 line high) has its middle, where the dashes run, 7 mm
            # below the 版心: its foot is that less half a line above the page's bottom edge.
            # (A landscape page's number is a turned box anchored to the page: its footer keeps
            # the distance above, inside the turned page's narrower foot margin, so that the
            # footer does not push the text block's foot up and the page holds what the PDF's
            # does.)
            g = self.geometry
            section.footer_distance = Pt(
                style.margin_bottom_mm * MM - g.page_number_gap - g.page_number_size
            )

    def _grid(self, section: Section) -> None:
        """Word's document grid: 22 lines a page (GB/T 9704 5.2.3), for the body text."""
        ooxml.line_grid(section._sectPr, self.style.line_spacing_pt)

    def _styles(self) -> None:
        fonts = self.style.fonts
        styles = self.document.styles
        normal = styles["Normal"]
        assert isinstance(normal, ParagraphStyle)
        set_fonts(normal, fonts["body"])
        body_format = normal.paragraph_format
        body_format.first_line_indent = Pt(fonts["body"].size * self.style.first_line_indent_chars)
        body_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        body_format.line_spacing = Pt(self.style.line_spacing_pt)
        body_format.space_before = Pt(0)
        body_format.space_after = Pt(0)
        body_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for level in range(1, 7):
            heading = styles[f"Heading {level}"]
            assert isinstance(heading, ParagraphStyle)
            set_fonts(heading, fonts[f"heading{min(level, 4)}"])
            heading.font.italic = False
            heading.font.color.rgb = RGBColor(0, 0, 0)
            heading_format = heading.paragraph_format
            heading_format.first_line_indent = body_format.first_line_indent
            heading_format.space_before = Pt(0)
            heading_format.space_after = Pt(0)
            heading_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            heading_format.line_spacing = Pt(self.style.line_spacing_pt)
            heading_format.keep_with_next = True
            if self.plan:
                self._plan_heading(heading, level)
        for name, role in (("Title", "title"), ("Caption", "caption")):
            named = styles[name]
            assert isinstance(named, ParagraphStyle)
            set_fonts(named, fonts[role])
            named.font.color.rgb = RGBColor(0, 0, 0)
            named.font.italic = False
            named.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            named.paragraph_format.first_line_indent = Pt(0)
            ooxml.no_grid(named)
        for name in ("Header", "Footer"):
            named = styles[name]
            assert isinstance(named, ParagraphStyle)
            ooxml.no_grid(named)
        width, _ = text_block(self.document.sections[0])
        ooxml.toc_styles(
            self.document, self.style.toc_levels, fonts["toc"], width,
            Pt(fonts["toc"].size * self.style.toc_indent_chars),
        )  # fmt: skip
        ooxml.drop_theme_fonts(self.document, fonts["body"])
        # Styles the template ships with a Latin font only (Macro Text: Courier) get the body's East
        # Asian font too, so nothing falls back to whatever Word picks for Chinese.
        for rfonts in styles.element.iter(qn("w:rFonts")):
            if rfonts.get(qn("w:ascii")) and not rfonts.get(qn("w:eastAsia")):
                rfonts.set(qn("w:eastAsia"), fonts["body"].east_asian)
        title = styles["Title"]
        assert isinstance(title, ParagraphStyle)
        title.paragraph_format.space_after = Pt(self.style.line_spacing_pt)
        # python-docx's template draws a rule under Title; an official title has none.
        for border in title.element.xpath("./w:pPr/w:pBdr"):
            border.getparent().remove(border)
        # Nor letter spacing, kerning or space between Chinese and digits: the PDF's title has
        # none, and with them a title that fits the PDF's line (“…周报（2023年第1期）”) wraps.
        for loose in title.element.xpath("./w:rPr/w:spacing | ./w:rPr/w:kern"):
            loose.getparent().remove(loose)
        ooxml.no_autospace(title.element.get_or_add_pPr())

    def _plan_heading(self, heading: ParagraphStyle, rank: int) -> None:
        """Heading ``rank`` of a plan text: the 章 / 节 / 条 look style.yaml declares for it."""
        look = self.style.plan_level(rank)
        if look is None:
            return
        role = self.style.fonts[look.font]
        set_fonts(heading, role)
        fmt = heading.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if look.align == "center" else None
        fmt.first_line_indent = Pt(role.size * look.indent_chars)
        fmt.space_before = Pt(self.style.line_spacing_pt * look.space_before_lines)
        aliases = OxmlElement("w:aliases")
        aliases.set(qn("w:val"), look.name)
        heading.element.find(qn("w:name")).addnext(aliases)

    def _page_numbers(self, section: Section) -> None:
        """ "— 1 —" in 4号 宋体, one character in from the outer edge: odd right, even left."""
        self._page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
        self._page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)

    def _page_number(self, footer: _Footer, alignment: WD_ALIGN_PARAGRAPH) -> None:
        role = self.style.fonts["page_number"]
        indent = Pt(role.size)
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        # One 4号 line, off the grid, so that footer_distance places it exactly.
        ooxml.snap_to_grid(paragraph, on=False)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        paragraph.paragraph_format.line_spacing = Pt(role.size)
        paragraph.alignment = alignment
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.paragraph_format.left_indent = (
            indent if alignment == WD_ALIGN_PARAGRAPH.LEFT else Pt(0)
        )
        paragraph.paragraph_format.right_indent = (
            indent if alignment == WD_ALIGN_PARAGRAPH.RIGHT else Pt(0)
        )
        set_fonts(paragraph.add_run("— "), role)
        add_field(paragraph, "PAGE", role)
        set_fonts(paragraph.add_run(" —"), role)

    # -- public API ---------------------------------------------------------------------------------

    def add_cover(self, title: str, lines: Sequence[str]) -> None:
        """A cover page without a page number: the title in 小标宋, the issuing lines below."""
        self.document.sections[0].different_first_page_header_footer = True
        for _ in range(4):
            ooxml.no_grid(self._plain(""))
        self.document.add_paragraph(title, style="Title")
        for _ in range(6):
            ooxml.no_grid(self._plain(""))
        for line in lines:
            paragraph = self._plain(line)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            ooxml.no_grid(paragraph)
        self._page_break()

    def add_header(self, text: str, watermark: str = "") -> None:
        """The running header of a document that is not a 公文, as the PDF prints it
        (``html.page``): ``text`` centred in small grey type on every page but the cover, odd
        and even pages alike; and ``watermark`` (a plan's stage before its final one) behind the
        text of every page, the cover's included (``ooxml.watermark``). Called before the first
        section break: the sections that follow inherit these headers."""
        section = self.document.sections[0]
        # A document without a cover opens with its title: no running header above it on page
        # 1, but its page number, as the PDF's ``coverless`` (or turned) first page.
        coverless = not (section.different_first_page_header_footer or self.gongwen)
        if coverless:
            section.different_first_page_header_footer = True
        section.header_distance = Mm(max(self.style.margin_top_mm / 2 - 2, 5))
        role = replace(self.style.fonts["caption"], size=9, bold=False)
        for header in (section.header, section.even_page_header):
            header.is_linked_to_previous = False
            paragraph = header.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.first_line_indent = Pt(0)
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            if text:
                run = paragraph.add_run(text)
                set_fonts(run, role)
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
            self._watermark(paragraph, watermark)
        if section.different_first_page_header_footer:  # the cover or the title: no header
            first = section.first_page_header
            first.is_linked_to_previous = False
            self._watermark(first.paragraphs[0], watermark)
        if coverless:
            self._page_number(section.first_page_footer, WD_ALIGN_PARAGRAPH.RIGHT)

    def _watermark(self, paragraph: Paragraph, text: str) -> None:
        look = self.style.watermark
        if not text or not look.enabled:
            return
        self._shapes += 1
        font = self.style.fonts["heading1"].east_asian
        ooxml.watermark(paragraph, text, font, look.color, look.opacity, look.size, self._shapes)

    def add_title(self, title: str) -> None:
        """A 公文 title (2号小标宋, centred) on the first page, no cover."""
        self.document.add_paragraph(title, style="Title")
        self._fresh = False

    def add_toc(self, lines: Sequence[TocLine] = ()) -> None:
        """The table of contents: a TOC field over Heading 1 to ``toc_levels`` whose stored
        result is ``lines`` (entries and page numbers from the PDF's layout), so it reads right
        as it opens; Word and LibreOffice can still update it. Without lines the field holds a
        note to update it."""
        heading = self._plain("目  录")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        ooxml.no_grid(heading)
        set_fonts(heading.runs[0], self.style.fonts["heading1"])

        def paragraph(style: str | None) -> Paragraph:
            added = self.document.add_paragraph(style=style)
            if style is None:
                added.paragraph_format.first_line_indent = Pt(0)
            return added

        ooxml.add_toc(
            paragraph, lines, self.style.toc_levels, self.style.fonts["toc"],
            "（在 Word 中右键“更新域”生成目录页码）",
        )  # fmt: skip
        self._page_break()

    def add_markdown(
        self,
        tokens: Sequence[Token],
        base_dir: Path,
        origin: Origin = UNKNOWN,
        drawings: bool = False,
    ) -> None:
        """Write a token stream; relative image paths resolve against ``base_dir``; problems name
        the place in ``origin``; with ``drawings`` (a plan's text) each figure is a drawing on a
        page of its own (``figures``)."""
        self._origin, self._line, self._drawings = origin, None, drawings
        prepared = prepare(tokens)
        self.problems += prepared.problems(origin)
        tokens = prepared.tokens
        index = 0
        while index < len(tokens):
            token = tokens[index]
            block_dir = base_dir
            if self.tracker is not None and token.level == 0 and token.nesting >= 0:
                block_dir = self.tracker.block(token, base_dir)
            index = self._block(tokens, index, block_dir)
        self._leave_turned_page()

    def _leave_turned_page(self, tokens: Sequence[Token] = (), index: int = 0) -> None:
        """Back to portrait pages after a landscape table and the paragraphs under it, which the
        PDF keeps in the table's landscape frame (``html.open_frame``): a note under the table
        stays on its landscape pages in both writers; a heading, a list or another table starts
        the portrait section. A heading whose own table is set landscape (``_turn_for_table``)
        goes on where the note ends, as the PDF's next landscape frame (pages of one type follow
        each other with no break)."""
        if not self._turned_table:
            return
        self._turned_table = False
        if self._turns_for_table(tokens, index):
            self._turned_heading = True
        else:
            self._new_section(landscape=False)

    def page_break(self) -> None:
        self._page_break()

    def save(self, path: Path) -> None:
        self.finish()
        self.document.save(str(path))

    def to_bytes(self) -> bytes:
        """The finished document as DOCX bytes."""
        self.finish()
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()

    def finish(self) -> None:
        """Tidy the page and section breaks (none may give a blank page); idempotent."""
        ooxml.tidy_breaks(self.document.element.body)

    # -- blocks -------------------------------------------------------------------------------------

    def _block(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        token = tokens[index]
        if token.map is not None:
            self._line = token.map[0]
        if token.type not in _CLOSERS and not token.type.endswith("_close"):
            if token.type != "paragraph_open" or token.level > 0:
                self._leave_turned_page(tokens, index)
            self._before_block(tokens, index, base_dir)
        handler = self._dispatch.get(token.type)
        if handler is not None:
            return handler(tokens, index, base_dir)
        if token.type.startswith("container_"):
            return self._container(token, index)
        if token.type in _CLOSERS:
            return index + 1
        self._problem(f"未支持的 Markdown 结构“{token.type}”，内容未输出")
        return index + 1

    def _handlers(self) -> dict[str, Callable[[Sequence[Token], int, Path], int]]:
        return {
            "heading_open": self._heading_block,
            "paragraph_open": self._paragraph,
            "bullet_list_open": self._list_open,
            "ordered_list_open": self._list_open,
            "bullet_list_close": self._list_close,
            "ordered_list_close": self._list_close,
            "list_item_open": self._list_item,
            "table_open": self._table,
            "fence": self._code,
            "code_block": self._code,
            "blockquote_open": self._quote,
            "blockquote_close": self._quote,
            "hr": self._hr,
            "html_block": self._html_block,
            "footnote_block_open": self._footnotes_open,
            "footnote_open": self._footnote_open,
            mdparser.PAGE_BREAK: self._break,
        }

    # -- drawing pages ------------------------------------------------------------------------------

    def _before_block(self, tokens: Sequence[Token], index: int, base_dir: Path) -> None:
        """Pages around drawings: a drawing (or a heading right before one) starts a page of the
        drawing's orientation; the block after a drawing starts a portrait page, unless it breaks
        the page itself."""
        landscape = self._drawing_at(tokens, index, base_dir)
        if self._after_drawing:
            self._after_drawing = False
            if landscape is None and not _breaks_page(tokens[index]):
                if self._landscape():
                    self._section_after_paragraph(landscape=False)
                else:
                    self._new_page_mark()
        if landscape is not None and not self._drawing_page:
            if self._landscape() != landscape:
                self._section_after_paragraph(landscape)
            elif not self._fresh:
                self._break_before = True  # taken by the heading's or the drawing's paragraph
            self._drawing_page = True
        self._fresh = False

    def _section_after_paragraph(self, landscape: bool) -> None:
        """A new section (page) whose break is held by the last paragraph written, not by an empty
        paragraph of its own, which Word sets as one more line: after a drawing's caption it would
        not fit on the full page and start a blank one."""
        self._new_section(landscape)
        body = self.document.element.body
        marker = body.sectPr.getprevious() if body.sectPr is not None else None
        previous = marker.getprevious() if marker is not None else None
        if (
            marker is None
            or previous is None
            or previous.tag != qn("w:p")
            or previous.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
        ):
            return
        previous.set_sectPr(marker.pPr.sectPr)
        body.remove(marker)

    def _new_page_mark(self) -> None:
        """A new page started by a 1 pt paragraph with "page break before", not by a page break
        in an empty paragraph, which Word sets as a line on the page it leaves."""
        paragraph = self.document.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.page_break_before = True
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(1)
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.first_line_indent = Pt(0)
        ooxml.no_grid(paragraph)
        self._fresh = True

    def _take_break(self, paragraph: Paragraph) -> None:
        """Start the page a drawing needs at ``paragraph`` (its heading's or its own)."""
        if self._break_before:
            paragraph.paragraph_format.page_break_before = True
            self._break_before = False

    def _drawing_at(self, tokens: Sequence[Token], index: int, base_dir: Path) -> bool | None:
        """The orientation (landscape: True) of the drawing at ``index``, or of the drawing a
        heading at ``index`` stands right before; None when there is none."""
        if not self._drawings or self._lists:
            return None
        at = index + 3 if tokens[index].type == "heading_open" else index
        image = figures.lone_image(tokens, at) if at < len(tokens) else None
        pixels = self._drawing_pixels(image, base_dir) if image is not None else None
        return None if pixels is None else figures.is_landscape(pixels)

    def _drawing_pixels(self, image: Token, base_dir: Path) -> tuple[int, int] | None:
        source = str(image.attrs.get("src", ""))
        path = local_file(source, base_dir, self.root)
        key = str(path)
        if key not in self._pixels:
            self._pixels[key] = figures.pixel_size(path) if path is not None else None
        return self._pixels[key]

    def _landscape(self) -> bool:
        return self.document.sections[-1].orientation == WD_ORIENT.LANDSCAPE

    def _break(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        self._page_break()
        return index + 1

    def _heading_block(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        if self._drawing_page:
            self._drawing_heads += 1
        level = int(tokens[index].tag[1:])
        self._heading = mdparser.inline_text(tokens[index + 1])
        if self.plan:
            level = self.style.plan_rank(self._heading, level)
        self._turn_for_table(tokens, index)
        if "attachment" in self._containers and level == 1:
            paragraph = self.document.add_paragraph(style="Title")
            if self.gongwen:  # the 附件's title on the third line of the page (7.3.7)
                self._on_lines(paragraph, before=1)
                # and what follows on the next line, as in the PDF: the Title style's line of
                # space after it pushed the 附件's table over the page in Word (review R1)
                paragraph.paragraph_format.space_after = Pt(0)
        else:
            paragraph = self.document.add_paragraph(style=f"Heading {min(max(level, 1), 6)}")
            self._apply_alignment(paragraph)
        self._take_break(paragraph)
        if self._drawing_page:  # first on the drawing's page: one line, no space above it
            paragraph.paragraph_format.space_before = Pt(0)
        self._inline(paragraph, tokens[index + 1], base_dir)
        self._headings += 1
        name = ooxml.bookmark_name(f"h{self._headings}")
        ooxml.add_bookmark(paragraph, name, self._headings)
        return index + 3

    def _turn_for_table(self, tokens: Sequence[Token], index: int) -> None:
        """A landscape section from the heading at ``index`` on, when the table it heads is set
        on a landscape page: the heading goes onto that page, as in the PDF."""
        if self.document.sections[-1].orientation == WD_ORIENT.LANDSCAPE:
            return
        if self._turns_for_table(tokens, index):
            self._new_section(landscape=True)
            self._turned_heading = True

    def _turns_for_table(self, tokens: Sequence[Token], index: int) -> bool:
        """Whether the block at ``index`` is a heading whose table is set on a landscape page."""
        if index >= len(tokens) or tokens[index].type != "heading_open":
            return False
        at = table_after_heading(tokens, index)
        if at is None:
            return False
        texts = gfm_table_texts(tokens, at)
        columns = max((len(row) for row in texts), default=0)
        return self._planned(texts, columns, portrait=True).landscape

    def _paragraph(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        inline = tokens[index + 1]
        children = [child for child in inline.children or () if child.type != "softbreak"]
        if len(children) == 1 and children[0].type == "image" and not self._lists:
            self._figure(children[0], base_dir)
            return index + 3
        paragraph = self.document.add_paragraph()
        self._list_paragraph(paragraph)
        if table_label(tokens, index):
            paragraph.paragraph_format.keep_with_next = True  # with its table, as the PDF's
        prefix = self._pending_prefix
        self._pending_prefix = ""
        if self._quote_depth:
            paragraph.paragraph_format.left_indent = Pt(
                self.style.fonts["body"].size * 2 * self._quote_depth
            )
            paragraph.paragraph_format.first_line_indent = Pt(0)
        if self.gongwen and self._lists:
            # A list in a 公文 reads as its body: each item two characters in, its lines
            # wrapping to the left edge (GB/T 9704 7.3.3), as the PDF sets it.
            paragraph.paragraph_format.left_indent = Pt(0)
            paragraph.paragraph_format.first_line_indent = Pt(2 * self.geometry.char)
        self._apply_alignment(paragraph)
        if any(name in UNGAPPED_CONTAINERS for name in self._containers):
            # Widths as estimated (a digit half a character) and as GB/T 9704 prints them.
            ooxml.no_autospace(paragraph._p.get_or_add_pPr())
        role = None
        if "note" in self._containers:
            # The body's face in smaller print, its first line two of its own characters in,
            # as the PDF's .note (LibreOffice had it in 黑体, two body characters in: review30)
            role = "note"
            paragraph.paragraph_format.first_line_indent = Pt(2 * self._role("note").size)
        if "title" in self._containers:
            paragraph.style = self.document.styles["Title"]
            role = None
            if self.gongwen:
                # Two lines below the red separator (7.3.1), on the grid of the following pages.
                shift = self.geometry.title_shift(self._mark, round(self.geometry.rule_gap))
                self._on_lines(paragraph, before=2 + shift / self.geometry.line)
                paragraph.paragraph_format.space_after = Pt(0)
            else:
                # A 周报's or the 考核评分表's title heads its first page, as the PDF sets it
                # (``.title p``): at the top of the text block, its lines 1.5 times its size.
                self._on_lines(
                    paragraph,
                    before=0,
                    lines=1.5 * self.style.fonts["title"].size / self.geometry.line,
                )
        elif "signed" in self._containers:
            return self._signed_part(paragraph, inline, base_dir, tokens, index)
        elif "redhead" in self._containers:
            role = self._redhead_paragraph(paragraph, inline)
        elif "recipient" in self._containers:
            # 主送机关: one line below the title, flush left (7.3.2).
            paragraph.paragraph_format.first_line_indent = Pt(0)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            self._on_lines(paragraph, before=1)
        elif "attachments" in self._containers:
            self._attachment_item(paragraph, mdparser.inline_text(inline))
            return index + 3
        elif "signature" in self._containers:
            self._signature_line(paragraph, tokens, index)
        elif "printed" in self._containers:
            return self._printed_part(paragraph, inline, base_dir, tokens, index)
        elif "imprint" in self._containers:
            role = self._imprint_line(paragraph, tokens, index)
        if self._first_in_attachment:
            # "附件1" label: 3号黑体, flush left, first line of the page (GB/T 9704 7.3.7).
            self._first_in_attachment = False
            paragraph.paragraph_format.first_line_indent = Pt(0)
            role = "heading1"
            if self.gongwen:
                self._on_lines(paragraph, before=0)
        if prefix:
            paragraph.add_run(prefix)
        self._inline(paragraph, inline, base_dir, role=role)
        self._red_title = False
        self._mark_size = 0.0
        return index + 3

    # -- the 公文 (GB/T 9704) ------------------------------------------------------------------------

    def _gongwen_styles(self) -> None:
        """28 characters a line (GB/T 9704 5.2.3): the 3号 characters condensed to a little less
        than the 版心's width over 28 (Word and LibreOffice then justify the rest over them), and
        the first-line indent two such characters. A ``linesAndChars`` document grid would say
        the same to Word, but LibreOffice lays it out giving each 16 pt character two cells of
        15.8 pt: 14 characters a line."""
        g = self.geometry
        normal = self.document.styles["Normal"]
        assert isinstance(normal, ParagraphStyle)
        ooxml.character_spacing(normal.element.get_or_add_rPr(), self.condensed)
        ooxml.overflow_punctuation(normal.element.get_or_add_pPr())
        # Every page holds its 22 lines: a paragraph may leave one line on either page.
        normal.paragraph_format.widow_control = False
        for name in ("Normal", *(f"Heading {level}" for level in range(1, 7))):
            named = self.document.styles[name]
            assert isinstance(named, ParagraphStyle)
            named.paragraph_format.first_line_indent = Pt(2 * g.char)

    @property
    def condensed(self) -> int:
        """Twips each body character gives up: whole twips, rounded so that 28 still fit."""
        return math.floor((self.geometry.char - self.style.fonts["body"].size) * 20)

    def _on_lines(self, paragraph: Paragraph, before: float, lines: float = 1.0) -> None:
        """A paragraph off the grid, ``before`` lines below the one above, each of its lines one
        line of the grid high (or ``lines``)."""
        fmt = paragraph.paragraph_format
        ooxml.snap_to_grid(paragraph, on=False)
        fmt.space_before = Pt(before * self.geometry.line)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(lines * self.geometry.line)

    def _keep_body_with_closing(self) -> None:
        """The body's last paragraph (or a closing table's last row) kept with the 附件说明 and
        署名 that follow, as the PDF's ``break-before: avoid``: they never stand on a page
        without body text, the 此页无正文 case a bureau sends back (GB/T 9704 7.3.5)."""
        self._closing_kept = True
        body = self.document.element.body
        kinds = (qn("w:p"), qn("w:tbl"))
        last = next((child for child in reversed(body) if child.tag in kinds), None)
        if last is None:
            return
        if last.tag == qn("w:tbl"):
            rows = last.findall(qn("w:tr"))
            if rows:
                ooxml.keep_with_next(rows[-1])
        else:
            Paragraph(last, self.document._body).paragraph_format.keep_with_next = True

    def _attachment_item(self, paragraph: Paragraph, text: str) -> None:
        """An item of the 附件说明 (7.3.4): one blank line below the body, "附件：" two characters
        in, each number under the one above and every name, wrapped lines too, starting at the
        same place (a hanging indent that ends at a tab)."""
        g = self.geometry
        found = re.match(r"^(附件：)?(\d+\.)?", text)
        label, number = (found.group(1) or "", found.group(2) or "") if found else ("", "")
        name = text[len(label) + len(number) :]
        self._item += 1
        self._on_lines(paragraph, before=1 if self._item == 1 else 0)
        fmt = paragraph.paragraph_format
        start = 6 if number else 5
        fmt.left_indent = Pt(start * g.char)
        fmt.first_line_indent = Pt(-(start - 2) * g.char)
        fmt.tab_stops.add_tab_stop(Pt(5 * g.char))
        fmt.tab_stops.add_tab_stop(Pt(start * g.char))
        fmt.keep_with_next = True
        fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
        runs = [label or "\t", number, "\t", name] if number else [label, name]
        for text_run in runs:
            if text_run:
                self._fonts(paragraph.add_run(text_run), "body")

    def _signature_line(self, paragraph: Paragraph, tokens: Sequence[Token], index: int) -> None:
        """署名 over 成文日期 (7.3.5.1): room for the seal above the 署名, the date four
        characters in from the right and the 署名 centred over it."""
        g = self.geometry
        fmt = paragraph.paragraph_format
        self._item += 1
        if self._item == 1:
            following = next((t for t in tokens[index + 2 :] if t.type == "inline"), None)
            issuer = mdparser.inline_text(tokens[index + 1])
            date = mdparser.inline_text(following) if following is not None else issuer
            self._on_lines(paragraph, before=g.seal_lines)
            fmt.right_indent = Pt(g.issuer_indent(issuer, date))
            fmt.keep_with_next = True
        else:
            self._on_lines(paragraph, before=0)
            fmt.right_indent = Pt(g.date_indent())

    def _imprint_line(self, paragraph: Paragraph, tokens: Sequence[Token], index: int) -> str:
        """抄送 in the 版记 (7.4.2): 4号, one character in on each side, wrapped lines under the
        first 机关, between the thick first separator and a thin one."""
        size = self.style.gongwen.imprint_size
        fmt = paragraph.paragraph_format
        self._on_lines(paragraph, before=0)
        fmt.space_before = Pt(self._imprint_drop(tokens, index))
        inline = tokens[index + 1] if index + 1 < len(tokens) else None
        text = mdparser.inline_text(inline) if inline is not None else ""
        if text_width(text) / 2 <= (self.geometry.text_width - 2 * size) / size:
            # One line: no indents, so that the separators (paragraph borders, which run from
            # indent to indent) span the 版心 as in the PDF; the text one character in.
            fmt.left_indent = fmt.right_indent = Pt(0)
            fmt.first_line_indent = Pt(size)
        else:  # wrapped lines under the first 机关: the separators one character shorter
            fmt.left_indent = Pt(4 * size)
            fmt.first_line_indent = Pt(-3 * size)
            fmt.right_indent = Pt(size)
        ooxml.border(paragraph, "top", self._eighths(self.style.gongwen.imprint_thick_mm))
        ooxml.border(paragraph, "bottom", self._eighths(self.style.gongwen.imprint_thin_mm))
        self._item += 1
        return "imprint"

    def _printed_part(
        self,
        paragraph: Paragraph,
        inline: Token,
        base_dir: Path,
        tokens: Sequence[Token],
        index: int,
    ) -> int:
        """The 版记's last line (7.4.3): 印发机关 one character from the left, 印发日期 one from
        the right (a right tab), over the thick last separator on the foot of the 版心."""
        if self._printed is None:
            size = self.style.gongwen.imprint_size
            fmt = paragraph.paragraph_format
            self._on_lines(paragraph, before=0)
            # No indents, so that the separators span the 版心 (review R26); the 印发机关 one
            # character in, the date one character from the right (its tab).
            fmt.first_line_indent = Pt(size)
            fmt.left_indent = fmt.right_indent = Pt(0)
            fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
            fmt.tab_stops.add_tab_stop(Pt(self.geometry.text_width - size), WD_TAB_ALIGNMENT.RIGHT)
            thick = self._eighths(self.style.gongwen.imprint_thick_mm)
            if not self._item:  # no 抄送 above: this line opens the 版记 too
                ooxml.border(paragraph, "top", thick)
                fmt.space_before = Pt(self._imprint_drop(tokens, index))
            ooxml.border(paragraph, "bottom", thick)
            self._printed = paragraph
        else:
            paragraph._p.getparent().remove(paragraph._p)
            paragraph = self._printed
            self._fonts(paragraph.add_run("\t"), "imprint")
        self._inline(paragraph, inline, base_dir, role="imprint")
        return index + 3

    def _imprint_drop(self, tokens: Sequence[Token], index: int) -> float:
        """Space above the 版记 that brings its last separator down to the foot of the 版心
        (7.4.1): the page holds nothing else, and every 版记 line is one line of the grid high.
        LibreOffice does not read the section's ``w:vAlign`` (Word does, to the same effect).
        The 抄送's lines are counted as if every character were a full 4号 one: a 版记 that is
        shorter than counted stands a little higher, never on the next page."""
        g = self.geometry
        size = self.style.gongwen.imprint_size
        lines = 0
        for token in tokens[index:]:
            if token.type == "container_imprint_close":
                break
            if token.type == "inline":
                text = mdparser.inline_text(token)
                first, other = (g.text_width - 2 * size) / size, (g.text_width - 5 * size) / size
                lines += 1 + max(0, math.ceil((len(text) - int(first)) / int(other)))
            elif token.type == "container_printed_close":
                # Its two parts share one line. (Its close, not its opening: without a 抄送 the
                # count starts at the 印发机关, inside the container.)
                lines -= 1
        rules = 3 * self._eighths(self.style.gongwen.imprint_thick_mm) / 8 + 2
        return max(g.text_height - lines * g.line - rules, 0.0)

    @staticmethod
    def _eighths(mm: float) -> int:
        """A rule's thickness in eighths of a point (``w:sz``), at least the thinnest Word draws."""
        return max(2, round(mm * MM * 8))

    def _redhead_paragraph(self, paragraph: Paragraph, inline: Token) -> str | None:
        """版头 (7.2.4–7.2.7): the 发文机关标志 (first paragraph: red 小标宋, its top 35 mm below the
        版心's, as large as ``mark_size`` allows across the 版心) or the 发文字号 (3号仿宋, two lines
        below, the red separator 4 mm under its characters), both centred, off the grid."""
        first = self._redhead_lines == 0
        self._redhead_lines += 1
        g = self.geometry
        fmt = paragraph.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.first_line_indent = Pt(0)
        ooxml.snap_to_grid(paragraph, on=False)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        if first:
            self._mark = mdparser.inline_text(inline)
            self._mark_size = g.mark_size(self._mark)
            fmt.space_before = Pt(g.mark_top)
            fmt.line_spacing = Pt(self._mark_size)
            self._red_title = True
            return "title"
        fmt.space_before = Pt(2 * g.line)
        fmt.line_spacing = Pt(g.line)
        gw = self.style.gongwen
        ooxml.border(paragraph, "bottom", self._eighths(gw.rule_mm), gw.red, round(g.rule_gap))
        return None

    def _signed_part(
        self,
        paragraph: Paragraph,
        inline: Token,
        base_dir: Path,
        tokens: Sequence[Token],
        index: int,
    ) -> int:
        """A 签发人's line in a 上行文's 版头 (7.2.5–7.2.6): the 发文字号 (on the last signer's line)
        one character from the left, “签发人：” (3号仿宋) and the name (3号楷体) one character
        from the right at a right tab; the first line two lines below the 发文机关标志, the red
        separator 4 mm under the last."""
        after = [t.type for t in tokens[index:]]
        end = after.index("container_signed_close") if "container_signed_close" in after else 0
        left = after[:end].count("paragraph_open")  # this paragraph and those after it
        if self._signed is None:
            self._signed_line(paragraph, last=after[end + 1 : end + 2] != ["container_signed_open"])
            self._signed = paragraph
        else:
            paragraph._p.getparent().remove(paragraph._p)
            paragraph = self._signed
        if left == 2:  # “签发人：”, at the right tab
            self._fonts(paragraph.add_run("\t"), "body")
        self._inline(paragraph, inline, base_dir, role="signer" if left == 1 else None)
        return index + 3

    def _signed_line(self, paragraph: Paragraph, last: bool) -> None:
        """One 签发人 line's format: its text one character in from the left (a first-line indent)
        and a right tab one character in from the right. Not left and right indents: Word draws a
        paragraph's border between its indents, and the red separator spans the 版心."""
        g = self.geometry
        fmt = paragraph.paragraph_format
        fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
        fmt.left_indent = fmt.right_indent = Pt(0)
        fmt.first_line_indent = Pt(g.char)
        fmt.tab_stops.add_tab_stop(Pt(g.text_width - g.char), WD_TAB_ALIGNMENT.RIGHT)
        self._on_lines(paragraph, before=2 if self._redhead_lines == 1 else 0)
        self._redhead_lines += 1
        if last:
            gw = self.style.gongwen
            ooxml.border(paragraph, "bottom", self._eighths(gw.rule_mm), gw.red, round(g.rule_gap))
        else:
            fmt.keep_with_next = True

    def _apply_alignment(self, paragraph: Paragraph) -> None:
        fmt = paragraph.paragraph_format
        if "center" in self._containers or "cover" in self._containers:
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fmt.first_line_indent = Pt(0)
        elif "signature" in self._containers:
            fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            fmt.first_line_indent = Pt(0)
            fmt.right_indent = Pt(self.style.fonts["body"].size * 4)  # 成文日期右空四字

    def _list_open(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        token = tokens[index]
        start = int(token.attrs.get("start", 1) or 1)
        if self._numbering is None:
            size = self.style.fonts["body"].size
            self._numbering = ooxml.Numbering(
                self.document, self.style.fonts["body"], Pt(size * 2), Pt(size * 1.5),
                suffix="space" if self.gongwen else "tab",
            )  # fmt: skip
        ordered = token.type == "ordered_list_open"
        num_id = self._numbering.new_list(ordered, len(self._lists), start)
        self._lists.append(_ListLevel(num_id))
        return index + 1

    def _list_close(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        self._lists.pop()
        return index + 1

    def _list_item(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        current = self._lists[-1]
        current.first_paragraph = True
        if tokens[index + 1].type in (
            "list_item_close",
            "bullet_list_open",
            "ordered_list_open",
            "fence",
            "code_block",
        ):
            # An item that starts with no paragraph still shows its marker.
            self._list_paragraph(self.document.add_paragraph())
        return index + 1

    def _list_paragraph(self, paragraph: Paragraph) -> None:
        """A paragraph inside a list: the item's first one is numbered (``w:numPr`` at the list's
        nesting level), the others are indented as its text."""
        if not self._lists:
            return
        level = self._lists[-1]
        depth = len(self._lists)
        size = self.style.fonts["body"].size
        paragraph.paragraph_format.left_indent = Pt(size * 2 * depth)
        paragraph.paragraph_format.first_line_indent = (
            Pt(-size * 1.5) if level.first_paragraph else Pt(0)
        )
        if level.first_paragraph:
            level.first_paragraph = False
            ooxml.number_paragraph(paragraph, level.num_id, depth - 1)

    def _code(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        paragraph = self._plain("")
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        ooxml.no_grid(paragraph)
        paragraph.paragraph_format.left_indent = Pt(12 + 32 * len(self._lists))
        role = self.style.fonts["code"]
        lines = tokens[index].content.rstrip("\n").split("\n")
        for number, line in enumerate(lines):
            run = paragraph.add_run(line)
            set_fonts(run, role)
            if number < len(lines) - 1:
                run.add_break()
        return index + 1

    def _quote(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        self._quote_depth += 1 if tokens[index].type == "blockquote_open" else -1
        return index + 1

    def _hr(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        self._rule()
        return index + 1

    def _html_block(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        content = tokens[index].content
        if is_table(content):
            grid, problems = htmltable.table(content, self._origin, self._line)
            self.problems += problems
            if grid.rows:
                self._html_table(grid, tokens[index].meta.get("caption"))
                return index + 1
        # Any other raw HTML: its literal text, never interpreted.
        paragraph = self._plain("")
        lines = content.rstrip("\n").split("\n")
        for number, line in enumerate(lines):
            run = paragraph.add_run(line)
            if number < len(lines) - 1:
                run.add_break()
        return index + 1

    def _footnotes_open(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        self._rule()
        heading = self._plain("注释")
        set_fonts(heading.runs[0], self.style.fonts["heading1"])
        return index + 1

    def _footnote_open(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        self._pending_prefix = f"[{int(tokens[index].meta.get('id', 0)) + 1}] "
        return index + 1

    def _container(self, token: Token, index: int) -> int:
        name = token.type.removeprefix("container_").removesuffix("_open").removesuffix("_close")
        opening = token.type.endswith("_open")
        if opening:
            self._containers.append(name)
            if name in ("attachment", "pagebreak"):
                if not (name == "attachment" and self._section_is_new()):
                    self._page_break()  # (a new section already starts a new page)
                self._first_in_attachment = name == "attachment"
            elif name == "landscape" and not self.landscape:
                self._new_section(landscape=True)
            elif name == "imprint":
                self._imprint_page()
            if name in ("attachments", "signature", "imprint"):
                self._item = 0
            if name == "attachments" or (name == "signature" and not self._closing_kept):
                self._keep_body_with_closing()
        else:
            if self._containers and self._containers[-1] == name:
                self._containers.pop()
            if name == "cover":
                self._page_break()
            elif name == "redhead":
                self._red_title = False
                self._redhead_lines = 0
            elif name == "landscape" and not self.landscape:
                self._new_section(landscape=False)
            elif name == "printed":
                self._printed = None
            elif name == "signed":
                self._signed = None
        return index + 1

    def _section_is_new(self) -> bool:
        """Nothing written since the last section break (its ``w:sectPr`` ends the body)."""
        body = self.document.element.body
        last = body[-2] if len(body) > 1 else None  # the body's own sectPr comes last
        return last is not None and last.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None

    def _imprint_page(self) -> None:
        """The 版记 on a portrait page of its own, its text at the foot of the page, so that its
        last separator lies on the bottom edge of the 版心 (7.4.1); the page even, the back of
        the last leaf: a section that starts on an even page, before which Word and LibreOffice
        put a blank page when the body ends on an even one."""
        if (
            not self._section_is_new()
            or self.document.sections[-1].orientation != WD_ORIENT.PORTRAIT
        ):
            self._new_section(landscape=False)
        section = self.document.sections[-1]
        section.start_type = WD_SECTION.EVEN_PAGE
        ooxml.align_page_bottom(section._sectPr)
        if self.bare_imprint:
            for footer in (section.footer, section.even_page_footer):
                footer.is_linked_to_previous = False
                for paragraph in footer.paragraphs:  # the page number _new_section put there
                    for child in list(paragraph._p):
                        if child.tag != qn("w:pPr"):
                            paragraph._p.remove(child)

    def _new_section(self, landscape: bool) -> None:
        body = self.document.element.body
        if all(child.tag == qn("w:sectPr") for child in body):
            # Nothing written yet (a document without a cover opening with a landscape table):
            # the first section turns, as the PDF's first page does; a break would leave a
            # blank portrait page before the table.
            section = self.document.sections[-1]
        else:
            section = self.document.add_section(WD_SECTION.NEW_PAGE)
            # Only the document's first page is a cover: a later section's first page keeps
            # the running header, page number and watermark of every other page.
            section.different_first_page_header_footer = False
        self._page_setup(section, landscape)
        self._fresh = True
        if self.gongwen:
            if landscape:
                self._turned_page_numbers(section)
            else:
                self._page_numbers(section)

    def _turned_page_numbers(self, section: Section) -> None:
        """A landscape 附件 page's number where a portrait page has it (GB/T 9704 8): the page is
        the portrait page turned a quarter clockwise for binding, so the number stands turned in
        its left margin, its dashes 7 mm left of the 版心, ending (odd pages) or starting (even)
        one character in from the 版心's ends."""
        role = self.style.fonts["page_number"]
        style = self.style
        line = role.size * 1.5  # the box is wider than the line: nothing of it is clipped
        middle = (style.margin_bottom_mm - style.gongwen.page_number_gap_mm) * MM
        length = 40 * MM
        one = role.size
        for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
            footer.is_linked_to_previous = False
            holder = footer.paragraphs[0]
            top = (
                (style.margin_left_mm + style.text_width_mm) * MM - one - length
                if odd
                else style.margin_left_mm * MM + one
            )
            self._shapes += 1
            x, y, width, height = (
                round(v * EMU_PER_PT) for v in (middle - line / 2, top, line, length)
            )
            inner = ooxml.turned_text_box(holder, (x, y, width, height), 1000 + self._shapes)
            inner.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
            fmt = inner.paragraph_format
            fmt.first_line_indent = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(role.size)
            ooxml.snap_to_grid(inner, on=False)
            set_fonts(inner.add_run("— "), role)
            add_field(inner, "PAGE", role)
            set_fonts(inner.add_run(" —"), role)

    def _rule(self, color: str = "000000", size: int = 6) -> Paragraph:
        paragraph = self._plain("")
        ooxml.bottom_border(paragraph, color, size)
        return paragraph

    def _plain(self, text: str) -> Paragraph:
        paragraph = self.document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(0)
        return paragraph

    def _page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        self._fresh = True

    # -- figures and tables ---------------------------------------------------------------------------

    def _figure(self, image: Token, base_dir: Path) -> None:
        source = str(image.attrs.get("src", ""))
        caption = figures.title(image)
        paragraph = self._plain("")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.paragraph_format.keep_with_next = True
        self._take_break(paragraph)
        ooxml.no_grid(paragraph)
        size = self._drawing_size(image, base_dir) if self._drawing_page else None
        self._picture(paragraph.add_run(), source, base_dir, True, caption, size)
        self._figures += 1
        caption_paragraph = self.document.add_paragraph(style="Caption")
        if size is not None:  # one line of the body's pitch, as ``figures`` reserves for it
            caption_format = caption_paragraph.paragraph_format
            caption_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            caption_format.line_spacing = Pt(self.style.line_spacing_pt)
            caption_format.space_before = caption_format.space_after = Pt(0)
            self._drawing_page, self._drawing_heads, self._after_drawing = False, 0, True
        caption_paragraph.add_run("图 ")
        add_field(
            caption_paragraph, "SEQ 图 \\* ARABIC", self.style.fonts["caption"], str(self._figures)
        )
        if caption:
            caption_paragraph.add_run(f"  {caption}")

    def _drawing_size(self, image: Token, base_dir: Path) -> tuple[float, float] | None:
        """Width and height (mm) of a drawing filling the current page's text block."""
        pixels = self._drawing_pixels(image, base_dir)
        if pixels is None:
            return None
        width, height = text_block(self.document.sections[-1])
        page = figures.page_for(self.style.line_spacing_pt)
        block = (width / 36000, height / 36000)
        grid = self.style.line_spacing_pt * figures.PT_MM  # the sections' line grid (``_grid``)
        return page.fit(pixels, block, headings=self._drawing_heads, grid_mm=grid)

    def _picture(
        self,
        run: Run,
        source: str,
        base_dir: Path,
        full_width: bool,
        label: str = "",
        size_mm: tuple[float, float] | None = None,
    ) -> None:
        """The image at ``source`` in ``run``: at ``size_mm`` when given, else at its pixels at
        ``PRINT_DPI`` shrunk to the text block (``full_width``) or to three body lines."""
        path = local_file(source, base_dir, self.root)
        if path is not None and path.suffix.lower() == ".svg":
            # Word gets a vector chart's PNG rendering, written beside it (``charts``): the
            # PDF keeps the SVG, whose labels stay searchable text.
            path = local_file(Path(source).with_suffix(".png").as_posix(), base_dir, self.root)
        if path is None:
            # Missing, remote or outside images were reported by the loader (TP005/TP009).
            run.add_text(missing_image(label, source))
            run.font.color.rgb = RGBColor(0xC0, 0, 0)
            return
        try:
            with Image.open(path) as image:
                width_px, height_px = image.size
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            self._problem(f"图片无法读取：{source}")
            run.add_text(f"【图片无法读取：{source}】")
            return
        block_width, block_height = text_block(self.document.sections[-1])
        max_width = (
            block_width / 36000 if full_width else self.style.fonts["body"].size * 0.3528 * 3
        )
        max_height = block_height / 36000 * 0.75
        width = width_px / PRINT_DPI * 25.4
        height = height_px / PRINT_DPI * 25.4
        scale = min(1.0, max_width / width, max_height / height)
        if size_mm is not None:
            width, height, scale = size_mm[0], size_mm[1], 1.0
        try:
            ooxml.add_picture(run, str(path), Mm(width * scale), Mm(height * scale))
        except Exception:  # noqa: BLE001 - python-docx's own image parsers fail in many ways
            # An image Pillow reads can still be one python-docx cannot embed (WebP, a PNG with a
            # damaged chunk): a visible placeholder and a problem, never a failed document.
            self._problem(f"图片无法放入 Word 文档（格式不受支持或文件已损坏）：{source}")
            run.add_text(f"【图片无法放入 Word：{source}】")

    def _table(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        rows: list[list[_Place]] = []
        texts: list[list[str]] = []
        header = True
        end = index
        while tokens[end].type != "table_close":
            token = tokens[end]
            if token.type == "tr_open":
                rows.append([])
                texts.append([])
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrs.get("style", "") or "")
                align = style.split(":")[-1] if style.startswith("text-align") else None
                is_head = token.type == "th_open"
                header = header and (len(rows) > 1 or is_head)
                fill = partial(self._gfm_cell, tokens[end + 1], align, is_head, base_dir)
                rows[-1].append(_Place(fill=fill))
                texts[-1].append(mdparser.inline_text(tokens[end + 1]))  # as printed
            end += 1
        columns = max((len(row) for row in rows), default=0)
        if columns:
            for row in rows:  # markdown-it pads short rows; a hand-made token stream may not
                row += [_Place()] * (columns - len(row))
            title = tokens[index].meta.get("caption")
            noted = table_note(tokens, end + 1)
            self._write_table(rows, self._plan(texts, columns), header, title, texts, noted)
            if noted:
                self._keep_table_with_note()
        return end + 1

    def _keep_table_with_note(self) -> None:
        """The last row of the table just written and the paragraph that ends it kept with the
        note under the table, as the PDF's ``.table-note`` (``break-before: avoid``)."""
        body = self.document.element.body
        table = next(child for child in reversed(body) if child.tag == qn("w:tbl"))
        ooxml.keep_with_next(table.tr_lst[-1])
        spacer = table.getnext()
        if spacer is not None and spacer.tag == qn("w:p"):
            Paragraph(spacer, None).paragraph_format.keep_with_next = True  # type: ignore[arg-type]

    def _gfm_cell(
        self, inline: Token, align: str | None, header: bool, base_dir: Path, paragraph: Paragraph
    ) -> None:
        self._cell_format(paragraph, align)
        self._inline(paragraph, inline, base_dir, role="table", bold=header)

    def _html_table(self, grid: Grid, title: str | None) -> None:
        rows = [
            [
                _Place(
                    slot.colspan,
                    _vertical_merge(slot),
                    partial(self._html_cell, slot.cell) if slot.cell is not None else None,
                )
                for slot in row
            ]
            for row in grid.rows
        ]
        header = all(slot.cell.header for slot in grid.rows[0] if slot.cell is not None)
        texts = htmltable.texts(grid)
        self._write_table(rows, self._plan(texts, grid.columns), header, title, texts)

    def _html_cell(self, cell: Cell, paragraph: Paragraph) -> None:
        self._cell_format(paragraph, cell.align)
        if not cell.text and not cell.header:
            self._fonts(paragraph.add_run(EMPTY_CELL), "table")
            return
        state = _Inline()
        for number, line in enumerate(cell.lines):
            for text, bold in line:
                state.bold = bold or cell.header
                self._kept_runs(paragraph, text, state)
            if number < len(cell.lines) - 1 and line:
                paragraph.add_run().add_break()

    def _plan(self, texts: Sequence[Sequence[str]], columns: int) -> TablePlan:
        """The table's layout from its cells (``layout.plan_table``): on the current page, or a
        landscape page of its own, or smaller (reported, TP708)."""
        plan = self._planned(texts, columns)
        size = self.style.fonts["table"].size
        if plan.smaller or plan.overflows:
            self.problems.append(
                OutputProblem("TP708", too_wide_message(plan, size), self._origin.ref(self._line))
            )
        return plan

    def _planned(
        self, texts: Sequence[Sequence[str]], columns: int, portrait: bool = False
    ) -> TablePlan:
        """The layout of a table of ``texts`` on the current section's page (``_plan``), or on
        a portrait page (``portrait``: the page that follows a landscape table's)."""
        section = self.document.sections[-1]
        width_emu, _ = text_block(section)
        # Planned on the PDF's landscape text block (its margins turned with the page), so both
        # writers choose the same page, size and shares; a wider Word block only scales them.
        turned = mm_to_pt(self.style.landscape_text_width_mm)
        width: float = width_emu / 12700
        landscape: float | None = turned
        if portrait:
            width = mm_to_pt(self.style.text_width_mm)
        elif section.orientation == WD_ORIENT.LANDSCAPE:
            width, landscape = min(width, turned), None
        size = self.style.fonts["table"].size

        def plan(rows: Sequence[Sequence[str]]) -> TablePlan:
            needs = column_needs(rows, columns, self.lexicon)
            return plan_table(needs, size, width, landscape, rows, self.lexicon)

        return plan_in_family(texts, self.families, plan)

    def _write_table(
        self,
        rows: Sequence[Sequence[_Place]],
        plan: TablePlan,
        header: bool,
        title: str | None = None,
        texts: Sequence[Sequence[str]] = (),
        noted: bool = False,
    ) -> None:
        """A Word table written row by row in one pass (``ooxml``), with the column widths, size
        and page of ``plan``, after its caption; ``header`` repeats the first row on every page;
        ``noted``: a note follows the table (``kept_with_previous``)."""
        turned = plan.landscape or self._turned_heading
        self._turned_heading = False
        if plan.landscape:
            self._new_section(landscape=True)
        if title is not None or (
            self.table_captions and not heading_names_its_table(self._heading)
        ):
            self._table_caption(title if title is not None else heading_title(self._heading))
        text_width, _ = text_block(self.document.sections[-1])
        total = sum(plan.widths)
        # Whole twips (635 EMU): Word stores widths in twips, so a cell spanning columns is then
        # exactly as wide as the columns it spans.
        widths = [int(text_width * width / total) // 635 * 635 for width in plan.widths]
        table: Table = self.document.add_table(rows=0, cols=len(widths))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        ooxml.set_grid(table._tbl, widths)
        ooxml.set_cell_margins(table._tbl, CELL_PADDING_PT, CELL_PADDING_Y_PT + CELL_BORDER_PT / 2)
        size = plan.font_pt if plan.resized else self.style.fonts["table"].size
        self._cell_line_pt = CELL_LINE * size
        column_em = [width / EMU_PER_PT / size - CELL_EXTRA_PT / size for width in widths]
        kept = kept_with_previous(texts, 1 if header else 0, column_em, noted)
        for number, places in enumerate(rows):
            row = ooxml.add_row(table._tbl, header=header and number == 0)
            column = 0
            for place in places:
                width = sum(widths[column : column + place.colspan])
                cell = ooxml.add_cell(row, width, place.colspan, place.merge)
                column += place.colspan
                if place.fill is not None:
                    place.fill(_Cell(cell, table).paragraphs[0])
                    if self.lexicon is not None:
                        room = width / EMU_PER_PT - CELL_EXTRA_PT
                        ooxml.break_between_words(
                            cell, room / plan.font_pt, self.lexicon, CELL_SLACK_PT / plan.font_pt
                        )
            if number + 1 in kept:
                ooxml.keep_with_next(row)
        if plan.resized:
            for run in table._tbl.iter(qn("w:r")):
                Run(run, table).font.size = Pt(plan.font_pt)
        self._table_spacer()
        self._turned_table = turned

    def _table_spacer(self) -> None:
        """The paragraph that ends a table (two tables in a row would be one in Word), as tall
        as the PDF's space below a table (6 pt), not a body line."""
        fmt = self._plain("").paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(TABLE_GAP_PT)
        fmt.space_before = fmt.space_after = Pt(0)
        ooxml.no_grid(self.document.paragraphs[-1])

    def _table_caption(self, title: str) -> None:
        """“表 1  标题” above the table, its number a ``SEQ 表`` field Word renumbers."""
        self._tables += 1
        paragraph = self.document.add_paragraph(style="Caption")
        fmt = paragraph.paragraph_format
        fmt.keep_with_next = True
        # As tall as the PDF's caption (``.table-caption``: 6 pt above, a body line, 2 pt to the
        # table), so that a page has as much room left for the table's rows in both writers.
        fmt.space_before, fmt.space_after = Pt(6), Pt(2)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(self.style.line_spacing_pt)
        prefix, _, rest = caption_text(self._tables, title).partition(str(self._tables))
        paragraph.add_run(prefix)
        add_field(paragraph, "SEQ 表 \\* ARABIC", self.style.fonts["caption"], str(self._tables))
        if rest:
            paragraph.add_run(rest)

    def _role(self, name: str) -> FontRole:
        """A font role of style.yaml, the 版记's (the body's font at ``imprint_size``, 4号) or a
        note's (the body's font at the caption's size, the PDF's ``.note``)."""
        if name == "imprint":
            return replace(self.style.fonts["body"], size=self.style.gongwen.imprint_size)
        if name == "note":
            return replace(self.style.fonts["body"], size=self.style.fonts["caption"].size)
        return self.style.fonts[name]

    def _cell_format(self, paragraph: Paragraph, align: str | None) -> None:
        """The table's exact line height (single spacing outside a table), no indent, aligned:
        copied from one formatted paragraph per alignment and line, because python-docx builds
        ``w:pPr`` child by child and a large table has thousands."""
        key = (align or "", self._cell_line_pt)
        if key not in self._cell_formats:
            scratch = Paragraph(OxmlElement("w:p"), paragraph._parent)
            fmt = scratch.paragraph_format
            fmt.first_line_indent = Pt(0)
            if self._cell_line_pt:
                fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
                fmt.line_spacing = Pt(self._cell_line_pt)
            else:
                fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            fmt.alignment = _ALIGN.get(key[0], WD_ALIGN_PARAGRAPH.LEFT)
            ooxml.no_autospace(scratch._p.get_or_add_pPr())
            ooxml.no_grid(scratch)  # a cell's lines keep their height, not the body's pitch
            self._cell_formats[key] = scratch._p.get_or_add_pPr()
        paragraph._p.insert(0, deepcopy(self._cell_formats[key]))

    def _fonts(self, run: Run, role: str) -> None:
        """``set_fonts`` for a run, copied from one run set up per role (as ``_cell_format``)."""
        if role not in self._run_fonts:
            scratch = Run(OxmlElement("w:r"), run._parent)
            set_fonts(scratch, self._role(role))
            if self.gongwen and role not in _GRID_ROLES:
                # Only the body's lines are condensed to the grid (``_gongwen_styles``).
                ooxml.character_spacing(scratch._r.get_or_add_rPr(), 0)
            self._run_fonts[role] = scratch._r.get_or_add_rPr()
        run._r.insert(0, deepcopy(self._run_fonts[role]))

    # -- inline -------------------------------------------------------------------------------------

    def _inline(
        self,
        paragraph: Paragraph,
        inline: Token,
        base_dir: Path,
        role: str | None = None,
        bold: bool = False,
    ) -> None:
        call = _InlineCall(paragraph, inline.children or [], base_dir, role, bold)
        state = _Inline(bold=bold)
        for position, child in enumerate(call.children):
            state.source = child
            handler = self._inline_dispatch.get(child.type)
            if handler is None:
                self._problem(f"未支持的行内结构“{child.type}”，内容未输出")
            else:
                handler(call, position, state)

    def _inline_handlers(self) -> dict[str, InlineHandler]:
        """What each inline child becomes (``_inline``), as ``_handlers`` for blocks."""
        return {
            "text": self._text,
            "code_inline": self._code_inline,
            "softbreak": self._softbreak,
            "hardbreak": self._hardbreak,
            "html_inline": self._html_inline,
            "strong_open": self._strong,
            "strong_close": self._strong,
            **dict.fromkeys(_TOGGLES, self._toggle),
            "link_open": self._link_open,
            "link_close": self._link_close,
            "image": self._inline_image,
            "footnote_ref": self._footnote_ref,
            "footnote_anchor": lambda call, position, state: None,  # the note's own [n] says it
        }

    def _text(self, call: _InlineCall, position: int, state: _Inline) -> None:
        text = call.children[position].content
        if call.role == "table":
            self._kept_runs(call.paragraph, text, state)
        else:
            # Body text as written: Word and LibreOffice could keep a number with its unit only
            # with WORD JOINERs, which a reader copying or searching the text would carry along.
            # A code's hyphen (“BD-05”) is Word's non-breaking hyphen, as in a table's cells:
            # LibreOffice breaks after a hyphen even before a digit.
            for piece, code in _codes(text):
                if code and "-" in piece:
                    run = self._run(call.paragraph, "", state, call.role)._r
                    ooxml.add_unbroken_text(run, piece, joiners=False)
                else:
                    self._run(call.paragraph, piece, state, call.role)

    def _code_inline(self, call: _InlineCall, position: int, state: _Inline) -> None:
        run = self._run(call.paragraph, call.children[position].content, state, "code")
        run.font.size = Pt(self._role(call.role or "body").size)

    def _softbreak(self, call: _InlineCall, position: int, state: _Inline) -> None:
        children = call.children
        before = children[position - 1].content[-1:] if position else ""
        after = children[position + 1].content[:1] if position + 1 < len(children) else ""
        if softbreak(before, after):
            self._run(call.paragraph, " ", state, call.role)

    def _hardbreak(self, call: _InlineCall, position: int, state: _Inline) -> None:
        call.paragraph.add_run().add_break()

    def _html_inline(self, call: _InlineCall, position: int, state: _Inline) -> None:
        content = call.children[position].content
        if is_break(content):
            self._hardbreak(call, position, state)
        else:
            self._run(call.paragraph, content, state, call.role)  # literal text, never markup

    def _strong(self, call: _InlineCall, position: int, state: _Inline) -> None:
        state.bold = call.children[position].type == "strong_open" or call.bold

    def _toggle(self, call: _InlineCall, position: int, state: _Inline) -> None:
        kind = call.children[position].type
        setattr(state, _TOGGLES[kind], kind.endswith("_open"))

    def _link_open(self, call: _InlineCall, position: int, state: _Inline) -> None:
        state.link = str(call.children[position].attrs.get("href", ""))
        state.hyperlink = (
            _start_hyperlink(call.paragraph, state.link) if _is_external(state.link) else None
        )

    def _link_close(self, call: _InlineCall, position: int, state: _Inline) -> None:
        state.link, state.hyperlink = None, None

    def _inline_image(self, call: _InlineCall, position: int, state: _Inline) -> None:
        image = call.children[position]
        self._picture(
            call.paragraph.add_run(),
            str(image.attrs.get("src", "")),
            call.base_dir,
            full_width=False,
            label=image.content,
        )

    def _footnote_ref(self, call: _InlineCall, position: int, state: _Inline) -> None:
        number = int(call.children[position].meta.get("id", 0)) + 1
        run = call.paragraph.add_run(f"[{number}]")
        run.font.superscript = True

    def _kept_runs(self, paragraph: Paragraph, text: str, state: _Inline) -> None:
        """Cell text in runs, each number, date, percentage, unit or code that could break
        written so that it cannot (``ooxml.add_unbroken_text``)."""
        for piece, kept in kept_together(text):
            if kept:
                run = self._run(paragraph, "", state, "table")._r
                ooxml.add_unbroken_text(run, piece, joiners=self.invisible)
            else:
                shown = break_opportunities(piece) if self.invisible else piece
                self._run(paragraph, shown, state, "table")

    def _run(self, paragraph: Paragraph, text: str, state: _Inline, role: str | None) -> Run:
        if not self.invisible:
            text = text.translate(_NO_INVISIBLE)
        run = paragraph.add_run(text)
        if role is not None:
            self._fonts(run, role)
        if self._red_title:
            run.font.color.rgb = RGBColor(0xC0, 0, 0)  # 发文机关标志 is red (GB/T 9704 7.2.4)
            run.font.size = Pt(self._mark_size or 26)
        run.bold = state.bold or None
        run.italic = state.italic or None
        run.font.strike = state.strike or None
        run.underline = state.underline or None
        if state.link is not None:
            run.underline = True
            run.font.color.rgb = RGBColor(0x1F, 0x4E, 0x99)
            if state.hyperlink is not None:
                state.hyperlink.append(run._r)
        if self.tracker is not None and state.source is not None:
            self.tracker.run(run._r, state.source)
        return run

    def _problem(self, message: str) -> None:
        """Record what was not written as it stands (TP701), at the block being written."""
        self.problems.append(OutputProblem("TP701", message, self._origin.ref(self._line)))


_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]++(?:-[A-Za-z0-9]++)+")
"""A code with a hyphen inside (BD-05, 2023-09-15) in body text. Linear in the text's length:
a match starts only where a run of letters and digits does, and never gives back what a run
took (a 200 KB line of letters took 4 minutes with ``[A-Za-z0-9]+(?:-…)+``)."""


def _codes(text: str) -> list[tuple[str, bool]]:
    """``text`` as pieces, True for each ``_CODE`` in it."""
    pieces: list[tuple[str, bool]] = []
    done = 0
    for match in _CODE.finditer(text) if "-" in text else ():
        if match.start() > done:
            pieces.append((text[done : match.start()], False))
        pieces.append((match.group(), True))
        done = match.end()
    if done < len(text) or not pieces:
        pieces.append((text[done:], False))
    return pieces


_NO_INVISIBLE = str.maketrans("", "", "\u2060\u200b")
"""WORD JOINER and ZERO WIDTH SPACE dropped from a text reviewers copy (``invisible``)."""

_GRID_ROLES = ("body", "heading1", "heading2", "heading3", "heading4")
"""Roles whose characters keep the 公文's 28-a-line grid."""

_CLOSERS = {
    "list_item_close", "paragraph_close", "heading_close", "table_close", "footnote_close",
    "footnote_block_close", "footnote_anchor", "inline",
}  # fmt: skip


def _breaks_page(token: Token) -> bool:
    """Whether a block starts a page of its own (a page break, an 附件, a landscape section)."""
    return token.type in (
        mdparser.PAGE_BREAK,
        "container_pagebreak_open",
        "container_attachment_open",
        "container_landscape_open",
    )


def _is_external(href: str) -> bool:
    return href.startswith(("http://", "https://", "mailto:"))


def _start_hyperlink(paragraph: Paragraph, href: str) -> BaseOxmlElement:
    """A ``w:hyperlink`` element (python-docx has no API for it); runs are moved inside."""
    rel_id = paragraph.part.relate_to(
        href,
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        is_external=True,
    )
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel_id)
    paragraph._p.append(hyperlink)
    return hyperlink
