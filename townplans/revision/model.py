"""The data of a comparison between two versions of a document, shared by the engine that
aligns them and the writers that show the result (修改对照表, tracked-changes DOCX, summary).

A document is a sequence of ``Block`` s (heading, paragraph, list, table, figure, other). The
comparison is a *merged* sequence of ``Step`` s in reading order of the new version, deletions
and the old places of moved blocks standing where they stood in the old one, so that a writer
can walk it once: accepting every change gives the new version, rejecting every change the old.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list", "table", "figure", "other"]


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a Markdown text, as compared.

    ``text`` is what a reader sees (inline markup gone; a soft line break between two Chinese
    characters is nothing); a list's items and a table's cells are also kept one by one so that
    they can be compared item by item and cell by cell."""

    kind: BlockKind
    text: str
    source: str
    """The block's Markdown source, exactly as written (its lines)."""
    path: str
    """Workspace-relative file the block comes from."""
    line: int
    """1-based line in that file."""
    level: int = 0
    """A heading's level (1–6); 0 for other blocks."""
    items: tuple[str, ...] = ()
    """A list's item texts."""
    cells: tuple[tuple[str, ...], ...] = ()
    """A table's rows of cell texts, the header row first."""
    image: str = ""
    """A figure's image path as written."""
    reason: str = ""
    """The 修改说明 written beside the block (``<!-- 修改说明：… -->``), if any."""


class Op(StrEnum):
    """What happened to a block between the two versions."""

    EQUAL = "equal"
    MODIFY = "modify"
    INSERT = "insert"
    DELETE = "delete"
    MOVE_FROM = "move_from"
    """Where a moved block stood in the old version (its old text)."""
    MOVE_TO = "move_to"
    """Where a moved block stands in the new version (its new text)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text that is in both versions (``=``), only in the new (``+``) or only in the
    old (``-``)."""

    op: Literal["=", "+", "-"]
    text: str


@dataclass(frozen=True, slots=True)
class CellChange:
    """A table cell whose text changed (0-based row and column; row 0 is the header).

    ``row`` and ``column`` are the cell's place in the new table; for a cell of a row or column
    the new version removed (``change`` "delete") they are its place in the old table."""

    row: int
    column: int
    segments: tuple[Segment, ...]
    change: Literal["modify", "insert", "delete"] = "modify"
    """A cell changed in place, or a cell of a row or column added or removed."""
    old_row: int = -1
    """For a changed cell, its row in the old table (rows may have been added above it)."""
    old_column: int = -1
    """For a changed cell, its column in the old table."""


@dataclass(frozen=True, slots=True)
class Revision:
    """Who made a change and when (from the git commit that made it, or the working tree)."""

    author: str
    date: dt.datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One block of the merged sequence.

    ``segments`` compare the old text with the new, character by character (MODIFY, and a
    MOVE_TO whose text also changed); a table's changed cells are in ``cells``; a list's items
    are compared as the text of the list (items joined by line breaks)."""

    op: Op
    old: Block | None
    new: Block | None
    section: tuple[str, ...] = ()
    """The headings above the block in the version it belongs to (new, or old for DELETE and
    MOVE_FROM), outermost first: the 章节 column of the 修改对照表."""
    segments: tuple[Segment, ...] = ()
    cells: tuple[CellChange, ...] = ()
    move: int = 0
    """For MOVE_FROM/MOVE_TO: the number of the move both halves share (1, 2 …)."""
    revision: Revision | None = None
    """Who made this change and when; None for EQUAL."""
    reason: str = ""
    """The 修改说明: the block's own comment, else the revision entry's summary."""


@dataclass(frozen=True, slots=True)
class Version:
    """One side of a comparison."""

    label: str
    """How it is named to the reader: a tag, a short commit id, a file, or 工作区."""
    blocks: tuple[Block, ...]
    revision: Revision | None = None
    meta: dict[str, object] = field(default_factory=dict)
    """The document's front matter (title, status, version, revisions …)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two versions of a document and the merged sequence of their blocks."""

    title: str
    old: Version
    new: Version
    steps: tuple[Step, ...]

    @property
    def changes(self) -> tuple[Step, ...]:
        """The steps that are not EQUAL, in order (a move counts once per half)."""
        return tuple(step for step in self.steps if step.op is not Op.EQUAL)
