"""Run the selected rules over a loaded workspace, apply waivers, return every finding; never print.

All findings in one run, never stopping at the first. Rules see a read-only ``Context``; the waiver
rules run last, once it is known which waivers covered something.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from townplans import waivers
from townplans.model import Finding, Severity, Town, Workspace
from townplans.profile import Profile
from townplans.rules import Context, Rule, all_rules


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

    def failed(self, strict: bool = False) -> bool:
        """Exit status 1: errors, or (strict) warnings too."""
        return self.count(Severity.ERROR) > 0 or (strict and self.count(Severity.WARNING) > 0)


def run_rules(
    workspace: Workspace,
    profile: Profile,
    loaded: Sequence[Finding],
    selection: Selection | None = None,
    today: dt.date | None = None,
) -> CheckResult:
    """Check the district and each selected town with every selected rule."""
    selection = selection or Selection()
    today = today or dt.date.today()
    rules = tuple(r for r in all_rules() if selection.wants(r.code))
    towns = [
        t for t in workspace.district.towns if not selection.towns or t.slug in selection.towns
    ]
    town_folders = tuple(t.folder + "/" for t in towns)
    base = Context(
        profile, workspace, None, tuple(loaded), today, selected=frozenset(r.code for r in rules)
    )
    findings: list[Finding] = []
    for rule in (r for r in rules if not r.after_others):
        if rule.scope == "district":
            found = _run(rule, base)
            # Loader findings inside towns not selected are left out with their town.
            findings += [f for f in found if not _in_other_town(f, workspace, town_folders)]
        else:
            for town in towns:
                findings += _run(rule, _for_town(base, town))
    all_waivers = [w for town in towns for w in waivers.town_waivers(town)]
    findings, used = waivers.apply(findings, all_waivers, today)
    used_refs = frozenset(str(w.ref) for w in all_waivers if id(w) in used)
    late = Context(profile, workspace, None, tuple(loaded), today, used_refs, base.selected)
    for rule in (r for r in rules if r.after_others):
        for town in towns:
            findings += _run(rule, _for_town(late, town))
    order = {town.folder: index for index, town in enumerate(workspace.district.towns)}
    return CheckResult(
        tuple(sorted(findings, key=lambda f: _sort_key(f, order))),
        rules,
        tuple(t.slug for t in towns),
        today,
    )


def _for_town(ctx: Context, town: Town) -> Context:
    return Context(
        ctx.profile, ctx.workspace, town, ctx.loaded, ctx.today, ctx.used_waivers, ctx.selected
    )


def _run(rule: Rule, ctx: Context) -> list[Finding]:
    return [rule.finding(problem) for problem in rule.check(ctx)]


def _in_other_town(finding: Finding, workspace: Workspace, selected: Iterable[str]) -> bool:
    folders = tuple(selected)
    all_folders = tuple(t.folder + "/" for t in workspace.district.towns)
    return finding.ref.path.startswith(all_folders) and not finding.ref.path.startswith(folders)


def _sort_key(finding: Finding, order: dict[str, int]) -> tuple[int, str, int, int, str]:
    parts = finding.ref.path.split("/")
    town = "/".join(parts[:2]) if len(parts) >= 2 else ""
    return (
        order.get(town, -1),
        finding.ref.path,
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
