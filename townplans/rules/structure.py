"""TP1xx structure (完整性): required documents, required headings in order and not empty, the four
functional zones, the facilities checklist."""

from __future__ import annotations

from collections.abc import Iterator

from townplans.completeness import find_headings
from townplans.facts.units import DocumentUnit, town_documents
from townplans.model import Heading, Located, Severity, SourceRef, Town
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import section_is_empty


def _synonyms(titles: tuple[str, ...]) -> str:
    return f"（也可写作：{'、'.join(titles)}）" if titles else ""


@rule(
    "TP101",
    "document-missing",
    Severity.ERROR,
    "镇缺少必备文件或文件数量不足",
    "plan",
    ("R01", "R21", "R22", "R29", "R31", "R40"),
)
def document_missing(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    docs = ctx.profile.documents
    folder = town.folder
    expected = [
        ("town", town.meta is not None, 1, f"{folder}/town.yaml"),
        (
            "construction_plan",
            town.construction_plan is not None,
            1,
            f"{folder}/construction-plan.md",
        ),
        (
            "master_plan",
            town.master_plan is not None and bool(town.master_plan.chapters),
            1,
            f"{folder}/master-plan/",
        ),
    ]
    for key, present, _, path in expected:
        if key in docs and not present:
            doctype = docs[key]
            yield Problem(SourceRef(path), f"缺少{doctype.label}：应有 {path}", refs=doctype.refs)
    yield from _counted(
        ctx,
        town,
        "regulatory_plan",
        sum(p.kind == "regulatory" for p in town.detailed_plans),
        "detailed-plans/<文件夹>/plan.md（kind: regulatory）",
    )
    yield from _counted(
        ctx,
        town,
        "site_plan",
        sum(p.kind == "site" for p in town.detailed_plans),
        "detailed-plans/<文件夹>/plan.md（kind: site）",
    )
    briefs = [p for p in town.projects if p.brief is not None]
    for project in town.projects:
        if project.brief is None:
            yield Problem(
                SourceRef(f"{project.folder}/brief.md"),
                f"项目文件夹 {project.folder}/ 缺少项目简介 brief.md",
                refs=("R29",),
            )
    yield from _counted(ctx, town, "project_brief", len(briefs), "projects/<文件夹>/brief.md")
    yield from _counted(ctx, town, "weekly_report", len(town.reports), "reports/YYYY-MM-DD.md")


def _counted(ctx: Context, town: Town, key: str, found: int, where: str) -> Iterator[Problem]:
    doctype = ctx.profile.documents.get(key)
    if doctype is None or found >= doctype.count_min:
        return
    message = (
        f"{doctype.label}有 {found} 份，至少应有 {doctype.count_min} 份（{town.folder}/{where}）"
    )
    yield Problem(SourceRef(town.folder), message, refs=doctype.refs)


@rule("TP102", "heading-missing", Severity.ERROR, "文档缺少必备章节", "plan", ("R31",))
def heading_missing(ctx: Context) -> Iterator[Problem]:
    for unit in town_documents(ctx.the_town, ctx.profile):
        found = find_headings(unit.headings, unit.doctype.headings)
        for index, (spec, heading) in enumerate(zip(unit.doctype.headings, found, strict=True)):
            if heading is not None:
                continue
            where = _where_missing(unit, found, index)
            message = f"{unit.doctype.label}缺少必备章节“{spec.title}”{_synonyms(spec.synonyms)}"
            yield Problem(where, message, refs=spec.refs)


def _where_missing(unit: DocumentUnit, found: list[Heading | None], index: int) -> SourceRef:
    """Point at the next required heading that is present (the gap is before it), else line 1."""
    for heading in found[index + 1 :]:
        if heading is not None:
            return heading.ref
    return unit.files[-1].ref.at(1)


@rule("TP103", "heading-order", Severity.WARNING, "必备章节顺序与规则文件不一致")
def heading_order(ctx: Context) -> Iterator[Problem]:
    for unit in town_documents(ctx.the_town, ctx.profile):
        if not unit.doctype.headings_ordered:
            continue
        found = find_headings(unit.headings, unit.doctype.headings)
        positions = {id(h): i for i, h in enumerate(unit.headings)}
        present = [
            (positions[id(h)], spec_index, h) for spec_index, h in enumerate(found) if h is not None
        ]
        latest = -1
        previous_title = ""
        for _, spec_index, heading in sorted(present, key=lambda item: item[0]):
            if spec_index < latest:
                message = f"章节“{heading.text}”应排在“{previous_title}”之前（规则文件规定的顺序）"
                yield Problem(heading.ref, message)
            else:
                latest, previous_title = spec_index, heading.text


@rule("TP104", "section-empty", Severity.ERROR, "必备章节没有内容（或仍是【待填写】）")
def section_empty(ctx: Context) -> Iterator[Problem]:
    for unit in town_documents(ctx.the_town, ctx.profile):
        for spec, heading in zip(
            unit.doctype.headings, find_headings(unit.headings, unit.doctype.headings), strict=True
        ):
            if heading is None:
                continue
            markdown = next(f for f in unit.files if f.ref.path == heading.ref.path)
            if section_is_empty(markdown, heading):
                yield Problem(
                    heading.ref,
                    f"章节“{heading.text}”没有正文：应写明{spec.title}的内容",
                    refs=spec.refs,
                )


def _town_meta(ctx: Context) -> Located | None:
    """town.yaml, when it was read as a mapping (else other rules have said what is wrong)."""
    meta = ctx.the_town.meta
    if meta is None or "town" not in ctx.profile.documents or not isinstance(meta.data, dict):
        return None
    return meta


ZONE_FIELDS = {
    "scope": "范围（四至）",
    "area": "面积",
    "function": "主导功能",
    "timing": "建设时序",
}


@rule("TP105", "zone-missing", Severity.ERROR, "四个功能分区未全部定义", "plan", ("R20",))
def zone_missing(ctx: Context) -> Iterator[Problem]:
    meta = _town_meta(ctx)
    if meta is None:
        return
    zones = meta.get("zones")
    names = (
        {str(z.get("name", "")).strip() for z in zones if isinstance(z, dict)}
        if isinstance(zones, list)
        else set()
    )
    for required in ctx.profile.lists.get("zones", ()):
        if required not in names:
            message = f"town.yaml 的 zones 未定义“{required}”：源方案要求确定产业发展区、居住发展区、重点景观建设区和重点生态功能区"
            yield Problem(meta.ref_of("zones"), message)


@rule(
    "TP106",
    "zone-incomplete",
    Severity.WARNING,
    "功能分区缺少范围、面积、功能或建设时序",
    "plan",
    ("R20",),
)
def zone_incomplete(ctx: Context) -> Iterator[Problem]:
    meta = _town_meta(ctx)
    if meta is None:
        return
    zones = meta.get("zones")
    for index, zone in enumerate(zones if isinstance(zones, list) else []):
        if not isinstance(zone, dict):
            continue
        missing = [
            label for key, label in ZONE_FIELDS.items() if not str(zone.get(key, "") or "").strip()
        ]
        if missing:
            name = zone.get("name", f"第{index + 1}个功能区")
            yield Problem(meta.ref_of("zones", index), f"功能分区“{name}”缺少{'、'.join(missing)}")


@rule(
    "TP107",
    "facility-unanswered",
    Severity.ERROR,
    "设施配套清单有未填写或状态无效的项",
    "plan",
    ("R14", "R15", "R17", "R18", "R26"),
)
def facility_unanswered(ctx: Context) -> Iterator[Problem]:
    meta = _town_meta(ctx)
    if meta is None:
        return
    facilities = meta.get("facilities")
    facilities = facilities if isinstance(facilities, dict) else {}
    allowed = ctx.profile.lists.get("facility_status", ())
    for key, label in ctx.profile.facilities.items():
        entry = facilities.get(key)
        status = entry.get("status") if isinstance(entry, dict) else None
        if status is None:
            yield Problem(
                meta.ref_of("facilities"),
                f"设施清单缺少“{label}”（{key}）：应写明状态 {'/'.join(allowed)}",
            )
        elif str(status) not in allowed:
            yield Problem(
                meta.ref_of("facilities", key),
                f"“{label}”的状态“{status}”无效：应为 {'/'.join(allowed)}",
            )


@rule(
    "TP108",
    "market-attributes",
    Severity.WARNING,
    "集贸市场缺少源方案要求的配套条件",
    "plan",
    ("R28",),
)
def market_attributes(ctx: Context) -> Iterator[Problem]:
    meta = _town_meta(ctx)
    if meta is None:
        return
    required = ctx.profile.market_attributes
    facilities = meta.get("facilities")
    market = facilities.get("market") if isinstance(facilities, dict) else None
    if not isinstance(market, dict) or market.get("status") == "无":
        return
    present = {str(item) for item in market.get("attributes") or []}
    missing = [item for item in required if item not in present]
    if missing:
        yield Problem(
            meta.ref_of("facilities", "market"),
            f"集贸市场的配套（attributes）未写明：{'、'.join(missing)}"
            + ("" if len(missing) == len(required) else f"（应有：{'、'.join(required)}）"),
        )
