"""The one build graph: every output of a workspace, with its inputs and its producer.

``Graph`` lists what a workspace makes, town by town and then the district's own outputs: each
town's documents (总体规划, 控规, 修规, 建设计划, 项目简介汇编) as DOCX and PDF, the 修改对照表 and
tracked-changes DOCX of a plan that names ``compare_to``, the 观摩图册, the check report (HTML,
JSON); the district summary and ``build/index.html``. Each ``Output`` carries its engine targets
(``build.Target``: path, inputs, maker) and, for a paged output, the print HTML it is made from.

``build`` hands the targets to the engine, ``serve`` shows the previews, ``package`` packs a town's
files and ``status`` counts them: they all ask this module and nothing else, and this is the one
place the document assembler is constructed. Output names come from content, so every name goes
through ``fs.safe_name``; outputs are dated by ``reproducible.source_stamp``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import stat
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from townplans import build, report, status
from townplans.check import CheckResult
from townplans.fs import PathPolicyError, confine, safe_name
from townplans.model import Finding, Severity, SourceRef, Town
from townplans.paths import WorkspacePaths
from townplans.progress import Progress, Week, build_progress
from townplans.render import documents, selfcheck
from townplans.render.html import font_faces
from townplans.render.style import Style
from townplans.reproducible import fixed_zip_times, source_stamp
from townplans.session import Session
from townplans.templating import TemplateError

if TYPE_CHECKING:
    from townplans.render import album
    from townplans.render.bulletin import Figures
    from townplans.revision.model import Comparison
    from townplans.scoring import Scores

DOCUMENT_TEMPLATES = "documents"
"""templates/documents/: an output depends on the ones it renders, found as it is made
(``build.Made.discovered``), not on the whole folder."""


@dataclass(frozen=True, slots=True)
class Options:
    """What to build: which towns (all when empty) and which PDF variant."""

    towns: tuple[str, ...] = ()
    pdf_variant: str | None = None
    """"pdf/a-2b" to make archival PDFs."""


@dataclass(frozen=True, slots=True)
class Output:
    """One thing a workspace makes, in one or more files."""

    kind: str
    """document, revision, album, report or district."""
    town: str
    """The town's slug; "" for the district's own outputs."""
    name: str
    """The file name without suffix (渭城镇总体规划)."""
    inputs: tuple[str, ...]
    """Workspace-relative files and folders it is made from."""
    targets: tuple[build.Target, ...]
    preview: Callable[[], str] | None = None
    """The print HTML WeasyPrint lays out (serve previews it); None for outputs without pages."""

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(target.path for target in self.targets)


READING_ORDER = (".pdf", ".docx", ".html", ".json")
"""Within one output, the file a reader opens first: the PDF, then the Word file, the report."""


def in_reading_order(slug: str, outputs: Iterable[Output]) -> list[Path]:
    """A town's files as build/index.html lists them: its outputs in the district's document
    order (``town_outputs``: 总体规划, 控规, 修规, 建设计划, 项目简介汇编, each with its revision
    outputs, then the 观摩图册 and the 检查报告), each output's PDF before its other files."""

    def rank(path: Path) -> tuple[int, str]:
        suffix = path.suffix
        return (
            READING_ORDER.index(suffix) if suffix in READING_ORDER else len(READING_ORDER),
            path.name,
        )

    return [path for o in outputs if o.town == slug for path in sorted(o.paths, key=rank)]


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
        return build.write_atomic(self.root or self.folder, self._path(key), data)

    def _path(self, key: str) -> Path:
        return self.folder / safe_name(f"{key}.jpg", "photo.jpg")


def town_folder(build_dir: Path, slug: str) -> Path:
    """build/<town>/: the one place a town's output folder is named (packages and the index too)."""
    return build_dir / safe_name(slug, "town")


@dataclass
class Graph:
    """The outputs of one loaded (and, for reports and the district's outputs, checked) workspace."""

    session: Session
    style: Style
    check: CheckResult | None = None
    """The check of the same content; without it no check reports or district outputs are listed."""
    options: Options = field(default_factory=Options)
    assembler: documents.Assembler = field(init=False)

    def __post_init__(self) -> None:
        paths = self.session.paths
        self.assembler = documents.Assembler(
            paths.root,
            self.session.profile,
            documents.Templates(paths.templates / "documents"),
            self.session.workspace.district,
            facts=self.session.facts,
            terms=documents.workspace_terms(
                self.session.profile, (p.name for p in self.session.knowledge.places.entries)
            ),
            progress=self.progress,
        )

    @property
    def paths(self) -> WorkspacePaths:
        return self.session.paths

    @property
    def partial(self) -> bool:
        """Only some towns are built: the district's outputs are not listed."""
        return bool(self.options.towns)

    # -- listing ------------------------------------------------------------------------------------

    def outputs(self) -> list[Output]:
        """Every output of the selected towns, then the district's (when all towns are)."""
        made = [o for town in self.towns() for o in self.town_outputs(town)]
        if not self.partial and self.check is not None:
            made += self.district_outputs(made)
        return made

    def towns(self) -> list[Town]:
        chosen = self.options.towns
        return [t for t in self.session.workspace.district.towns if not chosen or t.slug in chosen]

    def town_documents(self, town: Town) -> list[Output]:
        """A town's documents alone (DOCX and PDF each), in the district's document order."""
        return [self._document(spec, town.slug) for spec in self.assembler.town_documents(town)]

    def previews(self, town: Town) -> list[Output]:
        """What serve previews of a town: its documents and its album."""
        return [o for o in self.town_outputs(town, with_reports=False) if o.preview is not None]

    def town_outputs(self, town: Town, *, with_reports: bool = True) -> list[Output]:
        """A town's documents (each with its revision outputs), album and check report."""
        made: list[Output] = []
        for spec in self.assembler.town_documents(town):
            made.append(self._document(spec, town.slug))
            made += self._revisions(spec, town.slug)
        if town.projects:
            made.append(self._album(town))
        made += self.weekly_reports(town)
        if self.check is not None and with_reports:
            made.append(self._report(town, self.check))
        return made

    def plan(self) -> build.Plan:
        """What the engine makes."""
        return build.Plan([t for o in self.outputs() for t in o.targets], self.partial)

    def files_of(self, slug: str, outputs: Iterable[Output] | None = None) -> list[Path]:
        """The files a town's outputs are written to (a package holds them)."""
        chosen = outputs if outputs is not None else self.outputs()
        return sorted(path for o in chosen if o.town == slug for path in o.paths)

    def investments(self, town: Town) -> list[object]:
        """A town's row of the district's investment summary (serve's dashboard prints it too)."""
        sources = list(self.session.profile.lists.get("funding_sources", ()))
        return self.assembler.investments(town, sources)

    # -- documents ----------------------------------------------------------------------------------

    @functools.cached_property
    def _own_templates(self) -> str | None:
        """templates/ relative to the workspace when the workspace has its own, else None: the
        shipped defaults change with the townplans version, which every key holds anyway."""
        templates, root = self.paths.templates.resolve(), self.paths.root.resolve()
        return templates.relative_to(root).as_posix() if templates.is_relative_to(root) else None

    @functools.cached_property
    def _global_inputs(self) -> tuple[str, ...]:
        """What every output depends on: everything in the workspace's templates/ (profile,
        style, knowledge, fonts, …) but the document templates, which each output records as it
        renders them (``_recorded``)."""
        folder = self._own_templates
        if folder is None:
            return ()
        try:
            names = sorted(entry.name for entry in os.scandir(self.paths.templates))
        except OSError:
            return (folder,)  # what cannot be listed is hashed (and reported) as one input
        return tuple(
            f"{folder}/{name}"
            for name in names
            if name != DOCUMENT_TEMPLATES and not name.startswith(".")
        )

    def _inputs(self, *items: str) -> tuple[str, ...]:
        return (*items, *self._global_inputs)

    def _target(self, label: str, path: Path, inputs: tuple[str, ...],
                make: Callable[[], build.Made], source: SourceRef,
                salt: str = "") -> build.Target:  # fmt: skip
        return build.Target(label, path, inputs, self._recorded(make), source, salt)

    def _recorded(self, make: Callable[[], build.Made]) -> Callable[[], build.Made]:
        """``make`` with the document templates it rendered (or included) recorded in its
        ``Made.discovered``, by their workspace paths and the digests of the text used."""
        if self._own_templates is None:
            return make
        templates = self.assembler.templates
        folder = f"{self._own_templates}/{DOCUMENT_TEMPLATES}"

        def recorded() -> build.Made:
            with templates.recording() as used:
                made = make()
            found = {f"{folder}/{name}": digest for name, digest in used.items()}
            return dataclasses.replace(made, discovered={**made.discovered, **found})

        return recorded

    def _document(self, spec: documents.DocumentSpec, town: str, kind: str = "document") -> Output:
        """The DOCX and PDF of one document."""
        paths, style, variant = self.paths, self.style, self.options.pdf_variant
        folder = town_folder(paths.build, town) if town else paths.build
        stamp = source_stamp(spec.date)
        source = SourceRef(spec.sources[0] if spec.sources else "towns")
        # A document generated from figures (the district summary) is keyed by what it prints.
        inputs = self._inputs() if spec.content_key else self._inputs(*spec.sources)
        salt = spec.content_key

        def html() -> str:
            return documents.to_html(spec, style, paths.root, font_faces(paths.fonts))[0]

        def make_docx() -> build.Made:
            # The TOC's page numbers are the PDF's: the DOCX lays out the same HTML as the PDF
            # target (same inputs, so the same pages; in one process the PDF reuses this layout).
            contents = documents.contents(
                spec, style, paths.root, font_faces(paths.fonts),
                functools.partial(_anchor_pages, mounts=paths.mounts()),
            )  # fmt: skip
            bare = spec.gongwen is not None and _blank_before_imprint(spec, style, paths, variant)
            data, problems = documents.to_docx(
                spec, style, paths.root, stamp, contents, bare_imprint=bare
            )
            data = fixed_zip_times(data, stamp)
            return build.Made(data, problems + selfcheck.check_docx(data))

        def make_pdf() -> build.Made:
            from townplans.render import gongwen
            from townplans.render.pdf import html_to_pdf

            page, problems = documents.to_html(spec, style, paths.root, font_faces(paths.fonts))
            if spec.gongwen is not None and gongwen.blank_before_imprint(
                page, paths.mounts(), variant
            ):
                page = gongwen.bare_imprint(page)
            data, warnings = html_to_pdf(page, paths.mounts(), variant)
            return build.Made(data, problems + selfcheck.check_pdf(data, warnings))

        targets = (
            self._target(f"{spec.name}.docx", folder / f"{spec.name}.docx", inputs, make_docx,
                         source, salt),
            self._target(f"{spec.name}.pdf", folder / f"{spec.name}.pdf", inputs, make_pdf,
                         source, salt + (variant or "")),
        )  # fmt: skip
        return Output(kind, town, spec.name, inputs, targets, html)

    def _revisions(self, spec: documents.DocumentSpec, town: str) -> list[Output]:
        """The 修改对照表 (DOCX, PDF) and the tracked-changes DOCX of a document whose front matter
        names a ``compare_to`` revision: the working tree's text compared with that revision's.
        The revision's commit and HEAD's (resolved by the loader) are part of the key, so moving
        the tag (or committing) rebuilds them. A revision git cannot find makes none (``check``
        says so: TP210)."""
        found = self.session.workspace.revisions.get(spec.compare_to) if spec.compare_to else None
        if found is None or found.commit is None or not spec.text:
            return []
        from townplans.revision import outputs, table
        from townplans.revision.history import Document, compare_document

        paths, style, variant = self.paths, self.style, self.options.pdf_variant
        compared = spec.text[0]
        single = compared.endswith(".md")
        document = Document(
            spec.name,
            files=spec.text if single else (),
            folder="" if single else compared,
            tag_prefix=f"{town}-",
        )
        stamp = source_stamp(spec.date)
        head = self.session.workspace.head_commit or ""
        salt = f"{spec.compare_to}={found.commit};HEAD={head}"
        inputs = self._inputs(*spec.sources)
        source = SourceRef(spec.sources[0] if spec.sources else "towns")
        folder = town_folder(paths.build, town)

        @functools.cache
        def comparison() -> tuple[documents.DocumentSpec, Comparison]:
            found = compare_document(paths.root, document, spec.compare_to, None, now=stamp)
            return table.spec(found, paths.root, spec.sources), found

        def make(kind: str) -> build.Made:
            made, found = comparison()
            if kind == "docx":
                data = outputs.table_docx(made, style, paths, stamp)
                return build.Made(data, selfcheck.check_docx(data))
            if kind == "pdf":
                data = outputs.table_pdf(made, style, paths, variant)
                return build.Made(data, selfcheck.check_pdf(data, []))
            # The whole built document, its contents the PDF's pages (as ``_document``'s DOCX).
            contents = documents.contents(
                spec, style, paths.root, font_faces(paths.fonts),
                functools.partial(_anchor_pages, mounts=paths.mounts()),
            )  # fmt: skip
            tracked = outputs.tracked_docx(spec, found, style, paths, stamp, contents)
            return build.Made(tracked, selfcheck.check_docx(tracked))

        name = safe_name(table.suffix(spec.name), "修改对照表")
        tracked = outputs.tracked_name(spec.name)
        targets = (
            self._target(f"{name}.docx", folder / f"{name}.docx", inputs, lambda: make("docx"),
                         source, salt),
            self._target(f"{name}.pdf", folder / f"{name}.pdf", inputs, lambda: make("pdf"),
                         source, salt + (variant or "")),
            self._target(tracked, folder / tracked, inputs, lambda: make("tracked"), source,
                         salt),
        )  # fmt: skip
        return [Output("revision", town, name, inputs, targets)]

    # -- the album ----------------------------------------------------------------------------------

    def photo_cache(self) -> PhotoCache:
        return PhotoCache(self.paths.build / ".cache" / "photos", self.paths.build)

    def _album(self, town: Town) -> Output:
        """The town's 观摩图册 as DOCX and PDF; each target prepares photos through the cache.
        python-docx and the photo pipeline are imported only when the album is made."""
        paths, style, variant = self.paths, self.style, self.options.pdf_variant
        district = self.session.workspace.district
        year = str(district.meta.get("plan_year") or "") if district.meta else ""
        cache = self.photo_cache()

        def model() -> album.Album:
            from townplans.render import album

            return album.album_model(
                town, self.session.profile, paths.root, cache, district.name,
                f"{year}年" if year else "", self.assembler.lexicon(p.name for p in town.projects),
            )  # fmt: skip

        name = safe_name(f"{town.name}小城镇建设观摩图册", "观摩图册")  # a town's name is content
        folder = town_folder(paths.build, town.slug)
        source = SourceRef(town.folder)
        inputs = self._inputs(
            f"{town.folder}/projects", f"{town.folder}/construction-plan.md", "towns/district.yaml"
        )

        def html() -> str:
            from townplans.render import album

            return album.album_html(model(), style, paths.root, font_faces(paths.fonts))

        def make_docx() -> build.Made:
            from townplans.render import album

            made = model()
            # The contents' page numbers are the PDF album's (its HTML laid out as the PDF is).
            pages = _anchor_pages(
                album.album_html(made, style, paths.root, font_faces(paths.fonts)), paths.mounts()
            )
            stamp = source_stamp(album.album_date(made))
            data = album.album_docx(
                made, style, paths.root, album.album_contents(made, pages), town.name, stamp
            )
            data = fixed_zip_times(data, stamp)
            return build.Made(data, selfcheck.check_docx(data), made.prepared, made.cached)

        def make_pdf() -> build.Made:
            from townplans.render import album
            from townplans.render.pdf import html_to_pdf

            made = model()
            data, warnings = html_to_pdf(
                album.album_html(made, style, paths.root, font_faces(paths.fonts)),
                paths.mounts(),
                variant,
            )
            return build.Made(data, selfcheck.check_pdf(data, warnings), made.prepared,
                              made.cached)  # fmt: skip

        targets = (  # the DOCX first: in one process the PDF then prints the layout it measured
            self._target(f"{name}.docx", folder / f"{name}.docx", inputs, make_docx, source),
            self._target(f"{name}.pdf", folder / f"{name}.pdf", inputs, make_pdf, source,
                         variant or ""),
        )  # fmt: skip
        return Output("album", town.slug, name, inputs, targets, html)

    # -- reports and the district ---------------------------------------------------------------------

    def _report(self, town: Town, check: CheckResult) -> Output:
        """The town's check report, as a page for reviewers and as JSON for tools. Its key is the
        town's findings themselves: an edit that changes none of them leaves the report alone."""
        own = tuple(f for f in check.findings if town.holds(f.ref.path))
        data = report.ReportInput(
            CheckResult(own, check.rules, (town.slug,), check.today),
            self.session.workspace,
            self.session.profile.version,
        )
        salt = _digest(town.name, check.today.isoformat(), [r.code for r in check.rules],
                       [_finding_key(f) for f in own])  # fmt: skip
        folder = town_folder(self.paths.build, town.slug)
        name = safe_name(f"{town.name}材料检查报告", "材料检查报告")
        inputs = self._inputs()

        def maker(kind: str) -> Callable[[], build.Made]:
            return lambda: build.Made(report.render(data, kind).encode("utf-8"))

        targets = tuple(
            self._target(f"{name}.{kind}", folder / f"{name}.{kind}", inputs, maker(kind),
                         SourceRef(town.folder), salt)
            for kind in ("html", "json")
        )  # fmt: skip
        return Output("report", town.slug, name, inputs, targets)

    def specs(self) -> list[documents.DocumentSpec]:
        """Every document of the selected towns as assembled, then the district summary."""
        made = [s for town in self.towns() for s in self.assembler.town_documents(town)]
        return [*made, self._summary()[0]] if self.check is not None else made

    def _summary(self) -> tuple[documents.DocumentSpec, list[str], list[list[str]], str]:
        """The district summary, the completeness matrix it prints (header, rows) and the
        check's verdict line."""
        check = self.check
        assert check is not None
        workspace, profile = self.session.workspace, self.session.profile
        matrix = status.district_status(workspace, profile, check)
        verdict = report.ReportInput(check, workspace, profile.version)
        line = report.summary_line(verdict)
        header = ["镇", *(d.label for d in profile.deliverables)]
        rows = [[row.name, *(cell.state.label for cell in row.cells.values())] for row in matrix]
        spec = self.assembler.district_summary(
            rows, report.reviewer_line(verdict), workspace.district.towns
        )
        return spec, header, rows, line

    def district_outputs(self, town_outputs: Sequence[Output]) -> list[Output]:
        """The district summary (DOCX, PDF) and build/index.html, keyed by what they print."""
        workspace = self.session.workspace
        spec, header, rows, line = self._summary()
        summary = self._document(spec, "", "district")
        towns = [(t.slug, t.name) for t in workspace.district.towns]
        files = {slug: in_reading_order(slug, town_outputs) for slug, _ in towns}
        build_dir = self.paths.build
        # The district's files as the profile lists them: the summary, then the 通报 per week,
        # the 考核评分表 and the workbook.
        progress = self.progress_outputs()
        listed = in_reading_order("", [summary, *progress])

        def make_index() -> build.Made:
            from townplans.render.index import index_html

            page = index_html(workspace.district.name, towns, files, listed, header,
                              rows, line, build_dir)  # fmt: skip
            return build.Made(page.encode("utf-8"))

        salt = _digest(workspace.district.name, towns, header, rows, line,
                       [p.relative_to(build_dir).as_posix() for ps in files.values() for p in ps],
                       [p.relative_to(build_dir).as_posix() for p in listed])  # fmt: skip
        index = self._target("index.html", build_dir / "index.html", self._inputs(), make_index,
                             SourceRef("towns"), salt)  # fmt: skip
        return [
            summary,
            *progress,
            Output("district", "", "index", self._inputs(), (index,)),
        ]

    # -- weekly progress: 周报, 通报, 考核评分表, the workbook ------------------------------------------

    @functools.cached_property
    def progress(self) -> Progress:
        session = self.session
        if session.progress is not None:
            return session.progress
        return build_progress(session.workspace, session.profile, session.facts)

    def weekly_reports(self, town: Town) -> list[Output]:
        """Each of the town's weekly reports as a document (工作进度周报, DOCX and PDF)."""
        return [self._document(spec, town.slug) for spec in self.report_specs(town)]

    def report_specs(self, town: Town) -> list[documents.DocumentSpec]:
        """The documents of the town's weekly reports, their cells broken between the words of
        the workspace and of the town's project names."""
        from townplans.render import bulletin

        templates, root = self.assembler.templates, self.paths.root
        names = [project.name for project in town.projects]
        return [
            self.assembler.worded(
                bulletin.report_spec(templates, root, town, report, self.progress), names
            )
            for report in town.reports
        ]

    def reported_weeks(self) -> list[Week]:
        """The weeks a 通报 is made for: those at least one town reported."""
        progress = self.progress
        return [w for w in progress.weeks
                if any(progress.town_week(t, w).report is not None for t in progress.towns)]  # fmt: skip

    def bulletin_output(self, week: Week) -> tuple[Output, Figures]:
        """The 通报 of ``week`` (DOCX, PDF) and the figures it prints."""
        spec, data = self.bulletin(week)
        return self._document(spec, "", "district"), data

    def bulletin(self, week: Week) -> tuple[documents.DocumentSpec, Figures]:
        """The 通报's document of ``week`` and the figures it prints."""
        from townplans.render import bulletin, charts

        district, progress = self.session.workspace.district, self.progress
        data = bulletin.figures(district, progress, week)
        drawn = bulletin.charts(district, progress, week)
        build_dir, style, fonts = self.paths.build, self.style, self.paths.fonts
        files = [(c.title, charts.chart_paths(build_dir, c)[0]) for c in drawn]

        def write(path: Path, data: bytes) -> None:
            build.write_atomic(build_dir, path, data)

        def ensure() -> None:
            for chart in drawn:
                charts.ensure(build_dir, chart, style, fonts, write)

        year = week.end.year
        head = bulletin.Letterhead.of(district, year)
        spec = bulletin.bulletin_spec(self.assembler.templates, self.paths.root, district,
                                      progress, data, head, files, ensure)  # fmt: skip
        return self.assembler.worded(spec, self._project_names()), data

    def _project_names(self) -> list[str]:
        """Every project's name in the district: the words a 通报's cells are not broken in."""
        return [p.name for town in self.session.workspace.district.towns for p in town.projects]

    def scores(self) -> Scores:
        """The 考核评分 at the latest reported week."""
        from townplans.scoring import score

        assert self.check is not None
        workspace, profile = self.session.workspace, self.session.profile
        statuses = status.district_status(workspace, profile, self.check)
        materials = {
            s.slug: (sum(1 for c in s.cells.values() if c.state is status.State.PRESENT),
                     len(s.cells))
            for s in statuses
        }  # fmt: skip
        weeks = self.reported_weeks()
        return score(workspace.district, profile, self.progress, materials,
                     weeks[-1] if weeks else None)  # fmt: skip

    def progress_outputs(self) -> list[Output]:
        """A 通报 per reported week, the 考核评分表 and the workbook (nothing without reports)."""
        from townplans.render import bulletin

        weeks = self.reported_weeks()
        if not weeks:
            return []
        made, all_figures = [], []
        for week in weeks:
            output, data = self.bulletin_output(week)
            all_figures.append(data)
            made.append(output)
        district = self.session.workspace.district
        scores = self.scores()
        head = bulletin.Letterhead.of(district, weeks[-1].end.year)
        scores_spec = bulletin.scores_spec(self.assembler.templates, self.paths.root, district,
                                           scores, head.issuer)  # fmt: skip
        made.append(self._document(
            self.assembler.worded(scores_spec, self._project_names()), "", "district"
        ))  # fmt: skip
        made.append(self._workbook(all_figures, scores))
        return made

    def _workbook(self, weeks: Sequence[Figures], scores: Scores) -> Output:
        district = self.session.workspace.district
        names = {t.slug: t.name for t in district.towns}
        progress = self.progress
        stamp = source_stamp(weeks[-1].week.end)
        name = safe_name(f"{district.name}小城镇建设工作进度台账", "工作进度台账")

        def make() -> build.Made:
            from townplans.render.workbook import workbook

            data = workbook(progress, weeks, scores, names, stamp.replace(tzinfo=None))
            return build.Made(fixed_zip_times(data, stamp))

        salt = _digest(names, [repr(w) for w in weeks], repr(scores),
                       [repr(p) for p in progress.projects.values()])  # fmt: skip
        target = self._target(f"{name}.xlsx", self.paths.build / f"{name}.xlsx", self._inputs(),
                              make, SourceRef("towns"), salt)  # fmt: skip
        return Output("district", "", name, self._inputs(), (target,))


def _anchor_pages(html: str, mounts: dict[str, Path]) -> dict[str, int]:
    from townplans.render.pdf import anchor_pages  # WeasyPrint only when a document is written

    return anchor_pages(html, mounts)


def _finding_key(finding: Finding) -> list[object]:
    waiver = finding.waiver
    return [finding.code, finding.severity.value, str(finding.ref), finding.message,
            None if waiver is None else repr(waiver)]  # fmt: skip


def _digest(*parts: object) -> str:
    """A short stable key for what an output prints (JSON of ``parts``)."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# -- failures and workers ---------------------------------------------------------------------------


def explain(target: build.Target, error: Exception) -> Finding:
    """A target that could not be made, as a finding: a template's own mistake at its line
    (TP791), else the engine's wording (TP790)."""
    if isinstance(error, TemplateError):
        message = f"生成“{target.label}”时模板出错：{error.message}"
        if os.environ.get("TOWNPLANS_DEBUG"):
            message += "\n" + "".join(traceback.format_exception(error))
        return Finding("TP791", Severity.ERROR, message, SourceRef(error.path, error.line))
    return build.failure_finding(target, error)


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What a worker process needs to list the same graph again (picklable)."""

    root: str
    towns: tuple[str, ...]
    pdf_variant: str | None
    today: str


_WORKER_TARGETS: dict[str, build.Target] = {}
_WORKER_SPEC: list[WorkerSpec] = []
"""The build whose targets ``_WORKER_TARGETS`` holds."""


def inherit(spec: WorkerSpec, targets: Iterable[build.Target]) -> None:
    """Keep this build's targets where a worker forked from this process finds them, so it need
    not check the workspace again to list the same graph (a second full load and every rule,
    0.3 s for the sample's town, 0.9 s with a 2,000-row table, in each worker). A worker started
    afresh (spawn, forkserver) finds nothing and lists it again, identically."""
    _WORKER_TARGETS.clear()
    _WORKER_TARGETS.update({str(t.path): t for t in targets})
    _WORKER_SPEC[:] = [spec]


def forget() -> None:
    """The workers are done: keep no session alive."""
    _WORKER_TARGETS.clear()
    _WORKER_SPEC.clear()


def make_in_worker(spec: WorkerSpec, path: str) -> build.Made:
    """Make one target in a worker process: from the graph inherited from the build that forked
    it, else from the graph listed once per process, identically (the same content, options and
    day give the same targets)."""
    if [spec] != _WORKER_SPEC:
        from townplans.check import Selection
        from townplans.render.style import load_style
        from townplans.session import run_check

        session, result = run_check(
            Path(spec.root), Selection(towns=spec.towns), dt.date.fromisoformat(spec.today)
        )
        graph = Graph(session, load_style(session.paths.style), result,
                      Options(spec.towns, spec.pdf_variant))  # fmt: skip
        inherit(spec, graph.plan().targets)
    return _WORKER_TARGETS[path].make()


def known_hashes(session: Session) -> dict[str, str]:
    """SHA-256 of every image the loader probed, so the build does not read them again."""
    return {
        asset.path: asset.image.sha256
        for town in session.workspace.district.towns
        for asset in town.assets()
        if asset.image is not None and asset.image.sha256
    }


def _blank_before_imprint(
    spec: documents.DocumentSpec, style: Style, paths: WorkspacePaths, variant: str | None
) -> bool:
    """Whether a 公文's PDF puts a blank page before its 版记: the DOCX then leaves the 版记's
    page unnumbered too (GB/T 9704 7.5), as the PDF does."""
    from townplans.render import gongwen

    page = documents.to_html(spec, style, paths.root, font_faces(paths.fonts))[0]
    return gongwen.blank_before_imprint(page, paths.mounts(), variant)
