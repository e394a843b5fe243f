"""TP5xx dates (时效性): impossible dates, deadlines against the phase windows, the brief submission
deadline, the weekly report series, photo dates in stage order, a plan's revision dates."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any

from townplans.facts.units import town_documents
from townplans.model import Photo, Project, Severity, SourceRef
from townplans.profile import Phase, report_interval
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import (
    date_of,
    phases_year,
    plan_year,
    revision_history,
    stated_plan_year,
)
from townplans.rules.fields import Kind, all_field_issues
from townplans.rules.reading import sections
from townplans.values import date_or_none

STAGES = ("before", "progress", "after")
STAGE_LABELS = {"before": "施工前", "progress": "施工中", "after": "建成后"}


@rule(
    "TP501",
    "date-invalid",
    Severity.ERROR,
    "日期无效或格式错误（不存在的日期不会顺延）",
    "plan",
    ("R37",),
)
def date_invalid(ctx: Context) -> Iterator[Problem]:
    for issue in all_field_issues(ctx):
        if issue.kind is Kind.DATE:
            yield issue.problem
    if ctx.town is None:
        return
    for project in ctx.town.projects:
        meta = project.photos_meta
        if meta is None or not isinstance(meta.data, dict):
            continue
        for name, caption in meta.data.items():
            if (
                isinstance(caption, dict)
                and caption.get("date") is not None
                and date_or_none(caption["date"]) is None
            ):
                yield Problem(
                    meta.ref_of(name, "date"), f"照片“{name}”的拍摄日期“{caption['date']}”无效"
                )


def _window(ctx: Context, key: str) -> tuple[dt.date | None, dt.date | None]:
    """A phase's dates: from district.yaml when given, else the profile's window in the plan year."""
    district = ctx.workspace.district.meta
    phases = district.get("phases") if district is not None else None
    for phase in phases if isinstance(phases, list) else []:
        if isinstance(phase, dict) and phase.get("key") == key:
            return date_or_none(phase.get("start")), date_or_none(phase.get("end"))
    year = plan_year(district)
    profile_phase = next((p for p in ctx.profile.phases if p.key == key), None)
    if year is None or profile_phase is None:
        return None, None
    return _in_year(year, profile_phase.start), _in_year(year, profile_phase.end)


def _in_year(year: int, month_day: tuple[int, int] | None) -> dt.date | None:
    return dt.date(year, *month_day) if month_day else None


@rule(
    "TP502",
    "deadline-outside-phase",
    Severity.WARNING,
    "完成时限不在项目实施阶段内",
    "plan",
    ("R37",),
)
def deadline_outside_phase(ctx: Context) -> Iterator[Problem]:
    _, end = _window(ctx, "implement")
    define_start, _ = _window(ctx, "define")
    doctype = ctx.profile.documents.get("project_brief")
    if doctype is None or end is None:
        return
    for project in ctx.the_town.projects:
        if project.brief is None:
            continue
        deadline = date_of(project.brief.meta, doctype, "deadline")
        if deadline is None:
            continue
        ref = project.brief.meta.ref_of("deadline")
        if deadline > end:
            yield Problem(
                ref, f"完成时限 {deadline} 晚于项目实施阶段结束日期 {end}：观摩时项目尚未完成"
            )
        elif define_start is not None and deadline < define_start:
            yield Problem(
                ref, f"完成时限 {deadline} 早于确定项目阶段开始日期 {define_start}：请核对年份"
            )


@rule("TP503", "brief-late", Severity.ERROR, "项目简介报送晚于截止日期", "plan", ("R30",))
def brief_late(ctx: Context) -> Iterator[Problem]:
    doctype = ctx.profile.documents.get("project_brief")
    year = plan_year(ctx.workspace.district.meta)
    deadline = ctx.profile.deadline("brief_submission")
    due = _in_year(year, deadline.month_day) if year is not None else None
    if doctype is None or due is None:
        return
    for project in ctx.the_town.projects:
        if project.brief is None:
            continue
        submitted = date_of(project.brief.meta, doctype, "submitted")
        if submitted is not None and submitted > due:
            to = f"报{deadline.to}" if deadline.to else ""
            message = f"项目简介报送日期 {submitted} 晚于{deadline.label} {due}（{due.month}月{due.day}日前{to}）"
            yield Problem(project.brief.meta.ref_of("submitted"), message)


@rule(
    "TP504",
    "report-gap",
    Severity.ERROR,
    "周报不连续：两期之间间隔超过一周或报告期不衔接",
    "plan",
    ("R40",),
)
def report_gap(ctx: Context) -> Iterator[Problem]:
    interval = report_interval(ctx.profile)
    doctype = ctx.profile.documents.get("weekly_report")
    reports = sorted(ctx.the_town.reports, key=lambda report: report.date_text)
    for previous, current in itertools.pairwise(reports):
        before, after = date_or_none(previous.date_text), date_or_none(current.date_text)
        if before is None or after is None:
            continue
        gap = (after - before).days
        if gap > interval:
            missing = gap // interval - (1 if gap % interval == 0 else 0)
            message = f"本期（{after}）与上一期（{before}）相隔 {gap} 天，中间约缺 {missing} 期周报（源方案要求每周书面汇报一次）"
            yield Problem(current.doc.ref.at(1), message)
            continue
        if doctype is None:
            continue
        end = date_of(previous.doc.meta, doctype, "period_end")
        start = date_of(current.doc.meta, doctype, "period_start")
        if end is not None and start is not None and start != end + dt.timedelta(days=1):
            message = (
                f"报告期起 {start} 与上一期报告期止 {end} 不衔接：应为 {end + dt.timedelta(days=1)}"
            )
            yield Problem(current.doc.meta.ref_of("period_start"), message)


def photo_date(photo: Photo) -> dt.date | None:
    """The date a photo was taken: photos.yaml first (it overrides), then EXIF."""
    override = date_or_none(photo.caption.get("date")) if photo.caption else None
    if override is not None:
        return override
    info = photo.asset.image
    return info.taken.date() if info is not None and info.taken is not None else None


@rule(
    "TP505",
    "photo-date-order",
    Severity.WARNING,
    "照片拍摄日期与阶段顺序不符（施工前晚于建成后等）",
    "plan",
    ("R35",),
)
def photo_date_order(ctx: Context) -> Iterator[Problem]:
    for project in ctx.the_town.projects:
        yield from photo_order_problems(project)


def photo_order_problems(project: Project) -> Iterator[Problem]:
    """TP505's problems in one project (the media rules leave these photos to it): the photos whose dates are out of line with their stage, the fewest that can be: the
    photos outside the longest run whose dates follow the stages (before ≤ progress ≤ after).
    One after photo dated before all the rest is named, not every photo taken before it."""
    dated = sorted(
        ((day, STAGES.index(photo.stage), photo) for photo in project.photos
         if photo.stage in STAGES and (day := photo_date(photo)) is not None),
        key=lambda item: (item[0], item[1], item[2].asset.path),
    )  # fmt: skip
    kept = _in_order(dated)
    for index, (day, rank, photo) in enumerate(dated):
        if index in kept:
            continue
        other = _conflict(dated, kept, day, rank)
        if other is None:
            continue
        other_day, other_rank, other_photo = other
        relation = "晚于" if day > other_day else "早于"
        message = (
            f"{STAGE_LABELS[photo.stage]}照片 {photo.asset.name} 拍摄于 {day}，{relation}"
            f"{STAGE_LABELS[STAGES[other_rank]]}照片 {other_photo.asset.name} 的 {other_day}"
            f"（{other_photo.asset.path}）：请核对阶段或日期"
        )
        yield Problem(SourceRef(photo.asset.path), message)


def _in_order(dated: list[tuple[dt.date, int, Photo]]) -> set[int]:
    """Indexes of the longest run of photos (in date order) whose stages never go back; of runs
    equally long, the one keeping the later stages (so of a before and an after photo in the
    wrong order, the before photo is named, as a reviewer would ask about it first). Linear: a
    run's best end is kept per stage."""
    tails: dict[int, tuple[tuple[int, int], int]] = {}  # stage -> (length, sum of stages), index
    previous: list[int] = []
    ends: list[tuple[int, int]] = []
    for index, (_, rank, _) in enumerate(dated):
        before = max((tails[r] for r in tails if r <= rank), default=((0, 0), -1))
        score = (before[0][0] + 1, before[0][1] + rank)
        previous.append(before[1])
        ends.append(score)
        if rank not in tails or score > tails[rank][0]:
            tails[rank] = (score, index)
    end = max(range(len(ends)), key=lambda i: ends[i], default=-1)
    chain: set[int] = set()
    while end >= 0:
        chain.add(end)
        end = previous[end]
    return chain


def _conflict(dated: list[tuple[dt.date, int, Photo]], kept: set[int], day: dt.date,
              rank: int) -> tuple[dt.date, int, Photo] | None:  # fmt: skip
    """A photo in line that this one contradicts: of a later stage taken before it, or of an
    earlier stage taken after it (the nearest in date)."""
    clashes = [
        dated[i]
        for i in sorted(kept)
        if (dated[i][1] > rank and dated[i][0] < day) or (dated[i][1] < rank and dated[i][0] > day)
    ]
    return min(clashes, key=lambda item: abs((item[0] - day).days), default=None)


@rule(
    "TP506",
    "photo-undated",
    Severity.WARNING,
    "照片没有拍摄日期（EXIF 和 photos.yaml 都没有）",
    "plan",
    ("R35",),
)
def photo_undated(ctx: Context) -> Iterator[Problem]:
    for project in ctx.the_town.projects:
        for photo in project.photos:
            if (
                photo.asset.image is not None
                and photo.asset.image.error is None
                and photo_date(photo) is None
            ):
                message = f"照片 {photo.asset.name} 没有拍摄日期：EXIF 中没有，photos.yaml 也未给出 date；图册说明需要日期"
                yield Problem(SourceRef(photo.asset.path), message)


@rule(
    "TP507",
    "report-period",
    Severity.ERROR,
    "周报的报告期、报送日期或文件名日期自相矛盾",
    "plan",
    ("R40",),
)
def report_period(ctx: Context) -> Iterator[Problem]:
    doctype = ctx.profile.documents.get("weekly_report")
    if doctype is None:
        return
    for report in ctx.the_town.reports:
        meta = report.doc.meta
        start = date_of(meta, doctype, "period_start")
        end = date_of(meta, doctype, "period_end")
        sent = date_of(meta, doctype, "date")
        named = date_or_none(report.date_text)
        if start is not None and end is not None and start > end:
            yield Problem(meta.ref_of("period_start"), f"报告期起 {start} 晚于报告期止 {end}")
        if sent is not None and end is not None and sent < end:
            yield Problem(meta.ref_of("date"), f"报送日期 {sent} 早于报告期止 {end}")
        if sent is not None and named is not None and sent != named:
            yield Problem(meta.ref_of("date"), f"报送日期 {sent} 与文件名中的日期 {named} 不一致")


@rule(
    "TP508",
    "phase-window",
    Severity.ERROR,  # the source plan fixes the dates; a district changes them by a new document
    "区级配置的实施阶段与源方案不一致或待确认",
    "plan",
    ("R37",),
    scope="district",
)
def phase_window(ctx: Context) -> Iterator[Problem]:
    district = ctx.workspace.district.meta
    year = stated_plan_year(district)
    if district is None or year is None:
        return
    phases = district.get("phases")
    configured = {
        p.get("key"): (index, p)
        for index, p in enumerate(phases if isinstance(phases, list) else [])
        if isinstance(p, dict)
    }
    other_year = phases_year(district, year)
    if other_year is not None:
        message = (
            f"计划年度 plan_year 写 {year}，而 phases 中各阶段日期都在 {other_year} 年"
            f"（方案标题“{district.get('plan_title', '')}”）：计划年度应与实施各阶段的年份一致"
        )
        yield Problem(district.ref_of("plan_year"), message)
        return  # every phase would differ from the source plan's dates in the wrong year
    for phase in ctx.profile.phases:
        if phase.key not in configured:
            yield Problem(
                district.ref_of("phases"),
                f"district.yaml 的 phases 缺少“{phase.label}”（{phase.key}）：源方案为 {phase.source_text}",
            )
            continue
        index, entry = configured[phase.key]
        yield from _compare_phase(district.ref_of("phases", index), phase, entry, year)


def _compare_phase(
    ref: SourceRef, phase: Phase, entry: dict[str, Any], year: int
) -> Iterator[Problem]:
    for which, month_day in (("start", phase.start), ("end", phase.end)):
        given = date_or_none(entry.get(which))
        expected = _in_year(year, month_day)
        label = "开始" if which == "start" else "结束"
        if expected is None:
            shown = f"配置为 {given}，请确认有区住建局发文依据" if given else "目前留空"
            message = f"“{phase.label}”{label}日期待确认：源方案写作“{phase.source_text}”，无法确定（{shown}）"
            yield Problem(ref, message, Severity.INFO)
        elif given is not None and given != expected:
            yield Problem(
                ref,
                f"“{phase.label}”{label}日期配置为 {given}，源方案为 {expected}（{phase.source_text}）",
            )


@rule(
    "TP509",
    "wrong-year",
    Severity.WARNING,
    "日期的年份不是规划年度（可能是沿用旧文件）",
    "plan",
    ("R37",),
)
def wrong_year(ctx: Context) -> Iterator[Problem]:
    year = plan_year(ctx.workspace.district.meta)
    doctype = ctx.profile.documents.get("project_brief")
    if year is None or doctype is None:
        return
    for project in ctx.the_town.projects:
        if project.brief is None:
            continue
        # A continuing project (续建) may have started in an earlier year; any other starts now.
        keys = ["submitted", "deadline", "progress_date"]
        if project.brief.meta.get("nature") != "续建":
            keys.append("start")
        for key in keys:
            day = date_of(project.brief.meta, doctype, key)
            if day is not None and day.year != year:
                label = doctype.fields[key].label
                yield Problem(
                    project.brief.meta.ref_of(key),
                    f"{label} {day} 不在规划年度 {year} 年内：请核对是否沿用了旧文件的日期",
                )


@rule(
    "TP511",
    "project-date-order",
    Severity.ERROR,
    "项目自身的日期先后矛盾（开工晚于完成时限等），或开工不在实施阶段内",
    "plan",
    ("R29", "R37"),
)
def project_date_order(ctx: Context) -> Iterator[Problem]:
    doctype = ctx.profile.documents.get("project_brief")
    if doctype is None:
        return
    _, implement_end = _window(ctx, "implement")
    for project in ctx.the_town.projects:
        if project.brief is None:
            continue
        meta = project.brief.meta
        start = date_of(meta, doctype, "start")
        deadline = date_of(meta, doctype, "deadline")
        progress = date_of(meta, doctype, "progress_date")
        if start is not None and deadline is not None and start > deadline:
            message = f"开工日期 {start} 晚于完成时限 {deadline}：请核对两个日期"
            yield Problem(meta.ref_of("start"), message)
        if start is not None and progress is not None and progress < start:
            message = f"进度截至日期 {progress} 早于开工日期 {start}：进度应在开工之后"
            yield Problem(meta.ref_of("progress_date"), message, Severity.WARNING)
        if start is not None and implement_end is not None and start > implement_end:
            message = (
                f"开工日期 {start} 晚于项目实施阶段结束日期 {implement_end}：不在本年度实施安排内"
            )
            yield Problem(meta.ref_of("start"), message, Severity.WARNING)


@rule(
    "TP512",
    "date-in-future",
    Severity.WARNING,
    "进度截至日期或报送日期晚于检查当天",
    "plan",
    ("R29", "R40"),
)
def date_in_future(ctx: Context) -> Iterator[Problem]:
    """Progress can only be reported as of a day that has come (a typo in the month, usually)."""
    brief_type = ctx.profile.documents.get("project_brief")
    report_type = ctx.profile.documents.get("weekly_report")
    for project in ctx.the_town.projects:
        if project.brief is None or brief_type is None:
            continue
        for key in ("progress_date", "submitted"):
            day = date_of(project.brief.meta, brief_type, key)
            if day is not None and day > ctx.today:
                label = brief_type.fields[key].label
                message = f"{label} {day} 晚于今天（{ctx.today}）：进度只能截至已经过去的日期"
                yield Problem(project.brief.meta.ref_of(key), message)
    for report in ctx.the_town.reports:
        day = date_of(report.doc.meta, report_type, "date") if report_type is not None else None
        if day is not None and day > ctx.today:
            message = f"报送日期 {day} 晚于今天（{ctx.today}）"
            yield Problem(report.doc.meta.ref_of("date"), message)


@rule(
    "TP513",
    "revision-date-future",
    Severity.WARNING,
    "修订记录的日期晚于检查当天",
)
def revision_date_future(ctx: Context) -> Iterator[Problem]:
    """A revision history records what has happened: an entry dated after today is a typo in
    the year or month, usually (a draft dated for next week's submission is warned, not refused)."""
    for unit in town_documents(ctx.the_town, ctx.profile):
        own = date_of(unit.meta, unit.doctype, "date")
        for revision in revision_history(unit):
            day = date_or_none(revision.get("date"))
            if own is not None and day is not None and day > own:
                continue  # later than the document itself: TP514 says so, once
            if day is not None and day > ctx.today:
                message = (
                    f"修订记录第 {revision.index + 1} 条（{revision.get('version') or '未写版本号'}）"
                    f"的日期 {day} 晚于今天（{ctx.today}）：修订记录只记已经完成的修订，请核对年份和月份"
                )
                yield Problem(unit.meta.ref_of("revisions", revision.index, "date"), message)


_EVENT = re.compile(
    r"(?:(?P<year>20[0-9]{2})年)?(?P<month>[0-9]{1,2})月(?P<day>[0-9]{1,2})日"
    r"(?P<after>[^，。；;,]{0,2}?)(?P<verb>已经?|通过|完成|竣工|完工|恢复|建成|开通|召开|验收)"
)
"""A day and what happened on it: 8月30日已完成…, 9月12日通过竣工验收."""
_ALREADY = re.compile(r"已经?于$")
_INTENT = re.compile(r"(?:计划|预计|力争|确保|争取|拟|将|要|应|须|前|底前|以前|之前)")
_PLANS = ("计划", "安排", "打算", "目标")


def _events(text: str, reported: bool) -> Iterator[tuple[re.Match[str], bool]]:
    """Each day the text says something happened on. "已" beside the day makes it a past event in
    any document; in a report's account of the week, so does a bare verb (通过, 完成 …)."""
    for match in _EVENT.finditer(text):
        before = text[max(0, match.start() - 6) : match.start()]
        clause = re.split(r"[，。；;,]", before)[-1]
        if _INTENT.search(clause + match.group("after")):
            continue  # planned, not done: 计划9月20日完成, 9月25日前完工
        already = match.group("verb").startswith("已") or bool(_ALREADY.search(clause))
        if already or reported:
            yield match, already


@rule(
    "TP515",
    "event-after-document",
    Severity.ERROR,
    "文中叙述为已经发生的事，日期却晚于文件自身的日期（成文、编制或报送日期）",
)
def event_after_document(ctx: Context) -> Iterator[Problem]:
    """A document speaks as of its date: an event it tells as done cannot be later (a plan dated
    7月24日 that says 8月30日已完成质量检测; a report of 9月7日 saying 9月12日通过验收)."""
    for unit in town_documents(ctx.the_town, ctx.profile):
        own = date_of(unit.meta, unit.doctype, "date")
        if own is None:
            continue
        report = unit.doctype.key == "weekly_report"
        for markdown in unit.files:
            for section in sections(markdown):
                account = report and not any(word in section.title for word in _PLANS)
                for line in section.lines:
                    yield from _late_events(line.text, line.ref, own, account)


def _late_events(text: str, ref: SourceRef, own: dt.date, account: bool) -> Iterator[Problem]:
    for match, _ in _events(text, account):
        year = int(match.group("year") or own.year)
        try:
            day = dt.date(year, int(match.group("month")), int(match.group("day")))
        except ValueError:
            continue  # no such day: TP510's
        if day > own:
            told = re.split(r"[，。；;]", text[match.start() :])[0][:30]
            message = (
                f"文中“{told}”叙述的是已经发生的事，日期 {day} 却晚于本文件的日期 {own}："
                "文件只能写成文（报送）之前的情况，请核对日期或改为计划的说法"
            )
            yield Problem(ref, message)


@rule(
    "TP514",
    "revision-date-order",
    Severity.ERROR,
    "修订记录的日期先后颠倒，或晚于本稿的编制日期",
)
def revision_date_order(ctx: Context) -> Iterator[Problem]:
    """Entries run oldest first and the last is the document itself, so no entry is dated before
    the one above it or after the document's own date (the cover prints that date)."""
    for unit in town_documents(ctx.the_town, ctx.profile):
        meta = unit.meta
        own = date_of(meta, unit.doctype, "date")
        previous: tuple[dt.date, int | None] | None = None
        for revision in revision_history(unit):
            day = date_or_none(revision.get("date"))
            if day is None:
                continue  # a missing or invalid date is TP201's / TP501's
            ref = meta.ref_of("revisions", revision.index, "date")
            number = revision.index + 1
            if own is not None and day > own:
                message = (
                    f"修订记录第 {number} 条的日期 {day} 晚于本稿的编制日期 {own}"
                    f"（第 {meta.line_of('date')} 行）：最后一条即本稿，各条都不应晚于本稿日期"
                )
                yield Problem(ref, message)
                continue  # not the date the next entry is compared with
            if previous is not None and day < previous[0]:
                message = (
                    f"修订记录第 {number} 条的日期 {day} 早于上一条的 {previous[0]}"
                    f"（第 {previous[1]} 行）：修订记录应按时间先后排列"
                )
                yield Problem(ref, message)
            previous = (day, ref.line)


_WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _weekday_place(ctx: Context) -> str:
    """Where the reporting day is set, for a message: district.yaml's line, or the default."""
    progress = ctx.the_progress
    name = _WEEKDAY_NAMES[progress.weekday]
    meta = ctx.workspace.district.meta
    if meta is not None and meta.get("report_weekday") is not None:
        return f"每周报送日为{name}（{meta.ref_of('report_weekday')}）"
    return f"每周报送日为{name}（district.yaml 未写 report_weekday，按星期五）"


@rule(
    "TP520",
    "report-weekday",
    Severity.WARNING,
    "周报晚于本报告期所在周的报送日，或同一周报送了两期",
    "plan",
    ("R40",),
)
def report_weekday(ctx: Context) -> Iterator[Problem]:
    progress = ctx.the_progress
    seen: dict[int, SourceRef] = {}
    for report in progress.reports.get(ctx.the_town.slug, ()):
        meta = report.report.doc.meta
        closing = progress.week_containing(report.period[1])
        if closing is not None and report.date > closing.due:
            message = (
                f"报送日期 {report.date} 晚于报告期止 {report.period[1]} 所在周（第{closing.number}期，"
                f"{closing.start}至{closing.end}）的报送日 {closing.due}：{_weekday_place(ctx)}"
            )
            yield Problem(meta.ref_of("date"), message)
        own = progress.week_containing(report.period[1])
        if own is None:
            continue
        if own.number in seen:
            message = (
                f"本期（{report.date}）与 {seen[own.number]} 同在第{own.number}期"
                f"（{own.start}至{own.end}）：{_weekday_place(ctx)}，每周报送一次"
            )
            yield Problem(meta.ref_of("date"), message)
        seen.setdefault(own.number, meta.ref_of("date"))


@rule(
    "TP521",
    "report-week-missing",
    Severity.WARNING,
    "实施阶段的某一周没有周报（第一期之前或最后一期之后；两期之间的缺期见 TP504）",
    "plan",
    ("R40",),
)
def report_week_missing(ctx: Context) -> Iterator[Problem]:
    progress = ctx.the_progress
    reports = progress.reports.get(ctx.the_town.slug, ())
    if not reports:
        return  # no report at all: the document count says so (TP1xx)
    first, last = reports[0], reports[-1]
    first_week = progress.week_containing(first.period[1])
    last_week = progress.week_containing(last.period[1])
    if first_week is None or last_week is None:
        return
    for week in progress.weeks:
        if first_week.number <= week.number <= last_week.number:
            continue  # between two reports a gap is TP504's
        if progress.covering(ctx.the_town.slug, week):
            continue
        edge, where = (first, "第一期") if week.number < first_week.number else (last, "最后一期")
        since = f"实施阶段自 {progress.phase_start} 起，" if progress.phase_start else ""
        message = (
            f"第{week.number}期（{week.start}至{week.end}，报送日 {week.due}）没有周报：本镇{where}"
            f"周报是 {edge.source.path}（{edge.date}）；{since}{_weekday_place(ctx)}"
        )
        yield Problem(edge.source, message)
