"""TP6xx consistency (一致性): the same project says the same thing in its brief, the construction
plan's project table and the weekly reports; investment only grows and stays within the total;
parcels.yaml matches the plan text's table; projects lie in defined zones; a plan's revision history
ends with the plan itself (its version and stage), its versions increase and its stages never go
back."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from townplans.facts import Entity, Fact, Quantity
from townplans.facts.units import town_documents
from townplans.fields import read_field
from townplans.limits import MAX_LIST_ITEMS
from townplans.mdparser import Table, TableRow, name_key, parcel_table, project_tables
from townplans.model import Located, MarkdownFile, Project, Severity, WeeklyReport
from townplans.profile import DocumentType
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import (
    Revision,
    date_of,
    number,
    revision_history,
    stage_order,
)
from townplans.values import (
    MONEY_FIGURE_LOOSE,
    ValueFormatError,
    is_placeholder,
    money_or_none,
    parse_date,
    parse_number,
)

_BRACKETS = re.compile(r"[（(].*?[）)]")


def _person(text: str) -> str:
    return _BRACKETS.sub("", text).strip()


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A row of the construction plan's project table, matched to a brief by name."""

    row: TableRow
    table: Table
    name: str

    def cell(self, *keywords: str) -> str | None:
        column = self.table.column(*keywords)
        if column is None or column >= len(self.row.cells):
            return None
        return self.row.cells[column]


def _plan_rows(plan: MarkdownFile) -> list[PlanRow]:
    rows = []
    for table in project_tables(plan):
        name_column = table.column("项目名称")
        assert name_column is not None
        rows += [
            PlanRow(row, table, name_key(row.cells[name_column]))
            for row in table.rows
            if name_column < len(row.cells) and not is_placeholder(row.cells[name_column])
        ]
    return rows


def _brief_type(ctx: Context) -> DocumentType | None:
    return ctx.profile.documents.get("project_brief")


def _matched(ctx: Context) -> Iterator[tuple[Project, PlanRow]]:
    plan = ctx.the_town.construction_plan
    if plan is None:
        return
    rows = {row.name: row for row in _plan_rows(plan)}
    for project in ctx.the_town.projects:
        if (
            project.brief is not None
            and project.brief.title
            and name_key(project.brief.title) in rows
        ):
            yield project, rows[name_key(project.brief.title)]


@rule(
    "TP601",
    "project-not-in-plan",
    Severity.ERROR,
    "项目简介与建设计划项目安排表不对应",
    "plan",
    ("R29", "R31"),
)
def project_not_in_plan(ctx: Context) -> Iterator[Problem]:
    plan = ctx.the_town.construction_plan
    if plan is None:
        return
    rows = _plan_rows(plan)
    if not rows:
        return  # no table of its own: the 附件 项目一览表 is generated from the briefs (one source)
    names = {row.name for row in rows}
    briefs = {}
    for project in ctx.the_town.projects:
        if project.brief is None or not project.brief.title:
            continue
        briefs[name_key(project.brief.title)] = project
        if name_key(project.brief.title) not in names:
            message = f"项目“{project.brief.title}”未列入建设计划的项目安排表（{plan.ref.path}）"
            yield Problem(project.brief.meta.ref_of("title"), message)
    for row in rows:
        if row.name not in briefs:
            yield Problem(
                row.row.ref,
                f"建设计划项目表中的“{row.name}”没有对应的项目简介（projects/<文件夹>/brief.md）",
            )


@rule(
    "TP602",
    "investment-mismatch",
    Severity.ERROR,
    "同一项目的投资规模在项目简介与建设计划中不一致",
    "plan",
    ("R29",),
)
def investment_mismatch(ctx: Context) -> Iterator[Problem]:
    """The brief's investment field against its row of the plan's project table, as the fact
    base read both (money in 万元, whatever unit either was written in)."""
    plan = ctx.the_town.construction_plan
    if plan is None or _brief_type(ctx) is None:
        return
    for project, _ in _matched(ctx):
        assert project.brief is not None
        subject = Entity("project", f"{ctx.the_town.slug}/{project.slug}")
        stated = ctx.facts.of(subject, "investment")
        brief = _quantity(stated, project.brief.ref.path, "field")
        table = _quantity(stated, plan.ref.path, "table")
        if brief is None or table is None:
            continue
        brief_value, table_value = brief.in_unit("万元"), table.in_unit("万元")
        if brief_value is not None and table_value is not None and brief_value != table_value:
            message = f"{project.name}：项目简介投资规模 {brief.value}万元，建设计划项目表为 {table.original}（{table.value}万元）"
            yield Problem(project.brief.meta.ref_of("investment"), message)


def _quantity(facts: Iterable[Fact], path: str, origin: str) -> Quantity | None:
    """The last quantity ``path`` states as ``origin`` (a table's last row of a name, as rows
    are matched to briefs)."""
    found = [
        f.value
        for f in facts
        if f.source.path == path and f.origin == origin and isinstance(f.value, Quantity)
    ]
    return found[-1] if found else None


@rule(
    "TP603",
    "deadline-mismatch",
    Severity.ERROR,
    "同一项目的完成时限在项目简介与建设计划中不一致",
    "plan",
    ("R29",),
)
def deadline_mismatch(ctx: Context) -> Iterator[Problem]:
    doctype = _brief_type(ctx)
    if doctype is None:
        return
    for project, row in _matched(ctx):
        assert project.brief is not None
        brief_date = date_of(project.brief.meta, doctype, "deadline")
        cell = row.cell("完成时限", "时限")
        try:
            table_date = parse_date(cell).value if cell else None
        except ValueFormatError:
            table_date = None
        if brief_date is not None and table_date is not None and brief_date != table_date:
            message = f"{project.name}：项目简介完成时限 {brief_date}，建设计划项目表为 {cell}"
            yield Problem(project.brief.meta.ref_of("deadline"), message)


@rule(
    "TP604",
    "leader-mismatch",
    Severity.WARNING,
    "同一项目的责任领导在项目简介与建设计划中不一致",
    "plan",
    ("R31", "R41"),
)
def leader_mismatch(ctx: Context) -> Iterator[Problem]:
    for project, row in _matched(ctx):
        assert project.brief is not None
        leader = project.brief.meta.get("leader")
        cell = row.cell("责任领导")
        if isinstance(leader, str) and cell and _person(leader) != _person(cell):
            message = f"{project.name}：项目简介责任领导“{leader}”，建设计划项目表为“{cell}”"
            yield Problem(project.brief.meta.ref_of("leader"), message)


def _report_items(report: WeeklyReport) -> list[tuple[int, dict[str, object]]]:
    items = report.doc.meta.get("projects")
    return (
        [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]
        if isinstance(items, list)
        else []
    )


@rule(
    "TP605",
    "report-unknown-project",
    Severity.ERROR,
    "周报中的项目不是本镇的项目",
    "plan",
    ("R40",),
)
def report_unknown_project(ctx: Context) -> Iterator[Problem]:
    slugs = {project.slug for project in ctx.the_town.projects}
    for report in ctx.the_town.reports:
        for index, item in _report_items(report):
            slug = item.get("project")
            if slug is not None and str(slug) not in slugs:
                message = f"周报中的项目“{slug}”不存在：应为 projects/ 下的文件夹名之一（{'、'.join(sorted(slugs))}）"
                yield Problem(report.doc.meta.ref_of("projects", index, "project"), message)


@rule("TP606", "report-missing-project", Severity.ERROR, "周报漏报了本镇的项目", "plan", ("R40",))
def report_missing_project(ctx: Context) -> Iterator[Problem]:
    """Every project folder of the town, briefed or not. A project of the construction plan's
    table is one of them, or has no folder: TP601 says so once, and a report could not name it
    (reports name folders: TP605), so it is not said again for every week."""
    for report in ctx.the_town.reports:
        reported = {str(item.get("project")) for _, item in _report_items(report)}
        for project in ctx.the_town.projects:
            if project.slug not in reported:
                message = f"本期周报没有报告项目“{project.name}”（{project.slug}）的进度"
                yield Problem(report.doc.meta.ref_of("projects"), message)


def _series(
    ctx: Context,
) -> dict[str, list[tuple[WeeklyReport, int, Decimal | None, Decimal | None, Decimal | None]]]:
    """Per project slug, in date order: (report, index, cumulative, this week, percent)."""
    doctype = ctx.profile.documents.get("weekly_report")
    series: dict[
        str, list[tuple[WeeklyReport, int, Decimal | None, Decimal | None, Decimal | None]]
    ] = {}
    if doctype is None:
        return series
    items_spec = doctype.fields["projects"].items
    for report in sorted(ctx.the_town.reports, key=lambda r: r.date_text):
        for index, item in _report_items(report):
            values = [
                read_field(report.doc.meta, items_spec[key], "projects", index).parsed
                if key in items_spec
                else None
                for key in ("cumulative_investment", "week_investment", "progress_percent")
            ]
            cumulative, week, percent = (
                v.value if v is not None and isinstance(v.value, Decimal) else None for v in values
            )
            series.setdefault(str(item.get("project")), []).append(
                (report, index, cumulative, week, percent)
            )
    return series


@rule("TP607", "cumulative-decrease", Severity.ERROR, "累计完成投资比上一期减少", "practice")
def cumulative_decrease(ctx: Context) -> Iterator[Problem]:
    for slug, entries in _series(ctx).items():
        for (before, _, cum_before, _, _), (report, index, cum_now, _, _) in itertools.pairwise(
            entries
        ):
            if cum_before is not None and cum_now is not None and cum_now < cum_before:
                message = f"项目 {slug} 累计完成投资 {cum_now}万元，少于上一期（{before.date_text}）的 {cum_before}万元"
                yield Problem(
                    report.doc.meta.ref_of("projects", index, "cumulative_investment"), message
                )


@rule(
    "TP608",
    "cumulative-exceeds-total",
    Severity.ERROR,
    "累计完成投资超过项目总投资",
    "plan",
    ("R29",),
)
def cumulative_exceeds_total(ctx: Context) -> Iterator[Problem]:
    doctype = _brief_type(ctx)
    if doctype is None:
        return
    totals = {}
    for project in ctx.the_town.projects:
        if project.brief is None:
            continue
        total = number(project.brief.meta, doctype, "investment")
        cumulative = number(project.brief.meta, doctype, "cumulative_investment")
        totals[project.slug] = total
        if total is not None and cumulative is not None and cumulative > total:
            message = f"{project.name}累计完成投资 {cumulative}万元，超过总投资 {total}万元"
            yield Problem(project.brief.meta.ref_of("cumulative_investment"), message)
    for slug, entries in _series(ctx).items():
        total = totals.get(slug)
        for report, index, cumulative, _, _ in entries:
            if total is not None and cumulative is not None and cumulative > total:
                message = (
                    f"项目 {slug} 累计完成投资 {cumulative}万元，超过项目简介中的总投资 {total}万元"
                )
                yield Problem(
                    report.doc.meta.ref_of("projects", index, "cumulative_investment"), message
                )


_PARCEL_COLUMNS = (
    ("area", ("用地面积", "面积")),
    ("far", ("容积率",)),
    ("density", ("建筑密度",)),
    ("height", ("高度",)),
    ("green_ratio", ("绿地率",)),
)


@rule(
    "TP609",
    "parcels-mismatch",
    Severity.ERROR,
    "parcels.yaml 与控规文本的地块指标表不一致",
    "plan",
    ("R22",),
)
def parcels_mismatch(ctx: Context) -> Iterator[Problem]:
    regulatory = ctx.profile.documents.get("regulatory_plan")
    if regulatory is None:
        return
    for plan in ctx.the_town.detailed_plans:
        if (
            plan.kind != "regulatory"
            or plan.text is None
            or plan.parcels is None
            or not isinstance(plan.parcels.data, list)
        ):
            continue
        table = parcel_table(plan.text)
        if table is not None:  # absent: the document's table is generated from parcels.yaml
            yield from _compare_parcels(plan.parcels, table, regulatory)


def _compare_parcels(parcels: Located, table: Table, doctype: DocumentType) -> Iterator[Problem]:
    id_column = table.column("地块编号")
    assert id_column is not None
    text_rows = {row.cells[id_column]: row for row in table.rows if id_column < len(row.cells)}
    data_ids = {}
    for index, parcel in enumerate(parcels.data):
        if isinstance(parcel, dict) and parcel.get("id") is not None:
            data_ids[str(parcel["id"])] = index
    for parcel_id, index in data_ids.items():
        row = text_rows.get(parcel_id)
        if row is None:
            yield Problem(
                parcels.ref_of(index, "id"),
                f"地块 {parcel_id} 在 parcels.yaml 中，但控规文本的地块指标表中没有（有数无表）",
            )
            continue
        for key, keywords in _PARCEL_COLUMNS:
            column = table.column(*keywords)
            spec = doctype.parcel_fields.get(key)
            if column is None or spec is None or column >= len(row.cells):
                continue
            data_value = read_field(parcels, spec, index).parsed
            try:
                text_value = parse_number(row.cells[column]).value
            except ValueFormatError:
                continue
            if data_value is not None and abs(data_value.value - text_value) > Decimal("0.001"):
                message = f"地块 {parcel_id} 的{spec.label}：parcels.yaml 为 {data_value.original}，文本表格为 {row.cells[column]}"
                yield Problem(parcels.ref_of(index, key), message)
    for parcel_id, row in text_rows.items():
        if parcel_id not in data_ids:
            yield Problem(
                row.ref, f"地块 {parcel_id} 在文本表格中，但 parcels.yaml 中没有（有表无数）"
            )


@rule(
    "TP610",
    "zone-undefined",
    Severity.ERROR,
    "项目所属功能区未在 town.yaml 中定义",
    "plan",
    ("R20",),
)
def zone_undefined(ctx: Context) -> Iterator[Problem]:
    meta = ctx.the_town.meta
    zones = meta.get("zones") if meta is not None else None
    if not isinstance(zones, list):
        return
    defined = {str(zone.get("name", "")).strip() for zone in zones if isinstance(zone, dict)}
    for project in ctx.the_town.projects:
        zone = project.brief.meta.get("zone") if project.brief else None
        if isinstance(zone, str) and is_placeholder(zone):
            continue  # still to be filled in: TP202 says so, once
        if isinstance(zone, str) and zone.strip() and zone.strip() not in defined:
            assert project.brief is not None
            message = f"项目所属功能区“{zone}”未在 town.yaml 的 zones 中定义（已定义：{'、'.join(sorted(defined))}）"
            yield Problem(project.brief.meta.ref_of("zone"), message)


@rule(
    "TP611",
    "brief-behind-reports",
    Severity.WARNING,
    "项目简介的进度落后于最近一期周报（简介未更新）",
)
def brief_behind_reports(ctx: Context) -> Iterator[Problem]:
    doctype = _brief_type(ctx)
    if doctype is None:
        return
    series = _series(ctx)
    for project in ctx.the_town.projects:
        entries = series.get(project.slug)
        if project.brief is None or not entries:
            continue
        report, _, cumulative, _, percent = entries[-1]
        brief_cumulative = number(project.brief.meta, doctype, "cumulative_investment")
        brief_percent = number(project.brief.meta, doctype, "progress_percent")
        if (
            cumulative is not None
            and brief_cumulative is not None
            and brief_cumulative < cumulative
        ):
            message = f"{project.name}：简介累计完成投资 {brief_cumulative}万元，少于 {report.date_text} 周报的 {cumulative}万元"
            yield Problem(project.brief.meta.ref_of("cumulative_investment"), message)
        if percent is not None and brief_percent is not None and brief_percent < percent:
            message = f"{project.name}：简介形象进度 {brief_percent}%，低于 {report.date_text} 周报的 {percent}%"
            yield Problem(project.brief.meta.ref_of("progress_percent"), message)


@rule("TP612", "report-week-sum", Severity.ERROR, "本期累计投资不等于上期累计加本周完成投资")
def report_week_sum(ctx: Context) -> Iterator[Problem]:
    for slug, entries in _series(ctx).items():
        for (_, _, cum_before, _, _), (report, index, cum_now, week, _) in itertools.pairwise(
            entries
        ):
            if None in (cum_before, cum_now, week):
                continue
            assert cum_before is not None and cum_now is not None and week is not None
            if cum_before + week != cum_now:
                message = f"项目 {slug}：上期累计 {cum_before} + 本周 {week} = {cum_before + week}万元，但本期累计填 {cum_now}万元"
                yield Problem(
                    report.doc.meta.ref_of("projects", index, "cumulative_investment"), message
                )


@rule(
    "TP613", "progress-decrease", Severity.ERROR, "形象进度百分比比上一期周报减少", "plan", ("R40",)
)
def progress_decrease(ctx: Context) -> Iterator[Problem]:
    for slug, entries in _series(ctx).items():
        for (before, _, _, _, was), (report, index, _, _, now) in itertools.pairwise(entries):
            if was is not None and now is not None and now < was:
                message = f"项目 {slug} 形象进度 {now}%，低于上一期（{before.date_text}）的 {was}%：进度不应倒退"
                yield Problem(
                    report.doc.meta.ref_of("projects", index, "progress_percent"), message
                )


@rule(
    "TP614",
    "names-disagree",
    Severity.WARNING,
    "同一名称在两处写法不同，或两个项目同名",
    "practice",
)
def names_disagree(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    district = ctx.workspace.district.meta
    entries = district.get("towns") if district is not None else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or entry.get("slug") != town.slug or town.meta is None:
            continue
        listed, own = str(entry.get("name") or "").strip(), town.name
        if listed and own != town.slug and listed != own:
            assert district is not None
            where = f"{district.ref_of('towns', index)}"
            message = f"镇名在 town.yaml 中写作“{own}”，在 {where} 中写作“{listed}”：两处应一致"
            yield Problem(town.meta.ref_of("name"), message)
    first: dict[str, Project] = {}
    for project in town.projects:
        if project.brief is None or not project.brief.front_matter_ok:
            continue
        name = name_key(project.name)
        if name in first:
            other = first[name]
            message = f"项目名称“{project.name}”与 {other.folder} 的项目重名：两个项目应各有名称"
            yield Problem(project.brief.meta.ref_of("title"), message, Severity.ERROR)
        else:
            first[name] = project


_BODY_INVESTMENT = re.compile(
    rf"(?:总投资|投资规模|估算投资|计划投资|项目投资)(?:额)?(?:约|为|共|：|:|\s)*{MONEY_FIGURE_LOOSE}"
)


@rule(
    "TP615",
    "brief-body-figures",
    Severity.WARNING,
    "项目简介正文写的投资额与前置信息的投资规模不一致",
    "plan",
    ("R29",),
)
def brief_body_figures(ctx: Context) -> Iterator[Problem]:
    doctype = _brief_type(ctx)
    if doctype is None:
        return
    for project in ctx.the_town.projects:
        brief = project.brief
        stated = number(brief.meta, doctype, "investment") if brief is not None else None
        if brief is None or stated is None:
            continue
        for token in brief.tokens:
            if token.type != "inline" or token.map is None:
                continue
            for match in _BODY_INVESTMENT.finditer(token.content):
                written = money_or_none(match.group(1) + match.group(2))
                if written is not None and written != stated:
                    field_line = brief.meta.line_of("investment")
                    message = (
                        f"正文写“{match.group(0)}”（{written}万元），与前置信息第 {field_line} 行的"
                        f"投资规模 {stated}万元 不一致"
                    )
                    yield Problem(brief.ref.at(token.map[0] + 1), message)


def _version_key(raw: object) -> str:
    """A version as compared: full-width forms folded, case and a leading v ignored (V2.0,
    ｖ2.0 and 2.0 are one version)."""
    return unicodedata.normalize("NFKC", str(raw)).strip().lower().removeprefix("v").strip()


def _same_version(first: object, second: object) -> bool:
    """One version, written either way: V2.0, ｖ2.0, 2.0 and v2 are one (TP617 compares alike)."""
    order = compare_versions(first, second)
    return order == 0 if order is not None else _version_key(first) == _version_key(second)


@rule(
    "TP616",
    "revision-not-current",
    Severity.WARNING,
    "修订记录的最后一条与本稿的版本号或成果阶段不一致",
)
def revision_not_current(ctx: Context) -> Iterator[Problem]:
    for unit in town_documents(ctx.the_town, ctx.profile):
        if "revisions" not in unit.doctype.fields:
            continue
        meta = unit.meta
        revisions = meta.get("revisions")
        if not isinstance(revisions, list) or not revisions or not isinstance(revisions[-1], dict):
            continue  # an empty or malformed list is TP202's
        if len(revisions) >= MAX_LIST_ITEMS:
            continue  # a list at the cap may have been cut (TP013): its last item is not the last
        last, at = revisions[-1], len(revisions) - 1
        yield from _revision_field(meta, last, at, "version", "版本号")
        yield from _revision_field(meta, last, at, "status", "成果阶段")


def _revision_field(
    meta: Located, last: dict[object, object], at: int, key: str, label: str
) -> Iterator[Problem]:
    written, current = last.get(key), meta.get(key)
    if written is None or is_placeholder(written):
        return  # a missing or unfilled entry field is TP201's / TP202's
    if current is None or is_placeholder(current):
        message = (
            f"写了修订记录（revisions）但本稿没有{label}（{key}）："
            f"修订记录最后一条是本稿，应写 {key}: {written}"
        )
        yield Problem(meta.ref_of("revisions"), message)
        return
    same = (
        _same_version(written, current)
        if key == "version"
        else str(written).strip() == str(current).strip()
    )
    if not same:
        line = meta.line_of(key)
        message = (
            f"修订记录最后一条的{label}为“{written}”，与本稿的{label}“{current}”（第 {line} 行）"
            f"不一致：最后一条应为本稿，请补记本稿或改正{label}"
        )
        yield Problem(meta.ref_of("revisions", at, key), message)


_VERSION_PART = re.compile(r"[0-9]+|[^\W\d_]+")
"""A version's parts: runs of digits (compared as numbers) and runs of letters (v2.1b → 2, 1, b)."""


def _version_parts(raw: object) -> list[tuple[int, str]]:
    """(0, digits without leading zeros) for a number, (1, letters) for a word; trailing zero
    parts dropped (v2 and v2.0 are one version)."""
    parts: list[tuple[int, str]] = []
    for part in _VERSION_PART.findall(_version_key(raw)):
        parts.append((0, part.lstrip("0")) if part.isascii() and part.isdigit() else (1, part))
    while parts and parts[-1] == (0, ""):
        parts.pop()
    return parts


def compare_versions(first: object, second: object) -> int | None:
    """-1, 0 or 1 as ``first`` is older than, the same as or newer than ``second``, compared as the
    README says (case and a leading v ignored, numbers as numbers: 2.10 is newer than 2.9); None
    when they cannot be compared (no number in one, or a number against a word at the same place:
    第二版, 2.1 vs 2.a)."""
    a, b = _version_parts(first), _version_parts(second)
    if not any(kind == 0 for kind, _ in a) or not any(kind == 0 for kind, _ in b):
        return None
    for (kind_a, part_a), (kind_b, part_b) in zip(a, b, strict=False):
        if kind_a != kind_b:
            return None
        # numbers by length first (no int() of a 5,000-digit string), then digit by digit
        key_a = (len(part_a), part_a) if kind_a == 0 else (0, part_a)
        key_b = (len(part_b), part_b) if kind_b == 0 else (0, part_b)
        if key_a != key_b:
            return -1 if key_a < key_b else 1
    return (len(a) > len(b)) - (len(a) < len(b))


@rule(
    "TP617",
    "revision-version-order",
    Severity.ERROR,
    "修订记录的版本号没有逐条递增",
)
def revision_version_order(ctx: Context) -> Iterator[Problem]:
    """Each revision has a newer version than the one above it: a version going back (v3.0 then
    v2.0) or repeated is a mistake the printed 修订记录 table would show the reviewers."""
    for unit in town_documents(ctx.the_town, ctx.profile):
        previous: Revision | None = None
        for revision in revision_history(unit):
            version = revision.get("version")
            if version is None:
                continue  # a missing version is TP202's
            order = compare_versions(version, previous.get("version")) if previous else None
            if previous is not None and order is not None and order <= 0:
                before = unit.meta.line_of("revisions", previous.index, "version")
                how = "与上一条相同" if order == 0 else "小于上一条"
                message = (
                    f"修订记录第 {revision.index + 1} 条的版本号“{version}”{how}"
                    f"（第 {before} 行的“{previous.get('version')}”）：版本号应逐条递增"
                    "（比较时不分大小写、不计开头的 v，数字按数值比较，如 2.10 大于 2.9）"
                )
                yield Problem(unit.meta.ref_of("revisions", revision.index, "version"), message)
            previous = revision


@rule(
    "TP618",
    "revision-stage-order",
    Severity.WARNING,
    "修订记录的成果阶段倒退（如报批稿之后又是征求意见稿）",
    "standard",
    standard="城乡规划法 第二十六条",
)
def revision_stage_order(ctx: Context) -> Iterator[Problem]:
    """A plan is consulted on before it is submitted and approved (城乡规划法 第二十六条): its
    stages run 征求意见稿 → 送审稿 → 报批稿 → 批准稿 and never back. A warning, not an error: a
    plan changed a great deal may be consulted on again, which the reason should then say."""
    for unit in town_documents(ctx.the_town, ctx.profile):
        order = stage_order(unit.doctype)
        previous: Revision | None = None
        for revision in revision_history(unit):
            stage = revision.get("status")
            if not isinstance(stage, str) or stage.strip() not in order:
                continue  # a missing or unknown stage is TP202's / TP203's
            stage = stage.strip()
            if previous is not None:
                before = str(previous.get("status")).strip()
                if order.index(stage) < order.index(before):
                    line = unit.meta.line_of("revisions", previous.index, "status")
                    message = (
                        f"修订记录第 {revision.index + 1} 条的成果阶段“{stage}”早于上一条的“{before}”"
                        f"（第 {line} 行）：阶段应按 {' → '.join(order)} 推进；"
                        "如确为退回重新征求意见，请在该条的修改说明（reason）中写明并按规定豁免"
                    )
                    yield Problem(unit.meta.ref_of("revisions", revision.index, "status"), message)
            previous = revision
