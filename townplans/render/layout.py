"""Decisions both writers share, so Word and PDF agree: which local file an image names, how wide
each table column is, where in the sources a token stream comes from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from townplans.model import SourceRef

SHORT_LABEL = 8.0
"""Half-width units a column always gets if its texts need them: four CJK characters (序号, 备注)."""
LONG_TEXT = 40.0
"""Beyond this, a column's text wraps rather than taking more of the row."""


def is_cjk(char: str) -> bool:
    return (
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
    )


def text_width(text: str) -> float:
    """Display width in half-width units: a CJK character counts two."""
    return float(sum(2 if is_cjk(char) else 1 for char in text))


def column_weights(
    rows: Sequence[Sequence[str]], columns: int, available: float = 70.0
) -> list[float]:
    """Widths (in half-width units, used as shares) of a table's columns across ``available`` units.

    Each column first gets what its short texts need (up to four CJK characters, so headers such
    as 序号 never break); what is left is shared by how much longer text each column has.
    """
    needed = [2.0] * columns
    wanted = [2.0] * columns
    for row in rows:
        for index, text in enumerate(row[:columns]):
            longest = max((text_width(line.strip()) for line in text.split("\n")), default=0.0)
            needed[index] = max(needed[index], min(longest, SHORT_LABEL))
            wanted[index] = max(wanted[index], min(longest, LONG_TEXT))
    spare = available - sum(needed)
    growth = [want - need for want, need in zip(wanted, needed, strict=True)]
    if spare <= 0 or not sum(growth):
        return needed
    return [need + spare * grow / sum(growth) for need, grow in zip(needed, growth, strict=True)]


def available_units(text_width_mm: float, font_size_pt: float, columns: int) -> float:
    """Half-width character cells across a text block, less each cell's padding."""
    unit_mm = font_size_pt * 0.3528 / 2
    return max(text_width_mm / unit_mm - 1.5 * columns, float(columns))


def percentages(weights: Sequence[float]) -> list[float]:
    total = sum(weights) or 1.0
    return [round(100 * weight / total, 2) for weight in weights]


def local_file(source: str, base_dir: Path, root: Path) -> Path | None:
    """The local file a relative link names, if it exists inside ``root``; never a remote URL."""
    if not source or ":" in source.split("/")[0] or source.startswith("/"):
        return None
    path = (base_dir / unquote(source)).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return path


def text_block(section: Any) -> tuple[int, int]:
    """(width, height) of a python-docx section's text block in EMU (914400 per inch)."""
    width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
    height = (section.page_height or 0) - (section.top_margin or 0) - (section.bottom_margin or 0)
    return int(width), int(height)


def missing_image(alt: str, source: str) -> str:
    """What stands where an image cannot be shown: its alt text stays in the sentence, followed by
    a visible note, e.g. 镇区综合交通规划图【缺：图片 drawings/05-roads.png】."""
    return f"{alt}【缺：图片 {source}】"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a token stream comes from, so that what a writer reports names the right place."""

    path: str | None = None
    """The workspace-relative file (a town's Markdown file, or the template a part is generated
    from); None when not known (a writer used on its own)."""
    generated: bool = False
    """True for a part generated from a template: its token lines are not the template's lines."""

    def ref(self, line: int | None) -> SourceRef | None:
        """The place of a 0-based token line (the file alone when the line means nothing there)."""
        if self.path is None:
            return None
        return SourceRef(self.path, None if self.generated or line is None else line + 1)


UNKNOWN = Origin()
"""The origin of a token stream written on its own (a test, a benchmark): problems carry no place."""
