"""TP620–TP623 table arithmetic (一致性): a reviewer adds up every table. A 合计 row agrees with the
rows above it, a 比例 column sums to 100 % and each share is its row's part of the total, a total
or a count stated in the text beside a table agrees with the table (or with the YAML it is
generated from), and a brief's text gives the same funding figures as its front matter; all within
rounding."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from markdown_it.token import Token

from townplans.mdparser import Table, TableRow
from townplans.model import MarkdownFile, Severity, SourceRef
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import number as field_number
from townplans.rules.reading import Line, chinese_number, lines, sections
from townplans.values import (
    AREA_FIGURE,
    MONEY_FIGURE,
    cell_number,
    decimals,
    hectares_or_none,
    money_or_none,
    unit_factor,
)

_TOTAL = re.compile(r"^(?:合\s*计|总\s*计|共\s*计|总\s*计)$")
_SUBTOTAL = re.compile(r"^小\s*计$")
_SHARE = ("比例", "占比", "构成", "百分比")
_NOT_SUMMED = ("序号", "编号", "代码", "率", "密度", "容积", "高度", "时限", "日期", "年")


def _label(row: TableRow) -> str:
    return next((c.strip(" *") for c in row.cells[:2] if c.strip(" *")), "")


def _split(table: Table) -> tuple[list[TableRow], TableRow | None]:
    """The part rows (subtotals left out) and the first 合计 row, if any."""
    parts: list[TableRow] = []
    for row in table.rows:
        label = _label(row)
        if _TOTAL.match(label):
            return parts, row
        if not _SUBTOTAL.match(label):
            parts.append(row)
    return parts, None


def _column(rows: Sequence[TableRow], index: int) -> list[Decimal] | None:
    values = [cell_number(row.cells[index]) if index < len(row.cells) else None for row in rows]
    if not values or any(v is None for v in values):
        return None
    return [v for v in values if v is not None]


def _tolerance(values: Sequence[Decimal], *more: Decimal) -> Decimal:
    """Rounding slack: half a unit of the last written place per summed value (at least one)."""
    places = max(decimals(v) for v in (*values, *more))
    return Decimal(10) ** -places * max(1, len(values)) / 2


def _span(rows: Sequence[TableRow]) -> str:
    return f"第 {rows[0].ref.line}–{rows[-1].ref.line} 行"


@rule("TP620", "table-total", Severity.ERROR, "表格的合计行与各行之和不一致")
def table_total(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        for section in sections(markdown):
            for table in section.tables:
                yield from _table_total(table)


def _table_total(table: Table) -> Iterator[Problem]:
    parts, total = _split(table)
    if total is None or not parts:
        return
    for index, name in enumerate(table.header):
        if any(word in name for word in _NOT_SUMMED) or index >= len(total.cells):
            continue
        stated = cell_number(total.cells[index])
        values = _column(parts, index)
        if stated is None or values is None:
            continue
        computed = sum(values, Decimal(0))
        if abs(computed - stated) > _tolerance(values, stated):
            message = (
                f"“{name}”列的{_label(total)}为 {total.cells[index]}，但上方各行（{_span(parts)}）"
                f"之和为 {computed}"
            )
            yield Problem(total.ref, message)


@rule("TP621", "share-sum", Severity.ERROR, "比例列之和不是 100%，或某行比例与其数值不符")
def share_sum(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        for section in sections(markdown):
            for table in section.tables:
                yield from _shares(table)


def _shares(table: Table) -> Iterator[Problem]:
    share = table.column(*_SHARE)
    parts, total = _split(table)
    if share is None or not parts:
        return
    values = _column(parts, share)
    if values is None:
        return
    name = table.header[share]
    computed = sum(values, Decimal(0))
    if abs(computed - 100) > _tolerance(values):
        message = f"“{name}”列各行（{_span(parts)}）之和为 {computed}%，应为 100%"
        yield Problem(total.ref if total is not None else parts[-1].ref, message)
        return
    amount = _amount_column(table, share)
    if amount is None:
        return
    amounts = _column(parts, amount)
    if amounts is None or not sum(amounts, Decimal(0)):
        return
    whole = sum(amounts, Decimal(0))
    for row, part, written in zip(parts, amounts, values, strict=True):
        expected = part / whole * 100
        if abs(expected - written) > Decimal(10) ** -decimals(written) + Decimal("0.05"):
            message = (
                f"“{name}”写 {written}%，但按“{table.header[amount]}”列 {part}/{whole} 计算应为 "
                f"{expected:.1f}%"
            )
            yield Problem(row.ref, message)


def _amount_column(table: Table, share: int) -> int | None:
    for index, name in enumerate(table.header):
        amount = any(word in name for word in ("面积", "投资", "金额", "用地"))
        if index != share and amount and not any(word in name for word in _NOT_SUMMED):
            return index
    return None


_TEXT_MONEY = re.compile(
    rf"(?:总投资|投资总额|合计投资|计划总投资|共计投资|总计)(?:额)?(?:约|为|共|达)?\s*{MONEY_FIGURE}"
)
_TEXT_COUNT = re.compile(
    r"(项目|地块)\s*(?:共)?\s*([0-9]+|[一二两三四五六七八九十]+)\s*(?:个|宗|块|项)"
)
_TEXT_AREA = re.compile(
    r"(?:总用地|建设用地|用地总面积|总用地面积|规划用地)(?:规模)?(?:面积)?(?:为|约|共|达)?\s*([0-9][0-9,.]*)\s*(公顷)"
)
_PART_AREA = re.compile(r"([\u4e00-\u9fff]{1,8}用地|绿地|其他|水域)\s*([0-9]+(?:\.[0-9]+)?)\s*公顷")


@rule("TP622", "text-total", Severity.ERROR, "正文所写的合计、个数与旁边表格（或其数据）不一致")
def text_total(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    for markdown in town.markdown_files():
        for section in sections(markdown):
            for table in section.tables:
                yield from _beside(section.lines, table)
        yield from _breakdowns(markdown)
    yield from _report_sums(ctx)
    yield from _parcel_counts(ctx)
    yield from _land_parts(ctx)


def _beside(text: Sequence[Line], table: Table) -> Iterator[Problem]:
    parts, _ = _split(table)
    rows = {row.ref.line for row in table.rows}
    prose = [line for line in text if not line.cell and line.ref.line not in rows]
    money_column = _money_column(table)
    for line in prose:
        if line.heading:
            continue
        if money_column is not None and (values := _column(parts, money_column)):
            header = table.header[money_column]
            factor = _factor(header, "money")
            for match in _TEXT_MONEY.finditer(line.text):
                stated = money_or_none(match.group(1) + match.group(2))
                total = sum(values, Decimal(0)) * factor
                if stated is not None and abs(stated - total) > _tolerance(values) * factor:
                    message = (
                        f"正文写“{match.group(0)}”，但{_where(table)}“{header}”列"
                        f"（{_span(parts)}）合计 {_tidy(total)}万元"
                    )
                    yield Problem(line.ref, message)
        id_column = table.column("项目名称", "地块编号")
        for match in _TEXT_COUNT.finditer(line.text):
            count = chinese_number(match.group(2))
            kind = match.group(1)
            if id_column is None or count is None:
                continue
            if ("地块" in table.header[id_column]) != (kind == "地块"):
                continue
            if count != len(parts):
                message = f"正文写“{match.group(0)}”，但{_where(table)}列出 {len(parts)} 个（{_span(parts)}）"
                yield Problem(line.ref, message)
        area = next((i for i, name in enumerate(table.header) if "面积" in name), None)
        if area is not None and (values := _column(parts, area)):
            header = table.header[area]
            factor = _factor(header, "area_ha")
            for match in _TEXT_AREA.finditer(line.text):
                stated = cell_number(match.group(1))
                total = sum(values, Decimal(0)) * factor
                if stated is not None and abs(stated - total) > _tolerance(values, stated) * factor:
                    message = (
                        f"正文写“{match.group(0)}”，但{_where(table)}“{header}”列"
                        f"合计 {_tidy(total)} 公顷"
                    )
                    yield Problem(line.ref, message)


_HEADER_UNIT = re.compile(r"[（(]\s*([^（）()]+?)\s*[）)]")


def _factor(header: str, field_type: str) -> Decimal:
    """What one unit of the header's own unit is in the unit ``field_type`` reads into (万元 for
    money, 公顷 for area_ha): the figures of a column are read in the unit its header names; a
    header without a unit, or with one the kind does not know, is taken at its word (1)."""
    match = _HEADER_UNIT.search(header)
    factor = unit_factor(match.group(1), field_type) if match else None
    return factor if factor is not None else Decimal(1)


def _tidy(value: Decimal) -> Decimal:
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def _where(table: Table) -> str:
    return f"第 {table.ref.line} 行起的表格" if table.ref is not None else "表格"


def _money_column(table: Table) -> int | None:
    index = table.column("投资", "金额")
    if index is None or ("元" not in table.header[index] and "投资" not in table.header[index]):
        return None
    return index


_BREAKDOWN = re.compile(
    rf"(?:总投资|投资总额|总造价)(?:约|为|共)?\s*{MONEY_FIGURE}[，,：:]\s*其中([^。；]*)"
)
_AMOUNT = re.compile(MONEY_FIGURE)


_WHOLE_AREA = re.compile(rf"{AREA_FIGURE}[，,]?\s*其中([^。；]*)")
_PART = re.compile(AREA_FIGURE)


def _area_parts(line: Line) -> Iterator[Problem]:
    """“镇域面积42.6平方公里，其中镇区5.8平方公里”: no part is larger than the whole."""
    for match in _WHOLE_AREA.finditer(line.text):
        whole = hectares_or_none(match.group(1) + match.group(2))
        for value, unit in _PART.findall(match.group(3)):
            part = hectares_or_none(value + unit)
            if whole is not None and part is not None and part > whole:
                message = (
                    f"“{match.group(0)}”：其中一项 {value}{unit} 大于总数 {match.group(1)}"
                    f"{match.group(2)}"
                )
                yield Problem(line.ref, message)


def _breakdowns(markdown: MarkdownFile) -> Iterator[Problem]:
    """“总投资1850万元，其中道路工程1120万元，管网工程420万元……”: the parts add up."""
    for line in _prose(markdown):
        yield from _area_parts(line)
        for match in _BREAKDOWN.finditer(line.text):
            total = money_or_none(match.group(1) + match.group(2))
            parts = [money_or_none(a + u) for a, u in _AMOUNT.findall(match.group(3))]
            if total is None or len(parts) < 2 or any(p is None for p in parts):
                continue
            added = sum((p for p in parts if p is not None), Decimal(0))
            if added != total:
                message = f"“{match.group(0)}”：各分项之和为 {_tidy(added)}万元，与总投资 {total}万元 不符"
                yield Problem(line.ref, message)


_WEEK = re.compile(rf"本周(?:共)?完成投资\s*{MONEY_FIGURE}")


def _report_sums(ctx: Context) -> Iterator[Problem]:
    """A weekly report's text total of this week's investment against its project list."""
    doctype = ctx.profile.documents.get("weekly_report")
    if doctype is None or "projects" not in doctype.fields:
        return
    for report in ctx.the_town.reports:
        items = report.doc.meta.get("projects")
        if not isinstance(items, list):
            continue
        amounts = [
            money_or_none(str(item.get("week_investment")))
            for item in items
            if isinstance(item, dict)
        ]
        if not amounts or any(a is None for a in amounts):
            continue
        total = sum((a for a in amounts if a is not None), Decimal(0))
        for line in _prose(report.doc):
            for match in _WEEK.finditer(line.text):
                stated = money_or_none(match.group(1) + match.group(2))
                if stated is not None and stated != total:
                    where = report.doc.meta.ref_of("projects")
                    message = (
                        f"正文写“{match.group(0)}”，但前置信息 projects（{where}）各项目本周完成投资"
                        f"合计 {total}万元"
                    )
                    yield Problem(line.ref, message)


def _prose(markdown: MarkdownFile) -> Iterator[Line]:
    return (line for line in lines(markdown) if not line.cell and not line.heading)


def _parcel_counts(ctx: Context) -> Iterator[Problem]:
    """“划分地块6个” in a 控规 against parcels.yaml, when the text has no table of its own."""
    for plan in ctx.the_town.detailed_plans:
        if plan.text is None or plan.parcels is None or not isinstance(plan.parcels.data, list):
            continue
        if any(t.column("地块编号") is not None for s in sections(plan.text) for t in s.tables):
            continue  # the table beside it is compared instead
        count = len(plan.parcels.data)
        for line in _prose(plan.text):
            for match in _TEXT_COUNT.finditer(line.text):
                stated = chinese_number(match.group(2))
                if match.group(1) == "地块" and stated is not None and stated != count:
                    message = (
                        f"正文写“{match.group(0)}”，但 {plan.parcels.ref.path} 列出 {count} 个地块"
                    )
                    yield Problem(line.ref, message)


def _land_parts(ctx: Context) -> Iterator[Problem]:
    """A sentence listing three or more land uses in 公顷 adds up to the plan's area."""
    for plan in ctx.the_town.detailed_plans:
        if plan.text is None:
            continue
        area = _plan_area(plan.text)
        if area is None:
            continue
        for line in _prose(plan.text):
            parts = _PART_AREA.findall(line.text)
            if len(parts) < 3 or any(word in line.text for word in ("总用地", "其中")):
                continue
            values = [Decimal(value) for _, value in parts]
            total = sum(values, Decimal(0))
            complete = any(name.startswith("其他") for name, _ in parts)
            # A list that names 其他 claims to be the whole; a partial list may not exceed it.
            off = abs(total - area) if complete else total - area
            if off > _tolerance(values, area):
                where = plan.text.meta.ref_of("area")
                message = (
                    f"各类用地面积之和为 {total} 公顷（{'、'.join(n + v for n, v in parts)}），"
                    f"与规划范围面积 {area} 公顷（{where}）不符"
                )
                yield Problem(line.ref, message)


def _plan_area(text: MarkdownFile) -> Decimal | None:
    return hectares_or_none(text.meta.get("area"))


_FUNDING_TEXT = MONEY_FIGURE


@rule(
    "TP623",
    "brief-body-funding",
    Severity.WARNING,
    "项目简介正文写的资金来源或累计投资与前置信息不一致",
    "plan",
    ("R29",),
)
def brief_body_funding(ctx: Context) -> Iterator[Problem]:
    doctype = ctx.profile.documents.get("project_brief")
    if doctype is None:
        return
    for project in ctx.the_town.projects:
        brief = project.brief
        if brief is None:
            continue
        stated: dict[str, tuple[Decimal, SourceRef]] = {}
        funding = brief.meta.get("funding")
        for index, item in enumerate(funding if isinstance(funding, list) else []):
            if (
                isinstance(item, dict)
                and (amount := money_or_none(str(item.get("amount")))) is not None
            ):
                stated[str(item.get("source"))] = (amount, brief.meta.ref_of("funding", index))
        cumulative = field_number(brief.meta, doctype, "cumulative_investment")
        if cumulative is not None:
            stated["累计完成投资"] = (cumulative, brief.meta.ref_of("cumulative_investment"))
        for line in _prose(brief):
            for label, (amount, where) in stated.items():
                for match in re.finditer(
                    re.escape(label) + r"(?:约|为|共)?\s*" + _FUNDING_TEXT, line.text
                ):
                    written = money_or_none(match.group(1) + match.group(2))
                    if written is not None and written != amount:
                        message = f"正文写“{match.group(0)}”，前置信息（{where}）为 {amount}万元：两处应一致"
                        yield Problem(line.ref, message)


_COUNTED = re.compile(
    r"([0-9]+|[一二两三四五六七八九十]+)\s*(?:个|处|类|项)([\u4e00-\u9fff]{0,8})[：:]\s*([^；。：:]*)(?:[；。]|$)"
)


@rule("TP624", "count-vs-list", Severity.WARNING, "正文写的个数与随后列出的项数不符")
def count_vs_list(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        yield from _counted(markdown)


def _counted(markdown: MarkdownFile) -> Iterator[Problem]:
    """“中心村3个：东阳村、西屯村、河滩村” and “划分为四个功能区：” followed by a list."""
    tokens = markdown.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or token.map is None:
            continue
        ref = markdown.ref.at(token.map[0] + 1)
        text = token.content
        for match in _COUNTED.finditer(text):
            count = chinese_number(match.group(1))
            items = [i for i in re.split(r"[、，,]", match.group(3)) if i.strip()]
            if count is None:
                continue
            if len(items) >= 2 and count != len(items):
                message = (
                    f"“{match.group(0).rstrip('；。')}”写 {count} 个，实际列出 {len(items)} 个"
                )
                yield Problem(ref, message)
            elif not items and text.rstrip().endswith(("：", ":")):
                listed = _next_list_length(tokens, index)
                if listed is not None and listed != count:
                    message = f"“{match.group(0)}”写 {count} 个，下面列出 {listed} 项"
                    yield Problem(ref, message)


def _next_list_length(tokens: Sequence[Token], index: int) -> int | None:
    """The number of items of the list right after the paragraph at ``index``."""
    position = index + 1
    while position < len(tokens) and tokens[position].type == "paragraph_close":
        position += 1
    if position >= len(tokens) or tokens[position].type not in (
        "ordered_list_open",
        "bullet_list_open",
    ):
        return None
    depth, items = 0, 0
    for token in tokens[position:]:
        depth += token.nesting if token.type.endswith(("list_open", "list_close")) else 0
        if token.type == "list_item_open" and depth == 1:
            items += 1
        if depth == 0:
            break
    return items


_QUANTITY = re.compile(
    r"([\u4e00-\u9fff]{2,4}?)\s*([0-9]+(?:\.[0-9]+)?)\s*(公里|千米|米|盏|座|处|个|万㎡|㎡|公顷|株|件)"
)


def _quantities(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(last two characters of the noun, unit) -> (number, what was written), first one wins."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for match in _QUANTITY.finditer(text):
        found.setdefault((match.group(1)[-2:], match.group(3)), (match.group(2), match.group(0)))
    return found


@rule(
    "TP625",
    "brief-scale-text",
    Severity.WARNING,
    "项目简介的建设规模字段与正文写的数量不一致",
    "plan",
    ("R29",),
)
def brief_scale_text(ctx: Context) -> Iterator[Problem]:
    for project in ctx.the_town.projects:
        brief = project.brief
        scale = brief.meta.get("scale") if brief is not None else None
        if brief is None or not isinstance(scale, str):
            continue
        where = brief.meta.ref_of("scale")
        # The text's own 建设内容及规模 section; a quantity of the field found anywhere in it
        # (“新增88盏，共140盏”) agrees.
        content = [
            line
            for section in sections(brief)
            if "建设内容" in section.title or "规模" in section.title
            for line in section.lines
            if not line.heading
        ]
        written_all = "".join(line.text for line in content).replace(" ", "")
        for key, (value, shown) in _quantities(scale).items():
            if value + key[1] in written_all:
                continue
            for line in content:
                found = _quantities(line.text).get(key)
                if found is not None:
                    message = f"正文写“{found[1]}”，建设规模（{where}）写“{shown}”：两处应一致"
                    yield Problem(line.ref, message)
