"""The pages serve shows, from the jinja2 templates in ``serve/templates/`` (autoescaped):
the dashboard, a town's findings, a source file with line numbers, and the preview of a document
or album.

A preview is the build's print HTML as it is, with four changes: the screen stylesheet and
scripts (``/assets/screen.css`` lays it out in page boxes), each finding's note placed before the
first block at or before its line (``place_notes``, by the blocks' ``data-src``), its
``workspace:`` and ``templates:`` resource URLs turned into serve's ``/workspace/`` and
``/templates/``, and its links made safe (``inert_links``): a link stays a link only to a place in
the page, to the web, or to an image or PDF of the town's (shown by ``/workspace/``); a link to
any other file (a contributor's ``evil.html``) becomes text that shows where it pointed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from townplans import targets
from townplans.model import Finding, Severity
from townplans.render import documents
from townplans.render.album import MARGIN_MM, PAGE_MM
from townplans.render.layout import local_file
from townplans.serve import policy
from townplans.serve.state import Preview, ServeState, TownView

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["url"] = lambda text: quote(str(text))

TEXT_SUFFIXES = (".md", ".yaml", ".yml", ".j2", ".txt", ".json", ".css")
"""Files the source view shows (the ones findings point into)."""

OUTPUT_SUFFIXES = (".pdf", ".docx", ".json", ".zip")
"""Built outputs the dashboard lists. Not build/index.html: the dashboard is its live version, and
serve shows an HTML file it did not write only as its text (``policy``)."""


@dataclass(frozen=True, slots=True)
class Note:
    """A finding with its number in its town's list (``f-<n>`` in the preview)."""

    number: int
    finding: Finding
    preview: str | None = None
    """The URL of the preview that shows it, when its file is part of one."""

    @property
    def line(self) -> int | None:
        return self.finding.ref.line

    @property
    def viewable(self) -> bool:
        """Whether the source view can show its file."""
        return self.finding.ref.path.endswith(TEXT_SUFFIXES)


def preview_url(preview: Preview) -> str:
    return f"/preview/{quote(preview.town)}/{quote(preview.name)}"


def town_notes(state: ServeState, slug: str) -> list[Note]:
    """The town's active findings, numbered, each with the preview it links to."""
    view = state.towns[slug]
    notes = []
    for number, finding in enumerate(view.active, 1):
        preview = state.preview_for(slug, finding.ref.path)
        notes.append(Note(number, finding, preview_url(preview) if preview else None))
    return notes


def _common(state: ServeState, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "district": state.session.workspace.district.name,
        "version": state.version,
        "problem": state.problem,
        "Severity": Severity,
    }


# -- dashboard -----------------------------------------------------------------------------------


def dashboard(state: ServeState) -> str:
    with state.lock:
        profile = state.session.profile
        views = list(state.towns.values())
        towns = [v.town for v in views]
        # The district summary's own cells (documents.district_summary prints the same).
        indicators = [
            (
                indicator.label,
                documents.indicator_target(indicator),
                [documents.indicator_cell(t, key, indicator, state.session.facts) for t in towns],
            )
            for key, indicator in profile.indicators.items()
        ]
        sources = list(profile.lists.get("funding_sources", ()))
        investments = [state.graph.investments(t) for t in towns]
        return _ENV.get_template("dashboard.html").render(
            **_common(state, "总览"),
            deliverables=[d.label for d in profile.deliverables],
            matrix=list(zip(views, state.matrix(), strict=True)),
            indicators=indicators,
            towns=towns,
            investment_header=[
                "镇",
                "项目数",
                "总投资（万元）",
                *sources,
                documents.UNSTATED,
                "累计完成投资",
            ],
            investments=investments,
            district_findings=state.district_findings(),
            previews={v.town.slug: state.town_previews(v.town.slug) for v in views},
            outputs=built_outputs(state),
            preview_url=preview_url,
        )


def built_outputs(state: ServeState) -> list[tuple[str, list[tuple[str, str]]]]:
    """The built files under build/ by folder ("" for the district's), as (name, URL) pairs."""
    base = state.paths.build
    if not base.is_dir() or base.is_symlink():
        return []
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    folders = [("", base)] + [
        (view.town.name, targets.town_folder(base, slug)) for slug, view in state.towns.items()
    ]
    for label, folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        files = sorted(
            p.name
            for p in folder.iterdir()
            if p.suffix in OUTPUT_SUFFIXES and p.is_file() and not p.is_symlink()
        )
        relative = folder.relative_to(base).as_posix()
        prefix = "" if relative == "." else relative + "/"
        if files:
            groups.append((label, [(name, f"/build/{quote(prefix + name)}") for name in files]))
    return groups


# -- a town ----------------------------------------------------------------------------------------


def town_page(state: ServeState, slug: str) -> str:
    with state.lock:
        view = state.towns[slug]
        notes = town_notes(state, slug)
        by_file: dict[str, list[Note]] = {}
        for note in notes:
            by_file.setdefault(note.finding.ref.path, []).append(note)
        return _ENV.get_template("town.html").render(
            **_common(state, view.town.name),
            view=view,
            files=by_file,
            previews=state.town_previews(slug),
            preview_url=preview_url,
            counts=_counts(view),
            waived=len(view.findings) - len(view.active),
        )


def _counts(view: TownView) -> list[tuple[str, int]]:
    return [(s.label, view.count(s)) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)]


# -- a source file -----------------------------------------------------------------------------------


def source_page(state: ServeState, relative: str, text: str) -> str:
    with state.lock:
        slug = next((s for s, v in state.towns.items() if v.town.holds(relative)), "")
        everything = [
            *state.district_findings(),
            *(f for v in state.towns.values() for f in v.active),
        ]
        marks: dict[int, list[Finding]] = {}
        for finding in everything:
            if finding.ref.path == relative:
                marks.setdefault(finding.ref.line or 1, []).append(finding)
        return _ENV.get_template("source.html").render(
            **_common(state, relative),
            path=relative,
            town=slug,
            lines=text.splitlines() or [""],
            marks=marks,
        )


# -- a preview -----------------------------------------------------------------------------------


_URL = re.compile(r"""(src="|url\("|url\('|url\()(workspace|templates):""")
"""Resource URLs only: a link (``href``) is ``inert_links``' to decide."""
_BLOCK = re.compile(
    r'<(?:p|h[1-6]|figure|table|ol|ul|li|blockquote|pre)\b[^>]*?data-src="([^"]*):(\d+)"'
)


def served_urls(html: str) -> str:
    """``workspace:x`` and ``templates:x`` (the print HTML's resource URLs) as serve's URLs."""
    return _URL.sub(lambda m: f"{m.group(1)}/{m.group(2)}/", html)


_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
_HREF = re.compile(r'\shref="([^"]*)"')
_ORIGIN = re.compile(r'data-src="([^"]*):\d+"')
_WEB = re.compile(r"(?i)(https?|mailto):")


def inert_links(html: str, root: Path) -> str:
    """``html`` with every link that would open a workspace file other than an image or a PDF
    turned into a ``<span class="inert-link">`` showing its text and its target: a relative link
    is resolved against the folder of the Markdown file it is written in (the ``data-src`` of
    the block before it); one to an image or PDF under ``towns/`` points to ``/workspace/``.
    Links within the page (``#…``) and to the web are left as they are."""
    origins = [(m.start(), unescape(m.group(1))) for m in _ORIGIN.finditer(html)]
    starts = [at for at, _ in origins]

    def replace(match: re.Match[str]) -> str:
        attributes, text = match.group(1), match.group(2)
        found = _HREF.search(attributes)
        href = unescape(found.group(1)) if found else ""
        if href.startswith("#") or _WEB.match(href):
            return match.group(0)
        index = bisect_right(starts, match.start()) - 1
        served = _served_file(href, origins[index][1] if index >= 0 else None, root)
        if served is not None:
            return f'<a href="{escape(served)}">{text}</a>'
        return (
            f'<span class="inert-link" data-href="{escape(href)}" title="预览中不打开此链接">'
            f'{text}<span class="link-target">（{escape(href)}）</span></span>'
        )

    return _ANCHOR.sub(replace, html)


def _served_file(href: str, origin: str | None, root: Path) -> str | None:
    """The ``/workspace/`` URL of the image or PDF under ``towns/`` that ``href``, written in the
    workspace file ``origin``, names; None for anything else."""
    if origin is None:
        return None
    base = (root / origin).parent
    path = local_file(href.split("#", 1)[0].split("?", 1)[0], base, root)
    if path is None or not policy.shown_inline(path.name):
        return None
    relative = path.relative_to(root.resolve()).as_posix()
    return f"/workspace/{quote(relative)}" if relative.startswith("towns/") else None


def place_notes(html: str, notes: Sequence[Note]) -> tuple[str, list[Note]]:
    """``html`` with each note's aside before the first block of its file at or before its line
    (the file's first block when none is: a front-matter finding); and the notes whose file
    has no block in it (a photo, parcels.yaml, a brief's figures in the 公文's table)."""
    blocks: dict[str, list[tuple[int, int]]] = {}
    for match in _BLOCK.finditer(html):
        blocks.setdefault(match.group(1), []).append((int(match.group(2)), match.start()))
    inserts: list[tuple[int, int, str]] = []
    unplaced = []
    for note in notes:
        found = blocks.get(note.finding.ref.path)
        if not found:
            unplaced.append(note)
            continue
        line = note.line or 0
        before = [b for b in found if b[0] <= line]
        # the last block starting at or before the line; of several on that line, the outermost
        best = max(before, key=lambda b: (b[0], -b[1])) if before else found[0]
        inserts.append((best[1], note.number, note_html(note)))
    pieces, last = [], 0
    for at, _, aside in sorted(inserts):
        pieces += [html[last:at], aside]
        last = at
    pieces.append(html[last:])
    return "".join(pieces), unplaced


def note_html(note: Note) -> str:
    finding = note.finding
    where = f"第 {finding.ref.line} 行" if finding.ref.line else "全文"
    source = (
        f' <a class="to-source" href="/source/{quote(finding.ref.path)}#L{finding.ref.line or 1}">源文件</a>'
        if note.viewable
        else ""
    )
    return (
        f'<aside class="finding-note" id="f-{note.number}" data-code="{escape(finding.code)}" '
        f'data-severity="{escape(finding.severity.label)}" data-file="{escape(finding.ref.path)}">'
        f'<span class="code">{escape(finding.code)}</span> '
        f'<span class="severity">{escape(finding.severity.label)}</span> '
        f'<span class="where">{escape(where)}</span> {escape(finding.message)}{source}</aside>'
    )


def preview_page(state: ServeState, preview: Preview) -> str:
    with state.lock:
        view = state.towns[preview.town]
        notes = [
            n
            for n in town_notes(state, preview.town)
            if n.preview == preview_url(preview) or preview.uses(n.finding.ref.path)
        ]
        context = {
            **_common(state, preview.name),
            "view": view,
            "preview": preview,
            "previews": state.town_previews(preview.town),
            "preview_url": preview_url,
            "count": len(view.active),
        }
        if preview.error or not preview.html:
            return _ENV.get_template("preview_error.html").render(**context)
        html = served_urls(inert_links(preview.html, state.paths.root))
        html, unplaced = place_notes(html, notes)
        head = _ENV.get_template("preview_head.html").render(**context)
        bar = _ENV.get_template("preview_bar.html").render(**context, unplaced=unplaced)
        width, height, margins = _geometry(state, preview)
        main = (
            f'<main id="preview" data-town="{escape(preview.town)}" '
            f'data-page="{escape(preview.key)}" data-version="{state.version}" '
            f'data-page-width="{width:g}" data-page-height="{height:g}" '
            f'data-margins="{" ".join(f"{m:g}" for m in margins)}">'
        )
        unplaced_html = "".join(note_html(n) for n in unplaced)
        if unplaced_html:
            unplaced_html = f'<div class="unplaced-notes">{unplaced_html}</div>'
        html = html.replace("</head>", head + "</head>", 1)
        opening = re.search(r"<body[^>]*>", html)
        assert opening is not None  # html.page and album_html always write one
        end = opening.end()
        closing = html.rindex("</body>")
        return f"{html[:end]}{bar}{main}{unplaced_html}{html[end:closing]}</main>{html[closing:]}"


def _geometry(state: ServeState, preview: Preview) -> tuple[float, float, tuple[float, ...]]:
    """Page width, height and margins (top right bottom left) in mm, as the print CSS sets them."""
    if preview.album:
        return PAGE_MM[0], PAGE_MM[1], (MARGIN_MM,) * 4
    style = state.style
    margins = (
        style.margin_top_mm,
        style.margin_right_mm,
        style.margin_bottom_mm,
        style.margin_left_mm,
    )
    return style.width_mm, style.height_mm, margins


def not_found_page(state: ServeState, message: str) -> str:
    return _ENV.get_template("message.html").render(**_common(state, "找不到"), message=message)
