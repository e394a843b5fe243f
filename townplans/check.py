"""Run the selected rules over a loaded workspace, apply waivers, return every finding; never print.

All findings in one run, never stopping at the first. Rules see a read-only ``Context``; the waiver
rules run last, once it is known which waivers covered something.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from townplans import waivers
from townplans.facts import FactBase
from townplans.facts.extract import build_facts
from townplans.knowledge import Knowledge
from townplans.model import Finding, Severity, SourceRef, Town, Workspace
from townplans.profile import Profile
from townplans.progress import Progress, build_progress
from townplans.rules import Context, Rule, all_rules
from townplans.sources import internal_error


@dataclass(frozen=True, slots=True)
class Selection:
    """Which rules and towns a run covers (code prefixes, like flake8's --select/--ignore)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        if self.select and not code.startswith(self.select):
            return False
        return not (self.ignore and code.startswith(self.ignore))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Every finding (waived ones included, marked), in a stable order, and what was checked."""

    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    towns: tuple[str, ...]
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def active(self) -> tuple[Finding, ...]:
        """Findings not covered by a waiver."""
        return tuple(f for f in self.findings if f.waiver is None)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.active if f.severity is severity)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error findings no waiver covers: what fails ``check`` and ``status`` and refuses a
        package (``blocking`` splits them by town)."""
        return tuple(f for f in self.active if f.severity is Severity.ERROR)

    def failed(self, strict: bool = False) -> bool:
        """Exit status 1: errors, or (strict) warnings too."""
        return bool(self.errors) or (strict and self.count(Severity.WARNING) > 0)


@dataclass(frozen=True, slots=True)
class Blocking:
    """The errors of a check by what they block. The district's own material (district.yaml, the
    district's waivers, the profile, the towns/ folder) is part of every town's submission, so its
    errors block every town; a town's errors block that town."""

    district: tuple[Finding, ...]
    towns: Mapping[str, tuple[Finding, ...]]

    def town(self, slug: str) -> tuple[Finding, ...]:
        """The town's own errors (the district's are ``district``)."""
        return self.towns.get(slug, ())

    def blocks(self, slug: str) -> bool:
        """Whether the town's package is refused."""
        return bool(self.district or self.town(slug))


def blocking(result: CheckResult, workspace: Workspace) -> Blocking:
    """The one decision ``check``, ``status`` and ``package`` share: ``result.errors``, each
    attributed to its town (``town_of``) or to the district."""
    district: list[Finding] = []
    towns: dict[str, list[Finding]] = {}
    for finding in result.errors:
        slug = town_of(finding, workspace)
        (district if slug is None else towns.setdefault(slug, [])).append(finding)
    return Blocking(tuple(district), {slug: tuple(found) for slug, found in towns.items()})


def run_rules(
    workspace: Workspace,
    profile: Profile,
    loaded: Sequence[Finding],
    selection: Selection | None = None,
    today: dt.date | None = None,
    *,
    facts: FactBase | None = None,
    knowledge: Knowledge | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Check the district and each selected town with every selected rule, over the workspace's
    facts (read here from the workspace when not given)."""
    selection = selection or Selection()
    today = today or dt.date.today()
    knowledge = knowledge or Knowledge()
    if facts is None:
        facts = build_facts(workspace.district, profile, knowledge)
    if progress is None:
        progress = build_progress(workspace, profile, facts)
    rules = tuple(r for r in all_rules() if selection.wants(r.code))
    towns = [
        t for t in workspace.district.towns if not selection.towns or t.slug in selection.towns
    ]
    town_folders = tuple(t.folder + "/" for t in towns)
    partial = len(towns) < len(workspace.district.towns)
    base = Context(
        profile, workspace, None, tuple(loaded), today, selected=frozenset(r.code for r in rules),
        partial=partial, facts=facts, knowledge=knowledge, progress=progress,
    )  # fmt: skip
    findings = _run_all([r for r in rules if not r.after_others], base, towns, town_folders)
    findings = root_causes_first(findings, workspace, selection)
    # Every command decides waivers alike: the district's, and each selected town's own (a town's
    # waiver never reaches another town, so checking one town gives that town's full result).
    chosen = waivers.all_waivers(workspace, towns)
    findings, used = waivers.apply(findings, chosen, today)
    used_refs = frozenset(str(w.ref) for w in chosen if id(w) in used)
    late = Context(profile, workspace, None, tuple(loaded), today, used_refs, base.selected,
                   partial=partial, facts=facts, knowledge=knowledge,
                   progress=progress)  # fmt: skip
    findings += _run_all([r for r in rules if r.after_others], late, towns, town_folders)
    order = {town.folder: index for index, town in enumerate(workspace.district.towns)}
    return CheckResult(
        tuple(sorted((f.printable() for f in findings), key=lambda f: _sort_key(f, order))),
        rules,
        tuple(t.slug for t in towns),
        today,
    )


def root_causes_first(
    findings: Sequence[Finding], workspace: Workspace, selection: Selection
) -> list[Finding]:
    """Keep a file that could not be read to its one loader finding: what the other rules say
    about it (sixteen missing fields, a project named after its first heading) derives from
    nothing. A town with such a file also skips its cross-file checks (TP6xx), which would compare
    against that nothing. Each file says so once (TP019)."""
    damaged = workspace.damaged
    if not damaged:
        return list(findings)
    broken_towns = {t.folder for t in workspace.district.towns if any(t.holds(p) for p in damaged)}
    kept: list[Finding] = []
    skipped: dict[str, int] = dict.fromkeys(sorted(damaged), 0)
    for finding in findings:
        path = finding.ref.path
        town = next((folder for folder in broken_towns if path.startswith(folder + "/")), None)
        if finding.code.startswith("TP0") or finding.code.startswith("TP9"):
            kept.append(finding)
        elif path in damaged:
            skipped[path] += 1
        elif town is not None and finding.code.startswith("TP6"):
            first = next(p for p in damaged if p.startswith(town + "/"))
            skipped[first] += 1
        else:
            kept.append(finding)
    if selection.wants("TP019"):
        kept += [_skipped_note(path, count) for path, count in skipped.items() if count]
    return kept


def _skipped_note(path: str, count: int) -> Finding:
    message = (
        f"本文件无法读取（见上一条），依赖其内容的 {count} 项检查已跳过（含本镇的一致性检查 TP6xx）："
        "修正后重新检查即可看到它们"
    )
    return Finding("TP019", Severity.INFO, message, SourceRef(path), "practice")


def _run_all(
    rules: Sequence[Rule], base: Context, towns: Sequence[Town], town_folders: tuple[str, ...]
) -> list[Finding]:
    findings: list[Finding] = []
    # One context per town for all the rules, so that what they share (its memo) is worked out once.
    contexts = [_for_town(base, town) for town in towns]
    for rule in rules:
        if rule.scope == "district":
            found = _run(rule, base)
            # Findings inside towns not selected are left out with their town.
            findings += [f for f in found if not _in_other_town(f, base.workspace, town_folders)]
        else:
            for ctx in contexts:
                findings += _run(rule, ctx)
    return findings


def _for_town(ctx: Context, town: Town) -> Context:
    return Context(
        ctx.profile, ctx.workspace, town, ctx.loaded, ctx.today, ctx.used_waivers, ctx.selected,
        partial=ctx.partial, facts=ctx.facts, knowledge=ctx.knowledge, progress=ctx.progress,
    )  # fmt: skip


def _run(rule: Rule, ctx: Context) -> list[Finding]:
    """One rule over one context. A rule that fails unexpectedly costs only its own findings: the
    failure is a TP990 finding naming the rule and the town (traceback under ``--debug``)."""
    try:
        return [rule.finding(problem) for problem in rule.check(ctx)]
    except Exception as exc:  # noqa: BLE001 - the other rules and towns must still be checked
        where = SourceRef(ctx.town.folder if ctx.town is not None else "towns")
        return [internal_error(exc, where, f"规则 {rule.code}（{rule.slug}）检查")]


def _in_other_town(finding: Finding, workspace: Workspace, selected: Iterable[str]) -> bool:
    folders = tuple(selected)
    all_folders = tuple(t.folder + "/" for t in workspace.district.towns)
    return finding.ref.path.startswith(all_folders) and not finding.ref.path.startswith(folders)


FILL_ORDER = (
    "town.yaml",
    "construction-plan.md",
    "master-plan",
    "detailed-plans",
    "projects",
    "reports",
)
"""The order a planner fills a town in (what ``new town`` writes first comes first); findings
about the town folder itself (documents still to add) come last."""


def _fill_order(parts: list[str]) -> int:
    if len(parts) < 3:
        return len(FILL_ORDER) + 1
    return FILL_ORDER.index(parts[2]) if parts[2] in FILL_ORDER else len(FILL_ORDER)


def _sort_key(finding: Finding, order: dict[str, int]) -> tuple[int, int, str, int, int, int, str]:
    """Towns in district order; in a town, files in the order a planner fills them; in a file,
    what loading found first (the root cause of what follows), then by line."""
    parts = finding.ref.path.split("/")
    town = "/".join(parts[:2]) if len(parts) >= 2 else ""
    return (
        order.get(town, -1),
        _fill_order(parts) if town in order else 0,
        finding.ref.path,
        2 if finding.code == "TP019" else 0 if finding.code.startswith("TP0") else 1,
        finding.ref.line or 0,
        finding.ref.col or 0,
        finding.code,
    )


def town_of(finding: Finding, workspace: Workspace) -> str | None:
    """The slug of the town a finding belongs to (None for district-level findings)."""
    for town in workspace.district.towns:
        if town.holds(finding.ref.path):
            return town.slug
    return None
