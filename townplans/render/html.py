"""markdown-it tokens -> an HTML page for print, from the same tokens the DOCX writer reads.

Raw HTML never reaches the page: the shared parser has HTML disabled, so tags in the Markdown are
text and are escaped here. A paragraph holding only an image becomes a numbered ``<figure>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from townplans import mdparser


class _FigureRenderer(RendererHTML):
    """The stock renderer, with lone images in a paragraph turned into captioned figures."""

    def __init__(self) -> None:
        super().__init__(mdparser.parser())
        self.figures = 0

    def paragraph_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if _lone_image(tokens, idx):
            return "<figure>"
        return super().renderToken(tokens, idx, options, env)

    def paragraph_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if idx >= 2 and _lone_image(tokens, idx - 2):
            self.figures += 1
            caption = escape(_image(tokens[idx - 1]).content)
            return f"<figcaption>图 {self.figures}  {caption}</figcaption></figure>\n"
        return super().renderToken(tokens, idx, options, env)


def _image(inline: Token) -> Token:
    return next(child for child in inline.children or () if child.type == "image")


def _lone_image(tokens: Sequence[Token], idx: int) -> bool:
    if tokens[idx].type != "paragraph_open" or tokens[idx].hidden or idx + 1 >= len(tokens):
        return False
    children = [c for c in tokens[idx + 1].children or () if c.type != "softbreak"]
    return len(children) == 1 and children[0].type == "image"


@dataclass(frozen=True, slots=True)
class HtmlPart:
    """One Markdown file's tokens and the folder its relative links resolve against (file URL)."""

    tokens: Sequence[Token]
    base_url: str


def render_body(parts: Sequence[HtmlPart]) -> str:
    """HTML for several token streams in order; figures are numbered across them.

    Each part is wrapped in a ``<section>`` whose images are made absolute file URLs, so that
    chapters from different folders can share one page.
    """
    renderer = _FigureRenderer()
    options = mdparser.parser().options
    sections = []
    for part in parts:
        env: dict[str, Any] = {}
        html = renderer.render(_absolute_images(part.tokens, part.base_url), options, env)
        sections.append(f"<section>\n{html}</section>")
    return "\n".join(sections)


def _absolute_images(tokens: Sequence[Token], base_url: str) -> list[Token]:
    """Copies of the tokens whose relative image sources are joined to ``base_url``."""
    result = []
    for token in tokens:
        if token.type == "inline" and any(c.type == "image" for c in token.children or ()):
            token = token.copy()
            children = []
            for child in token.children or ():
                if child.type == "image":
                    child = child.copy()
                    source = str(child.attrs.get("src", ""))
                    if source and ":" not in source.split("/")[0]:
                        child.attrs["src"] = base_url.rstrip("/") + "/" + source
                children.append(child)
            token.children = children
        result.append(token)
    return result


def page(title: str, body: str, stylesheet: str, cover_lines: Sequence[str] = ()) -> str:
    """A complete HTML document: cover (title and issuing lines) then the body."""
    cover = ""
    if cover_lines or title:
        meta = "".join(f"<p>{escape(line)}</p>" for line in cover_lines)
        cover = f'<div class="cover"><div class="title">{escape(title)}</div><div class="meta">{meta}</div></div>'
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{stylesheet}</style></head>\n"
        f"<body>{cover}\n{body}\n</body></html>\n"
    )
