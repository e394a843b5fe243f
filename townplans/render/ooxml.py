"""Raw OOXML pieces the Word writers need and python-docx's API does not offer (DESIGN §7: below
the writers, as python-docx keeps ``oxml`` below its API). Both ``render/docx.py`` and
``render/album.py`` build on this module; nothing here knows about Markdown or documents.

What lives here: fonts (named Latin and East Asian fonts, never the theme's), fields (PAGE, SEQ,
PAGEREF and a TOC whose entries are written at build time), bookmarks, paragraph borders, the
line grid and where it does not apply, list numbering (``numbering.xml``), the document's
properties (core and app), page and section breaks tidied so that none gives a blank page,
tables, and the stage watermark (a VML text path in the headers).

The 公文 (GB/T 9704) adds the pieces at the end: condensed characters, paragraph rules on one
side, a section set at the foot of its page, and a page number turned with a landscape page.

Tables are built here row by row and cell by cell, in one pass: python-docx's ``Table.cell(r, c)``
walks the whole table on every call and ``_Cell.merge`` re-reads it too, which made a 1,000-row
table take minutes. Merged cells are written as Word stores them: ``w:gridSpan`` on a cell that
spans columns, ``w:vMerge`` "restart" on a cell that spans rows and an empty ``w:vMerge`` on the
cells it covers below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape

from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, nsmap, qn
from docx.oxml.table import CT_Row, CT_Tbl, CT_Tc
from docx.oxml.text.run import CT_R
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Emu, Length, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from townplans.render.layout import BULLETS, OPENING, is_cjk, joined, line_breaks, natural_em
from townplans.render.style import FontRole
from townplans.render.words import Lexicon

APPLICATION = "townplans"
"""What ``docProps/app.xml`` names as the application that wrote the document."""

# -- fonts -----------------------------------------------------------------------------------------------

STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
"""Theme font references: where one stands beside a named font, Word uses the theme's font."""


def set_fonts(rpr_owner: ParagraphStyle | Run, role: FontRole) -> None:
    """Latin and East Asian fonts (the latter by its official name) and size on a style or run,
    with no theme font beside them."""
    font = rpr_owner.font
    font.name = role.latin
    font.size = Pt(role.size)
    font.bold = role.bold
    rfonts = rpr_owner.element.get_or_add_rPr().get_or_add_rFonts()
    named_fonts(rfonts, role.latin, role.east_asian)


def named_fonts(rfonts: BaseOxmlElement, latin: str, east_asian: str) -> None:
    """``w:rFonts`` naming ``latin`` for ASCII, high ANSI and complex script and ``east_asian``
    for Chinese; theme references removed (in Word they win over the names)."""
    for attribute in THEME_ATTRIBUTES:
        rfonts.attrib.pop(qn(attribute), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asian)


def drop_theme_fonts(document: DocumentObject, body: FontRole) -> None:
    """Every theme font reference in the styles (python-docx's template has them in the document
    defaults, Normal and the headings) replaced by the named fonts of ``body`` where no name is
    given; the document defaults name the body fonts and mark text as Chinese (zh-CN), so Word
    picks East Asian line breaking and fonts. The Word 2010 copy of the styles
    (``stylesWithEffects.xml``) is dropped: it would carry the theme references on."""
    styles = document.styles.element
    for rfonts in styles.iter(qn("w:rFonts")):
        themed = {a: rfonts.get(qn(a)) for a in THEME_ATTRIBUTES if rfonts.get(qn(a))}
        if not themed:
            continue
        for attribute in THEME_ATTRIBUTES:
            rfonts.attrib.pop(qn(attribute), None)
        if not rfonts.get(qn("w:ascii")):
            named_fonts(rfonts, body.latin, body.east_asian)
        elif not rfonts.get(qn("w:eastAsia")):
            rfonts.set(qn("w:eastAsia"), body.east_asian)
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = OxmlElement("w:rFonts")
                rpr.insert(0, rfonts)
            named_fonts(rfonts, body.latin, body.east_asian)
            for lang in rpr.findall(qn("w:lang")):
                lang.set(qn("w:eastAsia"), "zh-CN")
    for rel in list(document.part.rels.values()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            document.part.drop_rel(rel.rId)  # a part no relationship points at is not written


# -- fields and bookmarks ----------------------------------------------------------------------------------


def add_field(
    paragraph: Paragraph, instruction: str, role: FontRole | None, result: str = "1"
) -> list[Run]:
    """A complex field (PAGE, SEQ, PAGEREF …) with its result already written, so a viewer that
    does not update fields shows the right text; returns the runs (to move into a hyperlink)."""
    runs = []

    def run_with(element: BaseOxmlElement | None = None, text: str | None = None) -> None:
        run = paragraph.add_run(text or "")
        if role is not None:
            set_fonts(run, role)
        if element is not None:
            run._r.append(element)
        runs.append(run)

    run_with(_field_char("begin"))
    run_with(_instruction(instruction))
    run_with(_field_char("separate"))
    run_with(text=result)
    run_with(_field_char("end"))
    return runs


def _field_char(kind: str) -> BaseOxmlElement:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _instruction(text: str) -> BaseOxmlElement:
    element = OxmlElement("w:instrText")
    element.set(qn("xml:space"), "preserve")
    element.text = f" {text} "
    return element


def bookmark_name(anchor: str) -> str:
    """The bookmark a TOC entry links to: hidden in Word's bookmark list (leading underscore), as
    the bookmarks Word makes for its own TOC are."""
    return f"_Toc_{anchor}"


def add_bookmark(paragraph: Paragraph, name: str, number: int) -> None:
    """A bookmark around the paragraph's whole content (``w:bookmarkStart`` after ``w:pPr``,
    ``w:bookmarkEnd`` at the end)."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(number))
    p = paragraph._p
    p.insert(1 if p.pPr is not None else 0, start)
    p.append(end)


@dataclass(frozen=True, slots=True)
class TocLine:
    """One entry of a table of contents: its level (1 = top), text, the bookmark of its heading
    and the page number it is printed with."""

    level: int
    text: str
    bookmark: str
    page: int | None


def add_toc(
    add_paragraph: Any, lines: Sequence[TocLine], levels: int, role: FontRole, placeholder: str
) -> None:
    """A TOC field (``TOC \\o "1-levels" \\h \\z \\u``) whose stored result is ``lines``: one
    paragraph per entry in style "TOC n", a hyperlink to the heading's bookmark, a dot-leader tab
    and a PAGEREF field with the page number. Word and LibreOffice show it as it is and can still
    update it. ``add_paragraph(style)`` adds a body paragraph; ``placeholder`` is the result
    when there are no entries."""
    instruction = f'TOC \\o "1-{levels}" \\h \\z \\u'
    if not lines:
        paragraph = add_paragraph(None)
        add_field(paragraph, instruction, role, placeholder)
        no_grid(paragraph)
        return
    last = len(lines) - 1
    for index, line in enumerate(lines):
        paragraph = add_paragraph(toc_style(min(line.level, 9)))
        if index == 0:
            _run(paragraph, _field_char("begin"))
            _run(paragraph, _instruction(instruction))
            _run(paragraph, _field_char("separate"))
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), line.bookmark)
        link.set(qn("w:history"), "1")
        paragraph._p.append(link)
        text = paragraph.add_run(line.text)
        link.append(text._r)
        tab = paragraph.add_run()
        tab._r.append(OxmlElement("w:tab"))
        link.append(tab._r)
        page = "" if line.page is None else str(line.page)
        for run in add_field(paragraph, f"PAGEREF {line.bookmark} \\h", None, page):
            link.append(run._r)
        if index == last:
            _run(paragraph, _field_char("end"))


def _run(paragraph: Paragraph, element: BaseOxmlElement) -> None:
    paragraph.add_run()._r.append(element)


def toc_style(level: int) -> str:
    """The name of Word's built-in style for level ``level`` of a TOC (shown as "TOC 1" …)."""
    return f"toc {level}"


def toc_styles(
    document: DocumentObject, levels: int, role: FontRole, text_width: int, indent: Pt
) -> None:
    """Paragraph styles "TOC 1" … "TOC levels" (Word's built-in ``toc n``): the TOC font, each
    level indented by ``indent`` more than the one above, a right-aligned dot-leader tab at the
    text block's edge for the page number, off the line grid."""
    styles = document.styles
    for level in range(1, levels + 1):
        name = toc_style(level)
        try:
            style = styles[name]
        except KeyError:
            style = styles.add_style(name, 1)  # WD_STYLE_TYPE.PARAGRAPH
            style.element.set(qn("w:styleId"), f"TOC{level}")
            # Word's own built-in style, not a custom one (Word would rename a custom "toc 1")
            style.element.attrib.pop(qn("w:customStyle"), None)
            style.priority = 39
        assert isinstance(style, ParagraphStyle)
        style.base_style = styles["Normal"]
        style.next_paragraph_style = styles["Normal"]
        set_fonts(style, role)
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(0)
        fmt.left_indent = Emu(int(indent) * (level - 1))
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        ppr = style.element.get_or_add_pPr()
        for old in ppr.findall(qn("w:tabs")):
            ppr.remove(old)
        tabs = OxmlElement("w:tabs")
        tab = OxmlElement("w:tab")
        tab.set(qn("w:val"), "right")
        tab.set(qn("w:leader"), "dot")
        tab.set(qn("w:pos"), str(round(text_width / 635)))  # EMU -> twentieths of a point
        tabs.append(tab)
        _insert_ppr_child(ppr, tabs)
        _set_snap(ppr, on=False)
        style.hidden = False


# -- borders and the line grid ---------------------------------------------------------------------------


def bottom_border(paragraph: Paragraph, color: str = "000000", size: int = 6) -> None:
    """A rule under the paragraph, as wide as the text block (``size`` in eighths of a point)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", str(size)),
        ("w:space", "1"),
        ("w:color", color),
    ):
        bottom.set(qn(key), value)
    borders.append(bottom)
    _insert_ppr_child(paragraph._p.get_or_add_pPr(), borders)


def line_grid(sect_pr: BaseOxmlElement, pitch_pt: float) -> None:
    """The section's document grid: lines ``pitch_pt`` apart (GB/T 9704: 22 lines a page). Only
    paragraphs that snap to it (the body and headings) keep that pitch; see ``no_grid``."""
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(pitch_pt * 20)))
    sect_pr.append(grid)


def no_grid(target: Paragraph | ParagraphStyle | BaseOxmlElement) -> None:
    """``w:snapToGrid w:val="0"`` on a paragraph, a style or a ``w:pPr``: its lines keep their
    own height instead of being stretched to the body's line pitch (tables, captions, the cover,
    the TOC, page numbers)."""
    if isinstance(target, (Paragraph,)):
        ppr = target._p.get_or_add_pPr()
    elif isinstance(target, ParagraphStyle):
        ppr = target.element.get_or_add_pPr()
    else:
        ppr = target
    _set_snap(ppr, on=False)


def _set_snap(ppr: BaseOxmlElement, on: bool) -> None:
    for old in ppr.findall(qn("w:snapToGrid")):
        ppr.remove(old)
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "1" if on else "0")
    _insert_ppr_child(ppr, snap)


_PPR_ORDER = (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
    "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
    "sectPr", "pPrChange",
)  # fmt: skip
"""The order of ``w:pPr``'s children the schema requires (Word refuses a file out of order)."""


NOT_AT_LINE_START = "!%),.:;>?]}¢¨°·ˇˉ―‖’”…‰′″›℃∶、。〃〉》」』】〕〗〞︶︺︾﹀﹄﹚﹜﹞！＂％＇），．：；？］｀｜｝～￠"
"""Word's own set for Chinese (Simplified) of characters no line starts with (ECMA-376
17.3.1.16), written out because a custom set replaces the default one."""
NOT_AT_LINE_END = "$([{£¥·‘“〈《「『【〔〖〝﹙﹛﹝＄（．［｛￡￥" + "0123456789" + "—–～~"
"""Word's own set for Chinese (Simplified) of characters no line ends with, and digits and
range dashes: a number then stays on the line of its unit (“680万元”) and a range on one
line (“2023—2035年”), with no invisible character in the text (issue 22, point 7)."""
_SETTINGS_ORDER = (
    "writeProtection", "view", "zoom", "removePersonalInformation", "removeDateAndTime",
    "doNotDisplayPageBoundaries", "displayBackgroundShape", "printPostScriptOverText",
    "printFractionalCharacterWidth", "printFormsData", "embedTrueTypeFonts",
    "embedSystemFonts", "saveSubsetFonts", "saveFormsData", "mirrorMargins",
    "alignBordersAndEdges", "bordersDoNotSurroundHeader", "bordersDoNotSurroundFooter",
    "gutterAtTop", "hideSpellingErrors", "hideGrammaticalErrors", "activeWritingStyle",
    "proofState", "formsDesign", "attachedTemplate", "linkStyles", "stylePaneFormatFilter",
    "stylePaneSortMethod", "documentType", "mailMerge", "revisionView", "trackRevisions",
    "doNotTrackMoves", "doNotTrackFormatting", "documentProtection", "autoFormatOverride",
    "styleLockTheme", "styleLockQFSet", "defaultTabStop", "autoHyphenation",
    "consecutiveHyphenLimit", "hyphenationZone", "doNotHyphenateCaps", "showEnvelope",
    "summaryLength", "clickAndTypeStyle", "defaultTableStyle", "evenAndOddHeaders",
    "bookFoldRevPrinting", "bookFoldPrinting", "bookFoldPrintingSheets",
    "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing",
    "displayHorizontalDrawingGridEvery", "displayVerticalDrawingGridEvery",
    "doNotUseMarginsForDrawingGridOrigin", "drawingGridHorizontalOrigin",
    "drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning",
    "characterSpacingControl", "printTwoOnOne", "strictFirstAndLastChars", "noLineBreaksAfter",
    "noLineBreaksBefore", "savePreviewPicture", "doNotValidateAgainstSchema", "saveInvalidXml",
    "ignoreMixedContent", "alwaysShowPlaceholderText", "doNotDemarcateInvalidXml",
    "saveXmlDataOnly", "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags",
    "alwaysMergeEmptyNamespace", "updateFields", "hdrShapeDefaults", "footnotePr", "endnotePr",
    "compat", "docVars", "rsids", "mathPr", "attachedSchema", "themeFontLang",
    "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
    "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
)  # fmt: skip
"""The order of ``w:settings``' children (ECMA-376 17.15.1.78)."""


def keep_numbers_with_units(settings: BaseOxmlElement) -> None:
    """Word's line breaking for Chinese with ``NOT_AT_LINE_START`` and ``NOT_AT_LINE_END`` as
    its custom sets (``w:noLineBreaksBefore``/``After``). LibreOffice 7.4 does not read them:
    its Chinese line breaker may still part a number from its unit."""
    for name, characters in (
        ("noLineBreaksAfter", NOT_AT_LINE_END),
        ("noLineBreaksBefore", NOT_AT_LINE_START),
    ):
        for old in settings.findall(qn(f"w:{name}")):
            settings.remove(old)
        element = OxmlElement(f"w:{name}")
        element.set(qn("w:lang"), "zh-CN")
        element.set(qn("w:val"), characters)
        _insert_in_order(settings, element, _SETTINGS_ORDER)


def _insert_ppr_child(ppr: BaseOxmlElement, child: BaseOxmlElement) -> None:
    """Put ``child`` into ``ppr`` at its place in the schema's order."""
    _insert_in_order(ppr, child, _PPR_ORDER)


def _insert_in_order(parent: BaseOxmlElement, child: BaseOxmlElement, order: Sequence[str]) -> None:
    """Insert ``child`` before the first element ``order`` puts after it (else at the end)."""
    rank = order.index(child.tag.split("}")[1])
    for index, existing in enumerate(parent):
        other = existing.tag.split("}")[1]
        if other in order and order.index(other) > rank:
            parent.insert(index, child)
            return
    parent.append(child)


# -- numbering -----------------------------------------------------------------------------------------------

LEVELS = 9


class Numbering:
    """Word list numbering (``numbering.xml``): one abstract definition for ordered lists (1. at
    every level, as the PDF numbers them) and one for bullets; every Markdown list gets its own
    ``w:num`` that restarts at the list's start number, so each list counts from its own start and
    a planner who inserts an item in Word gets the numbers redone."""

    def __init__(
        self,
        document: DocumentObject,
        role: FontRole,
        indent: Pt,
        hanging: Pt,
        suffix: str = "tab",
    ) -> None:
        """``suffix``: what follows the number, ``tab`` (to the text's indent) or ``space`` (a
        公文's items run on after their number, as its body does)."""
        self.suffix = suffix
        self.numbering = document.part.numbering_part.element
        ids = [
            int(n.get(qn("w:abstractNumId"))) for n in self.numbering.findall(qn("w:abstractNum"))
        ]
        base = max(ids, default=0) + 1
        self.ordered_id, self.bullet_id = base, base + 1
        self._abstract(self.ordered_id, role, indent, hanging, ordered=True)
        self._abstract(self.bullet_id, role, indent, hanging, ordered=False)

    def _abstract(
        self, number: int, role: FontRole, indent: Pt, hanging: Pt, ordered: bool
    ) -> None:
        levels = []
        for level in range(LEVELS):
            left = round(int(indent) * (level + 1) / 635)
            text = f"%{level + 1}." if ordered else BULLETS[level % len(BULLETS)]
            kind = "decimal" if ordered else "bullet"
            levels.append(
                f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{kind}"/>'
                f'<w:suff w:val="{self.suffix}"/>'
                f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                f'<w:pPr><w:tabs><w:tab w:val="num" w:pos="{left}"/></w:tabs>'
                f'<w:ind w:left="{left}" w:hanging="{round(int(hanging) / 635)}"/></w:pPr>'
                f'<w:rPr><w:rFonts w:ascii="{role.latin}" w:hAnsi="{role.latin}" '
                f'w:cs="{role.latin}" w:eastAsia="{role.east_asian}"/></w:rPr></w:lvl>'
            )
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">'
            f'<w:multiLevelType w:val="hybridMultilevel"/>{"".join(levels)}</w:abstractNum>'
        )
        # abstractNum elements come before every num (schema order)
        first_num = self.numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            self.numbering.append(abstract)

    def new_list(self, ordered: bool, level: int, start: int) -> int:
        """A new ``w:num`` for one Markdown list at nesting ``level`` (0-based), restarting at
        ``start``; returns its ``w:numId``."""
        num = self.numbering.add_num(self.ordered_id if ordered else self.bullet_id)
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), str(min(level, LEVELS - 1)))
        start_override = OxmlElement("w:startOverride")
        start_override.set(qn("w:val"), str(start))
        override.append(start_override)
        num.append(override)
        return int(num.numId)


def number_paragraph(paragraph: Paragraph, num_id: int, level: int) -> None:
    """Make ``paragraph`` an item of list ``num_id`` at nesting ``level`` (``w:numPr``)."""
    num_pr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), str(min(level, LEVELS - 1)))
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), str(num_id))
    num_pr.append(ilvl)
    num_pr.append(num)
    _insert_ppr_child(paragraph._p.get_or_add_pPr(), num_pr)


# -- document properties -------------------------------------------------------------------------------------


def set_properties(
    document: DocumentObject, title: str, author: str, stamp: dt.datetime, subject: str = ""
) -> None:
    """Core properties from the content (title, author = the issuing body, created and modified
    = ``stamp``), nothing from python-docx's template (its author, its "generated by python-docx"
    comment, its 2013 dates), and ``app.xml`` naming townplans as the application."""
    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.last_modified_by = author
    properties.subject = subject
    properties.comments = ""
    properties.keywords = ""
    properties.category = ""
    properties.created = stamp
    properties.modified = stamp
    properties.revision = 1
    package = document.part.package
    for part in list(package.iter_parts()):
        if str(part.partname) == "/docProps/app.xml":
            part._blob = app_xml()  # a plain part: python-docx writes its blob as it is
    _drop_thumbnail(package)


def app_xml() -> bytes:
    """``docProps/app.xml``: townplans as the application; counts are left to Word to redo."""
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>{APPLICATION}</Application><DocSecurity>0</DocSecurity>"
        f"<ScaleCrop>false</ScaleCrop><Company></Company><LinksUpToDate>false</LinksUpToDate>"
        f"<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
        f"<AppVersion>1.0000</AppVersion></Properties>"
    ).encode()


def _drop_thumbnail(package: Any) -> None:
    """python-docx's template carries a thumbnail of an empty page: not a picture of ours."""
    for rel in list(package.rels.values()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rel.rId]


# -- breaks and sections ------------------------------------------------------------------------------------


def _is_page_break_paragraph(element: BaseOxmlElement) -> bool:
    """A ``w:p`` holding nothing but a page break (what python-docx's add_page_break writes)."""
    if element.tag != qn("w:p"):
        return False
    ppr = element.find(qn("w:pPr"))
    if ppr is not None and ppr.find(qn("w:sectPr")) is not None:
        return False
    breaks = 0
    for child in element:
        if child.tag == qn("w:pPr"):
            continue
        if child.tag != qn("w:r"):
            return False
        for item in child:
            if item.tag == qn("w:rPr"):
                continue
            if item.tag == qn("w:br") and item.get(qn("w:type")) == "page":
                breaks += 1
                continue
            return False
    return breaks > 0


def _section_paragraph(element: BaseOxmlElement) -> BaseOxmlElement | None:
    """The ``w:sectPr`` a paragraph ends its section with, if it does."""
    if element.tag != qn("w:p"):
        return None
    ppr = element.find(qn("w:pPr"))
    return None if ppr is None else ppr.find(qn("w:sectPr"))


def _is_empty_paragraph(element: BaseOxmlElement) -> bool:
    """A ``w:p`` with no text, drawing, field, break or section: it only adds an empty line."""
    if element.tag != qn("w:p") or _section_paragraph(element) is not None:
        return False
    return all(
        child.tag in (qn("w:pPr"), qn("w:bookmarkStart"), qn("w:bookmarkEnd"))
        or (child.tag == qn("w:r") and all(item.tag == qn("w:rPr") for item in child))
        for child in element
    )


def _starts_page(sect_pr: BaseOxmlElement) -> bool:
    kind = sect_pr.find(qn("w:type"))
    return kind is None or kind.get(qn("w:val")) in (None, "nextPage", "oddPage", "evenPage")


def tidy_breaks(body: BaseOxmlElement) -> None:
    """One break where the writer asked for several, and none where the page is new anyway.

    A page break right before or after a section break that starts a new page, one after another
    page break, and one at the very start or end of the document each gave LibreOffice and Word a
    blank page; they are removed. A page break before a paragraph becomes that paragraph's
    ``w:pageBreakBefore`` (a break paragraph would leave an empty line at the top of the new page).
    A section break written in an empty paragraph after an empty paragraph moves into it. A last
    section holding nothing (a landscape part closed at the end of the document) is removed, its
    predecessor's settings becoming the document's last section."""
    _drop_trailing_empty_section(body)
    changed = True
    while changed:
        changed = False
        children = [child for child in body if child.tag != qn("w:sectPr")]
        for index, element in enumerate(children):
            if not _is_page_break_paragraph(element):
                continue
            before = children[index - 1] if index else None
            after = children[index + 1] if index + 1 < len(children) else None
            after_section = _section_paragraph(after) if after is not None else None
            before_section = _section_paragraph(before) if before is not None else None
            if (
                before is None
                or after is None
                or _is_page_break_paragraph(after)
                or (after_section is not None and _starts_page(after_section))
                or (before_section is not None and _starts_page(before_section))
            ):
                body.remove(element)
                changed = True
                break
            if after.tag == qn("w:p") and after_section is None:
                ppr = after.get_or_add_pPr()
                if ppr.find(qn("w:pageBreakBefore")) is None:
                    _insert_ppr_child(ppr, OxmlElement("w:pageBreakBefore"))
                body.remove(element)
                changed = True
                break
    _merge_section_paragraphs(body)


def _merge_section_paragraphs(body: BaseOxmlElement) -> None:
    """An empty paragraph carrying a section break, right after another empty paragraph: the
    section break moves into that paragraph, so the section does not end with two empty lines
    (which can spill onto a page of their own)."""
    children = list(body)
    for index, element in enumerate(children):
        sect_pr = _section_paragraph(element)
        if sect_pr is None or index == 0 or not _only_section(element):
            continue
        before = children[index - 1]
        if _is_empty_paragraph(before):
            ppr = before.get_or_add_pPr()
            _insert_ppr_child(ppr, sect_pr)
            body.remove(element)


def _only_section(element: BaseOxmlElement) -> bool:
    return all(
        child.tag == qn("w:pPr") or (child.tag == qn("w:r") and len(child) == 0)
        for child in element
    )


def _drop_trailing_empty_section(body: BaseOxmlElement) -> None:
    """When nothing but empty paragraphs and page breaks follows the last section break, the last
    section is empty: remove those paragraphs and let the section before be the last."""
    children = [child for child in body if child.tag != qn("w:sectPr")]
    last_index = max(
        (i for i, child in enumerate(children) if _section_paragraph(child) is not None),
        default=None,
    )
    if last_index is None:
        return
    trailing = children[last_index + 1 :]
    if not all(_is_empty_paragraph(c) or _is_page_break_paragraph(c) for c in trailing):
        return
    for element in trailing:
        body.remove(element)
    carrier = children[last_index]
    inner = _section_paragraph(carrier)
    assert inner is not None
    final = body.find(qn("w:sectPr"))
    if final is not None:
        body.remove(final)
    inner.getparent().remove(inner)
    body.append(inner)
    if (
        _is_empty_paragraph(carrier)
        and last_index > 0
        and children[last_index - 1].tag == qn("w:p")
    ):
        body.remove(carrier)


# -- pictures --------------------------------------------------------------------------------------------


def add_picture(run: Run, path: str, width: Length, height: Length) -> None:
    """``path``'s picture in ``run``, ``width`` by ``height``, with no distance from the text
    around it (``wp:inline``'s distT/B/L/R, which python-docx leaves out: LibreOffice then
    takes Word's 0.125 inch for a floating picture, so a picture as wide as its table cell was
    drawn 9 pt to the right, past the text block and clipped, review30)."""
    shape = run.add_picture(path, width=width, height=height)
    for side in ("distT", "distB", "distL", "distR"):
        shape._inline.set(side, "0")


# -- tables ----------------------------------------------------------------------------------------------

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
    """A new ``w:tr`` at the end of the table that is not split across pages (``w:cantSplit``:
    a cell's lines stay together, as in the PDF); ``header`` repeats it on every page
    (``w:tblHeader``)."""
    row = tbl.add_tr()
    properties = row.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        mark = OxmlElement("w:tblHeader")
        mark.set(qn("w:val"), "true")
        properties.append(mark)
    return row


def keep_with_next(row: CT_Row) -> None:
    """Every paragraph of ``row`` kept with the next (``w:keepNext``): Word then keeps the row on
    the page of the row below it, as the PDF's ``break-before: avoid`` does."""
    for p in row.iter(qn("w:p")):
        Paragraph(p, None).paragraph_format.keep_with_next = True  # type: ignore[arg-type]


def add_cell(row: CT_Row, width: int, colspan: int = 1, merge: str | None = None) -> CT_Tc:
    """A new ``w:tc`` (with its one empty paragraph) at the end of ``row``, its text centred
    from top to bottom, as the PDF's cells (``vertical-align: middle``)."""
    cell = row.add_tc()
    cell.width = Emu(width)
    if colspan > 1:
        cell.grid_span = colspan
    if merge is not None:
        cell.vMerge = merge
    cell.get_or_add_tcPr().vAlign_val = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return cell


UNBROKEN_LANGUAGE = "en-US"
"""The East Asian language of a run that must not break. LibreOffice breaks East Asian text
with a language of its own (zh, ja, ko) at any character, ignoring WORD JOINERs (“2.1”/“万㎡”,
“108”/“盏” at a line end); for a run whose East Asian language is another one it uses the
Unicode line breaker, which honours them. Word honours them either way."""


def add_unbroken_text(run: CT_R, text: str, joiners: bool = True) -> None:
    """``text`` at the end of ``run`` with no place a line may break inside it: each hyphen a
    ``w:noBreakHyphen`` (Word's non-breaking hyphen), a WORD JOINER wherever the line breaker
    could otherwise break (``layout.joined``; none without ``joiners``: digits and Latin letters
    then stay together by the language alone, a unit after them may part), the run's East Asian
    language ``UNBROKEN_LANGUAGE``."""
    rpr = run.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:eastAsia"), UNBROKEN_LANGUAGE)
    rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    for number, part in enumerate(text.split("-")):
        if number:
            run.append(OxmlElement("w:noBreakHyphen"))
        if part:
            run.add_t(joined(part) if joiners else part)


_LINE_TEXT = {qn("w:t"): None, qn("w:noBreakHyphen"): "-", qn("w:tab"): "\t", qn("w:br"): "\n"}
"""What each run child that takes room on a line stands for (``break_between_words``); a
``w:t`` stands for its text."""


def break_between_words(
    cell: CT_Tc, width_em: float, lexicon: Lexicon, slack_em: float = 0.0
) -> None:
    """Line breaks (``w:br``) in ``cell`` where its lines, ``width_em`` ems wide, end when filled
    word by word (``layout.line_breaks``), when its text does not fit on one line. Word and
    LibreOffice break CJK text at any character and have no no-break run; a break written where
    theirs would be keeps each word whole without a character in the text a reader copies.
    A text that fits the cell's whole room (``width_em`` and the column's ``slack_em``) is left
    on its one line: a break is forced, and must come only where the cell wraps anyway."""
    for p in cell.iter(qn("w:p")):
        pieces = [
            (child, _LINE_TEXT[child.tag] or child.text or "")
            for run in p.iter(qn("w:r"))
            for child in run
            if child.tag in _LINE_TEXT
        ]
        text = "".join(piece for _, piece in pieces)
        if natural_em(text) <= width_em + slack_em:
            continue
        breaks: list[int] = []
        start = 0
        for line in text.split("\n"):
            breaks += [start + offset for offset in line_breaks(line, width_em, lexicon)]
            start += len(line) + 1
        whole = _whole_run_starts(pieces)
        _insert_breaks(pieces, [offset for offset in breaks if offset not in whole])


def _whole_run_starts(pieces: Sequence[tuple[BaseOxmlElement, str]]) -> set[int]:
    """The offsets where a run written whole (``add_unbroken_text``: joined, in
    ``UNBROKEN_LANGUAGE``) starts. A break due there is left to Word and LibreOffice: they
    cannot break inside the run and break before it when it does not fit, as the PDF does, so a
    ``w:br`` would only put a line break into the text a reader copies (“26.4%（未达标）”).
    Not before a run that opens with a bracket after Chinese text (“密度” “（%）”): LibreOffice,
    breaking the Chinese before it, broke after the bracket instead (“密度（” / “%）”, review27
    T6, review29)."""
    starts: set[int] = set()
    position = 0
    previous = None  # held, so lxml hands out the same proxy for the same run
    before = ""  # the character written last
    for element, piece in pieces:
        run = element.getparent()
        if run is not previous:
            previous = run
            lang = run.find(f"{qn('w:rPr')}/{qn('w:lang')}") if run is not None else None
            whole = lang is not None and lang.get(qn("w:eastAsia")) == UNBROKEN_LANGUAGE
            after_chinese = piece[:1] in OPENING and is_cjk(before)
            if whole and not after_chinese:
                starts.add(position)
        position += len(piece)
        before = piece[-1:] or before
    return starts


def _insert_breaks(pieces: Sequence[tuple[BaseOxmlElement, str]], breaks: Sequence[int]) -> None:
    """A ``w:br`` before each offset of ``breaks`` into the run text ``pieces`` stand for,
    splitting the ``w:t`` it falls in (a space left at the end of a line goes)."""
    wanted = sorted(breaks, reverse=True)
    ends: list[int] = []
    position = 0
    for _, piece in pieces:
        position += len(piece)
        ends.append(position)
    for offset in wanted:
        index = next(i for i, end in enumerate(ends) if end > offset)
        element, piece = pieces[index]
        cut = offset - (ends[index] - len(piece))
        line_break = OxmlElement("w:br")
        if element.tag != qn("w:t") or cut == 0:
            element.addprevious(line_break)
            continue
        text = element.text or ""
        rest = OxmlElement("w:t")
        rest.text = text[cut:]
        rest.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        element.text = text[:cut].rstrip(" ")
        element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        element.addnext(rest)
        element.addnext(line_break)


def no_autospace(ppr: BaseOxmlElement) -> None:
    """No extra space between CJK text and Latin letters or digits in this paragraph (Word and
    LibreOffice add about a quarter em by default; the PDF does not, and a table's columns are
    measured without it)."""
    for name in ("w:autoSpaceDE", "w:autoSpaceDN"):
        for old in ppr.findall(qn(name)):
            ppr.remove(old)
        element = OxmlElement(name)
        element.set(qn("w:val"), "0")
        _insert_ppr_child(ppr, element)


def set_cell_margins(tbl: CT_Tbl, left_right_pt: float, top_bottom_pt: float = 0.0) -> None:
    """The table's cell margins (``w:tblCellMar``), the same padding the PDF's cells have, so a
    column measured for one holds the same text in the other, and a row is as tall in both."""
    tbl_pr = tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblCellMar")):
        tbl_pr.remove(old)
    margins = OxmlElement("w:tblCellMar")
    sides = ("w:top", "w:left", "w:bottom", "w:right")  # CT_TblCellMar's order
    for side, points in zip(sides, (top_bottom_pt, left_right_pt) * 2, strict=True):
        element = OxmlElement(side)
        element.set(qn("w:w"), str(round(points * 20)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


# -- the 公文's pieces (GB/T 9704): character grid, borders, page alignment, turned page numbers ---

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
    for old in parent.findall(child.tag):
        parent.remove(old)
    _insert_in_order(parent, child, order)


def _element(tag: str, **attributes: str) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    return element


def character_spacing(rpr: BaseOxmlElement, twips: int) -> None:
    """Characters ``twips`` (twentieths of a point) closer together (negative) or further apart:
    the 公文's 3号 characters condensed to 28 a line (GB/T 9704 5.2.3)."""
    _put(rpr, _element("w:spacing", val=str(twips)), _RPR_ORDER)


def overflow_punctuation(ppr: BaseOxmlElement) -> None:
    """``w:overflowPunct`` on, written out. It is Word's default (Word may hang a closing mark at
    a line's end, as Chinese typesetting allows), but LibreOffice lays a paragraph out flush only
    when the element is there with value 1: without it, or with 0, it hangs a "，" that would
    start the next line beyond the 版心's right edge instead of taking a character down with it
    (seen with LibreOffice 7.4; the 28-character lines of GB/T 9704 5.2.3 end flush)."""
    _put(ppr, _element("w:overflowPunct", val="1"), _PPR_ORDER)


def align_page_bottom(sect_pr: BaseOxmlElement) -> None:
    """The section's text sits at the foot of its page (``w:vAlign`` bottom): the 版记."""
    _put(sect_pr, _element("w:vAlign", val="bottom"), _SECTPR_ORDER)


def snap_to_grid(paragraph: Paragraph, on: bool) -> None:
    """Whether the paragraph's lines and characters keep to the section's grid."""
    _set_snap(paragraph._p.get_or_add_pPr(), on)


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


def cant_split(row: CT_Row) -> None:
    """``w:cantSplit``: the row is kept on one page (an album row of pictures and captions)."""
    mark = OxmlElement("w:cantSplit")
    mark.set(qn("w:val"), "true")
    properties = row.get_or_add_trPr()
    properties.insert(0, mark)


# -- the stage watermark ------------------------------------------------------------------------------

VML = "urn:schemas-microsoft-com:vml"
OFFICE = "urn:schemas-microsoft-com:office:office"
WORD_VML = "urn:schemas-microsoft-com:office:word"
WATERMARK_SHAPE = "#_x0000_t136"
"""The VML shape type of Word's own text watermark (a WordArt text path, ``o:spt`` 136)."""

_WATERMARK = """<w:r xmlns:w="{w}" xmlns:v="{v}" xmlns:o="{o}" xmlns:w10="{w10}"><w:rPr><w:noProof/></w:rPr>
<w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
 path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>
<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>
<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>
<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="PowerPlusWaterMarkObject{number}" o:spid="_x0000_s{spid}" type="{type}"
 style="position:absolute;margin-left:0;margin-top:0;width:{width}pt;height:{height}pt;rotation:315;z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin"
 o:allowincell="f" fillcolor="#{color}" stroked="f"><v:fill opacity="{opacity}"/>
<v:textpath style="font-family:&quot;{font}&quot;;font-size:1pt" string="{text}"/>
<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>"""


def watermark(
    paragraph: Paragraph,
    text: str,
    font: str,
    color: str,
    opacity: float,
    size_pt: float,
    number: int,
) -> None:
    """Word's text watermark in a header paragraph: ``text`` as a VML text path (the shape type
    Word's own 水印 command writes, which Word, WPS and LibreOffice all show), centred on the text
    block, turned 45° rising to the right, filled ``color`` at ``opacity``, no outline, behind the
    text (negative z-index) and anchored to the page, so it moves nothing. ``size_pt`` is the
    height of its characters; the box is as wide as the text (square CJK characters). ``number``
    makes the shape's id unique in the document."""
    run = parse_xml(
        _WATERMARK.format(
            w=nsmap["w"], v=VML, o=OFFICE, w10=WORD_VML, number=number, spid=2048 + number,
            type=WATERMARK_SHAPE, width=f"{size_pt * max(len(text), 1):.1f}",
            height=f"{size_pt:.1f}", color=color, opacity=f"{opacity:g}", font=_attribute(font), text=_attribute(text),
        )
    )  # fmt: skip
    paragraph._p.append(run)


def _attribute(text: str) -> str:
    """``text`` escaped for an XML attribute value in double quotes."""
    return escape(text, {'"': "&quot;"})


# -- tracked changes (revisions) ---------------------------------------------------------------------
#
# A revision is an element that holds what changed and says who changed it when (ECMA-376 Part 1
# §17.13.5): runs inserted sit in ``w:ins``, runs deleted in ``w:del`` (their text as
# ``w:delText``), a paragraph's mark is inserted or deleted by ``w:pPr/w:rPr/w:ins|w:del``, a
# table row by ``w:trPr/w:ins|w:del``. A move is a named pair of ranges: ``w:moveFromRangeStart``
# … ``w:moveFromRangeEnd`` around runs in ``w:moveFrom`` where the text stood, the same ``w:name``
# on ``w:moveToRangeStart`` … ``w:moveToRangeEnd`` around runs in ``w:moveTo`` where it stands now;
# moved runs keep their text in ``w:t`` (§17.13.5.22's example: ``<w:moveFrom><w:r><w:t>Some moved
# text.</w:t></w:r></w:moveFrom>``), unlike deleted ones.

RevisionKind = Literal["ins", "del", "moveFrom", "moveTo"]
REVISION_KINDS: tuple[RevisionKind, ...] = ("ins", "del", "moveFrom", "moveTo")
_RANGE_TAGS = ("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd")


@dataclass(frozen=True, slots=True)
class Mark:
    """Who made a change and when: ``w:author`` and ``w:date`` (ISO 8601 in UTC, “Z”, or None)."""

    author: str
    date: str | None


def revision_date(when: dt.datetime) -> str:
    """``w:date``: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (a naive time is taken as UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _revision(kind: str, mark: Mark) -> BaseOxmlElement:
    element = OxmlElement(f"w:{kind}")
    element.set(qn("w:id"), "0")  # numbered once the document is complete (``number_revisions``)
    element.set(qn("w:author"), mark.author)
    if mark.date is not None:
        element.set(qn("w:date"), mark.date)
    return element


def is_tracked(run: BaseOxmlElement) -> bool:
    """Whether a run already stands inside a revision element."""
    parent = run.getparent()
    return parent is not None and parent.tag in {qn(f"w:{kind}") for kind in REVISION_KINDS}


def track_run(run: BaseOxmlElement, kind: RevisionKind, mark: Mark) -> BaseOxmlElement:
    """Put ``run`` (a ``w:r``, wherever it stands) inside a new revision element of ``kind``."""
    wrapper = _revision(kind, mark)
    run.addprevious(wrapper)
    wrapper.append(run)
    return wrapper


def track_paragraph_mark(paragraph: BaseOxmlElement, kind: RevisionKind, mark: Mark) -> None:
    """The paragraph's mark inserted, deleted or moved (``w:pPr/w:rPr/w:<kind>``, first in the
    mark's properties as ``CT_ParaRPr`` orders them)."""
    ppr = paragraph.find(qn("w:pPr"))
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        paragraph.insert(0, ppr)
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        _insert_ppr_child(ppr, rpr)
    rpr.insert(0, _revision(kind, mark))


def track_row(row: BaseOxmlElement, kind: Literal["ins", "del"], mark: Mark) -> None:
    """A table row inserted or deleted (``w:trPr/w:ins|w:del``, after the row's other
    properties)."""
    trpr = row.find(qn("w:trPr"))
    if trpr is None:
        trpr = OxmlElement("w:trPr")
        row.insert(0, trpr)
    trpr.append(_revision(kind, mark))


def move_range(
    first: BaseOxmlElement,
    last: BaseOxmlElement,
    kind: Literal["moveFrom", "moveTo"],
    name: str,
    mark: Mark,
) -> None:
    """The named range of a move, from the start of paragraph ``first`` (after its properties)
    to the end of paragraph ``last``."""
    start = _revision(f"{kind}RangeStart", mark)
    start.set(qn("w:name"), name)
    ppr = first.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        first.insert(0, start)
    # Start and end share one id; until the ids are numbered it is the range's kind and name.
    start.set(qn("w:id"), f"{kind}-{name}")
    last.append(_element(f"w:{kind}RangeEnd", id=f"{kind}-{name}"))


def number_revisions(body: BaseOxmlElement, first: int) -> int:
    """Give every revision element of ``body`` its own ``w:id`` from ``first`` on (a move range's
    end the id of its start), write the text of deleted runs as ``w:delText`` (field codes as
    ``w:delInstrText``); returns how many revision elements there are."""
    numbered = 0
    ranges: dict[str, str] = {}
    for element in body.iter(*(qn(f"w:{tag}") for tag in (*REVISION_KINDS, *_RANGE_TAGS))):
        old = element.get(qn("w:id"), "")
        if element.tag.endswith("RangeEnd"):
            element.set(qn("w:id"), ranges.get(old, "0"))
            continue
        new = str(first + numbered)
        numbered += 1
        ranges[old] = new
        element.set(qn("w:id"), new)
        if element.tag == qn("w:del") and element.getparent().tag not in (
            qn("w:rPr"), qn("w:trPr"),
        ):  # fmt: skip
            _deleted_text(element)
    return numbered


def _deleted_text(deletion: BaseOxmlElement) -> None:
    for old_tag, new_tag in (("w:t", "w:delText"), ("w:instrText", "w:delInstrText")):
        for text in list(deletion.iter(qn(old_tag))):
            text.tag = qn(new_tag)
