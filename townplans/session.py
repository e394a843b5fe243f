"""A workspace opened for work: its paths, profile and loaded content, and the check of them.

Every command starts here (``pipeline`` for the command line, ``serve`` for the preview): the
profile is read and validated, the content loaded, and the rules run, the same way for all, so
every command sees the same findings and makes the same waiver decisions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from townplans.check import CheckResult, Selection, run_rules
from townplans.facts import FactBase
from townplans.facts.extract import build_facts
from townplans.fs import read_regular, shown
from townplans.knowledge import Knowledge, load_knowledge
from townplans.limits import MAX_BUILD_STATE_BYTES
from townplans.load import load_workspace
from townplans.load.images import ProbeCache
from townplans.model import Finding, Workspace
from townplans.paths import WorkspacePaths
from townplans.profile import Profile, load_profile
from townplans.progress import Progress, build_progress


class ToolError(Exception):
    """A problem that stops a command (exit code 2): bad usage, unreadable profile or style."""


@dataclass(frozen=True, slots=True)
class Session:
    """A workspace with its profile and knowledge loaded, its content read and its facts taken."""

    paths: WorkspacePaths
    profile: Profile
    workspace: Workspace
    profile_findings: tuple[Finding, ...]
    """What is wrong with the profile and the knowledge files."""
    knowledge: Knowledge = field(default_factory=Knowledge)
    facts: FactBase = field(default_factory=FactBase)
    """Every fact the workspace states (``facts.extract``), read once here."""
    progress: Progress | None = None
    """The weekly progress (``townplans.progress``), built once here."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        return (*self.profile_findings, *self.workspace.findings)


def load_profile_of(paths: WorkspacePaths) -> tuple[Profile, tuple[Finding, ...]]:
    """The workspace's profile and what is wrong with it; ``ToolError`` when it cannot be used."""
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
    profile, profile_findings = load_profile_of(paths)
    knowledge = load_knowledge(paths.knowledge, paths.root)
    cache = probe_cache if probe_cache is not None else read_probe_cache(paths)
    workspace = load_workspace(paths.root, profile, cache)
    known = {town.slug for town in workspace.district.towns}
    unknown = [slug for slug in towns if slug not in known]
    if unknown:
        raise ToolError(
            f"没有这个镇：{'、'.join(map(shown, unknown))}；可选：{'、'.join(sorted(known))}"
        )
    facts = build_facts(workspace.district, profile, knowledge.knowledge)
    progress = build_progress(workspace, profile, facts)
    return Session(paths, profile, workspace, (*profile_findings, *knowledge.findings),
                   knowledge.knowledge, facts, progress)  # fmt: skip


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
    result = run_rules(session.workspace, session.profile, session.findings, selection, today,
                       facts=session.facts, knowledge=session.knowledge,
                       progress=session.progress)  # fmt: skip
    return session, result


def _is_code_prefix(prefix: str) -> bool:
    return (prefix.startswith("TP") and prefix[2:].isdigit() and len(prefix) <= 5) or prefix == "TP"
