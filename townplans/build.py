"""Targets and writing: decide what each town's outputs are and write them; the only module that
writes under ``build/``.

Outputs are written atomically (temporary file, then rename) so a reader never sees half a file,
and DOCX zips get fixed timestamps (SOURCE_DATE_EPOCH, else the document's own date) so the same
input gives the same bytes.
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

from townplans.model import Finding, Severity, SourceRef, Town, Workspace
from townplans.paths import WorkspacePaths
from townplans.render import documents
from townplans.render.html import TEMPLATES, resource_url
from townplans.render.style import Style

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


@dataclass(frozen=True, slots=True)
class Target:
    """One output file and the function that produces its bytes."""

    town: str
    label: str
    path: Path
    make: Callable[[], tuple[bytes, list[str]]]
    source: SourceRef


@dataclass
class BuildReport:
    """What a build wrote and what went wrong on the way."""

    written: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def source_stamp(document_date: dt.date | None) -> dt.datetime:
    """The timestamp written into outputs: SOURCE_DATE_EPOCH, else the document's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    if document_date is not None:
        return dt.datetime.combine(document_date, dt.time())
    return dt.datetime(2000, 1, 1)


def master_plan_targets(town: Town, paths: WorkspacePaths, style: Style) -> list[Target]:
    """The master plan as DOCX and PDF under build/<town>/, named in Chinese."""
    plan = town.master_plan
    if plan is None or not plan.chapters:
        return []
    parts = documents.master_plan_parts(town, plan)
    stamp = source_stamp(parts.date)
    folder = paths.build / town.slug
    name = (
        parts.title.split("（")[0] if parts.title.startswith(town.name) else f"{town.name}总体规划"
    )
    source = plan.chapters[0].ref

    def make_docx() -> tuple[bytes, list[str]]:
        data, problems = documents.to_docx(parts, style, paths.root, stamp)
        return fixed_zip_times(data, stamp), problems

    def make_pdf() -> tuple[bytes, list[str]]:
        from townplans.render.pdf import html_to_pdf

        html = documents.to_html(parts, style, paths.root, font_faces(paths.fonts))
        return html_to_pdf(html, paths.mounts())

    return [
        Target(town.slug, f"{name}.docx", folder / f"{name}.docx", make_docx, source),
        Target(town.slug, f"{name}.pdf", folder / f"{name}.pdf", make_pdf, source),
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


def build(
    workspace: Workspace, paths: WorkspacePaths, style: Style, towns: Sequence[str] = ()
) -> BuildReport:
    """Build every selected town's outputs; one failing target never stops the others."""
    report = BuildReport()
    for town in workspace.district.towns:
        if towns and town.slug not in towns:
            continue
        for target in master_plan_targets(town, paths, style):
            _build_target(target, report)
    return report


def _build_target(target: Target, report: BuildReport) -> None:
    try:
        data, problems = target.make()
    except Exception as exc:  # noqa: BLE001 - reported as a finding; other targets go on
        message = f"生成“{target.label}”失败：{type(exc).__name__}: {exc}"
        report.findings.append(Finding("TP790", Severity.ERROR, message, target.source))
        return
    for problem in problems:
        message = f"生成“{target.label}”时：{problem}"
        report.findings.append(Finding("TP701", Severity.WARNING, message, target.source))
    write_atomic(target.path, data)
    report.written.append(target.path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
