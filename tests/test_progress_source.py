"""One source for progress: a brief that leaves out its 形象进度百分比 or 累计完成投资 is shown with
the weekly reports' figures, and a dated document shows them as of its own date (the 项目简介汇编,
the 建设计划's 项目一览表, the district summary and serve's dashboard)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tests.conftest import copy_workspace
from townplans.load import load_workspace
from townplans.model import Project, Town
from townplans.profile import load_profile
from townplans.render import documents

TOWN = "towns/weicheng"
MARKET = f"{TOWN}/projects/market-upgrade/brief.md"
# market-upgrade's reports (towns/weicheng/reports): 18 August 25 % / 210万元, 15 September
# 68 % / 640万元; its brief states 70 % and 660万元 as of 18 September.


def _without(root: Path, path: str, *keys: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    for key in keys:
        text, count = re.subn(rf"^{key}: .*\n", "", text, flags=re.MULTILINE)
        assert count == 1, key
    file.write_text(text, encoding="utf-8")


def _assembler(root: Path) -> tuple[documents.Assembler, Town]:
    profile = load_profile(root / "templates/profile.yaml", root).profile
    assert profile is not None
    workspace = load_workspace(root, profile)
    templates = documents.Templates(root / "templates/documents")
    town = workspace.town("weicheng")
    assert town is not None
    return documents.Assembler(root, profile, templates, workspace.district), town


def _form(assembler: documents.Assembler, town: Town, slug: str) -> dict[str, str]:
    project = next(p for p in town.projects if p.slug == slug)
    form = assembler._brief_form(town, project, None)
    return {row["label"]: row["value"] for row in form["form"]}


def test_a_brief_without_its_figures_shows_the_reports(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    assembler, town = _assembler(root)
    stated = _form(assembler, town, "market-upgrade")
    assert (stated["形象进度百分比"], stated["累计完成投资"]) == ("70%", "660万元")
    summary = assembler.investments(town, [])
    assert summary[-1] == "5150"  # the briefs' 1850 + 960 + 660 + 1680

    _without(root, MARKET, "progress_percent", "cumulative_investment")
    assembler, town = _assembler(root)
    # As of the brief's 进度截至日期 (18 September): the report of 15 September, named.
    shown = _form(assembler, town, "market-upgrade")
    assert shown["形象进度百分比"] == "68%（据2023年9月15日周报）"
    assert shown["累计完成投资"] == "640万元（据2023年9月15日周报）"
    # The district summary and serve's dashboard: the latest report's 640, not 0.
    assert assembler.investments(town, [])[-1] == "5130"


def test_a_brief_as_of_an_earlier_day_shows_that_days_report(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _without(root, MARKET, "progress_percent", "cumulative_investment")
    file = root / MARKET
    file.write_text(
        file.read_text(encoding="utf-8").replace(
            "progress_date: 2023-09-18", "progress_date: 2023-08-20"
        ),
        encoding="utf-8",
    )
    assembler, town = _assembler(root)
    shown = _form(assembler, town, "market-upgrade")
    assert shown["形象进度百分比"] == "25%（据2023年8月18日周报）"
    assert shown["累计完成投资"] == "210万元（据2023年8月18日周报）"


def test_a_construction_plan_shows_progress_as_of_its_own_date(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    assembler, town = _assembler(root)
    market = next(p for p in town.projects if p.slug == "market-upgrade")
    culture = next(p for p in town.projects if p.slug == "culture-square")  # begun 20 July

    def progress(day: dt.date, project: Project = market) -> str:
        return str(assembler._project_row(town, project, day)["progress"])

    # The brief's 70 % speaks for 18 September: a plan dated 20 August prints the report of
    # 18 August, not the brief's later figure, nor the report of 15 September.
    assert progress(dt.date(2023, 8, 20)) == "25%"
    assert progress(dt.date(2023, 9, 16)) == "68%"
    assert progress(dt.date(2023, 9, 18)) == "70%"  # from then on the brief's own
    # Dated before any report: nothing reported yet; before its 开工日期 the project is 未开工.
    assert progress(dt.date(2023, 7, 24)) == "未开工"  # market-upgrade begins 1 August
    assert progress(dt.date(2023, 7, 24), culture) == "—"
