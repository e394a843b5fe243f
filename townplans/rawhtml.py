"""The raw HTML townplans understands, and how large a table may be: one place below both the
checker's rules (TP015, TP016) and the writers, which never import each other.

The one kind of raw HTML that is rendered is a table, as Word-converted planning texts carry them:
``table thead tbody tfoot tr th td`` with ``rowspan``, ``colspan`` and ``align``, and inside cells
the text of ``p br strong b em i span sup sub`` (bold kept, ``p`` and ``br`` break lines). Outside
tables only ``<br>`` is understood (a line break), and a comment (``<!-- 修改说明：… -->``) is left
out of both outputs: it is a note to the authors, never printed. Everything else is never interpreted: a block
that is not a table and every other inline tag print as their literal text, and any other tag
inside a table is dropped (its text kept, ``script``/``style`` content dropped) and noted with its
line.

A table's grid is laid out in time and memory linear in its cells, whatever its spans declare: a
span stops at the table's edge, at the cells already there and at ``MAX_TABLE_SPAN``; rows beyond
``MAX_TABLE_ROWS`` and columns beyond ``MAX_TABLE_COLUMNS`` are cut; each limit hit is noted with
its line (content is untrusted: one ``rowspan="100000"`` must not allocate a grid that large).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from townplans import limits

TABLE_TAGS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "th", "td"})
INLINE_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "span", "sup", "sub"})
CELL_ATTRIBUTES = frozenset({"rowspan", "colspan", "align"})
_BOLD = frozenset({"strong", "b"})
_DROP_CONTENT = frozenset({"script", "style"})
_ALIGN = frozenset({"left", "center", "right"})
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_DIGITS = re.compile(r"\s*(\d+)")


_COMMENT = re.compile(r"\s*<!--.*?-->\s*", re.DOTALL)


def is_comment(html: str) -> bool:
    """Whether a piece of raw HTML is nothing but comments (and white space)."""
    return "<!--" in html and not _COMMENT.sub("", html).strip()


def is_break(html: str) -> bool:
    """Whether an inline piece of raw HTML is a line break (``<br>``, ``<br/>``, ``<br />``)."""
    return _BREAK.fullmatch(html.strip()) is not None


def too_many_rows(rows: int) -> str:
    """The message for a table (raw HTML or GFM) cut at ``MAX_TABLE_ROWS``."""
    limit = limits.MAX_TABLE_ROWS
    return f"表格有 {rows} 行，超过上限 {limit} 行：第 {limit + 1} 行起不输出"


def too_many_columns(columns: int) -> str:
    """The message for a table (raw HTML or GFM) cut at ``MAX_TABLE_COLUMNS``."""
    limit = limits.MAX_TABLE_COLUMNS
    return f"表格有 {columns} 列，超过上限 {limit} 列：第 {limit + 1} 列起不输出"


def is_table(html: str) -> bool:
    """Whether a raw-HTML block is a table (rendered from its safe parts, not printed as text)."""
    text = html.strip().lower()
    return text.startswith("<table") and text.endswith("</table>")


@dataclass(frozen=True, slots=True)
class Note:
    """Something about a raw-HTML table that is not rendered as written (Chinese), and where: a
    0-based line offset within the HTML block."""

    line: int
    message: str


@dataclass
class Cell:
    """One cell as written: lines of (text, bold) runs, its declared spans and alignment."""

    lines: list[list[tuple[str, bool]]] = field(default_factory=lambda: [[]])
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    align: str | None = None
    line: int = 0
    """0-based line offset of the cell's tag within the HTML block."""

    @property
    def text(self) -> str:
        return "\n".join(line for line in self.line_texts() if line)

    def line_texts(self) -> list[str]:
        return ["".join(text for text, _ in line).strip() for line in self.lines]


@dataclass(frozen=True, slots=True)
class Slot:
    """One piece of a grid row, as Word writes it (one ``w:tc``): a cell that starts here, the
    continuation of a cell from a row above (``continued``), or an empty place (neither)."""

    column: int
    colspan: int
    rowspan: int = 1
    cell: Cell | None = None
    continued: bool = False


@dataclass(frozen=True, slots=True)
class Grid:
    """A table laid out: each row's slots cover all ``columns``; ``notes`` are the limits hit."""

    rows: tuple[tuple[Slot, ...], ...]
    columns: int
    notes: tuple[Note, ...] = ()


@dataclass
class HtmlTable:
    """A raw-HTML table as written: its rows of cells, and the tags and attributes dropped."""

    rows: list[list[Cell]]
    dropped: list[Note]
    row_lines: list[int] = field(default_factory=list)
    """0-based line offset of each row's ``<tr>`` within the block."""

    def grid(self) -> Grid:
        """The table's grid within the limits (linear in the cells; see the module docstring)."""
        return _Layout(self).run()


def parse_table(html: str) -> HtmlTable:
    """The safe parts of a raw-HTML table; everything else is dropped and noted."""
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    kept = [(row, line) for row, line in zip(parser.rows, parser.row_lines, strict=True) if row]
    return HtmlTable([row for row, _ in kept], parser.dropped, [line for _, line in kept])


def _span(value: str | None) -> int:
    """A declared span as a number, at least 1 (leading digits, as browsers read it); a span of a
    thousand digits is read as its first nine, which is far beyond the limit anyway."""
    digits = _DIGITS.match(value or "")
    return max(1, int(digits.group(1)[:9])) if digits else 1


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[Cell]] = []
        self.row_lines: list[int] = []
        self.dropped: list[Note] = []
        self.cell: Cell | None = None
        self.bold = 0
        self.dropping = 0

    def _line(self) -> int:
        return self.getpos()[0] - 1

    def _new_row(self) -> None:
        self.rows.append([])
        self.row_lines.append(self._line())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "tr":
            self._new_row()
        elif tag in ("td", "th"):
            align = (values.get("align") or "").lower()
            self.cell = Cell(
                rowspan=_span(values.get("rowspan")),
                colspan=_span(values.get("colspan")),
                header=tag == "th",
                align=align if align in _ALIGN else None,
                line=self._line(),
            )
            if not self.rows:
                self._new_row()
            self.rows[-1].append(self.cell)
        elif tag in _BOLD:
            self.bold += 1
        elif tag in ("p", "br") and self.cell is not None and self.cell.lines[-1]:
            self.cell.lines.append([])
        elif tag in _DROP_CONTENT:
            self.dropping += 1
            self.dropped.append(Note(self._line(), f"表格中的 <{tag}> 及其内容不输出"))
        elif tag not in TABLE_TAGS and tag not in INLINE_TAGS:
            self.dropped.append(
                Note(self._line(), f"表格中不支持的标签 <{tag}> 不输出（保留其文字）")
            )
        for name, _ in attrs:
            if name not in CELL_ATTRIBUTES and tag in TABLE_TAGS | INLINE_TAGS:
                self.dropped.append(Note(self._line(), f"表格中 <{tag}> 的属性 {name} 不起作用"))

    def parse_html_declaration(self, i: int) -> int:
        """``<![…`` is a bogus comment in HTML5 (outside SVG and MathML); CPython's parser (3.11)
        takes it for an SGML marked section and raises AssertionError on a malformed one."""
        if self.rawdata.startswith("<![", i):
            self.dropped.append(Note(self._line(), "表格中的 <![…]> 声明及其内容不输出"))
            return self.parse_bogus_comment(i)
        return int(super().parse_html_declaration(i))

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


class _Layout:
    """Places a table's cells on a grid of at most MAX_TABLE_COLUMNS columns, one row at a time.

    ``free[c]`` is the first row in which column ``c`` is not taken by a rowspan from above, and
    ``above[c]`` the width of the cell whose rowspan takes it; nothing is ever sized by a declared
    span, so the work is the number of cells plus rows × columns.
    """

    def __init__(self, table: HtmlTable) -> None:
        self.table = table
        self.notes: list[Note] = []
        self.rows = table.rows[: limits.MAX_TABLE_ROWS]
        self.free = [0] * limits.MAX_TABLE_COLUMNS
        self.above = [1] * limits.MAX_TABLE_COLUMNS
        self.widest = (0, 0)
        """The widest row as written (beyond the column limit too) and its line, for the message."""
        self.fitted: set[int] = set()
        """Rows whose only cell spans one row: its colspan is fitted to the table's width."""

    def run(self) -> Grid:
        self._note_limits()
        placed = [self._row(index, row) for index, row in enumerate(self.rows)]
        columns = max(
            (slots[-1].column + slots[-1].colspan for slots in placed if slots), default=0
        )
        widest, line = self.widest
        if widest > limits.MAX_TABLE_COLUMNS:
            self.notes.append(Note(line, too_many_columns(widest)))
        rows = tuple(
            self._complete(slots, columns, index in self.fitted)
            for index, slots in enumerate(placed)
        )
        return Grid(rows, columns, tuple(self.notes))

    def _note_limits(self) -> None:
        table = self.table
        if len(table.rows) > limits.MAX_TABLE_ROWS:
            self.notes.append(
                Note(table.row_lines[limits.MAX_TABLE_ROWS], too_many_rows(len(table.rows)))
            )
        wide = [
            cell
            for row in self.rows
            for cell in row
            if max(cell.rowspan, cell.colspan) > limits.MAX_TABLE_SPAN
        ]
        if wide:
            first = wide[0]
            self.notes.append(
                Note(
                    first.line,
                    f"表格中有 {len(wide)} 个单元格的 rowspan 或 colspan 超过上限 {limits.MAX_TABLE_SPAN}"
                    f"（第一个为 rowspan={first.rowspan}、colspan={first.colspan}）：合并范围截到表格边缘",
                )
            )

    def _row(self, index: int, cells: list[Cell]) -> list[Slot]:
        slots: list[Slot] = []
        column = 0
        remaining = len(self.rows) - index
        lone = len(cells) == 1 and min(cells[0].rowspan, remaining) == 1
        if lone:
            self.fitted.add(index)
        written = 0
        for position, cell in enumerate(cells):
            column = self._carried(index, column, slots)
            if column >= limits.MAX_TABLE_COLUMNS:
                written = column + sum(
                    min(c.colspan, limits.MAX_TABLE_SPAN) for c in cells[position:]
                )
                break
            rowspan = min(cell.rowspan, limits.MAX_TABLE_SPAN, remaining)
            wanted = 1 if lone else min(cell.colspan, limits.MAX_TABLE_SPAN)
            written = column + wanted
            colspan = self._run(index, column, wanted)
            for taken in range(column, column + colspan):
                self.free[taken] = index + rowspan
            self.above[column] = colspan
            slots.append(Slot(column, colspan, rowspan, cell))
            column += colspan
        if written > self.widest[0]:
            self.widest = (written, cells[0].line)
        if max(self.free) > index:  # rowspans from above to the right of the last cell
            while column < limits.MAX_TABLE_COLUMNS:
                column = self._carried(index, column, slots) + 1
        return slots

    def _carried(self, index: int, column: int, slots: list[Slot]) -> int:
        """Continuation slots for the columns from ``column`` on that a rowspan above takes."""
        while column < limits.MAX_TABLE_COLUMNS and self.free[column] > index:
            width = self.above[column]
            slots.append(Slot(column, width, continued=True))
            column += width
        return column

    def _run(self, index: int, column: int, wanted: int) -> int:
        """How many of ``wanted`` columns from ``column`` are free in this row (at least 1)."""
        run = 1
        while (
            run < wanted
            and column + run < limits.MAX_TABLE_COLUMNS
            and self.free[column + run] <= index
        ):
            run += 1
        return run

    @staticmethod
    def _complete(slots: list[Slot], columns: int, fitted: bool) -> tuple[Slot, ...]:
        """The row with empty places where it has no cell, up to ``columns``; a row's only cell
        (spanning one row) is widened as far as its colspan and the row allow."""
        done: list[Slot] = []
        column = 0
        for position, slot in enumerate(slots):
            if slot.column >= columns:
                break
            done += [Slot(empty, 1) for empty in range(column, slot.column)]
            if fitted and slot.cell is not None:
                edge = slots[position + 1].column if position + 1 < len(slots) else columns
                width = min(slot.cell.colspan, limits.MAX_TABLE_SPAN, edge - slot.column)
                slot = Slot(slot.column, max(width, 1), slot.rowspan, slot.cell)
            done.append(slot)
            column = slot.column + slot.colspan
        done += [Slot(empty, 1) for empty in range(column, columns)]
        return tuple(done)
