"""The progress workbook (openpyxl): a sheet per reported week, the 台账 of every project by
week, and the 考核评分.

Numbers are stored as numbers (万元 with two decimals, percentages as fractions shown with a %
format), header rows are frozen, columns have set widths and sheets Chinese names; nothing needs a
formula to be read. The week sheets print the same figures as the 通报 (``bulletin.figures``).
openpyxl is imported only here, when the workbook is made.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from townplans.progress import Progress
from townplans.render.bulletin import Figures
from townplans.scoring import Scores

MONEY = "#,##0.00"
PERCENT = "0.0%"
COUNT = "0"
DATE = "yyyy-mm-dd"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float
    format: str | None = None


def workbook(
    progress: Progress,
    weeks: Sequence[Figures],
    scores: Scores | None,
    names: dict[str, str],
    stamp: dt.datetime,
) -> bytes:
    """The workbook as XLSX bytes, dated ``stamp`` (the same input gives the same bytes once the
    build fixes the zip's times)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "townplans"
    book.properties.created = book.properties.modified = stamp
    for data in weeks:
        _week_sheet(book, data)
    _ledger(book, progress, names)
    if scores is not None:
        _scores(book, scores)
    # Not ``book.save``: it stamps docProps' modified with the clock, and two builds of the same
    # content would differ. ExcelWriter writes the workbook as dated above.
    from openpyxl.writer.excel import ExcelWriter

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
    return out.getvalue()


def _sheet(
    book: Any, title: str, columns: Sequence[Column], rows: Sequence[Sequence[object]]
) -> Any:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title[:31])
    sheet.append([c.title for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append([_value(v) for v in row])
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = column.format
    sheet.freeze_panes = "A2"
    return sheet


def _value(value: object) -> object:
    """Decimals as floats (Excel's numbers), everything else as it is; None stays empty."""
    return float(value) if isinstance(value, Decimal) else value


def _fraction(value: Decimal | None) -> Decimal | None:
    return None if value is None else value / 100


def _week_sheet(book: Any, data: Figures) -> None:
    columns = [
        Column("镇", 10), Column("项目数", 8, COUNT), Column("已开工", 8, COUNT),
        Column("已完工", 8, COUNT), Column("本周完成投资（万元）", 14, MONEY),
        Column("累计完成投资（万元）", 14, MONEY), Column("计划总投资（万元）", 14, MONEY),
        Column("完成比例", 10, PERCENT), Column("本期报送", 10), Column("滞后项目", 30),
        Column("未报项目", 30),
    ]  # fmt: skip
    rows = [
        [r.name, r.projects, r.started, r.finished, r.week_investment, r.cumulative, r.planned,
         _fraction(r.share), r.reported or "—", "、".join(r.lagging), "、".join(r.missing)]
        for r in (*data.towns, data.total)
    ]  # fmt: skip
    rows[-1][9] = "、".join(f"{r.name}{p}" for r in data.towns for p in r.lagging)
    rows[-1][10] = "、".join(f"{r.name}{p}" for r in data.towns for p in r.missing)
    week = data.week
    _sheet(book, f"第{week.number}期（{week.end.month}月{week.end.day}日）", columns, rows)


def _ledger(book: Any, progress: Progress, names: dict[str, str]) -> None:
    """台账: one row per project and reporting week, the report's figures as written."""
    columns = [
        Column("期数", 6, COUNT), Column("报送日", 12, DATE), Column("镇", 10), Column("项目", 30),
        Column("总投资（万元）", 14, MONEY), Column("形象进度", 10, PERCENT),
        Column("计划进度", 10, PERCENT), Column("本周完成投资（万元）", 14, MONEY),
        Column("累计完成投资（万元）", 14, MONEY), Column("滞后", 6), Column("存在问题", 30),
        Column("下周计划", 30), Column("来源", 30),
    ]  # fmt: skip
    rows = []
    for week in progress.weeks:
        for project in progress.projects.values():
            entry = project.at(week.end)
            if entry is None or entry.report_date < week.start:
                continue
            rows.append([
                week.number, entry.report_date, names.get(project.town, project.town),
                project.title, project.total_investment, _fraction(entry.percent),
                _fraction(project.planned_percent(week.end)), entry.week_investment,
                entry.cumulative, "是" if project.lagging(week.end, progress.tolerance) else "否",
                entry.issues, entry.next_week, str(entry.source),
            ])  # fmt: skip
    _sheet(book, "台账", columns, rows)


def _scores(book: Any, scores: Scores) -> None:
    columns = [
        Column("名次", 6, COUNT), Column("镇", 10),
        *(Column(f"{c.label}（{c.weight.normalize():f}分）", 14, "0.0") for c in scores.criteria),
        Column("总分", 10, "0.0"),
        *(Column(f"{c.label}计分依据", 28) for c in scores.criteria),
    ]  # fmt: skip
    rows = [
        [t.rank, t.name, *(i.points for i in t.items), t.total, *(i.basis for i in t.items)]
        for t in scores.towns
    ]
    _sheet(book, "考核评分", columns, rows)
