"""The towns × deliverables matrix: for each deliverable, present, incomplete or missing, and why.

A deliverable is *missing* when none of its files exist, *incomplete* when they exist but lack a
required heading, field or attachment, or have a load error, and *present* otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from townplans.completeness import (
    attachment_shortfall,
    condition_holds,
    missing_fields,
    missing_headings,
)
from townplans.model import Finding, MarkdownFile, Severity, Town, Workspace
from townplans.profile import DocumentType, Profile


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


def _cell(notes: Sequence[str], present: bool = True) -> Cell:
    if not present:
        return Cell(State.MISSING, tuple(notes))
    return Cell(State.INCOMPLETE if notes else State.PRESENT, tuple(notes))


def _document_notes(
    doc: MarkdownFile, doctype: DocumentType, with_fields: bool = True
) -> list[str]:
    notes = []
    if with_fields:
        notes += [f"{doc.ref.path} 缺字段“{label}”" for label in missing_fields(doc.meta, doctype)]
    notes += [
        f"{doc.ref.path} 缺章节“{spec.title}”" for spec in missing_headings(doc.headings, doctype)
    ]
    return notes


def _town(town: Town, doctype: DocumentType) -> Cell:
    if town.meta is None:
        return _cell([f"缺少 {town.folder}/town.yaml"], present=False)
    return _cell([f"缺字段“{label}”" for label in missing_fields(town.meta, doctype)])


def _construction_plan(town: Town, doctype: DocumentType) -> Cell:
    if town.construction_plan is None:
        return _cell([f"缺少 {town.folder}/construction-plan.md"], present=False)
    return _cell(_document_notes(town.construction_plan, doctype))


def _master_plan(town: Town, doctype: DocumentType) -> Cell:
    plan = town.master_plan
    if plan is None or not plan.chapters:
        return _cell([f"缺少 {town.folder}/master-plan/*.md"], present=False)
    headings = [heading for chapter in plan.chapters for heading in chapter.headings]
    first = plan.chapters[0]
    notes = [f"{first.ref.path} 缺字段“{label}”" for label in missing_fields(first.meta, doctype)]
    notes += [f"缺章节“{spec.title}”" for spec in missing_headings(headings, doctype)]
    for spec in doctype.attachments.values():
        shortfall = attachment_shortfall(spec, plan.drawings)
        if shortfall is not None:
            notes.append(f"{spec.label}{shortfall.found}张，至少应有{spec.min}张")
    return _cell(notes)


def _detailed(kind: str) -> Callable[[Town, DocumentType], Cell]:
    def evaluate(town: Town, doctype: DocumentType) -> Cell:
        plans = [plan for plan in town.detailed_plans if plan.kind == kind]
        if len(plans) < max(doctype.count_min, 1):
            return _cell([f"缺少{doctype.label}（{town.folder}/detailed-plans/）"], present=False)
        notes: list[str] = []
        for plan in plans:
            if plan.text is not None:
                notes += _document_notes(plan.text, doctype)
            for spec in doctype.attachments.values():
                if spec.file is not None:
                    if spec.file == "parcels.yaml" and plan.parcels is None:
                        notes.append(f"{plan.folder} 缺{spec.label}")
                    continue
                shortfall = attachment_shortfall(spec, plan.drawings)
                if shortfall is not None:
                    notes.append(
                        f"{plan.folder} {spec.label}{shortfall.found}张，至少应有{spec.min}张"
                    )
        return _cell(notes)

    return evaluate


def _briefs(town: Town, doctype: DocumentType) -> Cell:
    briefs = [project.brief for project in town.projects if project.brief is not None]
    if not briefs:
        return _cell([f"缺少项目简介（{town.folder}/projects/*/brief.md）"], present=False)
    notes = [f"{project.folder} 缺 brief.md" for project in town.projects if project.brief is None]
    if len(briefs) < doctype.count_min:
        notes.append(f"项目简介{len(briefs)}份，至少应有{doctype.count_min}份")
    for brief in briefs:
        notes += _document_notes(brief, doctype)
    return _cell(notes)


def _photos(town: Town, profile: Profile) -> Cell:
    brief_type = profile.documents.get("project_brief")
    if brief_type is None or not town.projects:
        return _cell(["没有项目"], present=False)
    if not any(project.photos for project in town.projects):
        return _cell(["所有项目都没有照片"], present=False)
    notes = []
    for project in town.projects:
        for key in ("before", "progress", "after"):
            spec = brief_type.attachments.get(key)
            if spec is None:
                continue
            if spec.when is not None and (
                project.brief is None
                or not condition_holds(project.brief.meta, brief_type, spec.when)
            ):
                continue
            files = [photo.asset for photo in project.photos_in(key)]
            shortfall = attachment_shortfall(spec, files)
            if shortfall is not None:
                notes.append(
                    f"{project.name}：{spec.label}{shortfall.found}张，至少应有{spec.min}张"
                )
    return _cell(notes)


def _reports(town: Town, doctype: DocumentType) -> Cell:
    if not town.reports:
        return _cell([f"缺少周报（{town.folder}/reports/）"], present=False)
    notes = []
    if len(town.reports) < doctype.count_min:
        notes.append(f"周报{len(town.reports)}期，至少应有{doctype.count_min}期")
    for report in town.reports:
        notes += _document_notes(report.doc, doctype)
    return _cell(notes)


_EVALUATORS: dict[str, Callable[[Town, DocumentType], Cell]] = {
    "town": _town,
    "construction_plan": _construction_plan,
    "master_plan": _master_plan,
    "regulatory_plan": _detailed("regulatory"),
    "site_plan": _detailed("site"),
    "project_brief": _briefs,
    "weekly_report": _reports,
}

_DOCUMENT_PATHS = {
    "town": ("town.yaml",),
    "construction_plan": ("construction-plan.md",),
    "master_plan": ("master-plan/",),
    "regulatory_plan": ("detailed-plans/",),
    "site_plan": ("detailed-plans/",),
    "project_brief": ("projects/",),
    "project_photos": ("projects/",),
    "weekly_report": ("reports/",),
}


def town_status(town: Town, profile: Profile, findings: Iterable[Finding]) -> TownStatus:
    """The status of each of the profile's deliverables for one town."""
    errors = [
        f
        for f in findings
        if f.severity is Severity.ERROR and f.ref.path.startswith(town.folder + "/")
    ]
    cells: dict[str, Cell] = {}
    for deliverable in profile.deliverables:
        doctype = profile.documents[deliverable.document]
        if deliverable.document == "project_photos":
            cell = _photos(town, profile)
        else:
            cell = _EVALUATORS[deliverable.document](town, doctype)
        cells[deliverable.key] = _with_load_errors(cell, town, deliverable.document, errors)
    return TownStatus(town.slug, town.name, cells)


def _with_load_errors(cell: Cell, town: Town, document: str, errors: Sequence[Finding]) -> Cell:
    if cell.state is State.MISSING:
        return cell
    prefixes = tuple(f"{town.folder}/{suffix}" for suffix in _DOCUMENT_PATHS.get(document, ()))
    own = [f for f in errors if f.ref.path.startswith(prefixes)]
    if not own:
        return cell
    notes = [*cell.notes, *(f"{f.ref}: {f.message}" for f in own)]
    return Cell(State.INCOMPLETE, tuple(notes))


def district_status(workspace: Workspace, profile: Profile) -> list[TownStatus]:
    return [town_status(town, profile, workspace.findings) for town in workspace.district.towns]
