"""The one kind of raw HTML townplans renders: tables (as Word-converted planning texts carry them).

Accepted: ``table thead tbody tfoot tr th td`` with ``rowspan``, ``colspan`` and ``align``; inside
cells, the text of ``p br strong b em i span sup sub`` (bold kept, ``p``/``br`` break lines).
Everything else is not rendered as HTML: a block that is not a table stays literal, escaped text,
and any other tag inside a table is dropped (its text kept, ``script``/``style`` content dropped)
and listed in ``problems`` so the build can report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from townplans.render.layout import column_weights

TABLE_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "th", "td"}
INLINE_TAGS = {"p", "br", "strong", "b", "em", "i", "span", "sup", "sub"}
_BOLD = {"strong", "b"}
_DROP_CONTENT = {"script", "style"}
_ALIGN = {"left", "center", "right"}


@dataclass
class Cell:
    """One cell: lines of (text, bold) runs, its span and alignment."""

    lines: list[list[tuple[str, bool]]] = field(default_factory=lambda: [[]])
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    align: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line for line in self.line_texts() if line)

    def line_texts(self) -> list[str]:
        return ["".join(text for text, _ in line).strip() for line in self.lines]


@dataclass
class HtmlTable:
    rows: list[list[Cell]]
    problems: list[str]

    def placed(self) -> tuple[list[tuple[int, int, Cell]], int]:
        """Each cell with its grid row and column (honouring spans), and the column count."""
        occupied: set[tuple[int, int]] = set()
        placed = []
        columns = 0
        for row_index, row in enumerate(self.rows):
            column = 0
            for cell in row:
                while (row_index, column) in occupied:
                    column += 1
                placed.append((row_index, column, cell))
                for r in range(row_index, row_index + cell.rowspan):
                    for c in range(column, column + cell.colspan):
                        occupied.add((r, c))
                column += cell.colspan
                columns = max(columns, column)
        return placed, columns

    def weights(self, available: float = 70.0) -> list[float]:
        """Column weights from the unspanned cells (shared by both writers)."""
        placed, columns = self.placed()
        grid: dict[int, list[str]] = {}
        for row, column, cell in placed:
            if cell.colspan == 1:
                grid.setdefault(row, [""] * columns)[column] = cell.text
        return column_weights(list(grid.values()), columns, available)

    @property
    def row_count(self) -> int:
        placed, _ = self.placed()
        return max((row + cell.rowspan for row, _, cell in placed), default=0)


def is_table(html: str) -> bool:
    text = html.strip().lower()
    return text.startswith("<table") and text.endswith("</table>")


def parse_table(html: str) -> HtmlTable:
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return HtmlTable([row for row in parser.rows if row], parser.problems)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[Cell]] = []
        self.problems: list[str] = []
        self.cell: Cell | None = None
        self.bold = 0
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            align = (values.get("align") or "").lower()
            self.cell = Cell(
                rowspan=_span(values.get("rowspan")),
                colspan=_span(values.get("colspan")),
                header=tag == "th",
                align=align if align in _ALIGN else None,
            )
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(self.cell)
        elif tag in _BOLD:
            self.bold += 1
        elif tag in ("p", "br") and self.cell is not None and self.cell.lines[-1]:
            self.cell.lines.append([])
        elif tag in _DROP_CONTENT:
            self.dropping += 1
            self.problems.append(f"表格中的 <{tag}> 及其内容已删除")
        elif tag not in TABLE_TAGS and tag not in INLINE_TAGS:
            self.problems.append(f"表格中不支持的标签 <{tag}> 已去掉（保留其文字）")
        for name, _ in attrs:
            if name not in ("rowspan", "colspan", "align") and tag in TABLE_TAGS | INLINE_TAGS:
                self.problems.append(f"<{tag}> 的属性 {name} 已忽略")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.cell = None
        elif tag in _BOLD:
            self.bold = max(0, self.bold - 1)
        elif tag in _DROP_CONTENT:
            self.dropping = max(0, self.dropping - 1)

    def handle_data(self, data: str) -> None:
        if self.dropping or self.cell is None:
            return
        text = re.sub(r"\s+", " ", data)
        if text.strip() or self.cell.lines[-1]:
            self.cell.lines[-1].append((text, self.bold > 0))
