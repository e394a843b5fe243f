"""Answers remembered (``townplans.answers``, issue 20's half-second answers): a build with nothing
to do answers from build/.cache/answers.json without loading, and only while nothing the answer
rests on has moved: a source file (even with its mtime put back), today's date, the options, the
environment, git's refs, an output or the manifest."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import own_fonts
from townplans import answers, session
from townplans.cli import cli
from townplans.model import Finding, Severity, SourceRef
from townplans.paths import WorkspacePaths

DAY = dt.date(2026, 12, 7)


def _workspace(tmp_path: Path) -> WorkspacePaths:
    chapter = tmp_path / "towns" / "weicheng" / "master-plan" / "01-general.md"
    chapter.parent.mkdir(parents=True)
    chapter.write_text("# 总则\n\n规划期限为2023—2035年。\n", encoding="utf-8")
    return WorkspacePaths(tmp_path)


def _key(paths: WorkspacePaths, *options: str, day: dt.date = DAY) -> str:
    return answers.key(paths, "build", options, day)


# -- the key ------------------------------------------------------------------------------------------


def test_the_key_stays_while_nothing_moves(tmp_path: Path) -> None:
    paths = _workspace(tmp_path)
    assert _key(paths) == _key(paths)


def test_an_edit_moves_the_key_even_with_its_size_and_mtime_put_back(tmp_path: Path) -> None:
    paths = _workspace(tmp_path)
    chapter = paths.towns / "weicheng" / "master-plan" / "01-general.md"
    before, info = _key(paths), chapter.stat()
    chapter.write_text(chapter.read_text("utf-8").replace("2023", "2024"), "utf-8")
    os.utime(chapter, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert chapter.stat().st_size == info.st_size
    assert chapter.stat().st_mtime_ns == info.st_mtime_ns
    assert _key(paths) != before


def test_a_new_file_a_template_the_options_the_day_and_the_environment_move_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _workspace(tmp_path)
    base = _key(paths)
    assert _key(paths, "weicheng") != base
    assert _key(paths, day=DAY + dt.timedelta(days=1)) != base
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _key(paths) != base
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert _key(paths) == base
    (paths.towns / "weicheng" / "town.yaml").write_text("name: 渭城镇\n", encoding="utf-8")
    added = _key(paths)
    assert added != base
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "profile.yaml").write_text("version: '1'\n", encoding="utf-8")
    assert _key(paths) != added  # the workspace's own templates now, not the shipped ones


def test_git_commits_and_tags_move_the_key(tmp_path: Path) -> None:
    paths = _workspace(tmp_path)
    outside = _key(paths)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "一")
    committed = _key(paths)
    assert committed != outside
    git("tag", "weicheng-总体规划-送审稿")
    tagged = _key(paths)
    assert tagged != committed
    git("commit", "-q", "--allow-empty", "-m", "二")
    assert _key(paths) != tagged


# -- the answer -----------------------------------------------------------------------------------------


def _built(tmp_path: Path) -> tuple[Path, Path]:
    build = tmp_path / "build"
    (build / "weicheng").mkdir(parents=True)
    (build / ".manifest.json").write_text("{}", encoding="utf-8")
    output = build / "weicheng" / "渭城镇总体规划.pdf"
    output.write_bytes(b"%PDF-1.7 ...")
    return build, output


def _stored(build: Path, output: Path, key: str = "k") -> Path:
    error = Finding("TP201", Severity.ERROR, "缺少必填字段“资金来源”", SourceRef("towns/a.md", 2))
    answer = answers.remember(
        build, key, [("渭城镇总体规划.pdf", output)], [error], "检查未通过：错误 1", None
    )
    assert answer is not None
    path = build / ".cache" / "answers.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(answer.to_json(), encoding="utf-8")
    return path


def test_an_answer_is_given_back_as_it_was_stored(tmp_path: Path) -> None:
    build, output = _built(tmp_path)
    path = _stored(build, output)
    answer = answers.recall(path, build, "k")
    assert answer is not None
    assert answer.outputs == (("渭城镇总体规划.pdf", "weicheng/渭城镇总体规划.pdf"),)
    assert [str(f) for f in answer.errors] == ["towns/a.md:2: TP201 错误 缺少必填字段“资金来源”"]
    assert answer.summary == "检查未通过：错误 1"


@pytest.mark.parametrize(
    "change",
    ["other key", "output rewritten", "output removed", "output a symlink", "manifest touched",
     "manifest removed"],
)  # fmt: skip
def test_no_answer_once_what_it_rests_on_moved(tmp_path: Path, change: str) -> None:
    build, output = _built(tmp_path)
    path = _stored(build, output)
    key = "k"
    if change == "other key":
        key = "other"
    elif change == "output rewritten":
        output.write_bytes(b"%PDF-1.7 ...")  # same bytes, written again
    elif change == "output removed":
        output.unlink()
    elif change == "output a symlink":
        kept = tmp_path / "kept.pdf"
        output.rename(kept)
        output.symlink_to(kept)
    elif change == "manifest touched":
        os.utime(build / ".manifest.json", ns=(1, 1))
    else:
        (build / ".manifest.json").unlink()
    assert answers.recall(path, build, key) is None


@pytest.mark.parametrize("where", ["file", "folder"])
def test_an_answer_behind_a_symlink_is_never_read(tmp_path: Path, where: str) -> None:
    build, output = _built(tmp_path)
    path = _stored(build, output)
    outside = tmp_path / "outside"
    outside.mkdir()
    if where == "file":
        (outside / "answers.json").write_bytes(path.read_bytes())
        path.unlink()
        path.symlink_to(outside / "answers.json")
    else:
        path.rename(outside / "answers.json")
        path.parent.rmdir()
        path.parent.symlink_to(outside)
    assert answers.recall(path, build, "k") is None


@pytest.mark.parametrize(
    "broken",
    ["not json", "[]", "a format of another version", "an output outside build/",
     "a finding without a line", "a severity unknown"],
)  # fmt: skip
def test_a_stored_answer_not_as_written_is_no_answer(tmp_path: Path, broken: str) -> None:
    build, output = _built(tmp_path)
    path = _stored(build, output)
    data = json.loads(path.read_text("utf-8"))
    if broken == "a format of another version":
        data["format"] = 0
    elif broken == "an output outside build/":
        data["outputs"] = [["x", "../../towns/weicheng/town.yaml"]]
    elif broken == "a finding without a line":
        del data["errors"][0]["line"]
    elif broken == "a severity unknown":
        data["errors"][0]["severity"] = "FATAL"
    text = {"not json": "{", "[]": "[]"}.get(broken) or json.dumps(data)
    path.write_text(text, encoding="utf-8")
    assert answers.recall(path, build, "k") is None


# -- the command ------------------------------------------------------------------------------------------


def _build(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "-v", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The roots ``open_session`` loads from now on (every build that does not answer from
    memory loads once)."""
    loads: list[Path] = []
    real_open = session.open_session

    def counted(root: Path, *args: object, **kwargs: object) -> session.Session:
        loads.append(root)
        return real_open(root, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(session, "open_session", counted)
    return loads


@pytest.mark.slow
def test_a_build_with_nothing_to_do_answers_without_loading_and_says_the_same(
    district_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = own_fonts(district_copy())
    loads = _counting_loads(monkeypatch)
    looked = _build(root)  # loads: the shared build left no answer
    assert len(loads) == 1
    lines = [line for line in looked.splitlines() if line.startswith("[")]
    assert lines and all(" 未变化 " in line for line in lines)
    assert _build(root) == looked
    assert len(loads) == 1

    chapter = root / "towns" / "weicheng" / "master-plan" / "01-general.md"
    chapter.write_text(chapter.read_text("utf-8") + "\n补充一段说明。\n", encoding="utf-8")
    assert "已生成 渭城镇总体规划.pdf" in _build(root)
    assert len(loads) == 2
    assert _build(root) == looked  # the answer the edit's build left
    assert len(loads) == 2
    (root / "build" / "weicheng" / "渭城镇总体规划.pdf").unlink()
    assert "已生成 渭城镇总体规划.pdf" in _build(root)
    assert len(loads) == 3


@pytest.mark.slow
def test_a_dry_run_a_forced_build_and_another_selection_never_answer_from_memory(
    district_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = own_fonts(district_copy())
    loads = _counting_loads(monkeypatch)
    _build(root, "--town", "weicheng")
    assert "未生成任何文件" in _build(root, "--town", "weicheng", "--dry-run")
    _build(root, "--town", "zhouling")
    assert len(loads) == 3
    # one answer is kept, the last build's: zhouling's build moved the manifest besides
    assert "] 已生成 " not in _build(root, "--town", "weicheng")
    assert len(loads) == 4
    _build(root, "--town", "weicheng")
    assert len(loads) == 4
