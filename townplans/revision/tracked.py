"""The tracked-changes DOCX: the new version of a document with every change of a ``Comparison``
as a real Word revision, so that Word, WPS and LibreOffice offer accept and reject for each.

The document is written by the ordinary Word writer (``render.docx.DocxWriter``: the same
styles, page set-up, 章 / 节 / 条 headings, tables and drawings), from one token stream holding
every block of the merged sequence: each block is parsed from its own Markdown source, and the
writer's ``Tracker`` hook tells this module where each block starts and which token each run comes
from. What is marked, and how (ECMA-376 Part 1 §17.13.5, pieces in ``render.ooxml``):

- a changed paragraph, heading or list: its new text, each inserted piece in ``w:ins`` and each
  deleted piece (its old formatting: bold, italic, struck) in ``w:del`` where it stood; a change
  the runs cannot say exactly (a line break, an image or its formatting changed, the block's
  structure changed) is the old block deleted and the new one inserted;
- an inserted or deleted block: all its runs and its paragraph marks (``w:pPr/w:rPr/w:ins|w:del``),
  its table rows (``w:trPr/w:ins|w:del``) and its drawing;
- a moved block (consecutive ``MOVE_FROM`` / ``MOVE_TO`` steps of one move are one range): its
  old text in ``w:moveFrom`` where it stood, its new text in ``w:moveTo`` where it stands, inside
  ``w:moveFromRange*`` / ``w:moveToRange*`` named ``move<n>``; a moved table's rows are deleted
  and inserted (moves are paragraph content);
- a table: rows aligned (equal, changed cell by cell, inserted, deleted); a changed column count
  is the table deleted and inserted.

Accepting every change gives exactly the text the same writer prints for the new version,
rejecting every change that of the old one (``resolve``). Authors and dates come from each step's
``revision`` (the version's, else “townplans” without a date). ``tracked_document`` writes the
built document around it (``documents.to_docx``: cover, 修订记录, contents with the PDF's pages of
the new version, running header, watermark, table captions, the build's properties), the cover
adding “修订标记稿” and the two versions by stage, version and date; ``tracked_docx`` writes the
compared text alone under such a cover, for a file ``build`` does not make. Neither holds an
invisible line-breaking character (``DocxWriter.invisible``): reviewers copy and search it.

Images resolve against the folder of the block's own file in the workspace (``root``): a figure
whose image exists only in the old revision is written as the writer's “【缺：图片 …】” note in
its deletion (the change still reads as a removed figure, and rejecting restores the note).
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from markdown_it.token import Token

from townplans import mdparser
from townplans.rawhtml import is_comment
from townplans.render import documents, ooxml
from townplans.render.documents import DocumentSpec, Part
from townplans.render.docx import DocxWriter
from townplans.render.layout import EMPTY_CELL, softbreak
from townplans.render.ooxml import TocLine
from townplans.render.selfcheck import OutputProblem
from townplans.render.style import Style
from townplans.render.tokens import xml_text
from townplans.revision import textdiff
from townplans.revision.model import Block, Comparison, Op, Segment, Step
from townplans.revision.table import describe

COVER_LABEL = "修订标记稿"
NO_AUTHOR = ooxml.Mark("townplans", None)

_FORMATS = (("strong", 0), ("em", 1), ("s", 2))
"""Inline formatting a deleted piece keeps: the token name and its place in ``_Format``."""
_Format = tuple[bool, bool, bool, str]
"""Bold, italic, struck, and what else holds the character (a link's target, code, an image)."""


@dataclass
class _Unit:
    """Consecutive tokens written with one kind of mark: ``equal`` (none), ``inline`` (marks on
    runs and rows, set while building), or a whole-block kind (``ooxml.REVISION_KINDS``)."""

    kind: str
    mark: ooxml.Mark
    tokens: list[Token] = field(default_factory=list)
    rows: list[str | None] = field(default_factory=list)
    """For an ``inline`` table: each row's mark (None, "ins", "del"), in the writer's order."""
    move: str = ""


def write_tracked_docx(
    comparison: Comparison,
    root: Path,
    path: Path,
    style: Style,
    *,
    plan: bool = False,
    drawings: bool = False,
) -> list[OutputProblem]:
    """Write ``comparison``'s new version to ``path`` as a DOCX with tracked changes (see
    ``tracked_docx``); returns what the Word writer could not render as written."""
    data, problems = tracked_docx(comparison, root, style, plan=plan, drawings=drawings)
    path.write_bytes(data)
    return problems


def tracked_docx(
    comparison: Comparison,
    root: Path,
    style: Style,
    *,
    plan: bool = False,
    drawings: bool = False,
    stamp: dt.datetime | None = None,
) -> tuple[bytes, list[OutputProblem]]:
    """``comparison``'s new version alone (a cover and the text, no other part of a built
    document) as DOCX bytes with tracked changes, made in memory (no temporary file a stopped
    build could leave behind), and what the Word writer could not render as written: for a
    Markdown file that is no document ``build`` makes (``tracked_document`` is the built one).

    ``root``: the workspace (blocks' ``path`` s are relative to it, images resolve against the
    block's file folder inside it); ``style``: the document's style (``render.style.load_style``);
    ``plan``: a plan text (章 / 节 / 条 headings), ``drawings``: figures as drawings on pages of
    their own, both as the document's ordinary build writes it; ``stamp``: created and modified
    (default: the new version's date), the other properties as every build output's. With no
    change (every step EQUAL) the document holds no revision at all."""
    writer = DocxWriter(style, root, plan=plan, invisible=False)
    title = comparison.title or comparison.new.label
    writer.add_cover(title, cover_lines(comparison))
    write_changes(writer, comparison, root, drawings)
    revision = comparison.new.revision
    when = stamp or (revision.date if revision is not None else dt.datetime(2000, 1, 1))
    ooxml.set_properties(writer.document, xml_text(title), "", when)
    return writer.to_bytes(), writer.problems


def cover_lines(comparison: Comparison) -> list[str]:
    """“修订标记稿” and the two versions by stage, version and date (``table.describe``)."""
    return [
        COVER_LABEL,
        f"原稿：{describe(comparison.old)}",
        f"修订稿：{describe(comparison.new)}",
    ]


def tracked_document(
    spec: DocumentSpec,
    comparison: Comparison,
    root: Path,
    style: Style,
    stamp: dt.datetime,
    contents: Sequence[TocLine] = (),
) -> tuple[bytes, list[OutputProblem]]:
    """The built document ``spec`` (its cover, 修订记录, contents, running header, watermark,
    table captions, properties: ``documents.to_docx``) with the compared text written from
    ``comparison`` with its changes tracked: the parts made from the compared files are replaced
    by the merged sequence, where the first of them stood; the other parts (generated ones) are
    written as the build writes them. Accepting every change gives the text the build prints
    for the new version. The cover adds “修订标记稿” and the two versions."""
    compared = {b.path for b in comparison.new.blocks} | {b.path for b in comparison.old.blocks}
    marked = replace(
        spec, cover_lines=(*spec.cover_lines, *cover_lines(comparison)), invisible=False
    )

    def body(writer: DocxWriter, parts: Sequence[Part]) -> None:
        written = False
        for part in parts:
            if part.origin.path in compared and not part.origin.generated:
                if not written:
                    write_changes(writer, comparison, root, part.drawings)
                    written = True
                continue
            writer.add_markdown(part.tokens, part.base_dir, part.origin, drawings=part.drawings)
        if not written:
            write_changes(writer, comparison, root, spec.plan)

    return documents.to_docx(marked, style, root, stamp, contents, body=body)


def write_changes(writer: DocxWriter, comparison: Comparison, root: Path, drawings: bool) -> None:
    """The merged sequence of ``comparison`` written at the end of ``writer``'s document, each
    change a Word revision; every revision numbered and the reviewer's further edits tracked."""
    units = list(_units(comparison, root))
    tracker = _Tracker(writer.document.element.body)
    writer.tracker = tracker
    tokens = [token for unit in units for token in unit.tokens]
    writer.add_markdown(tokens, root, drawings=drawings)
    tracker.close()
    writer.tracker = None
    body = writer.document.element.body
    if ooxml.number_revisions(body, _first_free_id(body)):
        _track_further_edits(writer)


# -- the units: which tokens carry which marks ---------------------------------------------------


def _units(comparison: Comparison, root: Path) -> Iterator[_Unit]:
    fallback = comparison.new.revision
    steps = comparison.steps
    index = 0
    while index < len(steps):
        step = steps[index]
        revision = step.revision or fallback
        mark = (
            ooxml.Mark(revision.author, ooxml.revision_date(revision.date))
            if revision is not None
            else NO_AUTHOR
        )
        if step.op in (Op.MOVE_FROM, Op.MOVE_TO):
            group = [step]
            while (
                index + len(group) < len(steps)
                and steps[index + len(group)].op is step.op
                and steps[index + len(group)].move == step.move
            ):
                group.append(steps[index + len(group)])
            index += len(group)
            kind = "moveFrom" if step.op is Op.MOVE_FROM else "moveTo"
            sides = [s.old if step.op is Op.MOVE_FROM else s.new for s in group]
            unit = _Unit(kind, mark, move=f"move{step.move}")
            for block in sides:
                if block is not None:
                    unit.tokens += _tokens(block, root)
            yield _tagged(unit)
            continue
        index += 1
        yield from (_tagged(unit) for unit in _step_units(step, mark, root))


def _step_units(step: Step, mark: ooxml.Mark, root: Path) -> list[_Unit]:
    old, new = step.old, step.new
    if step.op is Op.EQUAL and new is not None:
        return [_Unit("equal", mark, _tokens(new, root))]
    if step.op is Op.INSERT and new is not None:
        return [_Unit("ins", mark, _tokens(new, root))]
    if step.op is Op.DELETE and old is not None:
        return [_Unit("del", mark, _tokens(old, root))]
    if step.op is Op.MODIFY and old is not None and new is not None:
        modified = _modified(step, old, new, mark, root)
        if modified is not None:
            return [modified]
        return [_Unit("del", mark, _tokens(old, root)), _Unit("ins", mark, _tokens(new, root))]
    return []


def _tagged(unit: _Unit) -> _Unit:
    """The unit named on its top-level tokens, where the ``Tracker`` hears of it."""
    for token in unit.tokens:
        if token.level == 0 and token.nesting >= 0:
            token.meta["unit"] = unit
    return unit


def _tokens(block: Block, root: Path) -> list[Token]:
    """The block parsed from its source, its inline texts as the writers print them (a soft
    break as its text, no comments), its links resolving against its own file's folder."""
    tokens = mdparser.parse(block.source)
    base = root / Path(block.path).parent
    for token in tokens:
        token.meta["base_dir"] = base
        if token.type == "inline":
            token.children = _normalised(token.children or [])
    return tokens


def _normalised(children: Sequence[Token]) -> list[Token]:
    """Soft breaks as the text they print as (``layout.softbreak``), so that splitting the text
    around them cannot change what they print; HTML comments left out (the writers print none)."""
    kept = [c for c in children if not (c.type == "html_inline" and is_comment(c.content))]
    result: list[Token] = []
    for position, child in enumerate(kept):
        if child.type != "softbreak":
            result.append(child)
            continue
        before = kept[position - 1].content[-1:] if position else ""
        after = kept[position + 1].content[:1] if position + 1 < len(kept) else ""
        printed = softbreak(before, after)
        if printed:
            result.append(Token("text", "", 0, content=printed, level=child.level))
    return result


# -- a modified block ----------------------------------------------------------------------------


def _modified(step: Step, old: Block, new: Block, mark: ooxml.Mark, root: Path) -> _Unit | None:
    """The new block's tokens with its changes on its runs (and rows), or None when runs cannot
    say the change exactly."""
    old_tokens, new_tokens = _tokens(old, root), _tokens(new, root)
    unit = _Unit("inline", mark, new_tokens)
    if old.kind == "table" and new.kind == "table":
        return unit if _table(old_tokens, unit) else None
    if _skeleton(old_tokens) != _skeleton(new_tokens):
        return None
    old_inlines = [t for t in old_tokens if t.type == "inline"]
    new_inlines = [t for t in new_tokens if t.type == "inline"]
    for before, after in zip(old_inlines, new_inlines, strict=True):
        given = step.segments if len(new_inlines) == 1 else ()
        if not _split(before, after, mark, given):
            return None
    return unit


def _skeleton(tokens: Sequence[Token]) -> list[tuple[object, ...]]:
    """What a block is besides its inline texts: a change here is not a change of runs."""
    return [
        (t.type, t.tag, t.nesting, t.level, t.info, sorted(t.attrs.items()))
        + (() if t.type == "inline" else (t.content,))
        for t in tokens
    ]


def _split(
    old: Token, new: Token, mark: ooxml.Mark, given: tuple[Segment, ...] = (), table: bool = False
) -> bool:
    """Split ``new`` 's texts by the segments between the two inline tokens' texts: inserted
    pieces marked ``ins``, deleted pieces (in their old formatting) put in marked ``del``.
    False when that cannot be exact: a formatting or an image changed under unchanged text, or
    a change touches a line break or an image."""
    old_text, old_formats = _printed(old.children or [])
    new_text, new_formats = _printed(new.children or [])
    if table and old_text != new_text:
        # An empty cell prints “—” (``tokens.table_texts``): the dash comes and goes with the text.
        if not old_text:
            old_text, old_formats = EMPTY_CELL, [_plain_format()]
        if not new_text:
            new.children = [Token("text", "", 0, content=EMPTY_CELL)]
            new_text, new_formats = EMPTY_CELL, [_plain_format()]
    segments = given
    if textdiff.old_text(segments) != old_text or textdiff.new_text(segments) != new_text:
        segments = textdiff.compare(old_text, new_text)
    plan = _plan(segments, old_formats, new_formats)
    if plan is None:
        return False
    inserted, deleted = plan
    children = _pieces(new.children or [], inserted, deleted, mark)
    if children is None:
        return False
    new.children = children
    return True


def _plain_format() -> _Format:
    return (False, False, False, "")


def _printed(children: Sequence[Token]) -> tuple[str, list[_Format]]:
    """The text the children print (trimmed, as ``blocks.inline_text``) and each character's
    formatting; a line break, an image or raw HTML prints as one unsplittable piece."""
    text: list[str] = []
    formats: list[_Format] = []
    state = [False, False, False]
    link = ""
    for child in children:
        kind = child.type
        for name, place in _FORMATS:
            if kind == f"{name}_open":
                state[place] = True
            elif kind == f"{name}_close":
                state[place] = False
        if kind == "link_open":
            link = f"link:{child.attrs.get('href', '')}"
        elif kind == "link_close":
            link = ""
        content, other = _content(child)
        text.append(content)
        holder = other or link
        formats += [(state[0], state[1], state[2], holder)] * len(content)
    joined = "".join(text)
    lead = len(joined) - len(joined.lstrip())
    trimmed = joined.strip()
    return trimmed, formats[lead : lead + len(trimmed)]


def _content(child: Token) -> tuple[str, str]:
    """What an inline child prints, and what holds it besides formatting ("" for text)."""
    if child.type == "text":
        return child.content, ""
    if child.type == "code_inline":
        return child.content, "code"
    if child.type == "hardbreak":
        return "\n", "break"
    if child.type == "image":
        return child.content, f"image:{child.attrs.get('src', '')}"
    if child.type == "html_inline":
        return child.content, "html"
    return "", ""


def _plan(
    segments: Sequence[Segment], old_formats: Sequence[_Format], new_formats: Sequence[_Format]
) -> tuple[list[bool], dict[int, list[tuple[str, _Format]]]] | None:
    """Which new characters are inserted, and the deleted pieces (with their old formatting)
    standing before each new position; None when an unchanged character's formatting changed
    or a change touches an unsplittable piece."""
    inserted: list[bool] = []
    deleted: dict[int, list[tuple[str, _Format]]] = {}
    old_at = new_at = 0
    for segment in segments:
        size = len(segment.text)
        if segment.op == "=":
            for offset in range(size):
                before, after = old_formats[old_at + offset], new_formats[new_at + offset]
                if before != after:
                    return None
            inserted += [False] * size
            old_at, new_at = old_at + size, new_at + size
        elif segment.op == "+":
            if any(_fixed(f) for f in new_formats[new_at : new_at + size]):
                return None
            inserted += [True] * size
            new_at += size
        else:
            pieces = deleted.setdefault(new_at, [])
            for offset, char in enumerate(segment.text):
                held = old_formats[old_at + offset]
                if _fixed(held):
                    return None
                if pieces and pieces[-1][1] == held:
                    pieces[-1] = (pieces[-1][0] + char, held)
                else:
                    pieces.append((char, held))
            old_at += size
    return inserted, deleted


def _fixed(held: _Format) -> bool:
    return held[3].startswith(("break", "image", "html"))


def _pieces(
    children: Sequence[Token],
    inserted: Sequence[bool],
    deleted: dict[int, list[tuple[str, _Format]]],
    mark: ooxml.Mark,
) -> list[Token] | None:
    """The new children cut where a change starts or ends, inserted pieces marked, deleted pieces
    added before the new text that follows them."""
    joined = "".join(_content(child)[0] for child in children)
    lead = len(joined) - len(joined.lstrip())
    result: list[Token] = []
    state = [False, False, False]
    at = -lead  # position in the trimmed text

    def flush(position: int) -> None:
        for text, held in deleted.pop(position, []):
            result.extend(_deleted(text, held, state, mark))

    for child in children:
        for name, place in _FORMATS:
            if child.type == f"{name}_open":
                state[place] = True
            elif child.type == f"{name}_close":
                state[place] = False
        content, _ = _content(child)
        if not content:
            result.append(child)
            continue
        if child.type not in ("text", "code_inline"):
            flush(at)
            if any(inserted[max(at, 0) : at + len(content)]):
                return None
            result.append(child)
            at += len(content)
            continue
        for start, end in _cuts(at, at + len(content), inserted, deleted):
            flush(start)
            piece = child.copy(content=content[start - at : end - at], meta=dict(child.meta))
            if 0 <= start < len(inserted) and inserted[start]:
                piece.meta["mark"] = ("ins", mark)
            result.append(piece)
        at += len(content)
    for position in sorted(deleted):
        flush(position)
    return result


def _cuts(
    start: int, end: int, inserted: Sequence[bool], deleted: dict[int, list[tuple[str, _Format]]]
) -> list[tuple[int, int]]:
    """The pieces of the text from ``start`` to ``end`` (trimmed-text positions) between which
    an insertion starts or ends or a deletion stands."""
    cuts = {start, end}
    for position in range(start + 1, end):
        if position in deleted:
            cuts.add(position)
        if 0 < position < len(inserted) and inserted[position] != inserted[position - 1]:
            cuts.add(position)
    if 0 in deleted and start < 0 < end:
        cuts.add(0)
    ordered = sorted(cuts)
    return list(itertools.pairwise(ordered))


def _deleted(text: str, held: _Format, state: list[bool], mark: ooxml.Mark) -> list[Token]:
    """A deleted piece in its old bold, italic and strike: tokens switching from the formatting
    at its place to the piece's and back."""
    switches: list[tuple[str, bool]] = [
        (name, bool(held[place])) for name, place in _FORMATS if held[place] != state[place]
    ]
    opened = [_switch(name, on) for name, on in switches]
    closed = [_switch(name, not on) for name, on in reversed(switches)]
    piece = Token("text", "", 0, content=text, meta={"mark": ("del", mark)})
    return [*opened, piece, *closed]


def _switch(name: str, on: bool) -> Token:
    return Token(f"{name}_{'open' if on else 'close'}", "", 1 if on else -1)


# -- tables --------------------------------------------------------------------------------------


def _table(old_tokens: list[Token], unit: _Unit) -> bool:
    """The new table's tokens with rows aligned to the old ones: equal rows as they are, changed
    rows split cell by cell, inserted rows marked, deleted rows put back where they stood and
    marked; False when the column count changed."""
    old_rows, new_rows = _rows(old_tokens), _rows(unit.tokens)
    if not old_rows or not new_rows or _width(old_rows[0]) != _width(new_rows[0]):
        return False
    body: list[list[Token]] = []
    marks: list[str | None] = []
    if not _row_changes(old_rows[0], new_rows[0], unit.mark):
        return False
    old_texts = [_row_text(row) for row in old_rows[1:]]
    new_texts = [_row_text(row) for row in new_rows[1:]]
    matcher = difflib.SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        olds, news = old_rows[1 + i1 : 1 + i2], new_rows[1 + j1 : 1 + j2]
        paired = min(len(olds), len(news)) if tag == "replace" else 0
        if tag == "equal":
            body += news
            marks += [None] * len(news)
            continue
        for before, after in zip(olds[:paired], news[:paired], strict=True):
            if _width(before) != _width(after) or not _row_changes(before, after, unit.mark):
                return False
            body.append(after)
            marks.append(None)
        body += olds[paired:]
        marks += ["del"] * len(olds[paired:])
        body += news[paired:]
        marks += ["ins"] * len(news[paired:])
    unit.tokens = _rebuilt(unit.tokens, new_rows[0], body)
    unit.rows = [None, *marks]
    return True


def _rows(tokens: Sequence[Token]) -> list[list[Token]]:
    rows: list[list[Token]] = []
    current: list[Token] | None = None
    for token in tokens:
        if token.type == "tr_open":
            current = []
        if current is not None:
            current.append(token)
        if token.type == "tr_close" and current is not None:
            rows.append(current)
            current = None
    return rows


def _width(row: Sequence[Token]) -> int:
    return sum(1 for token in row if token.type in ("th_open", "td_open"))


def _row_text(row: Sequence[Token]) -> tuple[str, ...]:
    return tuple(_printed(t.children or [])[0] for t in row if t.type == "inline")


def _row_changes(old: Sequence[Token], new: Sequence[Token], mark: ooxml.Mark) -> bool:
    old_cells = [t for t in old if t.type == "inline"]
    new_cells = [t for t in new if t.type == "inline"]
    return all(
        _split(before, after, mark, table=True)
        for before, after in zip(old_cells, new_cells, strict=True)
    )


def _rebuilt(tokens: Sequence[Token], header: list[Token], body: list[list[Token]]) -> list[Token]:
    """The table's tokens: its opening up to the header row's end, the body rows, its closing."""
    end = next(i for i, t in enumerate(tokens) if t is header[-1])
    opening = list(tokens[: end + 1])
    closing = [t for t in tokens[end + 1 :] if t.type in ("thead_close", "table_close")]
    rows = [token for row in body for token in row]
    if not rows:
        return [*opening, *closing]
    thead_close = [t for t in closing if t.type == "thead_close"]
    table_close = [t for t in closing if t.type == "table_close"]
    return [
        *opening, *thead_close, Token("tbody_open", "tbody", 1, level=1), *rows,
        Token("tbody_close", "tbody", -1, level=1), *table_close,
    ]  # fmt: skip


# -- marking what the writer wrote ---------------------------------------------------------------


class _Tracker:
    """Hears from the writer where each unit's blocks start and marks what the finished unit
    wrote (``render.docx.Tracker``)."""

    def __init__(self, body: BaseOxmlElement) -> None:
        self.body = body
        self.seen: set[BaseOxmlElement] = set(body)
        self.unit: _Unit | None = None

    def block(self, token: Token, base_dir: Path) -> Path:
        unit = token.meta.get("unit")
        if unit is not self.unit:
            self.close()
            self.unit = unit if isinstance(unit, _Unit) else None
        found = token.meta.get("base_dir")
        return found if isinstance(found, Path) else base_dir

    def run(self, run: BaseOxmlElement, source: Token) -> None:
        found = source.meta.get("mark")
        if isinstance(found, tuple) and not ooxml.is_tracked(run):
            ooxml.track_run(run, found[0], found[1])

    def close(self) -> None:
        """Mark what the current unit wrote: the body's elements after the last seen one."""
        written: list[BaseOxmlElement] = []
        for element in reversed(self.body):
            if element.tag == qn("w:sectPr"):
                continue  # the body's own section properties stay last
            if element in self.seen:
                break
            written.append(element)
        written.reverse()
        self.seen.update(written)
        unit = self.unit
        if unit is None or unit.kind == "equal":
            return
        if unit.kind == "inline":
            for table in (e for e in written if e.tag == qn("w:tbl")):
                for row, kind in zip(table.iter(qn("w:tr")), unit.rows, strict=False):
                    if kind in ("ins", "del"):
                        _mark_row(row, "ins" if kind == "ins" else "del", unit.mark)
            return
        _mark_whole(written, unit)


def _mark_row(row: BaseOxmlElement, kind: ooxml.RevisionKind, mark: ooxml.Mark) -> None:
    ooxml.track_row(row, "ins" if kind in ("ins", "moveTo") else "del", mark)
    for run in list(row.iter(qn("w:r"))):
        if not ooxml.is_tracked(run):
            ooxml.track_run(run, "ins" if kind in ("ins", "moveTo") else "del", mark)


def _mark_whole(written: Sequence[BaseOxmlElement], unit: _Unit) -> None:
    """Every run, paragraph mark and table row of a wholly inserted, deleted or moved unit; a
    move's paragraphs inside its named range (a move without a paragraph of its own is marked as
    deleted or inserted)."""
    kind: ooxml.RevisionKind = unit.kind  # type: ignore[assignment]
    paragraphs = [e for e in written if e.tag == qn("w:p")]
    if kind in ("moveFrom", "moveTo") and not paragraphs:
        kind = "del" if kind == "moveFrom" else "ins"
    for element in written:
        if element.tag == qn("w:tbl"):
            for row in element.iter(qn("w:tr")):
                _mark_row(row, kind, unit.mark)
            continue
        for run in list(element.iter(qn("w:r"))):
            if not ooxml.is_tracked(run):
                ooxml.track_run(run, kind, unit.mark)
        if element.tag == qn("w:p"):
            ooxml.track_paragraph_mark(element, kind, unit.mark)
    if kind == "moveFrom" or kind == "moveTo":
        ooxml.move_range(paragraphs[0], paragraphs[-1], kind, unit.move, unit.mark)


def _first_free_id(body: BaseOxmlElement) -> int:
    """The first id no bookmark uses (revisions and bookmarks are annotations: one id each)."""
    used = [int(b.get(qn("w:id"), "0")) for b in body.iter(qn("w:bookmarkStart"))]
    return max(used, default=0) + 1


def _track_further_edits(writer: DocxWriter) -> None:
    """``w:trackRevisions`` on: a reviewer's own edits to the 修订标记稿 are tracked too."""
    settings = writer.document.settings.element
    if settings.find(qn("w:trackRevisions")) is None:
        settings.append(OxmlElement("w:trackRevisions"))
