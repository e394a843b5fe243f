"""The one configured Markdown parser, shared by the loader and the renderers.

CommonMark with GFM tables and strikethrough, ``++underline++`` (``underline``), CJK-friendly
emphasis (``cjk_emphasis``), footnotes,
``:::`` containers (cover, 附件, landscape sections …) and page breaks. Raw HTML is *recognised* (html_block / html_inline tokens) so that the
writers can render the one safe subset planning texts need, tables with merged cells; every other
piece of raw HTML is written out as escaped text and reported (content is untrusted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from townplans.cjk_emphasis import cjk_friendly_plugin
from townplans.underline import underline_plugin

if TYPE_CHECKING:
    from townplans.model import MarkdownFile, SourceRef

CONTAINER_NAMES = (
    "cover", "attachment", "landscape", "signature", "center", "note", "pagebreak", "redhead", "title",
    "recipient", "attachments", "imprint", "printed", "signed",
)  # fmt: skip
"""Styled ``:::`` containers the writers know how to render: a cover page, an 附件 (new page, label
and title), a landscape section, the 署名/成文日期 block, centred lines, a small note, a page break, a 公文 版头
(red 发文机关标志, 发文字号, red rule), a document title, and the 公文's 主送机关, 附件说明 and 版记
(抄送, then the 印发机关 and 印发日期 line, ``printed``); in a 上行文's 版头, a 签发人's line
(``signed``: the 发文字号, when it is on that line, then “签发人：” and the name)."""

PAGE_BREAK = "page_break"
"""The token of a page break. Two ways to write one, the same in Word and PDF:

- a line holding only ``\\newpage`` or ``\\pagebreak`` (as in pandoc and LaTeX), wherever it
  stands: between paragraphs, or right after a paragraph's last line (it ends the paragraph);
- an empty ``::: pagebreak`` container (``::: pagebreak`` and ``:::`` on two lines); what a
  ``pagebreak`` container holds starts the new page.

Anywhere else (after other text on its line, in a table cell or a heading) ``\\newpage`` is text
and prints as written; ``check`` says so (TP017). In code it is code."""
PAGE_BREAK_LINE = re.compile(r"\\(?:newpage|pagebreak)[ \t]*")
"""What the line of a page break holds after its indentation."""


@cache
def parser() -> MarkdownIt:
    """The shared MarkdownIt instance (built once; markdown-it parsers are reusable)."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(cjk_friendly_plugin)  # **《法》** next to Chinese text is bold, not literal asterisks
    md.use(underline_plugin)
    md.use(footnote_plugin)
    for name in CONTAINER_NAMES:
        md.use(container_plugin, name=name, render=_container_render(name))
    md.block.ruler.before(
        "table", PAGE_BREAK, _page_break, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    return md


def _container_render(name: str) -> Callable[..., str]:
    """A container's HTML rule: its tag with the container's name as its class. The plugin's own
    rule adds the class to the token itself, so a document whose parsed parts are rendered twice
    (the 通报's, laid out once to find where its 版记 falls and again to print) would read
    ``class="imprint imprint"`` the second time and no longer be found; this one leaves the
    token as parsed."""

    def render(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        if tokens[idx].nesting != 1:
            return self.renderToken(tokens, idx, options, env)
        opened = tokens[idx].copy()
        opened.attrJoin("class", name)
        return self.renderToken([*tokens[:idx], opened, *tokens[idx + 1 :]], idx, options, env)

    return render


def _page_break(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A line holding only ``\\newpage`` or ``\\pagebreak`` (less than four spaces in, as any
    block): a ``page_break`` token. It may end a paragraph, as a heading or a rule may."""
    if state.is_code_block(start):
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not PAGE_BREAK_LINE.fullmatch(line):
        return False
    if silent:
        return True
    token = state.push(PAGE_BREAK, "", 0)
    token.map = [start, start + 1]
    token.markup = line.strip()
    state.line = start + 1
    return True


def parse(text: str) -> list[Token]:
    """Parse Markdown into markdown-it tokens; each block token's ``map`` is a 0-based line range."""
    if not text.endswith("\n"):
        # mdit-py-plugins' container rule (0.7) reads one character past the end of a document
        # that ends inside a block quote without a final newline ("> ::: cover\n> ") and raises
        # IndexError; a final newline changes nothing in CommonMark and keeps every line's end
        # inside the text.
        text += "\n"
    return parser().parse(text)


def inline_text(token: Token) -> str:
    """Plain text of an inline token (what a reader sees, without markup)."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image" or child.type == "html_inline":
            parts.append(child.content)
    return "".join(parts).strip()


@dataclass(frozen=True, slots=True)
class TableRow:
    """One body row of a Markdown table: its file line and cell texts."""

    ref: SourceRef
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A GFM table read from tokens: header cells and body rows with their lines."""

    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    ref: SourceRef | None = None
    """Where the table starts (its header row)."""

    def column(self, *keywords: str) -> int | None:
        """Index of the first header cell containing any keyword."""
        for index, name in enumerate(self.header):
            if any(keyword in name for keyword in keywords):
                return index
        return None


def tables(markdown: MarkdownFile) -> tuple[Table, ...]:
    """Every table of a Markdown file, cells as plain text (read once per file, then kept)."""
    found: tuple[Table, ...] | None = markdown.derived.get("tables")
    if found is None:
        found = markdown.derived["tables"] = tuple(_tables(markdown))
    return found


def _tables(markdown: MarkdownFile) -> list[Table]:
    found: list[Table] = []
    header: list[str] = []
    rows: list[TableRow] = []
    cells: list[str] = []
    row_line = table_line = 0
    in_head = False
    for index, token in enumerate(markdown.tokens):
        if token.type == "table_open":
            header, rows = [], []
            table_line = token.map[0] + 1 if token.map else 0
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            cells, row_line = [], (token.map[0] + 1 if token.map else 0)
        elif (
            token.type == "inline"
            and index
            and markdown.tokens[index - 1].type in ("th_open", "td_open")
        ):
            cells.append(token.content.strip())
        elif token.type == "tr_close":
            if in_head:
                header = cells
            else:
                rows.append(TableRow(markdown.ref.at(row_line), tuple(cells)))
        elif token.type == "table_close":
            found.append(Table(tuple(header), tuple(rows), markdown.ref.at(table_line)))
    return found


def project_tables(markdown: MarkdownFile) -> list[Table]:
    """The project tables of a construction plan: those with a 项目名称 and an 投资 column. The
    checker matches each project's brief to its row; the 公文's 附件 lists the projects in their
    order."""
    return [
        table
        for table in tables(markdown)
        if table.column("项目名称") is not None and table.column("投资") is not None
    ]


def name_key(text: str) -> str:
    """A project name as rows and briefs are matched by: without whitespace."""
    return re.sub(r"\s+", "", text)


def project_order(markdown: MarkdownFile) -> dict[str, int]:
    """Each project's place (``name_key``) in a construction plan's project tables, in order."""
    order: dict[str, int] = {}
    for table in project_tables(markdown):
        column = table.column("项目名称")
        for row in table.rows:
            if column is not None and column < len(row.cells):
                order.setdefault(name_key(row.cells[column]), len(order))
    return order


def parcel_table(markdown: MarkdownFile) -> Table | None:
    """The 控规 text's own 地块指标 table (the one with a 地块编号 column), if it has one."""
    return next((t for t in tables(markdown) if t.column("地块编号") is not None), None)
