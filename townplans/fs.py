"""The path policy: every path townplans reads or writes is checked here, in one place.

- Sources are read only from inside the workspace: a symlink whose target lies outside it is never
  followed (``kind`` says ``outside``), and special files (FIFOs, devices, sockets) are never opened
  (``kind`` says ``special``), because opening a FIFO blocks for ever.
- Outputs are written and deleted only inside their root (``build/``, ``towns/`` for scaffolds):
  ``confine`` refuses anything else, whatever a manifest, a town name or an argument says.
- Names that become file names (towns, documents, albums, reports, packages) go through
  ``safe_name``; entry names of a zip through ``safe_entry``; slugs a user types (``new``,
  ``init``) through ``name_problem``, the one rule all three share (no control characters, no
  Windows device names such as ``con``). ``shown`` writes a name's control characters out for a
  message.
- Operating-system errors are told in Chinese with the path (``os_error``).
"""

from __future__ import annotations

import enum
import errno
import os
import re
import stat
import unicodedata
from pathlib import Path
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
    """What ``path`` is, judged from inside ``root`` (see ``PathJudge`` for many paths)."""
    try:
        base = root.resolve()
    except (OSError, RuntimeError):
        return Kind.LOOP
    return _judge(path, base)


def _judge(path: Path, base: Path) -> Kind:
    """``path``'s kind, judged in full against the resolved root ``base``."""
    try:
        resolved = path.resolve()
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


class PathJudge:
    """``kind`` for the many paths of one run under one root, each folder resolved once.

    ``kind(path, root)`` resolves every component of ``path`` and of ``root`` again for each
    file (a dozen system calls). Here the root is resolved once and each path judged once; a
    folder judged ``DIR`` is resolved and known to lie inside the root, so a plain entry in it
    (one ``lstat`` says it is no symlink) lies inside too: its resolved path is the folder's
    plus its name. Symlinks, ``..`` and entries of folders not yet judged take the full
    ``kind`` path, so every guarantee is kept: a link out of the workspace is ``OUTSIDE``, a
    loop ``LOOP``, a FIFO ``SPECIAL``. Answers are those of one moment, like any check before
    an open: one judge per run (a load), never kept across runs.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self._base: Path | None = root.resolve()
        except (OSError, RuntimeError):
            self._base = None
        self._folders: set[Path] = set()
        """Folders judged ``DIR``: resolved, inside the root."""
        self._known: dict[Path, Kind] = {}

    def kind(self, path: Path) -> Kind:
        """What ``path`` is, judged from inside the root (as ``kind(path, root)``)."""
        found = self._known.get(path)
        if found is None:
            found = self._known[path] = self._kind(path)
        return found

    def _kind(self, path: Path) -> Kind:
        if self._base is None:
            return Kind.LOOP
        quick = self._in_folder(path)
        if quick is not None:
            return quick
        found = _judge(path, self._base)
        if found is Kind.DIR:
            self._folders.add(path)
        return found

    def _in_folder(self, path: Path) -> Kind | None:
        """The kind of a plain (not a symlink) entry of a folder already judged, or None."""
        name = path.name
        if name == ".." or path.parent not in self._folders:
            return None
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return Kind.MISSING  # not even a dangling link: nothing there
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None  # where a link leads is judged in full
        if stat.S_ISREG(mode):
            return Kind.FILE
        if stat.S_ISDIR(mode):
            self._folders.add(path)
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
    return str(path.resolve())


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them; never blocks on a FIFO.

    Raises ``OSError`` (``EFBIG`` when the file is larger than ``limit``, ``EINVAL`` when it is not
    a regular file) so callers report it through ``os_error``.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # not inherited (PEP 446)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise _error(errno.EINVAL, path)
        if info.st_size > limit:
            raise _error(errno.EFBIG, path)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(descriptor, 1 << 20):
            size += len(chunk)
            if size > limit:  # grew while being read
                raise _error(errno.EFBIG, path)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _error(code: int, path: Path) -> OSError:
    """The ``OSError`` the system would raise for ``path`` (``os_error`` tells it in Chinese)."""
    return OSError(code, os.strerror(code), str(path))


def open_regular(path: Path, *, follow_symlinks: bool = True) -> BinaryIO:
    """A regular file opened for reading in binary; never blocks on a FIFO.

    Raises ``OSError`` (``EINVAL`` when it is not a regular file; ``ELOOP`` when it is a symlink
    and ``follow_symlinks`` is false) so callers report it through ``os_error``.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK  # not inherited by child processes (PEP 446)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise _error(errno.EINVAL, path)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def confine(path: Path, root: Path) -> Path:
    """``path`` made absolute, if it stays inside ``root`` (symlinks on the way followed); else
    ``PathPolicyError``. Every write and delete of outputs and scaffolds goes through this."""
    base = root.resolve()
    try:
        target = (base / path).resolve()  # an absolute path replaces base
    except (OSError, RuntimeError) as exc:
        raise PathPolicyError(f"路径无法解析（可能是符号链接循环）：{path}") from exc
    if target == base or not target.is_relative_to(base):
        raise PathPolicyError(f"拒绝写入或删除 {path}：它不在 {root} 之内")
    return target


_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*]+')


def safe_name(text: str, fallback: str = "未命名") -> str:
    """A title or name made usable as one file name on Linux, macOS and Windows.

    Path separators, control characters and the characters Windows forbids are dropped, as are
    leading dots (no hidden files, no ``..``) and whitespace; the result is at most
    ``MAX_NAME_CHARS`` characters, never empty and never a name ``name_problem`` refuses (a
    Windows device name such as ``CON`` becomes ``fallback``).
    """
    cleaned = unicodedata.normalize("NFC", str(text))
    cleaned = _UNSAFE.sub("", cleaned)
    cleaned = re.sub(r"\s+", "", cleaned).strip(". ")
    cleaned = cleaned[:MAX_NAME_CHARS].rstrip(". ")
    if not cleaned or name_problem(cleaned) is not None:
        return fallback
    return cleaned


# -- the one rule for a name that becomes a path -----------------------------------------------------

WINDOWS_RESERVED = frozenset({
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
    *(f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789¹²³"),
})  # fmt: skip
"""Device names Windows reserves in every folder, with or without an extension, in any case
(``con``, ``Com1``, ``nul.txt``, ``LPT¹``): a file so named cannot be created or checked out there."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"\\|?*]')
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def windows_reserved(name: str) -> bool:
    """Whether Windows reserves ``name`` for a device: its part before the first dot (trailing
    spaces dropped, as Windows drops them) is CON, NUL, COM1 … in any case."""
    return _device(name) in WINDOWS_RESERVED


def _device(name: str) -> str:
    """The part of ``name`` Windows compares with its device names (``con .txt`` → ``CON``)."""
    return name.split(".", 1)[0].rstrip(" ").upper()


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one file or folder name on every system a workspace or a package
    travels to (Linux, macOS, Windows), or None when it can.

    The one rule for every name that becomes a path: the slugs of ``new`` and ``init``, output
    names made from content (``safe_name``), the entries of a package (``safe_entry``). Refused:
    empty, ``.`` and ``..``, a slash, control characters, undecodable bytes, the characters Windows
    forbids, a trailing dot or space (Windows drops it, so two names would become one) and the
    device names Windows reserves (``WINDOWS_RESERVED``).
    """
    if name in ("", ".", ".."):
        return "是空名或 . / ..（不是文件名）"
    if "/" in name:
        return "含有斜杠 /（应为一个文件名，不是路径）"
    if _CONTROL.search(name):
        return "含有控制字符"
    if _SURROGATE.search(name):
        return "含有无法按 UTF-8 解码的字节"
    if forbidden := _WINDOWS_FORBIDDEN.search(name):
        return f"含有 Windows 不允许的字符 {forbidden.group()}"
    if name.endswith((".", " ")):
        return "以点或空格结尾（Windows 会去掉它，与另一个名称混同）"
    if windows_reserved(name):
        return f"是 Windows 保留的设备名 {_device(name)}（不论大小写、有无扩展名），在 Windows 上无法创建"
    return None


def shown(text: str, keep: str = "") -> str:
    """``text`` for a message, with every control character (and undecodable byte) written out as
    ``\\x01``: a name typed or received with one is shown as it is, never echoed raw to the
    terminal (where ``he\\x01xi`` would look like ``hexi``, and an escape sequence would act).
    Characters in ``keep`` (a message's own line breaks) stay."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return re.sub(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", escape, text)


def safe_entry(name: str) -> str | None:
    """Why a zip entry name (or a manifest's output name) is unsafe, or None when it is fine: it
    must be a relative POSIX path without ``..``, drive letters, backslashes or control characters,
    each of whose parts is a name every system can create (``name_problem``)."""
    if not name or "\\" in name or _CONTROL.search(name):
        return "含有反斜杠或控制字符"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "是绝对路径"
    parts = name.split("/")
    if any(part in ("..", ".") for part in parts):
        return "含有 .. 或 . 路径段"
    if "" in parts:
        return "以 / 结尾或含有 //（是文件夹，或有空的路径段）"
    for part in parts:
        if problem := name_problem(part):
            return f"其中“{part}”{problem}" if part != name else problem
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
