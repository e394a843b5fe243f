"""Checks by category rather than by field: whatever file a date, a figure or a name stands in.

A rule written for one field catches that field; a reviewer reads everything. These rules look at
every YAML value (district.yaml, town.yaml, parcels.yaml, photos.yaml, waivers, front matter) and
every line of Markdown text:

- TP510 a date that cannot exist (2023年9月31日, 2023-02-30, 9月31日), wherever it is written and
  whether or not a field is typed as a date (typed date fields are TP501's and TP207's);
- TP310 an image link with a space in its path, which Markdown prints as text (suggest ``<…>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it.token import Token

from townplans.model import Located, MarkdownFile, Severity, SourceRef, Town
from townplans.profile import FieldSpec, Profile
from townplans.rules import Context, Problem, rule
from townplans.rules.reading import yaml_strings
from townplans.values import impossible_dates


def _typed_dates(fields: dict[str, FieldSpec] | None) -> set[tuple[str | int, ...]]:
    """Paths of fields typed as dates (their problems are TP501's or TP207's), list items as -1."""
    paths: set[tuple[str | int, ...]] = set()
    for key, spec in (fields or {}).items():
        if spec.type == "date":
            paths.add((key,))
        for item_key, item in spec.items.items():
            if item.type == "date":
                paths.add((key, -1, item_key))
    return paths


_ALWAYS_TYPED = {(-1, "expires"), ("waivers", -1, "expires")}
"""Waiver expiry dates: TP902 reports those."""


def _typed(path: tuple[str | int, ...], typed: set[tuple[str | int, ...]]) -> bool:
    general = tuple(-1 if isinstance(part, int) else part for part in path)
    photo_date = len(general) == 2 and general[1] == "date"  # photos.yaml: TP501's
    return general in typed or general in _ALWAYS_TYPED or photo_date


def _yaml_dates(located: Located | None, fields: dict[str, FieldSpec] | None) -> Iterator[Problem]:
    if located is None:
        return
    typed = _typed_dates(fields)
    for path, text in yaml_strings(located):
        if _typed(path, typed):
            continue
        for reason in impossible_dates(text):
            yield Problem(located.ref_of(*path), reason)


def _fields(profile: Profile, document: str) -> dict[str, FieldSpec] | None:
    doctype = profile.documents.get(document)
    return dict(doctype.fields) if doctype is not None else None


def _markdown_documents(town: Town) -> Iterator[tuple[MarkdownFile, str]]:
    if town.construction_plan is not None:
        yield town.construction_plan, "construction_plan"
    if town.master_plan is not None:
        for chapter in town.master_plan.chapters:
            yield chapter, "master_plan"
    for plan in town.detailed_plans:
        if plan.text is not None:
            yield plan.text, "regulatory_plan" if plan.kind == "regulatory" else "site_plan"
    for project in town.projects:
        if project.brief is not None:
            yield project.brief, "project_brief"
    for report in town.reports:
        yield report.doc, "weekly_report"


def _text_lines(markdown: MarkdownFile) -> Iterator[tuple[SourceRef, str]]:
    """Each inline token's plain text (code left out) at its first line."""
    for token in markdown.tokens:
        if token.type == "inline" and token.map is not None:
            text = "".join(c.content for c in token.children or () if c.type == "text")
            yield markdown.ref.at(token.map[0] + 1), text


@rule(
    "TP510",
    "date-anywhere",
    Severity.ERROR,
    "文中或任一 YAML 值中写了不存在的日期（如 9月31日）",
    "practice",
    scope="district",
)
def date_anywhere(ctx: Context) -> Iterator[Problem]:
    profile, district = ctx.profile, ctx.workspace.district
    yield from _yaml_dates(district.meta, _fields(profile, "district"))
    yield from _yaml_dates(district.waivers, None)
    for town in district.towns:
        yield from _yaml_dates(town.meta, _fields(profile, "town"))
        yield from _yaml_dates(town.waivers, None)
        for plan in town.detailed_plans:
            yield from _yaml_dates(plan.parcels, None)
        for project in town.projects:
            yield from _yaml_dates(project.photos_meta, None)
        for markdown, document in _markdown_documents(town):
            yield from _yaml_dates(markdown.meta, _fields(profile, document))
            for ref, text in _text_lines(markdown):
                for reason in impossible_dates(text):
                    yield Problem(ref, reason)


_UNPARSED_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)<>]*\s[^)<>]*)\)")


def _unparsed_images(token: Token) -> Iterator[tuple[str, str]]:
    """``![alt](a b.png)`` that markdown-it left as text: (alt, target)."""
    text = "".join(c.content for c in token.children or () if c.type == "text")
    for match in _UNPARSED_IMAGE.finditer(text):
        target = match.group(2).strip()
        if " " in target and not re.search(r"\s[\"'(]", target):
            yield match.group(1), target


@rule(
    "TP310",
    "image-link-space",
    Severity.ERROR,
    "图片地址中有空格，Markdown 会把它当作普通文字（应写成 <…> 形式）",
    "practice",
)
def image_link_space(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        for token in markdown.tokens:
            if token.type != "inline" or token.map is None:
                continue
            for alt, target in _unparsed_images(token):
                message = (
                    f"图片“{alt}”的地址“{target}”中有空格，Markdown 不会把它当作图片而会原样打印："
                    f"请写成 ![{alt}](<{target}>)，或把文件名中的空格去掉"
                )
                yield Problem(markdown.ref.at(token.map[0] + 1), message)
