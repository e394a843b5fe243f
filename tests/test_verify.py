"""``package --verify`` on hostile zips: never hangs, never inflates a bomb, never raises, never
says 核对通过 for a zip it could not check (issue 9)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import tracemalloc
import unicodedata
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from townplans import package
from townplans.cli import cli
from townplans.fs import PathPolicyError
from townplans.package import verify

PDF = b"%PDF-1.7 " * 200


def _zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, (2023, 9, 15, 0, 0, 0)), data, method)
    return buffer.getvalue()


def _manifest(entries: list[tuple[str, bytes]]) -> bytes:
    files = [
        {"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in entries
    ]
    return json.dumps({"town": "w", "name": "渭城镇", "files": files}, ensure_ascii=False).encode()


def _package(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A package listing ``entries`` in a correct manifest."""
    return _zip([*entries, ("manifest.json", _manifest(entries))], method)


FIELDS = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"), "file_size": (22, 24, "<L")}
"""Offsets of a field in an entry's local header and in its central directory record."""


def _patch(data: bytes, name: str, **values: int) -> bytes:
    """Change fields of entry ``name`` in its local header and its central directory record."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    encoded = name.encode()
    central = raw.find(b"PK\x01\x02")
    while raw[central + 46 : central + 46 + len(encoded)] != encoded:
        central = raw.find(b"PK\x01\x02", central + 1)
    for field, value in values.items():
        local_offset, central_offset, layout = FIELDS[field]
        struct.pack_into(layout, raw, local + local_offset, value)
        struct.pack_into(layout, raw, central + central_offset, value)
    return bytes(raw)


def _written(tmp_path: Path, data: bytes, name: str = "p.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refused(path: Path, *expected: str) -> list[str]:
    result = verify(path)
    assert not result.ok, "核对通过 for a zip that could not be checked"
    assert all(any(text in p for p in result.problems) for text in expected), result.problems
    return result.problems


def test_a_good_package_verifies(tmp_path: Path) -> None:
    result = verify(_written(tmp_path, _package([("w/渭城镇总体规划.pdf", PDF)])))
    assert result.ok and result.checked == 1


def test_other_bytes_of_the_same_size_are_caught_by_the_sha256(tmp_path: Path) -> None:
    """A zip made again with one entry's bytes changed but not its length: a valid zip (its CRC
    is that of the new bytes) whose size matches the manifest, so only the SHA-256 tells."""
    forged = PDF.replace(b"1.7", b"1.6", 1)
    assert len(forged) == len(PDF) and forged != PDF
    manifest = _manifest([("w/a.pdf", PDF), ("w/b.pdf", PDF)])
    data = _zip([("w/a.pdf", forged), ("w/b.pdf", PDF), ("manifest.json", manifest)])
    result = verify(_written(tmp_path, data))
    assert result.problems == ["文件内容与清单不符（已被改动或损坏）：w/a.pdf"]
    assert result.checked == 2


def test_a_size_the_manifest_misstates_is_caught_though_the_sha256_matches(tmp_path: Path) -> None:
    files = [
        {"name": "w/a.pdf", "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF) + 1},
        {"name": "w/b.pdf", "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF)},
    ]
    manifest = json.dumps({"town": "w", "files": files}).encode()
    data = _zip([("w/a.pdf", PDF), ("w/b.pdf", PDF), ("manifest.json", manifest)])
    result = verify(_written(tmp_path, data))
    assert result.problems == ["文件内容与清单不符（已被改动或损坏）：w/a.pdf"]


# -- what the entries are ------------------------------------------------------------------------------


def test_an_encrypted_entry_is_a_problem(tmp_path: Path) -> None:
    data = _patch(_package([("w/a.pdf", PDF)]), "w/a.pdf", flags=0x1)
    _refused(_written(tmp_path, data), "w/a.pdf", "加密")


@pytest.mark.parametrize("method", [99, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_an_unknown_compression_method_is_a_problem(tmp_path: Path, method: int) -> None:
    if method == 99:
        data = _patch(_package([("w/a.pdf", PDF)], zipfile.ZIP_STORED), "w/a.pdf", method=99)
    else:
        data = _package([("w/a.pdf", PDF)], method)
    _refused(_written(tmp_path, data), "w/a.pdf", f"压缩方式（{method}）")


def test_duplicate_entry_names_are_a_problem(tmp_path: Path) -> None:
    entries = [("w/a.pdf", PDF)]
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = _zip([*entries, ("w/a.pdf", b"other"), ("manifest.json", _manifest(entries))])
    _refused(_written(tmp_path, data), "重名", "w/a.pdf")


@pytest.mark.parametrize(
    "name",
    ["../escape.pdf", "w/../../escape.pdf", "/etc/escape.pdf", "w\\..\\escape.pdf", "C:/x.pdf"],
)
def test_an_unsafe_entry_name_is_a_problem_even_when_its_hash_matches(
    tmp_path: Path, name: str
) -> None:
    data = _package([("w/a.pdf", PDF), (name, PDF)])
    _refused(_written(tmp_path, data), "不安全", repr(name))


def test_too_many_entries_are_refused_before_reading_them(tmp_path: Path) -> None:
    entries = [(f"w/{i}.txt", b"") for i in range(10_001)]
    _refused(_written(tmp_path, _package(entries, zipfile.ZIP_STORED)), "10,002 个文件", "10,000")


def test_an_oversized_central_directory_is_refused_before_zipfile_reads_it(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(70):
            info = zipfile.ZipInfo(f"w/{i}.txt")
            info.comment = b"x" * 65_000  # kept in the central directory
            archive.writestr(info, b"")
    _refused(_written(tmp_path, buffer.getvalue()), "文件目录", "4.0 MB")


# -- bombs ---------------------------------------------------------------------------------------------------


def _bomb(megabytes: int) -> tuple[bytes, str]:
    """A package with one entry of ``megabytes`` MB of zeros, listed with its true hash."""
    buffer, digest, chunk = io.BytesIO(), hashlib.sha256(), bytes(1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("w/bomb.pdf", "w", force_zip64=True) as stream:
            for _ in range(megabytes):
                stream.write(chunk)
                digest.update(chunk)
        files = [{"name": "w/bomb.pdf", "sha256": digest.hexdigest(), "size": megabytes << 20}]
        archive.writestr("manifest.json", json.dumps({"files": files}))
    return buffer.getvalue(), digest.hexdigest()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data, _ = _bomb(400)
    assert len(data) < 1 << 20  # 400 MB of zeros deflate to about 400 KB
    return _written(tmp_path_factory.mktemp("bomb"), data)


class _Counted:
    """A zip entry's decompressor that adds what it inflates to ``inflated``."""

    def __init__(self, real: Any, inflated: list[int]) -> None:
        self._real, self._inflated = real, inflated

    def decompress(self, data: bytes, *args: Any) -> bytes:
        out: bytes = self._real.decompress(data, *args)
        self._inflated[0] += len(out)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_zip_bomb_is_refused_without_inflating_it(
    bomb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What is inflated is counted, not timed: a clock fails on a busy machine and guards nothing.
    inflated = [0]
    real = zipfile._get_decompressor  # type: ignore[attr-defined]
    monkeypatch.setattr(  # stored entries have none: nothing to inflate
        zipfile, "_get_decompressor", lambda m: real(m) and _Counted(real(m), inflated)
    )
    tracemalloc.start()
    problems = _refused(bomb, "w/bomb.pdf", "压缩炸弹")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the manifest is read (a few hundred bytes); of the 400 MB entry, nothing
    assert inflated[0] < 4096 and peak < 16 << 20, (inflated, peak, problems)


def test_sizes_that_lie_about_a_bomb_are_caught_while_streaming(bomb: Path, tmp_path: Path) -> None:
    lying = _patch(bomb.read_bytes(), "w/bomb.pdf", file_size=1000)  # "1000 bytes", ratio 1:400
    tracemalloc.start()
    _refused(_written(tmp_path, lying), "w/bomb.pdf")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20


def test_the_total_size_is_enforced_from_the_directory_and_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = [(f"w/{i}.pdf", bytes(range(256)) * 400) for i in range(3)]  # 100 KB each
    path = _written(tmp_path, _package(entries))
    monkeypatch.setattr(package, "MAX_ZIP_BYTES", 250_000)
    _refused(path, "解压后共", "上限")

    real_open = zipfile.ZipFile.open

    def endless(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *args: Any) -> IO[bytes]:
        """A reader that believes the stream, not the directory: 10 MB for any PDF."""
        if info.filename.endswith(".pdf"):
            return io.BytesIO(bytes(10 << 20))
        return real_open(archive, info, *args)

    monkeypatch.setattr(package, "MAX_ZIP_BYTES", 5 << 20)
    monkeypatch.setattr(zipfile.ZipFile, "open", endless)
    _refused(path, "超过", "w/0.pdf", "w/1.pdf")


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


# -- the manifest ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (b"[" * 100_000, "manifest.json"),
        (json.dumps({"files": [{"name": "w/a.pdf", "x": _nested(40)}]}).encode(), "层"),
        (json.dumps({"files": [], "pad": os.urandom(5_300_000).hex()}).encode(), "过大"),
        (json.dumps({"files": [{"name": "../a.pdf", "sha256": "0", "size": 1}]}).encode(), "不安全"),
        (json.dumps({"files": [{"name": "w/a.pdf"}, {"name": "w/a.pdf"}]}).encode(), "重复"),
    ],
    ids=["deep", "deeper-than-limit", "large", "unsafe-name", "duplicate"],
)  # fmt: skip
def test_a_hostile_manifest_is_a_problem(tmp_path: Path, manifest: bytes, expected: str) -> None:
    data = _zip([("w/a.pdf", PDF), ("manifest.json", manifest)])
    _refused(_written(tmp_path, data), expected)


# -- what the path is ----------------------------------------------------------------------------------------


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "p.zip"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "townplans", "package", "--verify", str(fifo)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "命名管道" in done.stderr and "核对通过" not in done.stdout


def test_a_missing_file_or_a_folder_is_told_in_chinese(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["package", "--verify", str(tmp_path / "无.zip")])
    assert missing.exit_code == 2 and "文件不存在" in missing.output, missing.output
    assert "Error" not in missing.output and "does not exist" not in missing.output
    folder = CliRunner().invoke(cli, ["package", "--verify", str(tmp_path)])
    assert folder.exit_code == 1 and "文件夹" in folder.output, folder.output


def test_random_damage_never_raises(tmp_path: Path) -> None:
    good = _package([("w/a.pdf", PDF), ("w/b.json", b'{"a": 1}' * 50)])
    rng = random.Random(9)
    path = tmp_path / "p.zip"
    for _ in range(400):
        raw = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        if rng.random() < 0.2:
            raw = raw[: rng.randrange(len(raw))]
        path.write_bytes(bytes(raw))
        result = verify(path)  # damage in a date or a name may still verify; it must not raise
        assert all(isinstance(problem, str) for problem in result.problems)


def test_zlib_damage_is_reported(tmp_path: Path) -> None:
    data = bytearray(_package([("w/a.pdf", zlib.compress(os.urandom(5000)))]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        entry = archive.getinfo("w/a.pdf")
    data[entry.header_offset + 30 + len(entry.filename.encode()) + 10] ^= 0xFF
    _refused(_written(tmp_path, bytes(data)), "w/a.pdf")


# -- what unzip will make (issue 19, defect 2) ----------------------------------------------------------------
# Each zip below has a manifest whose hashes match, so only the rule "what was checked is what unzip
# makes" can refuse it; before that rule, every one of them said 核对通过.


def _with_attributes(
    name: str, data: bytes, external_attr: int, create_system: int = 3, flags: int = 0
) -> bytes:
    """A package whose one listed entry carries these attributes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name, (2023, 9, 15, 0, 0, 0))
        info.external_attr, info.create_system, info.flag_bits = external_attr, create_system, flags
        archive.writestr(info, data)
        archive.writestr("manifest.json", _manifest([(name, data)]))
    return buffer.getvalue()


@pytest.mark.parametrize("create_system", [3, 0, 11, 19], ids=["unix", "fat", "ntfs", "osx"])
def test_a_symlink_entry_is_refused_whatever_system_made_the_zip(
    tmp_path: Path, create_system: int
) -> None:
    """The tester's zip: mode 0120777 and content /etc/passwd, which unzip makes a symlink to
    /etc/passwd (it reads Unix modes from the upper attribute bits for FAT-made zips too)."""
    data = _with_attributes("w/a.pdf", b"/etc/passwd", 0o120777 << 16, create_system)
    problems = _refused(_written(tmp_path, data), "w/a.pdf", "符号链接", "0o120777")
    assert not any("核对通过" in p for p in problems)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (0o040755 << 16, "文件夹"),
        (0o020644 << 16, "字符设备"),
        (0o060644 << 16, "块设备"),
        (0o010644 << 16, "命名管道"),
        (0o140644 << 16, "套接字"),
        (0o104755 << 16, "setuid"),
        (0x10, "文件夹"),  # the DOS folder bit, with no Unix mode at all
        (0x08, "卷标"),
    ],
    ids=["unix-dir", "char-device", "block-device", "fifo", "socket", "setuid", "dos-dir", "volume"],
)  # fmt: skip
def test_an_entry_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, attributes: int, expected: str
) -> None:
    data = _with_attributes(
        "w/a.pdf", PDF, attributes, create_system=0 if attributes < 0x100 else 3
    )
    _refused(_written(tmp_path, data), "w/a.pdf", expected)


@pytest.mark.parametrize("attributes", [0, 0o644 << 16, 0o100644 << 16, (0o100600 << 16) | 0x20])
def test_a_regular_file_in_any_of_its_usual_spellings_verifies(
    tmp_path: Path, attributes: int
) -> None:
    result = verify(
        _written(tmp_path, _with_attributes("w/渭城镇.pdf", PDF, attributes, flags=0x800))
    )
    assert result.ok and result.checked == 1, result.problems


def test_a_folder_entry_is_refused(tmp_path: Path) -> None:
    _refused(
        _written(tmp_path, _package([("w/a.pdf", PDF), ("w/sub/", b"")])), "'w/sub/'", "文件夹项"
    )


@pytest.mark.parametrize(
    "twins",
    [
        ("w/a.pdf", "w/A.pdf"),
        ("w/渭城镇报告.PDF", "w/渭城镇报告.pdf"),
        ("w/a.pdf", "W/a.pdf"),
        ("w/Straße.pdf", "w/STRASSE.pdf"),
    ],
    ids=["case", "extension-case", "folder-case", "casefold"],
)
def test_case_twins_are_refused(tmp_path: Path, twins: tuple[str, str]) -> None:
    """Both listed with their own hashes: on Windows and macOS the second overwrites the first."""
    entries = [(twins[0], PDF), (twins[1], PDF + b"other")]
    _refused(_written(tmp_path, _package(entries)), *map(repr, twins), "大小写")


def test_nfc_and_nfd_twins_are_refused(tmp_path: Path) -> None:
    nfc, nfd = (unicodedata.normalize(form, "w/规划说明-é.pdf") for form in ("NFC", "NFD"))
    assert nfc != nfd
    problems = _refused(
        _written(tmp_path, _package([(nfc, PDF), (nfd, b"x")])), "NFC/NFD", "非 NFC"
    )
    assert len(problems) == 1  # one problem for the pair, not one per name


def test_a_file_where_another_entry_needs_a_folder_is_refused(tmp_path: Path) -> None:
    _refused(_written(tmp_path, _package([("w", b"x"), ("W/a.pdf", PDF)])), "既是文件，又是")


@pytest.mark.parametrize(
    "name",
    ["w/con", "w/CON.pdf", "w/Com1.pdf", "w/nul.tar.gz", "aux/a.pdf", "w/lpt9", "w/a.pdf.", "w/a?.pdf"],
)  # fmt: skip
def test_a_name_windows_cannot_create_is_refused(tmp_path: Path, name: str) -> None:
    _refused(_written(tmp_path, _package([(name, PDF)])), repr(name), "不安全")


def test_a_chinese_name_not_flagged_utf8_is_refused(tmp_path: Path) -> None:
    """Without bit 11 the name's bytes are read as cp437 here, GBK on a Chinese Windows."""
    data = _patch(_package([("w/渭城镇.pdf", PDF)]), "w/渭城镇.pdf", flags=0)
    _refused(_written(tmp_path, data), "UTF-8")


def test_a_second_name_in_an_extra_field_is_refused(tmp_path: Path) -> None:
    """Info-ZIP's Unicode Path field (0x7075): unzip names the file after it, not the header."""
    other = b"../../etc/cron.d/x"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("w/a.pdf", (2023, 9, 15, 0, 0, 0))
        info.extra = struct.pack("<HHB", 0x7075, 5 + len(other), 1) + struct.pack("<L", 0) + other
        archive.writestr(info, PDF)
        archive.writestr("manifest.json", _manifest([("w/a.pdf", PDF)]))
    _refused(_written(tmp_path, buffer.getvalue()), "w/a.pdf", "另带一个文件名")


def test_a_file_that_is_not_a_zip_is_told_in_chinese(tmp_path: Path) -> None:
    for data in (b"hello, not a zip" * 10, b"", b"PK\x05\x06"):
        [problem] = _refused(_written(tmp_path, data), "不是 zip 文件")
        assert "BadZipFile" not in problem and "File is not" not in problem, problem
        assert re.fullmatch(r"[^A-Za-z]*(zip[^A-Za-z]*)*", problem), problem


def test_damage_and_a_broken_manifest_are_told_without_english(tmp_path: Path) -> None:
    data = bytearray(_package([("w/a.pdf", PDF)]))
    data[data.rfind(b"PK\x01\x02") + 4] ^= 0xFF  # the directory record's version: still parses
    data[data.find(b"PK\x01\x02") : data.find(b"PK\x01\x02") + 4] = b"XXXX"
    damaged = _refused(_written(tmp_path, bytes(data)), "zip")
    manifest = _refused(
        _written(tmp_path, _zip([("manifest.json", b"{not json")]), "m.zip"), "JSON"
    )
    for problem in (*damaged, *manifest):
        assert not re.search(r"[A-Za-z]{2,}Error|BadZip|Expecting|not a zip", problem), problem


# -- pack and verify apply one rule ----------------------------------------------------------------------------

REFUSED_ENTRIES = [
    [("w/a.pdf", PDF), ("w/A.pdf", PDF)],
    [(unicodedata.normalize("NFC", "w/é.pdf"), PDF), (unicodedata.normalize("NFD", "w/é.pdf"), PDF)],
    [("w/con.pdf", PDF)],
    [("w/he\x01xi.pdf", PDF)],
    [("w", PDF), ("w/a.pdf", PDF)],
    [("manifest.JSON", PDF)],
    [("../a.pdf", PDF)],
]  # fmt: skip


@pytest.mark.parametrize("entries", REFUSED_ENTRIES, ids=range(len(REFUSED_ENTRIES)))
def test_pack_refuses_what_verify_refuses(tmp_path: Path, entries: list[tuple[str, bytes]]) -> None:
    with pytest.raises(PathPolicyError) as refused:
        package.pack(entries, "w", "渭城镇", "2023.1", dt.datetime(2023, 9, 15))
    assert "\x01" not in str(refused.value)
    _refused(_written(tmp_path, _package(entries)))


def test_pack_writes_what_verify_accepts(tmp_path: Path) -> None:
    entries = [
        ("w/渭城镇总体规划.pdf", PDF),
        ("w/渭城镇材料检查报告.json", b"{}"),
        ("w/con-x.pdf", PDF),
    ]
    data = package.pack(entries, "w", "渭城镇", "2023.1", dt.datetime(2023, 9, 15))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert package.unpack_problems(archive.infolist()) == {}
    assert verify(_written(tmp_path, data)).checked == 3
