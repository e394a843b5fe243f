"""TP2xx fields (规范性): presence, type, enum and range of every field the profile declares, in
front matter, town.yaml, district.yaml, parcels.yaml and list items; funding adds up.

One evaluator walks the fields and classifies what it finds; each rule keeps its own kind, so a
field problem is reported once under the code that names it. Date fields are the dates family's
(TP501), not repeated here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from townplans.facts.units import town_documents
from townplans.fields import FieldValue, read_field
from townplans.model import Located, Severity, revision_name
from townplans.profile import DocumentType, FieldSpec
from townplans.rules import Context, Problem, RuleCheck, rule
from townplans.rules.derivation import derived
from townplans.values import is_placeholder

Path = tuple[str | int, ...]


class Kind(enum.Enum):
    MISSING = "missing"
    TYPE = "type"
    ENUM = "enum"
    RANGE = "range"
    DATE = "date"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class FieldIssue:
    kind: Kind
    problem: Problem


def _label(spec: FieldSpec) -> str:
    return f"“{spec.label}”（{spec.key}）"


def check_mapping(
    located: Located, fields: Mapping[str, FieldSpec], path: Path = (), scalars_only: bool = False
) -> Iterator[FieldIssue]:
    """Every field issue of one mapping (front matter, a YAML file, or a list item)."""
    for spec in fields.values():
        if scalars_only and spec.type in ("list", "mapping"):
            continue
        if spec.when is not None and not _condition_holds(located, fields, spec, path):
            continue
        value = read_field(located, spec, *path)
        if not value.present:
            if spec.required:
                message = f"缺少必填字段{_label(spec)}"
                yield FieldIssue(Kind.MISSING, Problem(value.ref, message, refs=spec.refs))
            continue
        yield from _check_value(located, spec, value, path)


def _condition_holds(
    located: Located, fields: Mapping[str, FieldSpec], spec: FieldSpec, path: Path
) -> bool:
    assert spec.when is not None
    other = fields.get(spec.when.field)
    if other is None:
        return False
    value = read_field(located, other, *path)
    return (
        value.parsed is not None
        and isinstance(value.parsed.value, Decimal)
        and spec.when.holds(value.parsed.value)
    )


def _check_value(
    located: Located, spec: FieldSpec, value: FieldValue, path: Path
) -> Iterator[FieldIssue]:
    if is_placeholder(value.raw):
        message = f"字段{_label(spec)}尚未填写：仍是模板占位文字“{value.raw}”"
        yield FieldIssue(Kind.TYPE, Problem(value.ref, message, refs=spec.refs))
        return
    if value.error is not None:
        kind = Kind.DATE if spec.type == "date" else Kind.TYPE
        yield FieldIssue(
            kind, Problem(value.ref, f"字段{_label(spec)}：{value.error}", refs=spec.refs)
        )
        return
    if spec.type == "list" and spec.items:
        for index, item in enumerate(value.raw):
            if isinstance(item, dict):
                yield from check_mapping(located, spec.items, (*path, spec.key, index))
            else:
                message = (
                    f"字段{_label(spec)}第 {index + 1} 项应为键值映射（{'、'.join(spec.items)}）"
                )
                yield FieldIssue(
                    Kind.TYPE, Problem(located.ref_of(*path, spec.key, index), message)
                )
        return
    parsed = value.parsed
    if parsed is None:
        return
    if spec.enum and str(parsed.value) not in spec.enum:
        message = f"字段{_label(spec)}的值“{parsed.original}”不在允许范围内：应为 {'、'.join(spec.enum)} 之一"
        yield FieldIssue(Kind.ENUM, Problem(value.ref, message, refs=spec.refs))
    if spec.range is not None and isinstance(parsed.value, Decimal):
        low, high = spec.range
        if not low <= parsed.value <= high:
            message = f"字段{_label(spec)}为 {parsed.original}，超出允许范围 {low}–{high}"
            yield FieldIssue(Kind.RANGE, Problem(value.ref, message, refs=spec.refs))


def all_field_issues(ctx: Context) -> list[FieldIssue]:
    """Field issues of every document of the context's town (or of district.yaml), computed once
    per context and shared by the rules that report them."""
    cached = ctx.memo.get("field_issues")
    if cached is None:
        cached = ctx.memo["field_issues"] = list(_field_issues(ctx))
    assert isinstance(cached, list)
    return cached


def _field_issues(ctx: Context) -> Iterator[FieldIssue]:
    if ctx.town is None:
        district = ctx.workspace.district.meta
        doctype = ctx.profile.documents.get("district")
        if district is not None and doctype is not None:
            yield from check_mapping(district, doctype.fields)
        return
    town = ctx.town
    town_type = ctx.profile.documents.get("town")
    if town.meta is not None and town_type is not None and isinstance(town.meta.data, dict):
        yield from check_mapping(town.meta, town_type.fields)
    for unit in town_documents(town, ctx.profile):
        yield from check_mapping(unit.meta, unit.doctype.fields)
    regulatory = ctx.profile.documents.get("regulatory_plan")
    for plan in town.detailed_plans:
        if plan.parcels is not None and regulatory is not None and regulatory.parcel_fields:
            yield from _parcel_issues(plan.parcels, regulatory)


def _parcel_issues(parcels: Located, doctype: DocumentType) -> Iterator[FieldIssue]:
    if not isinstance(parcels.data, list):
        message = "parcels.yaml 应为地块列表（每个地块一行：- {id: …, use: …, area: …}）"
        yield FieldIssue(Kind.TYPE, Problem(parcels.ref_of(), message))
        return
    first: dict[str, int] = {}
    for index, parcel in enumerate(parcels.data):
        if not isinstance(parcel, dict):
            message = (
                f"第 {index + 1} 个地块应为键值映射（- {{id: …, use: …, area: …}}），实为“{parcel}”"
            )
            yield FieldIssue(Kind.TYPE, Problem(parcels.ref_of(index), message))
            continue
        yield from check_mapping(parcels, doctype.parcel_fields, (index,))
        parcel_id = str(parcel.get("id") or "").strip()
        if not parcel_id:
            continue
        if parcel_id in first:
            line = parcels.line_of(first[parcel_id])
            message = f"地块编号“{parcel_id}”重复（第一次在第 {line} 行）：每个地块的编号应唯一"
            yield FieldIssue(Kind.DUPLICATE, Problem(parcels.ref_of(index, "id"), message))
        else:
            first[parcel_id] = index


_RULES = (
    ("TP201", "field-missing", Kind.MISSING, "缺少必填字段（含条件必填）"),
    (
        "TP202",
        "field-type",
        Kind.TYPE,
        "字段值无法按类型读取（金额、百分数、面积、数量），或仍是【待填写】",
    ),
    ("TP203", "field-enum", Kind.ENUM, "字段值不在允许的选项中"),
    ("TP204", "field-range", Kind.RANGE, "数值超出允许范围（如形象进度 0–100%）"),
    ("TP208", "duplicate-id", Kind.DUPLICATE, "编号重复（如同一地块编号出现两次）"),
)


def _field_rule(kind: Kind) -> RuleCheck:
    def check(ctx: Context) -> Iterator[Problem]:
        for issue in all_field_issues(ctx):
            if issue.kind is kind:
                yield issue.problem

    return check


for _code, _slug, _kind, _summary in _RULES:
    rule(_code, _slug, Severity.ERROR, _summary, "plan", ("R29",))(_field_rule(_kind))


@rule("TP205", "funding-sum", Severity.ERROR, "资金来源合计不等于投资规模", "plan", ("R29", "R39"))
def funding_sum(ctx: Context) -> Iterator[Problem]:
    """A declaration of the derivation engine (templates/knowledge/relations.yaml: investment =
    sum of funding.*) that keeps the code it had before the engine."""
    yield from derived(ctx, "TP205")


@rule(
    "TP206",
    "parcel-ratios",
    Severity.ERROR,
    "地块建筑密度与绿地率之和超过 100%",
    "standard",
    standard="住建部令第7号 第十条",
)
def parcel_ratios(ctx: Context) -> Iterator[Problem]:
    regulatory = ctx.profile.documents.get("regulatory_plan")
    if regulatory is None:
        return
    density_spec = regulatory.parcel_fields.get("density")
    green_spec = regulatory.parcel_fields.get("green_ratio")
    if density_spec is None or green_spec is None:
        return
    for plan in ctx.the_town.detailed_plans:
        parcels = plan.parcels
        if parcels is None or not isinstance(parcels.data, list):
            continue
        for index, parcel in enumerate(parcels.data):
            if not isinstance(parcel, dict):
                continue
            density = read_field(parcels, density_spec, index).parsed
            green = read_field(parcels, green_spec, index).parsed
            if density is not None and green is not None and density.value + green.value > 100:
                message = f"地块 {parcel.get('id', index + 1)} 建筑密度 {density.original} 与绿地率 {green.original} 之和超过 100%"
                yield Problem(parcels.ref_of(index), message)


@rule(
    "TP207",
    "district-field",
    Severity.ERROR,
    "区级配置 district.yaml 的字段缺失或格式错误",
    "plan",
    ("R19", "R37", "R38"),
    scope="district",
)
def district_fields(ctx: Context) -> Iterator[Problem]:
    for issue in all_field_issues(ctx):
        yield issue.problem


@rule(
    "TP209",
    "fields-together",
    Severity.ERROR,
    "成对的字段只填了一个（如版记的印发机关与印发日期）",
    "standard",
    standard="GB/T 9704-2012 7.4.3",
)
def fields_together(ctx: Context) -> Iterator[Problem]:
    for unit in town_documents(ctx.the_town, ctx.profile):
        meta = unit.meta
        for spec in unit.doctype.fields.values():
            if not spec.together or _blank(meta.get(spec.key)):
                continue
            for partner in spec.together:
                other = unit.doctype.fields.get(partner)
                if other is not None and _blank(meta.get(partner)):
                    message = (
                        f"填写了{spec.label}（{spec.key}）但没有{other.label}（{partner}）："
                        "两者应同时填写，或都不填"
                    )
                    yield Problem(meta.ref_of(spec.key), message)


def _blank(value: object) -> bool:
    return value is None or (
        isinstance(value, str) and (not value.strip() or is_placeholder(value))
    )


@rule(
    "TP210",
    "compare-to-unknown",
    Severity.WARNING,
    "compare_to 指定的对照版本在 git 中找不到（或工作区不在 git 仓库中）：不生成修改对照表",
)
def compare_to_unknown(ctx: Context) -> Iterator[Problem]:
    """A plan's ``compare_to`` names the revision its 修改对照表 compares with; one git cannot
    find is said at its line (the build then makes no 修改对照表 for the document)."""
    for unit in town_documents(ctx.the_town, ctx.profile):
        if "compare_to" not in unit.doctype.fields:
            continue
        meta = unit.meta
        revision = meta.get("compare_to")
        if revision is None or is_placeholder(revision):
            continue
        found = ctx.workspace.revisions.get(revision_name(revision))
        if found is not None and found.problem is not None:
            yield Problem(
                meta.ref_of("compare_to"), f"compare_to：{found.problem}，不生成修改对照表"
            )
