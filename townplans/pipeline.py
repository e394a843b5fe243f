"""The one orchestrator: each command's run_* reads top to bottom as load → model → check → render →
write. Returns values; never prints (the CLI does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from townplans import answers, errortext, report
from townplans.check import CheckResult, Selection, blocking
from townplans.fs import PathPolicyError, confine, os_error, read_regular, safe_name, shown
from townplans.limits import MAX_ZIP_BYTES
from townplans.model import Finding, Severity, Town
from townplans.paths import WorkspacePaths, find_workspace
from townplans.profile import Profile
from townplans.reproducible import source_date_epoch, source_stamp
from townplans.rules import all_rules
from townplans.session import (
    Session,
    ToolError,
    load_profile_of,
    open_session,
    read_probe_cache,
    run_check,
)
from townplans.status import DISTRICT_LABEL, Built, Cell, Matrix, State, matrix
from townplans.values import ValueFormatError, parse_date

if TYPE_CHECKING:  # imported where used: `check` needs neither jinja2 (scaffold) nor the renderers
    from townplans import scaffold
    from townplans.render.style import Style

T = TypeVar("T")

__all__ = [
    "DISTRICT_LABEL", "REPORT_FORMATS", "Cell", "Finding", "Matrix", "Selection", "Session",
    "Severity", "State", "ToolError", "ValueFormatError", "errortext", "find_workspace",
    "open_session", "os_error", "parse_date", "read_probe_cache", "run_check", "shown",
]  # fmt: skip
"""The pipeline is the command line's one face: besides the run_* functions, the records and
helpers the CLI prints with are re-exported here, so ``cli`` imports nothing else of townplans."""

REPORT_FORMATS = tuple(report.FORMATS)
"""The formats ``check`` writes its report in (text, json, junit, sarif, html)."""


def render_report(
    session: Session, result: CheckResult, output_format: str, *, strict: bool = False,
    color: bool = False,
) -> str:  # fmt: skip
    """The check's findings as a report in ``output_format``."""
    data = report.ReportInput(result, session.workspace, session.profile.version, strict)
    return report.render(data, output_format, color)


def summary_line(session: Session, result: CheckResult, *, strict: bool = False) -> str:
    """检查通过/未通过：错误 n，警告 n … (the check's verdict in one line)."""
    return report.summary_line(
        report.ReportInput(result, session.workspace, session.profile.version, strict)
    )


def rules_listing(output_format: str) -> str:
    """Every rule (content rules and output self-checks) as text or JSON."""
    return report.rules_listing(run_rules_listing(), output_format)


def start_serve(root: Path, host: str | None, port: int) -> Any:
    """Load, check and preview the workspace and bind the server (``serve.app.Server``; serve
    forever with ``serve_forever()``, stop with ``close()``); on 127.0.0.1 unless ``host``."""
    from townplans.serve import app

    return app.start(root, host or app.LOOPBACK, port, open_hosts=host is not None)


def run_status(root: Path) -> tuple[Session, Matrix]:
    """The towns × deliverables matrix and the district's own line, from a check of everything,
    and every output the build graph lists with whether build/ holds it as its inputs are now."""
    from townplans import build, targets

    session, result = run_check(root)
    graph = targets.Graph(session, _style(session), result)
    outputs = graph.outputs()
    plan = build.Plan([t for o in outputs for t in o.targets], graph.partial)
    paths = session.paths
    decisions = build.survey(
        plan, build.Folders(paths.root, paths.build), targets.known_hashes(session)
    )
    town_of = {t.path: o.town for o in outputs for t in o.targets}
    built = tuple(
        Built(town_of[d.target.path], d.target.path.name, not d.rebuild, d.reason)
        for d in decisions
    )
    found = matrix(session.workspace, session.profile, result)
    return session, dataclasses.replace(found, outputs=built)


def run_rules_listing() -> list[Any]:
    """Content rules and output self-checks, in code order."""
    from townplans.render.selfcheck import OUTPUT_RULES

    return sorted([*all_rules(), *OUTPUT_RULES], key=lambda rule: rule.code)


def run_schema(root: Path) -> dict[str, dict[str, Any]]:
    from townplans.schema import all_schemas

    paths = WorkspacePaths(root.resolve())
    profile, _ = load_profile_of(paths)
    return all_schemas(profile)


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    session: Session
    report: Any
    """The build's ``BuildReport``: built, up to date, removed, failed, findings, photo work."""
    check: CheckResult
    """The check of the same content: a draft still builds, and its problems are summarised."""
    index: Path | None = None
    outputs: tuple[Any, ...] = ()
    """The build graph's outputs (``targets.Output``) this build covered."""

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
    """Check, then build what changed: every output the build graph lists for the selected towns
    and (for the whole district) the summary and build/index.html. A draft with errors still
    builds; the check summary says what is missing."""
    from townplans import build, targets

    probe_cache = read_probe_cache(WorkspacePaths(root.resolve()))
    session, result = run_check(root, Selection(towns=towns), today, probe_cache)
    graph = targets.Graph(session, _style(session), result, targets.Options(towns, pdf_variant))
    outputs = graph.outputs()
    plan = build.Plan([t for o in outputs for t in o.targets], graph.partial)
    spec = targets.WorkerSpec(str(root.resolve()), towns, pdf_variant, result.today.isoformat())
    worker = functools.partial(targets.make_in_worker, spec)
    targets.inherit(spec, plan.targets)
    paths = session.paths
    state = (
        {paths.probe_cache: probe_cache.to_json().encode("utf-8")} if probe_cache.changed else {}
    )
    try:
        built = build.build(
            plan, build.Folders(paths.root, paths.build), build.BuildOptions(force, jobs, dry_run, wait),
            progress, worker, targets.known_hashes(session), state, targets.explain,
        )  # fmt: skip
    except (build.BuildLockedError, build.BuildFolderError) as exc:
        raise ToolError(str(exc)) from exc
    finally:
        targets.forget()
    index = paths.build / "index.html" if not towns else None
    return BuildOutcome(session, built, result, index, tuple(outputs))


@dataclass(frozen=True, slots=True)
class BuildAnswer:
    """What ``build`` says when it is done: the build's report, the check's active errors and its
    verdict line, the index of outputs; from the build just made, or ``remembered`` (nothing to
    do, and nothing the last build's answer rests on moved: see ``townplans.answers``)."""

    root: Path
    report: Any
    """The ``BuildReport``: built, up to date, removed, failed, findings, photo work, notes."""
    errors: tuple[Finding, ...]
    summary: str
    index: Path | None
    remembered: bool = False

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self.report.findings)

    @property
    def failed(self) -> bool:
        return bool(self.report.failed)


def build_answer(
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
) -> BuildAnswer:
    """``run_build``, answered from memory when there is nothing to do: a build that finished
    without a failure leaves the answer the next one would give (``townplans.answers``), and
    the next one gives it without loading when nothing it rests on has moved."""
    paths = WorkspacePaths(root.resolve())
    day = today or dt.date.today()
    answer_key = answers.key(paths, "build", (*towns, pdf_variant or ""), day)
    if not (force or dry_run):
        remembered = _remembered_build(paths, answer_key, wait, progress)
        if remembered is not None:
            return remembered
    outcome = run_build(root, towns, pdf_variant, force=force, jobs=jobs, dry_run=dry_run,
                        wait=wait, progress=progress, today=day)  # fmt: skip
    errors = outcome.check.errors
    summary = summary_line(outcome.session, outcome.check)
    built = outcome.report
    if not (dry_run or built.failed or built.notes):
        from townplans import build

        listed = [(t.label, t.path) for o in outcome.outputs for t in o.targets]
        answer = answers.remember(paths.build, answer_key, listed, errors, summary, outcome.index)
        if answer is not None:
            with contextlib.suppress(OSError, PathPolicyError):  # only the next answer is slower
                build.write_atomic(
                    paths.build, answers.answers_path(paths), answer.to_json().encode()
                )
    return BuildAnswer(paths.root, built, errors, summary, outcome.index)


def _remembered_build(
    paths: WorkspacePaths, answer_key: str, wait: float, progress: Any
) -> BuildAnswer | None:
    """The last build's answer for ``answer_key``, given under the build lock as a build with
    nothing to do would give it; None when there is none to give (the build then runs)."""
    stored = answers.answers_path(paths)
    if not os.path.isfile(stored):
        return None
    from townplans import build

    try:
        build.usable_build_folder(paths.build)
        with build.build_lock(paths.build, wait) as note:
            answer = answers.recall(stored, paths.build, answer_key)
    except (build.BuildLockedError, build.BuildFolderError, OSError):
        return None  # the build itself says what is wrong
    if answer is None:
        return None
    notes = [n for n in (note, source_date_epoch()[1]) if n]
    report = build.BuildReport(up_to_date=[paths.build / name for _, name in answer.outputs],
                               notes=notes)  # fmt: skip
    for done, (label, _) in enumerate(answer.outputs, start=1):
        if progress is not None:
            progress(done, len(answer.outputs), label, "未变化")
    index = paths.build / answer.index if answer.index is not None else None
    return BuildAnswer(paths.root, report, answer.errors, answer.summary, index, remembered=True)


@dataclass(frozen=True, slots=True)
class BulletinOutcome:
    """One week's 通报 built: its number and dates, its headline table, the files it holds and
    the build's report (what failed is among its findings)."""

    session: Session
    number: int
    start: dt.date
    end: dt.date
    header: list[str]
    rows: list[list[str]]
    files: tuple[Path, ...]
    report: Any

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self.report.findings)

    @property
    def failed(self) -> bool:
        return bool(self.report.failed)


def run_bulletin(
    root: Path, day: dt.date | None = None, today: dt.date | None = None
) -> BulletinOutcome:
    """Build the 工作进度通报 of the week holding ``day`` (the latest reported week without
    one): its DOCX and PDF (and the charts they show), nothing else."""
    from townplans import build, targets
    from townplans.render.bulletin import headline

    session, result = run_check(root, Selection(), today)
    graph = targets.Graph(session, _style(session), result)
    weeks = graph.reported_weeks()
    if not weeks:
        raise ToolError("没有任何镇报送周报（towns/<镇>/reports/），无法生成工作进度通报")
    week = weeks[-1] if day is None else next((w for w in weeks if w.start <= day <= w.end), None)
    if week is None:
        shown = "、".join(f"第{w.number}期（{w.start}至{w.end}）" for w in weeks)
        raise ToolError(f"{day} 不在任何已报送周报的周内；已报送的周为：{shown}")
    output, data = graph.bulletin_output(week)
    plan = build.Plan(list(output.targets), True)
    paths = session.paths
    try:
        built = build.build(
            plan, build.Folders(paths.root, paths.build), build.BuildOptions(),
            explain=targets.explain,
        )  # fmt: skip
    except (build.BuildLockedError, build.BuildFolderError) as exc:
        raise ToolError(str(exc)) from exc
    header, rows = headline(data)
    return BulletinOutcome(session, week.number, week.start, week.end, header, rows,
                           output.paths, built)  # fmt: skip


def _style(session: Session) -> Style:
    from townplans.render.style import StyleError, load_style

    try:
        return load_style(session.paths.style)
    except StyleError as exc:
        raise ToolError(str(exc)) from exc


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
        listed = {p for o in outcome.outputs if o.town == slug for p in o.paths}
        files = sorted(
            p for p in (*outcome.report.built, *outcome.report.up_to_date) if p in listed
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
        stamp = source_stamp(_latest_date(town))
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
    profile, _ = load_profile_of(paths)
    return paths, profile


def _guard(action: Callable[[], T]) -> T:
    from townplans import scaffold

    try:
        return action()
    except scaffold.ScaffoldError as exc:
        raise ToolError(str(exc)) from exc


def run_init(target: Path, district_name: str, plan_year: int) -> scaffold.Written:
    from townplans import scaffold

    return _guard(lambda: scaffold.init_workspace(target.resolve(), district_name, plan_year))


def run_new_town(root: Path, slug: str, name: str) -> scaffold.Written:
    from townplans import scaffold

    paths, profile = _scaffold_call(root)
    return _guard(lambda: scaffold.new_town(paths, profile, slug, name))


def run_new_project(root: Path, town: str, slug: str, name: str) -> scaffold.Written:
    from townplans import scaffold

    paths, profile = _scaffold_call(root)
    return _guard(lambda: scaffold.new_project(paths, profile, town, slug, name))


def run_new_plan(root: Path, town: str, slug: str, name: str, kind: str) -> scaffold.Written:
    from townplans import scaffold

    paths, profile = _scaffold_call(root)
    return _guard(lambda: scaffold.new_plan(paths, profile, town, slug, name, kind))


def run_new_report(root: Path, town: str, date: dt.date | None) -> scaffold.Written:
    from townplans import scaffold

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
    author: str | None = None,
) -> DiffOutcome:
    """Compare two versions of a document and write its 修改对照表 (DOCX and PDF) and the
    tracked-changes DOCX (the built document with its changes marked, when ``build`` makes the
    document), under build/修订/ or ``output``. ``author``: who made the working tree's changes
    (default: git's user.name)."""
    from townplans import build
    from townplans.render.style import StyleError, load_style
    from townplans.revision import naming, outputs, table
    from townplans.revision.history import HistoryError, compare_document
    from townplans.revision.summary import summarise

    paths = WorkspacePaths(root.resolve())
    session = open_session(root) if paths.towns.is_dir() else None
    names = _document_names(session) if session is not None else {}
    try:
        workspace = session.workspace if session is not None else None
        document = naming.resolve(workspace, paths.root, words, names)
        comparison = compare_document(paths.root, document, old, new, author=author)
    except HistoryError as exc:
        raise ToolError(str(exc)) from exc
    try:
        style = load_style(paths.style)
    except StyleError as exc:
        raise ToolError(str(exc)) from exc
    folder = (output if output is not None else paths.build / "修订").resolve()
    spec = table.spec(comparison, paths.root, document.paths)
    stamp = source_stamp(spec.date)
    built = _built_spec(session, style, document.paths) if session is not None else None
    contents = _contents(built, style, paths) if built is not None and new is None else ()
    written = []
    try:
        made = outputs.all_outputs(spec, comparison, style, paths, stamp, built, contents)
        for name, data in made.items():
            written.append(build.write_atomic(folder, folder / name, data))
    except (OSError, PathPolicyError) as exc:
        detail = os_error(exc) if isinstance(exc, OSError) else str(exc)
        raise ToolError(f"无法写入修改对照表：{detail}") from exc
    summary = summarise(comparison, len(table.rows(comparison)))
    return DiffOutcome(comparison, tuple(written), summary)


def _built_spec(session: Session, style: Any, compared: tuple[str, ...]) -> Any:
    """The ``documents.DocumentSpec`` ``build`` makes from the compared files (``compared``: a
    chapter folder or a file), None when it makes none from them."""
    from townplans import targets

    graph = targets.Graph(session, style)
    return next((s for s in graph.specs() if s.text and tuple(s.text) == compared), None)


def _contents(spec: Any, style: Any, paths: WorkspacePaths) -> list[Any]:
    """The document's table of contents with the pages of its PDF (as ``build`` fills it): the
    working tree is the new version, so its layout is the marked document's."""
    from townplans.render import documents
    from townplans.render.html import font_faces
    from townplans.render.pdf import anchor_pages

    def pages(html: str) -> dict[str, int]:
        return anchor_pages(html, paths.mounts())

    return documents.contents(spec, style, paths.root, font_faces(paths.fonts), pages)


def _document_names(session: Session) -> dict[str, str]:
    """The name ``build`` gives each document, by its first source file."""
    from townplans import targets

    graph = targets.Graph(session, _style(session))
    return {
        output.inputs[0]: output.name
        for town in session.workspace.district.towns
        for output in graph.town_documents(town)
        if output.inputs
    }
