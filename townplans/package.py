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
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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

MANIFEST_NAME = "manifest.json"


def pack(
    entries: Sequence[tuple[str, bytes]],
    town: str,
    name: str,
    profile_version: str,
    built: dt.datetime,
) -> bytes:
    """A zip of ``entries`` (name inside the zip, data) with its manifest, byte-identical for the
    same entries and time. Names must be plain relative names (``fs.safe_entry``)."""
    for entry_name, _ in entries:
        if problem := safe_entry(entry_name):
            raise PathPolicyError(f"压缩包中的文件名 {entry_name!r} {problem}")
    entries = sorted(entries)
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
    stamp = zip_date_time(built)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry_name, data in [
            *entries,
            (MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2).encode()),
        ]:
            info = zipfile.ZipInfo(entry_name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)  # zipfile encodes non-ASCII names as UTF-8 and flags them
    return buffer.getvalue()


def zip_date_time(stamp: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date: the zip format cannot store one before 1980-01-01."""
    stamp = max(stamp, dt.datetime(1980, 1, 1))
    return (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)


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
    """Why a zip could not be read, in Chinese and in brackets; zipfile's, zlib's and json's
    English only for --debug (empty when there is nothing to add)."""
    if isinstance(exc, OSError):
        return f"（{os_error(exc)}）"
    if isinstance(exc, RecursionError):
        return "（结构嵌套过深）"
    return errortext.detail(exc, trace=False)[:300]


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
    entries, size = _declared_directory(stream)
    if entries > MAX_ZIP_MEMBERS:
        raise _UncheckableError(
            f"压缩包声明有 {entries:,} 个文件，超过上限 {MAX_ZIP_MEMBERS:,}（报送包约 15 个），未读取"
        )
    if size > MAX_ZIP_DIRECTORY_BYTES:
        raise _UncheckableError(
            f"压缩包的文件目录有 {_size(size)}，超过上限 {_size(MAX_ZIP_DIRECTORY_BYTES)}，未读取"
        )


def _declared_directory(stream: BinaryIO) -> tuple[int, int]:
    """(entries, central directory bytes) as the end records declare them, found where zipfile
    finds them; (0, 0) without an end record (zipfile then says it is not a zip)."""
    size = stream.seek(0, os.SEEK_END)
    tail_size = min(size, _END.size + 0xFFFF)  # the record and the longest comment
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = len(tail) - _END.size
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
        at = tail.rfind(b"PK\x05\x06")  # a zip with a comment
    if at < 0 or at + _END.size > len(tail):
        return 0, 0
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
    budget = [MAX_ZIP_BYTES]  # bytes still allowed to be inflated, over all entries
    for name, entry in sorted(listed.items()):
        if name not in names:
            result.problems.append(f"清单列出的文件缺失：{name}")
        elif name in readable:
            result.checked += 1
            if problem := _compare(archive, readable[name], entry, budget):
                result.problems.append(problem)
    for name in sorted(names - listed.keys() - {MANIFEST_NAME}):
        if name in readable:  # the others have their problem already
            result.problems.append(f"压缩包中有清单未列出的文件：{name}")


def _readable_entries(
    infos: list[zipfile.ZipInfo], result: Verification
) -> dict[str, zipfile.ZipInfo]:
    """The entries safe to read, by name; each other one is a problem (once per name)."""
    counts = Counter(info.filename for info in infos)
    readable: dict[str, zipfile.ZipInfo] = {}
    reported: set[str] = set()
    for info in infos:
        problem = _entry_problem(info, counts[info.filename])
        if problem is None:
            readable[info.filename] = info
        elif info.filename not in reported:
            reported.add(info.filename)
            result.problems.append(problem)
    return readable


def _entry_problem(info: zipfile.ZipInfo, count: int) -> str | None:
    name = info.filename
    if why := safe_entry(name):
        return f"压缩包中的文件名 {name!r} 不安全（{why}），不会读取它"
    if count > 1:
        return f"压缩包中有 {count} 个重名的文件 {name}：无法确定清单指的是哪一个，不会读取它们"
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


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, allowed: int) -> Iterator[bytes]:
    """The entry's bytes in chunks, stopped (``_InflateLimitError``) as soon as they exceed its recorded
    size, ``allowed`` or the ratio limit: the sizes in a zip's headers can lie."""
    inflated = 0
    limit = min(info.file_size, allowed)
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            inflated += len(chunk)
            too_dense = inflated > RATIO_FLOOR and inflated > MAX_ZIP_RATIO * max(
                info.compress_size, 1
            )
            if inflated > limit or too_dense:
                raise _InflateLimitError(info.filename)
            yield chunk


def _compare(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: dict[str, object], budget: list[int]
) -> str | None:
    """Why the entry does not match its manifest record, or None when it does."""
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in _inflate(archive, info, budget[0]):
            digest.update(chunk)
            size += len(chunk)
    except _InflateLimitError:
        return f"{info.filename} 解压后超过目录所记的大小或上限（疑为压缩炸弹），已停止解压"
    except _DAMAGED:
        return f"文件内容与清单不符（已被改动或损坏）：{info.filename}"
    finally:
        budget[0] -= size
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
        data = b"".join(_inflate(archive, info, MAX_MANIFEST_BYTES))
        manifest = json.loads(data)
    except _InflateLimitError as exc:
        raise _UncheckableError(
            "manifest.json 解压后超过目录所记的大小或上限，不是 townplans 生成的清单"
        ) from exc
    except (*_DAMAGED, RecursionError) as exc:
        raise _UncheckableError(
            f"manifest.json 无法读取（应为 townplans 生成的 JSON 清单）{_reason(exc)}"
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
