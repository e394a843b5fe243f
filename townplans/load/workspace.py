"""Walk a workspace's ``towns/`` folder following the content contract (DESIGN.md §2.1)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from townplans.load.images import IMAGE_SUFFIXES, ProbeCache, probe, probe_all
from townplans.load.markdown import apply_aliases, load_markdown
from townplans.load.sources import load_error, parse_yaml, read_text
from townplans.load.values import ValueFormatError, parse_date
from townplans.model import (
    Asset,
    DetailedPlan,
    District,
    Finding,
    ImageInfo,
    Located,
    MarkdownFile,
    MasterPlan,
    Photo,
    Project,
    Severity,
    SourceRef,
    Town,
    WeeklyReport,
    Workspace,
)

if TYPE_CHECKING:  # profile.py reads YAML through load.sources: import for types only
    from townplans.profile import Profile

PHOTO_STAGES = ("before", "progress", "after")
ALWAYS_ALLOWED = ("waivers",)
"""Front-matter keys every document may carry whatever the profile says (see townplans.waivers)."""
PLAN_KINDS = {"regulatory": "regulatory", "控规": "regulatory", "site": "site", "修规": "site"}
_REPORT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.md$")


class _Collector:
    """Loads files relative to one workspace root and keeps every finding."""

    def __init__(self, root: Path, profile: Profile) -> None:
        self.root = root
        self.profile = profile
        self.findings: list[Finding] = []
        self.probed: dict[Path, ImageInfo] = {}
        """Image facts, probed up front for every image under towns/ (in parallel)."""

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def yaml(self, path: Path, document: str | None = None) -> Located | None:
        ref = SourceRef(self.rel(path))
        read = read_text(path, ref)
        self.findings.extend(read.findings)
        if read.text is None:
            return None
        located, findings = parse_yaml(read.text, ref)
        self.findings.extend(findings)
        if located is not None and document is not None:
            located = self._known_keys(located, document)
        return located

    def markdown(self, path: Path, document: str) -> MarkdownFile | None:
        doctype = self.profile.documents.get(document)
        aliases = doctype.alias_map() if doctype else {}
        loaded, findings = load_markdown(path, self.root, aliases)
        self.findings.extend(findings)
        if loaded is not None and doctype is not None:
            self._unknown_keys(loaded.meta, doctype.fields, doctype.label)
        return loaded

    def _known_keys(self, located: Located, document: str) -> Located:
        doctype = self.profile.documents.get(document)
        if doctype is None:
            return located
        renamed, findings = apply_aliases(located, doctype.alias_map())
        self.findings.extend(findings)
        self._unknown_keys(renamed, doctype.fields, doctype.label)
        return renamed

    def _unknown_keys(self, located: Located, fields: Mapping[str, object], label: str) -> None:
        if not isinstance(located.data, dict) or not fields:
            return
        for key in located.data:
            if key not in fields and key not in ALWAYS_ALLOWED:
                known = "、".join(fields)
                message = f"未知字段“{key}”：{label}可用的字段为 {known}（或其中文名称）"
                finding = Finding("TP008", Severity.WARNING, message, located.ref_of(key))
                self.findings.append(finding)

    def assets(self, folder: Path) -> tuple[Asset, ...]:
        if not folder.is_dir():
            return ()
        return tuple(
            self.asset(path)
            for path in sorted(folder.iterdir())
            if path.is_file() and not path.name.startswith(".")
        )

    def asset(self, path: Path) -> Asset:
        suffix = path.suffix.lower().lstrip(".")
        image = (self.probed.get(path) or probe(path)) if suffix in IMAGE_SUFFIXES else None
        return Asset(self.rel(path), path.name, suffix, path.stat().st_size, image)


def load_workspace(
    root: Path, profile: Profile, probe_cache: ProbeCache | None = None
) -> Workspace:
    """Load ``root/towns`` into the model; never raises for a content problem. ``probe_cache``
    spares re-probing unchanged images (it is updated, never written to disk, here)."""
    root = root.resolve()
    collector = _Collector(root, profile)
    towns_dir = root / "towns"
    if not towns_dir.is_dir():
        message = "找不到 towns/ 文件夹：工作区应包含 towns/district.yaml 和每个镇的文件夹"
        collector.findings.append(load_error("TP001", SourceRef("towns"), message))
        return Workspace(str(root), District(None, ()), tuple(collector.findings))
    images = sorted(
        p
        for p in towns_dir.rglob("*")
        if p.suffix.lower().lstrip(".") in IMAGE_SUFFIXES and p.is_file()
    )
    collector.probed = probe_all(images, cache=probe_cache)
    district_file = towns_dir / "district.yaml"
    district_meta = None
    if district_file.is_file():
        district_meta = collector.yaml(district_file, "district")
    else:
        message = "缺少区级配置 towns/district.yaml：应列出区名称、规划年度、各镇和实施阶段"
        collector.findings.append(load_error("TP001", SourceRef("towns/district.yaml"), message))
    towns = tuple(
        _load_town(collector, towns_dir / slug)
        for slug in _town_order(collector, towns_dir, district_meta)
    )
    return Workspace(str(root), District(district_meta, towns), tuple(collector.findings))


def _town_order(collector: _Collector, towns_dir: Path, meta: Located | None) -> list[str]:
    """Towns in district.yaml order; folders it does not list come after, reported."""
    folders = sorted(
        p.name for p in towns_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    listed: list[str] = []
    entries = meta.get("towns", []) if meta is not None else []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        slug = entry.get("slug") if isinstance(entry, dict) else entry
        if not isinstance(slug, str):
            continue
        if slug in folders:
            listed.append(slug)
        elif meta is not None:
            message = f"district.yaml 列出了镇“{slug}”，但找不到文件夹 towns/{slug}/"
            collector.findings.append(load_error("TP006", meta.ref_of("towns", index), message))
    for slug in folders:
        if slug not in listed:
            message = f"文件夹 towns/{slug}/ 未在 district.yaml 的 towns 中列出：已按文件夹名加载"
            ref = SourceRef(f"towns/{slug}")
            collector.findings.append(Finding("TP006", Severity.WARNING, message, ref))
            listed.append(slug)
    return listed


def _load_town(collector: _Collector, folder: Path) -> Town:
    town_file = folder / "town.yaml"
    meta = collector.yaml(town_file, "town") if town_file.is_file() else None
    plan_file = folder / "construction-plan.md"
    construction_plan = (
        collector.markdown(plan_file, "construction_plan") if plan_file.is_file() else None
    )
    return Town(
        slug=folder.name,
        folder=collector.rel(folder),
        meta=meta,
        construction_plan=construction_plan,
        master_plan=_master_plan(collector, folder / "master-plan"),
        detailed_plans=tuple(_detailed_plans(collector, folder / "detailed-plans")),
        projects=tuple(_projects(collector, folder / "projects")),
        reports=tuple(_reports(collector, folder / "reports")),
        waivers=collector.yaml(folder / "waivers.yaml")
        if (folder / "waivers.yaml").is_file()
        else None,
    )


def _master_plan(collector: _Collector, folder: Path) -> MasterPlan | None:
    """One file or ordered chapter files (ordered by file name, e.g. 01-general.md)."""
    if not folder.is_dir():
        return None
    chapters = [
        loaded
        for path in sorted(folder.glob("*.md"))
        if (loaded := collector.markdown(path, "master_plan")) is not None
    ]
    drawings = collector.assets(folder / "drawings")
    return MasterPlan(tuple(chapters), drawings, collector.rel(folder))


def _subfolders(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        return ()
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _detailed_plans(collector: _Collector, folder: Path) -> Iterable[DetailedPlan]:
    for plan_dir in _subfolders(folder):
        plan_file = plan_dir / "plan.md"
        text = (
            collector.markdown(plan_file, _plan_document(plan_file))
            if plan_file.is_file()
            else None
        )
        if not plan_file.is_file():
            message = f"详细规划文件夹缺少文本 plan.md：{collector.rel(plan_dir)}/"
            collector.findings.append(
                load_error("TP001", SourceRef(collector.rel(plan_dir)), message)
            )
        kind = PLAN_KINDS.get(str(text.meta.get("kind", ""))) if text is not None else None
        if text is not None and kind is None:
            message = f"规划类型 kind 应为 regulatory（控规）或 site（修规），实为“{text.meta.get('kind')}”"
            ref = text.meta.ref_of("kind") if "kind" in text.meta.data else text.ref.at(1)
            collector.findings.append(load_error("TP002", ref, message))
        parcels_file = plan_dir / "parcels.yaml"
        parcels = collector.yaml(parcels_file) if parcels_file.is_file() else None
        yield DetailedPlan(
            slug=plan_dir.name,
            kind=kind or "unknown",
            folder=collector.rel(plan_dir),
            text=text,
            drawings=collector.assets(plan_dir / "drawings"),
            parcels=parcels,
        )


def _plan_document(plan_file: Path) -> str:
    """Pick the document type by the front matter's kind before the full load (for aliases)."""
    try:
        head = plan_file.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return "regulatory_plan"
    return (
        "site_plan"
        if re.search(r"^(kind|规划类型)\s*:\s*(site|修规)\s*$", head, re.MULTILINE)
        else "regulatory_plan"
    )


def _projects(collector: _Collector, folder: Path) -> Iterable[Project]:
    for project_dir in _subfolders(folder):
        brief_file = project_dir / "brief.md"
        brief = collector.markdown(brief_file, "project_brief") if brief_file.is_file() else None
        photos_file = project_dir / "photos.yaml"
        photos_meta = collector.yaml(photos_file) if photos_file.is_file() else None
        yield Project(
            slug=project_dir.name,
            folder=collector.rel(project_dir),
            brief=brief,
            photos=_photos(collector, project_dir / "photos", photos_meta),
            drawings=collector.assets(project_dir / "drawings"),
            boards=collector.assets(project_dir / "boards"),
            permits=collector.assets(project_dir / "permits"),
            photos_meta=photos_meta,
        )


def _photos(collector: _Collector, folder: Path, meta: Located | None) -> tuple[Photo, ...]:
    captions = meta.data if meta is not None and isinstance(meta.data, dict) else {}
    photos = []
    for stage in PHOTO_STAGES:
        for asset in collector.assets(folder / stage):
            caption = captions.get(asset.name) or captions.get(f"{stage}/{asset.name}") or {}
            caption = caption if isinstance(caption, dict) else {}
            # photos.yaml may correct the stage a photo was filed under (TP307 checks the value).
            given = caption.get("stage")
            photos.append(Photo(asset, given if given in PHOTO_STAGES else stage, caption))
    return tuple(photos)


def _reports(collector: _Collector, folder: Path) -> Iterable[WeeklyReport]:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.md")):
        match = _REPORT_NAME.match(path.name)
        ref = SourceRef(collector.rel(path))
        if match is None:
            message = f"周报文件名“{path.name}”应为报送日期 YYYY-MM-DD.md（如 2023-08-04.md）"
            collector.findings.append(load_error("TP010", ref, message))
            continue
        try:
            parse_date(match.group(1))
        except ValueFormatError as exc:
            collector.findings.append(load_error("TP010", ref, f"周报文件名中的日期无效：{exc}"))
            continue
        doc = collector.markdown(path, "weekly_report")
        if doc is not None:
            yield WeeklyReport(match.group(1), doc)
