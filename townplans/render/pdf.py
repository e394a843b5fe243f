"""HTML -> PDF with WeasyPrint; the only module that imports it (so ``check`` stays fast).

The url_fetcher reads only ``file:`` URLs inside the allowed folders (the workspace and the shipped
templates): content is untrusted, so nothing is fetched from the network and no file outside the
workspace is read. WeasyPrint's warnings (missing glyphs, refused resources) are returned so the
caller can report them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class RefusedResource(ValueError):
    """A resource outside the allowed folders or not on the local disk."""


def make_fetcher(allowed: Sequence[Path]) -> Any:
    """A WeasyPrint URL fetcher that serves only local files under ``allowed`` folders."""
    from weasyprint.urls import URLFetcher

    roots = [folder.resolve() for folder in allowed]

    class _WorkspaceFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            check_allowed(url, roots)
            return super().fetch(url, headers)

    return _WorkspaceFetcher(allowed_protocols=("file",))


def check_allowed(url: str, roots: Sequence[Path]) -> Path:
    """The local path of ``url``, or ``RefusedResource`` if it is remote or outside ``roots``."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise RefusedResource(f"不联网读取资源：{url}")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in roots):
        raise RefusedResource(f"拒绝读取工作区以外的文件：{path}")
    return path


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    messages: list[str] = []

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Handler(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False  # keep WeasyPrint's English warnings off the user's terminal
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


def html_to_pdf(html: str, base_url: str, allowed: Sequence[Path]) -> tuple[bytes, list[str]]:
    """Render ``html`` to PDF bytes; returns the bytes and WeasyPrint's warnings."""
    import weasyprint

    with _captured_warnings() as warnings:
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=make_fetcher(allowed))
        pdf = document.write_pdf(uncompressed_pdf=False)
    return bytes(pdf), warnings
