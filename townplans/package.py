"""``townplans package``: the submission zip of a town, and ``--verify`` of a received one.

A package holds the town's built documents, album and check report (html and json), and a
``manifest.json`` with the SHA-256 and size of every file, the profile version, the townplans
version and the build time. File names inside the zip are UTF-8 (flagged as such, so Windows shows
the Chinese correctly); entries are sorted and dated alike, so the same outputs give the same
bytes. Packing itself is pure: it takes the files and returns the zip; the build module writes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from townplans import __version__, errortext
from townplans.fs import PathPolicyError, open_regular, os_error, safe_entry, special_name
from townplans.limits import (
    MAX_JSON_DEPTH,
    MAX_MANIFEST_BYTES,
    MAX_ZIP_BYTES,
    MAX_ZIP_DIRECTORY_BYTES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    ZIP_METHODS,
)
from townplans.reproducible import zip_date_time

MANIFEST_NAME = "manifest.json"


def pack(
    entries: Sequence[tuple[str, bytes]],
    town: str,
    name: str,
    profile_version: str,
    built: dt.datetime,
) -> bytes:
    """A zip of ``entries`` (name inside the zip, data) with its manifest, byte-identical for the
    same entries and time. Every entry must unpack as the plain file its name says, by the rule
    ``verify`` applies (``unpack_problems``); otherwise ``PathPolicyError``, and nothing is packed."""
    stamp = zip_date_time(built)
    entries = sorted(entries)
    infos = [_entry_info(entry_name, stamp) for entry_name, _ in entries]
    infos.append(_entry_info(MANIFEST_NAME, stamp))
    if problems := unpack_problems(infos):
        raise PathPolicyError("；".join(dict.fromkeys(problems.values())))
    manifest = {
        "town": town,
        "name": name,
        "profile_version": profile_version,
        "townplans_version": __version__,
        "built_at": built.isoformat(timespec="seconds"),
        "files": [
            {"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in entries
        ],
    }
    contents = [data for _, data in entries]
    contents.append(json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # each entry's info says ZIP_DEFLATED
        for info, data in zip(infos, contents, strict=True):
            archive.writestr(info, data)
    return buffer.getvalue()


def _entry_info(name: str, stamp: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    """The directory record ``pack`` writes for ``name``: a deflated regular file (mode 0644), its
    name flagged UTF-8 when it is not ASCII (as zipfile would flag it on writing, so Windows shows
    the Chinese correctly). A name zipfile would change (it cuts at a NUL) is refused here."""
    info = zipfile.ZipInfo(name, stamp)
    if info.filename != name:
        raise PathPolicyError(f"压缩包中的文件名 {name!r} 不安全（含有空字符 NUL）")
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if not name.isascii():
        info.flag_bits = UTF8_FLAG  # a new ZipInfo has no other flag
    return info


# -- what unzip will make: the one rule for packing and verifying -----------------------------------------

UTF8_FLAG = 0x800
"""General-purpose flag bit 11: the entry's name is UTF-8."""
UNICODE_PATH_EXTRA = 0x7075
"""Info-ZIP's Unicode Path extra field: a second name, which unzip prefers to the one in the header."""
_DOS_FOLDER, _DOS_VOLUME = 0x10, 0x08
_UNIX_KINDS = {
    stat.S_IFLNK: "符号链接（解压后指向它的内容所写的路径）",
    stat.S_IFDIR: "文件夹",
    stat.S_IFCHR: "字符设备",
    stat.S_IFBLK: "块设备",
    stat.S_IFIFO: "命名管道（FIFO）",
    stat.S_IFSOCK: "套接字",
}


def unpack_problems(infos: Sequence[zipfile.ZipInfo]) -> dict[str, str]:
    """Why entries would not unpack as the plain files their names say, by entry name (one problem
    per name; a name missing here is fine). ``pack`` refuses to write such a zip and ``verify``
    never says 核对通过 for one, so what was checked is what unzip makes, on Linux, macOS and
    Windows alike.

    An entry must be a regular file whatever system made the zip (unzip reads Unix mode bits from
    the upper half of the attributes for every ``create_system``, and DOS bits from the lower), its
    name safe everywhere (``fs.safe_entry``: no ``..``, no control characters, no Windows device
    name), flagged UTF-8 when it is not ASCII, with no second name in an extra field; and no other
    entry may land on the same file: the same name up to Unicode normalisation (NFC/NFD) and case
    (macOS and Windows fold both), or a file where another entry needs a folder.
    """
    problems: dict[str, str] = {}
    for info in infos:
        if info.filename not in problems and (problem := _entry_kind(info)):
            problems[info.filename] = problem
    for entry_name, problem in _collisions([info.filename for info in infos]).items():
        problems.setdefault(entry_name, problem)
    return problems


def _entry_kind(info: zipfile.ZipInfo) -> str | None:
    """Why one entry, on its own, would not unpack as a regular file of its name."""
    name = info.filename
    if info.orig_filename != name:
        return f"压缩包中的文件名 {info.orig_filename!r} 不安全（含有空字符 NUL，各解压软件解出的名称不同）"
    if name.endswith("/") or info.external_attr & _DOS_FOLDER:
        return f"压缩包中的 {name!r} 是文件夹项：报送包只含普通文件"
    if why := safe_entry(name):
        return f"压缩包中的文件名 {name!r} 不安全（{why}）"
    mode = info.external_attr >> 16
    if kind := _UNIX_KINDS.get(stat.S_IFMT(mode)):
        return f"{name} 在压缩包中标为{kind}（属性 {mode:#o}），解压后不是普通文件"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return f"{name} 的文件类型属性无法识别（{mode:#o}），解压后不一定是普通文件"
    if mode & (stat.S_ISUID | stat.S_ISGID):
        return f"{name} 设置了 setuid/setgid 权限位（属性 {mode:#o}）：报送包中的文件不应有"
    if info.external_attr & _DOS_VOLUME:
        return f"{name} 在压缩包中标为卷标，不是普通文件"
    if not name.isascii() and not info.flag_bits & UTF8_FLAG:
        return f"{name} 的文件名未标明 UTF-8 编码：不同的解压软件会解出不同的文件名"
    if UNICODE_PATH_EXTRA in _extra_ids(info.extra):
        return f"{name} 另带一个文件名（Unicode 路径扩展字段），解压软件可能按那个名称解出"
    return None


def _extra_ids(extra: bytes) -> set[int]:
    """The ids of an entry's extra fields (a truncated last field ends the list)."""
    ids, at = set(), 0
    while at + 4 <= len(extra):
        field_id, size = struct.unpack_from("<HH", extra, at)
        ids.add(field_id)
        at += 4 + size
    return ids


def twin_key(name: str) -> str:
    """What a case-insensitive, normalising file system (macOS, Windows) makes of ``name``:
    canonical caseless matching (Unicode 3.13, D145), so ``A.pdf``/``a.pdf`` and the NFC/NFD
    spellings of ``é.pdf`` have one key."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def _spelling(name: str) -> str:
    """A name for a message, marked when it is not in NFC: two spellings of ``é`` look alike."""
    return repr(name) if unicodedata.is_normalized("NFC", name) else f"{name!r}（非 NFC 写法）"


def _collisions(names: Sequence[str]) -> dict[str, str]:
    """Entries that would land on the same file as another, by name."""
    groups: dict[str, list[str]] = {}
    for entry_name in names:
        groups.setdefault(twin_key(entry_name), []).append(entry_name)
    problems: dict[str, str] = {}
    for group in groups.values():
        spellings = sorted(set(group))
        if len(spellings) > 1:
            same_letters = len({unicodedata.normalize("NFC", n) for n in spellings}) == 1
            how = (
                "只差 Unicode 写法（NFC/NFD），看起来完全相同，在 macOS 上解压为同一个文件"
                if same_letters
                else "只差大小写（或 Unicode 写法），在 Windows 和 macOS 上解压为同一个文件"
            )
            message = f"压缩包中的 {'、'.join(map(_spelling, spellings))} {how}"
        elif len(group) > 1:
            message = (
                f"压缩包中有 {len(group)} 个重名的文件 {spellings[0]}：无法确定清单指的是哪一个"
            )
        else:
            continue
        problems.update(dict.fromkeys(spellings, message))
    folders = {twin_key(str(parent)) for n in names for parent in PurePosixPath(n).parents}
    for entry_name in names:
        if twin_key(entry_name) in folders:
            problems.setdefault(
                entry_name, f"{entry_name} 既是文件，又是压缩包中其他文件所在的文件夹：解压时冲突"
            )
    return problems


@dataclass
class Verification:
    """What ``--verify`` found: problems (Chinese), and how many files matched."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: Path) -> Verification:
    """Re-check a package against its own manifest: every file present, same size and SHA-256,
    nothing extra. A package is untrusted input: a FIFO is never opened, a bomb never inflated
    (counts and sizes are limited from the central directory and again while streaming), entries
    are hashed in chunks, and every damaged, crafted or unsafe zip is a problem in the result (in
    Chinese), never an exception and never 核对通过."""
    result = Verification()
    try:
        with _open_package(path) as stream:
            _check_directory_end(stream)
            with zipfile.ZipFile(stream) as archive:
                _verify_archive(archive, result)
    except _UncheckableError as exc:
        result.problems.append(str(exc))
    except _DAMAGED as exc:
        result.problems.append(f"不是有效的 zip 文件，或已损坏{_reason(exc)}")
    return result


class _UncheckableError(Exception):
    """Verification stops here; the message (Chinese) is the problem."""


_DAMAGED = (
    OSError, EOFError, ValueError, struct.error, zipfile.BadZipFile, zlib.error,
    NotImplementedError, RuntimeError, OverflowError, IndexError,
)  # fmt: skip
"""What zipfile and zlib raise on a damaged or crafted zip (RecursionError is a RuntimeError)."""

CHUNK = 1 << 20
RATIO_FLOOR = 1 << 20
"""MAX_ZIP_RATIO applies to entries larger than this (small files compress as they like)."""


def _reason(exc: BaseException) -> str:
    """What went wrong reading a damaged zip or manifest, in Chinese and in brackets (zipfile, zlib
    and json say it in English, and a user's damaged file is not a bug to report); their English
    only with --debug."""
    return f"（{_chinese_reason(exc)}）{errortext.detail(exc, trace=False)[:300]}"


def _chinese_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return os_error(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"第 {exc.lineno} 行第 {exc.colno} 列不是有效的 JSON"
    if isinstance(exc, UnicodeDecodeError):
        return "不是 UTF-8 文本"
    if isinstance(exc, RecursionError):
        return "嵌套过深"
    if isinstance(exc, zlib.error):
        return "压缩数据损坏"
    if isinstance(exc, EOFError):
        return "文件不完整（可能只下载或复制了一部分）"
    if isinstance(exc, NotImplementedError):
        return "使用了不支持的 zip 功能"
    return "zip 的目录或文件头有误"


def _size(count: int) -> str:
    return f"{count / (1 << 30):.1f} GB" if count >= 1 << 30 else f"{count / (1 << 20):.1f} MB"


def _open_package(path: Path) -> BinaryIO:
    """The package opened for reading, after ``os.stat`` has said it is a regular file of a
    plausible size (opening a FIFO would block for ever)."""
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise _UncheckableError("文件不存在（应为 townplans package 生成的 zip 文件）") from exc
    except OSError as exc:
        raise _UncheckableError(os_error(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise _UncheckableError("这是一个文件夹，应为 zip 文件")
    if not stat.S_ISREG(info.st_mode):
        raise _UncheckableError(f"这是{special_name(path)}，不是 zip 文件（不会打开它）")
    if info.st_size > MAX_ZIP_BYTES:
        raise _UncheckableError(
            f"文件有 {_size(info.st_size)}，超过报送包的上限 {_size(MAX_ZIP_BYTES)}"
        )
    try:
        return open_regular(path)
    except OSError as exc:
        raise _UncheckableError(os_error(exc)) from exc


# -- the central directory, before zipfile reads it -----------------------------------------------------

_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


def _check_directory_end(stream: BinaryIO) -> None:
    """Refuse, from the end records alone, a zip whose central directory declares more entries or
    bytes than a package may have: zipfile reads the whole directory into memory first."""
    declared = _declared_directory(stream)
    if declared is None:
        raise _UncheckableError(
            "不是 zip 文件：文件末尾没有 zip 的目录记录（可能不是压缩包、只下载或复制了一部分，或已损坏）"
        )
    entries, size = declared
    if entries > MAX_ZIP_MEMBERS:
        raise _UncheckableError(
            f"压缩包声明有 {entries:,} 个文件，超过上限 {MAX_ZIP_MEMBERS:,}（报送包约 15 个），未读取"
        )
    if size > MAX_ZIP_DIRECTORY_BYTES:
        raise _UncheckableError(
            f"压缩包的文件目录有 {_size(size)}，超过上限 {_size(MAX_ZIP_DIRECTORY_BYTES)}，未读取"
        )


def _declared_directory(stream: BinaryIO) -> tuple[int, int] | None:
    """(entries, central directory bytes) as the end records declare them, found where zipfile
    finds them; None without an end record (not a zip)."""
    size = stream.seek(0, os.SEEK_END)
    tail_size = min(size, _END.size + (1 << 16))  # as zipfile: the record and 64 KB after it
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = len(tail) - _END.size
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
        at = tail.rfind(b"PK\x05\x06")  # a zip with a comment
    if at < 0 or at + _END.size > len(tail):
        return None
    fields = _END.unpack_from(tail, at)
    entries, directory = int(fields[4]), int(fields[5])
    locator = size - tail_size + at - _END64_LOCATOR.size
    if locator >= _END64.size:
        stream.seek(locator)
        if stream.read(4) == b"PK\x06\x07":  # zip64: the record just before the locator counts
            stream.seek(locator - _END64.size)
            record = stream.read(_END64.size)
            if record[:4] == b"PK\x06\x06":
                values = _END64.unpack(record)
                entries, directory = int(values[7]), int(values[8])
    return entries, directory


# -- the entries ------------------------------------------------------------------------------------------------


def _verify_archive(archive: zipfile.ZipFile, result: Verification) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _UncheckableError(
            f"压缩包有 {len(infos):,} 个文件，超过上限 {MAX_ZIP_MEMBERS:,}，未核对"
        )
    declared = sum(info.file_size for info in infos)
    if declared > MAX_ZIP_BYTES:
        raise _UncheckableError(
            f"压缩包解压后共 {_size(declared)}，超过上限 {_size(MAX_ZIP_BYTES)}（疑为压缩炸弹），未核对"
        )
    readable = _readable_entries(infos, result)
    names = {info.filename for info in infos}
    listed = _listed_files(archive, names, readable, result)
    if listed is None:
        return
    for name, entry in sorted(listed.items()):
        if name not in names:
            result.problems.append(f"清单列出的文件缺失：{name}")
        elif name in readable:
            result.checked += 1
            if problem := _compare(archive, readable[name], entry):
                result.problems.append(problem)
    for name in sorted(names - listed.keys() - {MANIFEST_NAME}):
        if name in readable:  # the others have their problem already
            result.problems.append(f"压缩包中有清单未列出的文件：{name}")


def _readable_entries(
    infos: list[zipfile.ZipInfo], result: Verification
) -> dict[str, zipfile.ZipInfo]:
    """The entries safe to read, by name; each other one is a problem (each told once)."""
    unpacked = unpack_problems(infos)
    readable: dict[str, zipfile.ZipInfo] = {}
    reported: set[str] = set()
    for info in infos:
        problem = unpacked.get(info.filename)
        problem = f"{problem}，不会读取" if problem else _reading_problem(info)
        if problem is None:
            readable[info.filename] = info
        elif problem not in reported:
            reported.add(problem)
            result.problems.append(problem)
    return readable


def _reading_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an entry townplans could have written cannot be read safely here."""
    name = info.filename
    if info.flag_bits & 0x1:
        return f"{name} 已加密：townplans 的报送包不加密，无法核对"
    if info.compress_type not in ZIP_METHODS:
        return (
            f"{name} 的压缩方式（{info.compress_type}）不是 townplans 使用的"
            "存储（0）或 deflate（8），不会解压它"
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        return (
            f"{name} 解压后 {_size(info.file_size)}，是压缩后的 {ratio:,.0f} 倍"
            f"（上限 {MAX_ZIP_RATIO} 倍），疑为压缩炸弹，不会解压它"
        )
    return None


class _InflateLimitError(Exception):
    """An entry inflated to more than its directory record or the limits allow."""


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's bytes in chunks, stopped (``_InflateLimitError``) as soon as they exceed the
    size its directory record gives: the sizes in a zip's headers can lie. That one bound is all
    the limits need: the directory's sizes were held to ``MAX_ZIP_BYTES`` (all entries),
    ``MAX_ZIP_RATIO`` (each) and ``MAX_MANIFEST_BYTES`` before anything is inflated, so no entry
    inflated within its size can break them."""
    inflated = 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            inflated += len(chunk)
            if inflated > info.file_size:
                raise _InflateLimitError
            yield chunk


def _compare(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: dict[str, object]
) -> str | None:
    """Why the entry does not match its manifest record, or None when it does."""
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in _inflate(archive, info):
            digest.update(chunk)
            size += len(chunk)
    except _InflateLimitError:
        return f"{info.filename} 解压后超过目录所记的大小（疑为压缩炸弹），已停止解压"
    except _DAMAGED:
        return f"文件内容与清单不符（已被改动或损坏）：{info.filename}"
    if size != entry.get("size") or digest.hexdigest() != entry.get("sha256"):
        return f"文件内容与清单不符（已被改动或损坏）：{info.filename}"
    return None


# -- the manifest ------------------------------------------------------------------------------------------------


def _listed_files(
    archive: zipfile.ZipFile,
    names: set[str],
    readable: dict[str, zipfile.ZipInfo],
    result: Verification,
) -> dict[str, dict[str, object]] | None:
    """The manifest's file records by name; None (with the problem noted) when it is unusable."""
    if MANIFEST_NAME not in names:
        result.problems.append("压缩包中没有 manifest.json，无法核对")
        return None
    info = readable.get(MANIFEST_NAME)
    if info is None:
        return None  # its problem (duplicate, encrypted, ...) is noted already
    try:
        manifest = _read_manifest(archive, info)
    except _UncheckableError as exc:
        result.problems.append(str(exc))
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    entries = files if isinstance(files, list) else []
    if not entries or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
    ):
        result.problems.append("manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size")
        return None
    assert isinstance(manifest, dict)
    result.manifest = manifest
    return _records(entries, result)


def _read_manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> object:
    """manifest.json parsed, within MAX_MANIFEST_BYTES and MAX_JSON_DEPTH; else ``_UncheckableError``."""
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _UncheckableError(
            f"manifest.json 过大（{_size(info.file_size)}，上限 {_size(MAX_MANIFEST_BYTES)}），"
            "不是 townplans 生成的清单"
        )
    try:
        data = b"".join(_inflate(archive, info))
        manifest = json.loads(data)
    except _InflateLimitError as exc:
        raise _UncheckableError(
            "manifest.json 解压后超过目录所记的大小，不是 townplans 生成的清单"
        ) from exc
    except (*_DAMAGED, RecursionError) as exc:
        raise _UncheckableError(
            f"manifest.json 无法读取（应为 townplans 生成的 JSON 清单）：{_chinese_reason(exc)}"
            f"{errortext.detail(exc, trace=False)[:300]}"
        ) from exc
    if _deeper_than(manifest, MAX_JSON_DEPTH):
        raise _UncheckableError(
            f"manifest.json 嵌套超过 {MAX_JSON_DEPTH} 层（townplans 写 3 层），不是 townplans 生成的清单"
        )
    return manifest


def _deeper_than(value: object, limit: int) -> bool:
    """Whether lists and objects nest deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        containers = [child for child in children if isinstance(child, (dict, list))]
        if containers and depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in containers)
    return False


def _records(
    entries: list[dict[str, object]], result: Verification
) -> dict[str, dict[str, object]]:
    """The manifest's records by name; an unsafe or repeated name is a problem."""
    if len(entries) > MAX_ZIP_MEMBERS:
        result.problems.append(
            f"manifest.json 列出 {len(entries):,} 个文件，超过上限 {MAX_ZIP_MEMBERS:,}"
        )
        return {}
    records: dict[str, dict[str, object]] = {}
    for entry in entries:
        name = str(entry["name"])
        if why := safe_entry(name):
            result.problems.append(f"清单中的文件名 {name!r} 不安全（{why}）")
        elif name in records:
            result.problems.append(f"清单中重复列出了 {name}")
        else:
            records[name] = entry
    return records
