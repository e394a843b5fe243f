"""The progress model (townplans.progress) on a small district worked out by hand, and the sample's
series: 滞后, 未报 and 未按时报送 as the 通报 will list them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_workspace
from townplans import pipeline
from townplans.check import Selection
from townplans.progress import Progress, Week, parse_weekday
from townplans.session import open_session

D = dt.date

DISTRICT = """\
name: 测试区
plan_year: 2023
plan_title: 2023小城镇发展建设实施方案
lead_office: 测试区小城镇建设工作领导小组办公室
towns:
  - {slug: aa, name: 甲镇}
  - {slug: bb, name: 乙镇}
  - {slug: cc, name: 丙镇}
phases:
  - {key: define, label: 确定项目阶段, start: 2023-07-18, end: 2023-07-25}
  - {key: implement, label: 项目实施阶段, start: 2023-07-26, end: 2023-09-25}
report_weekday: 星期五
"""


def _brief(title: str, investment: int, start: str, deadline: str) -> str:
    return (
        f"---\ntitle: {title}\ninvestment: {investment}万元\n"
        f"funding:\n  - {{source: 区级财政, amount: {investment}万元}}\n"
        f"start: {start}\ndeadline: {deadline}\nprogress_percent: 0%\n---\n\n# 一、项目概况\n"
    )


def _report(
    town: str, day: str, start: str, end: str, rows: list[tuple[str, int, int, int]]
) -> str:
    items = "\n".join(
        f"  - {{project: {slug}, progress_percent: {p}%, week_investment: {w}万元,"
        f" cumulative_investment: {c}万元, issues: 无, next_week: 继续施工}}"
        for slug, p, w, c in rows
    )
    return (
        f"---\ntitle: {town}周报\nperiod_start: {start}\nperiod_end: {end}\ndate: {day}\n"
        f"reporter: {town}人民政府\nsigner: 某某\nprojects:\n{items}\n---\n\n# 一、本周工作进展\n"
    )


def _district(root: Path) -> Path:
    """甲镇 reports every Friday but leaves 园 out of 第3期; 乙镇 sends its first report on a
    Saturday (8月5日, covering 7月26日–8月4日), then on time; 丙镇 never reports."""
    import shutil

    shutil.copytree(REPO / "templates", root / "templates")
    towns = root / "towns"
    (towns).mkdir()
    (towns / "district.yaml").write_text(DISTRICT, encoding="utf-8")
    files = {
        "aa/town.yaml": "name: 甲镇\n",
        "aa/projects/road/brief.md": _brief("甲镇道路工程", 300, "2023-07-26", "2023-08-25"),
        "aa/projects/park/brief.md": _brief("甲镇游园工程", 600, "2023-07-31", "2023-09-29"),
        "aa/reports/2023-07-28.md": _report(
            "甲镇",
            "2023-07-28",
            "2023-07-26",
            "2023-07-28",
            [("road", 10, 30, 30), ("park", 0, 0, 0)],
        ),
        "aa/reports/2023-08-04.md": _report(
            "甲镇",
            "2023-08-04",
            "2023-07-29",
            "2023-08-04",
            [("road", 30, 60, 90), ("park", 5, 20, 20)],
        ),
        "aa/reports/2023-08-11.md": _report(
            "甲镇", "2023-08-11", "2023-08-05", "2023-08-11", [("road", 40, 30, 120)]
        ),
        "bb/town.yaml": "name: 乙镇\n",
        "bb/projects/lamp/brief.md": _brief("乙镇亮化工程", 50, "2023-07-26", "2023-08-10"),
        "bb/reports/2023-08-05.md": _report(
            "乙镇", "2023-08-05", "2023-07-26", "2023-08-04", [("lamp", 60, 30, 30)]
        ),
        "bb/reports/2023-08-11.md": _report(
            "乙镇", "2023-08-11", "2023-08-05", "2023-08-11", [("lamp", 100, 20, 50)]
        ),
        "cc/town.yaml": "name: 丙镇\n",
        "cc/projects/well/brief.md": _brief("丙镇供水工程", 80, "2023-08-01", "2023-09-20"),
    }
    for name, text in files.items():
        (towns / name).parent.mkdir(parents=True, exist_ok=True)
        (towns / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _district(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def progress(small: Path) -> Progress:
    built = open_session(small).progress
    assert built is not None
    return built


def test_weeks_are_numbered_from_the_first_reporting_day_of_the_phase(progress: Progress) -> None:
    # The phase starts on Wednesday 26 July: 第1期 closes on Friday 28 July; the latest report
    # (11 August) is in 第3期.
    assert progress.weeks == (
        Week(1, D(2023, 7, 22), D(2023, 7, 28), D(2023, 7, 28)),
        Week(2, D(2023, 7, 29), D(2023, 8, 4), D(2023, 8, 4)),
        Week(3, D(2023, 8, 5), D(2023, 8, 11), D(2023, 8, 11)),
    )
    assert progress.week_of(D(2023, 8, 7)) == progress.weeks[2]
    assert progress.week_of(D(2023, 8, 12)) is None
    assert progress.latest_week() == progress.weeks[2]
    assert progress.tolerance == Decimal(10) and progress.towns == ("aa", "bb", "cc")


def test_plan_line_and_lag_worked_by_hand(progress: Progress) -> None:
    road, park = progress.projects["aa/road"], progress.projects["aa/park"]
    # road: 26 Jul → 25 Aug (30 days). On 4 Aug 9/30 = 30.0 %, reported 30 %: on the line.
    assert road.planned_percent(D(2023, 8, 4)) == Decimal("30.0")
    assert not road.lagging(D(2023, 8, 4), Decimal(10))
    # On 11 Aug 16/30 = 53.3 %, reported 40 %: 13.3 points behind, more than 10: 滞后.
    assert road.planned_percent(D(2023, 8, 11)) == Decimal("53.3")
    assert road.lagging(D(2023, 8, 11), Decimal(10))
    assert not road.lagging(D(2023, 8, 11), Decimal(14))
    # park: 31 Jul → 29 Sep (60 days); left out of 第3期, its latest figure is 4 Aug's 5 %;
    # on 11 Aug the line is 11/60 = 18.3 %: 13.3 behind, 滞后 too.
    assert park.at(D(2023, 8, 11)) is not None and park.percent_at(D(2023, 8, 11)) == 5
    assert park.planned_percent(D(2023, 8, 11)) == Decimal("18.3")
    assert park.lagging(D(2023, 8, 11), Decimal(10))
    assert park.planned_percent(D(2023, 7, 28)) == 0 and park.planned_percent(D(2023, 10, 1)) == 100
    lamp = progress.projects["bb/lamp"]
    # lamp is done on 11 Aug (deadline 10 Aug): finished, so no longer behind.
    assert lamp.finished_on() == D(2023, 8, 11) and road.finished_on() is None
    assert not lamp.lagging(D(2023, 8, 11), Decimal(10))
    # Before its first report nothing is measured (the week's 未按时报送 says it).
    assert lamp.at(D(2023, 8, 4)) is None and not lamp.lagging(D(2023, 8, 4), Decimal(10))
    assert dict(road.funding) == {"区级财政": Decimal(300)} and road.total_investment == 300


def test_town_weeks_worked_by_hand(progress: Progress) -> None:
    week1, week2, week3 = progress.weeks
    # 未按时报送: 乙镇's first report is dated Saturday 5 Aug, after both weeks it covers;
    # 丙镇 never reports.
    assert progress.late_towns(week1) == ("bb", "cc")
    assert progress.late_towns(week2) == ("bb", "cc")
    assert progress.late_towns(week3) == ("cc",)
    aa3 = progress.town_week("aa", week3)
    assert aa3.on_time and aa3.report is not None
    assert aa3.report.path == "towns/aa/reports/2023-08-11.md"
    assert aa3.missing == ("park",)  # 未报
    assert sorted(aa3.lagging) == ["park", "road"]  # 滞后
    assert aa3.week_investment == 30
    assert aa3.cumulative == 120 + 20  # road's 11 Aug, park's latest (4 Aug)
    assert aa3.planned_total == 900
    aa2 = progress.town_week("aa", week2)
    assert aa2.missing == () and aa2.lagging == () and aa2.week_investment == 80
    assert aa2.cumulative == 110
    bb1 = progress.town_week("bb", week1)
    assert not bb1.on_time and bb1.report is not None
    assert bb1.report.path == "towns/bb/reports/2023-08-05.md"
    cc3 = progress.town_week("cc", week3)
    assert cc3.report is None and not cc3.on_time and cc3.missing == () and cc3.cumulative == 0


def test_checker_names_the_late_report_and_nothing_for_the_timely(small: Path) -> None:
    _, result = pipeline.run_check(small, Selection(select=("TP52",)), D(2023, 9, 20))
    found = [(f.code, str(f.ref)) for f in result.findings]
    assert ("TP520", "towns/bb/reports/2023-08-05.md:5") in found
    assert not any("towns/aa/" in ref for _, ref in found)
    late = next(f for f in result.findings if f.code == "TP520")
    assert "报送日期 2023-08-05 晚于报告期止 2023-08-04 所在周（第2期" in late.message
    assert "towns/district.yaml:12" in late.message


@pytest.mark.parametrize(
    ("raw", "day"), [("星期五", 4), ("周四", 3), ("礼拜日", 6), ("Friday", 4), ("周八", None)]
)
def test_weekday_names(raw: str, day: int | None) -> None:
    assert parse_weekday(raw) == day


def test_sample_series_has_its_documented_shape(repo: Path) -> None:
    """towns/README.md: 北杜镇 misses 第1期; 窑店镇 and 底张镇's first report covers 第1期 late;
    projects behind at 第8期; 窑店镇's public toilets finished 20 days before the deadline."""
    built = open_session(repo).progress
    assert built is not None
    assert [w.number for w in built.weeks] == list(range(1, 9))
    assert built.late_towns(built.weeks[0]) == ("yaodian", "dizhang", "beidu")
    assert all(built.late_towns(week) == () for week in built.weeks[1:])
    last = built.weeks[-1]
    lagging = {t: built.town_week(t, last).lagging for t in built.towns}
    assert lagging["beidu"] == ("greening-belt",)
    assert all(built.town_week(t, w).missing == () for t in built.towns for w in built.weeks)
    toilets = built.projects["yaodian/public-toilets"]
    assert toilets.finished_on() == D(2023, 8, 11) and toilets.deadline == D(2023, 8, 31)


@pytest.mark.parametrize("year", ["10000000000000000000000000000000", "0", "-5"])
def test_a_plan_year_no_date_can_hold_leaves_the_weeks_unknown_and_the_check_said(
    tmp_path: Path, year: str
) -> None:
    """``make fuzz`` found a plan year of 10**30 with no implementation phase in district.yaml:
    the weeks were counted from a date Python cannot make (OverflowError, not a finding)."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    district = root / "towns/district.yaml"
    text = district.read_text(encoding="utf-8").replace("plan_year: 2023", f"plan_year: {year}")
    text = text.replace(
        "  - {key: implement, label: 项目实施阶段, start: 2023-07-26, end: 2023-09-25}\n", ""
    )
    district.write_text(text, encoding="utf-8")
    _, result = pipeline.run_check(root, Selection(), dt.date(2023, 9, 20))
    assert any(f.ref.path == "towns/district.yaml" for f in result.findings)
