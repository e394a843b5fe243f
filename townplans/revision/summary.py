"""What a comparison amounts to, for the line ``townplans diff`` prints: sections changed,
characters added and removed, moves, figures, table cells."""

from __future__ import annotations

from dataclasses import dataclass

from townplans.revision.model import Block, Comparison, Op, Segment


@dataclass(frozen=True, slots=True)
class Summary:
    changes: int
    """Rows of the 修改对照表 (a move counts once)."""
    sections: int
    added: int
    removed: int
    moves: int
    figures_added: int
    figures_removed: int
    cells: int

    def line(self) -> str:
        """The summary in Chinese."""
        if not self.changes:
            return "两个版本相同：无修改"
        parts = [
            f"修改 {self.changes} 处，涉及 {self.sections} 个章节",
            f"增加 {self.added} 字，删除 {self.removed} 字",
            f"移动 {self.moves} 节",
        ]
        if self.figures_added or self.figures_removed:
            parts.append(f"新增图 {self.figures_added} 幅，删除图 {self.figures_removed} 幅")
        if self.cells:
            parts.append(f"表格单元格变化 {self.cells} 处")
        return "；".join(parts)


def _count(segments: tuple[Segment, ...], op: str) -> int:
    return sum(len(s.text) for s in segments if s.op == op)


def _length(block: Block | None) -> int:
    if block is None or block.kind == "figure":
        return 0
    return len(block.text.replace("\n", ""))


def summarise(comparison: Comparison, rows: int) -> Summary:
    """``rows``: the table's rows (``table.rows``), the number of changes as the reader counts."""
    changes = comparison.changes
    added = removed = cells = 0
    for step in changes:
        if step.op is Op.INSERT:
            added += _length(step.new)
        elif step.op is Op.DELETE:
            removed += _length(step.old)
        elif step.op in (Op.MODIFY, Op.MOVE_TO):
            if step.cells:
                cells += len(step.cells)
                added += sum(_count(c.segments, "+") for c in step.cells)
                removed += sum(_count(c.segments, "-") for c in step.cells)
            else:
                added += _count(step.segments, "+")
                removed += _count(step.segments, "-")
    figures = [s for s in changes if (s.new or s.old) and (s.new or s.old).kind == "figure"]  # type: ignore[union-attr]
    return Summary(
        changes=rows,
        sections=len({s.section for s in changes if s.op is not Op.MOVE_FROM}),
        added=added,
        removed=removed,
        moves=len({s.move for s in changes if s.move}),
        figures_added=sum(1 for s in figures if s.op is Op.INSERT),
        figures_removed=sum(1 for s in figures if s.op is Op.DELETE),
        cells=cells,
    )
