"""Targets and writing: decide what each town's outputs are and write them; the only module that
writes under ``build/``.

Every document is written as DOCX and PDF from one ``DocumentSpec``. Outputs are written
atomically (temporary file, then rename) so a reader never sees half a file, DOCX zips get fixed
timestamps (SOURCE_DATE_EPOCH, else the document's own date) so the same input gives the same
bytes, and each file is read back by the TP7xx self-checks after writing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from townplans.model import Finding, SourceRef, Town, Workspace
from townplans.paths import WorkspacePaths
from townplans.profile import Profile
from townplans.render import album, documents, selfcheck
from townplans.render.html import TEMPLATES, resource_url
from townplans.render.style import Style

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


@dataclass(frozen=True, slots=True)
class Target:
    """One output file and the function that produces its bytes and its self-check problems."""

    label: str
    path: Path
    make: Callable[[], tuple[bytes, list[selfcheck.OutputProblem]]]
    source: SourceRef


@dataclass
class BuildReport:
    """What a build wrote and what went wrong on the way."""

    written: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    photos_prepared: int = 0
    """Photos decoded and resized by this build; 0 when all came from the cache."""
    photos_cached: int = 0


class AlbumJob:
    """One town's album model, made once and shared by its PDF and DOCX targets."""

    def __init__(self, make: Callable[[], album.Album]) -> None:
        self._make = make
        self._album: album.Album | None = None

    def get(self) -> album.Album:
        if self._album is None:
            self._album = self._make()
        return self._album

    @property
    def stats(self) -> tuple[int, int]:
        return (self._album.prepared, self._album.cached) if self._album else (0, 0)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    towns: tuple[str, ...] = ()
    pdf_variant: str | None = None
    """"pdf/a-2b" to make archival PDFs."""


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


def source_stamp(document_date: dt.date | None) -> dt.datetime:
    """The timestamp written into outputs: SOURCE_DATE_EPOCH, else the document's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    if document_date is not None:
        return dt.datetime.combine(document_date, dt.time())
    return dt.datetime(2000, 1, 1)


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

    def make_docx() -> tuple[bytes, list[selfcheck.OutputProblem]]:
        data, problems = documents.to_docx(spec, style, paths.root, stamp)
        data = fixed_zip_times(data, stamp)
        return data, _render_problems(problems) + selfcheck.check_docx(data)

    def make_pdf() -> tuple[bytes, list[selfcheck.OutputProblem]]:
        from townplans.render.pdf import html_to_pdf

        html, problems = documents.to_html(spec, style, paths.root, font_faces(paths.fonts))
        data, warnings = html_to_pdf(html, paths.mounts(), options.pdf_variant)
        return data, _render_problems(problems) + selfcheck.check_pdf(data, warnings)

    return [
        Target(f"{spec.name}.docx", folder / f"{spec.name}.docx", make_docx, source),
        Target(f"{spec.name}.pdf", folder / f"{spec.name}.pdf", make_pdf, source),
    ]


def _render_problems(problems: Sequence[str]) -> list[selfcheck.OutputProblem]:
    return [
        selfcheck.OutputProblem("TP702" if "表格中" in problem else "TP701", problem)
        for problem in problems
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


def album_targets(
    town: Town,
    paths: WorkspacePaths,
    style: Style,
    profile: Profile,
    workspace: Workspace,
    options: BuildOptions,
) -> tuple[list[Target], AlbumJob]:
    """The town's 观摩图册 as PDF and DOCX, sharing one prepared album."""
    district = workspace.district
    year = str(district.meta.get("plan_year") or "") if district.meta else ""
    cache = PhotoCache(paths.build / ".cache" / "photos")
    job = AlbumJob(
        lambda: album.album_model(
            town, profile, paths.root, cache, district.name, f"{year}年" if year else ""
        )
    )
    name = f"{town.name}小城镇建设观摩图册"
    folder = paths.build / town.slug
    source = SourceRef(town.folder)

    def make_docx() -> tuple[bytes, list[selfcheck.OutputProblem]]:
        data = fixed_zip_times(album.album_docx(job.get(), style, paths.root), source_stamp(None))
        return data, selfcheck.check_docx(data)

    def make_pdf() -> tuple[bytes, list[selfcheck.OutputProblem]]:
        from townplans.render.pdf import html_to_pdf

        data, warnings = html_to_pdf(
            album.album_html(job.get(), style, paths.root), paths.mounts(), options.pdf_variant
        )
        return data, selfcheck.check_pdf(data, warnings)

    targets = [
        Target(f"{name}.pdf", folder / f"{name}.pdf", make_pdf, source),
        Target(f"{name}.docx", folder / f"{name}.docx", make_docx, source),
    ]
    return targets, job


def plan_targets(
    workspace: Workspace,
    paths: WorkspacePaths,
    style: Style,
    profile: Profile,
    options: BuildOptions,
    summary: Callable[[documents.Assembler], documents.DocumentSpec] | None = None,
) -> Plan:
    """Every output of the selected towns, and the district summary when ``summary`` is given."""
    assembler = documents.Assembler(
        paths.root, profile, documents.Templates(paths.templates / "documents"), workspace.district
    )
    targets: list[Target] = []
    jobs: list[AlbumJob] = []
    for town in workspace.district.towns:
        if options.towns and town.slug not in options.towns:
            continue
        for spec in assembler.town_documents(town):
            targets += document_targets(spec, paths.build / town.slug, paths, style, options)
        if town.projects:
            album_files, job = album_targets(town, paths, style, profile, workspace, options)
            targets += album_files
            jobs.append(job)
    if summary is not None:
        targets += document_targets(summary(assembler), paths.build, paths, style, options)
    return Plan(targets, jobs)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a build will make."""

    targets: list[Target]
    albums: list[AlbumJob]


def build(plan: Plan) -> BuildReport:
    """Make and write every target; one failing target never stops the others."""
    report = BuildReport()
    for target in plan.targets:
        _build_target(target, report)
    for job in plan.albums:
        prepared, cached = job.stats
        report.photos_prepared += prepared
        report.photos_cached += cached
    return report


def _build_target(target: Target, report: BuildReport) -> None:
    try:
        data, problems = target.make()
    except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
        message = f"生成“{target.label}”失败：{type(exc).__name__}: {exc}"
        report.findings.append(
            Finding("TP790", selfcheck.OUTPUT_RULES[-1].severity, message, target.source)
        )
        return
    for problem in problems:
        message = f"“{target.label}”：{problem.message}"
        report.findings.append(
            Finding(problem.code, problem.severity, message, target.source, "practice")
        )
    write_atomic(target.path, data)
    report.written.append(target.path)


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
