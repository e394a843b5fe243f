"""What both writers do to a token stream before writing it, so that Word and PDF agree and
neither can be broken by what a file holds.

- HTML comments (a ``<!-- … -->`` block or inline piece holding nothing else) are left out:
  they are notes to the authors (``<!-- 修改说明：… -->``), never printed and never interpreted.
- Characters XML 1.0 forbids (C0 controls but tab and line breaks, lone surrogates, U+FFFE and
  U+FFFF) are dropped: python-docx refuses them with an English ``ValueError`` and Pango cannot
  encode a lone surrogate, so one stray BEL would otherwise fail the whole document.
- GFM tables are cut to ``MAX_TABLE_ROWS`` rows and ``MAX_TABLE_COLUMNS`` columns (raw-HTML
  tables are cut by ``rawhtml``'s grid).
- A space before full-width closing or after full-width opening punctuation is dropped, so that
  no line starts with “，” (避头尾) where a text has “管用 ，制定”.
- A caption paragraph (“表：技术经济指标” right before a table) becomes the table's caption
  (``meta["caption"]`` of its opening token), and an empty body cell of a GFM table holds “—”.

Each function returns the tokens to write and what it changed, with the 0-based source line, for
the writer to report. Tokens are copied only where something changes; the loaded model is never
modified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from townplans import limits
from townplans.rawhtml import is_comment, too_many_columns, too_many_rows
from townplans.render.layout import (
    EMPTY_CELL,
    Origin,
    caption_paragraph,
    no_space_by_punctuation,
)
from townplans.render.selfcheck import OutputProblem

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters an XML 1.0 document cannot hold."""


@dataclass(frozen=True, slots=True)
class Change:
    """Something changed on the way to the writers (Chinese), at a 0-based source line."""

    line: int | None
    message: str


def xml_text(text: str) -> str:
    """``text`` without the characters XML forbids."""
    return FORBIDDEN.sub("", text)


def forbidden_message(text: str) -> str:
    """What was dropped, for the report: the first forbidden character's code point."""
    found = FORBIDDEN.search(text)
    shown = f"U+{ord(found.group()):04X}" if found else ""
    return f"含有不可见的控制字符或无效字符（如 {shown}），Word 和 PDF 中已去掉"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A token stream ready for a writer, and what was changed on the way."""

    tokens: list[Token]
    forbidden: Change | None
    """The first forbidden character dropped (reported once per file)."""
    cuts: list[Change]
    """GFM tables cut to the limits."""

    def problems(self, origin: Origin) -> list[OutputProblem]:
        """What was changed, as the writers report it: characters dropped (TP707, the first
        place), tables cut (TP701)."""
        found = self.forbidden
        dropped = [OutputProblem("TP707", found.message, origin.ref(found.line))] if found else []
        cut = [
            OutputProblem("TP701", change.message, origin.ref(change.line)) for change in self.cuts
        ]
        return dropped + cut


def prepare(tokens: Sequence[Token]) -> Prepared:
    """What both writers do first: comments left out, forbidden characters dropped, GFM tables
    cut to the limits."""
    cleaned, forbidden = without_forbidden(without_comments(tokens))
    cut, cuts = cut_tables(cleaned)
    return Prepared(table_texts(cut), forbidden, cuts)


def table_texts(tokens: Sequence[Token]) -> list[Token]:
    """The tokens with each caption paragraph folded into the table after it (its opening token's
    ``meta["caption"]``) and “—” in every empty body cell of a GFM table."""
    result: list[Token] = []
    caption: str | None = None
    skip = 0
    for index, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        title = caption_paragraph(tokens, index)
        if title is not None:
            caption, skip = title, 2
            continue
        if caption is not None:
            token = token.copy()
            token.meta = {**token.meta, "caption": caption}
            caption = None
        elif token.type == "inline" and not token.children and tokens[index - 1].type == "td_open":
            token = token.copy()
            token.content = EMPTY_CELL
            token.children = [Token("text", "", 0, content=EMPTY_CELL)]
        elif token.type == "inline":
            token = _no_space_by_punctuation(token)
        result.append(token)
    return result


def _no_space_by_punctuation(inline: Token) -> Token:
    """``inline`` (copied when it changes) with ``no_space_by_punctuation`` in its texts."""
    children = inline.children or []
    changed = [
        child.type == "text" and no_space_by_punctuation(child.content) != child.content
        for child in children
    ]
    if not any(changed):
        return inline
    copy = inline.copy()
    copy.children = []
    for child, change in zip(children, changed, strict=True):
        if change:
            child = child.copy()
            child.content = no_space_by_punctuation(child.content)
        copy.children.append(child)
    return copy


def without_comments(tokens: Sequence[Token]) -> list[Token]:
    """The tokens without comment-only ``html_block`` tokens and ``html_inline`` children (an
    inline token is copied when it loses one)."""
    result: list[Token] = []
    for token in tokens:
        if token.type == "html_block" and is_comment(token.content):
            continue
        children = token.children or []
        if token.type == "inline" and any(_comment_child(c) for c in children):
            token = token.copy()
            token.children = [c for c in children if not _comment_child(c)]
        result.append(token)
    return result


def _comment_child(child: Token) -> bool:
    return child.type == "html_inline" and is_comment(child.content)


def without_forbidden(tokens: Sequence[Token]) -> tuple[list[Token], Change | None]:
    """The tokens without forbidden characters, and where the first one was (None if none)."""
    result: list[Token] = []
    first: Change | None = None
    for token in tokens:
        found = _first_forbidden(token)
        if found is None:
            result.append(token)
            continue
        if first is None:
            first = Change(_line_of(token, found), forbidden_message(found))
        result.append(_cleaned(token))
    return result, first


def _first_forbidden(token: Token) -> str | None:
    """The first text of ``token`` holding a forbidden character. An inline token's content is its
    source, which its children's texts and attributes come from (markdown-it turns forbidden
    entities into U+FFFD and percent-encodes link targets), so it stands for them."""
    texts = [token.content, token.info, *(str(v) for v in (token.attrs or {}).values())]
    if token.children and token.type != "inline":
        texts += [child.content for child in token.children]
    return next((text for text in texts if FORBIDDEN.search(text)), None)


def _line_of(token: Token, text: str) -> int | None:
    if token.map is None:
        return None
    found = FORBIDDEN.search(text)
    before = text[: found.start()].count("\n") if found and text is token.content else 0
    return token.map[0] + before + (1 if token.type == "fence" else 0)


def _cleaned(token: Token) -> Token:
    copy = token.copy()
    copy.content = xml_text(token.content)
    copy.info = xml_text(token.info)
    copy.attrs = {
        key: xml_text(value) if isinstance(value, str) else value
        for key, value in (token.attrs or {}).items()
    }
    if token.children is not None:
        copy.children = [_cleaned(child) for child in token.children]
    return copy


def cut_tables(tokens: Sequence[Token]) -> tuple[list[Token], list[Change]]:
    """The tokens with every GFM table cut to the row and column limits, and what was cut."""
    result: list[Token] = []
    changes: list[Change] = []
    row = cell = columns = 0
    table_line: int | None = None
    cut_line: int | None = None
    for token in tokens:
        kind = token.type
        if kind == "table_open":
            table_line, cut_line, columns = (token.map[0] if token.map else None), None, 0
        elif kind == "tr_open":
            row, cell = row + 1, 0
            if row == limits.MAX_TABLE_ROWS + 1:
                cut_line = token.map[0] if token.map else None
        elif kind in ("th_open", "td_open"):
            cell += 1
            columns = max(columns, cell)
        elif kind == "table_close":
            changes += _table_changes(row, cut_line, columns, table_line)
            row = cell = 0
        if (row > limits.MAX_TABLE_ROWS and kind in _ROW_TOKENS) or (
            cell > limits.MAX_TABLE_COLUMNS and kind in _CELL_TOKENS
        ):
            continue
        result.append(token)
    return result, changes


_CELL_TOKENS = frozenset({"th_open", "th_close", "td_open", "td_close", "inline"})
_ROW_TOKENS = _CELL_TOKENS | {"tr_open", "tr_close"}


def _table_changes(
    rows: int, cut_line: int | None, columns: int, table_line: int | None
) -> list[Change]:
    changes = []
    if rows > limits.MAX_TABLE_ROWS:
        changes.append(Change(cut_line, too_many_rows(rows)))
    if columns > limits.MAX_TABLE_COLUMNS:
        changes.append(Change(table_line, too_many_columns(columns)))
    return changes
