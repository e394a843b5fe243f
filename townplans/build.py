"""The build system: targets, their declared inputs, the manifest, incremental and parallel
building, atomic writes and the build lock. The only module that writes under ``build/``.

Every output is a ``Target`` that names the files and folders it is made from. The manifest
(``build/.manifest.json``) records, per output, the hash of every input (plus the templates and
the townplans version) and of the output itself, so a rebuild makes only outputs whose inputs
changed, says why, and removes outputs whose content is gone. Outputs are written to a temporary
file and renamed, so an interrupted build leaves each file old or new, never partial; a lock
(``build/.lock``) keeps two builds from interleaving. Outputs are byte-identical for the same
inputs (fixed timestamps, honouring SOURCE_DATE_EPOCH), whether built with one job or several.

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
import io
import json
import os
import re
import signal
import socket
import stat
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from townplans import __version__, errortext
from townplans.fs import (
    Kind,
    PathPolicyError,
    confine,
    is_utf8_name,
    kind,
    open_regular,
    os_error,
    read_regular,
    safe_entry,
    safe_name,
    special_name,
)
from townplans.limits import MAX_BUILD_STATE_BYTES, MAX_YEAR, MIN_EPOCH_YEAR
from townplans.load.images import ProbeCache
from townplans.model import Finding, Severity, SourceRef, Town, Workspace
from townplans.package import zip_date_time
from townplans.paths import WorkspacePaths
from townplans.profile import Profile
from townplans.render import documents, selfcheck
from townplans.render.html import TEMPLATES, resource_url
from townplans.render.style import Style
from townplans.templating import TemplateError

if TYPE_CHECKING:
    from townplans.render import album
    from townplans.revision.model import Comparison

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")
MANIFEST = ".manifest.json"
LOCK = ".lock"
TEMPORARY_PREFIX = ".tmp-"
"""Temporary files of atomic writes; a killed build's leftovers are removed by the next one."""
WRITE_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Made:
    """What making a target gives: the bytes, what the self-checks found, photo work done."""

    data: bytes
    problems: list[selfcheck.OutputProblem] = field(default_factory=list)
    photos_prepared: int = 0
    photos_cached: int = 0


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
class BuildOptions:
    towns: tuple[str, ...] = ()
    pdf_variant: str | None = None
    """"pdf/a-2b" to make archival PDFs."""
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
            found = kind(path, self.root)
            if found is Kind.DIR:
                yield from self._walk(path, base)
            elif found is Kind.FILE:
                yield path.relative_to(self.root).as_posix()

    def _file(self, relative: str) -> str:
        if relative not in self._files:
            path = self.root / relative
            if kind(path, self.root) is not Kind.FILE:
                self._files[relative] = "absent"
            else:
                digest = hashlib.sha256()
                with path.open("rb") as stream:
                    while chunk := stream.read(1 << 20):
                        digest.update(chunk)
                self._files[relative] = digest.hexdigest()
        return self._files[relative]


def target_key(inputs: dict[str, str], target: Target) -> str:
    body = json.dumps(
        [__version__, target.label, target.salt, sorted(inputs.items())], ensure_ascii=False
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


def decide(
    targets: Sequence[Target], manifest: Manifest, hasher: InputHasher, build_dir: Path, force: bool
) -> list[Decision]:
    decisions = []
    for target in targets:
        inputs = hasher.hashes(target.inputs)
        key = target_key(inputs, target)
        relative = target.path.relative_to(build_dir).as_posix()
        recorded = manifest.outputs.get(relative)
        reason = _why(target, recorded, key, inputs, force)
        decisions.append(Decision(target, reason is not None, reason or "未变化", key, inputs))
    return decisions


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
    before = recorded.get("inputs") if isinstance(recorded.get("inputs"), dict) else {}
    assert isinstance(before, dict)
    changed = sorted(
        path for path in inputs.keys() | before.keys() if inputs.get(path) != before.get(path)
    )
    if not changed:
        return "模板、规则或 townplans 版本变化"
    shown = "、".join(changed[:3]) + (f" 等 {len(changed)} 个文件" if len(changed) > 3 else "")
    return f"输入变化：{shown}"


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


# -- targets ------------------------------------------------------------------------------------------------------


def source_stamp(document_date: dt.date | None) -> dt.datetime:
    """The timestamp written into outputs: SOURCE_DATE_EPOCH, else the document's date."""
    epoch, _ = source_date_epoch()
    if epoch is not None:
        return epoch
    if document_date is not None:
        return dt.datetime.combine(document_date, dt.time())
    return dt.datetime(2000, 1, 1)


def source_date_epoch() -> tuple[dt.datetime | None, str | None]:
    """SOURCE_DATE_EPOCH as a (naive, UTC) time, or None; and, when it is set but not a time
    between MIN_EPOCH_YEAR and MAX_YEAR in whole seconds since 1970, why it is ignored (Chinese).

    The range is compared in seconds before any date is made: a date past year 9999 does not
    exist in Python, so ``253402300800`` (10000-01-01) must never reach ``datetime``."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None, None
    if re.fullmatch(r"[0-9]{1,12}", text):  # ASCII digits only: "²" and "１" pass str.isdigit
        seconds = int(text)
        if _EPOCH_FIRST <= seconds < _EPOCH_AFTER_LAST:
            return _EPOCH + dt.timedelta(seconds=seconds), None
    shown = text if len(text) <= 30 else f"{text[:30]}…"
    return None, (
        f"警告：环境变量 SOURCE_DATE_EPOCH 的值 {shown} 无效（应为 1970-01-01 起的秒数，"
        f"且在 {MIN_EPOCH_YEAR} 至 {MAX_YEAR} 年之间），已忽略：成果日期取自各文档的日期"
    )


_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_FIRST = int((dt.datetime(MIN_EPOCH_YEAR, 1, 1) - _EPOCH).total_seconds())
_EPOCH_AFTER_LAST = int((dt.datetime(MAX_YEAR + 1, 1, 1) - _EPOCH).total_seconds())


GLOBAL_INPUTS = ("templates",)
"""Every output depends on the templates in use (profile, style, document templates, fonts)."""


def _inputs(paths: WorkspacePaths, *items: str) -> tuple[str, ...]:
    templates = paths.templates
    local = templates.resolve().is_relative_to(paths.root.resolve())
    return (*items, *(GLOBAL_INPUTS if local else ()))


def document_targets(
    spec: documents.DocumentSpec,
    folder: Path,
    paths: WorkspacePaths,
    style: Style,
    options: BuildOptions,
) -> list[Target]:
    """The DOCX and PDF of one document."""
    stamp = source_stamp(spec.date)
    source = SourceRef(spec.sources[0] if spec.sources else "towns")
    inputs = _inputs(paths, *spec.sources)

    def make_docx() -> Made:
        # The TOC's page numbers are the PDF's: the DOCX lays out the same HTML as the PDF target
        # (same inputs, so the same pages; in one process the PDF target reuses this layout).
        contents = documents.contents(
            spec, style, paths.root, font_faces(paths.fonts),
            functools.partial(_anchor_pages, mounts=paths.mounts()),
        )  # fmt: skip
        data, problems = documents.to_docx(spec, style, paths.root, stamp, contents)
        data = fixed_zip_times(data, stamp)
        return Made(data, problems + selfcheck.check_docx(data))

    def make_pdf() -> Made:
        from townplans.render.pdf import html_to_pdf

        html, problems = documents.to_html(spec, style, paths.root, font_faces(paths.fonts))
        data, warnings = html_to_pdf(html, paths.mounts(), options.pdf_variant)
        return Made(data, problems + selfcheck.check_pdf(data, warnings))

    return [
        Target(f"{spec.name}.docx", folder / f"{spec.name}.docx", inputs, make_docx, source),
        Target(
            f"{spec.name}.pdf",
            folder / f"{spec.name}.pdf",
            inputs,
            make_pdf,
            source,
            options.pdf_variant or "",
        ),
    ]


def revision_targets(
    spec: documents.DocumentSpec,
    folder: Path,
    paths: WorkspacePaths,
    style: Style,
    options: BuildOptions,
    town: str,
) -> list[Target]:
    """The 修改对照表 (DOCX, PDF) and the tracked-changes DOCX of a document whose front matter
    names a ``compare_to`` revision: the working tree's text compared with that revision's. The
    revision's commit and HEAD's are part of the key, so moving the tag (or committing) rebuilds
    them. A revision git cannot find makes none (``check`` says so: TP210)."""
    if not spec.compare_to or not spec.text:
        return []
    from townplans import gitrev
    from townplans.revision import outputs, table
    from townplans.revision.history import Document, compare_document

    base = gitrev.lookup(paths.root, spec.compare_to)
    head = gitrev.lookup(paths.root, "HEAD")
    if base.commit is None:
        return []
    compared = spec.text[0]
    single = compared.endswith(".md")
    document = Document(
        spec.name,
        files=spec.text if single else (),
        folder="" if single else compared,
        tag_prefix=f"{town}-",
    )
    stamp = source_stamp(spec.date)
    salt = f"{spec.compare_to}={base.commit};HEAD={head.commit or ''}"
    inputs = _inputs(paths, *spec.sources)
    source = SourceRef(spec.sources[0] if spec.sources else "towns")

    @functools.cache
    def comparison() -> tuple[documents.DocumentSpec, Comparison]:
        found = compare_document(paths.root, document, spec.compare_to, None, now=stamp)
        return table.spec(found, paths.root, spec.sources), found

    def make(kind: str) -> Made:
        made, found = comparison()
        if kind == "docx":
            data = outputs.table_docx(made, style, paths, stamp)
            return Made(data, selfcheck.check_docx(data))
        if kind == "pdf":
            data = outputs.table_pdf(made, style, paths, options.pdf_variant)
            return Made(data, selfcheck.check_pdf(data, []))
        tracked = outputs.tracked_docx(spec, found, style, paths, stamp)
        return Made(tracked, selfcheck.check_docx(tracked))

    name = safe_name(table.suffix(spec.name), "修改对照表")
    made = [
        Target(f"{name}.docx", folder / f"{name}.docx", inputs, lambda: make("docx"), source, salt),
        Target(f"{name}.pdf", folder / f"{name}.pdf", inputs, lambda: make("pdf"), source,
               salt + (options.pdf_variant or "")),
    ]  # fmt: skip
    tracked = outputs.tracked_name(spec.name)
    made.append(Target(tracked, folder / tracked, inputs, lambda: make("tracked"), source, salt))
    return made


def _anchor_pages(html: str, mounts: dict[str, Path]) -> dict[str, int]:
    from townplans.render.pdf import anchor_pages  # WeasyPrint only when a document is written

    return anchor_pages(html, mounts)


def font_faces(folder: Path) -> str:
    """@font-face rules for fonts a district puts in templates/fonts/, by their family names."""
    if not folder.is_dir():
        return ""
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency

    rules = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        try:
            font = TTFont(str(path), fontNumber=0, lazy=True)
            family = font["name"].getDebugName(1) or path.stem
        except Exception:  # noqa: BLE001 - a broken font file must not stop the build
            family = path.stem
        url = resource_url(TEMPLATES, f"fonts/{path.name}")
        rules.append(f'@font-face {{ font-family: "{family}"; src: url("{url}"); }}')
    return "\n".join(rules)


@dataclass(frozen=True, slots=True)
class PhotoCache:
    """build/.cache/photos: prepared photos by content hash; written atomically, never stale.

    Files are written only inside ``root`` (the build folder; by default the cache folder itself),
    and a cached photo is used only when it is a regular file there: a symlink or FIFO planted in
    the cache is never read."""

    folder: Path
    root: Path | None = None

    def get(self, key: str) -> Path | None:
        path = self._path(key)
        try:
            confine(path, self.root or self.folder)
            info = os.lstat(path)
        except (PathPolicyError, OSError):
            return None
        return path if stat.S_ISREG(info.st_mode) else None

    def put(self, key: str, data: bytes) -> Path:
        return write_atomic(self.root or self.folder, self._path(key), data)

    def _path(self, key: str) -> Path:
        return self.folder / safe_name(f"{key}.jpg", "photo.jpg")


def town_folder(build_dir: Path, slug: str) -> Path:
    """build/<town>/: the one place a town's output folder is named (packages and the index too)."""
    return build_dir / safe_name(slug, "town")


def album_targets(
    town: Town,
    paths: WorkspacePaths,
    style: Style,
    profile: Profile,
    workspace: Workspace,
    options: BuildOptions,
) -> list[Target]:
    """The town's 观摩图册 as PDF and DOCX; each target prepares photos through the shared cache."""
    from townplans.render import album  # python-docx and the photo pipeline only when building

    district = workspace.district
    year = str(district.meta.get("plan_year") or "") if district.meta else ""
    cache = PhotoCache(paths.build / ".cache" / "photos", paths.build)

    def model() -> album.Album:
        return album.album_model(
            town, profile, paths.root, cache, district.name, f"{year}年" if year else ""
        )

    name = safe_name(f"{town.name}小城镇建设观摩图册", "观摩图册")  # a town's name is content
    folder = town_folder(paths.build, town.slug)
    source = SourceRef(town.folder)
    inputs = _inputs(
        paths,
        f"{town.folder}/projects",
        f"{town.folder}/construction-plan.md",
        "towns/district.yaml",
    )

    def make_docx() -> Made:
        made = model()
        # The contents' page numbers are the PDF album's (its HTML laid out as the PDF target does).
        pages = _anchor_pages(album.album_html(made, style, paths.root), paths.mounts())
        stamp = source_stamp(album.album_date(made))
        data = album.album_docx(
            made, style, paths.root, album.album_contents(made, pages), town.name, stamp
        )
        data = fixed_zip_times(data, stamp)
        return Made(data, selfcheck.check_docx(data), made.prepared, made.cached)

    def make_pdf() -> Made:
        from townplans.render.pdf import html_to_pdf

        made = model()
        data, warnings = html_to_pdf(
            album.album_html(made, style, paths.root), paths.mounts(), options.pdf_variant
        )
        return Made(data, selfcheck.check_pdf(data, warnings), made.prepared, made.cached)

    return [  # the DOCX first: in one process the PDF then prints the layout the DOCX measured
        Target(f"{name}.docx", folder / f"{name}.docx", inputs, make_docx, source),
        Target(
            f"{name}.pdf",
            folder / f"{name}.pdf",
            inputs,
            make_pdf,
            source,
            options.pdf_variant or "",
        ),
    ]


def report_targets(
    town: Town, paths: WorkspacePaths, render: Callable[[str], bytes], today: dt.date
) -> list[Target]:
    """The town's check report, as a page for reviewers and as JSON for tools."""
    folder = town_folder(paths.build, town.slug)
    inputs = _inputs(paths, town.folder, "towns/district.yaml")
    source = SourceRef(town.folder)

    def maker(kind: str) -> Callable[[], Made]:
        return lambda: Made(render(kind))

    name = safe_name(f"{town.name}材料检查报告", "材料检查报告")
    return [
        Target(
            f"{name}.{kind}",
            folder / f"{name}.{kind}",
            inputs,
            maker(kind),
            source,
            today.isoformat(),
        )
        for kind in ("html", "json")
    ]


@dataclass(frozen=True, slots=True)
class Plan:
    """What a build would make, and the outputs of the district the plan does not cover."""

    targets: list[Target]
    partial: bool
    """True when only some towns are built (stale outputs of other towns are then left alone)."""


def plan_targets(
    workspace: Workspace,
    paths: WorkspacePaths,
    style: Style,
    profile: Profile,
    options: BuildOptions,
    reports: Callable[[Town, str], bytes] | None = None,
    district_outputs: Callable[[documents.Assembler, list[Target]], list[Target]] | None = None,
    today: dt.date | None = None,
) -> Plan:
    """Every output of the selected towns, and the district's own outputs when given."""
    assembler = documents.Assembler(
        paths.root, profile, documents.Templates(paths.templates / "documents"), workspace.district
    )
    targets: list[Target] = []
    for town in workspace.district.towns:
        if options.towns and town.slug not in options.towns:
            continue
        for spec in assembler.town_documents(town):
            targets += document_targets(
                spec, town_folder(paths.build, town.slug), paths, style, options
            )
            targets += revision_targets(
                spec, town_folder(paths.build, town.slug), paths, style, options, town.slug
            )
        if town.projects:
            targets += album_targets(town, paths, style, profile, workspace, options)
        if reports is not None:
            targets += report_targets(
                town, paths, functools.partial(reports, town), today or dt.date.today()
            )
    if district_outputs is not None:
        targets += district_outputs(assembler, list(targets))
    return Plan(targets, bool(options.towns))


# -- running a build ----------------------------------------------------------------------------------------------

Progress = Callable[[int, int, str, str], None]
"""progress(done, total, output label, state) where state is 已生成 / 未变化 / 失败 / 删除."""


def build(plan: Plan, paths: WorkspacePaths, options: BuildOptions, progress: Progress | None = None,
          worker: Callable[[str], Made] | None = None, known: dict[str, str] | None = None,
          probe_cache: ProbeCache | None = None) -> BuildReport:  # fmt: skip
    """Make what changed, remove what is gone, record the manifest; under the build lock. A build
    folder that cannot be used (a file, a symlink, no permission, a full disk) is a
    ``BuildFolderError`` naming the path; an output that cannot be written is a failed output."""
    usable_build_folder(paths.build)
    try:
        return _build(plan, paths, options, progress, worker, probe_cache, known)
    except (OSError, PathPolicyError) as exc:
        detail = os_error(exc, exc.filename or paths.build) if isinstance(exc, OSError) else exc
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


def _build(plan: Plan, paths: WorkspacePaths, options: BuildOptions, progress: Progress | None,
           worker: Callable[[str], Made] | None, probe_cache: ProbeCache | None,
           known: dict[str, str] | None = None) -> BuildReport:  # fmt: skip
    """``build`` once the build folder is known to be a folder: the lock held throughout."""
    report = BuildReport()
    with build_lock(paths.build, options.wait) as note:
        try:
            _locked_build(plan, paths, options, progress, worker, probe_cache, known, report, note)
        except BaseException:
            # Ctrl+C or a failure: workers are stopped (``_make_all``); what they and this
            # process had half-written goes before the lock is released
            with interrupts_deferred():
                _clean_temporaries(paths.build)
            raise
    return report


def _locked_build(plan: Plan, paths: WorkspacePaths, options: BuildOptions,
                  progress: Progress | None, worker: Callable[[str], Made] | None,
                  probe_cache: ProbeCache | None, known: dict[str, str] | None,
                  report: BuildReport, note: str | None) -> None:  # fmt: skip
    """The build itself, under the lock: fills ``report``."""
    report.notes += [n for n in (note, source_date_epoch()[1]) if n]
    _clean_temporaries(paths.build)
    if probe_cache is not None and probe_cache.changed and not options.dry_run:
        # before any worker starts: each reloads the workspace and reuses these probes
        write_atomic(paths.build, paths.probe_cache, probe_cache.to_json().encode("utf-8"))
    manifest = Manifest.read(paths.build)
    report.notes += manifest.notes
    targets = _checked_targets(plan.targets, paths.build, report)
    decisions = decide(
        targets, manifest, InputHasher(paths.root, known), paths.build, options.force
    )
    stale = [] if plan.partial else _stale(manifest, targets, paths.build)
    if options.dry_run:
        _dry_run(report, decisions, stale, paths.build)
        return
    progress = progress or (lambda done, total, label, state: None)
    total = len(decisions) + len(stale)
    for decision in (d for d in decisions if not d.rebuild):
        report.up_to_date.append(decision.target.path)
        progress(len(report.up_to_date), total, decision.target.label, "未变化")
    # closing(): when this loop stops early (Ctrl+C while an output is written), the generator
    # stops its worker processes now, not whenever it is collected
    with closing(_make_all([d for d in decisions if d.rebuild], options.jobs, worker)) as made_all:
        for done, (decision, made) in enumerate(made_all, start=len(report.up_to_date) + 1):
            state = _record(decision, made, manifest, report, paths.build)
            progress(done, total, decision.target.label, state)
            manifest.write(paths.build)  # after each output: an interrupted build keeps it
    for done, path in enumerate(stale, start=total - len(stale) + 1):
        _remove_stale(path, manifest, report, paths.build)
        progress(done, total, path.name, "删除")
    manifest.write(paths.build)


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
            _failed(target, problem, report)
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
    if jobs <= 1 or worker is None or len(decisions) < 2:
        for decision in decisions:
            yield decision, _safely(decision.target.make)
        return
    groups = _same_document(decisions)
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
    return [_safely(functools.partial(worker, path)) for path in paths]


def _safely(make: Callable[[], Made]) -> Made | Exception:
    try:
        with fewer_collections():
            return make()
    except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
        return exc


COLLECTION_THRESHOLDS = (50_000, 20, 100)
"""Python's cycle-collector thresholds while a target is made (the default is 700, 10, 10)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cycle collector run less often while one target is made, and in full after it.

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


def _record(
    decision: Decision,
    made: Made | Exception,
    manifest: Manifest,
    report: BuildReport,
    build_dir: Path,
) -> str:
    target = decision.target
    if isinstance(made, Exception):
        return _failed(target, made, report)
    for problem in made.problems:
        message = f"“{target.label}”：{problem.message}"
        report.findings.append(
            Finding(problem.code, problem.severity, message, problem.ref or target.source)
        )
    try:
        info = write_atomic(build_dir, target.path, made.data).stat()
    except (OSError, PathPolicyError) as exc:  # a full disk, a folder in the way: this output only
        return _failed(target, exc, report)
    manifest.outputs[_rel(target.path, build_dir)] = {
        "key": decision.key,
        "sha256": hashlib.sha256(made.data).hexdigest(),
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "inputs": decision.inputs,
    }
    report.built.append(target.path)
    report.photos_prepared += made.photos_prepared
    report.photos_cached += made.photos_cached
    return "已生成"


def _failed(target: Target, error: Exception, report: BuildReport) -> str:
    report.findings.append(failure_finding(target, error))
    report.failed.append(target.path)
    return "失败"


def failure_finding(target: Target, error: Exception) -> Finding:
    """A target that could not be made, as a finding: a template's own mistake at its line
    (TP791), an operating-system error in Chinese, anything else as an internal error (TP790):
    Chinese only, its class and English text with ``--debug``."""
    if isinstance(error, TemplateError):
        message = f"生成“{target.label}”时模板出错：{error.message}"
        return Finding("TP791", Severity.ERROR, message, SourceRef(error.path, error.line))
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


def fixed_zip_times(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite a zip (DOCX) with every entry dated ``stamp``: python-docx uses the current time."""
    date_time = zip_date_time(stamp)
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return output.getvalue()
