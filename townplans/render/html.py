"""markdown-it tokens -> an HTML page for print, from the same tokens the DOCX writer reads.

Raw HTML never reaches the page: the shared parser has HTML disabled, so tags in the Markdown are
text and are escaped here. A paragraph holding only an image becomes a numbered ``<figure>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from townplans import mdparser


class _FigureRenderer(RendererHTML):
    """The stock renderer, with lone images in a paragraph turned into captioned figures."""

    def __init__(self) -> None:
        super().__init__(mdparser.parser())
        self.figures = 0

    def paragraph_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        if _lone_image(tokens, idx):
            return "<figure>"
        return super().renderToken(tokens, idx, options, env)

    def paragraph_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
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
    """One Markdown file's tokens and the folder its relative links resolve against."""

    tokens: Sequence[Token]
    base_dir: Path
    root: Path


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
        html = renderer.render(_absolute_images(part), options, env)
        sections.append(f"<section>\n{html}</section>")
    return "\n".join(sections)


def _absolute_images(part: HtmlPart) -> list[Token]:
    """Copies of the tokens with image sources made absolute file URLs.

    An image that is missing, remote or outside the workspace becomes a visible placeholder
    (【缺：图片 …】), as in the Word output; the loader has already reported it.
    """
    result = []
    for token in part.tokens:
        if token.type == "inline" and any(c.type == "image" for c in token.children or ()):
            token = token.copy()
            token.children = [_image_or_placeholder(child, part) for child in token.children or ()]
        result.append(token)
    return result


def _image_or_placeholder(child: Token, part: HtmlPart) -> Token:
    if child.type != "image":
        return child
    source = str(child.attrs.get("src", ""))
    path = local_file(source, part.base_dir, part.root)
    if path is None:
        return Token("text", "", 0, content=f"【缺：图片 {child.content or source}（{source}）】")
    image = child.copy()
    image.attrs["src"] = resource_url(WORKSPACE, path.relative_to(part.root.resolve()).as_posix())
    return image


WORKSPACE = "workspace"
TEMPLATES = "templates"
"""URL schemes for local resources in the print HTML: ``workspace:towns/…`` and
``templates:fonts/…``. They name files relative to their folder, so the PDF does not depend on
where the workspace sits (WeasyPrint names images by a hash of their URL), and the PDF fetcher
serves only these two folders."""


def resource_url(scheme: str, relative: str) -> str:
    return f"{scheme}:{quote(relative)}"


def local_file(source: str, base_dir: Path, root: Path) -> Path | None:
    """The local file a relative link names, if it exists inside ``root``; never a remote URL."""
    if not source or ":" in source.split("/")[0] or source.startswith("/"):
        return None
    path = (base_dir / unquote(source)).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return path


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
