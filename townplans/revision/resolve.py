"""Every tracked change of a Word document accepted or rejected, as Word's “接受所有修订” and
“拒绝所有修订” do (ECMA-376 Part 1 §17.13.5), and the texts a reader then sees: what a reviewer
uses to check a 修订标记稿 against the two versions it compares.

Accepting keeps inserted and moved-to content and drops deleted and moved-from content;
rejecting does the opposite. A paragraph whose mark goes (deleted when accepting, inserted when
rejecting) joins the paragraph after it; a table row that goes is removed with its cells.
"""

from __future__ import annotations

import io
import zipfile
from copy import deepcopy
from pathlib import Path

from docx.oxml import parse_xml
from docx.oxml.xmlchemy import BaseOxmlElement

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_HIDDEN = "\u200b\u2060"
"""ZERO WIDTH SPACE and WORD JOINER: invisible, where the writer lets or keeps lines from
breaking (``layout.break_opportunities``, ``layout.joined``); not part of what a reader reads."""


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def document_xml(path: Path | bytes) -> BaseOxmlElement:
    """The ``word/document.xml`` of a DOCX file (or its bytes), parsed."""
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    with zipfile.ZipFile(source) as archive:
        return parse_xml(archive.read("word/document.xml"))


def resolved(root: BaseOxmlElement, accept: bool) -> BaseOxmlElement:
    """A copy of ``root`` (a document's XML) with every tracked change accepted or rejected."""
    copy = deepcopy(root)
    kept, dropped = (("ins", "moveTo"), ("del", "moveFrom"))[:: 1 if accept else -1]
    for element in list(copy.iter(*map(_w, (*kept, *dropped)))):
        parent = element.getparent()
        if parent is None or parent.tag in (_w("rPr"), _w("trPr")):
            continue  # a paragraph's or row's mark: below
        if element.tag in map(_w, dropped):
            parent.remove(element)
        else:
            _unwrap(element)
    for row in list(copy.iter(_w("tr"))):
        if any(row.find(f"{_w('trPr')}/{_w(tag)}") is not None for tag in dropped):
            row.getparent().remove(row)
    for paragraph in list(copy.iter(_w("p"))):
        marks = paragraph.find(f"{_w('pPr')}/{_w('rPr')}")
        if marks is not None and any(marks.find(_w(tag)) is not None for tag in dropped):
            _join_next(paragraph)
    if not accept:
        for tag, plain in (("delText", "t"), ("delInstrText", "instrText")):
            for text in copy.iter(_w(tag)):
                text.tag = _w(plain)
    for mark in list(copy.iter(*map(_w, (*kept, *dropped)))):
        mark.getparent().remove(mark)  # the marks left are those of kept paragraphs and rows
    ranges = ("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd")
    for marker in list(copy.iter(*map(_w, ranges))):
        marker.getparent().remove(marker)
    return copy


def _unwrap(element: BaseOxmlElement) -> None:
    parent = element.getparent()
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    parent.remove(element)


def _join_next(paragraph: BaseOxmlElement) -> None:
    """A paragraph whose mark goes: what is left of its content starts the next paragraph."""
    following = paragraph.getnext()
    parent = paragraph.getparent()
    content = [child for child in paragraph if child.tag != _w("pPr")]
    if following is not None and following.tag == _w("p"):
        properties = following.find(_w("pPr"))
        at = 1 if properties is not None else 0
        for offset, child in enumerate(content):
            following.insert(at + offset, child)
    parent.remove(paragraph)


def paragraph_texts(root: BaseOxmlElement) -> list[str]:
    """The text of every paragraph of the body in reading order (table cells' paragraphs among
    them), as a reader sees it: a line break as “\\n”, a tab as “\\t”, a non-breaking hyphen as
    “-”, invisible break controls left out."""
    texts: list[str] = []
    body = root.find(_w("body"))
    for paragraph in (body if body is not None else root).iter(_w("p")):
        parts: list[str] = []
        for element in paragraph.iter(_w("t"), _w("delText"), _w("br"), _w("tab"), _w("noBreakHyphen")):  # fmt: skip
            if element.tag in (_w("t"), _w("delText")):
                parts.append(element.text or "")
            elif element.tag == _w("br"):
                parts.append("\n")
            elif element.tag == _w("tab") and element.getparent().tag == _w("r"):
                parts.append("\t")
            elif element.tag == _w("noBreakHyphen"):
                parts.append("-")
        text = "".join(parts)
        texts.append(text.translate({ord(c): None for c in _HIDDEN}))
    return texts
