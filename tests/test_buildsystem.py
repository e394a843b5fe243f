"""The build system: incremental builds with reasons, stale outputs, --force and --dry-run,
parallel output identical to serial, atomic writes under a real kill, the lock, index.html and the
submission package."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from tests.conftest import REPO, DistrictBuild, copy_workspace
from townplans import build, pipeline, session, targets
from townplans.model import SourceRef
from townplans.package import verify

TOWNS = ("weicheng", "beidu")


def _outputs(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root / "build").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "build").rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root / "build").parts)
    }


@pytest.mark.slow
def test_noop_rebuild_makes_nothing(
    district_build: DistrictBuild, district_copy: Callable[..., Path]
) -> None:
    # 6 × 14 town outputs (six documents and the check report, two formats each); a 周报
    # (DOCX, PDF) for each of the 45 reports: 90; the district's: the summary (2), a 通报 for each
    # of the 8 reported weeks (16), the 考核评分表 (2), the workbook and the index: 22.
    assert len(district_build.built) == 6 * 14 + 90 + 22 == 196
    workspace = district_copy()
    # The probe cache is left out: its entries are keyed by inode and ctime too, which a copy
    # changes, so the copy's pictures are measured again (and no output is remade for it).
    before = {
        p: p.stat().st_mtime_ns
        for p in (workspace / "build").rglob("*")
        if p.is_file() and p.name != ".lock" and ".cache" not in p.relative_to(workspace).parts
    }
    again = pipeline.run_build(workspace)
    assert (
        again.report.built == []
        and len(again.report.up_to_date) == len(district_build.built)
        and again.photos_prepared == 0
    )
    assert {p: p.stat().st_mtime_ns for p in before} == before


@pytest.mark.slow
def test_editing_a_brief_rebuilds_only_what_depends_on_it(
    district_copy: Callable[..., Path],
) -> None:
    root = district_copy()  # built: the whole sample district
    brief = root / "towns/weicheng/projects/market-upgrade/brief.md"
    brief.write_text(
        brief.read_text(encoding="utf-8").replace("消防管网正在安装", "消防管网安装过半"),
        encoding="utf-8",
    )
    dry = pipeline.run_build(root, dry_run=True)
    assert any(
        "输入变化：towns/weicheng/projects/market-upgrade/brief.md" in note
        for note in dry.report.notes
    )
    again = pipeline.run_build(root)
    rebuilt = sorted(p.relative_to(root / "build").as_posix() for p in again.report.built)
    # The check report, the district summary and the index print findings and figures, not the
    # brief's text: the edit changed none of them, so they are left alone.
    assert rebuilt == sorted(
        [
            "weicheng/渭城镇2023年小城镇建设计划.docx", "weicheng/渭城镇2023年小城镇建设计划.pdf",
            "weicheng/渭城镇小城镇建设项目简介汇编.docx", "weicheng/渭城镇小城镇建设项目简介汇编.pdf",
            "weicheng/渭城镇小城镇建设观摩图册.docx", "weicheng/渭城镇小城镇建设观摩图册.pdf",
        ]
    )  # fmt: skip
    assert again.photos_prepared == 0  # the album was rebuilt, its photos came from the cache
    brief.write_text(
        brief.read_text(encoding="utf-8").replace("消防管网安装过半", "【待填写】"),
        encoding="utf-8",
    )
    findings = pipeline.run_build(root)
    changed = {p.relative_to(root / "build").as_posix() for p in findings.report.built}
    # a new finding changes the town's check report; the rest of the district is untouched
    assert {"weicheng/渭城镇材料检查报告.html", "weicheng/渭城镇材料检查报告.json"} <= changed
    assert not any(name.startswith("beidu/") for name in changed)


def _would_rebuild(root: Path, *towns: str) -> dict[str, str]:
    """What ``build --dry-run`` would remake, by output (relative to build/), with its reason."""
    notes = pipeline.run_build(root, towns, dry_run=True).report.notes
    return dict(
        note.removeprefix("将重建 ").split("：", 1) for note in notes if note.startswith("将重建 ")
    )


@pytest.mark.slow
def test_editing_a_template_rebuilds_only_the_documents_that_render_it(
    district_copy: Callable[..., Path],
) -> None:
    """Issue 20: a document template is an input of the outputs that rendered it (recorded as
    they were made, as gcc -MD records includes), not of every output; the profile, style,
    knowledge and fonts stay inputs of everything."""
    root = district_copy()
    brief = root / "templates/documents/project-brief.md.j2"
    brief.write_text(brief.read_text(encoding="utf-8") + "\n本表由乡镇填写。\n", "utf-8")
    built = json.loads((root / "build/.manifest.json").read_text(encoding="utf-8"))["outputs"]
    briefs = {name for name in built if "项目简介汇编" in name}
    assert len(briefs) == 12  # six towns, DOCX and PDF
    plans = _would_rebuild(root)
    assert plans.keys() == briefs, sorted(plans)
    assert set(plans.values()) == {"输入变化：templates/documents/project-brief.md.j2"}

    # The 公文 head: the construction plans record it as they are made; the 通报 render it
    # (through an include) when the plan is listed, so their printed text keys them
    head = root / "templates/documents/gongwen-head.md.j2"
    head.write_text(head.read_text(encoding="utf-8").replace("{{ mark }}", "{{ mark }}　"), "utf-8")
    gongwen = {
        name
        for name in built
        if any(kind in name for kind in ("建设计划.", "实施方案.", "通报"))
        and name.endswith((".docx", ".pdf"))
    }
    assert len(gongwen) == 12 + 16  # six construction plans, eight 通报
    assert _would_rebuild(root).keys() == briefs | gongwen

    style = root / "templates/style.yaml"
    style.write_text(style.read_text(encoding="utf-8") + "\n# 注释\n", "utf-8")
    everything = _would_rebuild(root)
    recorded = json.loads((root / "build/.manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert everything.keys() == recorded.keys()
    assert everything["weicheng/渭城镇总体规划.pdf"] == "输入变化：templates/style.yaml"

    (root / "templates/style.yaml").write_text(
        (REPO / "templates/style.yaml").read_text(encoding="utf-8"), "utf-8"
    )
    head.write_text((REPO / "templates/documents/gongwen-head.md.j2").read_text("utf-8"), "utf-8")
    made = pipeline.run_build(root, ("weicheng",))
    assert sorted(p.name for p in made.report.built) == [
        "渭城镇小城镇建设项目简介汇编.docx", "渭城镇小城镇建设项目简介汇编.pdf",
    ]  # fmt: skip
    pdf = root / "build/weicheng/渭城镇小城镇建设项目简介汇编.pdf"
    assert "本表由乡镇填写" in "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert not _would_rebuild(root, "weicheng")


@pytest.mark.slow  # it makes one (tiny) output through the engine
def test_a_recorded_file_outside_the_workspace_is_never_read(tmp_path: Path) -> None:
    """A manifest is content: the files it says an output was made from are hashed only when
    they are regular files inside the workspace; any other name rebuilds the output, unread."""
    root, outside = tmp_path / "ws", tmp_path / "secret.txt"
    (root / "build").mkdir(parents=True)
    outside.write_text("不应被读取", "utf-8")
    (root / "used.txt").write_text("模板", "utf-8")
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()

    def made() -> build.Made:
        return build.Made(
            b"data", discovered={"used.txt": hashlib.sha256("模板".encode()).hexdigest()}
        )

    target = build.Target("out.txt", root / "build/out.txt", (), made, SourceRef("x"))
    plan, folders = build.Plan([target], False), build.Folders(root, root / "build")
    build.build(plan, folders, build.BuildOptions())
    assert [d.rebuild for d in build.survey(plan, folders)] == [False]
    (root / "used.txt").write_text("模板改了", "utf-8")
    assert [d.reason for d in build.survey(plan, folders)] == ["输入变化：used.txt"]
    manifest_path = root / "build/.manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for planted in ("../secret.txt", str(outside), "build/../../secret.txt", ".."):
        manifest["outputs"]["out.txt"]["discovered"] = {planted: digest}
        manifest_path.write_text(json.dumps(manifest), "utf-8")
        (decision,) = build.survey(plan, folders)
        assert decision.rebuild and planted in decision.reason, (planted, decision.reason)
    manifest["outputs"]["out.txt"]["discovered"] = ["not", "a", "table"]
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    assert build.survey(plan, folders)[0].rebuild


@pytest.mark.slow
def test_removed_content_removes_its_outputs_and_force_rebuilds_all(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",), reports=1)
    first = pipeline.run_build(root, jobs=2)
    stale = root / "build/weicheng/渭城镇滨河路沿线修建性详细规划.pdf"
    assert stale.is_file()
    for path in sorted(
        (root / "towns/weicheng/detailed-plans/binhe-road").rglob("*"), reverse=True
    ):
        path.unlink() if path.is_file() else path.rmdir()
    (root / "towns/weicheng/detailed-plans/binhe-road").rmdir()
    dry = pipeline.run_build(root, dry_run=True)
    assert any(
        "将删除 weicheng/渭城镇滨河路沿线修建性详细规划.pdf" in note for note in dry.report.notes
    )
    assert stale.is_file()  # a dry run changes nothing
    again = pipeline.run_build(root)
    assert not stale.exists() and stale in again.report.removed
    # --force remakes everything: what the first build made less the removed plan's two (its
    # decisions; making them is what every other build test does)
    forced = pipeline.run_build(root, force=True, dry_run=True)
    assert len(forced.report.built) == len(first.report.built) - 2 and not forced.report.up_to_date
    assert all(note.endswith("：--force") for note in forced.report.notes if "将重建" in note)


@pytest.mark.slow
def test_parallel_output_is_identical_to_serial(tmp_path: Path) -> None:
    # One town holds every kind of output; more towns would only repeat them
    parallel = copy_workspace(tmp_path / "parallel", ("weicheng",), reports=1)
    first = pipeline.run_build(parallel, jobs=2)
    # 14 (weicheng's six documents and check report, two formats each), a 周报 (DOCX, PDF) for
    # its latest report: 2; the district's: the summary (2), a 通报 for the week reported (2),
    # the 考核评分表 (2), the workbook and the index.
    assert not first.failed and len(first.report.built) == 14 + 2 + 2 + 2 + 2 + 1 + 1 == 24
    serial = copy_workspace(tmp_path / "serial", ("weicheng",), reports=1)
    pipeline.run_build(serial, jobs=1)
    assert _outputs(serial) == _outputs(parallel)


@pytest.mark.slow
def test_source_date_epoch_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_workspace(tmp_path / "ws", TOWNS, reports=1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    pipeline.run_build(root, ("beidu",))
    path = root / "build/beidu/北杜镇总体规划.docx"
    assert (
        docx.Document(str(path))
        .core_properties.modified.isoformat()
        .startswith("2023-11-14T22:13:20")
    )
    assert {info.date_time for info in zipfile.ZipFile(path).infolist()} == {
        (2023, 11, 14, 22, 13, 20)
    }
    # Every output carries the time SOURCE_DATE_EPOCH names: changing or unsetting it remakes
    # them (the answer of a no-op build is keyed by it too)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    notes = pipeline.run_build(root, ("beidu",), dry_run=True).report.notes
    remade = [note for note in notes if note.startswith("将重建 ")]
    assert remade and all("SOURCE_DATE_EPOCH 变化" in note for note in remade), notes
    assert len(remade) == len(list((root / "build/beidu").iterdir()))


def _valid(path: Path) -> bool:
    if path.suffix == ".docx":
        docx.Document(str(path))
    elif path.suffix == ".pdf":
        assert len(PdfReader(str(path)).pages) >= 1
    return True


CUT_SHORT = """
import ctypes, resource, runpy, signal, sys
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: the killed build dumps no core
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; by default the kernel kills
from townplans import build
write_atomic = build.write_atomic
def armed(root, path, data):
    if len(data) > limit and path.suffix in (".docx", ".pdf"):  # then no file may pass the limit
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    return write_atomic(root, path, data)
build.write_atomic = armed
runpy.run_module("townplans", run_name="__main__", alter_sys=True)
"""
"""``python -c CUT_SHORT LIMIT ARGS…``: ``townplans ARGS…``, killed by the kernel in the first
write that takes a file past LIMIT bytes, once the build has begun writing a document larger than
LIMIT. The limit is armed there, not at start: before it, WeasyPrint copies the shipped fonts
(FandolFang, 7 MB, larger than any output) into its own temporary folder for fontconfig, and a
limit set at start would kill the build in that copy, outside build/; and by a document, not by
any write: the district's manifest (about 1 MB) is larger than the limit too, and a build killed
writing it would leave every output whole whether outputs are written atomically or not."""


def _documents(folder: Path) -> dict[Path, bytes]:
    return {
        p: p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.suffix in (".docx", ".pdf") and not p.name.startswith(".")
    }


@pytest.mark.slow
def test_a_build_killed_in_the_middle_of_a_write_leaves_only_whole_files(
    district_copy: Callable[..., Path],
) -> None:
    """A forced rebuild is killed half-way through writing an output, at a moment set by the
    kernel, not by a timer: the file size limit (RLIMIT_FSIZE) is half the largest output, and
    SIGXFSZ has its default action back, so the write that crosses the limit ends the process
    there and then, with no handler and no clean-up, as ``kill -9`` or a power cut would. With
    atomic writes what was cut is a temporary file and every output is whole (the old one); a
    plain write would leave the output itself cut at the limit. (北杜镇 of the built district.)"""
    root = district_copy()
    before = _documents(root / "build/beidu")
    limit = max(len(data) for data in before.values()) // 2
    killed = subprocess.run(
        [sys.executable, "-c", CUT_SHORT, str(limit), "--root", str(root), "-q", "build", "--town", "beidu", "--force", "--jobs", "1"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr.decode(errors="replace")
    cut = [p.stat().st_size for p in (root / "build").rglob(f"{build.TEMPORARY_PREFIX}*")]
    after = _documents(root / "build/beidu")
    assert all(_valid(p) for p in after)
    assert after.keys() == before.keys()
    assert cut == [limit]  # the output being written when the build was killed
    json.loads((root / "build/.manifest.json").read_text(encoding="utf-8"))  # whole too
    again = pipeline.run_build(root, ("beidu",))
    assert not again.failed
    assert not list((root / "build").rglob(".tmp-*"))  # leftovers of the killed build are gone


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the build's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat_line = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat_line.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


AS_FROM_A_TERMINAL = """
import runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv[0] = "townplans"
runpy.run_module("townplans", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
def test_ctrl_c_stops_the_build_and_its_workers_and_leaves_nothing_behind(
    district_copy: Callable[..., Path],
) -> None:
    """Issue 19: SIGINT half-way through ``build -j 2`` (a forced rebuild of 渭城镇 in the built
    district) exits 130 with 已中止 at once (not after the queued outputs, not exit 1), stops the
    workers, leaves no temporary file and no holder's line in the lock, and the next build runs
    without "上次构建未正常结束"."""
    root = district_copy()
    # Started as from a terminal, SIGINT at Python's default handler: a process inherits an
    # ignored SIGINT (the shell does that for background jobs), and then Ctrl+C never reaches it
    process = subprocess.Popen(
        [sys.executable, "-c", AS_FROM_A_TERMINAL, "--root", str(root), "build", "--town", "weicheng", "--force", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    manifest = root / "build/.manifest.json"
    recorded = manifest.stat().st_mtime_ns
    deadline = time.monotonic() + 180
    while (
        time.monotonic() < deadline
        and manifest.stat().st_mtime_ns == recorded
        and process.poll() is None
    ):
        time.sleep(0.05)  # the first output is recorded: the lock is held, the workers are busy
    workers = _children(process.pid)
    assert process.poll() is None and len(workers) >= 2, "the build ended before it was stopped"
    process.send_signal(signal.SIGINT)  # to the main process only: it must stop the workers
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (process.returncode, out[-2000:], err[-2000:])
    assert "已中止" in err and "Traceback" not in out + err and "Aborted" not in err, err
    assert not [pid for pid in workers if _alive(pid)]
    assert not list((root / "build").rglob(".tmp-*"))
    lock = root / "build/.lock"
    assert not lock.exists() or lock.read_text(encoding="utf-8") == ""
    with lock.open("a") as handle:  # nobody holds it
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    outputs = [p for p in (root / "build/weicheng").rglob("*") if p.suffix in (".docx", ".pdf")]
    assert all(_valid(p) for p in outputs)
    again = pipeline.run_build(root, ("weicheng",))
    assert not again.failed and not any("上次构建" in note for note in again.report.notes)
    assert not list((root / "build").rglob(".tmp-*"))


def test_the_lock_is_left_clear_when_a_build_stops_under_its_own_control(tmp_path: Path) -> None:
    """Interrupted (Ctrl+C) or failed, a build clears its holder's line before releasing the
    lock: only a build that was killed leaves it for the next one to report."""
    for stop in (KeyboardInterrupt, RuntimeError):
        with pytest.raises(stop), build.build_lock(tmp_path / "build"):
            raise stop
        assert (tmp_path / "build/.lock").read_text(encoding="utf-8") == ""
        with build.build_lock(tmp_path / "build") as note:
            assert note is None


@pytest.mark.slow
def test_a_second_build_refuses_while_one_runs_and_stale_locks_are_taken_over(
    district_copy: Callable[..., Path],
) -> None:
    root = district_copy()  # built: the build that takes the stale lock over has nothing to make
    with build.build_lock(root / "build"):
        result = subprocess.run(
            [sys.executable, "-m", "townplans", "--root", str(root), "build", "--town", "beidu", "--wait", "0.5"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert result.returncode == 2
    assert (
        f"另一个构建正在进行（进程 {os.getpid()}" in result.stderr
        and "Traceback" not in result.stderr
    )
    (root / "build/.lock").write_text(
        "进程 999999，主机 old，开始于 2023-09-01 08:00:00", encoding="utf-8"
    )
    outcome = pipeline.run_build(root, ("beidu",))
    assert any("上次构建未正常结束（进程 999999" in note for note in outcome.report.notes)


@pytest.mark.slow
def test_index_links_every_output_and_is_self_contained(built_district: Path) -> None:
    workspace = built_district  # read only
    page = (workspace / "build/index.html").read_text(encoding="utf-8")
    assert "渭城镇" in page and "北杜镇" in page and "不完整" in page
    for path in (workspace / "build").rglob("*"):
        if path.is_file() and path.parent.name in TOWNS:
            assert path.name in page
    assert "http://" not in page and "https://" not in page and "default-src 'none'" in page
    report = json.loads(
        (workspace / "build/beidu/北杜镇材料检查报告.json").read_text(encoding="utf-8")
    )
    assert {f["code"] for f in report["findings"] if f["severity"] == "error"} == {"TP201", "TP401"}


@pytest.mark.slow
def test_package_refuses_errors_accepts_clean_and_verify_catches_changes(
    district_copy: Callable[..., Path], tmp_path: Path
) -> None:
    workspace = district_copy()  # built: packing builds only what changed (nothing)
    results = {r.town: r for r in pipeline.run_package(workspace, TOWNS)}
    assert results["beidu"].path is None and {f.code for f in results["beidu"].errors} == {
        "TP201",
        "TP401",
    }
    package = results["weicheng"].path
    assert package is not None and package.name == "渭城镇报送材料.zip"
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        # Chinese names are stored as UTF-8 and flagged so (bit 11), which Windows reads correctly.
        assert all(
            info.flag_bits & 0x800 for info in archive.infolist() if not info.filename.isascii()
        )
        names = archive.namelist()
    assert (
        "weicheng/渭城镇小城镇建设观摩图册.pdf" in names
        and "weicheng/渭城镇材料检查报告.html" in names
    )
    assert manifest["profile_version"] == "2023.1" and manifest["built_at"] == "2023-09-15T00:00:00"
    # The town's 14 outputs and a 周报 (DOCX, PDF) for each of its 8 reports.
    assert len(manifest["files"]) == 14 + 16 and verify(package).ok
    first = package.read_bytes()
    pipeline.run_package(workspace, ("weicheng",))
    assert package.read_bytes() == first  # the same outputs give the same zip
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data + b"x" if info.filename.endswith("检查报告.json") else data)
    result = verify(tampered)
    assert not result.ok and any("已被改动" in p and "检查报告.json" in p for p in result.problems)


def _small_package(tmp_path: Path) -> Path:
    from townplans.package import pack

    entries = [("w/渭城镇总体规划.pdf", b"%PDF-1.7 " * 200)]
    data = pack(entries, "w", "渭城镇", "2023.1", dt.datetime(2023, 9, 15))
    package = tmp_path / "p.zip"
    package.write_bytes(data)
    return package


def test_verify_reports_a_damaged_manifest_instead_of_failing(tmp_path: Path) -> None:
    package = _small_package(tmp_path)
    assert verify(package).ok
    for manifest in (b"{not json", b"[]", b'{"files": "none"}', b'{"files": [1]}'):
        broken = tmp_path / "broken.zip"
        with zipfile.ZipFile(package) as source, zipfile.ZipFile(broken, "w") as target:
            for info in source.infolist():
                data = manifest if info.filename == "manifest.json" else source.read(info)
                target.writestr(info, data)
        result = verify(broken)
        assert not result.ok and any("manifest.json" in p for p in result.problems), manifest


def test_verify_reports_a_corrupted_entry_as_changed(tmp_path: Path) -> None:
    package = _small_package(tmp_path)
    raw = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as archive:
        entry = archive.getinfo("w/渭城镇总体规划.pdf")
    start = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
    raw[start + 2] ^= 0xFF  # flip bits inside the compressed data: a CRC or deflate error
    package.write_bytes(bytes(raw))
    result = verify(package)
    assert not result.ok and any("渭城镇总体规划.pdf" in p for p in result.problems)


def test_a_target_is_made_with_fewer_cycle_collections_and_the_setting_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a document's targets runs the cycle collector at ``COLLECTION_THRESHOLDS`` (its
    cost grew faster than the document), then in full once after the last; the process's own
    thresholds return after them, even when one fails."""
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    full: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "collect", lambda *args: full.append(gc.get_threshold()) or 0)

    def make() -> build.Made:
        seen.append(gc.get_threshold())
        return build.Made(b"x")

    def fail() -> build.Made:
        seen.append(gc.get_threshold())
        raise ValueError("坏了")

    made, failed = build._made_together([make, fail])
    assert isinstance(made, build.Made) and isinstance(failed, ValueError)
    assert seen == [build.COLLECTION_THRESHOLDS] * 2
    assert full == [before]  # once, after the document's last target, with the thresholds back
    assert isinstance(build._made_together([fail])[0], ValueError) and len(full) == 2
    assert build.COLLECTION_THRESHOLDS[0] > before[0]
    assert gc.get_threshold() == before


def test_a_forked_worker_makes_targets_from_the_plan_it_inherited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The build keeps its targets where a worker forked from it finds them: the worker does not
    check the workspace again (a second load and every rule) unless the plan is another build's."""
    checked: list[str] = []

    def run_check(root: Path, *args: object, **kwargs: object) -> object:
        checked.append(str(root))
        raise RuntimeError("checked again")

    monkeypatch.setattr(session, "run_check", run_check)
    target = build.Target(
        "x.pdf", Path("/ws/build/x.pdf"), (), lambda: build.Made(b"made"), SourceRef("towns")
    )
    spec = targets.WorkerSpec("/ws", ("weicheng",), None, "2023-09-20")
    targets.inherit(spec, [target])
    try:
        assert targets.make_in_worker(spec, "/ws/build/x.pdf").data == b"made"
        assert checked == []
        with pytest.raises(RuntimeError, match="checked again"):  # another build's plan
            other = targets.WorkerSpec("/ws", (), None, "2023-09-20")
            targets.make_in_worker(other, "/ws/build/x.pdf")
        assert checked == ["/ws"]
    finally:
        targets.forget()
