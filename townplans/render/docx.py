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
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from markdown_it.token import Token
from PIL import Image, UnidentifiedImageError

from townplans import mdparser
from townplans.rawhtml import Cell, Grid, Slot, is_break, is_table
from townplans.render import htmltable, ooxml
from townplans.render.layout import (
    CELL_PADDING_PT,
    EMPTY_CELL,
    UNKNOWN,
    Origin,
    TablePlan,
    break_opportunities,
    caption_text,
    column_needs,
    heading_title,
    kept_together,
    local_file,
    missing_image,
    mm_to_pt,
    plan_table,
    softbreak,
    text_block,
    too_wide_message,
)
from townplans.render.ooxml import TocLine, add_field, set_fonts
from townplans.render.selfcheck import OutputProblem
from townplans.render.style import Style
from townplans.render.tokens import prepare

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
    link: str | None = None
    hyperlink: BaseOxmlElement | None = None


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
    plan: bool = False
    """A plan text (总体规划, 控规, 修规): headings ranked and styled as 章 / 节 / 条."""
    document: DocumentObject = field(init=False)
    problems: list[OutputProblem] = field(default_factory=list)
    table_captions: bool = False
    """Every table gets a number and title (表 1  标题), not only those with a “表：” line."""
    _lists: list[_ListLevel] = field(default_factory=list)
    _quote_depth: int = 0
    _containers: list[str] = field(default_factory=list)
    _figures: int = 0
    _pending_prefix: str = ""
    _first_in_attachment: bool = False
    _redhead_lines: int = 0
    _red_title: bool = False
    _dispatch: dict[str, Callable[[Sequence[Token], int, Path], int]] = field(default_factory=dict)
    _origin: Origin = UNKNOWN
    _line: int | None = None
    """0-based source line of the block being written, for problems."""
    _cell_formats: dict[str, BaseOxmlElement] = field(default_factory=dict)
    _run_fonts: dict[str, BaseOxmlElement] = field(default_factory=dict)
    _headings: int = 0
    """Headings written so far: the n-th carries bookmark ``_Toc_hn``, as the PDF's anchor hn."""
    _numbering: ooxml.Numbering | None = None
    _tables: int = 0
    _heading: str = ""
    """The text of the last heading, the title of a table without a caption of its own."""

    def __post_init__(self) -> None:
        self._dispatch = self._handlers()
        self.document = Document()
        self._page_setup(self.document.sections[0], landscape=False)
        self._styles()
        self.document.settings.odd_and_even_pages_header_footer = True
        self._page_numbers(self.document.sections[0])

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
        # The page number's dash sits 7 mm below the text block (GB/T 9704 7.5).
        section.footer_distance = Mm(max(style.margin_bottom_mm - 7 - 5, 5))
        self._grid(section)

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
        role = self.style.fonts["page_number"]
        indent = Pt(role.size)
        for footer, alignment in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
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

    def add_title(self, title: str) -> None:
        """A 公文 title (2号小标宋, centred) on the first page, no cover."""
        self.document.add_paragraph(title, style="Title")

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
        self, tokens: Sequence[Token], base_dir: Path, origin: Origin = UNKNOWN
    ) -> None:
        """Write a token stream; relative image paths resolve against ``base_dir``; problems name
        the place in ``origin``."""
        self._origin, self._line = origin, None
        prepared = prepare(tokens)
        self.problems += prepared.problems(origin)
        tokens = prepared.tokens
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index, base_dir)

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
        }

    def _heading_block(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        level = int(tokens[index].tag[1:])
        self._heading = mdparser.inline_text(tokens[index + 1])
        if self.plan:
            level = self.style.plan_rank(self._heading, level)
        if "attachment" in self._containers and level == 1:
            paragraph = self.document.add_paragraph(style="Title")
        else:
            paragraph = self.document.add_paragraph(style=f"Heading {min(max(level, 1), 6)}")
            self._apply_alignment(paragraph)
        self._inline(paragraph, tokens[index + 1], base_dir)
        self._headings += 1
        name = ooxml.bookmark_name(f"h{self._headings}")
        ooxml.add_bookmark(paragraph, name, self._headings)
        return index + 3

    def _paragraph(self, tokens: Sequence[Token], index: int, base_dir: Path) -> int:
        inline = tokens[index + 1]
        children = [child for child in inline.children or () if child.type != "softbreak"]
        if len(children) == 1 and children[0].type == "image" and not self._lists:
            self._figure(children[0], base_dir)
            return index + 3
        if inline.content.strip() in ("\\newpage", "\\pagebreak"):
            self._page_break()
            return index + 3
        paragraph = self.document.add_paragraph()
        self._list_paragraph(paragraph)
        prefix = self._pending_prefix
        self._pending_prefix = ""
        if self._quote_depth:
            paragraph.paragraph_format.left_indent = Pt(
                self.style.fonts["body"].size * 2 * self._quote_depth
            )
            paragraph.paragraph_format.first_line_indent = Pt(0)
        self._apply_alignment(paragraph)
        role = "caption" if "note" in self._containers else None
        if "title" in self._containers:
            paragraph.style = self.document.styles["Title"]
            role = None
        elif "redhead" in self._containers:
            role = self._redhead_paragraph(paragraph)
        if self._first_in_attachment:
            # "附件1" label: 3号黑体, flush left, first line of the page (GB/T 9704 7.3.7).
            self._first_in_attachment = False
            paragraph.paragraph_format.first_line_indent = Pt(0)
            role = "heading1"
        if prefix:
            paragraph.add_run(prefix)
        self._inline(paragraph, inline, base_dir, role=role)
        self._red_title = False
        return index + 3

    def _redhead_paragraph(self, paragraph: Paragraph) -> str | None:
        """发文机关标志 (first paragraph: red 小标宋) or 发文字号 (body font), both centred."""
        first = self._redhead_lines == 0
        self._redhead_lines += 1
        paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Pt(0)
        if first:
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.paragraph_format.space_before = Pt(28)
            paragraph.paragraph_format.space_after = Pt(self.style.line_spacing_pt)
            self._red_title = True
            return "title"
        return None

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
                self.document, self.style.fonts["body"], Pt(size * 2), Pt(size * 1.5)
            )
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
                self._page_break()
                self._first_in_attachment = name == "attachment"
            elif name == "landscape":
                self._new_section(landscape=True)
        else:
            if self._containers and self._containers[-1] == name:
                self._containers.pop()
            if name == "cover":
                self._page_break()
            elif name == "redhead":
                self._red_rule()
            elif name == "landscape":
                self._new_section(landscape=False)
        return index + 1

    def _new_section(self, landscape: bool) -> None:
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        self._page_setup(section, landscape)

    def _rule(self, color: str = "000000", size: int = 6) -> Paragraph:
        paragraph = self._plain("")
        ooxml.bottom_border(paragraph, color, size)
        return paragraph

    def _red_rule(self) -> None:
        """The red separator under the 版头, as wide as the text block (GB/T 9704 7.2.7)."""
        self._red_title = False
        self._redhead_lines = 0
        paragraph = self._rule("C00000", 12)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.paragraph_format.space_after = Pt(self.style.line_spacing_pt)

    def _plain(self, text: str) -> Paragraph:
        paragraph = self.document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(0)
        return paragraph

    def _page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # -- figures and tables ---------------------------------------------------------------------------

    def _figure(self, image: Token, base_dir: Path) -> None:
        source = str(image.attrs.get("src", ""))
        caption = image.content or str(image.attrs.get("title", "") or "")
        paragraph = self._plain("")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.paragraph_format.keep_with_next = True
        ooxml.no_grid(paragraph)
        self._picture(paragraph.add_run(), source, base_dir, full_width=True, label=caption)
        self._figures += 1
        caption_paragraph = self.document.add_paragraph(style="Caption")
        caption_paragraph.add_run("图 ")
        add_field(
            caption_paragraph, "SEQ 图 \\* ARABIC", self.style.fonts["caption"], str(self._figures)
        )
        if caption:
            caption_paragraph.add_run(f"  {caption}")

    def _picture(
        self, run: Run, source: str, base_dir: Path, full_width: bool, label: str = ""
    ) -> None:
        path = local_file(source, base_dir, self.root)
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
        try:
            run.add_picture(str(path), width=Mm(width * scale), height=Mm(height * scale))
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
            self._write_table(rows, self._plan(texts, columns), header, title)
        return end + 1

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
        self._write_table(rows, self._plan(htmltable.texts(grid), grid.columns), header, title)

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
        section = self.document.sections[-1]
        width_emu, _ = text_block(section)
        landscape = None
        if section.orientation != WD_ORIENT.LANDSCAPE:
            style = self.style
            landscape = mm_to_pt(style.height_mm - style.margin_left_mm - style.margin_right_mm)
        size = self.style.fonts["table"].size
        plan = plan_table(column_needs(texts, columns), size, width_emu / 12700, landscape)
        if plan.smaller or plan.overflows:
            self.problems.append(
                OutputProblem("TP708", too_wide_message(plan, size), self._origin.ref(self._line))
            )
        return plan

    def _write_table(
        self,
        rows: Sequence[Sequence[_Place]],
        plan: TablePlan,
        header: bool,
        title: str | None = None,
    ) -> None:
        """A Word table written row by row in one pass (``ooxml``), with the column widths, size
        and page of ``plan``, after its caption; ``header`` repeats the first row on every page."""
        if plan.landscape:
            self._new_section(landscape=True)
        if title is not None or self.table_captions:
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
        ooxml.set_cell_margins(table._tbl, CELL_PADDING_PT)
        for number, places in enumerate(rows):
            row = ooxml.add_row(table._tbl, header=header and number == 0)
            column = 0
            for place in places:
                width = sum(widths[column : column + place.colspan])
                cell = ooxml.add_cell(row, width, place.colspan, place.merge)
                column += place.colspan
                if place.fill is not None:
                    place.fill(_Cell(cell, table).paragraphs[0])
        if plan.smaller:
            for run in table._tbl.iter(qn("w:r")):
                Run(run, table).font.size = Pt(plan.font_pt)
        self._plain("")
        if plan.landscape:
            self._new_section(landscape=False)

    def _table_caption(self, title: str) -> None:
        """“表 1  标题” above the table, its number a ``SEQ 表`` field Word renumbers."""
        self._tables += 1
        paragraph = self.document.add_paragraph(style="Caption")
        paragraph.paragraph_format.keep_with_next = True
        prefix, _, rest = caption_text(self._tables, title).partition(str(self._tables))
        paragraph.add_run(prefix)
        add_field(paragraph, "SEQ 表 \\* ARABIC", self.style.fonts["caption"], str(self._tables))
        if rest:
            paragraph.add_run(rest)

    def _cell_format(self, paragraph: Paragraph, align: str | None) -> None:
        """Single spacing, no indent, aligned: copied from one formatted paragraph per alignment,
        because python-docx builds ``w:pPr`` child by child and a large table has thousands."""
        key = align or ""
        if key not in self._cell_formats:
            scratch = Paragraph(OxmlElement("w:p"), paragraph._parent)
            fmt = scratch.paragraph_format
            fmt.first_line_indent = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            fmt.alignment = _ALIGN.get(key, WD_ALIGN_PARAGRAPH.LEFT)
            ooxml.no_autospace(scratch._p.get_or_add_pPr())
            ooxml.no_grid(scratch)  # a cell's lines keep their height, not the body's pitch
            self._cell_formats[key] = scratch._p.get_or_add_pPr()
        paragraph._p.insert(0, deepcopy(self._cell_formats[key]))

    def _fonts(self, run: Run, role: str) -> None:
        """``set_fonts`` for a run, copied from one run set up per role (as ``_cell_format``)."""
        if role not in self._run_fonts:
            scratch = Run(OxmlElement("w:r"), run._parent)
            set_fonts(scratch, self.style.fonts[role])
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
        state = _Inline(bold=bold)
        children = inline.children or []
        for position, child in enumerate(children):
            kind = child.type
            if kind == "text" and role == "table":
                self._kept_runs(paragraph, child.content, state)
            elif kind == "text":
                self._run(paragraph, child.content, state, role)
            elif kind == "code_inline":
                run = self._run(paragraph, child.content, state, "code")
                run.font.size = Pt(self.style.fonts[role or "body"].size)
            elif kind == "softbreak":
                before = children[position - 1].content[-1:] if position else ""
                after = children[position + 1].content[:1] if position + 1 < len(children) else ""
                if softbreak(before, after):
                    self._run(paragraph, " ", state, role)
            elif kind == "hardbreak" or (kind == "html_inline" and is_break(child.content)):
                paragraph.add_run().add_break()
            elif kind == "html_inline":
                self._run(paragraph, child.content, state, role)  # literal text, never markup
            elif kind in ("strong_open", "strong_close"):
                state.bold = kind == "strong_open" or bold
            elif kind in ("em_open", "em_close"):
                state.italic = kind == "em_open"
            elif kind in ("s_open", "s_close"):
                state.strike = kind == "s_open"
            elif kind == "link_open":
                state.link = str(child.attrs.get("href", ""))
                state.hyperlink = (
                    _start_hyperlink(paragraph, state.link) if _is_external(state.link) else None
                )
            elif kind == "link_close":
                state.link, state.hyperlink = None, None
            elif kind == "image":
                self._picture(
                    paragraph.add_run(),
                    str(child.attrs.get("src", "")),
                    base_dir,
                    full_width=False,
                    label=child.content,
                )
            elif kind == "footnote_ref":
                run = paragraph.add_run(f"[{int(child.meta.get('id', 0)) + 1}]")
                run.font.superscript = True
            elif kind == "footnote_anchor":
                continue
            else:
                self._problem(f"未支持的行内结构“{kind}”，内容未输出")

    def _kept_runs(self, paragraph: Paragraph, text: str, state: _Inline) -> None:
        """Cell text in runs, each number, date, percentage, unit or code that could break
        written so that it cannot (``ooxml.add_unbroken_text``)."""
        for piece, kept in kept_together(text):
            if kept:
                ooxml.add_unbroken_text(self._run(paragraph, "", state, "table")._r, piece)
            else:
                self._run(paragraph, break_opportunities(piece), state, "table")

    def _run(self, paragraph: Paragraph, text: str, state: _Inline, role: str | None) -> Run:
        run = paragraph.add_run(text)
        if role is not None:
            self._fonts(run, role)
        if self._red_title:
            run.font.color.rgb = RGBColor(0xC0, 0, 0)  # 发文机关标志 is red (GB/T 9704 7.2.4)
            run.font.size = Pt(26)
        run.bold = state.bold or None
        run.italic = state.italic or None
        run.font.strike = state.strike or None
        if state.link is not None:
            run.underline = True
            run.font.color.rgb = RGBColor(0x1F, 0x4E, 0x99)
            if state.hyperlink is not None:
                state.hyperlink.append(run._r)
        return run

    def _problem(self, message: str) -> None:
        """Record what was not written as it stands (TP701), at the block being written."""
        self.problems.append(OutputProblem("TP701", message, self._origin.ref(self._line)))


_CLOSERS = {
    "list_item_close", "paragraph_close", "heading_close", "table_close", "footnote_close",
    "footnote_block_close", "footnote_anchor", "inline",
}  # fmt: skip


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
