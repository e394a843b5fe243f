"""The towns × deliverables matrix, from the checker's findings.

A deliverable is *missing* when none of its files exist; *incomplete* when it exists but fewer than
the profile's minimum, or the checker reports an error inside it (a missing heading, field or
attachment, an undecodable photo …); *present* otherwise. Warnings are listed as notes but do not
make a deliverable incomplete, and neither do indicators below target (TP4xx): the material is
there, it just does not comply.

The district's own material (district.yaml and its waivers, the profile) is one more line, 区级材料,
judged alike. It is a line of its own, not a mark on every town: a reviewer (and each town's
planner) must see that the fix belongs in towns/district.yaml, not in six town folders, while the
matrix still tells which towns' material is complete. Its errors refuse every town's package, so
the line says so. Whether the matrix "fails" (exit status 1) is ``check.blocking``, the decision
``check`` and ``package`` take too.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from townplans.check import CheckResult, blocking, town_of
from townplans.model import Finding, Severity, Town, Workspace
from townplans.profile import Profile

PHOTO_CODES = ("TP302", "TP505", "TP506", "TP307")
"""Codes that concern a project's photos even when they point at its brief."""


class State(enum.Enum):
    PRESENT = "present"
    INCOMPLETE = "incomplete"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return {"present": "齐全", "incomplete": "不完整", "missing": "缺失"}[self.value]


@dataclass(frozen=True, slots=True)
class Cell:
    """One deliverable of one town."""

    state: State
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TownStatus:
    slug: str
    name: str
    cells: dict[str, Cell]


def _prefixes(town: Town, document: str) -> tuple[str, ...]:
    folder = town.folder
    plans = {
        kind: tuple(p.folder + "/" for p in town.detailed_plans if p.kind == kind)
        for kind in ("regulatory", "site")
    }
    return {
        "town": (f"{folder}/town.yaml",),
        "construction_plan": (f"{folder}/construction-plan.md",),
        "master_plan": (f"{folder}/master-plan/",),
        "regulatory_plan": plans["regulatory"],
        "site_plan": plans["site"],
        "project_brief": (f"{folder}/projects/",),
        "project_photos": (f"{folder}/projects/",),
        "weekly_report": (f"{folder}/reports/",),
    }.get(document, ())


def _belongs(finding: Finding, town: Town, document: str) -> bool:
    prefixes = _prefixes(town, document)
    if not prefixes or not finding.ref.path.startswith(prefixes):
        return False
    is_photo = finding.code in PHOTO_CODES or "/photos" in finding.ref.path
    if document == "project_photos":
        return is_photo
    if document == "project_brief":
        return not is_photo
    return True


def _presence(town: Town, profile: Profile, document: str) -> tuple[int, int]:
    """(how many exist, how many the profile requires) for one deliverable."""
    doctype = profile.documents.get(document)
    minimum = max(doctype.count_min, 1) if doctype else 1
    counters: dict[str, Callable[[], int]] = {
        "town": lambda: int(town.meta is not None),
        "construction_plan": lambda: int(town.construction_plan is not None),
        "master_plan": lambda: int(
            town.master_plan is not None and bool(town.master_plan.chapters)
        ),
        "regulatory_plan": lambda: sum(p.kind == "regulatory" for p in town.detailed_plans),
        "site_plan": lambda: sum(p.kind == "site" for p in town.detailed_plans),
        "project_brief": lambda: sum(p.brief is not None for p in town.projects),
        "project_photos": lambda: sum(bool(p.photos) for p in town.projects),
        "weekly_report": lambda: len(town.reports),
    }
    if document == "project_photos":
        minimum = 1
    return counters.get(document, lambda: 0)(), minimum


def town_status(town: Town, profile: Profile, findings: Sequence[Finding]) -> TownStatus:
    """The status of each of the profile's deliverables for one town."""
    active = [f for f in findings if f.waiver is None]
    cells: dict[str, Cell] = {}
    for deliverable in profile.deliverables:
        found, minimum = _presence(town, profile, deliverable.document)
        label = profile.documents[deliverable.document].label
        if found == 0:
            cells[deliverable.key] = Cell(State.MISSING, (f"缺少{label}",))
            continue
        own = [f for f in active if _belongs(f, town, deliverable.document)]
        short = found < minimum
        lead = (f"{label}有 {found} 份，至少应有 {minimum} 份",) if short else ()
        cells[deliverable.key] = _judged(own, short, lead)
    return TownStatus(town.slug, town.name, cells)


def _judged(own: Sequence[Finding], short: bool, lead: tuple[str, ...] = ()) -> Cell:
    """A cell from its findings: incomplete when short or with an error, every finding but a
    remark as a note."""
    notes = [
        *lead,
        *(f"{f.ref}: {f.code} {f.message}" for f in own if f.severity is not Severity.INFO),
    ]
    # Indicators below target are non-compliance, not missing material: noted, not "incomplete".
    errors = any(f.severity is Severity.ERROR and not f.code.startswith("TP4") for f in own)
    return Cell(State.INCOMPLETE if short or errors else State.PRESENT, tuple(notes))


DISTRICT_LABEL = "区级材料"


def district_cell(workspace: Workspace, result: CheckResult) -> Cell:
    """The district's own material: the findings that belong to no town, judged as a town's
    deliverable is."""
    own = [f for f in result.active if town_of(f, workspace) is None]
    return _judged(own, short=False)


@dataclass(frozen=True, slots=True)
class Built:
    """One output file of the build graph and whether ``build/`` holds it as its inputs are now."""

    town: str
    """The town's slug; "" for the district's own outputs."""
    name: str
    """The file name (渭城镇总体规划.pdf)."""
    current: bool
    reason: str
    """Why it would be rebuilt (Chinese: 新成果, 输入变化：…), or 未变化."""


@dataclass(frozen=True, slots=True)
class Matrix:
    """What ``status`` shows: each town's row, the district's own line, and whether any error
    remains (the exit status, decided as ``check`` decides it)."""

    towns: list[TownStatus]
    district: Cell
    failed: bool
    blocked: bool
    """The district's errors refuse every town's package."""
    outputs: tuple[Built, ...] = ()
    """Every output the build graph lists, with whether it is built and current."""

    def outputs_of(self, slug: str) -> list[Built]:
        return [o for o in self.outputs if o.town == slug]


def district_status(
    workspace: Workspace, profile: Profile, result: CheckResult
) -> list[TownStatus]:
    return [town_status(town, profile, result.findings) for town in workspace.district.towns]


def matrix(workspace: Workspace, profile: Profile, result: CheckResult) -> Matrix:
    """The towns' rows and the district's line, with the decision ``check`` and ``package`` take."""
    errors = blocking(result, workspace)
    failed = bool(errors.district) or any(errors.towns.values())
    return Matrix(
        district_status(workspace, profile, result),
        district_cell(workspace, result),
        failed,
        bool(errors.district),
    )
