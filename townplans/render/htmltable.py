"""Raw-HTML tables for both writers, built on ``townplans.rawhtml`` (the safe subset and the grid
within the table limits): the column widths Word and PDF both give a table."""

from __future__ import annotations

from townplans.rawhtml import Grid
from townplans.render.layout import column_weights


def weights(grid: Grid, available: float = 70.0) -> list[float]:
    """Column weights from the cells that span one column (shared by both writers)."""
    texts: list[list[str]] = []
    for row in grid.rows:
        line = [""] * grid.columns
        for slot in row:
            if slot.cell is not None and slot.colspan == 1:
                line[slot.column] = slot.cell.text
        texts.append(line)
    return column_weights(texts, grid.columns, available)
