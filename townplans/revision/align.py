"""Two versions of a document aligned block by block: the merged ``Step`` sequence of a
``Comparison``.

Headings are the anchors. Each version is cut into a tree of sections (a heading and what
follows it up to the next heading of the same or a higher level); at each level sections are
matched by heading text, then a renamed heading by similarity (of its text and of what the
section holds). Matched sections that keep their order stand still and are compared inside;
one whose place among its siblings changed is a move: each of its blocks is MOVE_FROM at the
old place and MOVE_TO at the new one, with one ``move`` number. Within a section, blocks are
matched where they are equal, then by similarity (``textdiff.similarity`` ≥ 0.5, same kind, a
figure only with the same drawing) as MODIFY with character segments; the rest are DELETE and
INSERT. Tables are compared cell by cell, rows and columns matched first.

The merged order is the new version's, each DELETE and MOVE_FROM standing where it stood in
the old one (before the new blocks of the same gap), so that the old blocks of every step but
INSERT and MOVE_TO are the old version, and the new blocks of every step but DELETE and
MOVE_FROM the new one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from townplans.revision.model import Block, CellChange, Comparison, Op, Segment, Step, Version
from townplans.revision.textdiff import compare, similarity

THRESHOLD = 0.5
"""Two blocks (or renamed sections) this similar are one block changed, not one deleted and
another inserted."""


@dataclass
class _Section:
    """A heading (None at the top of the document), the blocks before its first subsection,
    and its subsections."""

    heading: Block | None
    blocks: list[Block] = field(default_factory=list)
    sections: list[_Section] = field(default_factory=list)

    def all_blocks(self) -> list[Block]:
        own = [self.heading] if self.heading is not None else []
        return own + self.blocks + [b for s in self.sections for b in s.all_blocks()]

    @property
    def title(self) -> str:
        return self.heading.text if self.heading is not None else ""

    def content(self) -> str:
        return "\n".join(b.text for b in self.all_blocks()[1:])


def tree(blocks: Sequence[Block]) -> _Section:
    """The blocks as a tree of sections under a root without heading."""
    root = _Section(None)
    stack: list[_Section] = [root]
    for block in blocks:
        if block.kind != "heading":
            current = stack[-1]
            if current.sections:  # cannot happen: a block after a subsection belongs to it
                current = current.sections[-1]
            current.blocks.append(block)
            continue
        while len(stack) > 1 and _level(stack[-1]) >= block.level:
            stack.pop()
        section = _Section(block)
        stack[-1].sections.append(section)
        stack.append(section)
    return root


def _level(section: _Section) -> int:
    return section.heading.level if section.heading is not None else 0


# -- merging two sequences around their matched pairs ------------------------------------------

Event = tuple[int | None, int | None]
"""(old index, new index): a pair, an old-only item (new None) or a new-only item (old None)."""


def merge(old_count: int, new_count: int, pairs: Sequence[tuple[int, int]]) -> list[Event]:
    """Old-only and new-only items between the ``pairs`` (increasing in both), the old ones
    first: the merged order of two sequences."""
    events: list[Event] = []
    i = j = 0
    for a, b in [*pairs, (old_count, new_count)]:
        events += [(x, None) for x in range(i, a)]
        events += [(None, y) for y in range(j, b)]
        if a < old_count or b < new_count:
            events.append((a, b))
        i, j = a + 1, b + 1
    return events


def increasing(pairs: Sequence[tuple[int, int]], weight: Callable[[int], int]) -> list[int]:
    """Indexes into ``pairs`` (sorted by new index) of the heaviest subsequence whose old
    indexes increase: the pairs that keep their order; the others moved."""
    if not pairs:
        return []
    best = [weight(k) for k in range(len(pairs))]
    back = [-1] * len(pairs)
    for k in range(len(pairs)):
        for m in range(k):
            if pairs[m][0] < pairs[k][0] and best[m] + weight(k) > best[k]:
                best[k], back[k] = best[m] + weight(k), m
    k = max(range(len(pairs)), key=lambda x: best[x])
    chosen = []
    while k != -1:
        chosen.append(k)
        k = back[k]
    return chosen[::-1]


# -- blocks ----------------------------------------------------------------------------------------


def _key(block: Block) -> tuple[str, str, str, int]:
    return (block.kind, block.text, block.image, block.level)


def block_similarity(old: Block, new: Block) -> float:
    """How alike two blocks are (0–1); blocks of different kinds, and figures of different
    drawings, are not alike at all."""
    if old.kind != new.kind:
        return 0.0
    if old.kind == "figure" and old.image != new.image:
        return 0.0
    return similarity(old.text, new.text)


def match_blocks(old: Sequence[Block], new: Sequence[Block]) -> list[tuple[int, int]]:
    """Pairs of old and new blocks that are one block (equal, or changed), increasing."""
    matcher = difflib.SequenceMatcher(
        None, [_key(b) for b in old], [_key(b) for b in new], autojunk=False
    )
    pairs: list[tuple[int, int]] = []
    i = j = 0
    for a, b, size in matcher.get_matching_blocks():
        pairs += [(i + x, j + y) for x, y in _similar(old[i:a], new[j:b])]
        pairs += [(a + k, b + k) for k in range(size)]
        i, j = a + size, b + size
    return pairs


def _similar(old: Sequence[Block], new: Sequence[Block]) -> list[tuple[int, int]]:
    """The order-keeping pairing of a gap's blocks with the largest total similarity, each pair
    at least ``THRESHOLD`` alike."""
    if not old or not new:
        return []
    score = [[0.0] * (len(new) + 1) for _ in range(len(old) + 1)]
    alike = {
        (x, y): s
        for x in range(len(old))
        for y in range(len(new))
        if (s := block_similarity(old[x], new[y])) >= THRESHOLD
    }
    for x in range(len(old) - 1, -1, -1):
        for y in range(len(new) - 1, -1, -1):
            take = alike.get((x, y))
            score[x][y] = max(
                score[x + 1][y],
                score[x][y + 1],
                score[x + 1][y + 1] + take if take is not None else 0.0,
            )
    pairs = []
    x = y = 0
    while x < len(old) and y < len(new):
        take = alike.get((x, y))
        if take is not None and score[x][y] == score[x + 1][y + 1] + take:
            pairs.append((x, y))
            x, y = x + 1, y + 1
        elif score[x][y] == score[x + 1][y]:
            x += 1
        else:
            y += 1
    return pairs


def changed(old: Block, new: Block, section: tuple[str, ...]) -> Step:
    """One block in both versions: EQUAL, or MODIFY with segments (a table's cells too)."""
    if _key(old) == _key(new):
        return Step(Op.EQUAL, old, new, section)
    cells = table_changes(old.cells, new.cells) if old.kind == "table" else ()
    return Step(Op.MODIFY, old, new, section, compare(old.text, new.text), cells)


# -- tables ----------------------------------------------------------------------------------------


def table_changes(
    old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]
) -> tuple[CellChange, ...]:
    """The cells that differ, rows and columns matched first: a changed cell's row and column
    are the new table's; a row or column added has every cell inserted (``+``), one removed
    every cell deleted (``-``, at the old table's row and column, ``change`` "delete")."""
    columns = _match_columns(old, new)
    rows = match_rows(old, new)
    found: list[CellChange] = []
    for a, b in merge(len(old), len(new), rows):
        if a is None:
            assert b is not None
            found += [_whole(b, y, text, "+") for y, text in enumerate(new[b])]
        elif b is None:
            found += [_whole(a, x, text, "-") for x, text in enumerate(old[a])]
        else:
            found += _row_changes(old[a], new[b], a, b, columns)
    return tuple(found)


def _whole(row: int, column: int, text: str, op: str) -> CellChange:
    if op == "+":
        return CellChange(row, column, (Segment("+", text),) if text else (), change="insert")
    return CellChange(row, column, (Segment("-", text),) if text else (), change="delete")


def _row_changes(
    old: Sequence[str], new: Sequence[str], a: int, b: int, columns: Sequence[tuple[int, int]]
) -> list[CellChange]:
    found = []
    for x, y in merge(len(old), len(new), columns):
        if x is None:
            assert y is not None
            if new[y]:
                found.append(_whole(b, y, new[y], "+"))
        elif y is None:
            if old[x]:
                found.append(_whole(a, x, old[x], "-"))
        elif old[x] != new[y]:
            found.append(CellChange(b, y, compare(old[x], new[y]), old_row=a, old_column=x))
    return found


def _match_columns(
    old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]
) -> list[tuple[int, int]]:
    """Columns matched by their header cells (a renamed header keeps its place)."""
    head_old = list(old[0]) if old else []
    head_new = list(new[0]) if new else []
    matcher = difflib.SequenceMatcher(None, head_old, head_new, autojunk=False)
    pairs = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a2 - a1 == b2 - b1):
            pairs += list(zip(range(a1, a2), range(b1, b2), strict=True))
    return pairs


def match_rows(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """Rows matched: equal rows, then rows of a gap by their first cell, then in order when
    a gap has as many rows on each side (a row whose cells changed)."""
    matcher = difflib.SequenceMatcher(
        None, [tuple(r) for r in old], [tuple(r) for r in new], autojunk=False
    )
    pairs: list[tuple[int, int]] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += list(zip(range(a1, a2), range(b1, b2), strict=True))
        elif tag == "replace":
            pairs += _gap_rows(old, new, a1, a2, b1, b2)
    return pairs


def _gap_rows(
    old: Sequence[Sequence[str]],
    new: Sequence[Sequence[str]],
    a1: int,
    a2: int,
    b1: int,
    b2: int,
) -> list[tuple[int, int]]:
    if a1 == 0 and b1 == 0:  # the header rows stand for each other
        return [(0, 0), *_gap_rows(old, new, 1, a2, 1, b2)] if a2 > 0 and b2 > 0 else []
    if a2 - a1 == b2 - b1:
        return list(zip(range(a1, a2), range(b1, b2), strict=True))
    firsts = difflib.SequenceMatcher(
        None,
        [r[0] if r else "" for r in old[a1:a2]],
        [r[0] if r else "" for r in new[b1:b2]],
        autojunk=False,
    )
    return [
        (a1 + x + k, b1 + y + k) for x, y, size in firsts.get_matching_blocks() for k in range(size)
    ]


# -- sections -----------------------------------------------------------------------------------


@dataclass
class _Aligner:
    steps: list[Step] = field(default_factory=list)
    moves: int = 0

    def section(
        self, old: _Section, new: _Section, old_path: tuple[str, ...], new_path: tuple[str, ...]
    ) -> None:
        """Two matched sections that stand still: their headings, blocks and subsections."""
        if old.heading is not None and new.heading is not None:
            self.steps.append(changed(old.heading, new.heading, new_path))
            old_path, new_path = (*old_path, old.heading.text), (*new_path, new.heading.text)
        self.blocks(old.blocks, new.blocks, old_path, new_path)
        self.subsections(old.sections, new.sections, old_path, new_path)

    def blocks(
        self,
        old: Sequence[Block],
        new: Sequence[Block],
        old_path: tuple[str, ...],
        new_path: tuple[str, ...],
    ) -> None:
        for a, b in merge(len(old), len(new), match_blocks(old, new)):
            if a is None:
                assert b is not None
                self.steps.append(Step(Op.INSERT, None, new[b], new_path))
            elif b is None:
                self.steps.append(Step(Op.DELETE, old[a], None, old_path))
            else:
                self.steps.append(changed(old[a], new[b], new_path))

    def subsections(
        self,
        old: Sequence[_Section],
        new: Sequence[_Section],
        old_path: tuple[str, ...],
        new_path: tuple[str, ...],
    ) -> None:
        pairs = sorted(match_sections(old, new), key=lambda p: p[1])
        kept = [pairs[k] for k in increasing(pairs, lambda k: len(old[pairs[k][0]].all_blocks()))]
        moved = {a: b for a, b in pairs if (a, b) not in kept}
        moved_to = {b: a for a, b in moved.items()}
        halves: dict[int, tuple[list[Step], list[Step]]] = {}
        for target in sorted(moved_to):
            self.moves += 1
            source = moved_to[target]
            halves[source] = self._moved(old[source], new[target], old_path, new_path)
        for a, b in merge(len(old), len(new), kept):
            if a is not None and b is not None:
                self.section(old[a], new[b], old_path, new_path)
            elif a is not None:
                if a in moved:
                    self.steps += halves[a][0]
                else:
                    self.steps += _whole_section(old[a], Op.DELETE, old_path)
            elif b is not None:
                if b in moved_to:
                    self.steps += halves[moved_to[b]][1]
                else:
                    self.steps += _whole_section(new[b], Op.INSERT, new_path)

    def _moved(
        self, old: _Section, new: _Section, old_path: tuple[str, ...], new_path: tuple[str, ...]
    ) -> tuple[list[Step], list[Step]]:
        """A moved section's two halves: its old blocks where they stood (MOVE_FROM, or DELETE
        for what the move also removed) and its new ones where they stand (MOVE_TO, or INSERT)."""
        inner = _Aligner()
        inner.section(old, new, old_path, new_path)
        number = self.moves
        self.moves += inner.moves
        before, after = [], []
        for step in inner.steps:
            if step.old is not None and step.op not in (Op.INSERT, Op.MOVE_TO):
                if step.op is Op.DELETE:  # removed as well as moved: an ordinary deletion
                    before.append(step)
                else:
                    section = _old_section(step, old_path, old)
                    before.append(Step(Op.MOVE_FROM, step.old, None, section, move=number))
            if step.new is not None and step.op not in (Op.DELETE, Op.MOVE_FROM):
                if step.op is Op.INSERT:
                    after.append(step)
                else:
                    after.append(replace(step, op=Op.MOVE_TO, move=number))
        return before, after


def _old_section(step: Step, old_path: tuple[str, ...], old: _Section) -> tuple[str, ...]:
    """The headings above a moved block in the old version (the step has the new ones)."""
    paths = _paths(old, old_path)
    assert step.old is not None
    return paths.get(id(step.old), old_path)


def _paths(section: _Section, path: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
    found: dict[int, tuple[str, ...]] = {}
    if section.heading is not None:
        found[id(section.heading)] = path
        path = (*path, section.heading.text)
    for block in section.blocks:
        found[id(block)] = path
    for sub in section.sections:
        found.update(_paths(sub, path))
    return found


def _whole_section(section: _Section, op: Op, path: tuple[str, ...]) -> list[Step]:
    """A section deleted or inserted: every block of it, each with the headings above it."""
    paths = _paths(section, path)
    return [
        Step(op, block, None, paths[id(block)])
        if op is Op.DELETE
        else Step(op, None, block, paths[id(block)])
        for block in section.all_blocks()
    ]


def match_sections(old: Sequence[_Section], new: Sequence[_Section]) -> list[tuple[int, int]]:
    """Sections that are one section: the same heading text (in order when it repeats), then a
    renamed one whose heading and content are alike."""
    pairs: list[tuple[int, int]] = []
    waiting: dict[str, list[int]] = {}
    for a, section in enumerate(old):
        waiting.setdefault(section.title, []).append(a)
    for b, section in enumerate(new):
        if waiting.get(section.title):
            pairs.append((waiting[section.title].pop(0), b))
    left_old = [a for a in range(len(old)) if all(a != p[0] for p in pairs)]
    left_new = [b for b in range(len(new)) if all(b != p[1] for p in pairs)]
    scored = sorted(
        (
            (score, a, b)
            for a in left_old
            for b in left_new
            if (score := _renamed(old[a], new[b])) >= THRESHOLD
        ),
        reverse=True,
    )
    for _, a, b in scored:
        if a in left_old and b in left_new:
            pairs.append((a, b))
            left_old.remove(a)
            left_new.remove(b)
    return pairs


def _renamed(old: _Section, new: _Section) -> float:
    """How likely ``new`` is ``old`` renamed (0–1): the headings alike, and what they hold
    alike too when they hold anything (“第三章 总则” and “第四章 用地” share half their
    characters and are different chapters)."""
    heading = similarity(old.title, new.title)
    if heading < THRESHOLD:
        return 0.0
    old_content, new_content = old.content(), new.content()
    if not old_content and not new_content:
        return heading
    return (heading + similarity(old_content, new_content)) / 2 if heading < 1 else 1.0


# -- the comparison -------------------------------------------------------------------------------


def align(old: Sequence[Block], new: Sequence[Block]) -> tuple[Step, ...]:
    """The merged steps of two block sequences (see the module's docstring)."""
    aligner = _Aligner()
    aligner.section(tree(old), tree(new), (), ())
    return _numbered(aligner.steps)


def _numbered(steps: Iterable[Step]) -> tuple[Step, ...]:
    """Moves numbered 1, 2 … in the order their first half appears."""
    numbers: dict[int, int] = {}
    result = []
    for step in steps:
        if step.move:
            step = replace(step, move=numbers.setdefault(step.move, len(numbers) + 1))
        result.append(step)
    return tuple(result)


def comparison(title: str, old: Version, new: Version) -> Comparison:
    return Comparison(title, old, new, align(old.blocks, new.blocks))
