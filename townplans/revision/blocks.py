"""A Markdown text cut into the blocks a comparison aligns (``model.Block``).

Blocks are the top-level blocks of the shared parser's token stream (``mdparser``), so what is
compared is what the writers print: headings, paragraphs, lists, tables, figures (a paragraph
holding only an image) and everything else as ``other``. A block's text is what a reader sees:
inline markup is gone and a soft line break prints as the writers print it (``softbreak``:
nothing between two Chinese characters).

An HTML comment is not a block (the writers print none). ``<!-- 修改说明：… -->`` gives the reason
for a change to the block it stands beside: inside a paragraph, that paragraph; on the line right
after a block (no blank line between), that block; on the line right before a block, that block;
on a line of its own between blank lines, the block above it (a note is written after what it
explains), unless that is a heading or there is none: then the block after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from markdown_it.token import Token

from townplans import mdparser
from townplans.rawhtml import is_comment
from townplans.render.layout import softbreak
from townplans.revision.model import Block, BlockKind
from townplans.sources import split_front_matter

REASON = re.compile(r"<!--\s*修改说明\s*[：:]\s*(.*?)\s*-->", re.DOTALL)

_OPENING_KINDS: dict[str, BlockKind] = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
}


def reason_in(text: str) -> str:
    """The 修改说明 written in ``text``'s comments, joined with “；”."""
    return "；".join(found.strip() for found in REASON.findall(text) if found.strip())


def file_blocks(text: str, path: str) -> tuple[Block, ...]:
    """The blocks of a whole Markdown file (front matter and all), with file lines."""
    _, _, body = split_front_matter(text)
    return blocks(body, path)


def blocks(body: str, path: str) -> tuple[Block, ...]:
    """The blocks of a Markdown body whose line numbers are file lines (``split_front_matter``
    keeps the front matter's lines as blank lines)."""
    lines = body.splitlines()
    tokens = mdparser.parse(body)
    found: list[Block] = []
    pending = ""  # a 修改说明 waiting for the block after it
    index = 0
    while index < len(tokens):
        end = _close(tokens, index)
        token = tokens[index]
        source = _source(lines, token)
        if token.type == "html_block" and is_comment(token.content):
            after = tokens[end + 1] if end + 1 < len(tokens) else None
            pending = _place_reason(found, token, after, reason_in(token.content), pending)
        elif token.map is not None:
            block = _block(tokens[index : end + 1], source, path, token.map[0] + 1)
            if pending:
                block = _with_reason(block, pending)
                pending = ""
            found.append(block)
        index = end + 1
    if pending and found:
        found[-1] = _with_reason(found[-1], pending)
    return tuple(found)


def _place_reason(
    found: list[Block], token: Token, after: Token | None, reason: str, pending: str
) -> str:
    """Attach a comment's reason to the block above it, or keep it for the next one (see the
    module's docstring for which)."""
    if not reason:
        return pending
    assert token.map is not None
    previous = found[-1] if found else None
    touches_next = after is not None and after.map is not None and after.map[0] == token.map[1]
    if previous is not None and not pending and _last_line(previous) == token.map[0]:
        found[-1] = _with_reason(previous, reason)
        return ""
    if previous is not None and not pending and not touches_next and previous.kind != "heading":
        found[-1] = _with_reason(previous, reason)
        return ""
    return "；".join(x for x in (pending, reason) if x)


def _last_line(block: Block) -> int:
    """The 0-based line after the block's last line."""
    return block.line - 1 + len(block.source.splitlines())


def _with_reason(block: Block, reason: str) -> Block:
    joined = "；".join(x for x in (block.reason, reason) if x)
    return replace(block, reason=joined)


def _close(tokens: Sequence[Token], index: int) -> int:
    """The index of the token that closes the block opened at ``index`` (itself if it has no
    closing token)."""
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth <= 0:
            return position
    return len(tokens) - 1


def _source(lines: Sequence[str], token: Token) -> str:
    if token.map is None:
        return ""
    start, end = token.map
    return "\n".join(lines[start:end])


def _block(tokens: Sequence[Token], source: str, path: str, line: int) -> Block:
    opening = tokens[0]
    kind = _OPENING_KINDS.get(opening.type, "other")
    inlines = [token for token in tokens if token.type == "inline"]
    reason = "；".join(filter(None, (reason_in(inline.content) for inline in inlines)))
    if kind == "heading":
        text = inline_text(inlines[0]) if inlines else ""
        return Block("heading", text, source, path, line, int(opening.tag[1:]), reason=reason)
    if kind == "paragraph" and inlines:
        image = _only_image(inlines[0])
        if image is not None:
            return Block("figure", image.content, source, path, line, image=_src(image), reason=reason)  # fmt: skip
        return Block("paragraph", inline_text(inlines[0]), source, path, line, reason=reason)
    if kind == "list":
        items = tuple(_items(tokens))
        return Block("list", "\n".join(items), source, path, line, items=items, reason=reason)
    if kind == "table":
        cells = tuple(_rows(tokens))
        text = "\n".join(" | ".join(row) for row in cells)
        return Block("table", text, source, path, line, cells=cells, reason=reason)
    text = "\n".join(inline_text(inline) for inline in inlines) if inlines else opening.content
    return Block("other", text.strip() or source.strip(), source, path, line, reason=reason)


def inline_text(inline: Token) -> str:
    """What a reader sees of an inline token: text and code as written, a soft line break as the
    writers print it, a hard one as a line break, comments left out."""
    parts: list[str] = []
    children = inline.children or []
    for position, child in enumerate(children):
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            before = children[position - 1].content[-1:] if position else ""
            after = children[position + 1].content[:1] if position + 1 < len(children) else ""
            parts.append(softbreak(before, after))
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "html_inline" and not is_comment(child.content):
            parts.append(child.content)  # printed as literal text by both writers
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def _only_image(inline: Token) -> Token | None:
    """The image of a paragraph that holds nothing else (a figure)."""
    children = [
        child
        for child in inline.children or []
        if not (child.type == "text" and not child.content.strip())
        and child.type != "softbreak"
        and not (child.type == "html_inline" and is_comment(child.content))
    ]
    if len(children) == 1 and children[0].type == "image":
        return children[0]
    return None


def _src(image: Token) -> str:
    return str(image.attrs.get("src", ""))


def _items(tokens: Sequence[Token]) -> list[str]:
    """Each top item of a list: the text of its paragraphs (nested items included), one line
    each."""
    items: list[list[str]] = []
    depth = 0
    for token in tokens[1:-1]:
        if token.type == "list_item_open":
            depth += 1
            if depth == 1:
                items.append([])
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and items:
            items[-1].append(inline_text(token))
    return ["\n".join(item) for item in items]


def _rows(tokens: Sequence[Token]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline":
            row.append(inline_text(token))
        elif token.type == "tr_close":
            rows.append(tuple(row))
    return rows
