"""``++下划线++``: underlined text, the one inline form Markdown lacks that the 修改对照表 needs
(insertions underlined, as deletions are struck through with ``~~``).

The markdown-it-ins convention: a pair of ``++`` delimiters around text, with the same
(CJK-friendly, ``cjk_emphasis``) flanking rules as ``~~``, gives ``ins_open`` / ``ins_close``
tokens (tag ``ins``); the PDF writer prints ``<ins>``, the Word writer an underlined run. A lone
``++`` (``C++``) stays text, as does an escaped ``\\+\\+``.
"""

from __future__ import annotations

from types import MethodType

from markdown_it import MarkdownIt
from markdown_it.rules_inline.state_inline import Delimiter, StateInline

from townplans.cjk_emphasis import scan_delims

MARKER = "+"


def tokenize(state: StateInline, silent: bool) -> bool:
    """Each ``++`` of a run becomes a text token and a delimiter (an odd one stays text)."""
    if silent or state.src[state.pos] != MARKER:
        return False
    state.scanDelims = MethodType(scan_delims, state)  # type: ignore[method-assign]
    scanned = state.scanDelims(state.pos, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        state.push("text", "", 0).content = MARKER
        length -= 1
    for _ in range(0, length, 2):
        state.push("text", "", 0).content = MARKER * 2
        state.delimiters.append(
            Delimiter(
                marker=ord(MARKER),
                length=0,
                token=len(state.tokens) - 1,
                end=-1,
                open=scanned.can_open,
                close=scanned.can_close,
            )
        )
    state.pos += scanned.length
    return True


def _pairs(state: StateInline, delimiters: list[Delimiter]) -> None:
    """Matched ``++`` pairs made ``ins_open`` / ``ins_close`` (the balance_pairs rule has
    paired them)."""
    for start in delimiters:
        if start.marker != ord(MARKER) or start.end == -1:
            continue
        end = delimiters[start.end]
        opening, closing = state.tokens[start.token], state.tokens[end.token]
        opening.type, opening.nesting = "ins_open", 1
        closing.type, closing.nesting = "ins_close", -1
        for token in (opening, closing):
            token.tag, token.markup, token.content = "ins", MARKER * 2, ""


def post_process(state: StateInline) -> None:
    _pairs(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            _pairs(state, meta["delimiters"])


def underline_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.after("strikethrough", "ins", tokenize)
    md.inline.ruler2.after("strikethrough", "ins", post_process)
