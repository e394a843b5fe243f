"""The one orchestrator: each command's run_* reads top to bottom as load → model → check → render →
write. Returns values; never prints (the CLI does).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from townplans import scaffold
from townplans.check import CheckResult, Selection, blocking, run_rules
from townplans.fs import PathPolicyError, confine, os_error, read_regular, safe_name, shown
from townplans.limits import MAX_BUILD_STATE_BYTES, MAX_ZIP_BYTES
from townplans.load import load_workspace
from townplans.load.images import ProbeCache
from townplans.model import Finding, SourceRef, Town, Workspace
from townplans.paths import WorkspacePaths
from townplans.profile import Profile, load_profile
from townplans.render.style import StyleError, load_style
from townplans.rules import all_rules
from townplans.status import Matrix, district_status, matrix

T = TypeVar("T")


class ToolError(Exception):
    """A problem that stops a command (exit code 2): bad usage, unreadable profile or style."""


@dataclass(frozen=True, slots=True)
class Session:
    """A workspace with its profile loaded and its content read."""

    paths: WorkspacePaths
    profile: Profile
    workspace: Workspace
    profile_findings: tuple[Finding, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return (*self.profile_findings, *self.workspace.findings)


def _profile(paths: WorkspacePaths) -> tuple[Profile, tuple[Finding, ...]]:
    problem = paths.templates_problem()
    if problem is not None:
        raise ToolError(f"模板文件夹不可用：{problem}")
    result = load_profile(paths.profile, paths.root)
    if result.profile is None:
        details = "\n".join(str(finding) for finding in result.findings)
        raise ToolError(f"规则文件无法使用：\n{details}")
    return result.profile, result.findings


def open_session(
    root: Path, towns: tuple[str, ...] = (), probe_cache: ProbeCache | None = None
) -> Session:
    """Load the profile and the workspace; unknown ``towns`` are a usage error. Without a
    ``probe_cache`` the one the last build left is read (never written) to spare image probing."""
    paths = WorkspacePaths(root.resolve())
    if not paths.towns.is_dir():
        raise ToolError(
            f"{paths.root} 及其上级文件夹都不是 townplans 工作区（找不到 towns/ 文件夹）："
            "请进入工作区再运行，或用 --root 指定；新建工作区用 townplans init"
        )
    profile, profile_findings = _profile(paths)
    cache = probe_cache if probe_cache is not None else read_probe_cache(paths)
    workspace = load_workspace(paths.root, profile, cache)
    known = {town.slug for town in workspace.district.towns}
    unknown = [slug for slug in towns if slug not in known]
    if unknown:
        raise ToolError(
            f"没有这个镇：{'、'.join(map(shown, unknown))}；可选：{'、'.join(sorted(known))}"
        )
    return Session(paths, profile, workspace, profile_findings)


def read_probe_cache(paths: WorkspacePaths) -> ProbeCache:
    """The image probe cache the last build left; empty when there is none or it is unreadable."""
    try:
        text = read_regular(paths.probe_cache, MAX_BUILD_STATE_BYTES).decode("utf-8")
        return ProbeCache.from_json(text)
    except (OSError, UnicodeDecodeError, RecursionError):  # a FIFO there is never opened
        return ProbeCache()


def run_check(
    root: Path,
    selection: Selection | None = None,
    today: dt.date | None = None,
    probe_cache: ProbeCache | None = None,
) -> tuple[Session, CheckResult]:
    """Load, then check every selected rule over the selected towns."""
    selection = selection or Selection()
    session = open_session(root, selection.towns, probe_cache)
    unknown = [p for p in (*selection.select, *selection.ignore) if not _is_code_prefix(p)]
    if unknown:
        raise ToolError(
            f"规则编号前缀无效：{'、'.join(map(shown, unknown))}；应为 TP、TP4、TP401 这样的写法（townplans rules 列出全部规则）"
        )
    result = run_rules(session.workspace, session.profile, session.findings, selection, today)
    return session, result


def _is_code_prefix(prefix: str) -> bool:
    return (prefix.startswith("TP") and prefix[2:].isdigit() and len(prefix) <= 5) or prefix == "TP"


def run_status(root: Path) -> tuple[Session, Matrix]:
    """The towns × deliverables matrix and the district's own line, from a check of everything."""
    session, result = run_check(root)
    return session, matrix(session.workspace, session.profile, result)


def run_rules_listing() -> list[Any]:
    """Content rules and output self-checks, in code order."""
    from townplans.render.selfcheck import OUTPUT_RULES

    return sorted([*all_rules(), *OUTPUT_RULES], key=lambda rule: rule.code)


def run_schema(root: Path) -> dict[str, dict[str, Any]]:
    from townplans.schema import all_schemas

    paths = WorkspacePaths(root.resolve())
    profile, _ = _profile(paths)
    return all_schemas(profile)


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    session: Session
    report: Any
    """The build's ``BuildReport``: built, up to date, removed, failed, findings, photo work."""
    check: CheckResult
    """The check of the same content: a draft still builds, and its problems are summarised."""
    index: Path | None = None

    @property
    def written(self) -> tuple[Path, ...]:
        return tuple(self.report.built)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self.report.findings)

    @property
    def photos_prepared(self) -> int:
        return int(self.report.photos_prepared)

    @property
    def photos_cached(self) -> int:
        return int(self.report.photos_cached)

    @property
    def failed(self) -> bool:
        return bool(self.report.failed)


def run_build(
    root: Path,
    towns: tuple[str, ...] = (),
    pdf_variant: str | None = None,
    *,
    force: bool = False,
    jobs: int = 1,
    dry_run: bool = False,
    wait: float = 0.0,
    progress: Any = None,
    today: dt.date | None = None,
) -> BuildOutcome:
    """Check, then build what changed: every document, album and check report of the selected
    towns, and (for the whole district) the summary and build/index.html. A draft with errors
    still builds; the check summary says what is missing."""
    from townplans import build

    probe_cache = read_probe_cache(WorkspacePaths(root.resolve()))
    session, result = run_check(root, Selection(towns=towns), today, probe_cache)
    options = build.BuildOptions(towns, pdf_variant, force, jobs, dry_run, wait)
    plan = _plan(session, result, options)
    key = (str(root.resolve()), towns, pdf_variant, result.today.isoformat())
    worker = functools.partial(_worker_make, *key)
    _inherited_plan(key, plan.targets)
    try:
        known = _known_hashes(session.workspace)
        built = build.build(plan, session.paths, options, progress, worker, known, probe_cache)
    except (build.BuildLockedError, build.BuildFolderError) as exc:
        raise ToolError(str(exc)) from exc
    finally:
        _inherited_plan(("", (), None, ""), ())  # the workers are done: keep no session alive
    index = session.paths.build / "index.html" if not towns else None
    return BuildOutcome(session, built, result, index)


def _known_hashes(workspace: Workspace) -> dict[str, str]:
    """SHA-256 of every image the loader probed, so the build does not read them again."""
    return {
        asset.path: asset.image.sha256
        for town in workspace.district.towns
        for asset in town.assets()
        if asset.image is not None and asset.image.sha256
    }


def _plan(session: Session, result: CheckResult, options: Any) -> Any:
    """The build plan for a checked session (also rebuilt, identically, in each worker)."""
    from townplans import build, report
    from townplans.render.index import index_html

    try:
        style = load_style(session.paths.style)
    except StyleError as exc:
        raise ToolError(str(exc)) from exc
    workspace, paths = session.workspace, session.paths

    def town_report(town: Town, kind: str) -> bytes:
        own = tuple(f for f in result.findings if town.holds(f.ref.path))
        data = report.ReportInput(
            CheckResult(own, result.rules, (town.slug,), result.today),
            workspace,
            session.profile.version,
        )
        return report.render(data, kind).encode("utf-8")

    district_outputs = None
    if not options.towns:
        matrix = district_status(workspace, session.profile, result)
        line = report.summary_line(report.ReportInput(result, workspace, session.profile.version))

        def district_outputs(assembler: Any, town_targets: list[Any]) -> list[Any]:
            spec = assembler.district_summary(matrix, line, workspace.district.towns)
            summary_targets: list[Any] = build.document_targets(
                spec, paths.build, paths, style, options
            )

            def make_index() -> Any:
                outputs = {
                    town.slug: [
                        t.path
                        for t in town_targets
                        if t.path.parent == build.town_folder(paths.build, town.slug)
                    ]
                    for town in workspace.district.towns
                }
                header = ["镇", *(d.label for d in session.profile.deliverables)]
                rows = [
                    [row.name, *(cell.state.label for cell in row.cells.values())] for row in matrix
                ]
                page = index_html(
                    workspace.district.name, [(t.slug, t.name) for t in workspace.district.towns], outputs,
                    [t.path for t in summary_targets], header, rows, line, paths.build,
                )  # fmt: skip
                return build.Made(page.encode("utf-8"))

            index = build.Target("index.html", paths.build / "index.html", ("towns", "templates"), make_index,
                                 SourceRef("towns"), result.today.isoformat())  # fmt: skip
            return [*summary_targets, index]

    return build.plan_targets(
        workspace,
        paths,
        style,
        session.profile,
        options,
        town_report,
        district_outputs,
        result.today,
    )


_WORKER_TARGETS: dict[str, Any] = {}
_WORKER_KEY: list[tuple[str, tuple[str, ...], str | None, str]] = []
"""The build (root, towns, PDF variant, today) whose targets ``_WORKER_TARGETS`` holds."""


def _inherited_plan(key: tuple[str, tuple[str, ...], str | None, str], targets: Any) -> None:
    """Keep this build's targets where a worker forked from this process finds them, so it need
    not check the workspace again to rebuild the same plan (a second full load and every rule,
    0.3 s for the sample's town, 0.9 s with a 2,000-row table, in each worker). A worker started
    afresh (spawn, forkserver) finds nothing and rebuilds it, identically."""
    _WORKER_TARGETS.clear()
    _WORKER_TARGETS.update({str(t.path): t for t in targets})
    _WORKER_KEY[:] = [key]


def _worker_make(
    root: str, towns: tuple[str, ...], pdf_variant: str | None, today: str, path: str
) -> Any:
    """Make one target in a worker process: from the plan it inherited from the build that
    forked it, else from the plan rebuilt once per process, identically."""
    from townplans import build

    key = (root, towns, pdf_variant, today)
    if [key] != _WORKER_KEY:
        session, result = run_check(
            Path(root), Selection(towns=towns), dt.date.fromisoformat(today)
        )
        plan = _plan(session, result, build.BuildOptions(towns, pdf_variant))
        _inherited_plan(key, plan.targets)
    return _WORKER_TARGETS[path].make()


@dataclass(frozen=True, slots=True)
class PackageOutcome:
    """One town's package: written (``path``), or refused with the errors that block it: the
    town's own (and a failed build's), and the district's, which block every town."""

    town: str
    name: str
    path: Path | None
    errors: tuple[Finding, ...]
    files: int = 0
    district: tuple[Finding, ...] = ()


def run_package(
    root: Path,
    towns: tuple[str, ...],
    jobs: int = 1,
    today: dt.date | None = None,
    *,
    every_town: bool = False,
) -> list[PackageOutcome]:
    """Check the towns, then build (incrementally) and zip each one that has no error findings and
    whose district has none either (``check.blocking``, the decision ``check`` and ``status``
    take); a refused town is not built. ``every_town`` packs every town of the district (those
    with errors are refused)."""
    if every_town:
        if towns:
            raise ToolError("--all 与镇名不能同时使用：--all 已包括全部镇")
        towns = tuple(town.slug for town in open_session(root).workspace.district.towns)
    if not towns:
        raise ToolError("请指定要打包的镇，如 townplans package weicheng（或 --all 打包全部镇）")
    session, checked = run_check(root, Selection(towns=towns), today)
    errors = blocking(checked, session.workspace)
    packable = tuple(slug for slug in towns if not errors.blocks(slug))
    made = _build_packages(root, packable, jobs, today) if packable else {}
    results = []
    for slug in towns:
        town = session.workspace.town(slug)
        assert town is not None  # run_check has refused unknown towns
        results.append(
            made.get(slug)
            or PackageOutcome(slug, town.name, None, errors.town(slug), 0, errors.district)
        )
    return results


def _build_packages(
    root: Path, towns: tuple[str, ...], jobs: int, today: dt.date | None
) -> dict[str, PackageOutcome]:
    """Build the towns the check let through and zip each; the build's own check decides again
    (the content may have changed meanwhile), and a failed build refuses them all."""
    from townplans import build

    outcome = run_build(root, towns, jobs=jobs, today=today)
    session = outcome.session
    errors = blocking(outcome.check, session.workspace)
    results = {}
    for slug in towns:
        town = session.workspace.town(slug)
        assert town is not None  # run_build's check refuses unknown towns
        if errors.blocks(slug) or outcome.failed:
            own = errors.town(slug) + outcome.findings
            results[slug] = PackageOutcome(slug, town.name, None, own, 0, errors.district)
            continue
        folder = build.town_folder(session.paths.build, slug)
        files = sorted(
            p for p in (*outcome.report.built, *outcome.report.up_to_date) if p.parent == folder
        )
        results[slug] = _write_package(session, town, files)
    return results


def _write_package(session: Session, town: Town, files: list[Path]) -> PackageOutcome:
    """Zip the outputs this build made for ``town`` into build/packages/ (names through
    ``fs.safe_name``; files read only as regular files inside build/)."""
    from townplans import build, package

    base = session.paths.build
    try:
        entries = [(path.relative_to(base).as_posix(), _output_bytes(path, base)) for path in files]
        stamp = build.source_stamp(_latest_date(town))
        data = package.pack(entries, town.slug, town.name, session.profile.version, stamp)
        name = safe_name(f"{town.name}报送材料", "报送材料") + ".zip"
        target = build.write_atomic(base, base / "packages" / name, data)
    except OSError as exc:
        raise ToolError(f"无法打包{town.name}：{os_error(exc)}") from exc
    except PathPolicyError as exc:
        raise ToolError(f"无法打包{town.name}：{exc}") from exc
    return PackageOutcome(town.slug, town.name, target, (), len(entries))


def _output_bytes(path: Path, base: Path) -> bytes:
    return read_regular(confine(path, base), MAX_ZIP_BYTES)


def _latest_date(town: Town) -> dt.date | None:
    """The latest weekly report's date: a build time that is the same for the same content."""
    dates = [dt.date.fromisoformat(report.date_text) for report in town.reports]
    return max(dates) if dates else None


def run_verify(paths: Sequence[Path]) -> list[Any]:
    """Check received packages; a path that does not exist is a usage error (exit 2), told before
    any package is read."""
    from townplans import package

    for path in paths:
        if not os.path.lexists(path):
            raise ToolError(f"{path}：文件不存在（应为 townplans package 生成的 zip 文件）")
    return [package.verify(path) for path in paths]


def run_doctor(root: Path) -> list[Any]:
    from townplans import doctor

    return doctor.run_checks(root.resolve())


def _scaffold_call(root: Path) -> tuple[WorkspacePaths, Profile]:
    paths = WorkspacePaths(root.resolve())
    profile, _ = _profile(paths)
    return paths, profile


def _guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except scaffold.ScaffoldError as exc:
        raise ToolError(str(exc)) from exc


def run_init(target: Path, district_name: str, plan_year: int) -> scaffold.Written:
    return _guard(lambda: scaffold.init_workspace(target.resolve(), district_name, plan_year))


def run_new_town(root: Path, slug: str, name: str) -> scaffold.Written:
    paths, profile = _scaffold_call(root)
    return _guard(lambda: scaffold.new_town(paths, profile, slug, name))


def run_new_project(root: Path, town: str, slug: str, name: str) -> scaffold.Written:
    paths, profile = _scaffold_call(root)
    return _guard(lambda: scaffold.new_project(paths, profile, town, slug, name))


def run_new_plan(root: Path, town: str, slug: str, name: str, kind: str) -> scaffold.Written:
    paths, profile = _scaffold_call(root)
    return _guard(lambda: scaffold.new_plan(paths, profile, town, slug, name, kind))


def run_new_report(root: Path, town: str, date: dt.date | None) -> scaffold.Written:
    paths, profile = _scaffold_call(root)
    projects_dir = _guard(lambda: scaffold.town_folder(paths, town)) / "projects"
    slugs = (
        sorted(p.name for p in projects_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        if projects_dir.is_dir()
        else []
    )
    return _guard(lambda: scaffold.new_report(paths, profile, town, date, slugs))


# -- diff -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffOutcome:
    """A comparison, the files written for it, and its summary."""

    comparison: Any
    """The ``revision.model.Comparison``."""
    written: tuple[Path, ...]
    summary: Any
    """The ``revision.summary.Summary``."""


def run_diff(
    root: Path,
    words: Sequence[str],
    old: str | None = None,
    new: str | None = None,
    output: Path | None = None,
) -> DiffOutcome:
    """Compare two versions of a document and write its 修改对照表 (DOCX and PDF) and, once the
    tracked-changes writer is there, the tracked-changes DOCX, under build/修订/ or ``output``."""
    from townplans import build
    from townplans.revision import naming, outputs, table
    from townplans.revision.history import HistoryError, compare_document
    from townplans.revision.summary import summarise

    paths = WorkspacePaths(root.resolve())
    session = open_session(root) if paths.towns.is_dir() else None
    names = _document_names(session) if session is not None else {}
    try:
        workspace = session.workspace if session is not None else None
        document = naming.resolve(workspace, paths.root, words, names)
        comparison = compare_document(paths.root, document, old, new)
    except HistoryError as exc:
        raise ToolError(str(exc)) from exc
    try:
        style = load_style(paths.style)
    except StyleError as exc:
        raise ToolError(str(exc)) from exc
    folder = (output if output is not None else paths.build / "修订").resolve()
    spec = table.spec(comparison, paths.root, document.paths)
    stamp = build.source_stamp(spec.date)
    written = []
    try:
        made = outputs.all_outputs(spec, comparison, style, paths, stamp)
        for name, data in made.items():
            written.append(build.write_atomic(folder, folder / name, data))
    except (OSError, PathPolicyError) as exc:
        detail = os_error(exc) if isinstance(exc, OSError) else str(exc)
        raise ToolError(f"无法写入修改对照表：{detail}") from exc
    summary = summarise(comparison, len(table.rows(comparison)))
    return DiffOutcome(comparison, tuple(written), summary)


def _document_names(session: Session) -> dict[str, str]:
    """The name ``build`` gives each document, by its first source file."""
    from townplans.render import documents

    assembler = documents.Assembler(
        session.paths.root,
        session.profile,
        documents.Templates(session.paths.templates / "documents"),
        session.workspace.district,
    )
    return {
        spec.sources[0]: spec.name
        for town in session.workspace.district.towns
        for spec in assembler.town_documents(town)
        if spec.sources
    }
