"""``package`` at its edges (issue 20): what ``pack`` writes, each limit of ``verify`` one below and
one above, the end records of a zip as zipfile finds them (a comment, zip64), and every problem
with its exact message. tests/test_verify.py has the hostile zips themselves."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import pytest

import townplans
from townplans import package
from townplans.fs import PathPolicyError
from townplans.limits import MAX_ZIP_BYTES
from townplans.package import verify

PDF = b"%PDF-1.7 " * 200
BUILT = dt.datetime(2023, 9, 15, 8, 30, 5)


def _zip(entries: list[tuple[str, bytes]], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, (2023, 9, 15, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        archive.comment = comment
    return buffer.getvalue()


def _listed(entries: list[tuple[str, bytes]], **extra: Any) -> bytes:
    files = [
        {"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in entries
    ]
    return json.dumps({"town": "w", "files": files, **extra}, ensure_ascii=False).encode()


def _package(entries: list[tuple[str, bytes]], comment: bytes = b"") -> bytes:
    return _zip([*entries, ("manifest.json", _listed(entries))], comment)


def _problems(tmp_path: Path, data: bytes) -> list[str]:
    path = tmp_path / "p.zip"
    path.write_bytes(data)
    return verify(path).problems


# -- pack ----------------------------------------------------------------------------------------------


def test_pack_writes_a_manifest_of_every_file_and_its_build() -> None:
    entries = [("w/渭城镇总体规划.pdf", PDF), ("w/report.json", b"{}")]
    data = package.pack(entries, "weicheng", "渭城镇", "2023.1", BUILT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read("manifest.json").decode()
        infos = archive.infolist()
    assert json.loads(text) == {
        "town": "weicheng", "name": "渭城镇", "profile_version": "2023.1",
        "townplans_version": townplans.__version__, "built_at": "2023-09-15T08:30:05",
        "files": [
            {"name": "w/report.json", "sha256": hashlib.sha256(b"{}").hexdigest(), "size": 2},
            {"name": "w/渭城镇总体规划.pdf", "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF)},
        ],
    }  # fmt: skip
    assert text.startswith('{\n  "town": "weicheng",\n  "name": "渭城镇",')  # readable as text
    assert [i.filename for i in infos] == ["w/report.json", "w/渭城镇总体规划.pdf", "manifest.json"]
    assert {(i.compress_type, i.external_attr, i.date_time) for i in infos} == {
        (zipfile.ZIP_DEFLATED, 0o644 << 16, (2023, 9, 15, 8, 30, 4))  # DOS time: even seconds
    }
    assert [i.flag_bits & package.UTF8_FLAG for i in infos] == [0, package.UTF8_FLAG, 0]


def test_pack_refuses_with_every_problem_told_once() -> None:
    with pytest.raises(PathPolicyError) as refused:
        package.pack([("../a.pdf", b""), ("A.pdf", b""), ("a.pdf", b"")], "w", "渭城镇", "1", BUILT)
    assert str(refused.value) == (
        "压缩包中的文件名 '../a.pdf' 不安全（含有 .. 或 . 路径段）；"
        "压缩包中的 'A.pdf'、'a.pdf' 只差大小写（或 Unicode 写法），在 Windows 和 macOS 上解压为同一个文件"
    )
    with pytest.raises(PathPolicyError) as nul:
        package.pack([("a\x00b.pdf", b"")], "w", "渭城镇", "1", BUILT)
    assert str(nul.value) == "压缩包中的文件名 'a\\x00b.pdf' 不安全（含有空字符 NUL）"


def test_a_packed_package_verifies_and_gives_its_manifest(tmp_path: Path) -> None:
    data = package.pack([("w/a.pdf", PDF)], "weicheng", "渭城镇", "2023.1", BUILT)
    (tmp_path / "p.zip").write_bytes(data)
    result = verify(tmp_path / "p.zip")
    assert result.ok and result.checked == 1
    assert (
        result.manifest["town"] == "weicheng"
        and result.manifest["built_at"] == "2023-09-15T08:30:05"
    )


# -- the file --------------------------------------------------------------------------------------------


def test_what_cannot_be_opened_is_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert verify(tmp_path / "none.zip").problems == [
        "文件不存在（应为 townplans package 生成的 zip 文件）"
    ]
    assert verify(tmp_path).problems == ["这是一个文件夹，应为 zip 文件"]
    os.mkfifo(tmp_path / "pipe.zip")
    assert verify(tmp_path / "pipe.zip").problems == [
        "这是命名管道（FIFO），不是 zip 文件（不会打开它）"
    ]
    (tmp_path / "p.zip").write_bytes(_package([("w/a.pdf", PDF)]))

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "p.zip"))

    monkeypatch.setattr(package, "open_regular", denied)
    assert verify(tmp_path / "p.zip").problems == [f"{tmp_path / 'p.zip'}：没有读取或写入权限"]
    monkeypatch.setattr(os, "stat", denied)
    assert verify(tmp_path / "p.zip").problems == [f"{tmp_path / 'p.zip'}：没有读取或写入权限"]


def test_a_file_larger_than_a_package_may_be_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with path.open("wb") as sparse:
        sparse.truncate(MAX_ZIP_BYTES + 1)  # sparse: takes no disk space
    assert verify(path).problems == ["文件有 2.0 GB，超过报送包的上限 2.0 GB"]
    with path.open("wb") as sparse:
        sparse.truncate(MAX_ZIP_BYTES)  # at the limit: read, and found not to be a zip
    [problem] = verify(path).problems
    assert problem.startswith("不是 zip 文件：文件末尾没有 zip 的目录记录")


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0.0 MB"), (3 << 20, "3.0 MB"), ((1 << 30) - (1 << 19), "1023.5 MB"), (1 << 30, "1.0 GB"), (5 << 30, "5.0 GB")],
)  # fmt: skip
def test_sizes_in_messages(count: int, shown: str) -> None:
    assert package._size(count) == shown


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.EIO, "io"), "读写出错（磁盘或网络盘故障）"),
        (json.JSONDecodeError("x", "ab", 1), "第 1 行第 2 列不是有效的 JSON"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), "不是 UTF-8 文本"),
        (RecursionError(), "嵌套过深"),
        (zlib.error(), "压缩数据损坏"),
        (EOFError(), "文件不完整（可能只下载或复制了一部分）"),
        (NotImplementedError(), "使用了不支持的 zip 功能"),
        (zipfile.BadZipFile(), "zip 的目录或文件头有误"),
    ],
)
def test_why_a_zip_could_not_be_read_in_chinese(error: BaseException, reason: str) -> None:
    assert package._reason(error).startswith(f"（{reason}）")  # the English only with --debug


def test_damage_found_by_zipfile_is_told_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cut_short(*args: object, **kwargs: object) -> None:
        raise EOFError

    data = _package([("w/a.pdf", PDF)])
    monkeypatch.setattr(zipfile, "ZipFile", cut_short)
    assert _problems(tmp_path, data) == [
        "不是有效的 zip 文件，或已损坏（文件不完整（可能只下载或复制了一部分））"
    ]


# -- the end records: where zipfile finds them ---------------------------------------------------------------


def test_a_package_with_a_comment_verifies(tmp_path: Path) -> None:
    assert _problems(tmp_path, _package([("w/a.pdf", PDF)], comment="报送".encode() * 20)) == []


def test_the_end_record_is_looked_for_as_far_back_as_zipfile_looks(tmp_path: Path) -> None:
    """The longest comment and one byte more after the end record: zipfile still reads it."""
    data = _package([("w/a.pdf", PDF)], comment=b"c" * 0xFFFF) + b"!"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "manifest.json" in archive.namelist()
    assert _problems(tmp_path, data) == []
    further = data + b"!"  # one byte further back than zipfile looks: not a zip to either
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(further))
    [problem] = _problems(tmp_path, further)
    assert problem.startswith("不是 zip 文件：文件末尾没有 zip 的目录记录")


def test_an_end_record_holding_the_signature_is_read_where_zipfile_reads_it(
    tmp_path: Path,
) -> None:
    """Counts of 0x4B50 and 0x0605 spell the signature inside the end record itself: zipfile
    takes the record at its fixed place first, before looking further, and so must the check."""
    raw = bytearray(_package([("w/a.pdf", PDF)]))
    struct.pack_into("<HH", raw, len(raw) - 22 + 8, 0x4B50, 0x0605)
    assert bytes(raw[-14:-10]) == b"PK\x05\x06"
    assert _problems(tmp_path, bytes(raw)) == []
    empty = bytearray(_zip([]))
    struct.pack_into("<HH", empty, 8, 0x4B50, 0x0605)
    assert _problems(tmp_path, bytes(empty)) == ["压缩包中没有 manifest.json，无法核对"]


def _end_record(entries: int, directory: int) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, directory, 0, 0)


def test_the_end_record_zipfile_reads_is_the_one_judged(tmp_path: Path) -> None:
    """A comment may hold something that looks like an end record; zipfile takes the last one
    in the file, and so must the count it is judged by."""
    fake = _end_record(20_000, 100)
    assert _problems(tmp_path, _package([("w/a.pdf", PDF)], comment=b"x" + fake + b"y")) == [
        "压缩包声明有 20,000 个文件，超过上限 10,000（报送包约 15 个），未读取"
    ]


def _declaring(data: bytes, entries: int | None = None, directory: int | None = None) -> bytes:
    """``data`` (no comment) with its end record declaring other counts."""
    raw = bytearray(data)
    end = len(raw) - 22
    if entries is not None:
        struct.pack_into("<HH", raw, end + 8, entries, entries)
    if directory is not None:
        struct.pack_into("<L", raw, end + 12, directory)
    return bytes(raw)


def test_the_declared_number_of_entries_at_and_over_the_limit(tmp_path: Path) -> None:
    good = _package([("w/a.pdf", PDF)])
    assert _problems(tmp_path, _declaring(good, entries=10_000)) == []  # zipfile reads by size
    assert _problems(tmp_path, _declaring(good, entries=10_001)) == [
        "压缩包声明有 10,001 个文件，超过上限 10,000（报送包约 15 个），未读取"
    ]


def test_the_declared_directory_size_at_and_over_the_limit(tmp_path: Path) -> None:
    good = _package([("w/a.pdf", PDF)])
    at_limit = _problems(tmp_path, _declaring(good, directory=4 << 20))
    assert at_limit == ["不是有效的 zip 文件，或已损坏（zip 的目录或文件头有误）"]  # read, wrong
    assert _problems(tmp_path, _declaring(good, directory=(4 << 20) + 1)) == [
        "压缩包的文件目录有 4.0 MB，超过上限 4.0 MB，未读取"
    ]


@pytest.mark.parametrize("data", [b"", b"PK\x05\x06", b"x" * 21])
def test_too_short_to_be_a_zip(tmp_path: Path, data: bytes) -> None:
    [problem] = _problems(tmp_path, data)
    assert problem.startswith("不是 zip 文件：文件末尾没有 zip 的目录记录")


def test_an_empty_zip_has_no_manifest(tmp_path: Path) -> None:
    empty = _zip([])
    assert len(empty) == 22  # the end record alone, at offset 0
    assert _problems(tmp_path, empty) == ["压缩包中没有 manifest.json，无法核对"]


def _zip64(data: bytes, entries: int | None = None, directory: int | None = None) -> bytes:
    """``data`` (no comment) with a zip64 end record and locator before its end record, as a
    zip64 writer puts them; the classic record then holds the 0xFFFF placeholders."""
    end = len(data) - 22
    _, _, _, _, count, size, offset, _ = struct.unpack("<4s4H2LH", data[end:])
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0,
        count, count if entries is None else entries, size if directory is None else directory, offset,
    )  # fmt: skip
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    classic = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
    )
    return data[:end] + record + locator + classic


def test_a_zip64_package_verifies(tmp_path: Path) -> None:
    assert _problems(tmp_path, _zip64(_package([("w/a.pdf", PDF)]))) == []


def test_an_empty_zip64_is_judged_by_its_zip64_record(tmp_path: Path) -> None:
    """The zip64 record at offset 0, right before its locator: still the one that counts."""
    assert _problems(tmp_path, _zip64(_zip([]))) == ["压缩包中没有 manifest.json，无法核对"]


@pytest.mark.parametrize(
    ("entries", "directory", "problem"),
    [
        (20_000, None, "压缩包声明有 20,000 个文件，超过上限 10,000（报送包约 15 个），未读取"),
        (None, 5 << 20, "压缩包的文件目录有 5.0 MB，超过上限 4.0 MB，未读取"),
    ],
)
def test_a_zip64_record_is_judged_before_zipfile_reads_it(
    tmp_path: Path, entries: int | None, directory: int | None, problem: str
) -> None:
    assert _problems(tmp_path, _zip64(_package([("w/a.pdf", PDF)]), entries, directory)) == [
        problem
    ]


# -- the entries --------------------------------------------------------------------------------------------


def test_more_entries_than_declared_are_counted_as_zipfile_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "MAX_ZIP_MEMBERS", 3)
    three = _package([("w/a.pdf", PDF), ("w/b.pdf", PDF)])
    assert _problems(tmp_path, _declaring(three, entries=1)) == []
    four = _package([("w/a.pdf", PDF), ("w/b.pdf", PDF), ("w/c.pdf", PDF)])
    assert _problems(tmp_path, _declaring(four, entries=1)) == [
        "压缩包有 4 个文件，超过上限 3，未核对"
    ]


def test_the_total_size_at_and_over_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zeros = bytes(100_000)  # the zip is small, its entries together are not
    manifest = _listed([("w/a.pdf", zeros)])
    data = _zip([("w/a.pdf", zeros), ("manifest.json", manifest)])
    monkeypatch.setattr(package, "MAX_ZIP_BYTES", len(zeros) + len(manifest))
    assert _problems(tmp_path, data) == []
    monkeypatch.setattr(package, "MAX_ZIP_BYTES", len(zeros) + len(manifest) - 1)
    assert _problems(tmp_path, data) == [
        "压缩包解压后共 0.1 MB，超过上限 0.1 MB（疑为压缩炸弹），未核对"
    ]


def _patched(data: bytes, name: str, offsets: tuple[int, int], layout: str, value: int) -> bytes:
    """A field of entry ``name`` changed in its local header and central directory record."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    encoded = name.encode()
    central = raw.find(b"PK\x01\x02")
    while raw[central + 46 : central + 46 + len(encoded)] != encoded:
        central = raw.find(b"PK\x01\x02", central + 1)
    struct.pack_into(layout, raw, local + offsets[0], value)
    struct.pack_into(layout, raw, central + offsets[1], value)
    return bytes(raw)


def _compressed_size(data: bytes, name: str, value: int) -> bytes:
    return _patched(data, name, (18, 20), "<L", value)


ZEROS = bytes(1 << 20)
"""1 MB of zeros: deflated about a thousand times smaller."""


def test_the_ratio_applies_above_one_megabyte_only(tmp_path: Path) -> None:
    assert _problems(tmp_path, _package([("w/a.pdf", ZEROS)])) == []
    data = _package([("w/a.pdf", ZEROS + b"\0")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        ratio = (len(ZEROS) + 1) / archive.getinfo("w/a.pdf").compress_size
    assert _problems(tmp_path, data) == [
        f"w/a.pdf 解压后 1.0 MB，是压缩后的 {ratio:,.0f} 倍（上限 200 倍），疑为压缩炸弹，不会解压它"
    ]


@pytest.mark.parametrize(
    ("compressed", "ratio"), [(0, "1,048,577"), (1, "1,048,577"), (2, "524,288")]
)
def test_the_ratio_told_is_the_directorys(tmp_path: Path, compressed: int, ratio: str) -> None:
    data = _compressed_size(_package([("w/a.pdf", ZEROS + b"\0")]), "w/a.pdf", compressed)
    assert _problems(tmp_path, data) == [
        f"w/a.pdf 解压后 1.0 MB，是压缩后的 {ratio} 倍（上限 200 倍），疑为压缩炸弹，不会解压它"
    ]


def test_a_ratio_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    """200 × 6,000 bytes stated: not refused for its ratio; read, it does not match its record."""
    data = bytes(range(200)) * 6_000  # 1.2 MB
    patched = _compressed_size(_package([("w/a.pdf", data)]), "w/a.pdf", len(data) // 200)
    [problem] = _problems(tmp_path, patched)
    assert "倍" not in problem and "w/a.pdf" in problem


def test_an_unknown_compression_method_is_told(tmp_path: Path) -> None:
    data = _patched(_package([("w/a.pdf", PDF)]), "w/a.pdf", (8, 10), "<H", 12)
    assert _problems(tmp_path, data) == [
        "w/a.pdf 的压缩方式（12）不是 townplans 使用的存储（0）或 deflate（8），不会解压它"
    ]


def _with_extra(extra: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("w/a.pdf", (2023, 9, 15, 0, 0, 0))
        info.extra = extra
        archive.writestr(info, PDF)
        archive.writestr("manifest.json", _listed([("w/a.pdf", PDF)]))
    return buffer.getvalue()


def _field(field_id: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", field_id, len(data)) + data


@pytest.mark.parametrize(
    ("extra", "second_name"),
    [
        (_field(0x5455, b"\1" * 5) + _field(0xCAFE, b"ab") + _field(0x7075), True),
        (_field(0x7075), True),
        (_field(0xCAFE, b"\0" * 0x8000) + _field(0x7075), True),
        (_field(0x5455, b"\1" * 5) + _field(0xCAFE, b"ab"), False),
        (_field(0x5455, b"\1" * 5) + b"\x75\x70\0", False),  # a cut-off last field ends the list
    ],
)
def test_a_second_name_is_found_among_the_extra_fields(
    tmp_path: Path, extra: bytes, second_name: bool
) -> None:
    message = "w/a.pdf 另带一个文件名（Unicode 路径扩展字段），解压软件可能按那个名称解出，不会读取"
    assert (message in _problems(tmp_path, _with_extra(extra))) is second_name


def test_twins_are_told_with_their_spellings(tmp_path: Path) -> None:
    nfc, nfd = (unicodedata.normalize(form, "w/é.pdf") for form in ("NFC", "NFD"))
    entries = [("w/fine.pdf", PDF), (nfc, PDF), (nfd, PDF), ("w/B.pdf", PDF), ("w/b.pdf", PDF)]
    problems = _problems(tmp_path, _package(entries))
    assert problems == [
        (
            f"压缩包中的 {nfd!r}（非 NFC 写法）、{nfc!r} 只差 Unicode 写法（NFC/NFD），"
            "看起来完全相同，在 macOS 上解压为同一个文件，不会读取"
        ),
        "压缩包中的 'w/B.pdf'、'w/b.pdf' 只差大小写（或 Unicode 写法），在 Windows 和 macOS 上解压为同一个文件，不会读取",
    ]


# -- streaming: the sizes in the headers can lie -------------------------------------------------------------


def _believing_the_stream(monkeypatch: pytest.MonkeyPatch, sizes: dict[str, int]) -> None:
    """zipfile, as if it returned what the compressed data holds, not what the directory says."""
    real_open = zipfile.ZipFile.open

    def opened(
        archive: zipfile.ZipFile, info: zipfile.ZipInfo | str, *args: Any, **kwargs: Any
    ) -> IO[bytes]:
        if isinstance(info, zipfile.ZipInfo) and info.filename in sizes:
            return io.BytesIO(bytes(sizes[info.filename]))
        return real_open(archive, info, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", opened)


def test_an_entry_inflating_past_its_size_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.5 MB in the directory, 3 MB in the stream, read 1 MB at a time: stopped at the second."""
    data = _package([("w/a.pdf", os.urandom(3 << 19))])  # 1.5 MB
    _believing_the_stream(monkeypatch, {"w/a.pdf": 3 << 20})
    assert _problems(tmp_path, data) == [
        "w/a.pdf 解压后超过目录所记的大小（疑为压缩炸弹），已停止解压"
    ]


def test_an_entry_of_several_chunks_is_compared_whole(tmp_path: Path) -> None:
    data = os.urandom((2 << 20) + 7)
    assert _problems(tmp_path, _package([("w/a.pdf", data)])) == []


def test_a_manifest_inflating_past_its_size_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _package([("w/a.pdf", PDF)])
    _believing_the_stream(monkeypatch, {"manifest.json": 3 << 20})
    assert _problems(tmp_path, data) == [
        "manifest.json 解压后超过目录所记的大小，不是 townplans 生成的清单"
    ]


# -- the manifest --------------------------------------------------------------------------------------------


def test_a_manifest_of_several_chunks_is_read(tmp_path: Path) -> None:
    entries = [("w/a.pdf", PDF)]
    numbers = struct.unpack("<393216Q", os.urandom(3 << 20))  # 3 MB of JSON outside strings
    manifest = _listed(entries, pad=list(numbers[:200_000]))
    assert _problems(tmp_path, _zip([*entries, ("manifest.json", manifest)])) == []


def test_a_manifest_at_and_over_its_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = [("w/a.pdf", PDF)]
    manifest = _listed(entries)
    data = _zip([*entries, ("manifest.json", manifest)])
    monkeypatch.setattr(package, "MAX_MANIFEST_BYTES", len(manifest))
    assert _problems(tmp_path, data) == []
    monkeypatch.setattr(package, "MAX_MANIFEST_BYTES", len(manifest) - 1)
    assert _problems(tmp_path, data) == [
        "manifest.json 过大（0.0 MB，上限 0.0 MB），不是 townplans 生成的清单"
    ]


def _nested(depth: int) -> object:
    """``depth`` levels of lists and objects, counting the outermost as 1."""
    value: object = []
    for level in range(depth - 1):
        value = {"x": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize(
    ("manifest", "problems"),
    [
        (b"[]", ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b"5", ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b'"files"', ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b'{"files": "w/a.pdf"}', ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b'{"files": 5}', ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b'{"files": []}', ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b'{"files": [1]}', ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b'{"files": [{"name": 1}]}', ["manifest.json 格式不对：应有 files 列表，每项含 name、sha256、size"]),
        (b"{x", ["manifest.json 无法读取（应为 townplans 生成的 JSON 清单）：第 1 行第 2 列不是有效的 JSON"]),
        (b"\xff", ["manifest.json 无法读取（应为 townplans 生成的 JSON 清单）：不是 UTF-8 文本"]),
        (json.dumps({"files": [{"name": "w/a.pdf"}], "x": _nested(31)}).encode(), ["文件内容与清单不符（已被改动或损坏）：w/a.pdf"]),
        (json.dumps({"files": [{"name": "w/a.pdf"}], "x": _nested(32)}).encode(), ["manifest.json 嵌套超过 32 层（townplans 写 3 层），不是 townplans 生成的清单"]),
    ],
    ids=["list", "number", "string", "files-string", "files-number", "no-files", "file-number", "name-number", "not-json", "not-utf8", "depth-32", "depth-33"],
)  # fmt: skip
def test_what_is_wrong_with_a_manifest(
    tmp_path: Path, manifest: bytes, problems: list[str]
) -> None:
    assert _problems(tmp_path, _zip([("w/a.pdf", PDF), ("manifest.json", manifest)])) == problems


def test_a_zip_without_a_manifest(tmp_path: Path) -> None:
    assert _problems(tmp_path, _zip([("w/a.pdf", PDF)])) == ["压缩包中没有 manifest.json，无法核对"]


def test_a_manifest_listing_more_files_than_a_package_may_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "MAX_ZIP_MEMBERS", 3)
    entries = [("w/a.pdf", PDF)]
    three = [*entries, ("w/b.pdf", b""), ("w/c.pdf", b"")]
    at_limit = _zip([*entries, ("manifest.json", _listed(three))])
    assert _problems(tmp_path, at_limit) == [
        "清单列出的文件缺失：w/b.pdf",
        "清单列出的文件缺失：w/c.pdf",
    ]
    over = _zip([*entries, ("manifest.json", _listed([*three, ("w/d.pdf", b"")]))])
    assert _problems(tmp_path, over) == [
        "manifest.json 列出 4 个文件，超过上限 3",
        "压缩包中有清单未列出的文件：w/a.pdf",
    ]


def test_files_the_manifest_does_not_list_are_told_once(tmp_path: Path) -> None:
    entries = [("w/a.pdf", PDF)]
    data = _zip(
        [
            *entries,
            ("w/extra.pdf", b"x"),
            ("w/../bad.pdf", b"x"),
            ("manifest.json", _listed(entries)),
        ]
    )
    assert _problems(tmp_path, data) == [
        "压缩包中的文件名 'w/../bad.pdf' 不安全（含有 .. 或 . 路径段），不会读取",
        "压缩包中有清单未列出的文件：w/extra.pdf",
    ]
