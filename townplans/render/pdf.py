"""HTML -> PDF with WeasyPrint; the only module that imports it (so ``check`` stays fast).

The URL fetcher serves only ``workspace:`` and ``templates:`` URLs from their folders: content is
untrusted, so nothing is fetched from the network and no file outside the workspace (or the
templates in use) is read. WeasyPrint's warnings (missing glyphs, refused resources) are returned so the
caller can report them.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from townplans.render.html import WORKSPACE


class RefusedResourceError(ValueError):
    """A resource that is remote, outside its folder, or under an unknown scheme."""


def make_fetcher(mounts: Mapping[str, Path]) -> Any:
    """A WeasyPrint URL fetcher serving ``scheme:relative/path`` from ``mounts`` only."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _WorkspaceFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = check_allowed(url, mounts)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return _WorkspaceFetcher()


def check_allowed(url: str, mounts: Mapping[str, Path]) -> Path:
    """The local file ``url`` names, or ``RefusedResourceError`` when it is not ours to read."""
    scheme, _, rest = url.partition(":")
    if scheme not in mounts:
        raise RefusedResourceError(f"不联网、也不读取工作区以外的资源：{url}")
    folder = mounts[scheme].resolve()
    path = (folder / unquote(rest)).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise RefusedResourceError(f"拒绝读取：{url} 不在 {folder} 内或不存在")
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


def html_to_pdf(
    html: str, mounts: Mapping[str, Path], variant: str | None = None
) -> tuple[bytes, list[str]]:
    """Render ``html`` to PDF bytes (``variant`` "pdf/a-2b" for archiving); returns the bytes and
    WeasyPrint's warnings."""
    import weasyprint

    with _captured_warnings() as warnings:
        fetcher = make_fetcher(mounts)
        document = weasyprint.HTML(string=html, base_url=f"{WORKSPACE}:", url_fetcher=fetcher)
        options: dict[str, Any] = {"uncompressed_pdf": False}
        if variant:
            options["pdf_variant"] = variant
        pdf = document.write_pdf(**options)
    return bytes(pdf), warnings
