"""The workspace as serve shows it: loaded and checked, its findings per town, and the rendered
preview of every document and album, each with the inputs its build targets declare.

A change reloads and re-checks only what it touches: a file under ``towns/<slug>/`` that town
(``load.workspace.reload_town``, then the rules for that town alone); anything else (district.yaml,
the district's waivers, the templates, a new town folder) everything. Previews are re-rendered only
when one of their inputs changed (the inputs the build graph, ``targets.Graph``, declares for
them), and how many were is logged and kept for ``/api/state``. Previews are the build's print HTML
(the graph's ``Output.preview``: the same HTML WeasyPrint prints).
Documents are rendered when the workspace is loaded (the sample's thirty take about 0.2 s); an
album is rendered when it is first asked for (``ensure``), because its photos are prepared for
print through the build's photo cache, which on a workspace never built costs seconds; from then
on it is re-rendered like the documents when its inputs change.

Loading never raises for content (a half-written file is a loader finding); a render that fails
costs its own preview only, which then shows a Chinese message. A change that makes the profile or
style unusable keeps the last good state and shows why (``problem``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from townplans import errortext
from townplans import session as sessions
from townplans.check import CheckResult, Selection, run_rules
from townplans.facts.extract import build_facts
from townplans.fs import os_error
from townplans.load.images import ProbeCache
from townplans.load.workspace import reload_town
from townplans.model import Finding, Severity, Town
from townplans.paths import WorkspacePaths
from townplans.render.style import Style, StyleError, load_style
from townplans.status import TownStatus, town_status
from townplans.targets import Graph
from townplans.templating import TemplateError

log = logging.getLogger("townplans.serve")

_SOURCE = re.compile(r'data-src="([^"]*):(\d+)"')


@dataclass
class Preview:
    """One document or album of a town, as the browser previews it."""

    town: str
    name: str
    """The output's file name without suffix (渭城镇总体规划)."""
    inputs: tuple[str, ...]
    """Workspace-relative files and folders it is made from (its build targets' inputs)."""
    make: Callable[[], str]
    album: bool = False
    html: str = ""
    """The print HTML, as WeasyPrint gets it (``workspace:`` URLs, ``data-src`` on blocks)."""
    error: str = ""
    """Why the last render failed (Chinese); the preview then shows this instead."""
    renders: int = 0

    @property
    def key(self) -> str:
        return f"{self.town}/{self.name}"

    def uses(self, path: str) -> bool:
        """Whether ``path`` (workspace-relative) is one of the inputs or inside one."""
        return any(path == item or path.startswith(item + "/") for item in self.inputs)

    def shown_files(self) -> list[str]:
        """The files whose text the preview prints (from its blocks' ``data-src``), in order."""
        return list(dict.fromkeys(match.group(1) for match in _SOURCE.finditer(self.html)))

    @property
    def rendered(self) -> bool:
        return self.renders > 0

    def render(self) -> None:
        self.renders += 1
        try:
            self.html, self.error = self.make(), ""
        except Exception as exc:  # noqa: BLE001 - one broken preview must not stop the others
            self.html, self.error = "", f"本页预览生成失败：{_reason(exc)}"
            log.warning("预览 %s 生成失败：%s", self.key, _reason(exc))


def _reason(exc: Exception) -> str:
    """Why a preview failed, in Chinese: a template's own message at its line, an operating-system
    error, or an internal error (its English only with ``--debug``)."""
    if isinstance(exc, TemplateError):
        return f"{exc.path}" + (f":{exc.line}" if exc.line else "") + f"：{exc.message}"
    if isinstance(exc, OSError):
        return os_error(exc) + errortext.detail(exc)
    return errortext.unexpected(exc)


@dataclass(frozen=True, slots=True)
class Update:
    """What one change did: the towns re-checked, the previews re-rendered, the new version."""

    towns: tuple[str, ...]
    pages: tuple[str, ...]
    version: int


@dataclass
class TownView:
    """A town's findings (waived ones included) as the last check of it gave them."""

    town: Town
    findings: tuple[Finding, ...]

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.waiver is None)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.active if f.severity is severity)


@dataclass
class ServeState:
    """Everything the pages show, behind one lock (the watcher thread writes, requests read)."""

    root: Path
    today: dt.date | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    version: int = 0
    last_towns: tuple[str, ...] = ()
    last_pages: tuple[str, ...] = ()
    problem: str = ""
    """Why the last reload of the whole workspace failed (the previous state is kept)."""

    def __post_init__(self) -> None:
        self.paths = WorkspacePaths(self.root.resolve())
        self.probe_cache = ProbeCache()
        self.session, self.result, self.style = self._checked()
        self.graph = Graph(self.session, self.style)
        self.towns: dict[str, TownView] = {}
        self.previews: dict[str, Preview] = {}
        self._adopt_all()

    # -- loading ---------------------------------------------------------------------------------

    def _checked(self) -> tuple[sessions.Session, CheckResult, Style]:
        """Load and check the whole workspace (``session.ToolError`` when it cannot be used)."""
        session, result = sessions.run_check(
            self.paths.root, today=self.today, probe_cache=self.probe_cache
        )
        try:
            style = load_style(session.paths.style)
        except StyleError as exc:
            raise sessions.ToolError(str(exc)) from exc
        return session, result, style

    def _adopt_all(self) -> list[str]:
        """Take the whole loaded workspace; render every document again, and every album that
        had been asked for. Returns the keys rendered."""
        district = self.session.workspace.district
        self.towns = {
            town.slug: TownView(
                town, tuple(f for f in self.result.findings if town.holds(f.ref.path))
            )
            for town in district.towns
        }
        shown = {key for key, preview in self.previews.items() if preview.rendered}
        self.previews = {}
        rendered = []
        for town in district.towns:
            for preview in self._town_previews(town):
                if not preview.album or preview.key in shown:  # albums: when asked for (``ensure``)
                    preview.render()
                    rendered.append(preview.key)
                self.previews[preview.key] = preview
        return rendered

    def _town_previews(self, town: Town) -> list[Preview]:
        """The town's documents and album as previews (not yet rendered), with the inputs the
        build graph declares for them."""
        return [
            Preview(town.slug, o.name, o.inputs, o.preview, album=o.kind == "album")
            for o in self.graph.previews(town)
            if o.preview is not None
        ]

    # -- changes ---------------------------------------------------------------------------------

    def apply(self, changed: Iterable[str]) -> Update | None:
        """Take changed workspace-relative paths: reload and re-check what they touch, re-render
        the previews whose inputs they are. None when nothing relevant changed."""
        paths = sorted(p for p in set(changed) if not _ignored(p))
        if not paths:
            return None
        with self.lock:
            towns = {town.folder: slug for slug, view in self.towns.items() if (town := view.town)}
            touched = {_town_of(p, towns) for p in paths}
            if None in touched:
                pages, hit = self._reload_all(), tuple(self.towns)
            else:
                hit = tuple(sorted(slug for slug in touched if slug is not None))
                pages = [key for slug in hit for key in self._reload_town(slug, paths)]
            self.version += 1
            self.last_towns, self.last_pages = hit, tuple(pages)
            log.info("重新生成预览 %d 页：%s", len(pages), "、".join(pages) or "无")
            return Update(hit, tuple(pages), self.version)

    def _reload_all(self) -> list[str]:
        try:
            self.session, self.result, self.style = self._checked()
            self.graph = Graph(self.session, self.style)
        except sessions.ToolError as exc:
            self.problem = str(exc)
            log.warning("工作区无法重新读取（保留上一次的结果）：%s", exc)
            return []
        self.problem = ""
        return self._adopt_all()

    def _reload_town(self, slug: str, changed: Sequence[str]) -> list[str]:
        session = self.session
        workspace = reload_town(session.workspace, session.profile, slug, self.probe_cache)
        facts = build_facts(workspace.district, session.profile, session.knowledge)
        self.session = dataclasses.replace(session, workspace=workspace, facts=facts)
        self.graph = Graph(self.session, self.style)
        result = run_rules(
            workspace, session.profile, self.session.findings, Selection(towns=(slug,)),
            self.result.today, facts=facts, knowledge=session.knowledge,
        )  # fmt: skip
        town = workspace.town(slug)
        assert town is not None  # reload_town keeps the towns district.yaml lists
        self.towns[slug] = TownView(
            town, tuple(f for f in result.findings if town.holds(f.ref.path))
        )
        rendered = []
        kept = {key: p for key, p in self.previews.items() if p.town != slug}
        for preview in self._town_previews(town):
            old = self.previews.get(preview.key)
            if old is not None:
                preview.renders = old.renders
            unchanged = old is not None and old.inputs == preview.inputs
            if unchanged and old is not None and not any(map(old.uses, changed)):
                preview.html, preview.error = old.html, old.error
            elif not preview.album or (old is not None and old.rendered):
                preview.render()
                rendered.append(preview.key)
            kept[preview.key] = preview
        order = list(self.towns)
        self.previews = dict(sorted(kept.items(), key=lambda item: order.index(item[1].town)))
        return rendered

    # -- reading -----------------------------------------------------------------------------------

    def district_findings(self) -> tuple[Finding, ...]:
        """Active findings that belong to no town (district.yaml, the profile, the templates)."""
        return tuple(
            f
            for f in self.result.findings
            if f.waiver is None and not any(v.town.holds(f.ref.path) for v in self.towns.values())
        )

    def matrix(self) -> list[TownStatus]:
        profile = self.session.profile
        return [town_status(v.town, profile, v.findings) for v in self.towns.values()]

    def ensure(self, preview: Preview) -> Preview:
        """``preview`` rendered (an album the first time it is asked for)."""
        with self.lock:
            if not preview.rendered:
                preview.render()
            return preview

    def town_previews(self, slug: str) -> list[Preview]:
        return [p for p in self.previews.values() if p.town == slug]

    def preview_for(self, slug: str, path: str) -> Preview | None:
        """The preview a finding about ``path`` links to: the first that prints the file's text,
        else the first made from it (a photo: the album; parcels.yaml: its 控规)."""
        previews = self.town_previews(slug)
        shown = next((p for p in previews if path in p.shown_files()), None)
        return shown or next((p for p in previews if p.uses(path)), None)

    def state_json(self) -> dict[str, object]:
        """What ``/api/state`` answers."""
        with self.lock:
            return {
                "version": self.version,
                "towns": {
                    slug: {
                        "name": view.town.name,
                        "findings": len(view.active),
                        "errors": view.count(Severity.ERROR),
                        "warnings": view.count(Severity.WARNING),
                        "infos": view.count(Severity.INFO),
                    }
                    for slug, view in self.towns.items()
                },
                "last": {
                    "towns": list(self.last_towns),
                    "pages": list(self.last_pages),
                    "count": len(self.last_pages),
                },
                "previews": [
                    {
                        "town": p.town,
                        "name": p.name,
                        "album": p.album,
                        "renders": p.renders,
                        "inputs": list(p.inputs),
                        "error": p.error,
                    }
                    for p in self.previews.values()
                ],
                "problem": self.problem,
            }


def _ignored(path: str) -> bool:
    """Editor leftovers (hidden swap files, backups ending in ~) that the loader never reads."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith(".") or name.endswith("~") or path.startswith("build/")


def _town_of(path: str, towns: dict[str, str]) -> str | None:
    """The town a changed path belongs to, or None when it is the district's (or a new town's)."""
    parts = path.split("/")
    return towns.get("/".join(parts[:2])) if len(parts) > 2 else None
