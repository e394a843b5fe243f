"""TP410–TP414 units and magnitude (指标符合性): a figure off by 10,000 because 元 and 万元 were
confused, a column whose figures do not fit the unit its header names, the same area given twice
(in the same or another unit) with different values, and areas outside the profile's plausible
ranges (``review.ranges``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from townplans.mdparser import Table, tables
from townplans.model import Located, Severity, SourceRef
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import number as field_number
from townplans.rules.reading import lines
from townplans.values import cell_number, hectares_or_none, money_or_none


def _hint(value: Decimal, low: Decimal, high: Decimal, unit: str) -> str:
    for factor, why in ((Decimal(10000), "把元当作了万元"), (Decimal("0.0001"), "把万元当作了元")):
        if low <= value / factor <= high:
            return f"，疑似{why}（应为 {value / factor:f}{unit}？）"
    return ""


@rule(
    "TP410", "investment-magnitude", Severity.ERROR, "投资额超出该类项目的合理范围（疑似单位错误）"
)
def investment_magnitude(ctx: Context) -> Iterator[Problem]:
    doctype = ctx.profile.documents.get("project_brief")
    ranges = ctx.profile.review.investment_ranges
    if doctype is None:
        return
    totals: dict[str, Decimal] = {}
    for project in ctx.the_town.projects:
        brief = project.brief
        if brief is None:
            continue
        value = field_number(brief.meta, doctype, "investment")
        category = brief.meta.get("category")
        if value is None:
            continue
        totals[project.slug] = value
        if isinstance(category, str) and category in ranges:
            low, high = ranges[category]
            if not low <= value <= high:
                message = (
                    f"投资规模 {value}万元 不在“{category}”类项目的合理范围 {low}–{high}万元 内"
                    f"{_hint(value, low, high, '万元')}"
                )
                yield Problem(brief.meta.ref_of("investment"), message)
    yield from _report_weeks(ctx, totals)


def _report_weeks(ctx: Context, totals: dict[str, Decimal]) -> Iterator[Problem]:
    """A week's investment larger than the whole project."""
    for report in ctx.the_town.reports:
        items = report.doc.meta.get("projects")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            total = totals.get(str(item.get("project")))
            week = money_or_none(str(item.get("week_investment")))
            if total is not None and week is not None and week > total:
                message = (
                    f"项目 {item.get('project')} 本周完成投资 {week}万元，超过其总投资 {total}万元"
                    "：疑似单位错误（元与万元）"
                )
                yield Problem(report.doc.meta.ref_of("projects", index, "week_investment"), message)


_HEADER_UNIT = re.compile(r"[（(]\s*([^）)]+?)\s*[）)]")
_CELL_UNIT = re.compile(r"^\s*[0-9.,]+\s*([^\s0-9.,]+)\s*$")
_UNIT_FAMILY = {
    "万元": "money", "亿元": "money", "元": "money", "千元": "money",
    "公顷": "area", "ha": "area", "平方公里": "area", "km2": "area", "㎡": "area", "m2": "area",
    "平方米": "area", "亩": "area", "米": "length", "m": "length", "公里": "length", "km": "length",
    "%": "percent", "％": "percent",
}  # fmt: skip


@rule("TP411", "column-unit", Severity.ERROR, "表格某列的数值与表头所写单位不符")
def column_unit(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        for table in tables(markdown):
            yield from _column_units(table)


def _column_units(table: Table) -> Iterator[Problem]:
    for index, name in enumerate(table.header):
        match = _HEADER_UNIT.search(unicodedata.normalize("NFKC", name))
        unit = match.group(1) if match else None
        if unit is None or unit not in _UNIT_FAMILY:
            continue
        values: list[tuple[Decimal, SourceRef]] = []
        for row in table.rows:
            if index >= len(row.cells):
                continue
            cell = unicodedata.normalize("NFKC", row.cells[index]).strip()
            written = _CELL_UNIT.match(cell)
            if written is not None and written.group(1) != unit:
                message = f"“{name}”列写“{row.cells[index]}”：表头单位为{unit}，单元格不应另写{written.group(1)}"
                yield Problem(row.ref, message)
                continue
            value = cell_number(cell)
            if value is not None and not re.match(r"^(合\s*计|总\s*计)$", row.cells[0].strip("* ")):
                values.append((value, row.ref))
        yield from _outliers(name, unit, values)


def _median(values: list[Decimal]) -> Decimal:
    """``statistics.median`` (the middle value, or the mean of the two middle ones), without
    importing statistics (and random) into every check."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _outliers(name: str, unit: str, values: list[tuple[Decimal, SourceRef]]) -> Iterator[Problem]:
    """A figure 1,000 times its column's median (or a 1,000th of it): written in another unit."""
    positive = [v for v, _ in values if v > 0]
    if len(positive) < 3:
        return
    median = Decimal(str(_median(positive)))
    for value, ref in values:
        if value > 0 and (value >= median * 1000 or value * 1000 <= median):
            message = (
                f"“{name}”列的 {value} 与同列其他数值（中位数 {median}）相差上千倍：单位应为{unit}，"
                "疑似按其他单位填写"
            )
            yield Problem(ref, message)


_AREA_TEXT = re.compile(
    r"(总用地|规划范围|规划总用地|总面积|规划面积|规划用地面积|用地面积)[^0-9。；，,]{0,12}?"
    r"([0-9]+(?:\.[0-9]+)?)\s*(公顷|平方公里|平方千米|km²|㎡|平方米|亩)"
)


@rule("TP412", "area-two-places", Severity.ERROR, "同一面积在两处（或以两种单位）写得不一致")
def area_two_places(ctx: Context) -> Iterator[Problem]:
    for plan in ctx.the_town.detailed_plans:
        if plan.text is None:
            continue
        declared = hectares_or_none(plan.text.meta.get("area"))
        if declared is None:
            continue
        where = plan.text.meta.ref_of("area")
        for line in lines(plan.text):
            for match in _AREA_TEXT.finditer(line.text):
                written = hectares_or_none(match.group(2) + match.group(3))
                if written is not None and _differ(written, declared):
                    message = f"写“{match.group(0)}”（{written} 公顷），与前置信息 {where} 的规划范围面积 {declared} 公顷不一致"
                    yield Problem(line.ref, message)
        for table in tables(plan.text):
            yield from _table_area(table, declared, where)


def _table_area(table: Table, declared: Decimal, where: SourceRef) -> Iterator[Problem]:
    unit_column = table.column("单位")
    value_column = table.column("数值", "指标值")
    if unit_column is None or value_column is None:
        return
    for row in table.rows:
        if len(row.cells) <= max(unit_column, value_column) or "规划范围" not in row.cells[0]:
            continue
        written = hectares_or_none(row.cells[value_column] + row.cells[unit_column])
        if written is not None and _differ(written, declared):
            message = f"技术经济指标表写规划范围面积 {row.cells[value_column]}{row.cells[unit_column]}，与前置信息 {where} 的 {declared} 公顷不一致"
            yield Problem(row.ref, message)


def _differ(a: Decimal, b: Decimal, share: Decimal = Decimal("0.005")) -> bool:
    return abs(a - b) > max(abs(b) * share, Decimal("0.051"))


_ZONE_AREA = re.compile(r"(约|面积约?|占地)?\s*([0-9]+(?:\.[0-9]+)?)\s*(公顷|平方公里|平方千米|亩)")


@rule(
    "TP413",
    "zone-area",
    Severity.ERROR,
    "功能分区面积在正文与 town.yaml 中不一致",
    "plan",
    ("R20",),
)
def zone_area(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    zones = town.meta.get("zones") if town.meta is not None else None
    if town.meta is None or not isinstance(zones, list):
        return
    areas: dict[str, tuple[Decimal, SourceRef]] = {}
    for index, zone in enumerate(zones):
        if isinstance(zone, dict) and (area := hectares_or_none(zone.get("area"))) is not None:
            areas[str(zone.get("name", "")).strip()] = (
                area,
                town.meta.ref_of("zones", index, "area"),
            )
    files = [town.construction_plan] if town.construction_plan is not None else []
    if town.master_plan is not None:
        files += list(town.master_plan.chapters)
    for markdown in files:
        for line in lines(markdown):
            named = [name for name in areas if name and name in line.text]
            if len(named) != 1:
                continue
            area, where = areas[named[0]]
            match = _ZONE_AREA.search(line.text.split(named[0], 1)[1])
            written = hectares_or_none(match.group(2) + match.group(3)) if match else None
            loose = (
                Decimal("0.05")
                if match and match.group(1) and "约" in match.group(1)
                else Decimal("0.005")
            )
            if match is not None and written is not None and _differ(written, area, loose):
                message = (
                    f"{named[0]}写“{match.group(0).strip()}”，与 {where} 的面积 {area} 公顷不一致"
                )
                yield Problem(line.ref, message)


@rule("TP414", "area-range", Severity.WARNING, "面积超出合理范围（疑似单位错误）")
def area_range(ctx: Context) -> Iterator[Problem]:
    review = ctx.profile.review
    town = ctx.the_town
    for plan in town.detailed_plans:
        if plan.text is not None and review.plan_area_range is not None:
            yield from _in_range(plan.text.meta, ("area",), "规划范围面积", review.plan_area_range)
        if (
            plan.parcels is not None
            and isinstance(plan.parcels.data, list)
            and review.parcel_area_range
        ):
            for index, _ in enumerate(plan.parcels.data):
                yield from _in_range(
                    plan.parcels, (index, "area"), "地块用地面积", review.parcel_area_range
                )
    zones = town.meta.get("zones") if town.meta is not None else None
    if town.meta is not None and isinstance(zones, list) and review.zone_area_range is not None:
        for index, _ in enumerate(zones):
            yield from _in_range(
                town.meta, ("zones", index, "area"), "功能区面积", review.zone_area_range
            )


def _in_range(
    located: Located, path: tuple[str | int, ...], label: str, bounds: tuple[Decimal, Decimal]
) -> Iterator[Problem]:
    data = located.data
    for part in path:
        data = (
            data.get(part)
            if isinstance(data, dict)
            else data[part]
            if isinstance(data, list) and isinstance(part, int) and part < len(data)
            else None
        )
    value = hectares_or_none(data)
    low, high = bounds
    if value is not None and not low <= value <= high:
        hint = ""
        for factor, why in (
            (Decimal(10000), "把平方米当作了公顷"),
            (Decimal(100), "把平方公里当作了公顷"),
            (Decimal("0.01"), "把公顷当作了平方公里"),
        ):
            if low <= value / factor <= high:
                hint = f"，疑似{why}"
                break
        message = f"{label} {value} 公顷不在合理范围 {low}–{high} 公顷内{hint}"
        yield Problem(located.ref_of(*path), message)


_POPULATION = re.compile(
    r"(\d{4})\s*年[末底]?[^。；]{0,16}?建成区(?:常住)?人口\s*(?:为|约|达)?\s*([0-9]+(?:\.[0-9]+)?)\s*(万人|人)"
)


@rule(
    "TP415",
    "population-text",
    Severity.ERROR,  # one population of one year, written twice: both cannot be right
    "规划文本写的建成区人口与 town.yaml 不一致",
    "plan",
    ("R03",),
)
def population_text(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    district = ctx.workspace.district.meta
    year = district.get("plan_year") if district is not None else None
    if town.meta is None or not isinstance(year, int):
        return
    keys = {year: "built_up_population", year - 1: "built_up_population_last_year"}
    files = list(town.master_plan.chapters) if town.master_plan is not None else []
    if town.construction_plan is not None:
        files.append(town.construction_plan)
    for markdown in files:
        for line in lines(markdown):
            for match in _POPULATION.finditer(line.text):
                key = keys.get(int(match.group(1)))
                recorded = cell_number(str(town.meta.get(key))) if key is not None else None
                written = cell_number(match.group(2))
                if key is None or recorded is None or written is None:
                    continue
                scale = Decimal(10000) if match.group(3) == "万人" else Decimal(1)
                slack = Decimal(10) ** -_places(written) * scale / 2
                if abs(written * scale - recorded) > slack:
                    where = town.meta.ref_of(key)
                    message = f"写“{match.group(0)}”，但 {where} 记载为 {town.meta.get(key)}"
                    yield Problem(line.ref, message)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
