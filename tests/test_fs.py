"""``townplans.fs`` on its own (issue 20): ``confine``, ``read_regular``, ``open_regular``,
``kind`` at its edges, ``safe_name``, ``safe_entry`` and the Chinese of ``os_error`` and
``special_name``, each refusal with its own message, so a guard that is lost fails here and not
only somewhere in an end-to-end build."""

from __future__ import annotations

import errno
import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from townplans import fs
from townplans.fs import Kind, PathPolicyError
from townplans.limits import MAX_NAME_CHARS

# -- confine: every write and delete of outputs --------------------------------------------------


def test_confine_makes_a_relative_path_absolute_inside_its_root(tmp_path: Path) -> None:
    assert fs.confine(Path("a/b.pdf"), tmp_path) == tmp_path.resolve() / "a/b.pdf"
    assert fs.confine(tmp_path / "a/b.pdf", tmp_path) == tmp_path.resolve() / "a/b.pdf"


@pytest.mark.parametrize("path", ["..", "../x", "a/../../x", "/etc/passwd", ".", "a/.."])
def test_confine_refuses_the_root_itself_and_what_leaves_it(tmp_path: Path, path: str) -> None:
    root = tmp_path / "build"
    root.mkdir()
    with pytest.raises(PathPolicyError) as refused:
        fs.confine(Path(path), root)
    assert str(refused.value) == f"拒绝写入或删除 {path}：它不在 {root} 之内"


def test_confine_follows_a_symlink_on_the_way_and_refuses_where_it_leads(tmp_path: Path) -> None:
    root = tmp_path / "build"
    root.mkdir()
    (root / "out").symlink_to(tmp_path)
    (root / "in").symlink_to(root / "sub", target_is_directory=True)
    with pytest.raises(PathPolicyError, match="不在"):
        fs.confine(Path("out/x.pdf"), root)
    assert fs.confine(Path("in/x.pdf"), root) == root.resolve() / "sub/x.pdf"


def test_confine_tells_a_symlink_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def loop(self: Path, strict: bool = False) -> Path:
        raise RuntimeError("Symlink loop")

    root = tmp_path.resolve()
    monkeypatch.setattr(
        Path, "resolve", lambda self, strict=False: root if self == tmp_path else loop(self)
    )
    with pytest.raises(PathPolicyError) as refused:
        fs.confine(Path("a/x.pdf"), tmp_path)
    assert str(refused.value) == "路径无法解析（可能是符号链接循环）：a/x.pdf"


# -- reading regular files only --------------------------------------------------------------------


def test_read_regular_reads_a_file_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"x" * 10)
    assert fs.read_regular(path, 10) == b"x" * 10
    with pytest.raises(OSError) as refused:
        fs.read_regular(path, 9)
    assert refused.value.errno == errno.EFBIG and refused.value.filename == str(path)
    assert refused.value.strerror == os.strerror(errno.EFBIG)  # as the system would say it


def test_read_regular_reads_a_file_larger_than_one_chunk(tmp_path: Path) -> None:
    data = os.urandom((1 << 20) + 5)
    (tmp_path / "big").write_bytes(data)
    assert fs.read_regular(tmp_path / "big", len(data)) == data


def test_read_regular_stops_a_file_that_grows_while_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fstat's size is within the limit, but the file grows between fstat and the last read: what
    the reads return is counted too, over all chunks (no chunk alone is over the limit)."""
    path = tmp_path / "a.md"
    path.write_bytes(b"x" * ((1 << 20) + 5))
    real, grown = os.read, [b"grown"]

    def read(descriptor: int, count: int) -> bytes:
        return real(descriptor, count) or (grown.pop() if grown else b"")

    monkeypatch.setattr(os, "read", read)
    with pytest.raises(OSError) as refused:
        fs.read_regular(path, (1 << 20) + 9)
    assert refused.value.errno == errno.EFBIG and refused.value.filename == str(path)


@contextmanager
def never_blocks() -> Iterator[None]:
    """Fail, rather than hang the test run, when what is inside blocks (opening a FIFO would)."""

    def blocked(signum: int, frame: object) -> None:
        raise AssertionError("blocked: a FIFO was opened without O_NONBLOCK")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(5)  # opening with O_NONBLOCK returns at once
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


READERS: list[Callable[[Path], object]] = [
    lambda path: fs.read_regular(path, 100),
    fs.open_regular,
    lambda path: fs.open_regular(path, follow_symlinks=False),
]


@pytest.mark.parametrize("read", READERS, ids=["read_regular", "open_regular", "no_follow"])
def test_a_fifo_or_a_folder_is_never_read(tmp_path: Path, read: Callable[[Path], object]) -> None:
    os.mkfifo(tmp_path / "pipe")
    with never_blocks(), pytest.raises(OSError) as refused:
        read(tmp_path / "pipe")
    assert refused.value.errno == errno.EINVAL and refused.value.filename == str(tmp_path / "pipe")
    with pytest.raises(OSError) as folder:
        read(tmp_path)
    assert folder.value.errno in (errno.EINVAL, errno.EISDIR)


def test_open_regular_opens_a_file_and_a_link_unless_told_not_to_follow(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    with fs.open_regular(tmp_path / "a") as stream:
        assert stream.read() == b"data"
    with fs.open_regular(tmp_path / "link") as stream:
        assert stream.read() == b"data"
    with pytest.raises(OSError) as refused:
        fs.open_regular(tmp_path / "link", follow_symlinks=False)
    assert refused.value.errno == errno.ELOOP


def test_open_regular_closes_what_it_refuses(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with pytest.raises(OSError):
            fs.open_regular(tmp_path / "pipe")
    assert len(os.listdir("/proc/self/fd")) == before


# -- kind ---------------------------------------------------------------------------------------------


def test_kind_of_a_root_that_cannot_be_resolved_is_a_loop(tmp_path: Path) -> None:
    (tmp_path / "l1").symlink_to("l2")
    (tmp_path / "l2").symlink_to("l1")
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    for path in (tmp_path / "l1" / "x", tmp_path / "a.md"):
        assert fs.kind(path, tmp_path / "l1") is Kind.LOOP
        assert fs.PathJudge(tmp_path / "l1").kind(path) is Kind.LOOP


def test_kind_under_a_root_that_does_not_exist_yet_is_missing(tmp_path: Path) -> None:
    root = tmp_path / "not-yet"
    assert fs.kind(root / "a.md", root) is Kind.MISSING
    assert fs.PathJudge(root).kind(root / "a.md") is Kind.MISSING


def test_a_loop_met_by_stat_is_a_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where resolving does not raise on a symlink loop (Python 3.13 resolves it quietly),
    ``os.stat`` meets it: ELOOP."""
    (tmp_path / "l1").symlink_to("l2")
    (tmp_path / "l2").symlink_to("l1")
    monkeypatch.setattr(Path, "resolve", lambda self, strict=False: Path(os.path.abspath(self)))
    assert fs.kind(tmp_path / "l1", tmp_path) is Kind.LOOP


def test_kind_of_a_path_under_a_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert fs.kind(tmp_path / "f" / "x", tmp_path) is Kind.MISSING


def test_kind_of_a_socket_is_special(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s"))
        assert fs.kind(tmp_path / "s", tmp_path) is Kind.SPECIAL
        assert fs.special_name(tmp_path / "s") == "套接字"


def test_the_path_judge_remembers_each_answer(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    judge = fs.PathJudge(tmp_path)
    assert judge.kind(tmp_path / "a.md") is Kind.FILE
    (tmp_path / "a.md").unlink()
    assert judge.kind(tmp_path / "a.md") is Kind.FILE  # one judge per run: answers of one moment


def test_the_path_judge_resolves_each_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries of a folder judged DIR, and of folders found in it, take the quick way (one lstat,
    no resolving): only the first folder is judged in full."""
    for name in ("d/a.md", "d/b.md", "d/e/f.md", "d/e/g/h.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    judged: list[Path] = []
    real = fs._judge
    monkeypatch.setattr(fs, "_judge", lambda path, base: judged.append(path) or real(path, base))
    judge = fs.PathJudge(tmp_path)
    for name in ("d", "d/a.md", "d/b.md", "d/e", "d/e/f.md", "d/e/g", "d/e/g/h.md"):
        assert judge.kind(tmp_path / name) is (Kind.FILE if name.endswith(".md") else Kind.DIR)
    assert judged == [tmp_path / "d"]


def test_the_path_judge_takes_the_quick_way_only_in_folders_it_judged(tmp_path: Path) -> None:
    (tmp_path / "d/e").mkdir(parents=True)
    (tmp_path / "d/e/f.md").write_text("x", encoding="utf-8")
    os.mkfifo(tmp_path / "d/pipe")
    judge = fs.PathJudge(tmp_path)
    assert judge.kind(tmp_path / "d") is Kind.DIR
    assert judge.kind(tmp_path / "d/e") is Kind.DIR  # judged inside a judged folder
    assert judge.kind(tmp_path / "d/e/f.md") is Kind.FILE
    assert judge.kind(tmp_path / "d/pipe") is Kind.SPECIAL
    assert judge.kind(tmp_path / "d/none") is Kind.MISSING
    assert judge.kind(tmp_path / "d/..") is Kind.DIR  # the root itself, judged in full
    assert judge.kind(tmp_path / "d/../..") is Kind.OUTSIDE  # never the quick way for ..


# -- messages -------------------------------------------------------------------------------------------


def test_special_name_tells_a_fifo_and_a_device(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert fs.special_name(tmp_path / "pipe") == "命名管道（FIFO）"
    assert fs.special_name(Path("/dev/null")) == "设备文件"
    assert fs.special_name(tmp_path / "missing") == "特殊文件"
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    assert fs.special_name(tmp_path / "plain") == "特殊文件"


def test_link_target_of_a_link_that_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "link").symlink_to("/somewhere")

    def unreadable(path: object) -> str:
        raise PermissionError(errno.EACCES, "denied")

    monkeypatch.setattr(os, "readlink", unreadable)
    assert fs.link_target(tmp_path / "link") == "（无法读取链接目标）"


def test_link_target_says_where_the_first_link_on_the_way_points(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/somewhere/else")
    assert fs.link_target(tmp_path / "link") == "/somewhere/else"
    assert fs.link_target(tmp_path / "link" / "deeper.md") == "/somewhere/else"
    assert fs.link_target(tmp_path / "plain.md") == str((tmp_path / "plain.md").resolve())


def test_os_error_is_chinese_and_names_the_path() -> None:
    error = OSError(errno.ENOENT, "No such file", "/x/a.md")
    assert fs.os_error(error) == "/x/a.md：文件或文件夹不存在"
    assert fs.os_error(error, "towns/a.md") == "towns/a.md：文件或文件夹不存在"
    assert fs.os_error(OSError(errno.ENOSPC, "full")) == "磁盘空间不足"
    assert fs.os_error(OSError(9999, "odd"), "p") == "p：系统错误（errno 9999）"
    assert fs.os_error(OSError("no errno")) == "系统错误"  # no number to show


def test_is_utf8_name() -> None:
    assert fs.is_utf8_name("渭城镇.md")
    assert not fs.is_utf8_name(b"\xff.md".decode("utf-8", "surrogateescape"))


# -- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("渭城镇 总体规划", "渭城镇总体规划"),
        ("..隐藏", "隐藏"),
        ("a/b\\c:d", "abcd"),
        (" 名称. ", "名称"),
        ("e\u0301", "\u00e9"),  # NFC
        ("XX规划X", "XX规划X"),
        ("CON", "未命名"),
        ("...", "未命名"),
        ("", "未命名"),
    ],
)
def test_safe_name(text: str, name: str) -> None:
    assert fs.safe_name(text) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "是空名或 . / ..（不是文件名）"),
        (".", "是空名或 . / ..（不是文件名）"),
        ("..", "是空名或 . / ..（不是文件名）"),
        ("a/b", "含有斜杠 /（应为一个文件名，不是路径）"),
        ("a\x7fb", "含有控制字符"),
        ("a\udcffb", "含有无法按 UTF-8 解码的字节"),
        ("a|b", "含有 Windows 不允许的字符 |"),
        ("名称.", "以点或空格结尾（Windows 会去掉它，与另一个名称混同）"),
        ("名称 ", "以点或空格结尾（Windows 会去掉它，与另一个名称混同）"),
        ("con .txt", "是 Windows 保留的设备名 CON（不论大小写、有无扩展名），在 Windows 上无法创建"),
        ("Lpt¹.a.b", "是 Windows 保留的设备名 LPT¹（不论大小写、有无扩展名），在 Windows 上无法创建"),
        ("conX", None),
        ("con\u3000", None),  # Windows drops trailing spaces and dots, not other blanks
        ("console", None),
        ("com10", None),
    ],
)  # fmt: skip
def test_name_problem_says_why(name: str, problem: str | None) -> None:
    assert fs.name_problem(name) == problem
    assert fs.windows_reserved(name) is (problem is not None and "设备名" in problem)


def test_safe_name_is_cut_to_its_length_without_a_trailing_dot() -> None:
    assert fs.safe_name("名" * (MAX_NAME_CHARS + 5)) == "名" * MAX_NAME_CHARS
    assert fs.safe_name("名" * (MAX_NAME_CHARS - 1) + ".x") == "名" * (MAX_NAME_CHARS - 1)
    assert fs.safe_name("", fallback="镇") == "镇"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "含有反斜杠或控制字符"),
        ("a\\b", "含有反斜杠或控制字符"),
        ("a\x01b", "含有反斜杠或控制字符"),
        ("/a", "是绝对路径"),
        ("C:x", "是绝对路径"),
        ("z:/x", "是绝对路径"),
        ("1:x", "含有 Windows 不允许的字符 :"),
        ("a/../b", "含有 .. 或 . 路径段"),
        ("./b", "含有 .. 或 . 路径段"),
        ("a//b", "以 / 结尾或含有 //（是文件夹，或有空的路径段）"),
        ("a/", "以 / 结尾或含有 //（是文件夹，或有空的路径段）"),
        ("a/con.txt", "其中“con.txt”是 Windows 保留的设备名 CON（不论大小写、有无扩展名），在 Windows 上无法创建"),
        ("nul", "是 Windows 保留的设备名 NUL（不论大小写、有无扩展名），在 Windows 上无法创建"),
    ],
)  # fmt: skip
def test_safe_entry_says_why(name: str, problem: str) -> None:
    assert fs.safe_entry(name) == problem


@pytest.mark.parametrize("name", ["a.pdf", "w/渭城镇.pdf", "..a/b", "a/.b", "1/x"])
def test_safe_entry_accepts(name: str) -> None:
    assert fs.safe_entry(name) is None


def test_shown_writes_out_control_characters_and_undecodable_bytes() -> None:
    assert fs.shown("a\x01b\x9fc\udcffd") == "a\\x01b\\x9fc\\udcffd"
    assert fs.shown("第一行\n第二行\t", keep="\n") == "第一行\n第二行\\x09"
    assert fs.shown("渭城镇 ÿĀ") == "渭城镇 ÿĀ"
