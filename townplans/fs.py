"""The path policy: every path townplans reads or writes is checked here, in one place.

- Sources are read only from inside the workspace: a symlink whose target lies outside it is never
  followed (``kind`` says ``outside``), and special files (FIFOs, devices, sockets) are never opened
  (``kind`` says ``special``), because opening a FIFO blocks for ever.
- Outputs are written and deleted only inside their root (``build/``, ``towns/`` for scaffolds):
  ``confine`` refuses anything else, whatever a manifest, a town name or an argument says.
- Names that become file names (towns, documents, albums, reports, packages) go through
  ``safe_name``; entry names of a zip through ``safe_entry``.
- Operating-system errors are told in Chinese with the path (``os_error``).
"""

from __future__ import annotations

import enum
import errno
import os
import re
import stat
import unicodedata
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from townplans.limits import MAX_NAME_CHARS


class PathPolicyError(ValueError):
    """A path that would leave its root, or a name that cannot be made safe; message in Chinese."""


class Kind(enum.Enum):
    """What a path is, as far as reading content is concerned."""

    FILE = "file"
    DIR = "dir"
    MISSING = "missing"
    OUTSIDE = "outside"
    """A symlink (or a path through one) that leads out of the root."""
    SPECIAL = "special"
    """A FIFO, device or socket: never opened."""
    LOOP = "loop"
    """A symlink loop or a path that cannot be resolved."""
    BROKEN = "broken"
    """A symlink whose target does not exist."""


def kind(path: Path, root: Path) -> Kind:
    """What ``path`` is, judged from inside ``root``."""
    try:
        resolved = path.resolve(strict=False)
        base = root.resolve(strict=False)
    except (OSError, RuntimeError):
        return Kind.LOOP
    if not resolved.is_relative_to(base):
        return Kind.OUTSIDE
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return Kind.BROKEN if os.path.islink(path) else Kind.MISSING
    except OSError as exc:
        return Kind.LOOP if exc.errno == errno.ELOOP else Kind.MISSING
    if stat.S_ISREG(mode):
        return Kind.FILE
    if stat.S_ISDIR(mode):
        return Kind.DIR
    return Kind.SPECIAL


def is_utf8_name(name: str) -> bool:
    """Whether a file name was valid UTF-8 on disk (others arrive with surrogate escapes, which no
    report, manifest or zip can carry)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def special_name(path: Path) -> str:
    """A FIFO, device or socket in Chinese."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "特殊文件"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


def link_target(path: Path) -> str:
    """Where a symlink (or the first symlink on the way to ``path``) points, for a message."""
    for candidate in (path, *path.parents):
        if candidate.is_symlink():
            try:
                return os.readlink(candidate)
            except OSError:
                return "（无法读取链接目标）"
    return str(path.resolve(strict=False))


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them; never blocks on a FIFO.

    Raises ``OSError`` (``EFBIG`` when the file is larger than ``limit``, ``EINVAL`` when it is not
    a regular file) so callers report it through ``os_error``.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, "file too large", str(path))
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(descriptor, 1 << 20):
            size += len(chunk)
            if size > limit:  # grew while being read
                raise OSError(errno.EFBIG, "file too large", str(path))
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def open_regular(path: Path, *, follow_symlinks: bool = True) -> BinaryIO:
    """A regular file opened for reading in binary; never blocks on a FIFO.

    Raises ``OSError`` (``EINVAL`` when it is not a regular file; ``ELOOP`` when it is a symlink
    and ``follow_symlinks`` is false) so callers report it through ``os_error``.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def confine(path: Path, root: Path) -> Path:
    """``path`` made absolute, if it stays inside ``root`` (symlinks on the way followed); else
    ``PathPolicyError``. Every write and delete of outputs and scaffolds goes through this."""
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=False) if not path.is_absolute() else path.resolve()
    except (OSError, RuntimeError) as exc:
        raise PathPolicyError(f"路径无法解析（可能是符号链接循环）：{path}") from exc
    if target == base or not target.is_relative_to(base):
        raise PathPolicyError(f"拒绝写入或删除 {path}：它不在 {root} 之内")
    return target


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(text: str, fallback: str = "未命名") -> str:
    """A title or name made usable as one file name on Linux, macOS and Windows.

    Path separators, control characters and the characters Windows forbids are dropped, as are
    leading dots (no hidden files, no ``..``) and whitespace; the result is at most
    ``MAX_NAME_CHARS`` characters and never empty.
    """
    cleaned = unicodedata.normalize("NFC", str(text))
    cleaned = _UNSAFE.sub("", cleaned)
    cleaned = re.sub(r"\s+", "", cleaned).strip(". ")
    cleaned = cleaned[:MAX_NAME_CHARS].rstrip(". ")
    if not cleaned or cleaned.upper().split(".")[0] in _WINDOWS_RESERVED:
        return fallback
    return cleaned


_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10)),
}  # fmt: skip


def safe_entry(name: str) -> str | None:
    """Why a zip entry name (or a manifest's output name) is unsafe, or None when it is fine: it
    must be a relative POSIX path without ``..``, drive letters, backslashes or control characters."""
    if not name or "\\" in name or "\x00" in name or any(ord(c) < 32 for c in name):
        return "含有反斜杠或控制字符"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "是绝对路径"
    parts = PurePosixPath(name).parts
    if any(part in ("..", ".") for part in parts) or not parts:
        return "含有 .. 或 . 路径段"
    return None


_ERRNO_TEXT = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有读取或写入权限",
    errno.EPERM: "操作不被允许（权限不足）",
    errno.EISDIR: "这是一个文件夹，应为文件",
    errno.ENOTDIR: "路径中有一段是文件，应为文件夹",
    errno.ELOOP: "符号链接层数过多（可能是循环链接）",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.EEXIST: "已存在同名文件",
    errno.EFBIG: "文件过大",
    errno.EINVAL: "不是普通文件（可能是命名管道、设备或套接字）",
    errno.EIO: "读写出错（磁盘或网络盘故障）",
    errno.EBUSY: "文件正被占用",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EMFILE: "打开的文件过多",
    errno.EXDEV: "不能跨磁盘移动文件",
}


def os_error(exc: OSError, path: Path | str | None = None) -> str:
    """An operating-system error in Chinese, naming the path."""
    where = path if path is not None else (exc.filename or "")
    fallback = f"系统错误（errno {exc.errno}）" if exc.errno else "系统错误"
    reason = _ERRNO_TEXT.get(exc.errno or 0, fallback)
    return f"{where}：{reason}" if where else reason
