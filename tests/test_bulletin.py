"""The 工作进度通报, the 考核评分 and the workbook of a small district whose figures are worked out
by hand here.

Two towns of the sample, their reports replaced by three written here:

渭城镇 (projects and plans from the sample's briefs)
  9月8日  binhe-road 92% 160/1650, sewage-network 65% 210/1350, culture-square 100% 90/960,
          market-upgrade 55% 120/520
  9月15日 binhe-road 100% 200/1850, culture-square 100% 0/960, market-upgrade 68% 120/640
          (sewage-network left out: 未报)
北杜镇
  9月8日  beidu-market 65% 150/560, school-road 100% 0/290, greening-belt 35% 90/220
  9月15日 no report: 未按时报送

At 9月15日, tolerance 10 points (plan line from start to deadline):
  market-upgrade  68 against (9-15 − 8-01)/(9-20 − 8-01) = 45/50 = 90.0 → 滞后
  sewage-network  65 (its 9月8日 figure) against 51/61 = 83.6 → 滞后
  binhe-road 100, culture-square 100 (finished 9月8日, deadline 9月10日: 提前2天, commended)
  beidu-market    65 against 45/55 = 81.8 → 滞后
  greening-belt   35 against 41/51 = 80.4 → 滞后
  school-road     100 (finished after its deadline, not behind)
Week 9月9日–15日: 渭城镇 week investment 200+0+120 = 320, cumulative 1850+1350+960+640 = 4800
of 1850+2100+960+950 = 5860 (81.9%); 北杜镇 0, 560+290+220 = 1070 of 860+290+640 = 1790 (59.8%).
Scores (schedule 25, reporting 15; the programme's reporting weeks run from 第1期, 7月28日, so
9月15日 is 第8期 and six weeks before 9月8日 went unreported by both): 渭城镇 25×2/4 = 12.5 and
15×(1 + 3/4)/8 = 3.3; 北杜镇 25×1/3 = 8.3 and 15×1/8 = 1.9; no inspection recorded: that criterion
is not scored.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import docx
import pytest

from townplans.check import Selection
from townplans.render import bulletin
from townplans.render.style import load_style
from townplans.session import run_check

REPORT = """---
title: {name}小城镇建设工作进度周报（{date}）
period_start: {start}
period_end: {date}
date: {date}
reporter: {name}人民政府
signer: 王立新
contact: 赵敏 029-33216502
projects:
{rows}
---

# 一、本周工作进展

本周按计划推进各项目建设。

# 二、存在问题

无。

# 三、下周工作计划

继续推进。
"""

WEICHENG = {
    "2023-09-08": [
        ("binhe-road", "92%", "160万元", "1650万元"),
        ("sewage-network", "65%", "210万元", "1350万元"),
        ("culture-square", "100%", "90万元", "960万元"),
        ("market-upgrade", "55%", "120万元", "520万元"),
    ],
    "2023-09-15": [
        ("binhe-road", "100%", "200万元", "1850万元"),
        ("culture-square", "100%", "0万元", "960万元"),
        ("market-upgrade", "68%", "120万元", "640万元"),
    ],
}
BEIDU = {
    "2023-09-08": [
        ("beidu-market", "65%", "150万元", "560万元"),
        ("school-road", "100%", "0万元", "290万元"),
        ("greening-belt", "35%", "90万元", "220万元"),
    ],
}
STARTS = {"2023-09-08": "2023-09-02", "2023-09-15": "2023-09-09"}


def _write_reports(
    root: Path, town: str, name: str, reports: dict[str, list[tuple[str, str, str, str]]]
) -> None:
    folder = root / "towns" / town / "reports"
    for old in folder.glob("*.md"):
        old.unlink()
    for date, rows in reports.items():
        lines = "\n".join(
            f"  - {{project: {p}, progress_percent: {pc}, week_investment: {w}, "
            f"cumulative_investment: {c}, issues: 无, next_week: 继续施工}}"
            for p, pc, w, c in rows
        )
        text = REPORT.format(name=name, date=date, start=STARTS[date], rows=lines)
        (folder / f"{date}.md").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import copy_workspace

    root = copy_workspace(tmp_path_factory.mktemp("bulletin") / "ws", ("weicheng", "beidu"))
    _write_reports(root, "weicheng", "渭城镇", WEICHENG)
    _write_reports(root, "beidu", "北杜镇", BEIDU)
    return root


@pytest.fixture(scope="module")
def graph(district: Path) -> object:
    from townplans import targets

    session, result = run_check(district, Selection())
    return targets.Graph(session, load_style(session.paths.style), result)


def test_lagging_missing_and_late_are_worked_out_as_by_hand(graph: object) -> None:
    from townplans.render.bulletin import figures

    weeks = graph.reported_weeks()  # type: ignore[attr-defined]
    assert [w.end.isoformat() for w in weeks] == ["2023-09-08", "2023-09-15"]
    data = figures(graph.session.workspace.district, graph.progress, weeks[-1])  # type: ignore[attr-defined]
    rows = {r.name: r for r in data.towns}
    assert sorted((lag.town, lag.project) for lag in data.lagging) == sorted(
        [("渭城镇", _title(graph, "weicheng", "market-upgrade")),
         ("渭城镇", _title(graph, "weicheng", "sewage-network")),
         ("北杜镇", _title(graph, "beidu", "beidu-market")),
         ("北杜镇", _title(graph, "beidu", "greening-belt"))]
    )  # fmt: skip
    assert [p for t, p in data.missing if t == "渭城镇"] == [
        _title(graph, "weicheng", "sewage-network")
    ]
    assert data.late == ("北杜镇",)
    assert (str(rows["渭城镇"].week_investment), str(rows["渭城镇"].cumulative)) == ("320", "4800")
    assert str(rows["渭城镇"].planned) == "5860" and str(rows["渭城镇"].share) == "81.9"
    assert (str(rows["北杜镇"].week_investment), str(rows["北杜镇"].cumulative)) == ("0", "1070")
    assert str(rows["北杜镇"].share) == "59.8" and rows["北杜镇"].reported == "未报送"
    assert any(_title(graph, "weicheng", "culture-square") in c and "提前2天" in c
               for c in data.commended)  # fmt: skip


def test_scores_are_the_points_worked_out_by_hand(graph: object) -> None:
    scores = graph.scores()  # type: ignore[attr-defined]
    by_town = {t.name: {i.criterion.key: i for i in t.items} for t in scores.towns}
    assert str(by_town["渭城镇"]["schedule"].points) == "12.5"
    assert str(by_town["渭城镇"]["reporting"].points) == "3.3"
    assert str(by_town["北杜镇"]["schedule"].points) == "8.3"
    assert str(by_town["北杜镇"]["reporting"].points) == "1.9"
    assert by_town["渭城镇"]["inspection"].points is None
    assert str(scores.maximum) == "80"  # the inspection's 20 points are not scored
    totals = [t.total for t in scores.towns]
    assert totals == sorted(totals, reverse=True) and scores.towns[0].rank == 1


@pytest.mark.slow
def test_bulletin_tables_charts_and_workbook_hold_the_same_figures(
    district: Path, graph: object
) -> None:
    from openpyxl import load_workbook

    from townplans import build
    from townplans.pipeline import run_bulletin

    outcome = run_bulletin(district)
    assert outcome.number == 8 and not outcome.failed, outcome.findings
    docx_path, pdf_path = sorted(outcome.files, key=lambda p: p.suffix)
    document = docx.Document(str(docx_path))
    # 表1 in the body (eight columns, portrait), the whole headline opening the landscape 附件1.
    body, whole = (t for t in document.tables if t.rows[0].cells[0].text == "镇")
    assert (len(body.columns), len(whole.columns)) == (8, 11)
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in whole.rows[1:]}
    assert cells["渭城镇"][4:8] == ["320", "4800", "5860", "81.9%"]
    assert cells["北杜镇"][4:9] == ["0", "1070", "1790", "59.8%", "未报送"]
    # The same texts; each table's own column widths break a long head in its own places.
    assert [[c.text.replace("\n", "") for c in row.cells] for row in body.rows] == [
        [c.text.replace("\n", "") for c in row.cells][:8] for row in whole.rows
    ]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "北杜镇未在报送日前报送本期周报" in text
    # The charts: images in Word, text in the PDF (its labels searchable, in embedded faces).
    assert len(document.inline_shapes) == 3  # investment, and one per town
    pdf_text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
    for label in (
        "各镇累计完成投资（截至第8期）",
        "渭城镇项目形象进度与计划进度",
        "计划进度（虚线）",
    ):
        assert label in pdf_text, label
    fonts = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]  # fmt: skip
    assert fonts and all(" yes " in line for line in fonts), fonts
    # The workbook: the same numbers, stored as numbers.
    output = next(o for o in graph.progress_outputs() if o.name.endswith("工作进度台账"))  # type: ignore[attr-defined]
    (target,) = output.targets
    made: build.Made = target.make()
    path = district / "book.xlsx"
    path.write_bytes(made.data)
    book = load_workbook(path)
    sheet = book["第8期（9月15日）"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert (rows["渭城镇"][4].value, rows["渭城镇"][5].value) == (320, 4800)
    assert rows["渭城镇"][4].number_format == "#,##0.00"
    assert abs(rows["北杜镇"][7].value - 0.598) < 1e-9 and rows["北杜镇"][7].number_format == "0.0%"
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["A"].width == 10
    scores = {row[1].value: row for row in book["考核评分"].iter_rows(min_row=2)}
    assert scores["渭城镇"][4].value == 12.5 and scores["北杜镇"][5].value == 1.9
    assert "台账" in book.sheetnames


def _title(graph: object, town: str, slug: str) -> str:
    return str(graph.progress.projects[f"{town}/{slug}"].title)  # type: ignore[attr-defined]


def _pages(pdf: Path) -> list[str]:
    """Each page's text as pdftotext -layout sets it out."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    return text.split("\f")


@pytest.mark.slow
def test_weekly_report_and_scores_pages_as_looked_at(built_district: Path) -> None:
    """The pages looked at (pdftoppm): the 周报's header items each whole on a line (two to a
    line broke 报送日期's date and 签发人's name), the 考核评分表 opening with its title and its
    ranked table on the portrait first page (it stood alone on a landscape page after a page
    with one paragraph)."""
    build = built_district / "build"
    report = _pages(build / "weicheng/渭城镇小城镇建设工作进度周报（第8期）.pdf")[0]
    lines = [line.strip() for line in report.splitlines()]
    for item in ("报送单位：渭城镇人民政府", "报送日期：2023年9月15日",
                 "统计时段：2023年9月9日至9月15日"):  # fmt: skip
        assert item in lines, item
    assert any(line.startswith("签发人：王立新") for line in lines)
    words = docx.Document(str(build / "weicheng/渭城镇小城镇建设工作进度周报（第8期）.docx"))
    heads = [p.text.replace("\u2060", "") for p in words.paragraphs if "：" in p.text][:4]
    assert heads[:3] == [
        "报送单位：渭城镇人民政府", "报送日期：2023年9月15日", "统计时段：2023年9月9日至9月15日"
    ]  # fmt: skip
    scores = build / "咸阳市渭城区小城镇建设考核评分表.pdf"
    first = _pages(scores)[0]
    assert "咸阳市渭城区小城镇建设考核评分表" in first
    ranked = [line.split()[:2] for line in first.splitlines() if line.split()[:1] == ["1"]]
    assert ["1", "正阳镇"] in ranked  # the ranked table is on page 1
    size = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(scores)], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    portrait = [line for line in size.splitlines() if "size:" in line and "x 841.89" in line]
    pages = [line for line in size.splitlines() if line.startswith("Page") and "size:" in line]
    assert pages and portrait == pages, pages  # no landscape page


def test_a_reports_period_is_written_as_its_date_is() -> None:
    assert bulletin.period_text("2023-09-09", "2023-09-15") == "2023年9月9日至9月15日"
    assert bulletin.period_text("2023-12-29", "2024-01-04") == "2023年12月29日至2024年1月4日"
    assert bulletin.period_text("7月下旬", "2023-07-28") == "7月下旬至2023年7月28日"  # as written
