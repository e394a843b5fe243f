"""What a reviewer reads, with its place: every line of text, every YAML string, every section and
table of a town's documents. Shared by the reviewer rules (arithmetic, references, formats,
identity, magnitude, placeholders); no rule of its own. The numbers, amounts and areas written in
them are read by ``townplans.values`` (one parser per kind of value)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from townplans.mdparser import Table, inline_text, tables
from townplans.model import Located, MarkdownFile, SourceRef, Town


@dataclass(frozen=True, slots=True)
class Line:
    """One block of text (a paragraph, list item, heading or table cell) at its file line."""

    ref: SourceRef
    text: str
    heading: bool = False
    cell: bool = False


def lines(markdown: MarkdownFile) -> tuple[Line, ...]:
    """Each inline token's text, at the line of its block (a table cell at its row's line); read
    once per file, then kept on it for every rule."""
    found: tuple[Line, ...] | None = markdown.derived.get("lines")
    if found is None:
        found = markdown.derived["lines"] = tuple(_lines(markdown))
    return found


def _lines(markdown: MarkdownFile) -> Iterator[Line]:
    current: int | None = None
    kind = ""
    for token in markdown.tokens:
        if token.map is not None:
            current = token.map[0] + 1
        if token.type.endswith("_open"):
            kind = token.type
        if token.type == "inline" and current is not None:
            line = token.map[0] + 1 if token.map is not None else current
            yield Line(
                markdown.ref.at(line),
                inline_text(token),
                heading=kind == "heading_open",
                cell=kind in ("td_open", "th_open"),
            )


@dataclass(frozen=True, slots=True)
class Section:
    """The text under one level-1 heading (or before the first), with the tables in it."""

    title: str
    lines: tuple[Line, ...]
    tables: tuple[Table, ...]


def sections(markdown: MarkdownFile) -> tuple[Section, ...]:
    """A document cut at its level-1 headings; each table belongs to the section it stands in
    (cut once per file, then kept)."""
    found: tuple[Section, ...] | None = markdown.derived.get("sections")
    if found is None:
        found = markdown.derived["sections"] = tuple(_sections(markdown))
    return found


def _sections(markdown: MarkdownFile) -> list[Section]:
    starts = [h.ref.line or 0 for h in markdown.headings if h.level == 1]
    titles = [h.text for h in markdown.headings if h.level == 1]
    bounds = [0, *starts, 10**9]
    names = ["", *titles]
    all_lines = list(lines(markdown))
    all_tables = tables(markdown)
    found = []
    for index, name in enumerate(names):
        low, high = bounds[index], bounds[index + 1]

        def inside(line: int | None, low: int = low, high: int = high) -> bool:
            return line is not None and low <= line < high

        found.append(
            Section(
                name,
                tuple(line for line in all_lines if inside(line.ref.line)),
                tuple(t for t in all_tables if t.ref is not None and inside(t.ref.line)),
            )
        )
    return found


def strings(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string in a YAML value with its path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from strings(value, (*path, index))
    elif isinstance(data, str):
        yield path, data


def yaml_strings(located: Located) -> tuple[tuple[tuple[str | int, ...], str], ...]:
    """Every string in a YAML file with its path (``strings`` of its data), walked once per file
    and kept on it for every rule."""
    found: tuple[tuple[tuple[str | int, ...], str], ...] | None = located.derived.get("strings")
    if found is None:
        found = located.derived["strings"] = tuple(strings(located.data))
    return found


def yaml_files(town: Town) -> Iterator[Located]:
    """Every YAML a town holds: town.yaml, each document's front matter, parcels, photos."""
    if town.meta is not None:
        yield town.meta
    for markdown in town.markdown_files():
        yield markdown.meta
    for plan in town.detailed_plans:
        if plan.parcels is not None:
            yield plan.parcels
    for project in town.projects:
        if project.photos_meta is not None:
            yield project.photos_meta


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip


def chinese_number(text: str) -> int | None:
    """``12``, ``十二``, ``二十三``, ``一百零五`` -> the integer (up to 999), else None."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:  # 百
            total += (current or 1) * 100
            current = 0
    return total + current


def similar(a: str, b: str) -> bool:
    """Two names of the same length that differ in exactly one character (a likely typo)."""
    return len(a) == len(b) >= 3 and a != b and sum(x != y for x, y in zip(a, b, strict=True)) == 1
