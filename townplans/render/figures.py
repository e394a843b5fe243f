"""Figures and planning drawings, decided once for both writers.

A *figure* is a paragraph holding only an image: it is numbered (图 1, 图 2 … in document order)
and captioned "图 3  镇区土地利用规划图" with the image's alt text (else its title). In the text of
a plan (总体规划、控规、修规) every figure is a *drawing*: it gets a page of its own and fills that
page's text block, on a landscape page when it is wider than tall. A heading that stands right
before a drawing goes onto the drawing's page with it (the drawing leaves room for it), so a
chapter heading such as "第十章 图纸目录" never stays behind alone. The writers take the size
from here and the text block from their own page set-up, so a drawing fills the page in Word and
in the PDF alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token
from PIL import Image, UnidentifiedImageError

PT_MM = 25.4 / 72
SAFETY_MM = 3.0
"""Kept free below a drawing and its caption: rounding in either writer never pushes the caption
onto a page of its own."""


def lone_image(tokens: Sequence[Token], index: int) -> Token | None:
    """The image of a paragraph that holds nothing else (a figure), or None."""
    if index + 1 >= len(tokens) or tokens[index].type != "paragraph_open" or tokens[index].hidden:
        return None
    children = [c for c in tokens[index + 1].children or () if c.type != "softbreak"]
    return children[0] if len(children) == 1 and children[0].type == "image" else None


def title(image: Token) -> str:
    """A figure's title: the image's alt text, else its title attribute."""
    return image.content or str(image.attrs.get("title", "") or "")


def pixel_size(path: Path) -> tuple[int, int] | None:
    """Width and height in pixels, or None when the file is not an image Pillow reads."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return None


def is_landscape(pixels: tuple[int, int]) -> bool:
    """A drawing wider than tall is printed on a landscape page."""
    return pixels[0] > pixels[1]


@dataclass(frozen=True, slots=True)
class DrawingPage:
    """What a drawing's page holds besides the drawing: its caption and the headings above it."""

    caption_mm: float
    """Height of the caption line."""
    heading_mm: float
    """Height of one heading line."""

    def fit(
        self,
        pixels: tuple[int, int],
        block: tuple[float, float],
        headings: int = 0,
        grid_mm: float | None = None,
    ) -> tuple[float, float]:
        """Width and height (mm) of a drawing of ``pixels`` filling ``block`` (the text block's
        width and height, mm) less its caption and ``headings`` heading lines: as large as the
        block allows, in its own proportions (larger or smaller than its pixels at any dpi).

        With a line grid of ``grid_mm`` (Word's document grid) the drawing's line takes whole
        grid lines: LibreOffice rounds a line up to the grid even where the paragraph asks not to
        snap to it, so the drawing is kept to the whole lines left by the caption and headings."""
        width, height = pixels
        room = block[1] - self.caption_mm - headings * self.heading_mm - SAFETY_MM
        if grid_mm:
            room = min(room, math.floor(block[1] / grid_mm - 1 - headings) * grid_mm - 1.0)
        scale = min(block[0] / width, max(room, 10.0) / height)
        return width * scale, height * scale


def page_for(line_spacing_pt: float) -> DrawingPage:
    """The caption and headings each take one line of the body's line pitch (both writers set
    headings and captions on it)."""
    line = line_spacing_pt * PT_MM
    return DrawingPage(caption_mm=line, heading_mm=line)
