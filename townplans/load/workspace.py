"""Walk a workspace's ``towns/`` folder following the content contract (DESIGN.md §2.1)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from townplans.fs import Kind, PathJudge, is_utf8_name, link_target, os_error, special_name
from townplans.limits import MAX_FILES, MAX_PROJECTS, MAX_REPORTS
from townplans.load.images import IMAGE_SUFFIXES, ProbeCache, probe, probe_all
from townplans.load.markdown import apply_aliases, load_markdown
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
    Revision,
    Severity,
    SourceRef,
    Town,
    WeeklyReport,
    Workspace,
    revision_name,
)
from townplans.sources import internal_error, load_error, parse_yaml, read_text
from townplans.values import ValueFormatError, parse_date

if TYPE_CHECKING:  # the profile only as types: loading never needs its code
    from townplans.profile import DocumentType, Profile

PHOTO_STAGES = ("before", "progress", "after")
ALWAYS_ALLOWED = ("waivers",)
"""Front-matter keys every document may carry whatever the profile says (see townplans.waivers)."""
PLAN_KINDS = {"regulatory": "regulatory", "控规": "regulatory", "site": "site", "修规": "site"}
_REPORT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.md$")


class _Collector:
    """Loads files relative to one workspace root and keeps every finding.

    Every listing and every read goes through here, under the path policy (``townplans.fs``):
    symlinks out of the workspace, special files, unresolvable links and file names that are not
    UTF-8 are reported once and left out of the model, so nothing downstream can read them.
    """

    def __init__(self, root: Path, profile: Profile) -> None:
        self.root = root
        self.profile = profile
        self.judge = PathJudge(root)
        """The path policy for this load: each folder resolved once."""
        self.findings: list[Finding] = []
        self.probed: dict[Path, ImageInfo] = {}
        """Image facts, probed up front for every image under towns/ (in parallel)."""
        self._reported: set[Path] = set()
        self._listed = 0
        self.damaged: set[str] = set()
        """Workspace-relative paths whose content or front matter could not be read."""

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- the path policy -------------------------------------------------------------------------

    def usable(self, path: Path, want: Kind) -> bool:
        """Whether ``path`` is a ``want`` (file or folder) the loader may read; a path that exists
        but is not (a link out, a FIFO, a loop, a folder for a file) is reported once."""
        found = self.judge.kind(path)
        if found is want:
            return True
        if found is not Kind.MISSING:
            self._refuse(path, found, want)
        return False

    def _refuse(self, path: Path, found: Kind, want: Kind | None) -> None:
        if path in self._reported:
            return
        self._reported.add(path)
        ref = SourceRef(_shown(self.root, path))
        if found is Kind.OUTSIDE:
            message = (
                f"符号链接指向工作区以外（{_printable(link_target(path))}）："
                "出于安全不会读取；请把文件复制到工作区内"
            )
            self.findings.append(load_error("TP011", ref, message))
        elif found is Kind.SPECIAL:
            message = f"这是{special_name(path)}，不是普通文件：不会打开；请删除或换成普通文件"
            self.findings.append(load_error("TP012", ref, message))
        elif found is Kind.LOOP:
            message = "路径无法解析（符号链接层数过多或循环链接）：未读取"
            self.findings.append(load_error("TP001", ref, message))
        elif found is Kind.BROKEN:
            message = f"符号链接指向的文件不存在（{_printable(link_target(path))}）：未读取"
            self.findings.append(load_error("TP001", ref, message))
        elif want is Kind.FILE and found is Kind.DIR:
            self.findings.append(load_error("TP001", ref, "这是一个文件夹，应为文件：未读取"))
        elif want is Kind.DIR and found is Kind.FILE:
            self.findings.append(load_error("TP001", ref, "这是一个文件，应为文件夹：未读取"))

    def children(self, folder: Path) -> list[Path]:
        """The visible entries of a folder, in name order, each checked against the path policy:
        files and folders come back; anything else is reported and left out."""
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            ref = SourceRef(_shown(self.root, folder))
            self.findings.append(load_error("TP001", ref, f"无法列出文件夹：{os_error(exc)}"))
            return []
        entries = []
        for name in names:
            if name.startswith("."):
                continue
            path = folder / name
            if not is_utf8_name(name):
                self._bad_name(path)
                continue
            found = self.judge.kind(path)
            if found in (Kind.FILE, Kind.DIR):
                entries.append(path)
            elif found is not Kind.MISSING:
                self._refuse(path, found, None)
        self._listed += len(entries)
        if self._listed > MAX_FILES:
            raise _TooManyFilesError
        return entries

    def _bad_name(self, path: Path) -> None:
        if path in self._reported:
            return
        self._reported.add(path)
        message = (
            "文件名不是有效的 UTF-8 编码（常见于在 Windows 上打包的压缩包）：已跳过；"
            "请重新命名为中文或英文文件名"
        )
        self.findings.append(load_error("TP001", SourceRef(_shown(self.root, path)), message))

    def files(self, folder: Path, suffix: str | None = None) -> list[Path]:
        """Regular files in ``folder`` (only those ending in ``suffix`` when given)."""
        if not self.usable(folder, Kind.DIR):
            return []
        return [
            p
            for p in self.children(folder)
            if self.judge.kind(p) is Kind.FILE and (suffix is None or p.name.endswith(suffix))
        ]

    def folders(self, folder: Path) -> list[Path]:
        if not self.usable(folder, Kind.DIR):
            return []
        return [p for p in self.children(folder) if self.judge.kind(p) is Kind.DIR]

    def capped(self, paths: list[Path], limit: int, what: str) -> list[Path]:
        """The first ``limit`` of ``paths`` (in name order); more are reported (TP013) at the
        first one left out, which is never read, so nothing built from the town sees it."""
        if len(paths) <= limit:
            return paths
        message = (
            f"{what}有 {len(paths)} 个，超过 {limit} 个的上限：按名称排序从这里起的 "
            f"{len(paths) - limit} 个未读取，也不会出现在成果中；请删减或移出 towns/"
        )
        self.findings.append(load_error("TP013", SourceRef(self.rel(paths[limit])), message))
        return paths[:limit]

    def walk_files(self, folder: Path) -> Iterator[Path]:
        """Every regular file under ``folder``, never leaving the workspace."""
        for path in self.children(folder):
            if self.judge.kind(path) is Kind.DIR:
                yield from self.walk_files(path)
            else:
                yield path

    # -- reading ---------------------------------------------------------------------------------

    def yaml(self, path: Path, document: str | None = None) -> Located | None:
        ref = SourceRef(self.rel(path))
        read = read_text(path, ref)
        self.findings.extend(read.findings)
        if read.text is None:
            self.damaged.add(ref.path)
            return None
        located, findings = parse_yaml(read.text, ref)
        self.findings.extend(findings)
        if located is None:
            self.damaged.add(ref.path)
        elif document is not None:
            located = self._known_keys(located, document)
        return located

    def markdown(self, path: Path, document: str) -> MarkdownFile | None:
        doctype = self.profile.documents.get(document)
        aliases = doctype.alias_map() if doctype else {}
        loaded, findings = load_markdown(path, self.root, aliases, self.judge)
        self.findings.extend(findings)
        if loaded is None:
            self.damaged.add(self.rel(path))
            return None
        if doctype is not None and not loaded.front_matter_ok:
            self.damaged.add(loaded.ref.path)
            if not any(
                f.code in ("TP002", "TP007") and f.ref.path == loaded.ref.path for f in findings
            ):
                self.findings.append(_no_front_matter(loaded, doctype))
        if doctype is not None:
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
        return tuple(self.asset(path) for path in self.files(folder))

    def asset(self, path: Path) -> Asset:
        suffix = path.suffix.lower().lstrip(".")
        image = (self.probed.get(path) or probe(path)) if suffix in IMAGE_SUFFIXES else None
        return Asset(self.rel(path), path.name, suffix, path.stat().st_size, image)


def _no_front_matter(markdown: MarkdownFile, doctype: DocumentType) -> Finding:
    required = [key for key, spec in doctype.fields.items() if spec.required]
    shown = "、".join(required[:6]) + ("等" if len(required) > 6 else "")
    message = (
        f"文件开头没有 YAML 前置信息（第一行 ---，然后“键: 值”各一行，再一行 --- 结束）："
        f"{doctype.label}应在其中写明 {shown} 字段"
    )
    return load_error("TP018", markdown.ref.at(1), message)


class _TooManyFilesError(Exception):
    """towns/ holds more than ``MAX_FILES`` files."""


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _shown(root: Path, path: Path) -> str:
    """A path for a message: workspace-relative, undecodable bytes shown as U+FFFD."""
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return _printable(relative)


def load_workspace(
    root: Path, profile: Profile, probe_cache: ProbeCache | None = None
) -> Workspace:
    """Load ``root/towns`` into the model; never raises for a content problem. ``probe_cache``
    spares re-probing unchanged images (it is updated, never written to disk, here)."""
    root = root.resolve()
    collector = _Collector(root, profile)
    towns_dir = root / "towns"
    if not collector.usable(towns_dir, Kind.DIR):
        message = "找不到 towns/ 文件夹：工作区应包含 towns/district.yaml 和每个镇的文件夹"
        collector.findings.append(load_error("TP001", SourceRef("towns"), message))
        return Workspace(str(root), District(None, ()), tuple(collector.findings))
    try:
        images = [
            p
            for p in collector.walk_files(towns_dir)
            if p.suffix.lower().lstrip(".") in IMAGE_SUFFIXES
        ]
    except _TooManyFilesError:
        message = f"towns/ 中的文件超过 {MAX_FILES} 个：已停止读取；请检查是否误放了大量文件"
        collector.findings.append(load_error("TP013", SourceRef("towns"), message))
        return Workspace(str(root), District(None, ()), tuple(collector.findings))
    collector.probed = probe_all(images, cache=probe_cache)
    district_file = towns_dir / "district.yaml"
    district_meta = None
    if collector.usable(district_file, Kind.FILE):
        district_meta = collector.yaml(district_file, "district")
    elif collector.judge.kind(district_file) is Kind.MISSING:
        message = "缺少区级配置 towns/district.yaml：应列出区名称、规划年度、各镇和实施阶段"
        collector.findings.append(load_error("TP001", SourceRef("towns/district.yaml"), message))
    district_waivers = towns_dir / "waivers.yaml"
    waivers = (
        collector.yaml(district_waivers) if collector.usable(district_waivers, Kind.FILE) else None
    )
    towns = tuple(
        _guarded_town(collector, towns_dir / slug)
        for slug in _town_order(collector, towns_dir, district_meta)
    )
    district = District(district_meta, towns, waivers)
    damaged = frozenset(collector.damaged)
    revisions, head = look_up_revisions(root, towns)
    return Workspace(str(root), district, tuple(collector.findings), damaged, revisions, head)


def look_up_revisions(root: Path, towns: Sequence[Town]) -> tuple[dict[str, Revision], str | None]:
    """The git revisions the documents' front matter names in ``compare_to`` (each asked of git
    once), and HEAD's commit; git is not run at all when no document names one."""
    named = sorted(
        {
            name
            for town in towns
            for document in town.markdown_files()
            if (name := revision_name(document.meta.get("compare_to")))
        }
    )
    if not named:
        return {}, None
    from townplans import gitrev  # git (a subprocess) only for a document that names a revision

    found = {revision: gitrev.lookup(root, revision) for revision in named}
    return found, gitrev.lookup(root, "HEAD").commit


RESERVED = ("district.yaml", "waivers.yaml")
"""Names in towns/ that are district files, never town folders."""


def _town_order(collector: _Collector, towns_dir: Path, meta: Located | None) -> list[str]:
    """Towns in district.yaml order; folders it does not list come after, reported. A town listed
    twice is loaded once."""
    folders = [p.name for p in collector.folders(towns_dir) if p.name not in RESERVED]
    listed: list[str] = []
    first_line: dict[str, int | None] = {}
    entries = meta.get("towns", []) if meta is not None else []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        slug = entry.get("slug") if isinstance(entry, dict) else entry
        if not isinstance(slug, str) or meta is None:
            continue
        if slug in listed:
            message = (
                f"镇“{slug}”在 district.yaml 中重复列出（第一次在第 {first_line[slug]} 行）："
                "只按第一次加载"
            )
            collector.findings.append(load_error("TP006", meta.ref_of("towns", index), message))
        elif slug in folders:
            listed.append(slug)
            first_line[slug] = meta.line_of("towns", index)
        else:
            message = f"district.yaml 列出了镇“{slug}”，但找不到文件夹 towns/{slug}/"
            collector.findings.append(load_error("TP006", meta.ref_of("towns", index), message))
    for slug in folders:
        if slug not in listed:
            message = f"文件夹 towns/{slug}/ 未在 district.yaml 的 towns 中列出：已按文件夹名加载"
            ref = SourceRef(f"towns/{slug}")
            collector.findings.append(Finding("TP006", Severity.WARNING, message, ref))
            listed.append(slug)
    return listed


def _guarded_town(collector: _Collector, folder: Path) -> Town:
    """One town, loaded so that an unexpected failure costs that town only: it becomes a finding
    naming the folder (with the traceback under ``--debug``) and an empty town."""
    try:
        return _load_town(collector, folder)
    except Exception as exc:  # noqa: BLE001 - the other towns must still load
        collector.findings.append(
            internal_error(exc, SourceRef(collector.rel(folder)), "读取本镇材料")
        )
        return Town(folder.name, collector.rel(folder), None, None, None, (), (), ())


def _load_town(collector: _Collector, folder: Path) -> Town:
    town_file = folder / "town.yaml"
    meta = collector.yaml(town_file, "town") if collector.usable(town_file, Kind.FILE) else None
    plan_file = folder / "construction-plan.md"
    construction_plan = (
        collector.markdown(plan_file, "construction_plan")
        if collector.usable(plan_file, Kind.FILE)
        else None
    )
    waivers_file = folder / "waivers.yaml"
    return Town(
        slug=folder.name,
        folder=collector.rel(folder),
        meta=meta,
        construction_plan=construction_plan,
        master_plan=_master_plan(collector, folder / "master-plan"),
        detailed_plans=tuple(_detailed_plans(collector, folder / "detailed-plans")),
        projects=tuple(_projects(collector, folder / "projects")),
        reports=tuple(_reports(collector, folder / "reports")),
        waivers=collector.yaml(waivers_file) if collector.usable(waivers_file, Kind.FILE) else None,
    )


def _master_plan(collector: _Collector, folder: Path) -> MasterPlan | None:
    """One file or ordered chapter files (ordered by file name, e.g. 01-general.md)."""
    if not collector.usable(folder, Kind.DIR):
        return None
    chapters = [
        loaded
        for path in collector.files(folder, ".md")
        if (loaded := collector.markdown(path, "master_plan")) is not None
    ]
    drawings = collector.assets(folder / "drawings")
    return MasterPlan(tuple(chapters), drawings, collector.rel(folder))


def _detailed_plans(collector: _Collector, folder: Path) -> Iterable[DetailedPlan]:
    for plan_dir in collector.folders(folder):
        plan_file = plan_dir / "plan.md"
        usable = collector.usable(plan_file, Kind.FILE)
        text = collector.markdown(plan_file, _plan_document(plan_file)) if usable else None
        if not usable:
            message = f"详细规划文件夹缺少文本 plan.md：{collector.rel(plan_dir)}/"
            collector.findings.append(
                load_error("TP001", SourceRef(collector.rel(plan_dir)), message)
            )
        kind_value = PLAN_KINDS.get(str(text.meta.get("kind", ""))) if text is not None else None
        if text is not None and kind_value is None:
            message = f"规划类型 kind 应为 regulatory（控规）或 site（修规），实为“{text.meta.get('kind')}”"
            ref = text.meta.ref_of("kind") if "kind" in text.meta.data else text.ref.at(1)
            collector.findings.append(load_error("TP002", ref, message))
        parcels_file = plan_dir / "parcels.yaml"
        parcels = (
            collector.yaml(parcels_file) if collector.usable(parcels_file, Kind.FILE) else None
        )
        yield DetailedPlan(
            slug=plan_dir.name,
            kind=kind_value or "unknown",
            folder=collector.rel(plan_dir),
            text=text,
            drawings=collector.assets(plan_dir / "drawings"),
            parcels=parcels,
        )


def _plan_document(plan_file: Path) -> str:
    """Pick the document type by the front matter's kind before the full load (for aliases)."""
    try:
        with plan_file.open("rb") as stream:
            head = stream.read(4000).decode("utf-8", errors="replace")
    except OSError:
        return "regulatory_plan"
    return (
        "site_plan"
        if re.search(r"^(kind|规划类型)\s*:\s*(site|修规)\s*$", head, re.MULTILINE)
        else "regulatory_plan"
    )


def _projects(collector: _Collector, folder: Path) -> Iterable[Project]:
    for project_dir in collector.capped(collector.folders(folder), MAX_PROJECTS, "项目文件夹"):
        brief_file = project_dir / "brief.md"
        brief = (
            collector.markdown(brief_file, "project_brief")
            if collector.usable(brief_file, Kind.FILE)
            else None
        )
        photos_file = project_dir / "photos.yaml"
        photos_meta = (
            collector.yaml(photos_file) if collector.usable(photos_file, Kind.FILE) else None
        )
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
    for path in collector.capped(collector.files(folder, ".md"), MAX_REPORTS, "周报文件"):
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


def reload_town(
    workspace: Workspace, profile: Profile, slug: str, probe_cache: ProbeCache | None = None
) -> Workspace:
    """``workspace`` with one town read again from disk (``townplans serve`` after an edit there):
    the town's model, its load findings and its damaged files replaced, everything else kept. A
    town no longer listed or present is left as it was (a change to district.yaml reloads all)."""
    root = Path(workspace.root)
    current = workspace.town(slug)
    if current is None:
        return workspace
    collector = _Collector(root, profile)
    folder = root / current.folder
    try:
        images = [
            p
            for p in collector.walk_files(folder)
            if p.suffix.lower().lstrip(".") in IMAGE_SUFFIXES
        ]
    except _TooManyFilesError:
        images = []
    collector.probed = probe_all(images, cache=probe_cache)
    town = _guarded_town(collector, folder)
    towns = tuple(town if t.slug == slug else t for t in workspace.district.towns)
    district = District(workspace.district.meta, towns, workspace.district.waivers)
    # TP006 (a folder district.yaml does not list) is the district's finding about the folder.
    kept = tuple(
        f for f in workspace.findings if not current.holds(f.ref.path) or f.code == "TP006"
    )
    damaged = {p for p in workspace.damaged if not current.holds(p)} | collector.damaged
    revisions, head = look_up_revisions(root, towns)
    findings = (*kept, *collector.findings)
    return Workspace(str(root), district, findings, frozenset(damaged), revisions, head)
