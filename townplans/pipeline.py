"""The one orchestrator: each command's run_* reads top to bottom as load → model → check → render →
write. Returns values; never prints (the CLI does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from townplans import doctor, scaffold
from townplans.check import CheckResult, Selection, run_rules
from townplans.load import load_workspace
from townplans.model import Finding, Workspace
from townplans.paths import WorkspacePaths
from townplans.profile import Profile, load_profile
from townplans.render.style import StyleError, load_style
from townplans.rules import all_rules
from townplans.schema import all_schemas
from townplans.status import TownStatus, district_status


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
    result = load_profile(paths.profile, paths.root)
    if result.profile is None:
        details = "\n".join(str(finding) for finding in result.findings)
        raise ToolError(f"规则文件无法使用：\n{details}")
    return result.profile, result.findings


def open_session(root: Path, towns: tuple[str, ...] = ()) -> Session:
    """Load the profile and the workspace; unknown ``towns`` are a usage error."""
    paths = WorkspacePaths(root.resolve())
    if not paths.towns.is_dir():
        raise ToolError(
            f"{paths.root} 不是 townplans 工作区（没有 towns/ 文件夹）：用 --root 指定，或运行 townplans init"
        )
    profile, profile_findings = _profile(paths)
    workspace = load_workspace(paths.root, profile)
    known = {town.slug for town in workspace.district.towns}
    unknown = [slug for slug in towns if slug not in known]
    if unknown:
        raise ToolError(f"没有这个镇：{'、'.join(unknown)}；可选：{'、'.join(sorted(known))}")
    return Session(paths, profile, workspace, profile_findings)


def run_check(
    root: Path, selection: Selection | None = None, today: dt.date | None = None
) -> tuple[Session, CheckResult]:
    """Load, then check every selected rule over the selected towns."""
    selection = selection or Selection()
    session = open_session(root, selection.towns)
    unknown = [p for p in (*selection.select, *selection.ignore) if not _is_code_prefix(p)]
    if unknown:
        raise ToolError(
            f"规则编号前缀无效：{'、'.join(unknown)}；应为 TP、TP4、TP401 这样的写法（townplans rules 列出全部规则）"
        )
    result = run_rules(session.workspace, session.profile, session.findings, selection, today)
    return session, result


def _is_code_prefix(prefix: str) -> bool:
    return (prefix.startswith("TP") and prefix[2:].isdigit() and len(prefix) <= 5) or prefix == "TP"


def run_status(root: Path) -> tuple[Session, list[TownStatus]]:
    session, result = run_check(root)
    return session, district_status(session.workspace, session.profile, result)


def run_rules_listing() -> list[Any]:
    """Content rules and output self-checks, in code order."""
    from townplans.render.selfcheck import OUTPUT_RULES

    return sorted([*all_rules(), *OUTPUT_RULES], key=lambda rule: rule.code)


def run_schema(root: Path) -> dict[str, dict[str, Any]]:
    paths = WorkspacePaths(root.resolve())
    profile, _ = _profile(paths)
    return all_schemas(profile)


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    session: Session
    written: tuple[Path, ...]
    findings: tuple[Finding, ...]
    """Build findings (outputs that failed or lost content)."""
    check: CheckResult
    """The check of the same content: a draft still builds, and its problems are summarised."""
    photos_prepared: int = 0
    """Photos decoded and resized (0 on a rebuild with unchanged photos)."""
    photos_cached: int = 0

    @property
    def failed(self) -> bool:
        return any(f.code == "TP790" for f in self.findings)


def run_build(
    root: Path, towns: tuple[str, ...] = (), pdf_variant: str | None = None
) -> BuildOutcome:
    """Check, then build every document of the selected towns (and the district summary when the
    whole district is built). A draft with errors still builds; the check summary says what is
    missing."""
    from townplans import build, report

    session, result = run_check(root, Selection(towns=towns))
    try:
        style = load_style(session.paths.style)
    except StyleError as exc:
        raise ToolError(str(exc)) from exc
    summary = None
    if not towns:
        matrix = district_status(session.workspace, session.profile, result)
        line = report.summary_line(
            report.ReportInput(result, session.workspace, session.profile.version)
        )
        towns_all = session.workspace.district.towns

        def summary(assembler: Any) -> Any:
            return assembler.district_summary(matrix, line, towns_all)

    options = build.BuildOptions(towns, pdf_variant)
    plan = build.plan_targets(
        session.workspace, session.paths, style, session.profile, options, summary
    )
    built = build.build(plan)
    return BuildOutcome(
        session,
        tuple(built.written),
        tuple(built.findings),
        result,
        built.photos_prepared,
        built.photos_cached,
    )


def run_doctor(root: Path) -> list[doctor.Check]:
    return doctor.run_checks(root.resolve())


def _scaffold_call(root: Path) -> tuple[WorkspacePaths, Profile]:
    paths = WorkspacePaths(root.resolve())
    profile, _ = _profile(paths)
    return paths, profile


def _guard(action: Callable[[], scaffold.Written]) -> scaffold.Written:
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


def run_new_report(root: Path, town: str, date: dt.date) -> scaffold.Written:
    paths, profile = _scaffold_call(root)
    projects_dir = paths.towns / town / "projects"
    slugs = (
        sorted(p.name for p in projects_dir.iterdir() if p.is_dir())
        if projects_dir.is_dir()
        else []
    )
    return _guard(lambda: scaffold.new_report(paths, profile, town, date, slugs))
