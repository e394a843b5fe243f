"""The one configured Markdown parser, shared by the loader and the renderers.

CommonMark with GFM tables and strikethrough, footnotes and ``:::`` containers (cover, 附件,
landscape sections). Raw HTML is *not* enabled: content is untrusted, so HTML in Markdown is parsed
as text and escaped on output.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

CONTAINER_NAMES = ("cover", "attachment", "landscape", "note")
"""Styled ``:::`` containers the writers know how to render."""


@cache
def parser() -> MarkdownIt:
    """The shared MarkdownIt instance (built once; markdown-it parsers are reusable)."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    for name in CONTAINER_NAMES:
        md.use(container_plugin, name=name)
    return md


def parse(text: str) -> list[Token]:
    """Parse Markdown into markdown-it tokens; each block token's ``map`` is a 0-based line range."""
    return parser().parse(text)


def inline_text(token: Token) -> str:
    """Plain text of an inline token (what a reader sees, without markup)."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()
