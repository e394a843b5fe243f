"""Raw-HTML tables for both writers, built on ``townplans.rawhtml`` (the safe subset and the grid
within the table limits): the grid of a table block and what of it is not output, as the writers
report it, and the cell texts Word and PDF both lay its columns out from."""

from __future__ import annotations

from townplans.rawhtml import Grid, parse_table
from townplans.render.layout import EMPTY_CELL, Origin
from townplans.render.selfcheck import OutputProblem


def table(content: str, origin: Origin, start: int | None) -> tuple[Grid, list[OutputProblem]]:
    """The grid of the raw-HTML table block at 0-based line ``start`` of ``origin``, and what of it
    is not output: tags and attributes (TP702) and what is beyond the limits (TP701), each at its
    line."""
    parsed = parse_table(content)
    grid = parsed.grid()
    problems = [
        OutputProblem(code, note.message, origin.ref(None if start is None else start + note.line))
        for code, notes in (("TP702", parsed.dropped), ("TP701", grid.notes))
        for note in notes
    ]
    return grid, problems


def texts(grid: Grid) -> list[list[str]]:
    """The text of each cell that spans one column as printed (“—” for an empty body cell), in
    its column (a spanning cell is left out of the column widths; both writers lay the table out
    from these)."""
    rows: list[list[str]] = []
    for row in grid.rows:
        line = [""] * grid.columns
        for slot in row:
            if slot.cell is not None and slot.colspan == 1:
                empty = not slot.cell.text and not slot.cell.header
                line[slot.column] = EMPTY_CELL if empty else slot.cell.text
        rows.append(line)
    return rows
