"""The PDF's stage watermark as outlines: its characters drawn as vector paths taken from the font,
so the page shows them as it shows text, but the PDF has no text for them.

Set as text, the diagonal characters would be read back with the page (pdftotext, search, copying
a paragraph): a 送 between the digits of a table cell, a 稿 in the middle of a sentence. As paths
they are only ink. The font is the first of the given families fontconfig has (``fc-match``, the
lookup WeasyPrint's Pango makes); without any, or without a glyph for a character, there are no
outlines and the caller sets the text as text.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from html import escape


@dataclass(frozen=True, slots=True)
class Outline:
    """SVG path data of a line of text, baseline at ``ascent``, in font units."""

    path: str
    width: float
    height: float
    units_per_em: int


def svg(
    text: str, families: Sequence[str], size_pt: float, color: str, opacity: float
) -> str | None:
    """An inline SVG of ``text`` in the first of ``families`` fontconfig has, its characters
    ``size_pt`` high, filled with ``color`` (hex digits) at ``opacity``; None when no outline
    can be made."""
    outline = outlines(text, tuple(families))
    if outline is None:
        return None
    scale = size_pt / outline.units_per_em
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{outline.width * scale:.1f}pt" '
        f'height="{outline.height * scale:.1f}pt" viewBox="0 0 {outline.width:g} {outline.height:g}">'
        f'<path fill="#{escape(color)}" fill-opacity="{opacity:g}" d="{escape(outline.path)}"/></svg>'
    )


@cache
def outlines(text: str, families: tuple[str, ...]) -> Outline | None:
    """The outlines of ``text`` in the first of ``families`` fontconfig resolves to itself."""
    found = font_file(families)
    if found is None:
        return None
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.ttLib import TTFont, TTLibError

    file, index = found
    try:
        font = TTFont(file, fontNumber=index, lazy=True)
        cmap = font.getBestCmap()
        glyphs = font.getGlyphSet()
        units = int(font["head"].unitsPerEm)
        ascent, descent = int(font["hhea"].ascent), int(font["hhea"].descent)
    except (OSError, TTLibError, KeyError, AttributeError):
        return None
    pen = SVGPathPen(glyphs)
    x = 0.0
    for char in text:
        name = cmap.get(ord(char)) if cmap else None
        if name is None:
            return None
        glyph = glyphs[name]
        glyph.draw(TransformPen(pen, (1, 0, 0, -1, x, ascent)))  # font units: y up; SVG: down
        x += glyph.width
    return Outline(pen.getCommands(), x, float(ascent - descent), units)


@cache
def font_file(families: tuple[str, ...]) -> tuple[str, int] | None:
    """The file and face index of the first of ``families`` fontconfig has (its own answer, not
    a fallback it would give for any name); None without fontconfig or any of them."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    for family in families:
        try:
            answer = subprocess.run(
                [fc_match, "-f", "%{file}|%{index}|%{family}", family],
                capture_output=True, text=True, timeout=10, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        file, _, rest = answer.stdout.partition("|")
        index, _, names = rest.partition("|")
        if file and index.isdigit() and family in names.split(","):
            return file, int(index)
    return None
