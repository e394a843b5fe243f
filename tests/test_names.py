"""One rule for every name that becomes a path (issue 19, defect 7): the slugs of ``new`` and
``init``, output names made from content, package entries. Windows device names and control
characters are refused everywhere, and a refused name is shown with its control characters written
out, never echoed raw."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import copy_workspace
from townplans import scaffold
from townplans.cli import cli
from townplans.fs import PathPolicyError, name_problem, safe_entry, safe_name, shown
from townplans.package import pack

RESERVED = ["con", "CON", "Con", "nul", "aux", "prn", "com1", "Com1", "COM9", "lpt1", "lpt9",
            "con.txt", "nul.tar.gz", "Com1.pdf", "con .txt", "conin$", "lpt¹"]  # fmt: skip
FINE = ["console", "con-x", "connect.pdf", "com10", "lpt", "nul-road", "渭城镇", "a.b.c", "aux_"]


@pytest.mark.parametrize("name", RESERVED)
def test_windows_device_names_are_refused(name: str) -> None:
    assert "Windows 保留的设备名" in (name_problem(name) or ""), name


@pytest.mark.parametrize("name", FINE)
def test_names_that_only_look_like_devices_are_fine(name: str) -> None:
    assert name_problem(name) is None and safe_name(name) == name


@pytest.mark.parametrize("name", ["he\x01xi", "a\x1b[2J", "tab\there", "del\x7f", "c1\x85", "a\nb"])
def test_control_characters_are_refused(name: str) -> None:
    assert name_problem(name) == "含有控制字符"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("", "空名"), ("..", "空名"), ("a/b", "斜杠"), ("a:b", ":"), ('a"b', '"'), ("a?", "?"),
     ("a.", "结尾"), ("a ", "结尾"), ("a\udcb7", "UTF-8")],
)  # fmt: skip
def test_other_names_no_system_can_share_are_refused(name: str, fragment: str) -> None:
    assert fragment in (name_problem(name) or ""), name


def test_safe_name_never_makes_a_name_the_rule_refuses() -> None:
    for text in [*RESERVED, "he\x01xi", "a\x85b", "..", "a. ", "CON  .txt", " com1 "]:
        made = safe_name(text, "备用")
        assert name_problem(made) is None, (text, made)
    assert safe_name("con.txt", "备用") == "备用" and safe_name("he\x01xi") == "hexi"


@pytest.mark.parametrize("name", ["w/con.pdf", "w/Com1", "aux/a.pdf", "w/he\x01xi.pdf", "w/a.pdf."])
def test_zip_entry_names_follow_the_same_rule(name: str) -> None:
    assert safe_entry(name) is not None
    with pytest.raises(PathPolicyError):
        pack([(name, b"x")], "w", "渭城镇", "2023.1", dt.datetime(2023, 9, 15))


def test_shown_writes_control_characters_out() -> None:
    assert shown("he\x01xi") == "he\\x01xi"
    assert shown("a\x1b[2Jb\x85") == "a\\x1b[2Jb\\x85"
    assert shown("第一行\n第二行", keep="\n") == "第一行\n第二行"
    assert shown(shown("he\x01xi")) == "he\\x01xi"  # showing twice changes nothing


# -- the commands that turn a typed name into a folder ------------------------------------------------


@pytest.mark.parametrize("slug", ["con", "nul", "aux", "prn", "com1", "lpt9", "con.txt"])
def test_check_slug_refuses_windows_device_names(slug: str) -> None:
    with pytest.raises(scaffold.ScaffoldError, match="Windows 保留的设备名"):
        scaffold.check_slug(slug, "镇")


@pytest.mark.parametrize("slug", ["he\x01xi", "hexi\n", "\x1b[2Jhexi"])
def test_check_slug_shows_control_characters_escaped(slug: str) -> None:
    with pytest.raises(scaffold.ScaffoldError) as refused:
        scaffold.check_slug(slug, "镇")
    message = str(refused.value)
    assert shown(slug) in message and "控制字符" in message
    assert not any(ord(char) < 32 for char in message), message


def _new(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "args",
    [
        ("new", "town", "con", "--name", "测试镇"),
        ("new", "town", "com1", "--name", "测试镇"),
        ("new", "project", "beidu", "nul", "--name", "x"),
        ("new", "plan", "beidu", "lpt1", "--name", "x", "--kind", "site"),
        ("new", "report", "aux"),
    ],
    ids=["town", "town-com1", "project", "plan", "report-town"],
)
def test_new_refuses_windows_device_names_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    district = (root / "towns/district.yaml").read_bytes()
    code, output = _new(root, *args)
    assert code == 2 and "Windows 保留的设备名" in output, output
    assert sorted(p.name for p in (root / "towns").iterdir()) == ["beidu", "district.yaml"]
    assert sorted(p.name for p in (root / "towns/beidu/projects").iterdir()) == sorted(
        p.name for p in (Path(__file__).parent.parent / "towns/beidu/projects").iterdir()
    )
    assert (root / "towns/district.yaml").read_bytes() == district


def test_new_town_shows_a_control_character_in_the_slug(tmp_path: Path) -> None:
    """The tester's 镇文件夹名“he\\x01xi”无效, which a terminal showed as “hexi”."""
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    code, output = _new(root, "new", "town", "he\x01xi", "--name", "河西镇")
    assert code == 2 and "“he\\x01xi”" in output and "\x01" not in output, output


def test_init_refuses_a_workspace_folder_windows_cannot_create(tmp_path: Path) -> None:
    for name in ("con", "nul.ws", "ws\x01"):
        code, output = _new(tmp_path, "init", str(tmp_path / name / "sub"))
        problem = name_problem(name)
        assert code == 2 and problem is not None and problem in output, output
        assert shown(name) in output and "\x01" not in output
        assert not (tmp_path / name).exists()
    code, output = _new(tmp_path, "init", str(tmp_path / "fine"), "--name", "测试区")
    assert code == 0 and (tmp_path / "fine/towns/district.yaml").is_file(), output


def test_an_unknown_town_with_a_control_character_is_shown_escaped(repo: Path) -> None:
    code, output = _new(repo, "check", "--town", "bei\x07du")
    assert code == 2 and "bei\\x07du" in output and "\x07" not in output, output
