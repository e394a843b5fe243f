"""Assemble whole documents from the model: which parts, in which order, with which cover.

Each document is a ``DocumentSpec``: a title, a cover (or a 公文 版头), and a sequence of Markdown
parts — the town's own files, and parts generated from data by the Jinja2 templates in
``templates/documents/`` (drawing lists, the 地块指标一览表, the 项目一览表, project forms, the
district summary). Both the Word and the PDF output are made from the same parts. Anything the
profile requires that is missing shows as a visible 【缺：…】 placeholder, never as silence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from townplans import mdparser, templating
from townplans.comparators import holds
from townplans.completeness import condition_holds, find_headings, heading_matches
from townplans.facts import Entity, FactBase, Quantity
from townplans.fields import read_field
from townplans.fs import safe_name
from townplans.model import (
    Asset,
    DetailedPlan,
    District,
    Located,
    MarkdownFile,
    Project,
    SourceRef,
    Town,
    Workspace,
    revision_name,
)
from townplans.profile import Condition, DocumentType, FieldSpec, HeadingSpec, Profile
from townplans.progress import Progress, ProjectProgress, Standing, build_progress
from townplans.render import figures, gongwen, watermark
from townplans.render import html as html_render
from townplans.render.layout import Origin, joined, table_families
from townplans.render.selfcheck import OutputProblem
from townplans.render.style import Style, css
from townplans.render.tokens import FORBIDDEN, forbidden_message, prepare, xml_text
from townplans.render.words import Lexicon
from townplans.reproducible import source_stamp
from townplans.values import as_written, date_or_none, names_of

if TYPE_CHECKING:
    from townplans.render.docx import DocxWriter
    from townplans.render.ooxml import TocLine


@dataclass(frozen=True, slots=True)
class Part:
    """Markdown tokens, the folder their relative links resolve against, and where they come from:
    the town's file, or the template that generated them (what a writer reports names it)."""

    tokens: tuple[Token, ...]
    base_dir: Path
    origin: Origin
    drawings: bool = False
    """A plan's own text: each figure is a drawing printed on a page of its own (``figures``)."""


@dataclass(frozen=True, slots=True)
class Gongwen:
    """What the writers need, beyond the parts, to lay a 公文 out by GB/T 9704-2012."""

    mark: str
    """The 发文机关标志 as printed (its length sets its size)."""


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    """One document to produce as DOCX and PDF."""

    name: str
    """File name without suffix (Chinese), e.g. 渭城镇总体规划."""
    title: str
    make_parts: Callable[[], tuple[Part, ...]]
    """The parts, assembled only when the document is written (a no-op rebuild never needs them)."""
    cover_lines: tuple[str, ...] = ()
    cover: bool = True
    toc: bool = True
    toc_levels: int | None = None
    """The heading ranks its contents list; None: style.yaml's ``toc.levels``."""
    plan: bool = False
    """A plan text (总体规划, 控规, 修规): its headings are 章 / 节 / 条 (style.yaml plan_headings)."""
    author: str = ""
    """The issuing body: the 公文's issuer, a plan's institute, the town for its briefs."""
    subject: str = ""
    """What the document is, for the PDF's and DOCX's Subject: “渭城镇 · 镇总体规划”."""
    date: dt.date | None = None
    sources: tuple[str, ...] = ()
    """Workspace-relative files and folders the document is made from (its build inputs); the
    first is the file findings about the output point at."""
    table_captions: bool = False
    """Every table gets a number and title (the profile's ``table_captions`` for its type)."""
    gongwen: Gongwen | None = None
    """Set for a 公文 (the 建设计划): laid out by GB/T 9704 (版头, grid, 版记, page numbers)."""
    stage: str = ""
    """A plan's 成果阶段 (front matter ``status``: 征求意见稿 … 批准稿)."""
    version: str = ""
    """A plan's 版本号 (front matter ``version``)."""
    watermark: str = ""
    """The text set diagonally behind every page: a plan's stage before the final one."""
    make_front: Callable[[], tuple[Part, ...]] = lambda: ()
    """Parts between the cover and the contents (a plan's 修订记录), table numbers apart."""
    compare_to: str = ""
    """The git revision (front matter ``compare_to``) a 修改对照表 compares the text with."""
    text: tuple[str, ...] = ()
    """The document's own Markdown as compared: a chapter folder, or its file."""
    landscape: bool = False
    """Every page landscape (the 修改对照表); its parts still mark their landscape text with a
    ``landscape`` container, which sizes their tables to the landscape page."""
    invisible: bool = True
    """The DOCX's cells may hold invisible line-breaking characters (``DocxWriter.invisible``);
    False for the revision outputs, whose text reviewers copy and search."""
    content_key: str = ""
    """For a document generated from figures rather than from its own source files (the district
    summary): a digest of what it prints, so it is rebuilt when that changes, not on every edit."""
    lexicon: Lexicon | None = None
    """The words no table cell breaks inside (``words``): the workspace's terms, and the names of
    the projects among its sources (so that its inputs decide its layout); None: none kept."""

    @property
    def parts(self) -> tuple[Part, ...]:
        return self.make_parts()

    @property
    def stage_line(self) -> str:
        """Stage and version as the cover prints them: “送审稿　v2.1”."""
        return "　".join(x for x in (self.stage, self.version) if x)

    @property
    def running_header(self) -> str:
        """The running header: the title, and a plan's stage and version; none for a 公文
        (GB/T 9704 has none)."""
        if self.gongwen is not None:
            return ""
        return "　".join(x for x in (self.title, self.stage_line) if x)


# -- formatting ------------------------------------------------------------------------------------


def chinese_date(value: dt.date | None) -> str:
    """2023年9月5日: full year, no zero padding (GB/T 9704 7.3.5.4)."""
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def number_text(value: Decimal | None) -> str:
    """A number as its ``Decimal`` holds it, without exponent: ``written`` keeps the decimal
    places a value was written with (2.0 stays 2.0) and a sum keeps those of its terms (44.0)."""
    if value is None:
        return ""
    return format(value, "f")


_FROM_REPORTS = ("progress_percent", "cumulative_investment")
"""Brief fields a form takes from the weekly reports when the brief leaves them out."""


def percent_text(value: Decimal | None) -> str:
    """A 形象进度 as a table prints it: "80%", or "—" when nothing is known."""
    return f"{number_text(value)}%" if value is not None else EMPTY


def missing(label: str) -> str:
    return f"【缺：{label}】"


class Markdown(str):
    """Text that already is Markdown (a table ``md_table`` made, a value ``cell`` escaped): the
    document templates print it as it is."""


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""ASCII punctuation: CommonMark lets a backslash escape any of it, and only it makes markup."""


def cell(value: object) -> Markdown:
    """A value as Markdown that prints exactly as written, in a table cell, a heading or a line
    of text: whitespace collapsed to single spaces (a value is one line), every ASCII punctuation
    character backslash-escaped, so ``__class__``, ``*x*``, ``[a](b)``, ``<b>``, ``a|b``, a
    leading ``#`` or ``1.`` are text and never emphasis, links, HTML, cells, headings or lists."""
    if value is None:
        return Markdown("")
    text = re.sub(r"\s+", " ", str(value)).strip()
    return Markdown(_PUNCTUATION.sub(r"\\\1", text))


def _as_markdown(value: object) -> Markdown:
    """What ``{{ … }}`` prints in a document template: Markdown as it is, any other value as
    literal text (``cell``), so no template can forget to escape a value from YAML."""
    return value if isinstance(value, Markdown) else cell(value)


def md_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], align: Sequence[str] = ()
) -> Markdown:
    """A GFM table; ``align`` holds "l", "c" or "r" per column. A cell that already is
    ``Markdown`` (a value ``cell`` escaped, with markup of ours around it) is printed as it is."""
    marks = {"l": "---", "c": ":---:", "r": "---:"}
    separator = [marks.get(align[i] if i < len(align) else "l", "---") for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "| " + " | ".join(separator) + " |",
        *("| " + " | ".join(_as_markdown(v) for v in row) + " |" for row in rows),
    ]
    return Markdown("\n".join(lines))


class Templates:
    """The sandboxed Jinja2 environment over ``templates/documents/``. Its output is Markdown, so
    every value a template prints is escaped as Markdown (``_as_markdown``), not as HTML."""

    def __init__(self, folder: Path) -> None:
        self._recordings: list[dict[str, str]] = []
        self.env = templating.environment(folder, loaded=self._loaded)
        self.env.finalize = _as_markdown
        self.env.filters["cell"] = cell
        self.env.filters["whole"] = joined  # kept on one line (a date, a name with its label)
        self.env.globals["md_table"] = md_table

    def _loaded(self, name: str, digest: str) -> None:
        for used in self._recordings:
            used[name] = digest

    @contextmanager
    def recording(self) -> Iterator[dict[str, str]]:
        """The templates rendered (or included) while the block runs, by name, each with the
        SHA-256 of the text used: what a build target records as made from (``build.Made``)."""
        used: dict[str, str] = {}
        self._recordings.append(used)
        try:
            yield used
        finally:
            self._recordings.remove(used)

    def part(self, template: str, base_dir: Path, **context: Any) -> Part:
        return self.deferred_part(template, base_dir, **context)[0]()

    def deferred_part(
        self, template: str, base_dir: Path, **context: Any
    ) -> tuple[Callable[[], Part], str]:
        """The Markdown the template writes, and the part parsed from it when asked: a plan keys
        a generated document by this text, and parses it only if the document is made (a no-op
        build parsed the Markdown of every 周报 and 通报 for nothing)."""
        shown = f"templates/documents/{template}"
        text = templating.render(self.env, template, shown, **context)

        def make() -> Part:
            return Part(tuple(mdparser.parse(text)), base_dir, Origin(shown, generated=True))

        return make, text


# -- reading fields for documents --------------------------------------------------------------------


EMPTY = "—"

BRIEFS_TOC_LEVELS = 1
"""The 项目简介汇编's contents list its projects, not the form's headings inside each."""
"""What a form shows for an optional field left empty (or a cell with nothing to say)."""


def _value(meta: Located, spec: FieldSpec | None, doctype: DocumentType | None = None) -> str:
    """A field as a document shows it: formatted when typed; when absent, 【缺：…】 if the field is
    required here (the checker reports it as an error: TP201), else "—"."""
    if spec is None:
        return ""
    value = read_field(meta, spec)
    if not value.present:
        return missing(spec.label) if _required(meta, spec, doctype) else EMPTY
    if value.parsed is None:
        return str(value.raw) if value.error is None else f"{value.raw}（格式有误）"
    parsed = value.parsed.value
    if isinstance(parsed, dt.date):
        return chinese_date(parsed)
    if spec.type == "money" and isinstance(parsed, Decimal):
        return f"{number_text(as_written(value.parsed))}万元"
    if spec.type == "percent" and isinstance(parsed, Decimal):
        return f"{number_text(as_written(value.parsed))}%"
    return str(value.parsed.original)


def _required(meta: Located, spec: FieldSpec, doctype: DocumentType | None) -> bool:
    """Whether the checker requires ``spec`` in this document: required, and its ``when``
    condition holds (as TP201 decides; unknown without the document type)."""
    if not spec.required or spec.when is None:
        return spec.required
    return doctype is not None and condition_holds(meta, doctype, spec.when)


def _applies(meta: Located, spec: FieldSpec, doctype: DocumentType | None) -> bool:
    """Whether a fixed form shows ``spec``: always, unless it has a ``when`` condition that does
    not hold and no value was given (a field that does not apply yet, such as 竣工验收 before
    completion)."""
    if spec.when is None or read_field(meta, spec).present:
        return True
    return doctype is not None and condition_holds(meta, doctype, spec.when)


def _number(meta: Located, spec: FieldSpec | None) -> Decimal | None:
    if spec is None:
        return None
    parsed = read_field(meta, spec).parsed
    return as_written(parsed) if parsed is not None and isinstance(parsed.value, Decimal) else None


def _date(meta: Located, key: str) -> dt.date | None:
    return date_or_none(meta.get(key))


def _compare_to(meta: Located) -> str:
    return revision_name(meta.get("compare_to"))


def file_name(text: str) -> str:
    """A title usable as a file name (the one path policy: ``fs.safe_name``; a lone surrogate,
    which no file system can encode, goes with the other characters XML forbids)."""
    return safe_name(xml_text(text), "文档")


# -- parts from the town's own files --------------------------------------------------------------------


def source_parts(
    files: Iterable[MarkdownFile], root: Path, demote: int = 0, drawings: bool = False
) -> list[Part]:
    return [
        Part(
            _demoted(f.tokens, demote), root / Path(f.ref.path).parent, Origin(f.ref.path), drawings
        )
        for f in files
    ]


def _demoted(tokens: Sequence[Token], levels: int) -> tuple[Token, ...]:
    if not levels:
        return tuple(tokens)
    result = []
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token = token.copy()
            token.tag = f"h{min(int(token.tag[1:]) + levels, 6)}"
        result.append(token)
    return tuple(result)


def _missing_sections(
    templates: Templates,
    files: Sequence[MarkdownFile],
    doctype: DocumentType | None,
    base: Path,
    standing_in: HeadingSpec | None = None,
) -> list[Part]:
    """A 【缺：…】 section for each heading the profile requires that the text lacks, but for
    ``standing_in``, which a generated part takes the place of."""
    if doctype is None or not doctype.headings:
        return []
    headings = [h for f in files for h in f.headings]
    absent = [
        spec.title
        for spec, found in zip(
            doctype.headings, find_headings(headings, doctype.headings), strict=True
        )
        if found is None and spec is not standing_in
    ]
    return [templates.part("missing-sections.md.j2", base, missing=absent)] if absent else []


# -- the documents ------------------------------------------------------------------------------------


@dataclass
class Assembler:
    """Builds the document specs of a workspace."""

    root: Path
    profile: Profile
    templates: Templates
    district: District
    specs: list[DocumentSpec] = field(default_factory=list)
    facts: FactBase = field(default_factory=FactBase)
    """The session's fact base: the figures the summaries add up, typed once (``facts``)."""
    terms: tuple[str, ...] = ()
    """The workspace's terms from its templates (``workspace_terms``): every document's words."""
    progress: Progress | None = None
    """The weekly reports' series (the session's); made from ``district`` when not given."""

    def standing(self, town: Town, project: Project, day: dt.date | None) -> Standing:
        """形象进度 and 累计完成投资 of ``project`` as a document dated ``day`` prints them: the
        brief's, else the latest report's on or before ``day`` (``ProjectProgress.standing``)."""
        found = self._progress_of(town, project)
        return found.standing(day) if found is not None else Standing(None, None)

    def _progress_of(self, town: Town, project: Project) -> ProjectProgress | None:
        if self.progress is None:
            workspace = Workspace(str(self.root), self.district, ())
            self.progress = build_progress(workspace, self.profile)
        return self.progress.projects.get(f"{town.slug}/{project.slug}")

    def town_documents(self, town: Town) -> list[DocumentSpec]:
        builders: list[Callable[[Town], Iterable[DocumentSpec]]] = [
            self.master_plan,
            self.detailed_plans,
            self.construction_plan,
            self.briefs,
        ]
        return [self._worded(spec, town) for builder in builders for spec in builder(town)]

    def _worded(self, spec: DocumentSpec, town: Town | None) -> DocumentSpec:
        """``spec`` with its lexicon: the workspace's terms and the names of the projects whose
        files are among its sources (a change of name rebuilds it, as its inputs changed)."""
        sources = set(spec.sources)
        projects = [
            p.name
            for p in (town.projects if town else ())
            if p.brief and p.brief.ref.path in sources
        ]
        return self.worded(spec, projects)

    def worded(self, spec: DocumentSpec, names: Iterable[str]) -> DocumentSpec:
        """``spec`` with the lexicon its tables' cells are broken by (``lexicon``)."""
        return replace(spec, lexicon=self.lexicon(names))

    def lexicon(self, names: Iterable[str]) -> Lexicon:
        """The words table cells are broken by: the workspace's terms and ``names`` (the
        projects a document prints)."""
        return Lexicon.of([*self.terms, *names])

    def master_plan(self, town: Town) -> Iterable[DocumentSpec]:
        plan = town.master_plan
        if plan is None or not plan.chapters:
            return
        first = plan.chapters[0].meta
        title = str(first.get("title") or f"{town.name}总体规划")
        doctype = self.profile.documents.get("master_plan")
        stage = _stage(first, doctype)
        lines = [str(first.get("institute") or ""), _month(_date(first, "date")), stage.line]
        base = self.root / plan.folder
        chapters, drawings = plan.chapters, plan.drawings

        def parts() -> tuple[Part, ...]:
            doctype = self.profile.documents.get("master_plan")
            return tuple(self._plan_parts(chapters, doctype, drawings, base))

        name = file_name(
            re.sub(r"[（(][^（(]*[）)]$", "", title)
        )  # 渭城镇总体规划（2021—2035年） -> 渭城镇总体规划
        yield DocumentSpec(
            name, title, parts, tuple(x for x in lines if x), author=lines[0] or town.name,
            subject=_subject(town.name, doctype),
            date=_date(first, "date"), sources=(plan.chapters[0].ref.path, plan.folder), plan=True,
            table_captions=doctype is not None and doctype.table_captions,
            stage=stage.stage, version=stage.version, watermark=stage.watermark,
            make_front=lambda: self._revisions(first, doctype, base),
            compare_to=_compare_to(first), text=(plan.folder,),
        )  # fmt: skip

    def detailed_plans(self, town: Town) -> Iterable[DocumentSpec]:
        """The 控规 before the 修规 (the profile's order), each kind in folder order."""
        for plan in sorted(town.detailed_plans, key=lambda p: p.kind != "regulatory"):
            if plan.text is None:
                continue
            yield self._detailed_plan(town, plan, plan.text)

    def _detailed_plan(self, town: Town, plan: DetailedPlan, text: MarkdownFile) -> DocumentSpec:
        meta = text.meta
        key = "regulatory_plan" if plan.kind == "regulatory" else "site_plan"
        doctype = self.profile.documents.get(key)
        title = str(meta.get("title") or f"{town.name}{plan.slug}")
        base = self.root / plan.folder

        def parts() -> tuple[Part, ...]:
            built = self._plan_parts([text], doctype, plan.drawings, base)
            if plan.kind == "regulatory":
                # the 地块指标一览表 always comes from parcels.yaml (the one source); a table
                # the text has of its own is optional and checked against it (TP609). It goes
                # before a generated drawing list.
                at = -1 if built[-1].origin.path == DRAWING_LIST else len(built)
                built.insert(at, self._parcels(plan, doctype, base))
            return tuple(built)

        stage = _stage(meta, doctype)
        lines = [str(meta.get("institute") or ""), _month(_date(meta, "date")), stage.line]
        sources = [text.ref.path, plan.folder]
        return DocumentSpec(
            file_name(title), title, parts, tuple(x for x in lines if x), author=lines[0] or town.name,
            subject=_subject(town.name, doctype),
            date=_date(meta, "date"), sources=tuple(sources), plan=True,
            table_captions=doctype is not None and doctype.table_captions,
            stage=stage.stage, version=stage.version, watermark=stage.watermark,
            make_front=lambda: self._revisions(meta, doctype, base),
            compare_to=_compare_to(meta), text=(text.ref.path,),
        )  # fmt: skip

    def _revisions(
        self, meta: Located, doctype: DocumentType | None, base: Path
    ) -> tuple[Part, ...]:
        """The 修订记录 of a plan that lists its ``revisions``: one row per entry, in the order
        written (none for a plan without them)."""
        spec = doctype.fields.get("revisions") if doctype is not None else None
        entries = meta.get("revisions")
        if spec is None or not isinstance(entries, list) or not entries:
            return ()
        rows = [
            [_item(meta, spec.items.get(key), index) for key in REVISION_COLUMNS]
            for index, entry in enumerate(entries)
            if isinstance(entry, dict)
        ]
        for row in rows:  # a stage is a label: on one line (征求意见稿 never wraps after 见)
            row[2] = joined(row[2])
        return (self.templates.part("revisions.md.j2", base, rows=rows),) if rows else ()

    def _plan_parts(
        self,
        files: Sequence[MarkdownFile],
        doctype: DocumentType | None,
        drawings: Sequence[Asset],
        base: Path,
    ) -> list[Part]:
        """A plan's text (each figure a drawing on its own page), the sections the profile
        requires that it lacks (【缺：…】), and a generated drawing list when no chapter of the
        text lists the drawings (``lists_drawings``); it then stands in for the missing chapter."""
        listing = drawing_list_heading(doctype)
        listed = lists_drawings(files, listing)
        built = source_parts(files, self.root, drawings=True)
        built += _missing_sections(
            self.templates, files, doctype, base, standing_in=None if listed else listing
        )
        if not listed:
            rows = _drawings(files, drawings, self.root)
            built.append(self.templates.part("drawing-list.md.j2", base, drawings=rows))
        return built

    def _parcels(self, plan: DetailedPlan, doctype: DocumentType | None, base: Path) -> Part:
        rows = []
        total = Decimal(0)
        parcels = plan.parcels
        specs = doctype.parcel_fields if doctype else {}
        if parcels is not None and isinstance(parcels.data, list):
            for index, parcel in enumerate(parcels.data):
                if not isinstance(parcel, dict):
                    continue
                row = {}
                for key in (
                    "id",
                    "use",
                    "use_name",
                    "area",
                    "far",
                    "density",
                    "height",
                    "green_ratio",
                    "parking",
                    "facilities",
                ):
                    spec = specs.get(key)
                    parsed = read_field(parcels, spec, index).parsed if spec else None
                    row[key] = (
                        number_text(as_written(parsed))
                        if parsed is not None and isinstance(parsed.value, Decimal)
                        else (parcel.get(key) or "")
                    )
                area = read_field(parcels, specs["area"], index).parsed if "area" in specs else None
                if area is not None and isinstance(area.value, Decimal):
                    total += as_written(area)
                rows.append(row)
        return self.templates.part(
            "parcels.md.j2", base, parcels=rows, total_area=number_text(total) if rows else ""
        )

    def construction_plan(self, town: Town) -> Iterable[DocumentSpec]:
        plan = town.construction_plan
        if plan is None:
            return
        meta = plan.meta
        doctype = self.profile.documents.get("construction_plan")
        fields = doctype.fields if doctype else {}
        title = str(meta.get("title") or f"{town.name}小城镇建设计划")
        base = self.root / town.folder
        issuer = str(meta.get("issuer") or missing("发文机关"))
        mark = str(meta.get("issuer_mark") or f"{issuer}文件")

        def parts() -> tuple[Part, ...]:
            body, written = split_attachments(plan.tokens)
            titles = [f"{town.name}小城镇建设项目一览表", *(a.title for a in written)]
            labels = attachment_labels(len(titles))
            head = self.templates.part(
                "gongwen-head.md.j2", base, mark=mark, title=title,
                doc_number=str(meta.get("doc_number") or missing("发文字号")),
                recipient=_recipient(meta.get("recipient")), signers=names_of(meta.get("signer")),
            )  # fmt: skip
            day = _date(meta, "date")
            projects = [self._project_row(town, p, day) for p in in_plan_order(town)]
            total = sum((p["total"] for p in projects if p["total"] is not None), Decimal(0))
            tail = self.templates.part(
                "gongwen-tail.md.j2", base, issuer=issuer, date=_value(meta, fields.get("date")),
                attachments=titles, label=labels[0], projects=projects,
                total_investment=number_text(total),
            )  # fmt: skip
            office, date = _printed(meta, fields)
            imprint = self.templates.part(
                "gongwen-imprint.md.j2", base, cc=_cc(meta.get("cc")), office=office, date=date
            )
            return (
                head,
                Part(body, self.root / Path(plan.ref.path).parent, Origin(plan.ref.path)),
                *_missing_sections(self.templates, [plan], doctype, base),
                tail,
                *(
                    Part(
                        a.labelled(label),
                        self.root / Path(plan.ref.path).parent,
                        Origin(plan.ref.path),
                    )
                    for a, label in zip(written, labels[1:], strict=True)
                ),
                imprint,
            )

        # The 附件's 形象进度 may come from the reports (as of the plan's date): they are inputs.
        sources = [
            plan.ref.path,
            *(p.brief.ref.path for p in town.projects if p.brief),
            *(r.doc.ref.path for r in town.reports),
        ]
        yield DocumentSpec(
            file_name(title), title, parts, cover=False, toc=False, author=issuer,
            subject=_subject(town.name, doctype),
            date=_date(meta, "date"), sources=tuple(sources), gongwen=Gongwen(xml_text(mark)),
        )  # fmt: skip

    def _brief_fields(self) -> dict[str, FieldSpec]:
        doctype = self.profile.documents.get("project_brief")
        return dict(doctype.fields) if doctype else {}

    def _project_row(self, town: Town, project: Project, day: dt.date | None) -> dict[str, Any]:
        """One row of the 项目一览表 of a 建设计划 dated ``day``: its 形象进度 as of that day."""
        fields = self._brief_fields()
        if project.brief is None:
            return {"name": project.slug, "category": missing("项目简介"), "zone": "", "scale": "", "investment": "",
                    "funding": "", "deadline": "", "progress": "", "leader": "", "total": None}  # fmt: skip
        meta = project.brief.meta
        funding = _funding(meta, fields.get("funding"))
        return {
            "name": project.name,
            "category": _value(meta, fields.get("category")),
            "zone": _value(meta, fields.get("zone")),
            "scale": _value(meta, fields.get("scale")),
            "investment": number_text(_number(meta, fields.get("investment")))
            or missing("投资规模"),
            "funding": "；".join(f"{s}{a}" for s, a in funding) if funding else missing("资金来源"),
            "deadline": _value(meta, fields.get("deadline")),
            "progress": self._progress_cell(town, project, day),
            "leader": _value(meta, fields.get("leader")),
            "total": _number(meta, fields.get("investment")),
        }

    def _progress_cell(self, town: Town, project: Project, day: dt.date | None) -> str:
        """形象进度 as of ``day``; "未开工" before the brief's 开工日期, "—" when nothing is known
        by then (a figure reported later is not the plan's to print)."""
        percent = self.standing(town, project, day).percent
        if percent is not None:
            return percent_text(percent)
        found = self._progress_of(town, project)
        if day is not None and found is not None and found.start is not None and found.start > day:
            return "未开工"
        return EMPTY

    def briefs(self, town: Town) -> Iterable[DocumentSpec]:
        projects = [p for p in town.projects if p.brief is not None]
        if not projects:
            return
        base = self.root / town.folder

        def parts() -> tuple[Part, ...]:
            built: list[Part] = []
            for index, project in enumerate(projects):
                assert project.brief is not None
                if index:
                    built.append(_page_break())
                form = self._brief_form(town, project, date)
                built.append(self.templates.part("project-brief.md.j2", base, p=form))
                built += source_parts([project.brief], self.root, demote=1)
            return tuple(built)

        title = f"{town.name}小城镇建设项目简介汇编"
        dates = [d for p in projects if p.brief and (d := _date(p.brief.meta, "submitted"))]
        date = max(dates) if dates else None
        # A brief that leaves its progress to the reports prints theirs: they are inputs.
        sources = (*(p.brief.ref.path for p in projects if p.brief),
                   *(r.doc.ref.path for r in town.reports))  # fmt: skip
        # Its contents list the projects: the five headings of each brief are the same form
        # (一、项目概况 … 五、完成时限及责任), and listed they ran the contents onto a second page.
        yield DocumentSpec(
            file_name(title), title, parts, (town.name, _month(date)),
            author=town.name, date=date, subject=f"{town.name} · 项目简介汇编", sources=sources,
            toc_levels=BRIEFS_TOC_LEVELS,
        )  # fmt: skip

    def _brief_form(self, town: Town, project: Project, day: dt.date | None) -> dict[str, Any]:
        """The fixed form of one project: the fields that apply (【缺：…】 only for a required one
        that is missing, "—" for an optional one left empty), the funding split, and the permit
        items that apply with their status. A 形象进度百分比 or 累计完成投资 the brief leaves out
        is the latest report's as of the brief's 进度截至日期 (else the compilation's ``day``)."""
        assert project.brief is not None
        meta = project.brief.meta
        doctype = self.profile.documents.get("project_brief")
        fields = self._brief_fields()
        as_of = _date(meta, "progress_date") or day
        form = [
            {"label": spec.label, "value": self._form_value(town, project, key, as_of)}
            for key, spec in fields.items()
            if spec.type not in ("list", "mapping")
            and key != "title"
            and _applies(meta, spec, doctype)
        ]
        funding = _funding(meta, fields.get("funding"))
        total = sum((a for _, a in funding if isinstance(a, Decimal)), Decimal(0))
        return {
            "name": project.name,
            "form": form,
            "funding": [
                {"source": s, "amount": number_text(a) if isinstance(a, Decimal) else a}
                for s, a in funding
            ]
            or [{"source": missing("资金来源"), "amount": ""}],
            "funding_total": number_text(total) if funding else "",
            "permits": self._permits(meta, doctype),
        }

    def _form_value(self, town: Town, project: Project, key: str, day: dt.date | None) -> str:
        """One field of a brief's form; its progress figures from the reports when it states
        none, naming the report they come from."""
        assert project.brief is not None
        meta = project.brief.meta
        spec = self._brief_fields()[key]
        if key in _FROM_REPORTS and not read_field(meta, spec).present:
            standing = self.standing(town, project, day)
            if key == "progress_percent" and standing.percent_from is not None:
                entry, shown = standing.percent_from, percent_text(standing.percent)
                return f"{shown}（据{chinese_date(entry.report_date)}周报）"
            if key == "cumulative_investment" and standing.cumulative_from is not None:
                entry, shown = standing.cumulative_from, f"{number_text(standing.cumulative)}万元"
                return f"{shown}（据{chinese_date(entry.report_date)}周报）"
        return _value(meta, spec, self.profile.documents.get("project_brief"))

    def _permits(self, meta: Located, doctype: DocumentType | None) -> list[dict[str, str]]:
        """The permit items that apply (an item with a ``when`` condition that does not hold and
        no status is left out) and their status. Without a ``permits`` mapping every item is
        【缺：…】 (TP201 reports it); an item the mapping leaves out reads "未说明" (TP305 warns)."""
        given = meta.get("permits")
        rows = []
        for key, label, when in _permit_items(self.profile):
            status = given.get(key) if isinstance(given, dict) else None
            if (
                status is None
                and when is not None
                and not (doctype is not None and condition_holds(meta, doctype, when))
            ):
                continue
            if not isinstance(given, dict):
                shown = missing(label)
            else:
                shown = str(status) if status not in (None, "") else NOT_STATED
            rows.append({"label": label, "status": shown})
        return rows

    def district_summary(
        self, matrix: Sequence[Sequence[str]], check: tuple[str, str], towns: Sequence[Town]
    ) -> DocumentSpec:
        """The district's summary: ``matrix`` is the completeness matrix as printed (a row per
        town: its name, then each deliverable's state), ``check`` the check's verdict in a
        reviewer's words and what it was checked against (``report.reviewer_line``). It has no
        date of its own: it is dated by the latest of the towns' documents."""
        base = self.root / "towns"
        labels = [d.label for d in self.profile.deliverables]
        indicator_rows = [
            [
                indicator.label,
                indicator_target(indicator),
                *(_marked(indicator_cell(t, key, indicator, self.facts)) for t in towns),
            ]
            for key, indicator in self.profile.indicators.items()
        ]
        sources = list(self.profile.lists.get("funding_sources", ()))
        figures = [self.investment_figures(t, sources) for t in towns]
        investment_rows = [_investment_row(t, f) for t, f in zip(towns, figures, strict=True)]
        totals: list[object] = ["合计", sum(len(t.projects) for t in towns)]
        totals += [number_text(sum(column, Decimal(0))) for column in zip(*figures, strict=True)]
        part, text = self.templates.deferred_part(
            "district-summary.md.j2", base,
            matrix_header=["镇", *labels], matrix_align=["l", *("c" * len(labels))],
            matrix_rows=[list(row) for row in matrix],
            check_summary=check[0], check_basis=check[1],
            indicator_header=["指标", "区级目标", *(t.name for t in towns)],
            indicator_align=["l", "l", *("r" * len(towns))], indicator_rows=indicator_rows,
            investment_header=["镇", "项目数", "总投资", *sources, UNSTATED, "累计完成投资"],
            investment_align=["l", *("r" * (len(sources) + 4))], investment_rows=[*investment_rows, totals],
        )  # fmt: skip
        title = f"{self.district.name}小城镇建设情况汇总"
        year = self.district.meta.get("plan_year") if self.district.meta else None
        return self._worded(DocumentSpec(
            file_name(title), title, lambda: (part(),), (str(self.district.meta.get("lead_office") or "") if self.district.meta else "", f"{year}年" if year else ""),
            author=self.district.name, sources=("towns",), date=self._latest_date(towns),
            subject=f"{self.district.name} · 小城镇建设情况汇总（完整性、指标、投资）",
            content_key=hashlib.sha256(text.encode("utf-8")).hexdigest()[:32],
        ), None)  # fmt: skip

    def _latest_date(self, towns: Sequence[Town]) -> dt.date | None:
        """The latest date any of the towns' documents carries, their 周报 included (the summary
        prints the latest report's 累计完成投资; its own date, so its properties do not depend
        on the day it is built)."""
        dates = [s.date for t in towns for s in self.town_documents(t) if s.date is not None]
        reported = (date_or_none(r.doc.meta.get("date")) for t in towns for r in t.reports)
        return max([*dates, *(d for d in reported if d is not None)], default=None)

    def investments(self, town: Town, sources: Sequence[str]) -> list[object]:
        """A town's row of the investment summary: name, number of projects, total investment,
        each funding source's share, the part no source is stated for, investment completed (the district summary's own numbers,
        also shown by serve's dashboard)."""
        return _investment_row(town, self.investment_figures(town, sources))

    def investment_figures(self, town: Town, sources: Sequence[str]) -> list[Decimal]:
        """A town's total investment, each funding source's share, the part no source is stated
        for (``UNSTATED``) and the investment completed,
        as its briefs' fields state them in the fact base (a funding list is read whole or not
        at all: a sum over part of it would mislead); the 累计完成投资 of a brief that states
        none is the latest report's (one source for progress)."""
        total = done = Decimal(0)
        by_source = dict.fromkeys(sources, Decimal(0))
        for project in town.projects:
            if project.brief is None:
                continue
            stated = self._brief_figures(town, project)
            total += stated.get("investment", Decimal(0))
            cumulative = stated.get("cumulative_investment")
            if cumulative is None:
                cumulative = self.standing(town, project, None).cumulative
            done += cumulative or Decimal(0)
            for source in by_source:
                by_source[source] += stated.get(f"funding.{source}", Decimal(0))
        # What the stated sources leave of the total (a brief without its 资金来源): shown, so
        # that the sources' columns never seem to add up to less than the total unexplained.
        unstated = max(total - sum(by_source.values(), Decimal(0)), Decimal(0))
        return [total, *by_source.values(), unstated, done]

    def _brief_figures(self, town: Town, project: Project) -> dict[str, Decimal]:
        """Each figure a project's brief states in its fields (in 万元, as written)."""
        assert project.brief is not None
        path = project.brief.ref.path
        found: dict[str, Decimal] = {}
        for fact in self.facts.about(Entity("project", f"{town.slug}/{project.slug}")):
            value = fact.value
            if fact.origin == "field" and fact.source.path == path and isinstance(value, Quantity):
                found.setdefault(fact.attribute, as_written(value))
        return found


UNSTATED = "未列明来源"
"""The investment summary's column for the part of the total no funding source is stated for."""


def _investment_row(town: Town, figures: Sequence[Decimal]) -> list[object]:
    return [town.name, len(town.projects), *(number_text(v) for v in figures)]


def workspace_terms(profile: Profile, places: Iterable[str]) -> tuple[str, ...]:
    """The terms every document is segmented with: the place names of the knowledge registry,
    the land-use names, the funding sources (“部门资金”, “镇自筹”: review S2 found them parted
    in a 资金来源 cell) and the vocabulary of the profile (“管网”, “门诊楼”: review T1), all
    under templates/, an input of every output. Not the project categories: “公共服务设施” whole
    would set a crowded 附件 table a size smaller."""
    land_use = [name for names in profile.review.land_use_names.values() for name in names]
    listed = [
        str(name)
        for key in ("funding_sources", "vocabulary")
        for name in profile.lists.get(key, ())
    ]
    return tuple(sorted({*places, *land_use, *listed}))


def _page_break() -> Part:
    """A page break between two projects' forms (no links, nothing to report)."""
    return Part(tuple(mdparser.parse("\\newpage\n")), Path(), Origin())


def in_plan_order(town: Town) -> list[Project]:
    """The town's projects in the order of its construction plan's project table (the 公文's 附件
    lists them as its body does); projects the table does not name follow, by folder."""
    plan = town.construction_plan
    order = mdparser.project_order(plan) if plan is not None else {}
    return sorted(
        town.projects, key=lambda p: (order.get(mdparser.name_key(p.name), len(order)), p.slug)
    )


@dataclass(frozen=True, slots=True)
class WrittenAttachment:
    """A ``::: attachment`` block the town wrote in its construction plan: printed after the
    generated 项目一览表, numbered with it."""

    title: str
    tokens: tuple[Token, ...]

    def labelled(self, label: str) -> tuple[Token, ...]:
        """The block with its 附件 label ("附件2") as its first line (GB/T 9704 7.3.7)."""
        opening, *inside = self.tokens
        return (opening, *mdparser.parse(f"{label}\n"), *inside)


def split_attachments(tokens: Sequence[Token]) -> tuple[tuple[Token, ...], list[WrittenAttachment]]:
    """The body without its top-level ``::: attachment`` blocks, and those blocks in order; each
    block's title is its first heading (else its first line)."""
    body: list[Token] = []
    found: list[WrittenAttachment] = []
    current: list[Token] | None = None
    for token in tokens:
        if current is None and token.type == "container_attachment_open" and token.level == 0:
            current = [token]
        elif current is not None:
            current.append(token)
            if token.type == "container_attachment_close" and token.level == 0:
                found.append(WrittenAttachment(_block_title(current), tuple(current)))
                current = None
        else:
            body.append(token)
    if current is not None:  # an unclosed block runs to the end of the file
        found.append(WrittenAttachment(_block_title(current), tuple(current)))
    return tuple(body), found


def _block_title(tokens: Sequence[Token]) -> str:
    inlines = [t for t in tokens if t.type == "inline"]
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            return mdparser.inline_text(tokens[index + 1])
    return mdparser.inline_text(inlines[0]) if inlines else missing("附件标题")


def attachment_labels(count: int) -> list[str]:
    """附件 labels: "附件" for a single attachment, "附件1", "附件2" … for several (7.3.7)."""
    return ["附件"] if count == 1 else [f"附件{number}" for number in range(1, count + 1)]


def _recipient(value: object) -> str:
    """主送机关 ending with one full-width colon (GB/T 9704 7.3.2)."""
    text = str(value).strip() if value else missing("主送机关")
    return text.rstrip("：:") + "："


def _cc(value: object) -> str:
    """抄送机关 as printed in the 版记: separated by "，", ending with "。" (GB/T 9704 7.4.2)."""
    if not value:
        return ""
    items = value if isinstance(value, list) else [value]
    names = [str(item).strip().rstrip("，。；、,.;") for item in items if str(item).strip()]
    return "，".join(names) + "。" if names else ""


def _printed(meta: Located, fields: Mapping[str, FieldSpec]) -> tuple[str, str]:
    """印发机关 and 印发日期 for the 版记: both or neither (7.4.3); one without the other prints the
    other as 【缺：…】 (no checker rule reports that pairing yet)."""
    office, date = meta.get("print_office"), meta.get("print_date")
    if not office and not date:
        return "", ""
    return (
        str(office) if office else missing("印发机关"),
        _value(meta, fields.get("print_date")) if date else missing("印发日期"),
    )


@dataclass(frozen=True, slots=True)
class _Stage:
    """A plan's 成果阶段 and 版本号 as the outputs show them."""

    stage: str
    version: str
    watermark: str
    """The stage when it is one before the final (the last the profile allows), else empty."""

    @property
    def line(self) -> str:
        return "　".join(x for x in (self.stage, self.version) if x)


def _stage(meta: Located, doctype: DocumentType | None) -> _Stage:
    """Stage and version from a plan's front matter. Only a stage the profile allows, before its
    last (批准稿), is a watermark: a misspelt one (TP203) or an unfilled 【待填写】 is not."""
    stage = xml_text(str(meta.get("status") or "")).strip()
    version = xml_text(str(meta.get("version") or "")).strip()
    spec = doctype.fields.get("status") if doctype is not None else None
    drafts = spec.enum[:-1] if spec is not None else ()
    return _Stage(stage, version, stage if stage in drafts else "")


REVISION_COLUMNS = ("version", "date", "status", "summary")
"""The 修订记录's columns: 版本, 日期, 成果阶段, 修订摘要 (a ``reason`` is the 修改对照表's)."""


def _item(meta: Located, spec: FieldSpec | None, index: int) -> str:
    """A field of the ``index``-th revision as the table shows it: a date in Chinese, an absent
    or unreadable value as written or "—" (the checker reports it)."""
    if spec is None:
        return EMPTY
    value = read_field(meta, spec, "revisions", index)
    if not value.present or value.raw in (None, ""):
        return EMPTY
    if value.parsed is not None and isinstance(value.parsed.value, dt.date):
        return chinese_date(value.parsed.value)
    return str(value.raw)


def _month(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月" if value else ""


def _funding(meta: Located, spec: FieldSpec | None) -> list[tuple[str, Decimal | str]]:
    items = meta.get("funding")
    if spec is None or not isinstance(items, list):
        return []
    result: list[tuple[str, Decimal | str]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        amount_spec = spec.items.get("amount")
        parsed = read_field(meta, amount_spec, "funding", index).parsed if amount_spec else None
        amount: Decimal | str = (
            as_written(parsed)
            if parsed is not None and isinstance(parsed.value, Decimal)
            else str(item.get("amount", ""))
        )
        result.append((str(item.get("source", "")), amount))
    return result


NOT_STATED = "未说明"
"""A permit item that applies but has no status yet (the checker warns: TP305)."""


def _permit_items(profile: Profile) -> list[tuple[str, str, Condition | None]]:
    """(key, label, when) of every permit item the profile lists."""
    brief = profile.documents.get("project_brief")
    items = brief.permit_items if brief is not None else ()
    return [(item.key, item.label, item.when) for item in items]


DRAWING_LIST = "templates/documents/drawing-list.md.j2"
DRAWING_LIST_TITLE = "图纸目录"
_DRAWING_LIST_DEFAULT = HeadingSpec(DRAWING_LIST_TITLE, ("规划图纸", "图纸"))


def drawing_list_heading(doctype: DocumentType | None) -> HeadingSpec:
    """The heading of a plan's drawing list: the profile's required heading titled 图纸目录 (or
    with 图纸目录 among its synonyms), else 图纸目录 / 规划图纸 / 图纸."""
    for spec in doctype.headings if doctype else ():
        if DRAWING_LIST_TITLE in (spec.title, *spec.synonyms):
            return spec
    return _DRAWING_LIST_DEFAULT


def lists_drawings(files: Sequence[MarkdownFile], listing: HeadingSpec) -> bool:
    """Whether the text has a chapter that lists the drawings: a heading of any level matching
    ``listing`` (its title or a synonym, numbering ignored, as the checker matches headings), e.g.
    "第十章 图纸目录" or "九、规划图纸". Then the generated drawing list would repeat it."""
    return any(heading_matches(h.text, listing) for f in files for h in f.headings)


def _drawings(
    files: Sequence[MarkdownFile], assets: Sequence[Asset], root: Path
) -> list[dict[str, str]]:
    """The drawings the text shows, in its order: title (the image's alt text) and 图号 (the
    figure number both writers give it; "—" for an image inside a sentence). A drawing whose
    file is missing is marked (TP005); files the text never shows are not part of the document
    and not listed (TP303 names them)."""
    numbers = _figure_numbers(files)
    present = {asset.path for asset in assets}
    listed: list[dict[str, str]] = []
    seen: set[str] = set()
    for markdown in files:
        for link in markdown.links:
            if not link.is_image or not link.resolved or link.resolved in seen:
                continue
            seen.add(link.resolved)
            number = numbers.get(link.resolved)
            shown = f"图 {number}" if number is not None else EMPTY
            exists = link.resolved in present or (root / link.resolved).is_file()
            listed.append(
                {
                    "title": link.text or Path(link.target).stem,
                    "number": shown if exists else missing("图纸文件"),
                }
            )
    return listed


def _figure_numbers(files: Sequence[MarkdownFile]) -> dict[str, int]:
    """The 图号 of each figure (by its workspace-relative file) as the writers number figures: in
    document order, from 1, a paragraph holding only an image being a figure."""
    found: dict[str, int] = {}
    count = 0
    for markdown in files:
        folder = posixpath.dirname(markdown.ref.path)
        for index in range(len(markdown.tokens)):
            image = figures.lone_image(markdown.tokens, index)
            if image is None:
                continue
            count += 1
            source = unquote(urlsplit(str(image.attrs.get("src", ""))).path)
            found.setdefault(posixpath.normpath(posixpath.join(folder, source)), count)
    return found


def indicator_target(indicator: Any) -> str:
    """An indicator's district target as printed (≥8㎡/人), or why there is none (the district
    summary and serve's dashboard both show it)."""
    if indicator.target is None:
        return "待确认（原文不可辨认）"
    comparator = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<"}[indicator.comparator]
    return f"{comparator}{number_text(indicator.target)}{indicator.unit}"


def indicator_cell(town: Town, key: str, indicator: Any, facts: FactBase) -> str:
    """A town's value of an indicator as printed beside the target ("—" when not given), as the
    fact base read it (``indicator.<key>``); a value given that it could not read is shown as
    written, marked 格式有误."""
    values = town.meta.get("indicators") if town.meta else None
    entry = values.get(key) if isinstance(values, dict) else None
    raw = entry.get("value") if isinstance(entry, dict) else entry
    if raw is None:
        return "—"
    value = next(
        (f.value for f in facts.of(Entity("town", town.slug), f"indicator.{key}")
         if isinstance(f.value, Quantity)),
        None,
    )  # fmt: skip
    if value is None:
        return f"{raw}（格式有误）"
    shown = f"{number_text(as_written(value))}{indicator.unit}"
    if indicator.target is None:
        return f"{shown}（待确认）"
    meets = holds(value.value, indicator.comparator, indicator.target)
    return shown if meets else f"{shown}（{MISSED}）"


MISSED = "未达标"
"""What a town's indicator cell adds, in brackets, after a value that misses the district target
(TP401): a short remark the writers keep on one line, as “（待确认）”."""


def _marked(text: str) -> Markdown:
    """An indicator cell for the summary's table: a missed target's word in bold, so a reviewer
    sees it at a glance (a ✗ in 10 pt was missed)."""
    mark = f"（{MISSED}）"
    if text.endswith(mark):
        return Markdown(f"{cell(text.removesuffix(mark))}**{mark}**")
    return cell(text)


# -- writing ----------------------------------------------------------------------------------------------


def to_docx(
    spec: DocumentSpec,
    style: Style,
    root: Path,
    stamp: dt.datetime,
    contents: Sequence[TocLine] = (),
    body: Callable[[DocxWriter, Sequence[Part]], None] | None = None,
    bare_imprint: bool = False,
) -> tuple[bytes, list[OutputProblem]]:
    """The Word document as bytes, and what the writer could not render. ``contents``: the
    table of contents as the PDF prints it (``contents``), written as the TOC field's result;
    ``body``: writes the parts instead of the writer's plain ``add_markdown`` (the tracked
    changes, ``revision.tracked``), between the contents and the properties; ``bare_imprint``: a
    公文's 版记 page without a page number (a blank page goes before it)."""
    from townplans.render import ooxml
    from townplans.render.docx import DocxWriter  # python-docx only when a document is written

    cover = _cover_texts(spec)
    writer = DocxWriter(
        _listed(spec, style),
        root,
        plan=spec.plan,
        table_captions=spec.table_captions,
        lexicon=spec.lexicon,
        gongwen=spec.gongwen is not None,
        landscape=spec.landscape,
        invisible=spec.invisible,
        bare_imprint=bare_imprint,
    )
    if spec.cover:
        writer.add_cover(cover.title, cover.lines)
    if spec.running_header or spec.watermark:
        writer.add_header(xml_text(spec.running_header), spec.watermark)
    front = spec.make_front()
    if front:
        captions, writer.table_captions = writer.table_captions, False
        for part in front:
            writer.add_markdown(part.tokens, part.base_dir, part.origin)
        writer.table_captions = captions
        writer.page_break()
    if spec.toc:
        writer.add_toc(contents)
    parts = spec.parts
    writer.families = table_families(prepare(part.tokens).tokens for part in parts)
    if body is not None:
        body(writer, parts)
    else:
        for part in parts:
            writer.add_markdown(part.tokens, part.base_dir, part.origin, drawings=part.drawings)
    ooxml.set_properties(writer.document, cover.title, cover.author, stamp, spec.subject)
    return writer.to_bytes(), _once_per_file([*writer.problems, *cover.problems])


def contents(
    spec: DocumentSpec,
    style: Style,
    root: Path,
    font_faces: str,
    pages: Callable[[str], Mapping[str, int]],
) -> list[TocLine]:
    """The table of contents of ``spec`` as its PDF prints it: the headings down to
    ``toc_levels``, each with the page ``pages`` (the PDF's layout of the document's HTML) puts
    it on. The Word writer stores these as its TOC field's result."""
    from townplans.render.ooxml import TocLine, bookmark_name

    if not spec.toc:
        return []
    html, body, _ = _html(spec, style, root, font_faces)
    found = pages(html)
    return [
        TocLine(entry.level, entry.text, bookmark_name(entry.anchor), found.get(entry.anchor))
        for entry in body.toc
        if entry.level <= _listed(spec, style).toc_levels
    ]


def _listed(spec: DocumentSpec, style: Style) -> Style:
    """``style`` with the heading ranks ``spec``'s contents list (its own ``toc_levels``)."""
    if spec.toc_levels is None or spec.toc_levels == style.toc_levels:
        return style
    return replace(style, toc_levels=spec.toc_levels)


def _body(
    spec: DocumentSpec, style: Style, root: Path, parts: Sequence[Part] | None = None
) -> html_render.RenderedBody:
    """The body of ``spec`` (or ``parts``, numbered apart and without table captions: the
    pages between the cover and the contents)."""
    page = html_render.TablePage(
        style.text_width_mm,
        style.landscape_text_width_mm,
        style.fonts["table"].size,
        captions=spec.table_captions and parts is None,
        lexicon=spec.lexicon,
    )
    return html_render.render_body(
        [
            html_render.HtmlPart(p.tokens, p.base_dir, root, p.origin, p.drawings)
            for p in (spec.parts if parts is None else parts)
        ],
        page,
        text_height_mm=style.text_height_mm,
        line_spacing_pt=style.line_spacing_pt,
        rank=style.plan_rank if spec.plan else None,
    )


def to_html(
    spec: DocumentSpec, style: Style, root: Path, font_faces: str = ""
) -> tuple[str, list[OutputProblem]]:
    """The print HTML page for WeasyPrint, and what could not be rendered."""
    page, _, problems = _html(spec, style, root, font_faces)
    return page, problems


def _html(
    spec: DocumentSpec, style: Style, root: Path, font_faces: str
) -> tuple[str, html_render.RenderedBody, list[OutputProblem]]:
    cover = _cover_texts(spec)
    body = _body(spec, style, root)
    front_parts = spec.make_front()
    front = _body(spec, style, root, front_parts) if front_parts else None
    stylesheet = css(style, font_faces)
    if spec.gongwen is not None:
        stylesheet += gongwen.css(style, spec.gongwen.mark)
    page = html_render.page(
        cover.title, body, stylesheet, cover.lines, cover=spec.cover, toc=spec.toc,
        toc_levels=_listed(spec, style).toc_levels, plan=spec.plan,
        gongwen=spec.gongwen is not None,
        running=xml_text(spec.running_header), front=front.html if front else "",
        watermark=_watermark_html(spec, style),
        landscape=spec.landscape,
        metadata=html_render.metadata(cover.author, spec.subject, source_stamp(spec.date)),
    )  # fmt: skip
    front_problems = front.problems if front else []
    return page, body, _once_per_file([*front_problems, *body.problems, *cover.problems])


def _watermark_html(spec: DocumentSpec, style: Style) -> str:
    """The PDF's watermark: the stage as outlines (``watermark``: ink without a text layer), or
    as text where no outline can be made; none when style.yaml switches it off."""
    look = style.watermark
    if not spec.watermark or not look.enabled:
        return ""
    fonts = style.fonts["heading1"].pdf
    drawn = watermark.svg(spec.watermark, fonts, look.size, look.color, look.opacity)
    return drawn if drawn is not None else escape(spec.watermark)


@dataclass(frozen=True, slots=True)
class _Cover:
    """The title, cover lines and author as written into the outputs."""

    title: str
    lines: tuple[str, ...]
    author: str
    problems: tuple[OutputProblem, ...]


def _subject(place: str, doctype: DocumentType | None) -> str:
    """A document's Subject: the place and the kind of document the profile names."""
    return f"{place} · {doctype.label}" if doctype is not None else place


def _cover_texts(spec: DocumentSpec) -> _Cover:
    """The document's own texts (from front matter and town.yaml) without characters XML forbids;
    a dropped one is reported at the document's first source, which the title comes from."""
    texts = (spec.title, *spec.cover_lines, spec.author)
    found = next((text for text in texts if FORBIDDEN.search(text)), None)
    problems: tuple[OutputProblem, ...] = ()
    if found is not None:
        where = SourceRef(spec.sources[0]) if spec.sources else None
        problems = (OutputProblem("TP707", forbidden_message(found), where),)
    lines = tuple(xml_text(line) for line in spec.cover_lines)
    return _Cover(xml_text(spec.title), lines, xml_text(spec.author), problems)


def _once_per_file(problems: Sequence[OutputProblem]) -> list[OutputProblem]:
    """The problems with dropped characters reported once per file: the first place, and the
    writers' (which have a line) before the cover's (which has none)."""
    seen: set[str | None] = set()
    kept = []
    for problem in problems:
        if problem.code == "TP707":
            path = problem.ref.path if problem.ref else None
            if path in seen:
                continue
            seen.add(path)
        kept.append(problem)
    return kept
