"""The progress model: every weekly report's project rows as a time series per project, beside the
project's plan (total investment, funding, start, deadline), cut into the district's reporting weeks.

Pure: it reads the loaded workspace and the profile and does no I/O. The checker (rules on report
dates, gaps and figures), the documents (a brief's 形象进度 as of its date, the 周报 and 通报) and the
dashboards all read progress from here, so a figure is taken from the reports one way everywhere.

Weeks are the district's: each ends on its reporting day (district.yaml ``report_weekday``, Friday
when none is set), week 1 (第1期) being the one closing on the first reporting day of the
implementation phase. A report *covers* the week its period ends in, and every earlier week whose
days (within the implementation phase) its reporting period holds entirely: a first report from the
phase's start to the second reporting day covers the short first week too, but late.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from townplans.facts import FactBase
from townplans.fields import read_field
from townplans.limits import MAX_YEAR, MIN_YEAR
from townplans.model import Located, Project, SourceRef, Town, WeeklyReport, Workspace
from townplans.profile import DocumentType, FieldSpec, Profile
from townplans.values import date_or_none

HUNDRED = Decimal(100)
FRIDAY = 4
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_ENGLISH_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Entry:
    """One project row of one weekly report."""

    project: str
    report_date: dt.date
    period: tuple[dt.date, dt.date]
    percent: Decimal | None
    """形象进度, 0–100."""
    week_investment: Decimal | None
    """本周完成投资, 万元."""
    cumulative: Decimal | None
    """累计完成投资, 万元."""
    issues: str
    next_week: str
    source: SourceRef
    """The report row (file:line)."""


@dataclass(frozen=True, slots=True)
class ProjectProgress:
    """One project's plan and its reported series."""

    town: str
    slug: str
    title: str
    total_investment: Decimal | None
    funding: Mapping[str, Decimal]
    start: dt.date | None
    deadline: dt.date | None
    entries: tuple[Entry, ...]
    """In report date order."""
    stated_percent: Decimal | None = None
    """The brief's own 形象进度百分比, None when it states none (or none readable)."""
    stated_cumulative: Decimal | None = None
    """The brief's own 累计完成投资 (万元), None when it states none."""
    stated_on: dt.date | None = None
    """The day the brief's figures speak for: its 进度截至日期, else its 报送日期."""

    def at(self, day: dt.date) -> Entry | None:
        """The latest entry dated on or before ``day``."""
        found = None
        for entry in self.entries:
            if entry.report_date > day:
                break
            found = entry
        return found

    def planned_percent(self, day: dt.date) -> Decimal | None:
        """Where the straight line from start (0 %) to deadline (100 %) stands on ``day``."""
        if self.start is None or self.deadline is None or self.deadline <= self.start:
            return None
        if day <= self.start:
            return Decimal(0)
        if day >= self.deadline:
            return HUNDRED
        share = HUNDRED * (day - self.start).days / (self.deadline - self.start).days
        return share.quantize(Decimal("0.1"), ROUND_HALF_UP)

    def lagging(self, day: dt.date, tolerance: Decimal) -> bool:
        """滞后 on ``day``: the latest reported percent trails the plan line by more than
        ``tolerance`` points, or the deadline has passed unfinished. Nothing reported yet is not
        measured here (a report that omits the project is 未报)."""
        entry = self.at(day)
        if entry is None or entry.percent is None:
            return False
        if self.deadline is not None and day > self.deadline and entry.percent < HUNDRED:
            return True
        planned = self.planned_percent(day)
        return planned is not None and planned - entry.percent > tolerance

    def finished_on(self) -> dt.date | None:
        """The first report date with 100 %."""
        return next(
            (e.report_date for e in self.entries if e.percent is not None and e.percent >= 100),
            None,
        )

    def started_by(self, day: dt.date) -> bool:
        """Whether work had begun by ``day`` (a project without a start date counts as begun)."""
        return self.start is None or self.start <= day

    def percent_at(self, day: dt.date) -> Decimal | None:
        """The reported 形象进度 as of ``day`` (None before any report)."""
        entry = self.at(day)
        return entry.percent if entry is not None else None

    def cumulative_at(self, day: dt.date) -> Decimal | None:
        """The reported 累计完成投资 as of ``day`` (None before any report)."""
        entry = self.at(day)
        return entry.cumulative if entry is not None else None

    def standing(self, day: dt.date | None = None) -> Standing:
        """形象进度 and 累计完成投资 as a document dated ``day`` prints them (None: as of now).

        One source for both figures: the brief's own figure when it states one that speaks for
        ``day`` or earlier (an undated brief's always counts: nothing says it is later), else the
        latest report dated ``day`` or earlier. A figure known only from a later date is not
        shown at all (a 建设计划 of 24 July does not print the 形象进度 of 9 August)."""
        entry = self.at(day) if day is not None else (self.entries[-1] if self.entries else None)
        brief_counts = day is None or self.stated_on is None or self.stated_on <= day
        percent = self.stated_percent if brief_counts else None
        cumulative = self.stated_cumulative if brief_counts else None
        percent_from = entry if percent is None and entry and entry.percent is not None else None
        cumulative_from = (
            entry if cumulative is None and entry and entry.cumulative is not None else None
        )
        return Standing(
            percent_from.percent if percent_from is not None else percent,
            cumulative_from.cumulative if cumulative_from is not None else cumulative,
            percent_from,
            cumulative_from,
        )


@dataclass(frozen=True, slots=True)
class Standing:
    """A project's 形象进度 and 累计完成投资 as of a day (``ProjectProgress.standing``), and the
    report entry each was taken from (None when the brief states it, or nothing is known)."""

    percent: Decimal | None
    cumulative: Decimal | None
    percent_from: Entry | None = None
    cumulative_from: Entry | None = None


@dataclass(frozen=True, slots=True)
class Week:
    """One reporting week of the district: 第``number``期, ``start``..``end`` (the reporting day)."""

    number: int
    start: dt.date
    end: dt.date
    due: dt.date

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Report:
    """One weekly report as the model reads it: its dates, its rows, the weeks it covers."""

    town: str
    date: dt.date
    period: tuple[dt.date, dt.date]
    entries: tuple[Entry, ...]
    source: SourceRef
    """The report file (line 1)."""
    report: WeeklyReport


@dataclass(frozen=True, slots=True)
class TownWeek:
    """One town in one week: its report, what it omitted, what is behind, its figures."""

    town: str
    week: Week
    report: SourceRef | None
    """The report covering this week (the first on time, else the first), None if none."""
    on_time: bool
    """A report covering the week is dated on or before ``week.due``."""
    entries: tuple[Entry, ...]
    missing: tuple[str, ...]
    """未报: slugs of the town's projects its report leaves out (as TP606 reads it: a project not
    yet begun is reported at 0 %); empty when there is no report at all (the town is then
    未按时报送)."""
    lagging: tuple[str, ...]
    """滞后 project slugs at ``week.end``."""
    week_investment: Decimal
    cumulative: Decimal
    planned_total: Decimal


@dataclass(frozen=True, slots=True)
class Progress:
    """The district's progress: its reporting weeks, every project's series, the towns' reports."""

    tolerance: Decimal
    weeks: tuple[Week, ...]
    """Every week from the first reported week to the latest (week 1 onwards)."""
    projects: Mapping[str, ProjectProgress]
    """Keyed "town/slug"."""
    towns: tuple[str, ...]
    """Town slugs in district order."""
    weekday: int = FRIDAY
    """The reporting day (Monday 0 … Sunday 6)."""
    first_end: dt.date | None = None
    """The reporting day closing week 1."""
    phase_start: dt.date | None = None
    """The implementation phase's first day (a first report may start there)."""
    reports: Mapping[str, tuple[Report, ...]] = field(default_factory=dict)
    """Per town slug, its reports in date order."""

    def week_of(self, day: dt.date) -> Week | None:
        """The reporting week (of ``weeks``) that ``day`` falls in."""
        return next((week for week in self.weeks if week.holds(day)), None)

    def latest_week(self) -> Week | None:
        return self.weeks[-1] if self.weeks else None

    def week_containing(self, day: dt.date) -> Week | None:
        """The reporting week ``day`` falls in, numbered from week 1 (zero or less before it),
        whether or not anything was reported then; None without a week 1."""
        if self.first_end is None:
            return None
        end = day + dt.timedelta(days=(self.weekday - day.weekday()) % 7)
        number = (end - self.first_end).days // 7 + 1
        return Week(number, end - dt.timedelta(days=6), end, end)

    def town_projects(self, town: str) -> tuple[ProjectProgress, ...]:
        return tuple(p for p in self.projects.values() if p.town == town)

    def covers(self, report: Report, week: Week) -> bool:
        """Whether ``report`` covers ``week`` (see the module's docstring)."""
        own = self.week_containing(report.period[1])
        if own is not None and own.number == week.number:
            return True
        first_day = week.start
        if self.phase_start is not None and week.start < self.phase_start <= week.end:
            first_day = self.phase_start
        start, end = report.period
        return start <= first_day and week.end <= end and week.end < report.date

    def covering(self, town: str, week: Week) -> tuple[Report, ...]:
        return tuple(r for r in self.reports.get(town, ()) if self.covers(r, week))

    def town_week(self, town: str, week: Week) -> TownWeek:
        covering = self.covering(town, week)
        timely = [r for r in covering if r.date <= week.due]
        chosen = timely[0] if timely else (covering[0] if covering else None)
        projects = self.town_projects(town)
        entries = chosen.entries if chosen is not None else ()
        reported = {entry.project for entry in entries}
        missing = () if chosen is None else tuple(
            p.slug for p in projects if p.slug not in reported
        )  # fmt: skip
        cumulative = (p.cumulative_at(week.end) for p in projects)
        return TownWeek(
            town=town,
            week=week,
            report=chosen.source if chosen is not None else None,
            on_time=bool(timely),
            entries=entries,
            missing=missing,
            lagging=tuple(p.slug for p in projects if p.lagging(week.end, self.tolerance)),
            week_investment=sum((e.week_investment or Decimal(0) for e in entries), Decimal(0)),
            cumulative=sum((c for c in cumulative if c is not None), Decimal(0)),
            planned_total=sum(
                (p.total_investment for p in projects if p.total_investment is not None),
                Decimal(0),
            ),
        )

    def late_towns(self, week: Week) -> tuple[str, ...]:
        """未按时报送: towns with no report covering ``week`` dated by its reporting day."""
        return tuple(town for town in self.towns if not self.town_week(town, week).on_time)


# -- building -------------------------------------------------------------------------------------


def build_progress(
    workspace: Workspace, profile: Profile, facts: FactBase | None = None
) -> Progress:
    """The progress of a loaded workspace. ``facts`` is accepted for callers that hold them; the
    model reads the reports' and briefs' typed fields, the same the fact base is made from."""
    del facts  # the typed fields are the one reading of these figures
    district = workspace.district
    weekday = reporting_weekday(district.meta)
    phase_start = _implementation_start(district.meta, profile)
    report_type = profile.documents.get("weekly_report")
    brief_type = profile.documents.get("project_brief")
    reports: dict[str, tuple[Report, ...]] = {}
    projects: dict[str, ProjectProgress] = {}
    for town in district.towns:
        read = tuple(sorted(_reports(town, report_type), key=lambda r: (r.date, r.source.path)))
        reports[town.slug] = read
        for project in town.projects:
            series = tuple(e for r in read for e in r.entries if e.project == project.slug)
            projects[f"{town.slug}/{project.slug}"] = _project(town, project, brief_type, series)
    dates = [r.date for town_reports in reports.values() for r in town_reports]
    anchor = phase_start if phase_start is not None else min(dates, default=None)
    first_end = _closing(anchor, weekday) if anchor is not None else None
    progress = Progress(
        tolerance=profile.progress.lag_tolerance,
        weeks=(),
        projects=projects,
        towns=tuple(town.slug for town in district.towns),
        weekday=weekday,
        first_end=first_end,
        phase_start=phase_start,
        reports=reports,
    )
    return _with_weeks(progress, dates)


def _with_weeks(progress: Progress, dates: list[dt.date]) -> Progress:
    """``progress`` with its weeks: week 1 up to the latest week a report is dated in."""
    if progress.first_end is None or not dates:
        return progress
    last = progress.week_containing(max(dates))
    assert last is not None
    weeks = []
    for number in range(1, last.number + 1):
        end = progress.first_end + dt.timedelta(days=7 * (number - 1))
        weeks.append(Week(number, end - dt.timedelta(days=6), end, end))
    return Progress(
        progress.tolerance, tuple(weeks), progress.projects, progress.towns, progress.weekday,
        progress.first_end, progress.phase_start, progress.reports,
    )  # fmt: skip


def _closing(day: dt.date, weekday: int) -> dt.date:
    """The first reporting day on or after ``day``."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def reporting_weekday(district: Located | None) -> int:
    """district.yaml ``report_weekday`` (星期五, 周五, Friday) as Monday 0 … Sunday 6; Friday when
    it is absent or unreadable (the source plan fixes no day; the sample's district uses Friday)."""
    found = parse_weekday(district.get("report_weekday") if district is not None else None)
    return FRIDAY if found is None else found


def parse_weekday(raw: object) -> int | None:
    """星期五, 周五, 礼拜五, Friday, fri → 4; None when it is not a weekday."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    match = re.fullmatch(r"(?:星期|周|礼拜)([一二三四五六日天])", text)
    if match:
        return _WEEKDAYS[match.group(1)]
    lowered = text.lower()[:3]
    return _ENGLISH_WEEKDAYS.index(lowered) if lowered in _ENGLISH_WEEKDAYS else None


def _implementation_start(district: Located | None, profile: Profile) -> dt.date | None:
    """The implementation phase's first day: district.yaml's, else the profile's in the plan year."""
    phases = district.get("phases") if district is not None else None
    for phase in phases if isinstance(phases, list) else []:
        if isinstance(phase, dict) and phase.get("key") == "implement":
            found = date_or_none(phase.get("start"))
            if found is not None:
                return found
    year = district.get("plan_year") if district is not None else None
    spec = next((p for p in profile.phases if p.key == "implement"), None)
    # a year a planner could mean, and a date can hold (``make fuzz`` gave 10**30: OverflowError)
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    if spec is None or spec.start is None:
        return None
    try:
        return dt.date(year, *spec.start)
    except ValueError:
        return None


def _typed(located: Located, spec: FieldSpec | None, *path: str | int) -> object | None:
    """A field's parsed value through the profile's spec (the one parser), None if unreadable."""
    if spec is None:
        return None
    value = read_field(located, spec, *path)
    return value.parsed.value if value.parsed is not None else None


def _decimal(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _reports(town: Town, doctype: DocumentType | None) -> Iterator[Report]:
    for report in town.reports:
        meta = report.doc.meta
        fields = doctype.fields if doctype is not None else {}
        sent = _typed(meta, fields.get("date"))
        day = sent if isinstance(sent, dt.date) else date_or_none(report.date_text)
        if day is None:
            continue  # an undated report belongs to no week (TP501/TP507 say why)
        start = _typed(meta, fields.get("period_start"))
        end = _typed(meta, fields.get("period_end"))
        period = (
            start if isinstance(start, dt.date) else day - dt.timedelta(days=6),
            end if isinstance(end, dt.date) else day,
        )
        rows = fields.get("projects")
        entries = tuple(_entries(report, rows, day, period))
        yield Report(town.slug, day, period, entries, report.doc.ref.at(1), report)


def _entries(
    report: WeeklyReport, rows: FieldSpec | None, day: dt.date, period: tuple[dt.date, dt.date]
) -> Iterator[Entry]:
    meta = report.doc.meta
    items = meta.get("projects")
    if rows is None or not isinstance(items, list):
        return
    spec = rows.items
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.get("project") is None:
            continue

        def read(key: str, index: int = index) -> object | None:
            return _typed(meta, spec.get(key), "projects", index)

        yield Entry(
            project=str(item["project"]).strip(),
            report_date=day,
            period=period,
            percent=_decimal(read("progress_percent")),
            week_investment=_decimal(read("week_investment")),
            cumulative=_decimal(read("cumulative_investment")),
            issues=_text(item.get("issues")),
            next_week=_text(item.get("next_week")),
            source=meta.ref_of("projects", index),
        )


def _text(raw: object) -> str:
    return str(raw).strip() if raw is not None else ""


def _project(
    town: Town, project: Project, doctype: DocumentType | None, entries: tuple[Entry, ...]
) -> ProjectProgress:
    brief = project.brief
    fields = doctype.fields if doctype is not None else {}
    if brief is None:
        return ProjectProgress(town.slug, project.slug, project.name, None, {}, None, None, entries)
    start = _typed(brief.meta, fields.get("start"))
    deadline = _typed(brief.meta, fields.get("deadline"))
    stated_on = _typed(brief.meta, fields.get("progress_date"))
    if not isinstance(stated_on, dt.date):
        stated_on = _typed(brief.meta, fields.get("submitted"))
    return ProjectProgress(
        town=town.slug,
        slug=project.slug,
        title=project.name,
        total_investment=_decimal(_typed(brief.meta, fields.get("investment"))),
        funding=_funding(brief.meta, fields.get("funding")),
        start=start if isinstance(start, dt.date) else None,
        deadline=deadline if isinstance(deadline, dt.date) else None,
        entries=entries,
        stated_percent=_decimal(_typed(brief.meta, fields.get("progress_percent"))),
        stated_cumulative=_decimal(_typed(brief.meta, fields.get("cumulative_investment"))),
        stated_on=stated_on if isinstance(stated_on, dt.date) else None,
    )


def _funding(meta: Located, spec: FieldSpec | None) -> dict[str, Decimal]:
    """万元 by source name from the brief's ``funding`` list (unreadable rows left out)."""
    items = meta.get("funding")
    if spec is None or not isinstance(items, list):
        return {}
    amounts: dict[str, Decimal] = {}
    for index, item in enumerate(items):
        source = item.get("source") if isinstance(item, dict) else None
        amount = _decimal(_typed(meta, spec.items.get("amount"), "funding", index))
        if isinstance(source, str) and source.strip() and amount is not None:
            amounts[source.strip()] = amounts.get(source.strip(), Decimal(0)) + amount
    return amounts
