"""The files a comparison is written to, for ``townplans diff`` and for ``build`` alike: the
修改对照表 as DOCX and PDF (``table``, through the document writers), and the tracked-changes
DOCX (``tracked``, issue 13 part 3) once its writer is merged."""

from __future__ import annotations

import datetime as dt
import importlib.util
import tempfile
from pathlib import Path

from townplans.fs import safe_name
from townplans.paths import WorkspacePaths
from townplans.render import documents
from townplans.render.style import Style
from townplans.revision.model import Comparison


def table_name(spec: documents.DocumentSpec) -> str:
    """<document>修改对照表, as a file name without suffix."""
    return safe_name(spec.name, "修改对照表")


def tracked_name(title: str) -> str:
    """<document>（修订标记）.docx: the new version with Word's tracked changes."""
    return safe_name(f"{title}（修订标记）", "修订标记") + ".docx"


def table_docx(
    spec: documents.DocumentSpec, style: Style, paths: WorkspacePaths, stamp: dt.datetime
) -> bytes:
    from townplans.build import fixed_zip_times

    data, _ = documents.to_docx(spec, style, paths.root, stamp)
    return fixed_zip_times(data, stamp)


def table_pdf(
    spec: documents.DocumentSpec, style: Style, paths: WorkspacePaths, variant: str | None = None
) -> bytes:
    from townplans.build import font_faces
    from townplans.render.pdf import html_to_pdf

    html, _ = documents.to_html(spec, style, paths.root, font_faces(paths.fonts))
    data, _ = html_to_pdf(html, paths.mounts(), variant)
    return data


def tracked_available() -> bool:
    """Whether the tracked-changes writer is there (issue 13 part 3 merged)."""
    return importlib.util.find_spec("townplans.revision.tracked") is not None


def tracked_docx(comparison: Comparison, stamp: dt.datetime) -> bytes | None:
    """The tracked-changes DOCX of ``comparison``, or None while its writer
    (``townplans.revision.tracked``, issue 13 part 3, on its own branch) is not merged.

    Merging it: drop the ``type: ignore`` on the import below and fit the one call to the
    writer's final signature."""
    from townplans.build import fixed_zip_times

    try:
        from townplans.revision.tracked import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
            write_tracked_docx,
        )
    except ImportError:
        return None
    with tempfile.TemporaryDirectory(prefix="townplans-tracked-") as folder:
        path = Path(folder) / "tracked.docx"
        write_tracked_docx(comparison, path=path)
        return fixed_zip_times(path.read_bytes(), stamp)


def all_outputs(
    spec: documents.DocumentSpec,
    comparison: Comparison,
    style: Style,
    paths: WorkspacePaths,
    stamp: dt.datetime,
) -> dict[str, bytes]:
    """Every file of a comparison by its file name."""
    name = table_name(spec)
    made = {
        f"{name}.docx": table_docx(spec, style, paths, stamp),
        f"{name}.pdf": table_pdf(spec, style, paths),
    }
    tracked = tracked_docx(comparison, stamp)
    if tracked is not None:
        made[tracked_name(comparison.title)] = tracked
    return made
