"""The files a comparison is written to, for ``townplans diff`` and for ``build`` alike: the
修改对照表 as DOCX and PDF (``table``, through the document writers), and the tracked-changes
DOCX (``tracked``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from townplans.fs import safe_name
from townplans.paths import WorkspacePaths
from townplans.render import documents
from townplans.render.html import font_faces
from townplans.render.ooxml import TocLine
from townplans.render.style import Style
from townplans.reproducible import fixed_zip_times
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
    data, _ = documents.to_docx(spec, style, paths.root, stamp)
    return fixed_zip_times(data, stamp)


def table_pdf(
    spec: documents.DocumentSpec, style: Style, paths: WorkspacePaths, variant: str | None = None
) -> bytes:
    from townplans.render.pdf import html_to_pdf

    html, _ = documents.to_html(spec, style, paths.root, font_faces(paths.fonts))
    data, _ = html_to_pdf(html, paths.mounts(), variant)
    return data


def tracked_docx(
    document: documents.DocumentSpec | None,
    comparison: Comparison,
    style: Style,
    paths: WorkspacePaths,
    stamp: dt.datetime,
    contents: Sequence[TocLine] = (),
) -> bytes:
    """The tracked-changes DOCX of ``comparison``: the built ``document`` (its cover, 修订记录,
    contents ``contents``, header, watermark, captions and properties) with its text's changes
    as Word revisions; for a file ``build`` does not make (``document`` None), its text alone
    under a cover, with the properties every build output has."""
    from townplans.revision import tracked

    if document is not None:
        data, _ = tracked.tracked_document(document, comparison, paths.root, style, stamp, contents)
        return fixed_zip_times(data, stamp)
    data, _ = tracked.tracked_docx(comparison, paths.root, style, stamp=stamp)
    return fixed_zip_times(data, stamp)


def all_outputs(
    spec: documents.DocumentSpec,
    comparison: Comparison,
    style: Style,
    paths: WorkspacePaths,
    stamp: dt.datetime,
    document: documents.DocumentSpec | None = None,
    contents: Sequence[TocLine] = (),
) -> dict[str, bytes]:
    """Every file of a comparison by its file name: the 修改对照表 ``spec`` and the tracked
    changes of ``document`` (``tracked_docx``)."""
    name = table_name(spec)
    made = {
        f"{name}.docx": table_docx(spec, style, paths, stamp),
        f"{name}.pdf": table_pdf(spec, style, paths),
    }
    made[tracked_name(comparison.title)] = tracked_docx(
        document, comparison, style, paths, stamp, contents
    )
    return made
