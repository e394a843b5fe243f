"""The content model: frozen records of a workspace's district, towns and documents; no I/O.

Everything downstream (status, checks, rendering) works on these records. Each record that came from a
file carries a ``SourceRef`` so a message can always say ``path:line``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token


class Severity(enum.Enum):
    """How serious a finding is; the Chinese label is what users read."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A place in the workspace: a path relative to the workspace root, with optional line/column."""

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text

    def at(self, line: int | None, col: int | None = None) -> SourceRef:
        """The same file at another line."""
        return SourceRef(self.path, line, col)


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` safe for every report and terminal: control characters (a file name may hold an
    escape sequence), undecodable bytes and characters XML forbids become U+FFFD."""
    return _UNPRINTABLE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found wrong or worth a reviewer's attention, with a stable code."""

    code: str
    severity: Severity
    message: str
    ref: SourceRef
    source: str = "practice"
    """What the rule rests on: ``plan`` (source plan, with R-numbers), ``standard`` or ``practice``."""
    waiver: str | None = None
    """Set when an approved waiver covers this finding: who approved it and why."""

    def __str__(self) -> str:
        return f"{self.ref}: {self.code} {self.severity.label} {self.message}"

    def printable(self) -> Finding:
        """The same finding with its path and message safe to print (see ``printable``)."""
        ref = SourceRef(printable(self.ref.path), self.ref.line, self.ref.col)
        waiver = printable(self.waiver) if self.waiver is not None else None
        return Finding(self.code, self.severity, printable(self.message), ref, self.source, waiver)


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML document with the line of every key and list item (paths of keys/indices)."""

    data: Any
    lines: Mapping[tuple[str | int, ...], int]
    ref: SourceRef
    derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What readers derive from ``data`` (each field read against its spec, every string with its
    place), worked out on first use and kept: the data never changes once loaded."""

    def line_of(self, *path: str | int) -> int | None:
        """Line of ``path``, or of its nearest located ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def ref_of(self, *path: str | int) -> SourceRef:
        return self.ref.at(self.line_of(*path))

    def get(self, key: str, default: Any = None) -> Any:
        if isinstance(self.data, Mapping):
            return self.data.get(key, default)
        return default


@dataclass(frozen=True, slots=True)
class Heading:
    """A Markdown heading: level 1-6, its plain text and where it is."""

    level: int
    text: str
    ref: SourceRef


@dataclass(frozen=True, slots=True)
class Link:
    """An image or link target named in Markdown, resolved against the document's folder."""

    target: str
    is_image: bool
    ref: SourceRef
    resolved: str | None
    """Workspace-relative path when the target is a local file inside the workspace, else None."""
    text: str = ""
    """The image's alt text or the link's text (a drawing's title in a drawing list)."""


@dataclass(frozen=True, slots=True)
class MarkdownFile:
    """A Markdown file parsed once: its front matter (with lines) and its markdown-it token stream.

    Token ``map`` values are zero-based line ranges in the *file* (front matter included), so
    ``token.map[0] + 1`` is the file line of a block.
    """

    ref: SourceRef
    meta: Located
    tokens: tuple[Token, ...]
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    text: str
    front_matter_ok: bool = True
    """False when the front matter is missing, unclosed or not readable YAML: ``meta`` is then
    empty because nothing could be read, not because the author left the fields out."""
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What readers derive from the tokens (its lines, tables, sections), worked out on first use
    and kept (``townplans.rules.reading``, ``mdparser.tables``): the tokens never change, so
    every rule reads the same result instead of walking them again."""

    @property
    def title(self) -> str | None:
        value = self.meta.get("title")
        if isinstance(value, str) and value.strip():
            return value.strip()
        for heading in self.headings:
            if heading.level == 1:
                return heading.text
        return None


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What probing an image file found; ``error`` is set when it does not decode."""

    sha256: str
    error: str | None = None
    width: int = 0
    height: int = 0
    format: str | None = None
    """Pillow's format name (JPEG, PNG …), to compare with the file name's suffix."""
    mode: str = ""
    orientation: int = 1
    """EXIF Orientation 1–8 (1 when absent)."""
    taken: dt.datetime | None = None
    """EXIF DateTimeOriginal (else DateTime)."""
    gps: tuple[float, float] | None = None
    """Latitude, longitude in degrees (south and west negative)."""
    camera: str | None = None
    phash: str | None = None
    """Perceptual hash of the picture as shown (EXIF orientation applied): a 256-bit DCT hash
    (``imagehash.phash``, 16×16) in hex. Re-encoding, resizing or a greyscale copy changes a few
    of its bits; a different scene changes about half. None when the picture was not measured."""
    uniformity: float | None = None
    """Share (0–1) of the picture's pixels within ±8 grey levels of its most common level, on a
    thumbnail: 1.0 for one flat colour (a grey placeholder, a black frame), about 0.1–0.4 for a
    photo. None when the picture was not measured."""


@dataclass(frozen=True, slots=True)
class Asset:
    """A file the content folders hold: a drawing, photo, board or permit paper."""

    path: str
    """Workspace-relative path."""
    name: str
    suffix: str
    size: int
    image: ImageInfo | None = None
    """Probed facts for image files; None for other files."""


@dataclass(frozen=True, slots=True)
class Photo:
    """A project photo with the stage its folder gives and captions from photos.yaml."""

    asset: Asset
    stage: str
    caption: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MasterPlan:
    """总体规划: ordered chapter files and the drawings folder."""

    chapters: tuple[MarkdownFile, ...]
    drawings: tuple[Asset, ...]
    folder: str


@dataclass(frozen=True, slots=True)
class DetailedPlan:
    """控规 (kind ``regulatory``) or 修规 (kind ``site``) in detailed-plans/<slug>/."""

    slug: str
    kind: str
    folder: str
    text: MarkdownFile | None
    drawings: tuple[Asset, ...]
    parcels: Located | None


@dataclass(frozen=True, slots=True)
class Project:
    """One construction project: its brief, photos by stage and the other attachment folders."""

    slug: str
    folder: str
    brief: MarkdownFile | None
    photos: tuple[Photo, ...]
    drawings: tuple[Asset, ...]
    boards: tuple[Asset, ...]
    permits: tuple[Asset, ...]
    photos_meta: Located | None

    @property
    def name(self) -> str:
        if self.brief is not None:
            return self.brief.title or self.slug
        return self.slug

    def photos_in(self, stage: str) -> tuple[Photo, ...]:
        return tuple(photo for photo in self.photos if photo.stage == stage)


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    """周报 reports/YYYY-MM-DD.md; ``date_text`` is the file's date as written in its name."""

    date_text: str
    doc: MarkdownFile


@dataclass(frozen=True, slots=True)
class Town:
    """One town folder with everything it holds; missing parts are None or empty."""

    slug: str
    folder: str
    meta: Located | None
    construction_plan: MarkdownFile | None
    master_plan: MasterPlan | None
    detailed_plans: tuple[DetailedPlan, ...]
    projects: tuple[Project, ...]
    reports: tuple[WeeklyReport, ...]
    waivers: Located | None = None
    """towns/<town>/waivers.yaml, when present."""

    @property
    def name(self) -> str:
        if self.meta is not None:
            value = self.meta.get("name")
            if isinstance(value, str) and value.strip():
                return value.strip()
        return self.slug

    def holds(self, path: str) -> bool:
        """Whether a workspace-relative path (a finding's, an output's source) is in this town."""
        return path == self.folder or path.startswith(self.folder + "/")

    def markdown_files(self) -> Iterator[MarkdownFile]:
        """Every Markdown file of the town: construction plan, master-plan chapters, detailed
        plans, project briefs and weekly reports."""
        if self.construction_plan is not None:
            yield self.construction_plan
        if self.master_plan is not None:
            yield from self.master_plan.chapters
        for plan in self.detailed_plans:
            if plan.text is not None:
                yield plan.text
        for project in self.projects:
            if project.brief is not None:
                yield project.brief
        for report in self.reports:
            yield report.doc

    def assets(self) -> Iterator[Asset]:
        """Every drawing, photo, board and permit file of the town."""
        if self.master_plan is not None:
            yield from self.master_plan.drawings
        for detailed in self.detailed_plans:
            yield from detailed.drawings
        for project in self.projects:
            yield from (photo.asset for photo in project.photos)
            yield from project.drawings
            yield from project.boards
            yield from project.permits


@dataclass(frozen=True, slots=True)
class District:
    """towns/district.yaml and the towns in the order it lists them."""

    meta: Located | None
    towns: tuple[Town, ...]
    waivers: Located | None = None
    """towns/waivers.yaml: district-wide waivers (a town's own waivers.yaml reaches that town only)."""

    @property
    def name(self) -> str:
        if self.meta is not None:
            value = self.meta.get("name")
            if isinstance(value, str):
                return value
        return "未命名区"


def revision_name(value: object) -> str:
    """The revision a front matter's ``compare_to`` names (a tag, branch or commit; YAML may read
    a bare commit number as a number), or "" for none."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value).strip()
    return ""


@dataclass(frozen=True, slots=True)
class Revision:
    """The commit a git revision names (a plan's ``compare_to``), or why there is none (Chinese)."""

    commit: str | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Workspace:
    """A loaded workspace: the root, the district and every problem met while loading."""

    root: str
    district: District
    findings: tuple[Finding, ...]
    damaged: frozenset[str] = frozenset()
    """Files whose content (or front matter) could not be read: what rules would say about them
    derives from nothing, so the checker keeps only the loader's finding (root cause first)."""
    revisions: Mapping[str, Revision] = field(default_factory=dict)
    """The git revisions the documents' ``compare_to`` name, looked up once while loading (rules
    read them here and never run git themselves)."""
    head_commit: str | None = None
    """HEAD's commit when a document names a revision (a 修改对照表 is keyed by both)."""

    def town(self, slug: str) -> Town | None:
        for town in self.district.towns:
            if town.slug == slug:
                return town
        return None
