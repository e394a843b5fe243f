"""``serve.security`` on its own, without a server (issue 20): each refusal of ``decoded``,
``segments``, ``check_request_path`` and ``resolve`` says its own reason, so no later check (the
containment at the end of ``resolve``, a route's 404) can stand in for a refusal that was lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from townplans.serve.security import (
    NotFound,
    Refused,
    check_request_path,
    decoded,
    resolve,
    segments,
)

DOTS = "路径中含有 . 或 .. 或空的一段"
TWICE = "路径经过多重编码"
SLASH_NUL = "路径中含有反斜杠或空字符"
NOT_UTF8 = "路径不是有效的 UTF-8 编码"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("/town/weicheng", "/town/weicheng"),
        ("/preview/weicheng/%E6%B8%AD%E5%9F%8E", "/preview/weicheng/渭城"),
        ("/source/towns/a%20b.md", "/source/towns/a b.md"),
        ("/100%25", "/100%"),  # a percent sign encoded once is a percent sign
        ("/%2e%2e/x", "/../x"),  # decoded once: segments refuses it, not decoded
    ],
)
def test_decoded_decodes_once(raw: str, text: str) -> None:
    assert decoded(raw) == text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("/a\\b", SLASH_NUL),
        ("/a\x00b", SLASH_NUL),
        ("/a%00b", SLASH_NUL),
        ("/a%5cb", SLASH_NUL),
        ("/a%5Cb", SLASH_NUL),
        ("/%252e%252e/x", TWICE),
        ("/%2577eicheng", TWICE),
        ("/x%25ff", TWICE),
        ("/%ff", NOT_UTF8),
        ("/%e6%b8", NOT_UTF8),
    ],
)
def test_decoded_refuses(raw: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        decoded(raw)
    assert str(refused.value) == reason


@pytest.mark.parametrize("text", ["a", "towns/weicheng/town.yaml", "..a/b..", ".hidden/x", "a.b"])
def test_segments_keeps_plain_names(text: str) -> None:
    assert segments(text) == text.split("/")


@pytest.mark.parametrize("text", ["..", "../x", "a/../b", "a/..", ".", "a/./b", "a//b", "a/", ""])
def test_segments_refuses_dot_dotdot_and_empty(text: str) -> None:
    with pytest.raises(Refused) as refused:
        segments(text)
    assert str(refused.value) == DOTS


@pytest.mark.parametrize(
    ("raw", "text"),
    [("/", "/"), ("/town/weicheng", "/town/weicheng"), ("/town/weicheng/", "/town/weicheng/")],
)
def test_a_request_path_may_have_its_leading_and_trailing_slash(raw: str, text: str) -> None:
    assert check_request_path(raw) == text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("/../etc/passwd", DOTS),
        ("/%2e%2e/etc/passwd", DOTS),
        ("/source/towns/%2e%2e%2f%2e%2e%2fetc", DOTS),
        ("/town//weicheng", DOTS),
        ("/town//X", DOTS),  # only the leading and trailing slashes are taken off, nothing else
        ("/town/./weicheng", DOTS),
        ("/%252e%252e/etc/passwd", TWICE),
        ("/source\\towns", SLASH_NUL),
    ],
)
def test_a_request_path_is_refused_as_decoded_and_segments_say(raw: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        check_request_path(raw)
    assert str(refused.value) == reason


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with towns/a.md, build/out.pdf, build/.cache/photos/p.jpg, templates/x.md, a link
    out of root and a link from build/ into towns/ (inside root, outside build/)."""
    root = tmp_path / "root"
    for name in ("towns/a.md", "build/out.pdf", "build/.cache/photos/p.jpg", "templates/x.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    (tmp_path / "secret.md").write_text("secret", encoding="utf-8")
    (root / "towns/out.md").symlink_to(tmp_path / "secret.md")
    (root / "build/into-towns.md").symlink_to(root / "towns/a.md")
    return root


ALLOWED = ("towns", "build/.cache/photos")


@pytest.mark.parametrize("relative", ["towns/a.md", "build/.cache/photos/p.jpg"])
def test_resolve_finds_a_file_under_an_allowed_folder(tree: Path, relative: str) -> None:
    assert resolve(tree, relative, tree, ALLOWED) == (tree / relative).resolve()


@pytest.mark.parametrize(
    "relative",
    ["templates/x.md", "build/out.pdf", "build/.cache/p.jpg", "townsx/a.md", "tow/a.md", "towns"],
)
def test_resolve_finds_nothing_outside_the_allowed_folders(tree: Path, relative: str) -> None:
    with pytest.raises(NotFound):
        resolve(tree, relative, tree, ALLOWED)


def test_resolve_without_allowed_folders_finds_any_file_of_its_base(tree: Path) -> None:
    assert resolve(tree / "build", "out.pdf", tree) == (tree / "build/out.pdf").resolve()


@pytest.mark.parametrize("relative", ["towns/missing.md", "towns"])
def test_resolve_finds_no_missing_file_and_no_folder(tree: Path, relative: str) -> None:
    with pytest.raises(NotFound):
        resolve(tree, relative, tree)


@pytest.mark.parametrize(
    ("base", "relative", "reason"),
    [
        ("", "towns/out.md", "符号链接指向工作区以外"),
        ("build", "into-towns.md", "路径解析后不在允许的文件夹内"),
        ("", "towns/../build/out.pdf", DOTS),
        ("", "towns//a.md", DOTS),
    ],
)
def test_resolve_refuses(tree: Path, base: str, relative: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        resolve(tree / base if base else tree, relative, tree)
    assert str(refused.value) == reason
