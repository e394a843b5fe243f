"""What build writes and deletes stays inside build/, whatever the build folder, its manifest or a
town's name says; a write that fails half-way leaves the old file; build/ problems are told in
Chinese (issue 9, the output side)."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import copy_tree, copy_workspace, made_once
from townplans import build, pipeline, reproducible, targets
from townplans.cli import cli
from townplans.fs import PathPolicyError, safe_entry, safe_name
from townplans.package import pack, verify

NEW = b"new content " * 100_000  # 1.2 MB: written in more than one os.write


def _fail_after_part_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up in the middle of the data: one chunk is written, the next one fails."""
    real_write = os.write
    calls = []

    def write(handle: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(handle, bytes(data)[: len(data) // 2])

    monkeypatch.setattr(os, "write", write)


def _fail_at(name: str) -> Callable[[pytest.MonkeyPatch], None]:
    def inject(monkeypatch: pytest.MonkeyPatch) -> None:
        def fail(*_args: object) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(os, name, fail)

    return inject


FAILURES = {
    "the disk fills during the write": _fail_after_part_written,
    "fsync fails": _fail_at("fsync"),
    "the rename fails": _fail_at("replace"),
}


@pytest.mark.parametrize("existing", [True, False], ids=["replacing", "new"])
@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str, existing: bool
) -> None:
    root = tmp_path / "build"
    target = root / "weicheng" / "渭城镇总体规划.pdf"
    target.parent.mkdir(parents=True)
    if existing:
        target.write_bytes(b"old content")
    error: OSError | None = None
    with monkeypatch.context() as patch:
        FAILURES[failure](patch)
        try:
            build.write_atomic(root, target, NEW)
        except OSError as exc:
            error = exc
    if existing:
        assert target.read_bytes() == b"old content"
    else:
        assert not target.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ([target.name] if existing else [])
    assert error is not None  # the caller hears of the failure


def test_a_write_outside_its_root_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = tmp_path / "ws" / "build"
    root.mkdir(parents=True)
    (tmp_path / "ws" / "towns").mkdir()
    (root / "link").symlink_to(tmp_path / "ws" / "towns")
    for path in (
        root / ".." / "towns" / "x.pdf",
        tmp_path / "elsewhere.pdf",
        root / "link" / "x.pdf",
        root,
    ):
        with pytest.raises(PathPolicyError, match="拒绝写入"):
            build.write_atomic(root, path, b"data")
    assert not list((tmp_path / "ws" / "towns").iterdir())
    assert not (tmp_path / "elsewhere.pdf").exists()
    victim = tmp_path / "ws" / "towns" / "town.yaml"
    victim.write_bytes(b"source")
    (root / "planted.pdf").symlink_to(victim)
    build.write_atomic(root, root / "planted.pdf", b"output")  # the link is replaced
    assert victim.read_bytes() == b"source" and (root / "planted.pdf").read_bytes() == b"output"
    assert not (root / "planted.pdf").is_symlink()
    assert build.write_atomic(root, root / "a" / "b.pdf", b"data") == (root / "a" / "b.pdf")
    assert (root / "a" / "b.pdf").read_bytes() == b"data"


# -- a build folder from elsewhere: the manifest names files outside build/ ------------------------


def _build_beidu(folder: Path) -> None:
    root = copy_workspace(folder / "ws", ("beidu",), reports=1)
    assert not pipeline.run_build(root, jobs=1).failed


@pytest.fixture(scope="module")
def built_beidu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's beidu, built once per test run; tests break copies of it."""
    return made_once(tmp_path_factory, "built-beidu", _build_beidu) / "ws"


@pytest.fixture
def beidu(built_beidu: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    copy_tree(built_beidu, root)
    return root


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (a symlink as its target) with its SHA-256."""
    return {
        p.relative_to(root).as_posix(): (
            f"-> {os.readlink(p)}" if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
        )
        for p in sorted(root.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


def _outside_build(root: Path) -> dict[str, str]:
    return {k: v for k, v in _tree(root.parent).items() if not k.startswith("ws/build/")}


def _add_to_manifest(root: Path, entries: dict[str, object]) -> None:
    path = root / "build" / ".manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["outputs"].update(entries)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


HOSTILE_NAMES = (
    "../towns/beidu/town.yaml",
    "../../outside/victim.txt",
    "beidu/../../towns/beidu/construction-plan.md",
    "beidu\\..\\..\\towns\\beidu\\town.yaml",
    "beidu/link-out.pdf",  # a symlink in build/ to a file outside
    ".lock",
)


@pytest.mark.slow
def test_the_build_never_deletes_what_a_manifest_names_outside_build(beidu: Path) -> None:
    outside = beidu.parent / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("victim", encoding="utf-8")
    (beidu / "build/beidu/link-out.pdf").symlink_to(outside / "victim.txt")
    (beidu / "build/beidu/a-folder").mkdir()
    record = {"key": "k", "sha256": "0" * 64, "size": 1, "mtime_ns": 1, "inputs": {}}
    absolute = str(beidu / "towns/beidu/town.yaml")
    _add_to_manifest(
        beidu,
        {
            **{name: record for name in (*HOSTILE_NAMES, absolute, "beidu/a-folder")},
            "beidu/not-a-record.pdf": [1, 2],
        },
    )
    before = _outside_build(beidu)
    dry = pipeline.run_build(beidu, dry_run=True)
    deleting = [note for note in dry.report.notes if note.startswith("将删除")]
    assert deleting == ["将删除 beidu/a-folder：对应内容已不存在"]
    dropped = [note for note in dry.report.notes if "已从清单删去" in note]
    assert len(dropped) == len(HOSTILE_NAMES) + 2, dry.report.notes
    assert all(name in "".join(dropped) for name in ("../towns", "outside", "link-out.pdf"))
    outcome = pipeline.run_build(beidu)
    assert not outcome.failed and not outcome.report.removed
    assert _outside_build(beidu) == before  # nothing outside build/ deleted or changed
    assert (beidu / "build/beidu/link-out.pdf").is_symlink()  # not acted on at all
    assert (beidu / "build/beidu/a-folder").is_dir()
    assert any("未删除旧成果" in note and "a-folder" in note for note in outcome.report.notes)
    kept = json.loads((beidu / "build/.manifest.json").read_text(encoding="utf-8"))["outputs"]
    made = [*outcome.report.built, *outcome.report.up_to_date]
    assert set(kept) == {p.relative_to(beidu / "build").as_posix() for p in made}


@pytest.mark.slow
def test_an_output_replaced_by_a_symlink_or_fifo_is_rebuilt_over_never_read(beidu: Path) -> None:
    outside = beidu.parent / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(b"secret")
    plan = beidu / "build/beidu/北杜镇总体规划.pdf"
    plan.unlink()
    plan.symlink_to(outside / "secret.pdf")
    report = beidu / "build/beidu/北杜镇材料检查报告.json"
    report.unlink()
    os.mkfifo(report)
    dry = pipeline.run_build(beidu, dry_run=True)
    assert {p.name for p in dry.report.built} >= {plan.name, report.name}
    outcome = pipeline.run_build(beidu)
    assert not outcome.failed
    assert (outside / "secret.pdf").read_bytes() == b"secret"
    assert not plan.is_symlink() and plan.read_bytes().startswith(b"%PDF")
    assert json.loads(report.read_text(encoding="utf-8"))["findings"]


@pytest.mark.slow
def test_a_manifest_symlink_is_neither_read_nor_written_through(beidu: Path) -> None:
    secret = beidu.parent / "secret.json"
    content = '{"outputs": {"token-4711": {}, "../token-4712": {}}}'
    secret.write_text(content, encoding="utf-8")
    manifest = beidu / "build/.manifest.json"
    manifest.unlink()
    manifest.symlink_to(secret)
    dry = pipeline.run_build(beidu, dry_run=True)
    outcome = pipeline.run_build(beidu, jobs=1)
    assert not outcome.failed
    assert not any("token" in note for note in [*dry.report.notes, *outcome.report.notes])
    assert secret.read_text(encoding="utf-8") == content
    assert not manifest.is_symlink() and "beidu/" in manifest.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_planted_lock_symlink_or_fifo_is_never_written_through(beidu: Path) -> None:
    town_yaml = beidu / "towns/beidu/town.yaml"
    before = town_yaml.read_bytes()
    lock = beidu / "build/.lock"
    lock.unlink()
    lock.symlink_to(town_yaml)
    result = CliRunner().invoke(cli, ["--root", str(beidu), "build", "--town", "beidu"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "build/.lock" in result.output and "符号链接" in result.output
    assert town_yaml.read_bytes() == before
    lock.unlink()
    os.mkfifo(lock)
    result = CliRunner().invoke(cli, ["--root", str(beidu), "build", "--town", "beidu"])
    assert result.exit_code == 2 and "不是普通文件" in result.output, result.output


def test_the_photo_cache_uses_only_regular_files_inside_build(tmp_path: Path) -> None:
    root = tmp_path / "build"
    cache = targets.PhotoCache(root / ".cache" / "photos", root)
    stored = cache.put("a" * 32, b"jpeg")
    assert cache.get("a" * 32) == stored and stored.read_bytes() == b"jpeg"
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    (root / ".cache/photos" / f"{'b' * 32}.jpg").symlink_to(tmp_path / "secret.jpg")
    os.mkfifo(root / ".cache/photos" / f"{'c' * 32}.jpg")
    assert cache.get("b" * 32) is None and cache.get("c" * 32) is None
    assert cache.get("../../secret") is None  # a key is a name, never a path
    cache.put("../../escape", b"x")
    assert not (tmp_path / "escape.jpg").exists()


# -- a town's name is content: it never becomes a path ------------------------------------------------


def _rename_town(root: Path, slug: str, name: str) -> None:
    path = root / "towns" / slug / "town.yaml"
    text = path.read_text(encoding="utf-8")
    original = text.split("\nname: ", 1)[1].split("\n", 1)[0]
    path.write_text(text.replace(f"name: {original}", f"name: {json.dumps(name)}", 1), "utf-8")


HOSTILE_TOWN_NAMES = (
    "../../towns/weicheng/master-plan/drawings/08-",
    "/tmp/townplans-outside/北杜镇",
    "..",
    "..\\..\\towns\\x",
    "CON",
    "北杜镇\t\r\n" + "镇" * 300,
)


@pytest.mark.parametrize("name", HOSTILE_TOWN_NAMES, ids=range(len(HOSTILE_TOWN_NAMES)))
def test_every_planned_output_is_a_safe_name_inside_build(tmp_path: Path, name: str) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _rename_town(root, "weicheng", name)
    planned = pipeline.run_build(root, dry_run=True).report.built
    # 14 of the town and its 8 周报 (DOCX, PDF: 16); the district's: the summary (2), a 通报 for
    # each of the 8 reported weeks (16), the 考核评分表 (2), the workbook and index.html.
    assert len(planned) == 14 + 16 + 2 + 16 + 2 + 1 + 1 == 52
    district = (
        "汇总.docx",
        "汇总.pdf",
        "期）.docx",
        "期）.pdf",
        "评分表.docx",
        "评分表.pdf",
        "台账.xlsx",
    )
    for path in planned:
        relative = path.relative_to(root / "build")
        assert relative.parts[0] in ("weicheng", "index.html") or relative.parts[0].endswith(
            district
        )
        stems = [Path(part).stem for part in relative.parts]
        assert all(stem == safe_name(stem) and ".." not in stem for stem in stems)
        assert len(path.name) <= 90


@pytest.mark.slow
def test_a_hostile_town_name_builds_and_packages_inside_build(tmp_path: Path) -> None:
    # two weekly reports, the fewest TP101 accepts: the town packs, and its 周报 are named too
    root = copy_workspace(tmp_path / "ws", ("weicheng",), reports=2)
    _rename_town(root, "weicheng", "../../towns/weicheng/master-plan/drawings/08-")
    before = _outside_build(root)
    [result] = pipeline.run_package(root, ("weicheng",))
    assert _outside_build(root) == before
    folder = root / "build/weicheng"
    name = "townsweichengmaster-plandrawings08-"
    assert (folder / f"{name}小城镇建设观摩图册.pdf").is_file()
    assert (folder / f"{name}材料检查报告.json").is_file()
    assert result.path == root / "build/packages" / f"{name}报送材料.zip"
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
    # The town's 14 outputs, a 周报 (DOCX, PDF) for each of its 2 reports, and the manifest.
    assert len(names) == 14 + 4 + 1 == 19 and all(
        n == "manifest.json" or n.startswith("weicheng/") for n in names
    )
    assert all(safe_entry(n) is None and ".." not in n for n in names)
    assert verify(result.path).ok


# -- a build folder that cannot be used ----------------------------------------------------------------


def _cli(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def _says_in_chinese(result: Result, *expected: str) -> None:
    """Exit 2 with the expected Chinese, and no exception escaped (SystemExit is not one)."""
    assert result.exit_code == 2 and not isinstance(result.exception, Exception), result.output
    assert "Traceback" not in result.output
    assert all(text in result.output for text in expected), result.output


@pytest.mark.parametrize(
    "command", [("build", "--town", "beidu"), ("build", "--dry-run"), ("package", "zhouling")]
)  # zhouling checks clean: a town with errors is refused before anything is built
def test_a_build_file_or_symlink_is_a_chinese_error_not_a_traceback(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu", "zhouling"))
    (root / "build").write_text("not a folder", encoding="utf-8")
    _says_in_chinese(_cli(root, *command), f"{root / 'build'} 是文件，应为文件夹")
    (root / "build").unlink()
    (root / "build").symlink_to(root / "towns")
    _says_in_chinese(_cli(root, *command), "是符号链接", "应为工作区中的真实文件夹")
    assert sorted(p.name for p in (root / "towns").iterdir()) == [
        "beidu",
        "district.yaml",
        "zhouling",
    ]


def test_check_and_status_work_with_a_build_file(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    (root / "build").write_text("not a folder", encoding="utf-8")
    # beidu has errors: status exits 1 as check does (issue 19), and still shows the matrix
    status = _cli(root, "status")
    assert _cli(root, "check").exit_code == 1 and status.exit_code == 1
    assert "北杜镇" in status.output and not isinstance(status.exception, Exception)


def test_an_unwritable_build_folder_is_a_chinese_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    (root / "build").mkdir()
    real_open = os.open

    def open_(path: str | Path, flags: int, *args: int, **kwargs: object) -> int:
        if str(path).startswith(str(root / "build")):  # as a chmod 555 would, even for root
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_)
    _says_in_chinese(
        _cli(root, "build", "--town", "beidu"),
        "构建文件夹无法使用",
        "build/.lock",
        "没有读取或写入权限",
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_build_folder_is_a_chinese_error(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    (root / "build").mkdir(mode=0o555)
    try:
        _says_in_chinese(_cli(root, "build", "--town", "beidu"), "没有读取或写入权限")
    finally:
        (root / "build").chmod(0o755)


@pytest.mark.slow
def test_a_file_in_place_of_a_town_folder_fails_that_towns_outputs_only(beidu: Path) -> None:
    shutil.rmtree(beidu / "build/beidu")
    (beidu / "build/beidu").write_text("in the way", encoding="utf-8")
    result = _cli(beidu, "build", "--jobs", "1")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "已存在同名文件" in result.output and "build/beidu" in result.output
    assert (beidu / "build/index.html").is_file()


@pytest.mark.slow
def test_a_fifo_or_a_deep_json_as_build_state_never_hangs_or_crashes(beidu: Path) -> None:
    cache = beidu / "build/.cache/images.json"
    cache.unlink()
    os.mkfifo(cache)
    manifest = beidu / "build/.manifest.json"
    manifest.unlink()
    os.mkfifo(manifest)
    townplans = [sys.executable, "-m", "townplans", "--root", str(beidu)]
    for command in (["check"], ["build", "--dry-run", "--jobs", "1"]):
        done = subprocess.run(
            [*townplans, *command], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    assert "构建清单无法读取" in done.stdout and "不是普通文件" in done.stdout
    cache.unlink()
    cache.write_text("[" * 100_000, encoding="utf-8")
    manifest.unlink()
    manifest.write_text('{"outputs": ' + "[" * 100_000, encoding="utf-8")
    result = _cli(beidu, "build", "--dry-run", "--jobs", "1")
    assert result.exit_code == 0 and "构建清单无法读取" in result.output, result.output


# -- SOURCE_DATE_EPOCH -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        *(
            "99999999999999",
            "4133980800",
            "1" * 5000,
            "²",
            "１７０００００００",
            "-1",
            "1.5",
            "abc",
        ),
        # issue 19: past year 9999 (no such datetime: it overflowed), and before 1980 (no ZIP date)
        *("253402300800", "999999999999", "0", "315532799"),
    ],
)
def test_an_unusable_source_date_epoch_is_ignored_with_a_note(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    stamp, note = reproducible.source_date_epoch()
    assert stamp is None and note is not None and "SOURCE_DATE_EPOCH" in note and "已忽略" in note
    assert len(note) < 150
    assert reproducible.source_stamp(dt.date(2023, 9, 15)) == dt.datetime(2023, 9, 15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000", dt.datetime(2023, 11, 14, 22, 13, 20)),
        ("315532800", dt.datetime(1980, 1, 1)),
        ("4133980799", dt.datetime(2100, 12, 31, 23, 59, 59)),
        (" 1700000000\n", dt.datetime(2023, 11, 14, 22, 13, 20)),
    ],
)
def test_a_source_date_epoch_in_range_is_honoured(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: dt.datetime
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert reproducible.source_date_epoch() == (expected, None)
    assert reproducible.source_stamp(None) == expected


def test_zip_entries_are_never_dated_before_1980() -> None:
    data = reproducible.fixed_zip_times(
        pack([("a/b.pdf", b"x")], "a", "A", "1", dt.datetime(1975, 6, 15)), dt.datetime(1970, 1, 1)
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with zipfile.ZipFile(io.BytesIO(pack([], "a", "A", "1", dt.datetime(1975, 6, 15)))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.slow
def test_build_with_an_out_of_range_source_date_epoch_says_so_once(
    beidu: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999")
    result = _cli(beidu, "build", "--town", "beidu", "--jobs", "1")
    assert result.exit_code == 0 and not isinstance(result.exception, Exception), result.output
    assert result.output.count("SOURCE_DATE_EPOCH") == 1


# -- nothing lost ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_no_command_changes_adds_or_deletes_anything_outside_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check, build, status, package and --verify, run as a user would, on a workspace with a
    hostile town name, and then again with a hostile manifest: every file outside build/ (the
    sources, the templates and a folder beside the workspace) is byte for byte as before."""
    root = copy_workspace(tmp_path / "ws", ("weicheng", "beidu"), reports=2)
    _rename_town(root, "weicheng", "../../towns/weicheng/master-plan/drawings/08-")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/victim.txt").write_text("victim", encoding="utf-8")
    before = _outside_build(root)
    assert len(before) > 100

    def run(*args: str, code: int) -> Result:
        result = _cli(root, *args)
        assert result.exit_code == code and not isinstance(result.exception, Exception), (
            args,
            result.output,
        )
        assert "Traceback" not in result.output
        return result

    run("check", code=1)  # beidu has errors
    run("build", "--jobs", "2", code=0)
    run("status", code=1)  # beidu has errors: status fails as check does
    run("package", "weicheng", "beidu", code=1)  # beidu refused, weicheng packed
    assert _outside_build(root) == before
    [package] = (root / "build/packages").iterdir()
    assert "核对通过" in run("package", "--verify", str(package), code=0).output

    record = {"key": "k", "sha256": "0" * 64, "size": 1, "mtime_ns": 1, "inputs": {}}
    _add_to_manifest(
        root,
        {
            name: record
            for name in (
                "../towns/beidu/town.yaml",
                "../../outside/victim.txt",
                "weicheng/../../towns/weicheng/construction-plan.md",
                str(root / "towns/district.yaml"),
            )
        },
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999")
    run("build", "--dry-run", code=0)
    run("build", "--jobs", "1", code=0)
    run("package", "weicheng", code=0)
    run("package", "--verify", str(package), code=0)
    assert _outside_build(root) == before
