"""Which profile document type governs each Markdown document of a town (the unit the checker
judges and the fact reader reads: a master plan's chapter files are one document)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from townplans.model import Heading, Located, MarkdownFile, Town
from townplans.profile import DocumentType, Profile

PLAN_DOCUMENTS = {"regulatory": "regulatory_plan", "site": "site_plan"}
"""A detailed plan's ``kind`` and the document type that governs it."""


def plan_type(profile: Profile, kind: str) -> DocumentType | None:
    """The document type governing a detailed plan of ``kind`` (None for an unknown kind)."""
    key = PLAN_DOCUMENTS.get(kind)
    return profile.documents.get(key) if key is not None else None


@dataclass(frozen=True, slots=True)
class DocumentUnit:
    """One document: its type, the file(s) whose headings count, the file with fields."""

    doctype: DocumentType
    files: tuple[MarkdownFile, ...]

    @property
    def meta(self) -> Located:
        return self.files[0].meta

    @property
    def headings(self) -> list[Heading]:
        return [heading for markdown in self.files for heading in markdown.headings]


def town_documents(town: Town, profile: Profile) -> Iterator[DocumentUnit]:
    """Every Markdown document of a town with the profile type that governs it."""
    types = profile.documents
    if town.construction_plan is not None and "construction_plan" in types:
        yield DocumentUnit(types["construction_plan"], (town.construction_plan,))
    if town.master_plan is not None and town.master_plan.chapters and "master_plan" in types:
        yield DocumentUnit(types["master_plan"], town.master_plan.chapters)
    for plan in town.detailed_plans:
        doctype = plan_type(profile, plan.kind)
        if plan.text is not None and doctype is not None:
            yield DocumentUnit(doctype, (plan.text,))
    for project in town.projects:
        if project.brief is not None and "project_brief" in types:
            yield DocumentUnit(types["project_brief"], (project.brief,))
    for report in town.reports:
        if "weekly_report" in types:
            yield DocumentUnit(types["weekly_report"], (report.doc,))
