"""Raw OOXML pieces the Word writers need and python-docx's API does not offer (DESIGN §7: below
the writers, as python-docx keeps ``oxml`` below its API).

The 公文 (GB/T 9704) adds the pieces at the end: condensed characters, paragraph rules on one
side, a section set at the foot of its page, and a page number turned with a landscape page.

Tables are built here row by row and cell by cell, in one pass: python-docx's ``Table.cell(r, c)``
walks the whole table on every call and ``_Cell.merge`` re-reads it too, which made a 1,000-row
table take minutes. Merged cells are written as Word stores them: ``w:gridSpan`` on a cell that
spans columns, ``w:vMerge`` "restart" on a cell that spans rows and an empty ``w:vMerge`` on the
cells it covers below.
"""

from __future__ import annotations

from collections.abc import Sequence

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsmap, qn
from docx.oxml.table import CT_Row, CT_Tbl, CT_Tc
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Emu
from docx.text.paragraph import Paragraph

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


# -- the 公文's pieces (GB/T 9704): character grid, borders, page alignment, turned page numbers ---

_PPR_ORDER = (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
    "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
    "sectPr", "pPrChange",
)  # fmt: skip
"""The order of ``w:pPr``'s children (Word refuses a file whose elements are out of order)."""
_SECTPR_ORDER = (
    "headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
    "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
    "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange",
)  # fmt: skip
_RPR_ORDER = (
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
    "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden",
    "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr",
    "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish",
    "oMath",
)  # fmt: skip
_BORDER_ORDER = ("top", "left", "bottom", "right", "between", "bar")


def _put(parent: BaseOxmlElement, child: BaseOxmlElement, order: Sequence[str]) -> None:
    """Replace ``parent``'s element of ``child``'s name with ``child``, at its schema place."""
    name = child.tag.split("}")[1]
    for old in parent.findall(child.tag):
        parent.remove(old)
    rank = order.index(name)
    for index, existing in enumerate(parent):
        other = existing.tag.split("}")[1]
        if other in order and order.index(other) > rank:
            parent.insert(index, child)
            return
    parent.append(child)


def _element(tag: str, **attributes: str) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    return element


def character_spacing(rpr: BaseOxmlElement, twips: int) -> None:
    """Characters ``twips`` (twentieths of a point) closer together (negative) or further apart:
    the 公文's 3号 characters condensed to 28 a line (GB/T 9704 5.2.3)."""
    _put(rpr, _element("w:spacing", val=str(twips)), _RPR_ORDER)


def align_page_bottom(sect_pr: BaseOxmlElement) -> None:
    """The section's text sits at the foot of its page (``w:vAlign`` bottom): the 版记."""
    _put(sect_pr, _element("w:vAlign", val="bottom"), _SECTPR_ORDER)


def snap_to_grid(paragraph: Paragraph, on: bool) -> None:
    """Whether the paragraph's lines and characters keep to the section's grid."""
    _put(
        paragraph._p.get_or_add_pPr(), _element("w:snapToGrid", val="1" if on else "0"), _PPR_ORDER
    )


def border(
    paragraph: Paragraph, side: str, eighths: int, color: str = "000000", space_pt: int = 0
) -> None:
    """A rule on one side of the paragraph (``top``, ``bottom``), across its indents: ``eighths``
    of a point thick, ``space_pt`` from the text."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        _put(ppr, borders, _PPR_ORDER)
    line = _element(f"w:{side}", val="single", sz=str(eighths), space=str(space_pt), color=color)
    _put(borders, line, _BORDER_ORDER)


_WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
_TURNED_NUMBER = """<w:r xmlns:w="{w}" xmlns:wp="{wp}" xmlns:a="{a}" xmlns:wps="{wps}"><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{depth}"
 behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">
<wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="page"><wp:posOffset>{x}</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="page"><wp:posOffset>{y}</wp:posOffset></wp:positionV>
<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>
<wp:docPr id="{id}" name="页码 {id}"/><wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="{wps}"><wps:wsp><wps:cNvSpPr txBox="1"/>
<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>
<wps:txbx><w:txbxContent><w:p/></w:txbxContent></wps:txbx>
<wps:bodyPr rot="0" vert="vert" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="ctr"
 anchorCtr="0"><a:noAutofit/></wps:bodyPr>
</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"""


def turned_text_box(
    paragraph: Paragraph, box: tuple[int, int, int, int], shape_id: int
) -> Paragraph:
    """A text box anchored to the page at ``box`` (x, y, width, height in EMU from the page's top
    left), its text turned a quarter clockwise (``vert``), behind nothing and moving nothing;
    returns the paragraph inside it. A landscape 附件 page's number stands in one, where a
    portrait page has it once the page is turned for binding (GB/T 9704 8)."""
    x, y, width, height = box
    run = parse_xml(
        _TURNED_NUMBER.format(
            w=nsmap["w"], wp=nsmap["wp"], a=nsmap["a"], wps=_WPS, x=x, y=y, cx=width, cy=height,
            id=shape_id, depth=251659264 + shape_id,
        )
    )  # fmt: skip
    paragraph._p.append(run)
    inner = run.find(f".//{qn('w:txbxContent')}/{qn('w:p')}")
    return Paragraph(inner, paragraph._parent)
