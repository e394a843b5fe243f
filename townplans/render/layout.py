"""Decisions both writers share, so Word and PDF agree: which local file an image names, how wide
each table column is."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

MIN_WEIGHT = 4.0
MAX_WEIGHT = 40.0


def is_cjk(char: str) -> bool:
    return (
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
    )


def text_width(text: str) -> float:
    """Display width in half-width units: a CJK character counts two."""
    return float(sum(2 if is_cjk(char) else 1 for char in text))


def column_weights(rows: Sequence[Sequence[str]], columns: int) -> list[float]:
    """Share of the text block per column: its longest cell text, clamped so that no column is
    starved (a 4-character minimum) and no long paragraph takes all the room."""
    weights = [MIN_WEIGHT] * columns
    for row in rows:
        for index, text in enumerate(row[:columns]):
            longest = max((text_width(line) for line in text.split("\n")), default=0.0)
            weights[index] = max(weights[index], min(longest, MAX_WEIGHT))
    return weights


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
