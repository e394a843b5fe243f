"""The build engine: targets with declared inputs, the manifest, incremental and parallel
building, atomic writes and the build lock. The only module that writes under ``build/``.

It knows nothing of townplans' documents (the way sphinx's builder loop knows nothing of a
format): ``townplans.targets`` lists what a workspace makes, each output a ``Target`` naming the
files and folders it is made from and a function that makes its bytes. The manifest
(``build/.manifest.json``) records, per output, the hash of every input (plus the target's salt and
the townplans version) and of the output itself, so a rebuild makes only outputs whose inputs
changed, says why, and removes outputs whose content is gone. Outputs are written to a temporary
file and renamed, so an interrupted build leaves each file old or new, never partial; a lock
(``build/.lock``) keeps two builds from interleaving.

A build folder may come from elsewhere, and names come from content, so nothing here trusts
either: output names go through ``fs.safe_name``; ``write_atomic`` takes the folder it may write in
and refuses any path outside it; the manifest's names are checked before anything is read, rebuilt
or deleted by them; a ``build`` that is a file or a symlink, a lock or manifest that is a symlink
or FIFO, is refused or ignored, never followed.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import functools
import gc
import hashlib
import json
import os
import signal
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from townplans import __version__, errortext
from townplans.fs import (
    Kind,
    PathJudge,
    PathPolicyError,
    confine,
    is_utf8_name,
    open_regular,
    os_error,
    read_regular,
    safe_entry,
    special_name,
)
from townplans.limits import MAX_BUILD_STATE_BYTES
from townplans.model import Finding, Severity, SourceRef
from townplans.reproducible import source_date_epoch

MANIFEST = ".manifest.json"
MANIFEST_EVERY = 1.0
"""Seconds between writes of the manifest while outputs are made (and once at the end, or when
the build is stopped): written after every output it was re-encoded whole each time, a
district's 200 outputs spent seconds in JSON. A build killed outright loses at most this much of
its record; the outputs made meanwhile are found whole and unchanged by the next build."""
LOCK = ".lock"
TEMPORARY_PREFIX = ".tmp-"
"""Temporary files of atomic writes; a killed build's leftovers are removed by the next one."""
WRITE_CHUNK = 1 << 20


class Problem(Protocol):
    """Something a target's maker found in what it made (a missing glyph, an oversized image)."""

    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def message(self) -> str: ...
    @property
    def ref(self) -> SourceRef | None:
        """Where it comes from; None for the target's own source."""


@dataclass(frozen=True, slots=True)
class Made:
    """What making a target gives: the bytes, what the self-checks found, photo work done."""

    data: bytes
    problems: Sequence[Problem] = ()
    photos_prepared: int = 0
    photos_cached: int = 0
    discovered: Mapping[str, str] = field(default_factory=dict)
    """Files the maker read that the target's inputs do not name (the document templates it
    rendered), workspace-relative, each with the SHA-256 of the content used. The manifest keeps
    them and a change to one rebuilds the output, as a compiler's dependency file (``gcc -MD``)
    tells make what a source included: editing one template remakes the documents that use it,
    not every output."""


@dataclass(frozen=True, slots=True)
class Target:
    """One output file, what it is made from, and how."""

    label: str
    path: Path
    inputs: tuple[str, ...]
    """Workspace-relative files and folders; folders count with everything in them."""
    make: Callable[[], Made]
    source: SourceRef
    salt: str = ""
    """Anything else the output depends on (e.g. the date a check report judges waivers by)."""


@dataclass
class BuildReport:
    """What a build did."""

    built: list[Path] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    photos_prepared: int = 0
    """Photos decoded and resized by this build; 0 when all came from the cache."""
    photos_cached: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a build would make."""

    targets: list[Target]
    partial: bool
    """True when the targets are only part of what the workspace makes (some towns): outputs
    recorded for the rest are then left alone instead of removed as stale."""


Explain = Callable[[Target, Exception], Finding]
"""Turns a target that could not be made into a finding (the target's own words for its errors)."""


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to run a build (what to build is the plan's business)."""

    force: bool = False
    jobs: int = 1
    dry_run: bool = False
    wait: float = 0.0
    """Seconds to wait for another build's lock before refusing."""


class BuildLockedError(Exception):
    """Another build holds the workspace's lock; the message says which."""


class BuildFolderError(Exception):
    """build/ (or its lock or manifest) cannot be used as it is; the message (Chinese) names the
    path and what it should be."""


# -- hashing inputs --------------------------------------------------------------------------------------


class InputHasher:
    """SHA-256 of input files, each file read once per build."""

    def __init__(self, root: Path, known: dict[str, str] | None = None) -> None:
        self.root = root
        self._judge = PathJudge(root)
        """Each folder resolved once (a no-op build hashes every input of the district)."""
        self._files: dict[str, str] = dict(known or {})
        """Seeded with the hashes the loader computed while probing images."""
        self._listings: dict[str, list[str]] = {}

    def hashes(self, inputs: Sequence[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        for item in inputs:
            for relative in self._listing(item):
                result[relative] = (
                    self._file(relative)
                    if relative != item or (self.root / item).is_file()
                    else "absent"
                )
        return result

    def _listing(self, item: str) -> list[str]:
        """The files an input names: itself, or everything in the folder (walked once per build)."""
        if item not in self._listings:
            path = self.root / item
            if path.is_dir():
                self._listings[item] = sorted(self._walk(path, path))
            else:
                self._listings[item] = [item]
        return self._listings[item]

    def _walk(self, folder: Path, base: Path) -> Iterator[str]:
        """Files under ``folder`` as the loader sees them: regular files inside the workspace with
        UTF-8 names, never through a symlink out (the loader reports those)."""
        for entry in os.scandir(folder):
            path = Path(entry.path)
            if entry.name.startswith(".") or not is_utf8_name(entry.name):
                continue
            found = self._judge.kind(path)
            if found is Kind.DIR:
                yield from self._walk(path, base)
            elif found is Kind.FILE:
                yield path.relative_to(self.root).as_posix()

    def file(self, relative: str) -> str:
        """The hash of one file, or "absent" when ``relative`` is not a regular file inside the
        workspace (a folder, a link out, a name with ``..`` or an absolute one: never read)."""
        return "absent" if safe_entry(relative) is not None else self._file(relative)

    def _file(self, relative: str) -> str:
        if relative not in self._files:
            path = self.root / relative
            if self._judge.kind(path) is not Kind.FILE:
                self._files[relative] = "absent"
            else:
                digest = hashlib.sha256()
                with path.open("rb") as stream:
                    while chunk := stream.read(1 << 20):
                        digest.update(chunk)
                self._files[relative] = digest.hexdigest()
        return self._files[relative]


def target_key(inputs: dict[str, str], target: Target, dated: str = "") -> str:
    """What an output is made from, as one digest: the townplans version, the target, its salt,
    its inputs' hashes, and ``dated``, the SOURCE_DATE_EPOCH in force (every output carries the
    time it names, so setting or changing it remakes them)."""
    body = json.dumps(
        [__version__, target.label, target.salt, dated, sorted(inputs.items())], ensure_ascii=False
    )
    return hashlib.sha256(body.encode()).hexdigest()


# -- the manifest --------------------------------------------------------------------------------------------


@dataclass
class Manifest:
    """build/.manifest.json: per output (relative to build/), its key, inputs and hash.

    The manifest is read like any input: a build folder may come from elsewhere. An output name that
    is not a plain relative name inside build/ (``..``, absolute, a backslash, hidden, or a symlink
    out of build/) is dropped with a note and never read, rebuilt over or deleted."""

    outputs: dict[str, dict[str, object]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What was wrong with the manifest as read (Chinese), for the build's notes."""

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if os.path.islink(path):  # never read (and quote in notes) a file outside build/
            return cls(notes=[f"{path} 是符号链接，未读取；全部成果将重新生成"])
        try:
            data = json.loads(read_regular(path, MAX_BUILD_STATE_BYTES))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, RecursionError) as exc:
            reason = os_error(exc, path) if isinstance(exc, OSError) else f"{path} 不是有效的 JSON"
            return cls(notes=[f"构建清单无法读取（{reason}），全部成果将重新生成"])
        outputs = data.get("outputs") if isinstance(data, dict) else None
        if not isinstance(outputs, dict):
            return cls(notes=[f"{path} 格式不对（应有 outputs 表），全部成果将重新生成"])
        manifest = cls()
        for name, record in outputs.items():
            problem = _unsafe_output(name, folder) or (
                None if isinstance(record, dict) else "的记录应为表"
            )
            if problem:
                shown = repr(name)[:120]
                manifest.notes.append(
                    f"构建清单中的成果 {shown} {problem}，已从清单删去（不读取、不删除它）"
                )
            else:
                manifest.outputs[name] = record
        return manifest

    def write(self, folder: Path) -> None:
        """Write the manifest when it changed (a no-op build leaves it untouched)."""
        data = {"townplans": __version__, "outputs": dict(sorted(self.outputs.items()))}
        encoded = (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode()
        path = folder / MANIFEST
        if _regular_sha256(path) != hashlib.sha256(encoded).hexdigest():
            write_atomic(folder, path, encoded)


def _unsafe_output(name: object, folder: Path) -> str | None:
    """Why a manifest's output name must not be acted on, or None when it names a file in build/."""
    problem = _unsafe_name(name)
    if problem is None:
        try:
            confine(folder / str(name), folder)
        except PathPolicyError:
            problem = "经由符号链接指向构建文件夹之外"
    return problem


def _unsafe_name(name: object) -> str | None:
    """Why ``name`` is not a plain relative name of an output in build/ (judged on the text)."""
    if not isinstance(name, str):
        return "不是文本"
    problem = safe_entry(name)
    if problem is None and any(part.startswith(".") for part in name.split("/")):
        problem = "是隐藏文件（townplans 的成果不以 . 开头）"
    return problem


def _regular_sha256(path: Path) -> str | None:
    """SHA-256 of the regular file at ``path`` (read in chunks), or None when there is none: a
    missing file, a symlink (never followed out of build/) or a FIFO (never opened) all count as
    not there."""
    try:
        with open_regular(path, follow_symlinks=False) as stream:
            digest = hashlib.sha256()
            while chunk := stream.read(WRITE_CHUNK):
                digest.update(chunk)
            return digest.hexdigest()
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a target is rebuilt, and why (Chinese, for --dry-run and the summary)."""

    target: Target
    rebuild: bool
    reason: str
    key: str
    inputs: dict[str, str]
    dated: str = ""
    """The SOURCE_DATE_EPOCH the output is dated by (ISO), or "" for its content's own date."""


def decide(
    targets: Sequence[Target], manifest: Manifest, hasher: InputHasher, build_dir: Path, force: bool
) -> list[Decision]:
    decisions = []
    epoch = source_date_epoch()[0]
    dated = epoch.isoformat() if epoch is not None else ""
    for target in targets:
        inputs = hasher.hashes(target.inputs)
        key = target_key(inputs, target, dated)
        relative = target.path.relative_to(build_dir).as_posix()
        recorded = manifest.outputs.get(relative)
        reason = _why(target, recorded, key, inputs, force, dated) or _discovered_changed(
            recorded, hasher
        )
        decisions.append(
            Decision(target, reason is not None, reason or "未变化", key, inputs, dated)
        )
    return decisions


def _discovered_changed(recorded: dict[str, object] | None, hasher: InputHasher) -> str | None:
    """Why an output whose declared inputs are unchanged is still out of date: a file its last
    making read (``Made.discovered``) is no longer what it read. A manifest from elsewhere is
    content: names that are not text, or lead out of the workspace, are never read (the hasher's
    path judge calls those absent) and rebuild the output."""
    found = recorded.get("discovered", {}) if recorded is not None else {}
    if not isinstance(found, dict):
        return "构建清单中的记录格式不对"
    changed = sorted(
        str(path)
        for path, digest in found.items()
        if not isinstance(path, str) or hasher.file(path) != digest
    )
    return _changed_inputs(changed) if changed else None


def _changed_inputs(changed: Sequence[str]) -> str:
    shown = "、".join(changed[:3]) + (f" 等 {len(changed)} 个文件" if len(changed) > 3 else "")
    return f"输入变化：{shown}"


def _output_unchanged(path: Path, recorded: dict[str, object]) -> bool:
    """Size and mtime as written, or (when they moved, e.g. after a copy) the same content. Only a
    regular file counts: a symlink or FIFO put in its place is rebuilt over, never read."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if info.st_size == recorded.get("size") and info.st_mtime_ns == recorded.get("mtime_ns"):
        return True
    return _regular_sha256(path) == recorded.get("sha256")


def _why(
    target: Target,
    recorded: dict[str, object] | None,
    key: str,
    inputs: dict[str, str],
    force: bool,
    dated: str = "",
) -> str | None:
    if force:
        return "--force"
    if recorded is None:
        return "新成果"
    if not os.path.lexists(target.path):
        return "成果文件不存在"
    if not _output_unchanged(target.path, recorded):
        return "成果文件被改动过"
    if recorded.get("key") == key:
        return None
    if recorded.get("dated", "") != dated:
        return "环境变量 SOURCE_DATE_EPOCH 变化（成果中的日期随之改变）"
    before = recorded.get("inputs") if isinstance(recorded.get("inputs"), dict) else {}
    assert isinstance(before, dict)
    changed = sorted(
        path for path in inputs.keys() | before.keys() if inputs.get(path) != before.get(path)
    )
    if not changed:
        return "模板、规则或 townplans 版本变化"
    return _changed_inputs(changed)


def survey(plan: Plan, folders: Folders, known: Mapping[str, str] | None = None) -> list[Decision]:
    """What a build of ``plan`` would do now and why, without the lock and without writing:
    each target's decision as ``build --dry-run`` would make it (``status`` shows them)."""
    manifest = Manifest.read(folders.build)
    hasher = InputHasher(folders.root, dict(known or {}))
    return decide(plan.targets, manifest, hasher, folders.build, force=False)


# -- the lock ----------------------------------------------------------------------------------------------------


@contextmanager
def build_lock(folder: Path, wait: float = 0.0) -> Iterator[str | None]:
    """Hold build/.lock for the whole build. A lock left by a build that died is taken over (the
    operating system releases it with the process) and reported; a live one is waited for up to
    ``wait`` seconds, then refused with the holder's pid.

    The file stays (it is what ``flock`` locks: removing it would let a build that opened the old
    file and one that creates a new one both hold "the" lock); what marks a build as running is
    the holder's line in it. However the build ends under its own control (finished, failed,
    interrupted with Ctrl+C) the line is cleared before the lock is released, so only a build that
    was killed or lost its machine leaves the line for the next one to report."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = _open_lock(folder / LOCK)
    deadline = time.monotonic() + wait
    held = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(handle, 512, 0).decode("utf-8", "replace").strip()
                    raise BuildLockedError(
                        f"另一个构建正在进行（{holder or '持有者未知'}）：请等它结束，或用 --wait 秒数 排队等待"
                    ) from None
                time.sleep(0.2)
        previous = os.pread(handle, 512, 0).decode("utf-8", "replace").strip()
        note = f"上次构建未正常结束（{previous}），已接管构建锁" if previous else None
        record = f"进程 {os.getpid()}，主机 {socket.gethostname()}，开始于 {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        os.ftruncate(handle, 0)
        os.pwrite(handle, record.encode(), 0)
        held = True
        yield note
    finally:
        with interrupts_deferred():  # a second Ctrl+C must not leave the holder's line behind
            if held:
                os.ftruncate(handle, 0)
            os.close(handle)  # closing releases the lock


def _open_lock(path: Path) -> int:
    """The lock file, opened for reading and writing; a symlink is never followed (the holder's
    line would be written into whatever it points to) and a FIFO or device is refused."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BuildFolderError(
                f"{path} 是符号链接：构建锁应为普通文件，请删除它后重试"
            ) from exc
        raise
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise BuildFolderError(f"{path} 不是普通文件（{special_name(path)}）：请删除它后重试")
    return handle


# -- running a build ----------------------------------------------------------------------------------------------

Progress = Callable[[int, int, str, str], None]
"""progress(done, total, output label, state) where state is 已生成 / 未变化 / 失败 / 删除."""


@dataclass(frozen=True, slots=True)
class Folders:
    """Where a build reads and writes: the workspace its inputs are named in, and the build
    folder every output and the engine's own state (manifest, lock) go to."""

    root: Path
    build: Path


def build(plan: Plan, folders: Folders, options: BuildOptions, progress: Progress | None = None,
          worker: Callable[[str], Made] | None = None, known: Mapping[str, str] | None = None,
          state_files: Mapping[Path, bytes] | None = None,
          explain: Explain | None = None) -> BuildReport:  # fmt: skip
    """Make what changed, remove what is gone, record the manifest; under the build lock.

    ``worker(path)`` makes the target of that output path in a worker process (``jobs`` > 1);
    ``known`` are input hashes already computed (files read once per build); ``state_files`` are
    written inside the build folder under the lock before any target is made (what workers read
    back); ``explain`` words a failed target as a finding (else ``failure_finding``). A build folder
    that cannot be used (a file, a symlink, no permission, a full disk) is a ``BuildFolderError``
    naming the path; an output that cannot be written is a failed output."""
    usable_build_folder(folders.build)
    run = _Run(plan, folders, options, progress, worker, known, state_files or {},
               explain or failure_finding)  # fmt: skip
    try:
        return run.go()
    except (OSError, PathPolicyError) as exc:
        detail = os_error(exc, exc.filename or folders.build) if isinstance(exc, OSError) else exc
        raise BuildFolderError(f"构建文件夹无法使用：{detail}") from exc


def usable_build_folder(folder: Path) -> None:
    """Refuse a build folder that is a file, or a symlink: through a link to towns/ (or a folder
    holding a planted manifest) the build would write and delete among the sources."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BuildFolderError(f"构建文件夹无法使用：{os_error(exc, folder)}") from exc
    if stat.S_ISLNK(mode):
        raise BuildFolderError(
            f"{folder} 是符号链接（指向 {os.readlink(folder)}）：构建文件夹应为工作区中的真实文件夹，请删除该链接"
        )
    if not stat.S_ISDIR(mode):
        raise BuildFolderError(
            f"{folder} 是文件，应为文件夹（townplans 把成果生成在这里）：请把它改名或移走后重试"
        )


@dataclass
class _Run:
    """One build under way: the lock held throughout."""

    plan: Plan
    folders: Folders
    options: BuildOptions
    progress: Progress | None
    worker: Callable[[str], Made] | None
    known: Mapping[str, str] | None
    state_files: Mapping[Path, bytes]
    explain: Explain
    report: BuildReport = field(default_factory=lambda: BuildReport())

    def go(self) -> BuildReport:
        with build_lock(self.folders.build, self.options.wait) as note:
            try:
                self._locked(note)
            except BaseException:
                # Ctrl+C or a failure: workers are stopped (``_make_all``); what they and this
                # process had half-written goes before the lock is released
                with interrupts_deferred():
                    _clean_temporaries(self.folders.build)
                raise
        return self.report

    def _locked(self, note: str | None) -> None:
        """The build itself, under the lock: fills the report."""
        folder, report = self.folders.build, self.report
        report.notes += [n for n in (note, source_date_epoch()[1]) if n]
        _clean_temporaries(folder)
        if not self.options.dry_run:
            for path, data in self.state_files.items():  # before any worker starts
                write_atomic(folder, path, data)
        manifest = Manifest.read(folder)
        report.notes += manifest.notes
        targets = _checked_targets(self.plan.targets, folder, report)
        hasher = InputHasher(self.folders.root, dict(self.known or {}))
        decisions = decide(targets, manifest, hasher, folder, self.options.force)
        stale = [] if self.plan.partial else _stale(manifest, targets, folder)
        if self.options.dry_run:
            _dry_run(report, decisions, stale, folder)
            return
        self._make(decisions, stale, manifest)

    def _make(self, decisions: list[Decision], stale: list[Path], manifest: Manifest) -> None:
        folder, report = self.folders.build, self.report
        progress = self.progress or (lambda done, total, label, state: None)
        total = len(decisions) + len(stale)
        for decision in (d for d in decisions if not d.rebuild):
            report.up_to_date.append(decision.target.path)
            progress(len(report.up_to_date), total, decision.target.label, "未变化")
        rebuilt = [d for d in decisions if d.rebuild]
        long_lived_frozen()
        written = time.monotonic()
        # closing(): when this loop stops early (Ctrl+C while an output is written), the generator
        # stops its worker processes now, not whenever it is collected
        try:
            with closing(_make_all(rebuilt, self.options.jobs, self.worker)) as made_all:
                for done, (decision, made) in enumerate(made_all, start=len(report.up_to_date) + 1):
                    state = self._record(decision, made, manifest)
                    progress(done, total, decision.target.label, state)
                    if time.monotonic() - written >= MANIFEST_EVERY:
                        manifest.write(folder)
                        written = time.monotonic()
        except BaseException:
            with interrupts_deferred(), suppress(OSError):
                manifest.write(folder)  # what was made before Ctrl+C or a failure stays recorded
            raise
        for done, path in enumerate(stale, start=total - len(stale) + 1):
            _remove_stale(path, manifest, report, folder)
            progress(done, total, path.name, "删除")
        manifest.write(folder)

    def _record(self, decision: Decision, made: Made | Exception, manifest: Manifest) -> str:
        target, report, folder = decision.target, self.report, self.folders.build
        if isinstance(made, Exception):
            return self._failed(target, made)
        for problem in made.problems:
            message = f"“{target.label}”：{problem.message}"
            report.findings.append(
                Finding(problem.code, problem.severity, message, problem.ref or target.source)
            )
        try:
            info = write_atomic(folder, target.path, made.data).stat()
        except (OSError, PathPolicyError) as exc:  # a full disk, a folder in the way: this only
            return self._failed(target, exc)
        manifest.outputs[_rel(target.path, folder)] = {
            "key": decision.key,
            "sha256": hashlib.sha256(made.data).hexdigest(),
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "inputs": decision.inputs,
            "dated": decision.dated,
            "discovered": dict(sorted(made.discovered.items())),
        }
        report.built.append(target.path)
        report.photos_prepared += made.photos_prepared
        report.photos_cached += made.photos_cached
        return "已生成"

    def _failed(self, target: Target, error: Exception) -> str:
        self.report.findings.append(self.explain(target, error))
        self.report.failed.append(target.path)
        return "失败"


def _dry_run(
    report: BuildReport, decisions: Sequence[Decision], stale: list[Path], build_dir: Path
) -> None:
    """What a build would do, with reasons, and nothing written."""
    report.built = [d.target.path for d in decisions if d.rebuild]
    report.up_to_date = [d.target.path for d in decisions if not d.rebuild]
    report.removed = stale
    report.notes += [
        f"将重建 {_rel(d.target.path, build_dir)}：{d.reason}" for d in decisions if d.rebuild
    ]
    report.notes += [f"将删除 {_rel(p, build_dir)}：对应内容已不存在" for p in stale]


def _rel(path: Path, build_dir: Path) -> str:
    return path.relative_to(build_dir).as_posix()


def _stale(manifest: Manifest, targets: Sequence[Target], build_dir: Path) -> list[Path]:
    """Recorded outputs the plan no longer makes (only when building the whole district). The
    names were checked when the manifest was read (``_unsafe_output``)."""
    planned = {_rel(t.path, build_dir) for t in targets}
    return [build_dir / name for name in sorted(manifest.outputs) if name not in planned]


def _checked_targets(
    targets: Sequence[Target], build_dir: Path, report: BuildReport
) -> list[Target]:
    """The targets whose path is a plain file name inside build/; any other is a failed output
    and never made. Plans name outputs through ``fs.safe_name``: this is the net under that rule."""
    kept = []
    for target in targets:
        try:
            relative = target.path.relative_to(build_dir).as_posix()
        except ValueError:
            relative = target.path.as_posix()
        if _unsafe_name(relative) is None:  # the folders on the way are confined when writing
            kept.append(target)
        else:
            problem = PathPolicyError(f"拒绝写入 {target.path}：成果应为 {build_dir} 中的文件")
            report.findings.append(failure_finding(target, problem))
            report.failed.append(target.path)
    return kept


def _remove_stale(path: Path, manifest: Manifest, report: BuildReport, build_dir: Path) -> None:
    """Delete an output whose content is gone: only ever a file inside build/ (confined again
    right before the delete; a symlink is removed itself, never what it points to)."""
    manifest.outputs.pop(_rel(path, build_dir), None)
    try:
        confine(path, build_dir)
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise OSError(errno.EISDIR, "is a directory", str(path))
        path.unlink()
    except FileNotFoundError:
        pass
    except PathPolicyError as exc:
        report.notes.append(f"未删除旧成果：{exc}")
        return
    except OSError as exc:
        report.notes.append(f"未删除旧成果 {os_error(exc, path)}")
        return
    report.removed.append(path)


def _make_all(
    decisions: Sequence[Decision], jobs: int, worker: Callable[[str], Made] | None
) -> Generator[tuple[Decision, Made | Exception], None, None]:
    """Make targets in this process, or in ``jobs`` worker processes (results in plan order).

    Stopped early (Ctrl+C, or the caller closing this generator), the workers are terminated at
    once rather than left to finish every queued output: they hold the build lock too (they were
    forked with it) and a user who pressed Ctrl+C wants the prompt back now."""
    groups = _same_document(decisions)
    if jobs <= 1 or worker is None or len(decisions) < 2:
        for group in groups:
            yield from zip(group, _made_together([d.target.make for d in group]), strict=True)
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_signals)
    try:
        futures = [
            pool.submit(_make_group, worker, [str(d.target.path) for d in group])
            for group in groups
        ]
        for group, future in zip(groups, futures, strict=True):
            try:
                results: list[Made | Exception] = future.result()
            except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
                results = [exc] * len(group)
            yield from zip(group, results, strict=True)
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's workers and wait until they are gone; one that does not go within
    seconds is killed."""
    with interrupts_deferred():
        # Python 3.14 has pool.terminate_workers(); before it, the processes are only reachable
        # through the executor's own table
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(WORKER_STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        # The pool's manager thread sees its workers gone and closes its wake-up pipe; until it
        # has, the executor's exit hook may write to that pipe as it closes and print a
        # traceback after 已中止 (a CPython race). Once the thread has ended the hook does nothing.
        manager = getattr(pool, "_executor_manager_thread", None)  # typeshed mistypes it
        if isinstance(manager, threading.Thread):
            manager.join(WORKER_STOP_SECONDS)


WORKER_STOP_SECONDS = 5.0
"""How long a terminated worker may take to end before it is killed."""


def _worker_signals() -> None:
    """A worker ignores Ctrl+C: the terminal sends it to every process of the build, and the main
    process decides (it stops the workers). SIGTERM keeps its default and ends a worker at once:
    a worker writes nothing but photo-cache files, through ``write_atomic`` in build/, whose
    leftovers the main process removes once the workers are gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ignore Ctrl+C while cleaning up after one (a second press must not cut the cleanup short);
    only the main thread can change signal handlers, elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        # None: a handler set outside Python (embedding); it cannot be put back, Python's can
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )


def _same_document(decisions: Sequence[Decision]) -> list[list[Decision]]:
    """Consecutive targets of one document (X.docx, X.pdf) kept together: one worker makes them
    in order, so the PDF prints the layout the DOCX measured for its contents (pdf.layout keeps
    the last one) instead of laying the document out a second time in another process."""
    groups: list[list[Decision]] = []
    for decision in decisions:
        stem = decision.target.path.with_suffix("")
        if groups and groups[-1][-1].target.path.with_suffix("") == stem:
            groups[-1].append(decision)
        else:
            groups.append([decision])
    return groups


def _make_group(worker: Callable[[str], Made], paths: list[str]) -> list[Made | Exception]:
    """Make ``paths`` in order in one worker process."""
    return _made_together([functools.partial(worker, path) for path in paths])


def _made_together(makes: Sequence[Callable[[], Made]]) -> list[Made | Exception]:
    """The targets of one document (its DOCX, then its PDF) made in order, with the cycle
    collector run less often meanwhile and in full once after the last (``fewer_collections``):
    not between them, when the layout the DOCX measured is still kept for the PDF, and a full
    collection walked its millions of boxes for nothing (a tenth of a district build went to
    collections, one after every target)."""
    with fewer_collections():
        return [_safely(make) for make in makes]


def _safely(make: Callable[[], Made]) -> Made | Exception:
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
        return exc


COLLECTION_THRESHOLDS = (50_000, 20, 100)
"""Python's cycle-collector thresholds while a target is made (the default is 700, 10, 10)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cycle collector run less often while a document's targets are made, and in full
    after them.

    Making a document allocates millions of small objects that stay alive until it is written (a
    WeasyPrint layout's boxes, kept from the DOCX target for the PDF; a DOCX's XML proxies). The
    collector, started every 700 allocations, walks the young ones that survived each time and
    every object in a full collection: with it as it is, laying out a 2,000-row table took
    5.6 s and 4,000 rows 12.7 s; switched off, 3.7 s and 7.5 s, linear. At
    ``COLLECTION_THRESHOLDS`` cycles are still collected as they come, and the one full
    collection after the target frees what reached the oldest generation meanwhile: the master
    plan with a 2,000-row table is made in 7.5 s instead of 8.6 s with a lower peak (408 MB, was
    423 MB); the sample's own in 1.4 s instead of 1.3 s (peak 266 MB, was 254 MB; without the
    full collection 301 MB).
    """
    before = gc.get_threshold()
    gc.set_threshold(*COLLECTION_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.collect()


def long_lived_frozen() -> None:
    """Move every object alive now (the loaded workspace, its facts, the plan) out of the cycle
    collector's reach: they live until the build ends, and the full collection after each target
    walked all of them again (0.13 s a target, a fifth of a full build's time). Only objects made
    from here on are collected; worker processes forked after this inherit the frozen set."""
    gc.collect()
    gc.freeze()


def failure_finding(target: Target, error: Exception) -> Finding:
    """A target that could not be made, as a finding (TP790): an operating-system error in
    Chinese, anything else as an internal error: Chinese only, its class and English text with
    ``--debug``."""
    if isinstance(error, OSError):
        detail = os_error(error, error.filename or target.path) + errortext.detail(error)
    elif isinstance(error, PathPolicyError):
        detail = str(error)
    else:
        detail = errortext.unexpected(error)
    return Finding("TP790", Severity.ERROR, f"生成“{target.label}”失败：{detail}", target.source)


def _clean_temporaries(build_dir: Path) -> None:
    """Temporary files a killed build left behind (never a finished output, never outside build/:
    ``rglob`` does not descend into symlinked folders, and each file is confined before removal)."""
    for leftover in build_dir.rglob(f"{TEMPORARY_PREFIX}*"):
        try:
            confine(leftover, build_dir)
            if not stat.S_ISDIR(os.lstat(leftover).st_mode):
                leftover.unlink()
        except (PathPolicyError, OSError):
            continue  # a leftover that cannot be removed does no harm


def write_atomic(root: Path, path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` inside ``root`` (the build folder, or a folder in it) and return
    where it went. Refused with ``PathPolicyError`` before anything is written when ``path`` leaves
    ``root`` (``..``, an absolute path, a symlink on the way): the root is a required argument so
    no caller can forget the check. The data goes to a temporary file beside the target, is synced
    to disk and renamed over the target, so a reader (or a build killed half-way) sees the old file
    or the new one, never part of one; on any failure the temporary file is removed. A symlink or
    FIFO at ``path`` is replaced, never written through."""
    target = _output_path(root, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=target.parent)
    try:
        try:
            os.fchmod(handle, 0o644 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
            _write_all(handle, data)
            os.fsync(handle)  # the data is on disk before the name points at it
        finally:
            os.close(handle)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _output_path(root: Path, path: Path) -> Path:
    """``path`` with its folder resolved and confined to ``root`` and its own name kept (the rename
    replaces whatever has that name, so only the folders on the way need resolving)."""
    if path.name in ("", ".", ".."):
        raise PathPolicyError(f"拒绝写入 {path}：应为文件名")
    base = root.resolve()
    folder = base / path.parent  # an absolute path.parent replaces base
    try:
        inside_base = folder.resolve() == base
    except (OSError, RuntimeError):
        inside_base = False  # a symlink loop: confine says so
    return (base if inside_base else confine(folder, root)) / path.name


def _write_all(handle: int, data: bytes) -> None:
    """os.write may write less than asked (a full disk, a signal); loop until all is written."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view[:WRITE_CHUNK]) :]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
