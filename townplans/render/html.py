"""markdown-it tokens -> an HTML page for print, from the same tokens the DOCX writer reads.

Raw HTML is never passed through: a raw table is rebuilt from the safe subset in ``rawhtml``;
every other piece of raw HTML is escaped and shows as its literal text. A paragraph holding only an
image becomes a numbered ``<figure>`` (in a plan's text a drawing on a page of its own, sized by
``figures``); headings get ids so the table of contents can print page numbers
(``target-counter``) and WeasyPrint makes PDF bookmarks from them. Block elements from a town's
file carry ``data-src="<path>:<line>"`` (``source_attribute``), which WeasyPrint ignores and
``townplans serve`` places its finding notes by.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from townplans import mdparser
from townplans.rawhtml import Grid, Slot, is_break, is_table
from townplans.render import figures, htmltable
from townplans.render.layout import (
    BARE_AMOUNT,
    BULLETS,
    EMPTY_CELL,
    HANGING_PUNCTUATION,
    UNGAPPED_CONTAINERS,
    UNKNOWN,
    Origin,
    TableFamilies,
    TablePlan,
    amount_of,
    break_opportunities,
    caption_text,
    cell_em,
    column_needs,
    gfm_table_texts,
    heading_names_its_table,
    heading_title,
    held_tail,
    issuer_flush_right,
    kept_in_body,
    kept_together,
    kept_with_previous,
    local_file,
    missing_image,
    mm_to_pt,
    natural_em,
    percentages,
    plan_in_family,
    plan_table,
    room_em,
    script_gaps,
    softbreak,
    table_after_heading,
    table_families,
    table_label,
    table_note,
    too_wide_message,
)
from townplans.render.selfcheck import OutputProblem
from townplans.render.tokens import prepare
from townplans.render.words import Lexicon, words

WORKSPACE = "workspace"
TEMPLATES = "templates"
"""URL schemes for local resources in the print HTML: ``workspace:towns/…`` and
``templates:fonts/…``. They name files relative to their folder, so the PDF does not depend on
where the workspace sits (WeasyPrint names images by a hash of their URL), and the PDF fetcher
serves only these two folders."""


FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")
"""Font files a district may put in templates/fonts/."""


def font_faces(folder: Path) -> str:
    """@font-face rules for the fonts in templates/fonts/ (the shipped Fandol faces, a district's
    own), by their family names and weight."""
    rules = []
    for path, family, bold in font_files(folder):
        url = resource_url(TEMPLATES, f"fonts/{path.name}")
        weight = "bold" if bold else "normal"
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{url}"); }}'
        )
    return "\n".join(rules)


def font_files(folder: Path) -> list[tuple[Path, str, bool]]:
    """The font files in ``folder``, each with its family name and whether it is a bold face.

    The family is the typographic one (name ID 16) where the font has it: FandolFang's legacy
    family is "FandolFang R". A bold face (FandolSong Bold) says so in its style bits, not its
    weight class, and is declared bold so that a bold role takes it as it is instead of
    emboldening it again."""
    if not folder.is_dir():
        return []
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency

    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        try:
            font = TTFont(str(path), fontNumber=0, lazy=True)
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1) or path.stem
            os2 = font.get("OS/2")
            bold = bool(
                font["head"].macStyle & 1
                or (os2 is not None and (os2.fsSelection & 0x20 or os2.usWeightClass >= 600))
            )
        except Exception:  # noqa: BLE001 - a broken font file must not stop the build
            family, bold = path.stem, False
        found.append((path, family, bold))
    return found


def metadata(author: str, subject: str, stamp: dt.datetime) -> str:
    """The ``<meta>`` elements WeasyPrint writes into the PDF's Info (/Author, /Subject,
    /CreationDate, /ModDate) and, for PDF/A, its XMP (dc:creator, dc:description, xmp:CreateDate):
    the issuing body, what the document is, and the content's own date (``source_stamp``), so the
    same content gives the same PDF."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    found = [("author", author), ("description", subject)]
    found += [("dcterms.created", when), ("dcterms.modified", when)]
    return "".join(
        f'<meta name="{name}" content="{escape(value)}">' for name, value in found if value
    )


def resource_url(scheme: str, relative: str) -> str:
    return f"{scheme}:{quote(relative)}"


@dataclass
class _OpenList:
    """A list being written: numbered or bulleted, and its next item's number."""

    ordered: bool
    number: int


@dataclass
class TocEntry:
    level: int
    text: str
    anchor: str


_NOTE_TOKENS = frozenset({"paragraph_open", "paragraph_close"})
"""Top-level tokens that stay in a landscape table's frame: the paragraphs under the table."""


class _PrintRenderer(RendererHTML):
    """The stock renderer with figures, heading ids and safe raw HTML."""

    def __init__(
        self, page: TablePage | None = None, rank: Callable[[str, int], int] | None = None
    ) -> None:
        shared = mdparser.parser()
        super().__init__(shared)
        # Plugins (containers, footnotes) register their render rules on the shared parser's
        # renderer; take those this class does not override.
        assert isinstance(shared.renderer, RendererHTML)
        for name, rule in shared.renderer.rules.items():
            self.rules.setdefault(name, rule)
        self.figures = 0
        self.page = page or TablePage()
        self.tables = 0
        self.heading = ""
        """The text of the last heading, the title of a table without a caption of its own."""
        self.landscape = 0
        """How many ``::: landscape`` containers the renderer is in."""
        self.in_cell = False
        self.column_em: list[float] = []
        """How many ems of text a line of each column of the table being written holds."""
        self.column = -1
        self.row = -1
        self.kept_rows: frozenset[int] = frozenset()
        """Rows of the table being written that stay on the page of the row above
        (``layout.kept_with_previous``): a total and the rows it sums."""
        self.cell_words: Lexicon | None = None
        self.cell_room = 0.0
        """The width of the current cell's column(s), in ems of the table font."""
        """The lexicon whose words the cell being written keeps whole: set when its text does
        not fit on one line of its column."""
        self.after_table = ""
        self.open_frame = ""
        """The closing of a top-level table's landscape frame, written before the next block that
        is not a paragraph: a note under the table stays on its landscape page, as in Word
        (a paragraph outside the frame would open a portrait page of its own)."""
        self.turned_heading = False
        """A landscape frame was opened before the heading of the table about to be written."""
        self.toc: list[TocEntry] = []
        self.problems: list[OutputProblem] = []
        self.origin = UNKNOWN
        """Where the part being rendered comes from, for problems."""
        for name in ("container_landscape_open", "container_landscape_close"):
            self.rules[name] = self._counting(self.rules[name], "landscape")
        self.ungapped = 0
        """How many containers whose text Word sets without space between CJK and Latin text
        (``docx.ooxml.no_autospace``: the title, the 署名 and 成文日期) the renderer is in."""
        for container in UNGAPPED_CONTAINERS:
            for kind in (f"container_{container}_open", f"container_{container}_close"):
                self.rules[kind] = self._counting(self.rules[kind], "ungapped")
        self._attachment_note = False
        self.rank = rank
        """A plan text's heading rank (章 1, 节 2, 条 3) from its text and Markdown level."""
        self.families: TableFamilies = {}
        """The document's tables that share a head row (``layout.table_families``)."""
        self._open_headings: list[str] = []
        self._last_text: Token | None = None
        self._lists: list[_OpenList] = []
        """The lists the renderer is in, the innermost last."""
        self._marker = ""
        """An item's marker, written at the start of its first paragraph's text."""

    def paragraph_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        source = self.source_attribute(tokens[idx])
        # The paragraph's last text keeps its last characters together (``kept_in_body``).
        inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
        children = inline.children or [] if inline is not None else []
        self._last_text = children[-1] if children and children[-1].type == "text" else None
        if FIGURE in tokens[idx].meta:
            drawing = tokens[idx].meta.get(DRAWING)
            classes = f' class="drawing drawing-{drawing}"' if drawing else ""
            return f"<figure{classes}{source}>"
        if table_label(tokens, idx):
            return f'<p class="table-label"{source}>'
        if table_note(tokens, idx):
            return f'<p class="table-note"{source}>'
        return _with_attribute(super().renderToken(tokens, idx, options, env), source)

    def bullet_list_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        self._lists.append(_OpenList(ordered=False, number=1))
        return self.renderToken(tokens, idx, options, env)

    def ordered_list_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        start = int(tokens[idx].attrs.get("start", 1) or 1)
        self._lists.append(_OpenList(ordered=True, number=start))
        return self.renderToken(tokens, idx, options, env)

    def bullet_list_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        self._lists.pop()
        return self.renderToken(tokens, idx, options, env)

    ordered_list_close = bullet_list_close

    def list_item_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """The item with its marker as text of its first line (``_item_marker``): at the start
        of its first paragraph's text, or on its own when the item opens with something else."""
        html = self.renderToken(tokens, idx, options, env)
        marker = self._item_marker()
        if idx + 1 < len(tokens) and tokens[idx + 1].type == "paragraph_open":
            self._marker = marker
            return html
        return html + marker

    def _item_marker(self) -> str:
        """The next item's number (“1.”, from the list's start, as Word numbers it) or its
        level's bullet, in a box as wide as Word's hanging indent: the text after it starts
        where the item's next lines do, however wide the number (review29 #16: the first line's
        text began at 105–113 pt after a number the justification widened, the next lines at
        111.4). The marker stays text on the line, not a box drawn beside it: pdftotext, and a
        reader copying the page, then read it where it stands (outside markers were read as a
        column of their own and put inside another paragraph's text)."""
        current = self._lists[-1]
        if current.ordered:
            label = f"{current.number}."
            current.number += 1
        else:
            label = BULLETS[(len(self._lists) - 1) % len(BULLETS)]
        return f'<span class="marker">{label} </span>'

    def renderToken(  # noqa: N802 - markdown-it's name
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """Block openings without a rule of their own (lists, items, quotes, table rows) with
        their source line."""
        html = super().renderToken(tokens, idx, options, env)
        token = tokens[idx]
        return _with_attribute(html, self.source_attribute(token)) if token.nesting == 1 else html

    def source_attribute(self, token: Token) -> str:
        """`` data-src="<path>:<line>"`` for a block of a town's own file (not of a generated
        part, whose lines are not its template's); empty otherwise."""
        if not token.block or token.map is None or self.origin.generated or not self.origin.path:
            return ""
        return f' data-src="{escape(self.origin.path)}:{token.map[0] + 1}"'

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        html = _code_in_pieces(super().fence(tokens, idx, options, env))
        return _with_attribute(html, self.source_attribute(tokens[idx]))

    def code_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        html = _code_in_pieces(super().code_block(tokens, idx, options, env))
        return _with_attribute(html, self.source_attribute(tokens[idx]))

    def paragraph_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        if idx >= 2 and FIGURE in tokens[idx - 2].meta:
            self.figures += 1
            caption = escape(tokens[idx - 2].meta[FIGURE])
            return f"<figcaption>图 {self.figures}  {caption}</figcaption></figure>\n"
        return super().renderToken(tokens, idx, options, env)

    def page_break(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return '<div class="pagebreak"></div>\n'

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        """As markdown-it renders, but an ``inline`` token through ``inline`` below: markdown-it
        renders inline tokens itself and never calls a rule of that name."""
        parts = []
        for i, token in enumerate(tokens):
            if token.level == 0 and token.type not in _NOTE_TOKENS:
                parts.append(self._close_frame())
            if token.type == "inline":
                parts.append(self.inline(tokens, i, options, env))
            elif token.type in self.rules:
                parts.append(self.rules[token.type](tokens, i, options, env))
            else:
                parts.append(self.renderToken(tokens, i, options, env))
        parts.append(self._close_frame())
        return "".join(parts)

    def _close_frame(self) -> str:
        """The pending closing of a landscape table frame (``open_frame``), once."""
        closing, self.open_frame = self.open_frame, ""
        return closing

    def inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        marker, self._marker = self._marker, ""
        if tokens[idx].content.strip() in ("\\newpage", "\\pagebreak"):
            return marker
        html = self.renderInline(tokens[idx].children or [], options, env)
        return marker + (_attachment_item(html) if self._attachment_note else html)

    def softbreak(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """A line break in the source: nothing between CJK characters, as in the Word output
        (``layout.softbreak``); the browser's own rule would print a space there."""
        before = tokens[idx - 1].content[-1:] if idx else ""
        after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) else ""
        return "\n" if softbreak(before, after) else ""

    def text(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if self.in_cell:
            return kept_html(tokens[idx].content, self.cell_words, self.cell_room)
        if self._attachment_note:  # its label and number are matched at the start of the text
            return in_pieces(escape(tokens[idx].content))
        content = tokens[idx].content
        if self.ungapped:
            gaps: tuple[bool, ...] = (False,) * len(content)
        else:
            previous = _text_before(tokens, idx)
            gaps = script_gaps(previous + content)[len(previous) :]
        return _body_html(content, gaps, last=tokens[idx] is self._last_text)

    def heading_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        anchor = f"h{len(self.toc) + 1}"
        level = int(tokens[idx].tag[1:])
        text = mdparser.inline_text(tokens[idx + 1])
        self.heading = text
        if self.rank is not None:
            level = min(max(self.rank(text, level), 1), 6)
        self.toc.append(TocEntry(level, text, anchor))
        self._open_headings.append(f"h{level}")
        drawing = tokens[idx].meta.get(DRAWING)
        source = self.source_attribute(tokens[idx])
        if drawing:  # the heading goes onto the page of the drawing it stands before
            return f'<h{level} id="{anchor}" class="drawing-head drawing-{drawing}"{source}>'
        # The heading goes onto the landscape page of the table it stands before.
        turned = self._turns_page(tokens, idx)
        return f'{turned}<h{level} id="{anchor}"{source}>'

    def _turns_page(self, tokens: Sequence[Token], idx: int) -> str:
        """The landscape frame opened before the heading at ``idx`` when the table it heads is
        set on a landscape page (the table's frame then opens none), else nothing."""
        at = table_after_heading(tokens, idx)
        if at is None or self.landscape:
            return ""
        rows = gfm_table_texts(tokens, at)
        if not self._planned(rows, max((len(row) for row in rows), default=0)).landscape:
            return ""
        self.turned_heading = True
        return '<div class="landscape">'

    def heading_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        tag = self._open_headings.pop() if self._open_headings else tokens[idx].tag
        return f"</{tag}>\n"

    def table_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        rows = gfm_table_texts(tokens, idx)
        columns = max((len(row) for row in rows), default=0)
        self.row = -1
        title = tokens[idx].meta.get("caption")
        opening, self.after_table = self.table_frame(rows, columns, title, tokens[idx].map)
        close = next(n for n in range(idx, len(tokens)) if tokens[n].type == "table_close")
        noted = table_note(tokens, close + 1)
        self.kept_rows = kept_with_previous(rows, 1, self.column_em, noted)
        return _with_attribute(opening, self.source_attribute(tokens[idx]), _TABLE) + "\n"

    def table_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        closing, self.after_table = self.after_table, ""
        if closing and tokens[idx].level == 0:
            self.open_frame, closing = closing, ""
        return "</table>\n" + closing

    def table_frame(
        self, rows: Sequence[Sequence[str]], columns: int, title: str | None, block: Any = None
    ) -> tuple[str, str]:
        """A table's opening (its page, caption, font size and column widths, from its content)
        and what follows its ``</table>``."""
        plan = self.plan(rows, columns, block[0] if block else None)
        before, after = ('<div class="landscape">', "</div>\n") if plan.landscape else ("", "")
        if plan.landscape and self.turned_heading:
            before = ""  # opened before the table's heading (``_turns_page``)
        self.turned_heading = False
        if title is not None or (self.page.captions and not heading_names_its_table(self.heading)):
            self.tables += 1
            text = caption_text(
                self.tables, title if title is not None else heading_title(self.heading)
            )
            before += f'<p class="table-caption">{escape(text)}</p>\n'
        size = f' style="font-size:{plan.font_pt:g}pt"' if plan.resized else ""
        return f"{before}<table{size}>{colgroup(plan)}", after

    def _planned(self, rows: Sequence[Sequence[str]], columns: int) -> TablePlan:
        """The layout of a table with ``rows`` on the current page (``layout.plan_table``)."""
        page = self.page
        landscape = self.landscape > 0

        def plan(rows: Sequence[Sequence[str]]) -> TablePlan:
            return plan_table(
                column_needs(rows, columns, page.lexicon),
                page.font_pt,
                mm_to_pt(page.landscape_mm if landscape else page.portrait_mm),
                None if landscape else mm_to_pt(page.landscape_mm),
                rows,
                page.lexicon,
            )

        return plan_in_family(rows, self.families, plan)

    def plan(self, rows: Sequence[Sequence[str]], columns: int, line: int | None) -> TablePlan:
        page = self.page
        plan = self._planned(rows, columns)
        if plan.smaller or plan.overflows:
            self.problems.append(
                OutputProblem("TP708", too_wide_message(plan, page.font_pt), self.origin.ref(line))
            )
        self.column_em = room_em(plan)
        return plan

    def tr_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        self.column = -1
        self.row += 1
        return '<tr class="keep">\n' if self.row in self.kept_rows else "<tr>\n"

    def _enter_cell(self, tokens: Sequence[Token], idx: int) -> str:
        """A GFM cell's opening; its words are kept whole when its text wraps (``cell_words``)."""
        self.in_cell = True
        self.column += 1
        inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
        text = (
            mdparser.inline_text(inline) if inline is not None and inline.type == "inline" else ""
        )
        self.cell_words = _wrapping(text, self.column_em, self.column, 1, self.page.lexicon)
        self.cell_room = _room(self.column_em, self.column, 1)
        return _cell_open(tokens[idx])

    def th_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._enter_cell(tokens, idx)

    def td_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._enter_cell(tokens, idx)

    def th_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        self.in_cell = False
        return "</th>\n"

    def td_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        self.in_cell = False
        return "</td>\n"

    def _counting(self, rule: Any, depth: str) -> Any:
        """The container's own rule, counting in the attribute ``depth`` how deep the renderer is
        in such containers (``landscape``: landscape pages; ``ungapped``: text set without the
        CJK–Latin space)."""

        def render(tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            setattr(self, depth, getattr(self, depth) + (1 if tokens[idx].nesting > 0 else -1))
            return str(rule(tokens, idx, options, env))

        return render

    def container_attachments_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """The 公文's 附件说明: its "附件：" and each number in boxes one and three characters
        wide (the 公文's CSS), so that the names, wrapped lines included, line up."""
        self._attachment_note = True
        closing = next(
            (i for i in range(idx, len(tokens)) if tokens[i].type == "container_attachments_close"),
            len(tokens),
        )
        items = sum(1 for t in tokens[idx:closing] if t.type == "paragraph_open")
        return f'<div class="attachments{" several" if items > 1 else ""}">\n'

    def container_signature_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """The 公文's 署名 and 成文日期: the 署名 centred over the date, or flush right when
        centred it would reach past the 版心 (``gongwen.issuer_flush_right``)."""
        closing = next(
            (i for i in range(idx, len(tokens)) if tokens[i].type == "container_signature_close"),
            len(tokens),
        )
        lines = [mdparser.inline_text(t) for t in tokens[idx:closing] if t.type == "inline"]
        flush = len(lines) >= 2 and issuer_flush_right(lines[0], lines[1])
        return f'<div class="signature{" flush" if flush else ""}">\n'

    def container_attachments_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        self._attachment_note = False
        return "</div>\n"

    def html_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        content = tokens[idx].content
        if is_table(content):
            block = tokens[idx].map
            grid, problems = htmltable.table(content, self.origin, block[0] if block else None)
            self.problems += problems
            if grid.rows:
                title = tokens[idx].meta.get("caption")
                opening, closing = self.table_frame(
                    htmltable.texts(grid), grid.columns, title, block
                )
                source = self.source_attribute(tokens[idx])
                html = table_html(grid, opening, self.column_em, self.page.lexicon)
                return _with_attribute(html, source, _TABLE) + closing
        source = self.source_attribute(tokens[idx])
        return f'<p class="raw-html"{source}>{escape(content.rstrip())}</p>\n'

    def html_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        content = tokens[idx].content
        return "<br>" if is_break(content) else escape(content)


_OPENING = re.compile(r"<[a-z][a-z0-9]*")
_TABLE = re.compile(r"<table\b")


def _with_attribute(html: str, attribute: str, tag: re.Pattern[str] = _OPENING) -> str:
    """``html`` with ``attribute`` added to its first opening tag (the first ``<table`` when
    ``tag`` is ``_TABLE``: a caption or a landscape frame may come before it)."""
    found = tag.search(html) if attribute else None
    return html[: found.end()] + attribute + html[found.end() :] if found else html


_ATTACHMENT_ITEM = re.compile(r"^(附件：)?(\d+\.)?")


def _attachment_item(html: str) -> str:
    """An item of the 附件说明 ("附件：1.名称", "2.名称", or "附件：名称") with its label and number
    in boxes of their own."""
    found = _ATTACHMENT_ITEM.match(html)
    label, number = (found.group(1) or "", found.group(2) or "") if found else ("", "")
    boxes = f'<span class="label">{label}</span>'
    if number:
        boxes += f'<span class="number">{number}</span>'
    return boxes + html[len(label) + len(number) :]


def table_html(
    grid: Grid,
    opening: str = "<table>",
    column_em: Sequence[float] = (),
    lexicon: Lexicon | None = None,
) -> str:
    """A raw-HTML table rebuilt from its safe parts (spans, alignment, bold text, line breaks)
    after ``opening`` (its caption, ``<table>`` and column widths); a cell that wraps in its
    columns (``column_em`` ems a line) keeps the words of ``lexicon`` whole."""

    def cell(slot: Slot) -> str:
        text = slot.cell.text if slot.cell is not None else ""
        words = _wrapping(text, column_em, slot.column, slot.colspan, lexicon)
        return _cell_html(slot, words, _room(column_em, slot.column, slot.colspan))

    header = sum(1 for row in grid.rows if all(s.cell is None or s.cell.header for s in row))
    kept = kept_with_previous(htmltable.texts(grid), header, column_em)
    body = "".join(
        ('<tr class="keep">' if number in kept else "<tr>")
        + "".join(cell(slot) for slot in row if slot.cell is not None)
        + "</tr>"
        for number, row in enumerate(grid.rows)
    )
    opening = opening.replace("<table", '<table class="html-table"', 1)
    return f"{opening}<tbody>{body}</tbody></table>\n"


def _wrapping(
    text: str, column_em: Sequence[float], column: int, span: int, lexicon: Lexicon | None
) -> Lexicon | None:
    """``lexicon`` when ``text`` does not fit on one line of its column(s), else None: a cell
    on one line needs no word kept whole (and no span for each)."""
    room = _room(column_em, column, span)
    if lexicon is None or not text or (room > 0 and natural_em(text) <= room):
        return None
    return lexicon


def _room(column_em: Sequence[float], column: int, span: int) -> float:
    """The width of a cell's column(s), in ems; nought when the columns are not known."""
    return sum(column_em[column : column + span]) if 0 <= column < len(column_em) else 0.0


def kept_html(text: str, lexicon: Lexicon | None = None, room: float = 0.0) -> str:
    """Cell text with every number, date, percentage, unit or code that could break, and every
    word of ``lexicon`` (given for a cell that wraps), in a ``nowrap`` span, so it prints on
    one line; a bare amount with the word before it, when the two fit the cell's ``room`` ems
    (``layout.line_starts``); the last character with the word before it (``held_tail``). A
    span is markup, not a character: the copied text is the text."""
    pieces = kept_together(text)
    return "".join(
        f'<span class="nobr">{escape(piece)}</span>'
        if kept
        else _words_html(break_opportunities(piece), lexicon, room, last=n == len(pieces) - 1)
        for n, (piece, kept) in enumerate(pieces)
    )


def _words_html(text: str, lexicon: Lexicon | None, room: float = 0.0, last: bool = False) -> str:
    """Escaped ``text``, each word of two or more characters of ``lexicon`` in a ``nowrap``
    span (a line may still break between two words, as between any CJK characters); the
    ``last`` text of a cell with its last character held to the word before it."""
    if lexicon is None:
        return in_pieces(escape(text))
    pieces = with_amounts(words(text, lexicon), room)
    held = held_tail(pieces, room) if last else 1
    if held > 1:
        pieces = [*pieces[:-held], "".join(pieces[-held:])]
    return "".join(
        f'<span class="nobr">{escape(word)}</span>' if len(word) > 1 else escape(word)
        for word in pieces
    )


def with_amounts(pieces: Sequence[str], room: float) -> list[str]:
    """``pieces`` (words and single characters) with each bare amount (“400；”) joined to the
    word before it, when the two fit ``room`` ems: where ``layout.line_starts`` keeps them."""
    joined: list[str] = []
    index = 0
    while index < len(pieces):
        word, end = pieces[index], index + 1
        while end < len(pieces) and BARE_AMOUNT.fullmatch("".join(pieces[index + 1 : end + 1])):
            end += 1
        amount = "".join(pieces[index + 1 : end])
        fits = room > 0 and cell_em(word + amount) <= room
        if amount and amount_of(word, amount) and fits:
            joined.append(word + amount)
            index = end
        else:
            joined.append(word)
            index += 1
    return joined


LONG_RUN_CHARS = 2_000
"""Text longer than this (a paragraph is about 500 characters) reaches WeasyPrint in pieces."""
RUN_PIECE_CHARS = 1_000
"""The least length of such a piece: each is cut at the first place after this many characters
where a line may break anyway."""
_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_BETWEEN_IDEOGRAPHS = re.compile(f"(?<=[{_IDEOGRAPH}])(?=[{_IDEOGRAPH}])")


GAP = '<span class="gap"> </span>'
"""The space Word and LibreOffice put between CJK and Latin text: a space sized to
``LATIN_GAP_EM`` (``.gap``), which, as theirs, a line neither starts nor ends with."""


def _body_html(content: str, gaps: Sequence[bool], last: bool) -> str:
    """A text of body text as HTML: its pieces kept on one line (``kept_in_body``) in
    ``.nobr`` boxes, a ``GAP`` before each character ``gaps`` marks, and when it ends the
    paragraph (``last``) its last 。，、． in a ``.hang`` box, which may stand in the margin as in
    Word and LibreOffice."""
    pieces = kept_in_body(content, last)
    html = []
    done = 0
    for number, (piece, kept) in enumerate(pieces):
        hung = ""
        if last and number == len(pieces) - 1 and piece[-1:] in HANGING_PUNCTUATION:
            piece, hung = piece[:-1], f'<span class="hang">{piece[-1]}</span>'
        spaced = gaps[done : done + len(piece)]
        done += len(piece) + (1 if hung else 0)
        # a space before the piece stays outside its box: a line may break there
        opening = GAP if spaced and spaced[0] else ""
        text = _spaced(piece, (False, *spaced[1:]) if piece else ())
        if kept:
            html.append(f'{opening}<span class="nobr">{text}{hung}</span>')
        else:
            html.append(opening + in_pieces(text) + hung)
    return "".join(html)


def _text_before(tokens: Sequence[Token], idx: int) -> str:
    """The character printed right before the inline token at ``idx`` (across emphasis and
    links: “至**95**栋” spaces both sides of 95), or "" at a line break or the paragraph's start."""
    for token in reversed(tokens[:idx]):
        if token.type in ("text", "code_inline"):
            return token.content[-1:]
        if not token.type.endswith(("_open", "_close")):
            return ""
    return ""


def _spaced(text: str, gaps: Sequence[bool]) -> str:
    """``text`` escaped, with a ``GAP`` before each character ``layout.script_gaps`` marks."""
    if not any(gaps):
        return escape(text)
    return "".join(
        f"{GAP}{escape(char)}" if gap else escape(char)
        for char, gap in zip(text, gaps, strict=True)
    )


def in_pieces(html: str) -> str:
    """Escaped text as it is or, when longer than ``LONG_RUN_CHARS``, as ``<span>`` pieces cut
    between two CJK ideographs, where a line may break anyway, so the lines come out the same.

    WeasyPrint encodes a text box's whole text to UTF-8 again for every line it takes from it
    (``split_text_box``, ``skip_first_whitespace``): a paragraph of 170,000 Chinese characters,
    about 7,700 lines, took 9 s to lay out, four times what half of it took. Pieces of about a
    thousand characters make each line's cost its piece's, not the paragraph's. A run with no
    such place (170,000 “a”) stays whole: its bytes are ASCII, which encode at memory speed.
    """
    if len(html) <= LONG_RUN_CHARS:
        return html
    pieces: list[str] = []
    start = 0
    while len(html) - start > LONG_RUN_CHARS:
        cut = _BETWEEN_IDEOGRAPHS.search(html, start + RUN_PIECE_CHARS)
        if cut is None:
            break
        pieces.append(html[start : cut.start()])
        start = cut.start()
    if not pieces:
        return html
    pieces.append(html[start:])
    return "".join(f"<span>{piece}</span>" for piece in pieces)


def _code_in_pieces(html: str) -> str:
    """A rendered code block (``<pre><code …>text</code></pre>``) with its text ``in_pieces``."""
    start = html.find(">", html.find("<code")) + 1
    end = html.rfind("</code>")
    if start <= 0 or end < start:
        return html
    return html[:start] + in_pieces(html[start:end]) + html[end:]


def _cell_open(token: Token) -> str:
    """A GFM cell's opening tag, its alignment as a class: WeasyPrint parses a ``style`` attribute
    once per cell, which a table of thousands of cells pays for noticeably."""
    style = str(token.attrs.get("style", "") or "")
    align = style.removeprefix("text-align:") if style.startswith("text-align:") else ""
    return f'<{token.tag} class="align-{align}">' if align in _ALIGNMENTS else f"<{token.tag}>"


_ALIGNMENTS = ("left", "center", "right")


def _cell_html(slot: Slot, lexicon: Lexicon | None = None, room: float = 0.0) -> str:
    cell = slot.cell
    assert cell is not None
    tag = "th" if cell.header else "td"
    attributes = ""
    if slot.rowspan > 1:
        attributes += f' rowspan="{slot.rowspan}"'
    if slot.colspan > 1:
        attributes += f' colspan="{slot.colspan}"'
    if cell.align:
        attributes += f' class="align-{cell.align}"'
    lines = [
        "".join(
            f"<strong>{kept_html(text, lexicon, room)}</strong>"
            if bold
            else kept_html(text, lexicon, room)
            for text, bold in line
        ).strip()
        for line in cell.lines
    ]
    shown = "<br>".join(line for line in lines if line)
    if not shown and not cell.header:
        shown = EMPTY_CELL
    return f"<{tag}{attributes}>{shown}</{tag}>"


def colgroup(plan: TablePlan) -> str:
    """Column widths as percentages of the text block, the widths the Word tables get."""
    return (
        "<colgroup>"
        + "".join(f'<col style="width:{share}%">' for share in percentages(plan.widths))
        + "</colgroup>"
    )


@dataclass(frozen=True, slots=True)
class HtmlPart:
    """One Markdown token stream, the folder its relative links resolve against, and where it
    comes from (for problems)."""

    tokens: Sequence[Token]
    base_dir: Path
    root: Path
    origin: Origin = UNKNOWN
    drawings: bool = False
    """A plan's text: every figure is a drawing on a page of its own (``figures``)."""


@dataclass
class RenderedBody:
    """The body HTML, its headings for the table of contents, and what could not be rendered."""

    html: str
    toc: list[TocEntry] = field(default_factory=list)
    problems: list[OutputProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TablePage:
    """What the table layout needs to know of the page: the text block's width in portrait and
    in landscape (mm), the table font size, and whether every table gets a number and title."""

    portrait_mm: float = 156.0
    landscape_mm: float = 225.0
    font_pt: float = 12.0
    captions: bool = False
    lexicon: Lexicon | None = None
    """The words no table cell breaks inside (None: cells break between any CJK characters)."""


def render_body(
    parts: Sequence[HtmlPart],
    page: TablePage | None = None,
    rank: Callable[[str, int], int] | None = None,
    text_height_mm: float = 225.0,
    line_spacing_pt: float = 28.95,
) -> RenderedBody:
    """HTML for several token streams in order; figures, tables and headings are numbered across
    them. With ``rank`` (a plan text) each heading's level is its rank: 第一条 is an h3 (条)
    whatever its Markdown level. Drawings fill the text block: its width (``page``) ×
    ``text_height_mm`` on a portrait page, the same turned on a landscape one (the landscape
    page's margins are the portrait ones turned)."""
    renderer = _PrintRenderer(page, rank)
    text_width_mm = (page or TablePage()).portrait_mm
    options = mdparser.parser().options
    drawing_page = figures.page_for(line_spacing_pt)
    blocks = {False: (text_width_mm, text_height_mm), True: (text_height_mm, text_width_mm)}
    sections = []
    ready = [prepare(part.tokens) for part in parts]
    renderer.families = table_families(prepared.tokens for prepared in ready)
    for part, prepared in zip(parts, ready, strict=True):
        renderer.origin = part.origin
        renderer.problems += prepared.problems(part.origin)
        env: dict[str, Any] = {}
        tokens = _figures(prepared.tokens, part, drawing_page, blocks)
        html = renderer.render(_absolute_images(tokens, part), options, env)
        sections.append(f"<section>\n{html}</section>")
    return RenderedBody("\n".join(sections), renderer.toc, renderer.problems)


FIGURE = "figure"
"""``meta`` key of a figure's paragraph_open: the figure's title (it stays a numbered figure when
its image is missing and a placeholder stands in its place, as in Word)."""
DRAWING = "drawing"
"""``meta`` key of a drawing's paragraph_open and of the heading before it: the page orientation."""


def _figures(
    tokens: Sequence[Token],
    part: HtmlPart,
    page: figures.DrawingPage,
    blocks: dict[bool, tuple[float, float]],
) -> list[Token]:
    """Copies of the tokens with each figure's paragraph marked (``FIGURE``); in a plan's text
    each figure is a drawing as well (``DRAWING`` on its paragraph and on a heading right before
    it) sized to fill its page."""
    result = list(tokens)
    for index in range(len(result)):
        image = figures.lone_image(result, index)
        if image is None:
            continue
        marked = result[index].copy()
        marked.meta = {**marked.meta, FIGURE: figures.title(image)}
        result[index] = marked
        path = local_file(str(image.attrs.get("src", "")), part.base_dir, part.root)
        pixels = figures.pixel_size(path) if part.drawings and path is not None else None
        if pixels is None:
            continue
        landscape = figures.is_landscape(pixels)
        orientation = "landscape" if landscape else "portrait"
        heading = index >= 3 and result[index - 1].type == "heading_close"
        width, height = page.fit(pixels, blocks[landscape], headings=1 if heading else 0)
        sized = image.copy()
        sized.attrs = {**image.attrs, "style": f"width:{width:.1f}mm;height:{height:.1f}mm"}
        inline = result[index + 1].copy()
        inline.children = [sized if child is image else child for child in inline.children or ()]
        result[index + 1] = inline
        for at in (index, index - 3) if heading else (index,):
            marked = result[at].copy()
            marked.meta = {**marked.meta, DRAWING: orientation}
            result[at] = marked
    return result


def _absolute_images(tokens: Sequence[Token], part: HtmlPart) -> list[Token]:
    """Copies of the tokens with image sources made ``workspace:`` URLs.

    An image that is missing, remote or outside the workspace becomes a visible placeholder
    (【缺：图片 …】), as in the Word output; the loader has already reported it.
    """
    result = []
    for token in tokens:
        if token.type == "inline" and any(c.type == "image" for c in token.children or ()):
            token = token.copy()
            token.children = [_image_or_placeholder(child, part) for child in token.children or ()]
        result.append(token)
    return result


def _image_or_placeholder(child: Token, part: HtmlPart) -> Token:
    if child.type != "image":
        return child
    source = str(child.attrs.get("src", ""))
    path = local_file(source, part.base_dir, part.root)
    if path is None:
        return Token("text", "", 0, content=missing_image(child.content, source))
    image = child.copy()
    # Token.copy is shallow: a new attrs mapping, or the source tokens (which the Word writer
    # reads too, and a second rendering) would be left holding the workspace: URL.
    image.attrs = {
        **child.attrs,
        "src": resource_url(WORKSPACE, path.relative_to(part.root.resolve()).as_posix()),
    }
    return image


def toc_html(entries: Sequence[TocEntry], depth: int = 3) -> str:
    """A table of contents whose page numbers WeasyPrint fills in (target-counter)."""
    items = "".join(
        f'<li class="toc-{entry.level}"><a href="#{entry.anchor}">{escape(entry.text)}</a></li>'
        for entry in entries
        if entry.level <= depth
    )
    return f'<nav class="toc"><p class="toc-title">目　录</p><ul>{items}</ul></nav>\n'


def page(
    title: str,
    body: RenderedBody,
    stylesheet: str,
    cover_lines: Sequence[str] = (),
    cover: bool = True,
    toc: bool = True,
    toc_levels: int = 3,
    plan: bool = False,
    gongwen: bool = False,
    running: str | None = None,
    front: str = "",
    watermark: str = "",
    landscape: bool = False,
    metadata: str = "",
) -> str:
    """A complete print HTML document: cover, ``front`` (a plan's 修订记录, on a page of its
    own), table of contents (headings down to ``toc_levels``), then the body (a document without
    a cover, such as a 公文, carries its own title in its parts). ``plan``: the body's headings
    take the 章 / 节 / 条 looks (``plan_css``). A 公文's body (``gongwen``) is marked for its CSS
    and carries the page number its landscape pages show turned (``gongwen.css``). ``running``:
    the running header's text (the title unless given). ``watermark``: markup (the stage's
    outlines) set diagonally behind every page, in a fixed box, which WeasyPrint repeats on each
    page out of the flow: it moves nothing. ``landscape``: every page landscape (the body is on
    the landscape pages). The running title is out of the flow (``style.css``): a body that
    opens with a landscape table opens on a landscape page, with no blank portrait page before.
    ``metadata``: ``<meta>`` elements (``metadata``) WeasyPrint makes the PDF's properties of."""
    head = f'<span class="running-title">{escape(title if running is None else running)}</span>'
    if watermark:
        head += f'<div class="watermark">{watermark}</div>'
    # A document without a cover opens with its title on page 1: no running header there, but
    # its page number, as on every other page (``style.css``: the ``coverless`` page).
    coverless = not (cover or gongwen or landscape)
    wanted = (
        ("plan", plan),
        ("gongwen", gongwen),
        ("landscape", landscape),
        ("coverless", coverless),
    )
    classes = [name for name, on in wanted if on]
    if gongwen:
        head += '<div class="landscape-odd"></div><div class="landscape-even"></div>'
    if cover:
        meta = "".join(f"<p>{escape(line)}</p>" for line in cover_lines)
        head += f'<div class="cover"><div class="title">{escape(title)}</div><div class="meta">{meta}</div></div>'
    if front:
        head += f'<div class="front">{front}</div>'
    contents = toc_html(body.toc, toc_levels) if toc and body.toc else ""
    body_tag = f'<body class="{" ".join(classes)}">' if classes else "<body>"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{metadata}<style>{stylesheet}</style></head>\n"
        f"{body_tag}{head}\n{contents}{body.html}\n</body></html>\n"
    )
