"""Raw OOXML pieces the Word writers need and python-docx's API does not offer (DESIGN §7: below
the writers, as python-docx keeps ``oxml`` below its API).

Tables are built here row by row and cell by cell, in one pass: python-docx's ``Table.cell(r, c)``
walks the whole table on every call and ``_Cell.merge`` re-reads it too, which made a 1,000-row
table take minutes. Merged cells are written as Word stores them: ``w:gridSpan`` on a cell that
spans columns, ``w:vMerge`` "restart" on a cell that spans rows and an empty ``w:vMerge`` on the
cells it covers below.
"""

from __future__ import annotations

from collections.abc import Sequence

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row, CT_Tbl, CT_Tc
from docx.oxml.text.paragraph import CT_P
from docx.shared import Emu

RESTART = "restart"
"""``w:vMerge`` of a cell that spans the rows below it."""
CONTINUE = "continue"
"""``w:vMerge`` of a place covered by a cell above (written as an empty ``w:vMerge``)."""


def set_grid(tbl: CT_Tbl, widths: Sequence[int]) -> None:
    """Column widths (EMU) in ``w:tblGrid``, one ``w:gridCol`` per column."""
    grid = tbl.tblGrid
    for column in list(grid.gridCol_lst):
        grid.remove(column)
    for width in widths:
        grid.add_gridCol().w = Emu(width)


def add_row(tbl: CT_Tbl, header: bool = False) -> CT_Row:
    """A new ``w:tr`` at the end of the table; ``header`` repeats it on every page (w:tblHeader)."""
    row = tbl.add_tr()
    if header:
        mark = OxmlElement("w:tblHeader")
        mark.set(qn("w:val"), "true")
        row.get_or_add_trPr().append(mark)
    return row


def add_cell(row: CT_Row, width: int, colspan: int = 1, merge: str | None = None) -> CT_Tc:
    """A new ``w:tc`` (with its one empty paragraph) at the end of ``row``."""
    cell = row.add_tc()
    cell.width = Emu(width)
    if colspan > 1:
        cell.grid_span = colspan
    if merge is not None:
        cell.vMerge = merge
    return cell


_AFTER_SNAP_TO_GRID = (
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
    "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
"""What follows ``w:snapToGrid`` in ``w:pPr`` (the schema fixes the order)."""


def off_grid(p: CT_P) -> None:
    """``w:snapToGrid w:val="0"``: the paragraph keeps its own height instead of growing to whole
    lines of the document grid (a drawing's paragraph would grow by up to a line and push its
    caption onto a page of its own)."""
    ppr = p.get_or_add_pPr()
    for old in ppr.findall(qn("w:snapToGrid")):
        ppr.remove(old)
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert_element_before(snap, *_AFTER_SNAP_TO_GRID)
