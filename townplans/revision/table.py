"""The 修改对照表: one row per change of a ``Comparison`` (序号, 章节, 原文, 修改后, 修改说明),
deletions struck through (``~~``) in 原文 and insertions underlined (``++``) in 修改后, long
unchanged context shortened with “……”.

The table is written as Markdown and printed by the document writers like any document
(``render.documents``: Word and PDF from one token stream), on landscape A4 pages with the
公文's fonts: the title in the title font (小标宋), the table in the table font (仿宋_GB2312),
its header row bold. A move is one row (章节 “由 X 移至 Y”); a table cell names its row and
column; a figure added or removed says so; identical versions give one row saying 无修改.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from townplans import mdparser
from townplans.render.documents import DocumentSpec, Markdown, Part, cell, md_table
from townplans.render.layout import Origin
from townplans.revision.history import WORKTREE, entry_date
from townplans.revision.model import Block, CellChange, Comparison, Op, Segment, Step, Version
from townplans.revision.textdiff import NUMERIC

CONTEXT = 12
"""Unchanged characters kept on each side of a change; more are shortened to “……”."""
WHOLE = 160
"""An inserted or deleted block longer than this is shown as its start and “……”."""
HEADER = ("序号", "章节", "原文", "修改后", "修改说明")
NO_CHANGE = "无修改"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the table: the Markdown of each cell (number added when written)."""

    section: str
    old: str
    new: str
    reason: str


def suffix(name: str) -> str:
    return f"{name}修改对照表"


def rows(comparison: Comparison) -> list[Row]:
    """The table's rows, in the order of the merged steps; a move where its new half stands."""
    found: list[Row] = []
    moves_from: dict[int, Step] = {}
    for step in comparison.steps:
        if step.op is Op.MOVE_FROM:
            moves_from.setdefault(step.move, step)
    seen_moves: set[int] = set()
    for step in comparison.steps:
        if step.op is Op.EQUAL or step.op is Op.MOVE_FROM:
            continue
        if step.op is Op.MOVE_TO:
            if step.move not in seen_moves:
                seen_moves.add(step.move)
                found.append(_move(step, moves_from.get(step.move), comparison))
            if step.segments and any(s.op != "=" for s in step.segments):
                found += _changed(step)
            continue
        found += _changed(step)
    return found


def _where(section: Sequence[str]) -> str:
    return " > ".join(section) if section else "（文首）"


def _move(to: Step, origin: Step | None, comparison: Comparison) -> Row:
    """A moved section: its heading (or first block), where it stood and where it stands."""
    block = to.new
    assert block is not None
    old_place = place(comparison.old.blocks, origin.old) if origin and origin.old else ""
    new_place = place(comparison.new.blocks, block)
    what = f"{_label(block)}{block.text}"
    return Row(
        cell(f"由 {old_place} 移至 {new_place}"),
        cell(f"{what}（原位置）"),
        cell(f"{what}（移至此处）"),
        cell(to.reason),
    )


def place(blocks: Sequence[Block], block: Block) -> str:
    """Where ``block`` stands among its siblings: “第二章 用地布局 第三条 居住用地之后”, or
    “第二章 用地布局 开头”."""
    index = next((i for i, b in enumerate(blocks) if b is block), 0)
    level = block.level if block.kind == "heading" else 7
    sibling = ""
    parents: list[str] = []
    for earlier in reversed(blocks[:index]):
        if earlier.kind != "heading":
            continue
        if earlier.level == level and not sibling and not parents:
            sibling = earlier.text
        elif earlier.level < level:
            parents.insert(0, earlier.text)
            level = earlier.level
    outer = " > ".join(parents)
    return f"{outer} {sibling}之后".strip() if sibling else f"{outer or '文档'} 开头".strip()


def _label(block: Block) -> str:
    return "整节：" if block.kind == "heading" else ""


def _changed(step: Step) -> list[Row]:
    block = step.new if step.new is not None else step.old
    assert block is not None
    where = _where(step.section)
    reason = cell(step.reason)
    if step.op is Op.INSERT:
        return [Row(cell(where), "", _whole(block, "+"), reason)]
    if step.op is Op.DELETE:
        return [Row(cell(where), _whole(block, "-"), "", reason)]
    if block.kind == "table" and step.cells:
        return [Row(cell(f"{where} > {spot}"), old, new, reason) for spot, old, new in _cells(step)]
    old, new = marked(step.segments)
    return [Row(cell(where), old, new, reason)]


def _whole(block: Block, op: str) -> str:
    """An inserted or deleted block as one mark: a figure says it is a figure, a table shows its
    rows, a long text its start."""
    if block.kind == "figure":
        text = f"图：{block.text or block.image}（{block.image}）"
    elif block.kind == "heading":
        text = f"标题：{block.text}"
    else:
        text = block.text
    if len(text) > WHOLE:
        text = text[:WHOLE] + "……"
    return _mark(text, op)


def _cells(step: Step) -> Iterable[tuple[str, str, str]]:
    """(where, 原文, 修改后) per changed cell, per row added or removed, per column added or
    removed."""
    old_cells, new_cells = step.old.cells if step.old else (), step.new.cells if step.new else ()
    whole_rows: dict[tuple[str, int], list[CellChange]] = {}
    whole_columns: dict[tuple[str, int], list[CellChange]] = {}
    for change in step.cells:
        if change.change == "modify":
            old, new = marked(change.segments)
            yield _cell_name(new_cells, change.row, change.column), old, new
        else:
            whole_rows.setdefault((change.change, change.row), []).append(change)
    for (kind, row), changes in whole_rows.items():
        table = new_cells if kind == "insert" else old_cells
        width = len(table[row]) if row < len(table) else 0
        if len(changes) == width and width:
            text = " | ".join(table[row])
            label = f"表格{'新增' if kind == 'insert' else '删除'}第{row}行"
            yield (
                (label, _mark(text, "-"), "") if kind == "delete" else (label, "", _mark(text, "+"))
            )
        else:
            for change in changes:
                whole_columns.setdefault((kind, change.column), []).append(change)
    for (kind, column), changes in whole_columns.items():
        table = new_cells if kind == "insert" else old_cells
        header = table[0][column] if table and column < len(table[0]) else ""
        label = f"表格{'新增' if kind == 'insert' else '删除'}第{column + 1}列“{header}”"
        text = "；".join(_plain("".join(s.text for s in c.segments)) for c in changes)
        yield (label, _mark(text, "-"), "") if kind == "delete" else (label, "", _mark(text, "+"))


def _cell_name(table: Sequence[Sequence[str]], row: int, column: int) -> str:
    """“表格第2行“滨河路”第2列“红线宽度（米）””: the row by number and first cell, the
    column by its header."""
    first = table[row][0] if row < len(table) and table[row] and column else ""
    header = table[0][column] if table and column < len(table[0]) and row else ""
    row_name = f"第{row}行" + (f"“{first}”" if first else "") if row else "表头"
    column_name = f"第{column + 1}列" + (f"“{header}”" if header else "")
    return f"表格{row_name}{column_name}"


# -- marks ----------------------------------------------------------------------------------------


def marked(segments: Sequence[Segment]) -> tuple[str, str]:
    """The 原文 and 修改后 cells of a changed text: deletions struck through in the first,
    insertions underlined in the second, unchanged text shortened around the changes."""
    old: list[str] = []
    new: list[str] = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment.op == "=":
            shared = _plain(_shortened(segment.text, first=index == 0, last=index == last))
            old.append(shared)
            new.append(shared)
        elif segment.op == "-":
            old.append(_mark(segment.text, "-"))
        else:
            new.append(_mark(segment.text, "+"))
    return "".join(old), "".join(new)


def _shortened(text: str, first: bool, last: bool) -> str:
    """Unchanged text kept ``CONTEXT`` characters from the changes beside it (a number that
    the cut would split is kept whole)."""
    if first and len(text) > CONTEXT:
        return "……" + text[_cut(text, len(text) - CONTEXT) :]
    if last and len(text) > CONTEXT:
        return text[: _cut(text, CONTEXT, forward=True)] + "……"
    if not first and not last and len(text) > 2 * CONTEXT + 2:
        head = text[: _cut(text, CONTEXT, forward=True)]
        return head + "……" + text[_cut(text, len(text) - CONTEXT) :]
    return text


def _cut(text: str, at: int, forward: bool = False) -> int:
    """``at`` moved off the inside of a number: back to its start, or on to its end."""
    while 0 < at < len(text) and text[at - 1] in NUMERIC and text[at] in NUMERIC:
        at += 1 if forward else -1
    return at


def _plain(text: str) -> str:
    """Text as Markdown that prints as written; a line break (between a list's items) as a
    ``<br>``, which both writers print as a line break."""
    return "<br>".join(cell(line) for line in text.split("\n"))


def _mark(text: str, op: str) -> str:
    """``text`` struck through (``-``) or underlined (``+``), white space kept outside the
    marks (a delimiter run beside a space opens or closes nothing)."""
    marker = "~~" if op == "-" else "++"
    pieces = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            continue
        lead = " " if line[:1].isspace() else ""
        trail = " " if line[-1:].isspace() else ""
        pieces.append(f"{lead}{marker}{cell(core)}{marker}{trail}")
    return "<br>".join(pieces)


# -- the document -------------------------------------------------------------------------------


def describe(version: Version) -> str:
    """A version as a reviewer knows it: its stage, version number and date (“送审稿 v1.0
    （2023-06-10）”), the date being its ``revisions:`` entry's, else its commit's. A version
    whose front matter names neither stage nor version is its git label (a tag, a commit), or
    its date alone; never a file name or the working tree."""
    meta = version.meta
    stage = str(meta.get("status") or "").strip()
    number = str(meta.get("version") or "").strip()
    if number[:1].isdigit():
        number = f"v{number}"
    date = entry_date(meta, number) or (
        version.revision.date.date() if version.revision is not None else None
    )
    when = date.isoformat() if date is not None else ""
    named = " ".join(x for x in (stage, number) if x)
    if not named and version.revision is not None and version.label != WORKTREE:
        named = version.label  # a tag or a commit (a file's version has no revision)
    if named and when:
        return f"{named}（{when}）"
    return named or when or "—"


def markdown(comparison: Comparison) -> str:
    """The whole table as Markdown: title, the two versions, the table."""
    found = rows(comparison)
    table_rows = [
        [str(number), Markdown(r.section), Markdown(r.old), Markdown(r.new), Markdown(r.reason)]
        for number, r in enumerate(found, start=1)
    ] or [["—", NO_CHANGE, "", "", ""]]
    table = md_table(HEADER, [], "cllll")
    body = "\n".join(
        "| " + " | ".join(str(c) if isinstance(c, Markdown) else cell(c) for c in row) + " |"
        for row in table_rows
    )
    versions = f"原稿：{describe(comparison.old)} / 修订稿：{describe(comparison.new)}"
    return (
        f"::: title\n{cell(suffix(comparison.title))}\n:::\n\n"
        f"::: center\n{cell(versions)}\n:::\n\n{table}\n{body}\n"
    )


def spec(
    comparison: Comparison, base_dir: Path, sources: tuple[str, ...] = (), author: str = ""
) -> DocumentSpec:
    """The 修改对照表 as a document both writers print (landscape, no cover, no contents)."""
    text = f"::::: landscape\n{markdown(comparison)}:::::\n"
    origin = Origin(sources[0] if sources else None, generated=True)
    tokens = tuple(mdparser.parse(text))
    date = comparison.new.revision.date.date() if comparison.new.revision else None
    return DocumentSpec(
        suffix(comparison.title),
        suffix(comparison.title),
        lambda: (Part(tokens, base_dir, origin),),
        cover=False,
        toc=False,
        landscape=True,
        invisible=False,
        author=author,
        date=date if isinstance(date, dt.date) else None,
        sources=sources,
    )
