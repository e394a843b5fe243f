"""The build system: targets, their declared inputs, the manifest, incremental and parallel
building, atomic writes and the build lock. The only module that writes under ``build/``.

Every output is a ``Target`` that names the files and folders it is made from. The manifest
(``build/.manifest.json``) records, per output, the hash of every input (plus the templates and
the townplans version) and of the output itself, so a rebuild makes only outputs whose inputs
changed, says why, and removes outputs whose content is gone. Outputs are written to a temporary
file and renamed, so an interrupted build leaves each file old or new, never partial; a lock
(``build/.lock``) keeps two builds from interleaving. Outputs are byte-identical for the same
inputs (fixed timestamps, honouring SOURCE_DATE_EPOCH), whether built with one job or several.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import io
import json
import os
import socket
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from townplans import __version__
from townplans.fs import os_error
from townplans.load.images import ProbeCache
from townplans.model import Finding, Severity, SourceRef, Town, Workspace
from townplans.paths import WorkspacePaths
from townplans.profile import Profile
from townplans.render import documents, selfcheck
from townplans.render.html import TEMPLATES, resource_url
from townplans.render.style import Style
from townplans.templating import TemplateError

if TYPE_CHECKING:
    from townplans.render import album

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")
MANIFEST = ".manifest.json"
LOCK = ".lock"


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
                files = (p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
                self._listings[item] = sorted(p.relative_to(self.root).as_posix() for p in files)
            else:
                self._listings[item] = [item]
        return self._listings[item]

    def _file(self, relative: str) -> str:
        if relative not in self._files:
            self._files[relative] = hashlib.sha256((self.root / relative).read_bytes()).hexdigest()
        return self._files[relative]


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(base).parts)


def target_key(inputs: dict[str, str], target: Target) -> str:
    body = json.dumps(
        [__version__, target.label, target.salt, sorted(inputs.items())], ensure_ascii=False
    )
    return hashlib.sha256(body.encode()).hexdigest()


# -- the manifest --------------------------------------------------------------------------------------------


@dataclass
class Manifest:
    """build/.manifest.json: per output (relative to build/), its key, inputs and hash."""

    outputs: dict[str, dict[str, object]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            return cls(dict(data.get("outputs", {})))
        except (OSError, ValueError, AttributeError):
            return cls()

    def write(self, folder: Path) -> None:
        """Write the manifest when it changed (a no-op build leaves it untouched)."""
        data = {"townplans": __version__, "outputs": dict(sorted(self.outputs.items()))}
        encoded = (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode()
        path = folder / MANIFEST
        if not path.is_file() or path.read_bytes() != encoded:
            write_atomic(path, encoded)


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
    """Size and mtime as written, or (when they moved, e.g. after a copy) the same content."""
    stat = path.stat()
    if stat.st_size == recorded.get("size") and stat.st_mtime_ns == recorded.get("mtime_ns"):
        return True
    return hashlib.sha256(path.read_bytes()).hexdigest() == recorded.get("sha256")


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
    if not target.path.is_file():
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
    ``wait`` seconds, then refused with the holder's pid."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
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
        yield note
        os.ftruncate(handle, 0)
    finally:
        os.close(handle)  # closing releases the lock


# -- targets ------------------------------------------------------------------------------------------------------


def source_stamp(document_date: dt.date | None) -> dt.datetime:
    """The timestamp written into outputs: SOURCE_DATE_EPOCH, else the document's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    if document_date is not None:
        return dt.datetime.combine(document_date, dt.time())
    return dt.datetime(2000, 1, 1)


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
        data, problems = documents.to_docx(spec, style, paths.root, stamp)
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
    """build/.cache/photos: prepared photos by content hash; written atomically, never stale."""

    folder: Path

    def get(self, key: str) -> Path | None:
        path = self.folder / f"{key}.jpg"
        return path if path.is_file() else None

    def put(self, key: str, data: bytes) -> Path:
        path = self.folder / f"{key}.jpg"
        write_atomic(path, data)
        return path


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
    cache = PhotoCache(paths.build / ".cache" / "photos")

    def model() -> album.Album:
        return album.album_model(
            town, profile, paths.root, cache, district.name, f"{year}年" if year else ""
        )

    name = f"{town.name}小城镇建设观摩图册"
    folder = paths.build / town.slug
    source = SourceRef(town.folder)
    inputs = _inputs(
        paths,
        f"{town.folder}/projects",
        f"{town.folder}/construction-plan.md",
        "towns/district.yaml",
    )

    def make_docx() -> Made:
        made = model()
        data = fixed_zip_times(album.album_docx(made, style, paths.root), source_stamp(None))
        return Made(data, selfcheck.check_docx(data), made.prepared, made.cached)

    def make_pdf() -> Made:
        from townplans.render.pdf import html_to_pdf

        made = model()
        data, warnings = html_to_pdf(
            album.album_html(made, style, paths.root), paths.mounts(), options.pdf_variant
        )
        return Made(data, selfcheck.check_pdf(data, warnings), made.prepared, made.cached)

    return [
        Target(
            f"{name}.pdf",
            folder / f"{name}.pdf",
            inputs,
            make_pdf,
            source,
            options.pdf_variant or "",
        ),
        Target(f"{name}.docx", folder / f"{name}.docx", inputs, make_docx, source),
    ]


def report_targets(
    town: Town, paths: WorkspacePaths, render: Callable[[str], bytes], today: dt.date
) -> list[Target]:
    """The town's check report, as a page for reviewers and as JSON for tools."""
    folder = paths.build / town.slug
    inputs = _inputs(paths, town.folder, "towns/district.yaml")
    source = SourceRef(town.folder)

    def maker(kind: str) -> Callable[[], Made]:
        return lambda: Made(render(kind))

    name = f"{town.name}材料检查报告"
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
            targets += document_targets(spec, paths.build / town.slug, paths, style, options)
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
    """Make what changed, remove what is gone, record the manifest; under the build lock."""
    report = BuildReport()
    with build_lock(paths.build, options.wait) as note:
        if note:
            report.notes.append(note)
        _clean_temporaries(paths.build)
        if probe_cache is not None and probe_cache.changed and not options.dry_run:
            # before any worker starts: each reloads the workspace and reuses these probes
            write_atomic(paths.probe_cache, probe_cache.to_json().encode("utf-8"))
        manifest = Manifest.read(paths.build)
        decisions = decide(
            plan.targets, manifest, InputHasher(paths.root), paths.build, options.force
        )
        stale = _stale(manifest, plan, paths.build)
        if options.dry_run:
            report.built = [d.target.path for d in decisions if d.rebuild]
            report.up_to_date = [d.target.path for d in decisions if not d.rebuild]
            report.removed = stale
            report.notes += [
                f"将重建 {_rel(d.target.path, paths.build)}：{d.reason}"
                for d in decisions
                if d.rebuild
            ]
            report.notes += [f"将删除 {_rel(p, paths.build)}：对应内容已不存在" for p in stale]
            return report
        total = len(decisions) + len(stale)
        done = 0
        for decision in (d for d in decisions if not d.rebuild):
            done += 1
            report.up_to_date.append(decision.target.path)
            if progress:
                progress(done, total, decision.target.label, "未变化")
        for decision, made in _make_all([d for d in decisions if d.rebuild], options.jobs, worker):
            done += 1
            state = _record(decision, made, manifest, report, paths.build)
            if progress:
                progress(done, total, decision.target.label, state)
            manifest.write(
                paths.build
            )  # after each output: an interrupted build keeps what it made
        for path in stale:
            done += 1
            path.unlink(missing_ok=True)
            manifest.outputs.pop(_rel(path, paths.build), None)
            report.removed.append(path)
            if progress:
                progress(done, total, path.name, "删除")
        manifest.write(paths.build)
    return report


def _rel(path: Path, build_dir: Path) -> str:
    return path.relative_to(build_dir).as_posix()


def _stale(manifest: Manifest, plan: Plan, build_dir: Path) -> list[Path]:
    """Recorded outputs the plan no longer makes (only when building the whole district)."""
    if plan.partial:
        return []
    planned = {_rel(t.path, build_dir) for t in plan.targets}
    return [build_dir / name for name in sorted(manifest.outputs) if name not in planned]


def _make_all(
    decisions: Sequence[Decision], jobs: int, worker: Callable[[str], Made] | None
) -> Iterator[tuple[Decision, Made | Exception]]:
    """Make targets in this process, or in ``jobs`` worker processes (results in plan order)."""
    if jobs <= 1 or worker is None or len(decisions) < 2:
        for decision in decisions:
            yield decision, _safely(decision.target.make)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(worker, str(decision.target.path)) for decision in decisions]
        for decision, future in zip(decisions, futures, strict=True):
            try:
                yield decision, future.result()
            except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
                yield decision, exc


def _safely(make: Callable[[], Made]) -> Made | Exception:
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
        return exc


def _record(
    decision: Decision,
    made: Made | Exception,
    manifest: Manifest,
    report: BuildReport,
    build_dir: Path,
) -> str:
    target = decision.target
    if isinstance(made, Exception):
        report.findings.append(failure_finding(target, made))
        report.failed.append(target.path)
        return "失败"
    for problem in made.problems:
        message = f"“{target.label}”：{problem.message}"
        report.findings.append(
            Finding(problem.code, problem.severity, message, problem.ref or target.source)
        )
    write_atomic(target.path, made.data)
    stat = target.path.stat()
    manifest.outputs[_rel(target.path, build_dir)] = {
        "key": decision.key,
        "sha256": hashlib.sha256(made.data).hexdigest(),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "inputs": decision.inputs,
    }
    report.built.append(target.path)
    report.photos_prepared += made.photos_prepared
    report.photos_cached += made.photos_cached
    return "已生成"


def failure_finding(target: Target, error: Exception) -> Finding:
    """A target that could not be made, as a finding: a template's own mistake at its line
    (TP791), an operating-system error in Chinese, anything else named with its type (TP790)."""
    if isinstance(error, TemplateError):
        message = f"生成“{target.label}”时模板出错：{error.message}"
        return Finding("TP791", Severity.ERROR, message, SourceRef(error.path, error.line))
    if isinstance(error, OSError):
        detail = os_error(error)
    else:
        detail = (
            f"程序内部错误（{type(error).__name__}: {error}），请把此信息和所用文件报告给维护者"
        )
    if os.environ.get("TOWNPLANS_DEBUG"):
        detail += "\n" + "".join(traceback.format_exception(error))
    return Finding("TP790", Severity.ERROR, f"生成“{target.label}”失败：{detail}", target.source)


def _clean_temporaries(build_dir: Path) -> None:
    """Temporary files a killed build left behind (never a finished output)."""
    for leftover in build_dir.rglob(".tmp-*"):
        leftover.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(handle, 0o644 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def fixed_zip_times(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite a zip (DOCX) with every entry dated ``stamp``: python-docx uses the current time."""
    date_time = (
        max(stamp.year, 1980),
        stamp.month,
        stamp.day,
        stamp.hour,
        stamp.minute,
        stamp.second,
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return output.getvalue()
