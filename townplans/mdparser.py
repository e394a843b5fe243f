"""The one configured Markdown parser, shared by the loader and the renderers.

CommonMark with GFM tables and strikethrough, footnotes and ``:::`` containers (cover, 附件,
landscape sections …). Raw HTML is *recognised* (html_block / html_inline tokens) so that the
writers can render the one safe subset planning texts need, tables with merged cells; every other
piece of raw HTML is written out as escaped text and reported (content is untrusted).
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

CONTAINER_NAMES = (
    "cover", "attachment", "landscape", "signature", "center", "note", "pagebreak", "redhead", "title",
)  # fmt: skip
"""Styled ``:::`` containers the writers know how to render: a cover page, an 附件 (new page, label
and title), a landscape section, the 署名/成文日期 block, centred lines, a small note, a page break, a 公文 版头
(red 发文机关标志, 发文字号, red rule) and a document title."""


@cache
def parser() -> MarkdownIt:
    """The shared MarkdownIt instance (built once; markdown-it parsers are reusable)."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
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
        elif child.type == "image" or child.type == "html_inline":
            parts.append(child.content)
    return "".join(parts).strip()
