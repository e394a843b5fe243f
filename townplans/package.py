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
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from townplans import __version__
from townplans.fs import PathPolicyError, safe_entry

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
    nothing extra. A damaged zip or manifest is a problem in the result, never an exception."""
    result = Verification()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(f"{path} 不是有效的 zip 文件：{exc}")
        return result
    with archive:
        names = set(archive.namelist())
        listed = _listed_files(archive, names, result)
        if listed is None:
            return result
        for name, entry in sorted(listed.items()):
            if name not in names:
                result.problems.append(f"清单列出的文件缺失：{name}")
                continue
            result.checked += 1
            if not _matches(archive, name, entry):
                result.problems.append(f"文件内容与清单不符（已被改动或损坏）：{name}")
        for name in sorted(names - listed.keys() - {MANIFEST_NAME}):
            result.problems.append(f"压缩包中有清单未列出的文件：{name}")
    return result


def _listed_files(
    archive: zipfile.ZipFile, names: set[str], result: Verification
) -> dict[str, dict[str, object]] | None:
    """The manifest's file entries by name; None (with the problem noted) when it is unusable."""
    if MANIFEST_NAME not in names:
        result.problems.append("压缩包中没有 manifest.json，无法核对")
        return None
    try:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
        result.problems.append(f"manifest.json 无法读取（应为 townplans 生成的 JSON 清单）：{exc}")
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    entries = files if isinstance(files, list) else []
    if not entries or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
    ):
        result.problems.append("manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size")
        return None
    result.manifest = manifest
    return {entry["name"]: entry for entry in entries}


def _matches(archive: zipfile.ZipFile, name: str, entry: dict[str, object]) -> bool:
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return False  # a damaged entry (CRC or deflate error) cannot match its hash
    return len(data) == entry.get("size") and hashlib.sha256(data).hexdigest() == entry.get(
        "sha256"
    )
