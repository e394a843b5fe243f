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
from docx.oxml.text.parfmt import CT_PPr
from docx.oxml.text.run import CT_R
from docx.shared import Emu

from townplans.render.layout import joined

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


def add_unbroken_text(run: CT_R, text: str) -> None:
    """``text`` at the end of ``run`` with no place a line may break inside it: each hyphen a
    ``w:noBreakHyphen`` (Word's non-breaking hyphen), a WORD JOINER wherever the line breaker
    could otherwise break (``layout.joined``)."""
    for number, part in enumerate(text.split("-")):
        if number:
            run.append(OxmlElement("w:noBreakHyphen"))
        if part:
            run.add_t(joined(part))


_AFTER_AUTOSPACE = (
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)  # fmt: skip
"""What follows ``w:autoSpaceDE``/``w:autoSpaceDN`` in ``w:pPr`` (the schema's order)."""


def no_autospace(ppr: CT_PPr) -> None:
    """No extra space between CJK text and Latin letters or digits in this paragraph (Word and
    LibreOffice add about a quarter em by default; the PDF does not, and a table's columns are
    measured without it)."""
    for name in ("w:autoSpaceDE", "w:autoSpaceDN"):
        for old in ppr.findall(qn(name)):
            ppr.remove(old)
    for name, successors in (
        ("w:autoSpaceDN", _AFTER_AUTOSPACE),
        ("w:autoSpaceDE", ("w:autoSpaceDN", *_AFTER_AUTOSPACE)),
    ):
        element = OxmlElement(name)
        element.set(qn("w:val"), "0")
        ppr.insert_element_before(element, *successors)


def set_cell_margins(tbl: CT_Tbl, left_right_pt: float) -> None:
    """The table's left and right cell margins (``w:tblCellMar``), the same padding the PDF's
    cells have, so a column measured for one holds the same text in the other."""
    tbl_pr = tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblCellMar")):
        tbl_pr.remove(old)
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        element = OxmlElement(side)
        element.set(qn("w:w"), str(round(left_right_pt * 20)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")
