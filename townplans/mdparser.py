"""The one configured Markdown parser, shared by the loader and the renderers.

CommonMark with GFM tables and strikethrough, CJK-friendly emphasis (``cjk_emphasis``), footnotes
and ``:::`` containers (cover, 附件, landscape sections …). Raw HTML is *recognised* (html_block / html_inline tokens) so that the
writers can render the one safe subset planning texts need, tables with merged cells; every other
piece of raw HTML is written out as escaped text and reported (content is untrusted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from townplans.cjk_emphasis import cjk_friendly_plugin

if TYPE_CHECKING:
    from townplans.model import MarkdownFile, SourceRef

CONTAINER_NAMES = (
    "cover", "attachment", "landscape", "signature", "center", "note", "pagebreak", "redhead", "title",
    "recipient", "attachments", "imprint", "printed",
)  # fmt: skip
"""Styled ``:::`` containers the writers know how to render: a cover page, an 附件 (new page, label
and title), a landscape section, the 署名/成文日期 block, centred lines, a small note, a page break, a 公文 版头
(red 发文机关标志, 发文字号, red rule), a document title, and the 公文's 主送机关, 附件说明 and 版记
(抄送, then the 印发机关 and 印发日期 line, ``printed``)."""


@cache
def parser() -> MarkdownIt:
    """The shared MarkdownIt instance (built once; markdown-it parsers are reusable)."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(cjk_friendly_plugin)  # **《法》** next to Chinese text is bold, not literal asterisks
    md.use(footnote_plugin)
    for name in CONTAINER_NAMES:
        md.use(container_plugin, name=name)
    return md


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


def tables(markdown: MarkdownFile) -> list[Table]:
    """Every table of a Markdown file, cells as plain text."""
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
