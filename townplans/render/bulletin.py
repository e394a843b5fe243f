"""The documents made from the weekly reports: each 工作进度周报, the district's 工作进度通报
(第N期) and the 考核评分表.

``figures`` works out what a 通报 prints for one week from the progress model (headline figures,
a row per town, the 滞后, 未报 and 未按时报送 lists, the projects to commend); the 通报 document,
the workbook and ``townplans bulletin``'s table all print these same figures. The 通报 is a 公文
laid out like the 建设计划 (the same 版头, 版记 and templates): its body in prose and tables, the
projects of each town in a landscape 附件, the charts in a second 附件. The specs are keyed by
the Markdown they print (``content_key``), so an edit that changes no figure rebuilds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from townplans.model import District, Town, WeeklyReport
from townplans.progress import Entry, Progress, ProjectProgress, Week
from townplans.render.charts import Chart, Series
from townplans.render.documents import (
    DocumentSpec,
    Gongwen,
    Markdown,
    Part,
    Templates,
    cell,
    chinese_date,
    file_name,
    md_table,
    number_text,
    source_parts,
)
from townplans.render.tokens import xml_text
from townplans.scoring import Scores
from townplans.values import date_or_none

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Lag:
    """A project behind its plan line at the week's end."""

    town: str
    project: str
    percent: Decimal | None
    planned: Decimal | None
    deadline: dt.date | None


@dataclass(frozen=True, slots=True)
class TownRow:
    """One town's figures for one week."""

    slug: str
    name: str
    projects: int
    started: int
    finished: int
    reported: str
    """按时 / 逾期 / 未报送."""
    week_investment: Decimal
    cumulative: Decimal
    planned: Decimal
    lagging: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def share(self) -> Decimal | None:
        """Cumulative investment as a percentage of planned, to 0.1."""
        return _percent(self.cumulative, self.planned)


@dataclass(frozen=True, slots=True)
class Figures:
    """What the 通报 of one week prints."""

    week: Week
    towns: tuple[TownRow, ...]
    funding: tuple[tuple[str, Decimal, Decimal], ...]
    """Per funding source: planned, and completed pro rata to each project's funding split."""
    lagging: tuple[Lag, ...]
    missing: tuple[tuple[str, str], ...]
    """(town name, project title) of each project a town's report left out."""
    late: tuple[str, ...]
    """Town names without a report by the reporting day."""
    commended: tuple[str, ...]
    """Projects finished before their deadline (by week end), and towns with all reports on
    time, nothing omitted and nothing behind: each as a sentence."""

    @property
    def total(self) -> TownRow:
        rows = self.towns
        return TownRow(
            "", "合计", sum(r.projects for r in rows), sum(r.started for r in rows),
            sum(r.finished for r in rows), "",
            sum((r.week_investment for r in rows), ZERO), sum((r.cumulative for r in rows), ZERO),
            sum((r.planned for r in rows), ZERO), (), (),
        )  # fmt: skip


def figures(district: District, progress: Progress, week: Week) -> Figures:
    """The figures of ``week``: every number the 通报 prints."""
    names = {t.slug: t.name for t in district.towns}
    rows, lags, missing, commended = [], [], [], []
    funding: dict[str, list[Decimal]] = {}
    for slug in progress.towns:
        found = progress.town_week(slug, week)
        projects = _projects(progress, slug)
        titles = {p.slug: p.title for p in projects}
        started = finished = 0
        for project in projects:
            entry = project.at(week.end)
            done = project.finished_on()
            started += entry is not None and (entry.percent or ZERO) > 0
            finished += done is not None and done <= week.end
            if (
                done is not None
                and done <= week.end
                and project.deadline
                and done < project.deadline
            ):
                commended.append(f"{names.get(slug, slug)}{project.title}（{_md(done)}完工，"
                                 f"较计划{_md(project.deadline)}提前{(project.deadline - done).days}天）")  # fmt: skip
            cumulative = (entry.cumulative if entry else None) or ZERO
            for source, amount in project.funding.items():
                share = amount / project.total_investment if project.total_investment else ZERO
                planned_done = funding.setdefault(source, [ZERO, ZERO])
                planned_done[0] += amount
                planned_done[1] += (cumulative * share).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for key in found.lagging:
            project = progress.projects[f"{slug}/{key}"]
            entry = project.at(week.end)
            lags.append(Lag(names.get(slug, slug), project.title,
                            entry.percent if entry else None, project.planned_percent(week.end),
                            project.deadline))  # fmt: skip
        missing += [(names.get(slug, slug), titles.get(key, key)) for key in found.missing]
        reported = "未报送" if found.report is None else "按时" if found.on_time else "逾期"
        rows.append(TownRow(
            slug, names.get(slug, slug), len(projects), started, finished, reported,
            found.week_investment, found.cumulative, found.planned_total,
            tuple(titles.get(k, k) for k in found.lagging),
            tuple(titles.get(k, k) for k in found.missing),
        ))  # fmt: skip
    late = tuple(names.get(s, s) for s in progress.late_towns(week))
    for row in rows:
        if row.reported == "按时" and not row.lagging and not row.missing and row.projects:
            commended.append(f"{row.name}（本期按时报送、项目无滞后、无漏报）")
    sources = tuple((s, v[0], v[1]) for s, v in funding.items())
    return Figures(week, tuple(rows), sources, tuple(lags), tuple(missing), late,
                   tuple(commended))  # fmt: skip


def _projects(progress: Progress, town: str) -> list[ProjectProgress]:
    return [p for p in progress.projects.values() if p.town == town]


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def money(value: Decimal | None) -> str:
    """万元 as printed: no trailing zeros beyond the cents (1650, 12.5)."""
    if value is None:
        return "—"
    return number_text(value.quantize(Decimal("0.01"), ROUND_HALF_UP).normalize())


def percent(value: Decimal | None) -> str:
    """A percentage to 0.1 (83.6%)."""
    if value is None:
        return "—"
    return f"{number_text(value.quantize(Decimal('0.1'), ROUND_HALF_UP).normalize())}%"


def headline(data: Figures) -> tuple[list[str], list[list[str]]]:
    """The headline table by town (the 通报's 表1, the terminal's table, the workbook's)."""
    header = ["镇", "项目数", "已开工", "已完工", "本周完成投资（万元）", "累计完成投资（万元）",
              "计划总投资（万元）", "完成比例", "本期报送", "滞后项目", "未报项目"]  # fmt: skip
    rows = [
        [r.name, str(r.projects), str(r.started), str(r.finished), money(r.week_investment),
         money(r.cumulative), money(r.planned), percent(r.share), r.reported or "—",
         str(len(r.lagging)), str(len(r.missing))]
        for r in (*data.towns, data.total)
    ]  # fmt: skip
    rows[-1][8] = "—"
    rows[-1][9] = str(sum(len(r.lagging) for r in data.towns))
    rows[-1][10] = str(sum(len(r.missing) for r in data.towns))
    return header, rows


# -- the 周报 -------------------------------------------------------------------------------------------


def report_spec(
    templates: Templates, root: Path, town: Town, report: WeeklyReport, progress: Progress
) -> DocumentSpec:
    """A town's weekly report as a document: its header, the project table, its own text."""
    doc = report.doc
    meta = doc.meta
    title = str(meta.get("title") or f"{town.name}小城镇建设工作进度周报（{report.date_text}）")
    entries = _entries_of(progress, town.slug, doc.ref.path)
    titles = {p.slug: p.title for p in _projects(progress, town.slug)}
    date = date_or_none(meta.get("date"))
    base = root / town.folder

    head, text = templates.deferred_part(
        "weekly-report.md.j2", base, title=title,
        period=period_text(meta.get("period_start"), meta.get("period_end")),
        reporter=_text(meta.get("reporter")), signer=_text(meta.get("signer")),
        contact=_text(meta.get("contact")), date=chinese_date(date) or _text(meta.get("date")),
        rows=[[str(n), titles.get(e.project, e.project), percent(e.percent),
               money(e.week_investment), money(e.cumulative), e.issues or "—",
               e.next_week or "—"] for n, e in enumerate(entries, 1)],
        week_total=money(sum((e.week_investment or ZERO for e in entries), ZERO)),
        cumulative_total=money(sum((e.cumulative or ZERO for e in entries), ZERO)),
    )  # fmt: skip

    def parts() -> tuple[Part, ...]:
        return (head(), *source_parts([doc], root, demote=1))

    sources = (doc.ref.path, *(p.brief.ref.path for p in town.projects if p.brief))
    # What it prints: the table (the briefs give only the projects' titles) and the report's
    # own text. Keyed by those, an edit to a brief's text leaves the 周报 alone; a report that
    # links pictures or files is keyed by its sources, whose bytes the text does not hold.
    printed = f"{text}\n{doc.text}".encode()
    key = "" if doc.links else hashlib.sha256(printed).hexdigest()[:32]
    return DocumentSpec(file_name(f"{town.name}{_short(title, town.name)}"), title, parts,
                        cover=False, toc=False, author=str(meta.get("reporter") or town.name),
                        date=date, sources=sources, content_key=key,
                        subject=f"{town.name} · 工作进度周报")  # fmt: skip


def _short(title: str, town: str) -> str:
    """A report's file name without the town's name repeated (the name is put in front)."""
    return title.removeprefix(town)


def _entries_of(progress: Progress, town: str, path: str) -> list[Entry]:
    found = [e for p in _projects(progress, town) for e in p.entries if e.source.path == path]
    return sorted(found, key=lambda e: (e.source.line or 0, e.project))


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return chinese_date(value)
    return "" if value is None else str(value)


def period_text(start: object, end: object) -> str:
    """A report's 统计时段 written as its 报送日期 is: “2023年9月9日至9月15日” (the year once
    when both ends share it; review29: “2023-09-09至2023-09-15” under “2023年9月15日”). A
    value that is not a date is printed as written."""
    first, last = date_or_none(start), date_or_none(end)
    if first is None or last is None:
        return f"{chinese_date(first) or _text(start)}至{chinese_date(last) or _text(end)}"
    tail = _md(last) if last.year == first.year else chinese_date(last)
    return f"{chinese_date(first)}至{tail}"


# -- the 通报 -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Letterhead:
    """Who issues the 通报 and to whom (district.yaml ``bulletin``, else from ``lead_office``)."""

    issuer: str
    mark: str
    prefix: str
    recipient: str
    cc: str
    year: int

    @classmethod
    def of(cls, district: District, year: int) -> Letterhead:
        meta = district.meta
        given = meta.get("bulletin") if meta is not None else None
        given = given if isinstance(given, dict) else {}
        office = str(meta.get("lead_office") or "") if meta is not None else ""
        issuer = str(
            given.get("issuer")
            or office.split("（")[0]
            or f"{district.name}小城镇建设工作领导小组办公室"
        )
        return cls(
            issuer=issuer,
            mark=str(given.get("mark") or issuer),
            prefix=str(given.get("doc_prefix") or "小城建办"),
            recipient=str(given.get("recipient") or "各镇人民政府，区级有关部门"),
            cc=str(given.get("cc") or ""),
            year=int(meta.get("plan_year") or year) if meta is not None else year,
        )


def charts(district: District, progress: Progress, week: Week) -> list[Chart]:
    """The 通报's charts: cumulative investment by town over the weeks up to ``week``; each
    town's projects' progress against their plan lines."""
    names = {t.slug: t.name for t in district.towns}
    weeks = [w for w in progress.weeks if w.end <= week.end]
    investment = Chart(
        f"各镇累计完成投资（截至第{week.number}期）", "万元",
        tuple(Series(names.get(s, s), tuple((w.end, progress.town_week(s, w).cumulative)
                                            for w in weeks), group=n)
              for n, s in enumerate(progress.towns)),
    )  # fmt: skip
    made = [investment]
    for slug in progress.towns:
        lines: list[Series] = []
        for n, project in enumerate(_projects(progress, slug)):
            points = tuple((e.report_date, e.percent) for e in project.entries
                           if e.percent is not None and e.report_date <= week.end)  # fmt: skip
            lines.append(Series(project.title, points, group=n))
            if project.start and project.deadline:
                plan = ((project.start, ZERO), (project.deadline, Decimal(100)))
                lines.append(Series(f"{project.title}（计划）", plan, plan=True, group=n))
        if lines:
            made.append(Chart(f"{names.get(slug, slug)}项目形象进度与计划进度", "形象进度（%）",
                              tuple(lines), Decimal(100)))  # fmt: skip
    return made


def bulletin_spec(
    templates: Templates,
    root: Path,
    district: District,
    progress: Progress,
    data: Figures,
    head: Letterhead,
    chart_files: Sequence[tuple[str, Path]],
    ensure_charts: Callable[[], object],
) -> DocumentSpec:
    """The 通报 of ``data.week``: ``chart_files`` are (title, SVG path) of its charts, which
    ``ensure_charts`` draws when the document is written."""
    week = data.week
    base = root / "towns"
    title = f"关于全区小城镇建设工作进度的通报（第{week.number}期）"
    header, rows = headline(data)
    total = data.total
    by_town = [
        {
            "name": r.name,
            "table": _table(PROJECT_HEADER, project_rows(progress, r.slug, week), "llrrrrrccl"),
        }
        for r in data.towns
    ]
    funding = [[s, money(p), money(d), percent(_percent(d, p))] for s, p, d in data.funding]
    context = {
        # The title in two lines, the period number on the second, never split (GB/T 9704 7.3.1:
        # lines broken where the sense allows).
        "mark": xml_text(head.mark), "title": Markdown(cell(title).replace("（第", "\\\n（第")),
        "recipient": head.recipient.rstrip("：:") + "：",
        "doc_number": f"{head.prefix}〔{head.year}〕{week.number}号",
        # A 下行文 from the office to the towns: no 签发人 (GB/T 9704 7.2.6 asks it of 上行文 only).
        "signers": (),
        "number": week.number, "period": f"{_md(week.start)}至{_md(week.end)}",
        "end": f"{week.end.year}年{_md(week.end)}", "total": total,
        "share": percent(total.share), "money": money, "percent": percent,
        "towns": data.towns, "lagging": data.lagging, "missing": data.missing,
        "late": data.late, "commended": data.commended,
        # The body's 表1 holds the figures (eight columns fit the portrait page); the whole
        # headline with 报送, 滞后 and 未报 opens the landscape 附件1.
        "headline": _table(header[:8], [row[:8] for row in rows], "lrrrrrrr"),
        "headline_full": _table(header, rows, "lrrrrrrrccc"),
        "plan_title": _plan_title(district),
        "funding": _table(["资金来源", "计划（万元）", "折算完成（万元）", "完成比例"], funding, "lrrr"),
        "by_town": by_town, "issuer": head.issuer, "date": chinese_date(week.end),
        "charts": [(t, os.path.relpath(p, base)) for t, p in chart_files],
        "attachments": ["各镇项目进度明细表", "工作进度图表"],
    }  # fmt: skip
    part, text = templates.deferred_part("bulletin.md.j2", base, **context)

    def parts() -> tuple[Part, ...]:
        ensure_charts()
        imprint = templates.part(
            "gongwen-imprint.md.j2", base, cc=head.cc, office=head.issuer,
            date=chinese_date(week.end),
        )  # fmt: skip
        return part(), imprint

    key = hashlib.sha256((text + head.cc).encode("utf-8")).hexdigest()[:32]
    name = file_name(f"{district.name}小城镇建设工作进度通报（第{week.number}期）")
    return DocumentSpec(name, title, parts, cover=False, toc=False, author=head.issuer,
                        date=week.end, sources=("towns",), gongwen=Gongwen(xml_text(head.mark)),
                        content_key=key, subject=f"{district.name} · 工作进度通报")  # fmt: skip


def _plan_title(district: District) -> str:
    """The 实施方案 the 通报 cites (district.yaml ``plan_title``)."""
    given = district.meta.get("plan_title") if district.meta is not None else None
    return str(given or f"{district.name}小城镇发展建设实施方案")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    return md_table(header, rows, list(align))


def project_rows(progress: Progress, town: str, week: Week) -> list[list[str]]:
    """A town's projects at ``week``: the 附件's table and the workbook's week sheet."""
    rows = []
    for n, project in enumerate(_projects(progress, town), 1):
        entry = project.at(week.end)
        current = entry if entry is not None and entry.report_date >= week.start else None
        state = "滞后" if project.lagging(week.end, progress.tolerance) else "正常"
        done = project.finished_on()
        if done is not None and done <= week.end:
            state = "已完工"
        rows.append([
            str(n), project.title, money(project.total_investment),
            percent(entry.percent if entry else None),
            percent(project.planned_percent(week.end)),
            money(current.week_investment if current else None),
            money(entry.cumulative if entry else None),
            chinese_date(project.deadline) if project.deadline else "—",
            state if current is not None or state == "已完工" else f"{state}（本期未报）",
            (current.issues if current else "") or "—",
        ])  # fmt: skip
    return rows


PROJECT_HEADER = ["序号", "项目名称", "总投资（万元）", "形象进度", "计划进度", "本周完成投资（万元）",
                  "累计完成投资（万元）", "完成时限", "状态", "存在问题"]  # fmt: skip


# -- the 考核评分表 -----------------------------------------------------------------------------------


def scores_table(scores: Scores) -> tuple[list[str], list[list[str]]]:
    """The ranked table: rank, town, each criterion's points, total (the document's, the
    workbook's)."""
    header = ["名次", "镇", *(f"{c.label}（{money(c.weight)}分）" for c in scores.criteria),
              "总分"]  # fmt: skip
    rows = [
        [str(t.rank), t.name, *(("不计分" if i.points is None else money(i.points))
                                for i in t.items), money(t.total)]
        for t in scores.towns
    ]  # fmt: skip
    return header, rows


def scores_spec(
    templates: Templates, root: Path, district: District, scores: Scores, issuer: str
) -> DocumentSpec:
    """The 考核评分表: the ranked table and, per town, the points behind each score."""
    header, rows = scores_table(scores)
    week = scores.week
    details = [
        {"name": t.name, "rank": t.rank, "total": money(t.total),
         "table": _table(["评分项", "分值", "得分", "计分依据"],
                         [[i.criterion.label, money(i.criterion.weight),
                           "不计分" if i.points is None else money(i.points), i.basis]
                          for i in t.items], "lrrl")}
        for t in scores.towns
    ]  # fmt: skip
    criteria = [
        {"label": c.label, "weight": money(c.weight), "scored": on}
        for c, on in zip(scores.criteria, scores.scored, strict=True)
    ]
    title = f"{district.name}小城镇建设考核评分表"
    part, text = templates.deferred_part(
        "scores.md.j2", root / "towns", title=title, table=_table(header, rows, "cl" + "r" * (len(header) - 2)),
        details=details, criteria=criteria, maximum=money(scores.maximum),
        as_of=f"第{week.number}期（{chinese_date(week.end)}）" if week else "",
    )  # fmt: skip
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return DocumentSpec(file_name(title), title, lambda: (part(),), cover=False, toc=False,
                        author=issuer, date=week.end if week else None, sources=("towns",),
                        content_key=key, subject=f"{district.name} · 考核评分表")  # fmt: skip
