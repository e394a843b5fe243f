"""What a response may do in the browser: the one place serve decides it.

serve's own pages (the dashboard, a town, a source file, a preview) run scripts from serve's asset
path only: their Content-Security-Policy names ``http://<host>/assets/`` as the one script source
(``page_policy``), never ``'self'``, so nothing else the server hands out can be a script even if
it were served as one. Every file serve did not write (a workspace file, a built output, a
template's font) is data (``as_data``): images and PDFs inline with their exact media type, text as
``text/plain``, anything else an attachment; and every such response carries a policy with
``sandbox`` (no script runs, the document has no origin to read the server with) and ``nosniff``
(the browser never takes text for HTML or a script). A contributor's ``evil.html`` beside the
drawings is shown as its source text, and its ``evil.js`` can never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

_PAGE = (
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""Inline styles are allowed because the print HTML, which the preview shows as it is, carries
its stylesheet in a ``<style>`` element and table column widths and drawing sizes in ``style``
attributes; scripts are never inline."""

DATA_POLICY = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""For everything that is not serve's own page. ``style-src 'unsafe-inline'``: the browser's own
image and text viewers style their page inline (harmless where no script runs)."""

SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
"""On every response, pages and data alike."""

ASSET_PATH = "/assets/"

_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")
"""A Host header a policy may name: a name or IPv4 address and a port (a CSP source cannot
name an IPv6 address)."""


def page_policy(host: str) -> str:
    """The policy of serve's own pages, asked for by ``Host: host``: scripts only from the asset
    path on that host. A host a policy cannot name (IPv6) falls back to ``'self'``, which is still
    safe: no file serve hands out besides its assets is ever a script type (``as_data``)."""
    source = f"http://{host}{ASSET_PATH}" if _HOST.fullmatch(host) else "'self'"
    return f"default-src 'none'; script-src {source}; {_PAGE}"


INLINE = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
"""Shown in the browser: the images the loader accepts (``load.images.IMAGE_SUFFIXES``; no SVG,
which can hold scripts) and PDFs."""

TEXT = (
    ".md", ".markdown", ".yaml", ".yml", ".txt", ".json", ".csv", ".j2", ".css", ".log",
    ".html", ".htm", ".js", ".mjs", ".svg", ".xml",
)  # fmt: skip
"""Shown as their text, web pages and scripts included: their source, never run."""

ATTACHED = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".zip": "application/zip",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ttc": "font/collection",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
"""Downloaded, with their own type (a font still loads in the preview: the disposition only
matters when the file is opened by itself); any other file is ``application/octet-stream``."""


@dataclass(frozen=True, slots=True)
class Data:
    """How one file serve did not write is handed over."""

    content_type: str
    disposition: str

    @property
    def inline(self) -> bool:
        return self.disposition.startswith("inline")

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("Content-Type", self.content_type),
            ("Content-Disposition", self.disposition),
            ("Content-Security-Policy", DATA_POLICY),
        ]


def as_data(name: str) -> Data:
    """The media type and disposition of a file named ``name`` (by its suffix, case aside)."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in INLINE:
        return Data(INLINE[suffix], _disposition("inline", name))
    if suffix in TEXT:
        return Data("text/plain; charset=utf-8", _disposition("inline", name))
    kind = ATTACHED.get(suffix, "application/octet-stream")
    return Data(kind, _disposition("attachment", name))


def shown_inline(name: str) -> bool:
    """Whether a link to ``name`` may stay a link in a preview: an image or a PDF."""
    return as_data(name).content_type in INLINE.values()


def _disposition(kind: str, name: str) -> str:
    """``kind`` with the file's name, UTF-8 (RFC 6266) and an ASCII stand-in for old clients."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
