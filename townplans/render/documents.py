"""Assemble whole documents from the model: cover, TOC and the Markdown parts, as DOCX and HTML.

Both outputs are made from the same token streams; only the writers differ.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from townplans.load.values import ValueFormatError, parse_date
from townplans.model import MarkdownFile, MasterPlan, Town
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.style import Style, css


@dataclass(frozen=True, slots=True)
class DocumentParts:
    """What a document is made of: title, cover lines and Markdown files in order."""

    title: str
    cover_lines: tuple[str, ...]
    files: tuple[MarkdownFile, ...]
    author: str
    date: dt.date | None


def master_plan_parts(town: Town, plan: MasterPlan) -> DocumentParts:
    """The master plan: title and cover facts from the first chapter's front matter."""
    first = plan.chapters[0].meta if plan.chapters else None
    title = str(first.get("title") or f"{town.name}总体规划") if first else f"{town.name}总体规划"
    institute = str(first.get("institute") or "") if first else ""
    status = str(first.get("status") or "") if first else ""
    date = _date(first.get("date")) if first else None
    lines = [text for text in (institute, _chinese_month(date), status) if text]
    return DocumentParts(title, tuple(lines), plan.chapters, institute or town.name, date)


def _date(value: object) -> dt.date | None:
    try:
        return parse_date(value).value if value is not None else None
    except ValueFormatError:
        return None


def _chinese_month(date: dt.date | None) -> str:
    return f"{date.year}年{date.month}月" if date else ""


def to_docx(
    parts: DocumentParts, style: Style, root: Path, stamp: dt.datetime
) -> tuple[bytes, list[str]]:
    """The Word document as bytes, and what the writer could not render."""
    writer = DocxWriter(style, root)
    writer.add_cover(parts.title, parts.cover_lines)
    writer.add_toc()
    for markdown in parts.files:
        writer.add_markdown(markdown.tokens, root / Path(markdown.ref.path).parent)
    properties = writer.document.core_properties
    properties.title = parts.title
    properties.author = parts.author
    properties.last_modified_by = "townplans"
    properties.created = stamp
    properties.modified = stamp
    properties.revision = 1
    buffer = io.BytesIO()
    writer.document.save(buffer)
    return buffer.getvalue(), writer.problems


def to_html(parts: DocumentParts, style: Style, root: Path, font_faces: str = "") -> str:
    """The print HTML page for WeasyPrint."""
    html_parts = [
        html_render.HtmlPart(markdown.tokens, root / Path(markdown.ref.path).parent, root)
        for markdown in parts.files
    ]
    body = html_render.render_body(html_parts)
    return html_render.page(parts.title, body, css(style, font_faces), parts.cover_lines)
