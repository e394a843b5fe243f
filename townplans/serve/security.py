"""Which file a URL may name: the one place serve turns a request path into a file.

A request path is refused (``Refused``, answered 403 and logged by ``app``) when it holds a NUL, a
backslash, a ``.`` or ``..`` segment, an empty segment, or is still percent-encoded after one
decoding (``%252e%252e`` is ``..`` encoded twice); a path that passes names a file only when it
is a regular file inside its folder after every symlink is followed (``fs.kind``: a link out of
the workspace is refused, never followed) and inside one of the allowed top folders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from townplans.fs import Kind, kind

_ENCODED = re.compile(r"%[0-9a-fA-F]{2}")


class Refused(Exception):  # noqa: N818 - a refusal, not an error of ours
    """A request path that names nothing serve may show; the message says why (Chinese)."""


class NotFound(Exception):  # noqa: N818
    """A well-formed request path that names no file."""


def decoded(raw: str) -> str:
    """``raw`` (a URL path, percent-encoded) decoded once, or ``Refused`` when it tries to leave
    its folder or hide what it names. A backslash or NUL is refused as sent or encoded once
    (``%5c``, ``%00``): both are judged in the decoded text."""
    try:
        text = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise Refused("路径不是有效的 UTF-8 编码") from exc
    if "\x00" in text or "\\" in text:
        raise Refused("路径中含有反斜杠或空字符")
    if _ENCODED.search(text):
        raise Refused("路径经过多重编码")
    return text


def segments(text: str) -> list[str]:
    """The segments of a decoded relative path; ``Refused`` for ``.``, ``..`` or empty ones."""
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise Refused("路径中含有 . 或 .. 或空的一段")
    return parts


def check_request_path(raw: str) -> str:
    """The decoded path of a whole request (``/town/weicheng``), refused as ``decoded`` and
    ``segments`` say (the leading slash aside; a trailing slash is allowed)."""
    text = decoded(raw)
    inner = text.strip("/")
    if inner:
        segments(inner)
    return text


def resolve(base: Path, relative: str, root: Path, allowed: Sequence[str] = ()) -> Path:
    """The regular file ``relative`` (decoded, ``/``-separated) names inside ``base``, judged
    from inside ``root`` (links out of it refused); with ``allowed``, it must also lie under one
    of those ``base``-relative folders."""
    parts = segments(relative)
    if allowed and not any(
        parts[: len(prefix.split("/"))] == prefix.split("/") for prefix in allowed
    ):
        raise NotFound(relative)
    path = base.joinpath(*parts)
    found = kind(path, root)
    if found is Kind.OUTSIDE:
        raise Refused("符号链接指向工作区以外")
    if found is not Kind.FILE:
        raise NotFound(relative)
    resolved = path.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise Refused("路径解析后不在允许的文件夹内")
    return resolved
