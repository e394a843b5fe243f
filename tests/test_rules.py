"""Every rule has a failing fixture (a broken copy of 渭城镇, the right code at the right line) and a
passing one (渭城镇 as committed, which triggers nothing)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from PIL import Image

from tests.conftest import REPO, copy_workspace
from tests.media_fixture import BEIJING, grey_placeholder, reencode, with_date, with_gps
from townplans import pipeline
from townplans.check import Selection
from townplans.model import Finding
from townplans.rules import all_rules

TODAY = dt.date(2023, 9, 20)
TOWN = "towns/weicheng"
BRIEF = f"{TOWN}/projects/binhe-road/brief.md"
PLAN = f"{TOWN}/construction-plan.md"
CENTER = f"{TOWN}/detailed-plans/center/plan.md"
PARCELS = f"{TOWN}/detailed-plans/center/parcels.yaml"
LAND_USE = f"{TOWN}/master-plan/02-land-use.md"
GENERAL = f"{TOWN}/master-plan/01-general.md"
MARKET = f"{TOWN}/projects/market-upgrade/brief.md"
INFRASTRUCTURE = f"{TOWN}/master-plan/03-infrastructure.md"
IMPLEMENTATION = f"{TOWN}/master-plan/04-implementation.md"
SITE = f"{TOWN}/detailed-plans/binhe-road/plan.md"


def check(root: Path, towns: tuple[str, ...] = ("weicheng",)) -> list[Finding]:
    _, result = pipeline.run_check(root, Selection(towns=towns), TODAY)
    return list(result.findings)


def edit(root: Path, path: str, old: str, new: str, count: int = 1) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text, f"fixture text not in {path}: {old!r}"
    file.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(root: Path, path: str, needle: str) -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


@dataclass(frozen=True)
class Case:
    code: str
    break_it: Callable[[Path], object]
    path: str
    line: Callable[[Path], int | None] | None = None
    fragment: str = ""


def at(path: str, needle: str) -> Callable[[Path], int | None]:
    return lambda root: line_of(root, path, needle)


def _truncate(root: Path) -> None:
    photo = root / TOWN / "projects/binhe-road/photos/before/before-1.jpg"
    photo.write_bytes(photo.read_bytes()[:3000])


def _strip_exif(root: Path) -> None:
    photo = root / TOWN / "projects/sewage-network/photos/progress/progress-2.jpg"
    with Image.open(photo) as image:
        image.convert("RGB").save(photo, "JPEG")


def _unpaired_after_photos(root: Path) -> None:
    """Before/after photos with no pair:, names that do not match and no GPS: only the order."""
    project = root / TOWN / "projects/binhe-road"
    edit(root, f"{TOWN}/projects/binhe-road/photos.yaml", ", pair: after-1.jpg}", "}")
    edit(root, f"{TOWN}/projects/binhe-road/photos.yaml", ", pair: after-2.jpg}", "}")
    for number in (1, 2):
        source = project / f"photos/after/after-{number}.jpg"
        with Image.open(source) as image:
            exif = image.getexif()
            del exif[0x8825]  # GPSInfo
            image.save(project / f"photos/after/a{number}.jpg", "JPEG", exif=exif)
        source.unlink()


def _one_more_before_photo(root: Path) -> None:
    before = root / TOWN / "projects/binhe-road/photos/before"
    with Image.open(before / "before-2.jpg") as image:
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
            before / "before-3.jpg", "JPEG", exif=image.getexif()
        )


def _report_gap(root: Path) -> None:
    reports = root / TOWN / "reports"
    text = (reports / "2023-09-15.md").read_text(encoding="utf-8")
    text = text.replace("2023-09-09", "2023-09-23").replace("2023-09-15", "2023-09-29")
    (reports / "2023-09-29.md").write_text(text, encoding="utf-8")
    (reports / "2023-09-15.md").unlink()


def _report_saturday(root: Path) -> None:
    """The 第8期 report sent on the Saturday after its week (its period still ends on Friday)."""
    reports = root / TOWN / "reports"
    text = (reports / "2023-09-15.md").read_text(encoding="utf-8")
    (reports / "2023-09-16.md").write_text(
        text.replace("date: 2023-09-15", "date: 2023-09-16"), encoding="utf-8"
    )
    (reports / "2023-09-15.md").unlink()


def _first_weeks_unreported(root: Path) -> None:
    """渭城镇's first two reports (第1、2期) taken away: its series starts on 11 August."""
    reports = root / TOWN / "reports"
    (reports / "2023-07-28.md").unlink()
    (reports / "2023-08-04.md").unlink()


def _swap_site_plan_headings(root: Path) -> None:
    plan = f"{TOWN}/detailed-plans/binhe-road/plan.md"
    edit(root, plan, "# 二、现状分析", "# 二、总平面布局")
    edit(root, plan, "# 三、总平面布局", "# 三、现状分析")


def _waivers(text: str) -> Callable[[Path], object]:
    return lambda root: (root / TOWN / "waivers.yaml").write_text(text, encoding="utf-8")


def _extra_town(root: Path) -> None:
    shutil.copytree(root / "towns/beidu", root / "towns/extra")


CASES = [
    Case(
        "TP001",
        lambda r: (r / TOWN / "detailed-plans/empty").mkdir(),
        f"{TOWN}/detailed-plans/empty",
        None,
        "缺少文本 plan.md",
    ),
    Case(
        "TP002",
        lambda r: edit(r, f"{TOWN}/town.yaml", "mayor: 王立新", "mayor: [王立新"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "working_group:"),
        "结构从第 5 行开始",
    ),
    Case(
        "TP003",
        lambda r: (r / BRIEF).write_bytes(
            (r / BRIEF).read_text(encoding="utf-8").encode("gb18030")
        ),
        BRIEF,
        lambda r: 2,
        "GB18030",
    ),
    Case(
        "TP004",
        lambda r: edit(r, BRIEF, "nature: 改扩建", "nature: 改扩建\n建设性质: 新建"),
        BRIEF,
        at(BRIEF, "建设性质:"),
        "同一个字段",
    ),
    Case(
        "TP005",
        lambda r: (r / TOWN / "master-plan/drawings/05-roads.png").unlink(),
        f"{TOWN}/master-plan/04-implementation.md",
        at(f"{TOWN}/master-plan/04-implementation.md", "05-roads.png"),
        "不存在",
    ),
    Case("TP006", _extra_town, "towns/extra", None, "未在 district.yaml"),
    Case(
        "TP007",
        lambda r: edit(r, f"{TOWN}/construction-plan.md", "---\n\n为贯彻", "\n为贯彻"),
        f"{TOWN}/construction-plan.md",
        lambda r: 1,
        "结束标记",
    ),
    Case(
        "TP008",
        lambda r: edit(r, BRIEF, "nature: 改扩建", "natrue: 改扩建"),
        BRIEF,
        at(BRIEF, "natrue"),
        "未知字段“natrue”",
    ),
    Case(
        "TP009",
        lambda r: edit(
            r,
            f"{TOWN}/master-plan/01-general.md",
            "规划范围为渭城镇",
            "![x](../../../../etc/hostname)规划范围为渭城镇",
        ),
        f"{TOWN}/master-plan/01-general.md",
        at(f"{TOWN}/master-plan/01-general.md", "etc/hostname"),
        "工作区以外",
    ),
    Case(
        "TP010",
        lambda r: shutil.copy(r / TOWN / "reports/2023-09-08.md", r / TOWN / "reports/第7期.md"),
        f"{TOWN}/reports/第7期.md",
        None,
        "YYYY-MM-DD",
    ),
    Case(
        "TP011",
        lambda r: (r / TOWN / "master-plan/05-outside.md").symlink_to("/etc/passwd"),
        f"{TOWN}/master-plan/05-outside.md",
        None,
        "/etc/passwd",
    ),
    Case(
        "TP012",
        lambda r: os.mkfifo(r / TOWN / "reports/2023-09-22.md"),
        f"{TOWN}/reports/2023-09-22.md",
        None,
        "命名管道",
    ),
    Case(
        "TP013",
        lambda r: (r / TOWN / "master-plan/05-huge.md").write_bytes(b"# x\n" + b"a" * 6_000_000),
        f"{TOWN}/master-plan/05-huge.md",
        None,
        "文件过大",
    ),
    Case(
        "TP014",
        lambda r: edit(r, f"{TOWN}/town.yaml", "mayor: 王立新", "mayor: 王立\x07新"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "mayor:"),
        "响铃符 BEL",
    ),
    Case(
        "TP018",
        lambda r: (r / BRIEF).write_text(
            (r / BRIEF).read_text(encoding="utf-8").split("\n---\n", 1)[1], encoding="utf-8"
        ),
        BRIEF,
        lambda r: 1,
        "没有 YAML 前置信息",
    ),
    Case(
        "TP019",
        lambda r: edit(r, BRIEF, "investment: 1850万元", "投资：1850万元"),
        BRIEF,
        None,
        "已跳过",
    ),
    Case(
        "TP101",
        lambda r: (r / TOWN / "construction-plan.md").unlink(),
        f"{TOWN}/construction-plan.md",
        None,
        "缺少建设计划",
    ),
    Case(
        "TP102",
        lambda r: edit(r, f"{TOWN}/construction-plan.md", "# 三、建设标准", "# 三、其他事项"),
        f"{TOWN}/construction-plan.md",
        at(f"{TOWN}/construction-plan.md", "# 四、项目安排"),
        "缺少必备章节“建设标准”",
    ),
    Case(
        "TP103",
        lambda r: _swap_site_plan_headings(r),
        f"{TOWN}/detailed-plans/binhe-road/plan.md",
        at(f"{TOWN}/detailed-plans/binhe-road/plan.md", "# 三、现状分析"),
        "应排在",
    ),
    Case(
        "TP104",
        lambda r: edit(
            r,
            f"{TOWN}/construction-plan.md",
            "（一）7月25日前：确定建设项目，编制项目简介并报区住建局。\n\n（二）7月26日至9月25日：全面组织实施，9月25日前全部完工。\n\n（三）9月26日起：迎接区级观摩，整理图册、图纸和展板。",
            "【待填写：完成时限】",
        ),
        f"{TOWN}/construction-plan.md",
        at(f"{TOWN}/construction-plan.md", "# 五、完成时限"),
        "没有正文",
    ),
    Case(
        "TP105",
        lambda r: edit(r, f"{TOWN}/town.yaml", "  - name: 重点生态功能区", "  - name: 生态区"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "zones:"),
        "重点生态功能区",
    ),
    Case(
        "TP106",
        lambda r: edit(r, f"{TOWN}/town.yaml", "    timing: 长期保护，禁止新增建设\n", ""),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "- name: 重点生态功能区"),
        "缺少建设时序",
    ),
    Case(
        "TP107",
        lambda r: edit(
            r,
            f"{TOWN}/town.yaml",
            "  parking: {status: 已建, name: 渭城街公共停车场（120个泊位）}\n",
            "",
        ),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "facilities:"),
        "停车场",
    ),
    Case(
        "TP108",
        lambda r: edit(r, f"{TOWN}/town.yaml", "安全通道, 消防设施]", "安全通道]"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "  market:"),
        "消防设施",
    ),
    Case(
        "TP201",
        lambda r: edit(r, BRIEF, "owner: 渭城镇人民政府\n", ""),
        BRIEF,
        lambda r: 2,
        "“建设单位”（owner）",
    ),
    Case(
        "TP202",
        lambda r: edit(r, BRIEF, "investment: 1850万元", "investment: 一千八百五十万元"),
        BRIEF,
        at(BRIEF, "investment: 一千"),
        "不是金额",
    ),
    Case(
        "TP203",
        lambda r: edit(r, BRIEF, "category: 道路建设", "category: 道路"),
        BRIEF,
        at(BRIEF, "category:"),
        "不在允许范围内",
    ),
    Case(
        "TP204",
        lambda r: edit(r, BRIEF, "progress_percent: 100%", "progress_percent: 120%"),
        BRIEF,
        at(BRIEF, "progress_percent:"),
        "超出允许范围 0–100",
    ),
    Case(
        "TP205",
        lambda r: edit(
            r, BRIEF, "{source: 镇自筹, amount: 400万元}", "{source: 镇自筹, amount: 300万元}"
        ),
        BRIEF,
        at(BRIEF, "investment:"),
        "而资金来源合计 = 800万元（上级补助，",
    ),
    Case(
        "TP208",
        lambda r: edit(
            r, f"{TOWN}/detailed-plans/center/parcels.yaml", "{id: WC-05,", "{id: WC-03,"
        ),
        f"{TOWN}/detailed-plans/center/parcels.yaml",
        at(f"{TOWN}/detailed-plans/center/parcels.yaml", "文体科技用地"),
        "第一次在第 4 行",
    ),
    Case(
        "TP206",
        lambda r: edit(
            r,
            f"{TOWN}/detailed-plans/center/parcels.yaml",
            "far: 2.0, density: 40%",
            "far: 2.0, density: 85%",
        ),
        f"{TOWN}/detailed-plans/center/parcels.yaml",
        at(f"{TOWN}/detailed-plans/center/parcels.yaml", "WC-04"),
        "WC-04",
    ),
    Case(
        "TP207",
        lambda r: edit(r, "towns/district.yaml", "plan_title: 2023小城镇发展建设实施方案\n", ""),
        "towns/district.yaml",
        None,
        "实施方案名称",
    ),
    Case(
        "TP301",
        lambda r: (r / TOWN / "projects/culture-square/boards/board.png").unlink(),
        f"{TOWN}/projects/culture-square/boards",
        None,
        "展板有 0 个，至少应有 1 个",
    ),
    Case(
        "TP302",
        lambda r: shutil.rmtree(r / TOWN / "projects/binhe-road/photos/after"),
        BRIEF,
        at(BRIEF, "progress_percent:"),
        "建成后照片只有 0 张",
    ),
    Case(
        "TP303",
        lambda r: shutil.copy(
            r / TOWN / "master-plan/drawings/01-township-status.png",
            r / TOWN / "master-plan/drawings/08-extra.png",
        ),
        f"{TOWN}/master-plan/drawings/08-extra.png",
        None,
        "没有列出",
    ),
    Case(
        "TP304", _truncate, f"{TOWN}/projects/binhe-road/photos/before/before-1.jpg", None, "截断"
    ),
    Case(
        "TP305",
        lambda r: edit(r, BRIEF, "  land: 不适用（原有道路改造，不新增用地）", "  land: 不适用"),
        BRIEF,
        at(BRIEF, "  land: 不适用"),
        "没有说明原因",
    ),
    Case(
        "TP306",
        lambda r: (r / TOWN / "projects/binhe-road/photos/before/说明.docx").write_bytes(b"PK"),
        f"{TOWN}/projects/binhe-road/photos/before/说明.docx",
        None,
        "不是施工前照片接受的类型",
    ),
    Case(
        "TP307",
        lambda r: edit(
            r,
            f"{TOWN}/projects/binhe-road/photos.yaml",
            "after-2.jpg: {place",
            "after-3.jpg: {place",
        ),
        f"{TOWN}/projects/binhe-road/photos.yaml",
        at(f"{TOWN}/projects/binhe-road/photos.yaml", "after-3.jpg"),
        "没有这个文件",
    ),
    Case(
        "TP308",
        lambda r: shutil.copy(
            r / TOWN / "projects/binhe-road/drawings/site-plan.png",
            r / TOWN / "projects/binhe-road/drawings/site-plan-2.jpg",
        ),
        f"{TOWN}/projects/binhe-road/drawings/site-plan-2.jpg",
        None,
        "实际是 PNG 格式",
    ),
    Case(
        "TP309",
        lambda r: shutil.copy(
            r / TOWN / "projects/binhe-road/photos/before/before-1.jpg",
            r / TOWN / "projects/binhe-road/photos/after/after-3.jpg",
        ),
        f"{TOWN}/projects/binhe-road/photos/after/after-3.jpg",
        None,
        "却分属不同阶段",
    ),
    Case(
        "TP330",
        lambda r: reencode(
            r / TOWN / "projects/binhe-road/photos/before/before-1.jpg",
            r / "towns/beidu/projects/school-road/photos/progress/progress-3.jpg",
        ),
        "towns/beidu/projects/school-road/photos/progress/progress-3.jpg",
        None,
        f"与 {TOWN}/projects/binhe-road/photos/before/before-1.jpg 是同一画面",
    ),
    Case(
        "TP331",
        lambda r: grey_placeholder(
            r / TOWN / "projects/market-upgrade/photos/progress/progress-2.jpg",
            r / TOWN / "projects/market-upgrade/photos/progress/progress-1.jpg",
        ),
        f"{TOWN}/projects/market-upgrade/photos/progress/progress-1.jpg",
        None,
        "画面几乎是一片纯色",
    ),
    Case(
        "TP332",
        lambda r: with_gps(
            r / TOWN / "projects/sewage-network/photos/before/before-1.jpg", *BEIJING
        ),
        f"{TOWN}/projects/sewage-network/photos/before/before-1.jpg",
        None,
        "距咸阳市渭城区约",
    ),
    Case(
        "TP333",
        lambda r: with_date(
            r / TOWN / "projects/binhe-road/photos/before/before-2.jpg",
            dt.datetime(2023, 8, 1, 9, 0),
        ),
        f"{TOWN}/projects/binhe-road/photos/before/before-2.jpg",
        None,
        "晚于项目开工日期 2023-07-28",
    ),
    Case(
        "TP334",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-08.md",
            "# 二、存在问题",
            "![现场](../projects/binhe-road/photos/after/after-1.jpg)\n\n# 二、存在问题",
        ),
        f"{TOWN}/reports/2023-09-08.md",
        at(f"{TOWN}/reports/2023-09-08.md", "![现场]"),
        "晚于本文件的报送日期 2023-09-08",
    ),
    Case(
        "TP310",
        lambda r: edit(
            r,
            f"{TOWN}/master-plan/01-general.md",
            "规划范围为渭城镇",
            "![现状图](drawings/03 现状.png)规划范围为渭城镇",
        ),
        f"{TOWN}/master-plan/01-general.md",
        at(f"{TOWN}/master-plan/01-general.md", "03 现状"),
        "<drawings/03 现状.png>",
    ),
    Case(
        "TP209",
        lambda r: edit(r, f"{TOWN}/construction-plan.md", "print_date: 2023年7月24日\n", ""),
        f"{TOWN}/construction-plan.md",
        at(f"{TOWN}/construction-plan.md", "print_office:"),
        "填写了印发机关（print_office）但没有印发日期（print_date）",
    ),
    Case(
        "TP210",
        lambda r: edit(
            r,
            f"{TOWN}/master-plan/01-general.md",
            "status: 送审稿\n",
            "status: 送审稿\ncompare_to: weicheng-总体规划-征求意见稿\n",
        ),
        f"{TOWN}/master-plan/01-general.md",
        at(f"{TOWN}/master-plan/01-general.md", "compare_to:"),
        "compare_to：工作区不在 git 仓库中",
    ),
    Case(
        "TP311",
        _unpaired_after_photos,
        f"{TOWN}/projects/binhe-road/photos/after/a1.jpg",
        None,
        "只能按文件顺序与施工前照片 before-1.jpg 对比",
    ),
    Case(
        "TP312",
        _one_more_before_photo,
        f"{TOWN}/projects/binhe-road/photos",
        None,
        "施工前照片 3 张、建成后照片 2 张",
    ),
    Case(
        "TP401",
        lambda r: edit(r, f"{TOWN}/town.yaml", "value: 33.5%", "value: 25%"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "value: 25%"),
        "未达到区级目标：不低于 30%",
    ),
    Case(
        "TP402",
        lambda r: edit(
            r,
            f"{TOWN}/town.yaml",
            "  gas_rate:\n    value: 72%\n    口径: 建成区用气人口/建成区常住人口（管道天然气）\n    source: 区燃气公司渭城营业所\n",
            "",
        ),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "indicators:"),
        "燃气气化率",
    ),
    Case(
        "TP403",
        lambda r: edit(
            r, f"{TOWN}/town.yaml", "    口径: 建成区用气人口/建成区常住人口（管道天然气）\n", ""
        ),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "value: 72%"),
        "没有写明口径",
    ),
    Case(
        "TP404",
        lambda r: edit(r, f"{TOWN}/town.yaml", "    source: 区燃气公司渭城营业所\n", ""),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "value: 72%"),
        "数据来源",
    ),
    Case(
        "TP405",
        lambda r: edit(r, f"{TOWN}/town.yaml", "value: 72%", "value: 较高"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "value: 较高"),
        "不是百分数",
    ),
    Case(
        "TP406",
        lambda r: None,
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "value: 92%"),
        "目标值无法辨认",
    ),
    Case(
        "TP407",
        lambda r: edit(
            r,
            f"{TOWN}/town.yaml",
            "built_up_population_last_year: 26350人",
            "built_up_population_last_year: 24000人",
        ),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "value: 4.7%"),
        "计算为 15.0%",
    ),
    Case(
        "TP501",
        lambda r: edit(r, BRIEF, "deadline: 2023-09-15", "deadline: 2023-09-31"),
        BRIEF,
        at(BRIEF, "deadline:"),
        "9月只有30天",
    ),
    Case(
        "TP502",
        lambda r: edit(r, BRIEF, "deadline: 2023-09-15", "deadline: 2023-10-30"),
        BRIEF,
        at(BRIEF, "deadline:"),
        "晚于项目实施阶段结束日期 2023-09-25",
    ),
    Case(
        "TP503",
        lambda r: edit(r, BRIEF, "submitted: 2023-07-24", "submitted: 2023-07-28"),
        BRIEF,
        at(BRIEF, "submitted:"),
        "晚于项目简介报送截止 2023-07-25（7月25日前报区小城镇建设领导小组办公室（区住建局））",
    ),
    Case("TP504", _report_gap, f"{TOWN}/reports/2023-09-29.md", lambda r: 1, "相隔 21 天"),
    Case(
        "TP520",
        _report_saturday,
        f"{TOWN}/reports/2023-09-16.md",
        at(f"{TOWN}/reports/2023-09-16.md", "date: 2023-09-16"),
        "报送日期 2023-09-16 晚于报告期止 2023-09-15 所在周（第8期，2023-09-09至2023-09-15）的报送日"
        " 2023-09-15：每周报送日为星期五（towns/district.yaml:22）",
    ),
    Case(
        "TP521",
        _first_weeks_unreported,
        f"{TOWN}/reports/2023-08-11.md",
        lambda r: 1,
        "第1期（2023-07-22至2023-07-28，报送日 2023-07-28）没有周报：本镇第一期周报是"
        " towns/weicheng/reports/2023-08-11.md（2023-08-11）",
    ),
    Case(
        "TP505",
        lambda r: edit(
            r,
            f"{TOWN}/projects/binhe-road/photos.yaml",
            "caption: 改造前路面破损、无人行道",
            "caption: 改造前路面破损、无人行道, date: 2023-09-30",
        ),
        f"{TOWN}/projects/binhe-road/photos/before/before-1.jpg",
        None,
        "晚于建成后照片 after-2.jpg 的 2023-09-17",
    ),
    Case(
        "TP506",
        _strip_exif,
        f"{TOWN}/projects/sewage-network/photos/progress/progress-2.jpg",
        None,
        "没有拍摄日期",
    ),
    Case(
        "TP507",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-15.md",
            "period_start: 2023-09-09",
            "period_start: 2023-09-19",
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "period_start"),
        "晚于报告期止",
    ),
    Case(
        "TP508",
        lambda r: edit(r, "towns/district.yaml", "start: 2023-07-18", "start: 2023-07-20"),
        "towns/district.yaml",
        at("towns/district.yaml", "key: define"),
        "源方案为 2023-07-18",
    ),
    Case(
        "TP509",
        lambda r: edit(r, BRIEF, "submitted: 2023-07-24", "submitted: 2017-07-24"),
        BRIEF,
        at(BRIEF, "submitted:"),
        "不在规划年度 2023 年内",
    ),
    Case(
        "TP510",
        lambda r: edit(
            r,
            "towns/district.yaml",
            "plan_title: 2023小城镇发展建设实施方案",
            "plan_title: 2023小城镇发展建设实施方案（2023年2月30日印发）",
        ),
        "towns/district.yaml",
        at("towns/district.yaml", "plan_title"),
        "2023年2月只有28天",
    ),
    Case(
        "TP510",
        lambda r: edit(
            r,
            f"{TOWN}/detailed-plans/center/parcels.yaml",
            "facilities: 公共停车场}",
            "facilities: 公共停车场, approved: 2023-09-31}",
        ),
        f"{TOWN}/detailed-plans/center/parcels.yaml",
        at(f"{TOWN}/detailed-plans/center/parcels.yaml", "2023-09-31"),
        "2023年9月只有30天",
    ),
    Case(
        "TP510",
        lambda r: edit(r, BRIEF, "总投资1850万元", "计划9月31日前完工，总投资1850万元"),
        BRIEF,
        at(BRIEF, "9月31日"),
        "9月只有30天",
    ),
    Case(
        "TP202",
        lambda r: edit(r, BRIEF, "leader: 李国强（副镇长）", "leader: 待定"),
        BRIEF,
        at(BRIEF, "leader:"),
        "占位文字“待定”",
    ),
    Case(
        "TP511",
        lambda r: edit(r, BRIEF, "start: 2023-07-28", "start: 2023-09-20"),
        BRIEF,
        at(BRIEF, "start:"),
        "晚于完成时限",
    ),
    Case(
        "TP601",
        lambda r: edit(r, BRIEF, "title: 滨河路道路改造工程", "title: 滨河路改造工程"),
        BRIEF,
        at(BRIEF, "title:"),
        "未列入建设计划",
    ),
    Case(
        "TP602",
        lambda r: edit(r, f"{TOWN}/construction-plan.md", "| 1850 |", "| 1950 |"),
        BRIEF,
        at(BRIEF, "investment:"),
        "建设计划项目表为 1950",
    ),
    Case(
        "TP603",
        lambda r: edit(r, BRIEF, "deadline: 2023-09-15", "deadline: 2023-09-16"),
        BRIEF,
        at(BRIEF, "deadline:"),
        "建设计划项目表为 2023年9月15日",
    ),
    Case(
        "TP604",
        lambda r: edit(r, BRIEF, "leader: 李国强（副镇长）", "leader: 张伟（副镇长）"),
        BRIEF,
        at(BRIEF, "leader:"),
        "建设计划项目表为“李国强”",
    ),
    Case(
        "TP605",
        lambda r: edit(
            r, f"{TOWN}/reports/2023-09-15.md", "{project: culture-square,", "{project: culture-sq,"
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "culture-sq,"),
        "“culture-sq”不存在",
    ),
    Case(
        "TP606",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-15.md",
            "  - {project: culture-square, progress_percent: 100%, week_investment: 0万元, cumulative_investment: 960万元, issues: 无, next_week: 办理竣工验收备案}\n",
            "",
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "projects:"),
        "渭城文化广场建设项目",
    ),
    Case(
        "TP607",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-15.md",
            "cumulative_investment: 640万元",
            "cumulative_investment: 500万元",
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "500万元"),
        "少于上一期",
    ),
    Case(
        "TP608",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-15.md",
            "week_investment: 200万元, cumulative_investment: 1850万元",
            "week_investment: 400万元, cumulative_investment: 2050万元",
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "2050万元"),
        "超过项目简介中的总投资 1850",
    ),
    Case(
        "TP609",
        lambda r: edit(
            r, f"{TOWN}/detailed-plans/center/parcels.yaml", "area: 12.6公顷", "area: 13.6公顷"
        ),
        f"{TOWN}/detailed-plans/center/parcels.yaml",
        at(f"{TOWN}/detailed-plans/center/parcels.yaml", "WC-01"),
        "文本表格为 12.6",
    ),
    Case(
        "TP610",
        lambda r: edit(r, f"{TOWN}/town.yaml", "  - name: 产业发展区", "  - name: 商贸物流区"),
        f"{TOWN}/projects/market-upgrade/brief.md",
        at(f"{TOWN}/projects/market-upgrade/brief.md", "zone:"),
        "“产业发展区”未在 town.yaml",
    ),
    Case(
        "TP611",
        lambda r: edit(
            r,
            f"{TOWN}/projects/market-upgrade/brief.md",
            "cumulative_investment: 660万元",
            "cumulative_investment: 600万元",
        ),
        f"{TOWN}/projects/market-upgrade/brief.md",
        at(f"{TOWN}/projects/market-upgrade/brief.md", "cumulative_investment"),
        "少于 2023-09-15 周报的 640",
    ),
    Case(
        "TP612",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-15.md",
            "week_investment: 120万元, cumulative_investment: 640万元",
            "week_investment: 100万元, cumulative_investment: 640万元",
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "week_investment: 100万元"),
        "= 620万元",
    ),
    Case(
        "TP613",
        lambda r: edit(
            r,
            f"{TOWN}/reports/2023-09-15.md",
            "project: market-upgrade, progress_percent: 68%",
            "project: market-upgrade, progress_percent: 40%",
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "market-upgrade"),
        "进度不应倒退",
    ),
    Case(
        "TP614",
        lambda r: edit(
            r,
            "towns/district.yaml",
            "{slug: weicheng, name: 渭城镇}",
            "{slug: weicheng, name: 渭城街道}",
        ),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "name: 渭城镇"),
        "渭城街道",
    ),
    Case(
        "TP615",
        lambda r: edit(r, BRIEF, "总投资1850万元", "总投资1580万元"),
        BRIEF,
        at(BRIEF, "总投资1580万元"),
        "第 9 行",
    ),
    Case(
        "TP616",
        lambda r: edit(r, GENERAL, "version: v2.0\nrevisions:", "version: v2.1\nrevisions:"),
        GENERAL,
        at(GENERAL, "- version: v2.0"),
        "与本稿的版本号“v2.1”",
    ),
    Case(
        "TP901",
        lambda r: edit(
            r,
            "templates/profile.yaml",
            "type: area_km2\n    unit: km²",
            "type: area_km\n    unit: km²",
        ),
        "templates/profile.yaml",
        at("templates/profile.yaml", "type: area_km\n"[:-1]),
        "实为“area_km”",
    ),
    Case(
        "TP902",
        _waivers("- {code: TP401, reason: 秋季补植后达标}\n"),
        f"{TOWN}/waivers.yaml",
        lambda r: 1,
        "没有写明批准人",
    ),
    Case(
        "TP903",
        _waivers("- {code: TP406, reason: 已报区住建局, approver: 刘向东, expires: 2023-08-31}\n"),
        f"{TOWN}/waivers.yaml",
        lambda r: 1,
        "已于 2023-08-31 过期",
    ),
    Case(
        "TP904",
        _waivers(
            "- {code: TP401, reason: 秋季补植后达标, approver: 刘向东, expires: 2023-12-31}\n"
        ),
        f"{TOWN}/waivers.yaml",
        lambda r: 1,
        "没有对应的问题",
    ),
    # The reviewer rules: references, placeholders, formats, magnitude, arithmetic, identity.
    Case(
        "TP110",
        lambda r: edit(r, CENTER, "商业地块WC-04设置", "商业地块WC-14设置"),
        CENTER,
        at(CENTER, "WC-14"),
        "“WC-14”不存在",
    ),
    Case(
        "TP111",
        lambda r: edit(r, PLAN, "制定本计划。", "制定本计划（项目明细见附件2）。"),
        PLAN,
        at(PLAN, "见附件2"),
        "只有 1 个附件",
    ),
    Case(
        "TP112",
        lambda r: edit(r, IMPLEMENTATION, "2. 建立规划", "2. 按本规划第十二章建立规划"),
        IMPLEMENTATION,
        at(IMPLEMENTATION, "第十二章"),
        "没有这一章",
    ),
    Case(
        "TP113",
        lambda r: edit(r, INFRASTRUCTURE, "# 第六章 公用工程设施", "# 第五章 公用工程设施"),
        INFRASTRUCTURE,
        at(INFRASTRUCTURE, "# 第五章 公用工程设施"),
        "编号重复",
    ),
    Case(
        "TP114",
        lambda r: edit(
            r,
            IMPLEMENTATION,
            "![镇区工程管线规划图]",
            "![镇区道路规划图](drawings/05-roads.png)\n\n![镇区工程管线规划图]",
        ),
        IMPLEMENTATION,
        at(IMPLEMENTATION, "![镇区道路规划图]"),
        "标题不同",
    ),
    Case(
        "TP115",
        lambda r: edit(
            r, BRIEF, "  approval: 已办理", "  approval: 已办理（见 permits/立项批复.pdf）"
        ),
        BRIEF,
        at(BRIEF, "approval:"),
        "permits/立项批复.pdf",
    ),
    Case(
        "TP116",
        lambda r: edit(
            r, BRIEF, "《渭城镇滨河路沿线修建性详细规划》", "《渭城镇滨河路修建性详细规划》"
        ),
        BRIEF,
        at(BRIEF, "《渭城镇滨河路修建性详细规划》"),
        "最接近的是《渭城镇滨河路沿线修建性详细规划》",
    ),
    Case(
        "TP120",
        lambda r: edit(r, BRIEF, "location: 渭城镇滨河路（西环路", "location: 渭城镇滨河路（XX路"),
        BRIEF,
        at(BRIEF, "location:"),
        "占位内容“XX”",
    ),
    Case(
        "TP220",
        lambda r: edit(r, PLAN, "渭城镇发〔2023〕21号", "渭城镇发[2023]21号"),
        PLAN,
        at(PLAN, "doc_number:"),
        "六角括号",
    ),
    Case(
        "TP221",
        lambda r: edit(r, f"{TOWN}/town.yaml", "phone: 029-33216502", "phone: 029-3321650"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "phone:"),
        "格式有误",
    ),
    Case(
        "TP222",
        lambda r: edit(r, PLAN, "到2023年9月25日，", "到2023年09月25日，"),
        PLAN,
        at(PLAN, "2023年09月25日"),
        "不编虚位",
    ),
    Case(
        "TP223",
        lambda r: edit(r, PARCELS, "{id: WC-04, use: C4,", "{id: WC-04, use: C9,"),
        PARCELS,
        at(PARCELS, "WC-04"),
        "“C9”不在 GB 50188-2007",
    ),
    Case(
        "TP224",
        lambda r: edit(r, LAND_USE, "| M | 生产设施用地 |", "| M | 居住用地 |"),
        LAND_USE,
        at(LAND_USE, "| M | 居住用地 |"),
        "代码与名称应一致",
    ),
    Case(
        "TP225",
        lambda r: edit(r, "towns/district.yaml", "phone: 029-33218866", "phone: 010-33218866"),
        "towns/district.yaml",
        at("towns/district.yaml", "phone:"),
        "区号不是本地区号 029",
    ),
    Case(
        "TP410",
        lambda r: edit(r, BRIEF, "investment: 1850万元", "investment: 18500000万元"),
        BRIEF,
        at(BRIEF, "investment:"),
        "把元当作了万元",
    ),
    Case(
        "TP411",
        lambda r: edit(r, PLAN, "| 重点景观建设区 | 1850 |", "| 重点景观建设区 | 1850元 |"),
        PLAN,
        at(PLAN, "1850元"),
        "表头单位为万元",
    ),
    Case(
        "TP412",
        lambda r: edit(r, CENTER, "总用地86.4公顷", "总用地84.6公顷"),
        CENTER,
        at(CENTER, "总用地84.6公顷"),
        "86.4 公顷不一致",
    ),
    Case(
        "TP413",
        lambda r: edit(r, PLAN, "镇区东部，约68公顷", "镇区东部，约86公顷"),
        PLAN,
        at(PLAN, "约86公顷"),
        "towns/weicheng/town.yaml",
    ),
    Case(
        "TP414",
        lambda r: edit(r, f"{TOWN}/town.yaml", "area: 68公顷", "area: 680000公顷"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "area: 680000公顷"),
        "疑似把平方米当作了公顷",
    ),
    Case(
        "TP620",
        lambda r: edit(r, LAND_USE, "| 合计 |  | 410.5 |", "| 合计 |  | 401.5 |"),
        LAND_USE,
        at(LAND_USE, "| 合计 |"),
        "之和为 410.5",
    ),
    Case(
        "TP621",
        lambda r: edit(r, LAND_USE, "| 48.2 | 11.7 |", "| 48.2 | 17.1 |"),
        LAND_USE,
        at(LAND_USE, "| 合计 |"),
        "应为 100%",
    ),
    Case(
        "TP622",
        lambda r: edit(r, PLAN, "总投资5860万元", "总投资5680万元"),
        PLAN,
        at(PLAN, "总投资5680万元"),
        "合计 5860万元",
    ),
    Case(
        "TP623",
        lambda r: edit(r, BRIEF, "区级财政650万元，镇自筹", "区级财政560万元，镇自筹"),
        BRIEF,
        at(BRIEF, "区级财政560万元"),
        "为 650万元",
    ),
    Case(
        "TP630",
        lambda r: edit(r, PLAN, "| 周海涛 |\n", "| 周海滔 |\n"),
        PLAN,
        at(PLAN, "周海滔"),
        "只差一个字",
    ),
    Case(
        "TP631",
        lambda r: edit(r, PLAN, "leader: 王立新（镇长）", "leader: 王利民（镇长）"),
        PLAN,
        at(PLAN, "leader:"),
        "镇长是“王立新”",
    ),
    Case(
        "TP632",
        lambda r: edit(r, BRIEF, "location: 渭城镇滨河路", "location: 窑店镇滨河路"),
        BRIEF,
        at(BRIEF, "location:"),
        "写的是窑店镇",
    ),
    Case(
        "TP633",
        lambda r: edit(r, f"{TOWN}/reports/2023-09-15.md", "（第8期）", "（第7期）"),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "title:"),
        "重复",
    ),
    Case(
        "TP634",
        lambda r: edit(r, BRIEF, "category: 道路建设", "category: 集贸市场"),
        BRIEF,
        at(BRIEF, "category:"),
        "“道路建设”类",
    ),
    Case(
        "TP415",
        lambda r: edit(r, GENERAL, "建成区常住人口2.64万人", "建成区常住人口3.64万人"),
        GENERAL,
        at(GENERAL, "3.64万人"),
        "towns/weicheng/town.yaml:10 记载为 26350人",
    ),
    Case(
        "TP512",
        lambda r: edit(r, MARKET, "progress_date: 2023-09-18", "progress_date: 2023-10-18"),
        MARKET,
        at(MARKET, "progress_date:"),
        "晚于今天（2023-09-20）",
    ),
    Case(
        "TP624",
        lambda r: edit(r, GENERAL, "中心村3个：", "中心村4个："),
        GENERAL,
        at(GENERAL, "中心村4个"),
        "实际列出 3 个",
    ),
    Case(
        "TP625",
        lambda r: edit(r, BRIEF, "路灯108盏、", "路灯180盏、"),
        BRIEF,
        at(BRIEF, "安装路灯108盏"),
        "写“路灯180盏”",
    ),
    Case(
        "TP635",
        lambda r: edit(
            r,
            PLAN,
            "| 1 | 滨河路道路改造工程 | 重点景观建设区 |",
            "| 1 | 滨河路道路改造工程 | 居住发展区 |",
        ),
        PLAN,
        at(PLAN, "| 1 | 滨河路道路改造工程"),
        f"项目简介（{BRIEF}:4）为“重点景观建设区”",
    ),
    Case(
        "TP636",
        lambda r: edit(r, f"{TOWN}/town.yaml", "status: 镇", "status: 街道"),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "status:"),
        "两者应一致",
    ),
    Case(
        "TP637",
        lambda r: edit(r, IMPLEMENTATION, "近期（至2025年）", "近期（至2026年）"),
        IMPLEMENTATION,
        at(IMPLEMENTATION, "至2026年"),
        # the line the committed text has it on (the front matter above it grows with revisions)
        f"而 {GENERAL}:{line_of(REPO, GENERAL, '近期至2025年')} 等处为“2025年”",
    ),
    Case(
        "TP638",
        lambda r: edit(r, PLAN, "title: 渭城镇2023年", "title: 渭城镇2022年"),
        PLAN,
        at(PLAN, "title:"),
        "不是规划年度 2023",
    ),
    # The registries (templates/knowledge): citations, places, hierarchy, permits, definitions.
    Case(
        "TP320",
        lambda r: edit(
            r, GENERAL, "《镇规划标准》（GB 50188—2007）", "《村镇规划标准》（GB 50188—93）"
        ),
        GENERAL,
        at(GENERAL, "GB 50188—93"),
        "已于2007年5月1日被代替",
    ),
    Case(
        "TP321",
        lambda r: edit(
            r, GENERAL, "《镇规划标准》（GB 50188—2007）", "《镇规划标准》（GB 50137—2011）"
        ),
        GENERAL,
        at(GENERAL, "GB 50137—2011"),
        "GB 50137",
    ),
    Case(
        "TP322",
        lambda r: edit(
            r,
            CENTER,
            "《城市、镇控制性详细规划编制审批办法》",
            "《城镇控制性详细规划技术规程》（CJJ/T 301-2021）",
        ),
        CENTER,
        at(CENTER, "CJJ/T 301-2021"),
        "未收录",
    ),
    Case(
        "TP323",
        lambda r: edit(
            r, f"{TOWN}/projects/sewage-network/brief.md", "渭城街、纬一路", "渭城街、经一路"
        ),
        f"{TOWN}/projects/sewage-network/brief.md",
        at(f"{TOWN}/projects/sewage-network/brief.md", "location:"),
        "经一路",
    ),
    Case(
        "TP324",
        lambda r: edit(
            r, PLAN, "recipient: 区小城镇建设工作领导小组", "recipient: 咸阳市住房和城乡建设局"
        ),
        PLAN,
        at(PLAN, "recipient:"),
        "不是本区小城镇建设工作层级中的报送对象",
    ),
    Case(
        "TP325",
        lambda r: edit(r, PLAN, "issuer: 渭城镇人民政府", "issuer: 渭城镇规划建设办"),
        PLAN,
        at(PLAN, "issuer:"),
        "不是本镇的党委或人民政府",
    ),
    Case(
        "TP326",
        lambda r: edit(r, "towns/district.yaml", "（区住建局）", "（区发改局）"),
        "towns/district.yaml",
        at("towns/district.yaml", "lead_office:"),
        "办公室设在区住建局",
    ),
    Case(
        "TP416",
        lambda r: edit(
            r, BRIEF, "  construction: 已办理", "  construction: 不适用（投资额低于限额）"
        ),
        BRIEF,
        at(BRIEF, "  construction:"),
        "施工许可",
    ),
    Case(
        "TP417",
        lambda r: edit(r, BRIEF, "  tender: 已办理", "  tender: 不适用（镇政府自建）"),
        BRIEF,
        at(BRIEF, "  tender:"),
        "必须招标",
    ),
    Case(
        "TP418",
        lambda r: edit(
            r,
            f"{TOWN}/projects/culture-square/brief.md",
            "  planning_works: 已办理",
            "  planning_works: 未办理",
        ),
        f"{TOWN}/projects/culture-square/brief.md",
        None,
        "建设工程规划许可",
    ),
    Case(
        "TP419",
        lambda r: edit(
            r,
            f"{TOWN}/town.yaml",
            "口径: 建成区绿化覆盖面积/建成区面积（含行道树投影）",
            "口径: 建成区各类绿地面积/建成区面积",
        ),
        f"{TOWN}/town.yaml",
        at(f"{TOWN}/town.yaml", "口径: 建成区各类绿地面积"),
        "绿地率",
    ),
    Case(
        "TP515",
        lambda r: edit(
            r,
            PLAN,
            "结合我镇实际，制定本计划。",
            "结合我镇实际，制定本计划。8月30日已完成首次质量检测。",
        ),
        PLAN,
        at(PLAN, "8月30日已完成"),
        "晚于本文件的日期",
    ),
    Case(
        "TP639",
        lambda r: edit(
            r, f"{TOWN}/reports/2023-09-15.md", "赵敏 029-33216502", "姚琳 029-33892140"
        ),
        f"{TOWN}/reports/2023-09-15.md",
        at(f"{TOWN}/reports/2023-09-15.md", "contact:"),
        "北杜镇",
    ),
    # What a 控规's parcel figures allow together (rules/parcels.py).
    Case(
        "TP211",
        lambda r: edit(r, PARCELS, "area: 14.2公顷, far: 1.6,", "area: 14.2公顷, far: 4.6,"),
        PARCELS,
        at(PARCELS, "far: 4.6"),
        "只能达到约",
    ),
    Case(
        "TP212",
        lambda r: edit(
            r, CENTER, "总用地86.4公顷。", "总用地86.4公顷。全部地块建筑高度统一控制在24米以下。"
        ),
        PARCELS,
        at(PARCELS, "id: WC-01"),
        "超过本规划",
    ),
    Case(
        "TP213",
        lambda r: edit(r, SITE, "滨河路西起西环路", "规划范围位于控规WC-03地块。滨河路西起西环路"),
        SITE,
        at(SITE, "area: 18.5公顷"),
        "大于所在的控规地块",
    ),
    # The fact engines (issue 21): agreement, derivation, implication, order, containment.
    Case(
        "TP640",
        lambda r: edit(r, PLAN, "| 重点景观建设区 | 960 |", "| 重点景观建设区 | 690 |"),
        PLAN,
        at(PLAN, "| 690 |"),
        "写 960万元",
    ),
    Case(
        "TP641",
        lambda r: (
            edit(
                r,
                PLAN,
                "建设项目4个，总投资5860万元。\n\n| 序号",
                "建设项目4个，总投资5860万元。\n\n# 附：项目安排表\n\n| 序号",
            )
            or edit(r, PLAN, "建设项目4个", "建设项目5个")
        ),
        PLAN,
        at(PLAN, "建设项目5个"),
        "而本镇的项目计有 4 个",
    ),
    Case(
        "TP642",
        lambda r: edit(
            r,
            MARKET,
            "progress: 大棚钢结构完成，停车场基层完成，消防管网正在安装",
            "progress: 全部完工",
        ),
        MARKET,
        at(MARKET, "progress: 全部完工"),
        "形象进度百分比为“70%”",
    ),
    Case(
        "TP643",
        lambda r: edit(
            r, PLAN, "制定本计划。", "制定本计划。截至2023年8月1日，项目简介已全部报送。"
        ),
        PLAN,
        at(PLAN, "截至2023年8月1日"),
        "晚于文件日期 2023年7月24日",
    ),
    Case(
        "TP644",
        lambda r: edit(r, CENTER, "总用地86.4公顷。", "总用地86.4公顷，规划期限2023—2040年。"),
        CENTER,
        at(CENTER, "规划期限2023—2040年"),
        "不在《渭城镇总体规划（2021—2035年）》",
    ),
    # A plan's revision history (issue 19): dates, versions and stages in order.
    Case(
        "TP513",
        lambda r: (
            edit(r, GENERAL, "date: 2023-06-28\nstatus:", "date: 2023-10-08\nstatus:"),
            edit(r, GENERAL, "    date: 2023-06-28", "    date: 2023-10-08"),
        ),
        GENERAL,
        at(GENERAL, "    date: 2023-10-08"),
        "第 2 条（v2.0）的日期 2023-10-08 晚于今天（2023-09-20）",
    ),
    Case(
        "TP514",
        lambda r: edit(r, GENERAL, "    date: 2023-04-20", "    date: 2099-01-01"),
        GENERAL,
        at(GENERAL, "    date: 2099-01-01"),
        f"晚于本稿的编制日期 2023-06-28（第 {line_of(REPO, GENERAL, 'date: 2023-06-28')} 行）",
    ),
    Case(
        "TP514",
        lambda r: edit(r, SITE, "date: 2023-06-18", "date: 2023-05-01"),
        SITE,
        at(SITE, "date: 2023-05-01"),
        f"早于上一条的 2023-05-20（第 {line_of(REPO, SITE, 'date: 2023-05-20')} 行）",
    ),
    Case(
        "TP617",
        lambda r: edit(r, GENERAL, "  - version: v1.0", "  - version: v3.0"),
        GENERAL,
        at(GENERAL, "  - version: v2.0"),
        f"“v2.0”小于上一条（第 {line_of(REPO, GENERAL, '- version: v1.0')} 行的“v3.0”）",
    ),
    Case(
        "TP618",
        lambda r: (
            edit(
                r,
                SITE,
                "status: 征求意见稿, summary: 完成方案初稿",
                "status: 报批稿, summary: 完成方案初稿",
            ),
            edit(r, SITE, "status: 报批稿, summary: 按专家", "status: 征求意见稿, summary: 按专家"),
        ),
        SITE,
        at(SITE, "{version: v2.0"),
        "第 2 条的成果阶段“征求意见稿”早于上一条的“报批稿”",
    ),
    # Raw HTML and table size (rules/markup.py).
    Case(
        "TP015",
        lambda r: edit(
            r,
            f"{TOWN}/master-plan/03-infrastructure.md",
            "规划公共停车场4处，共320个泊位；",
            "规划公共停车场4处，\n共<b>320</b>个泊位；",
        ),
        f"{TOWN}/master-plan/03-infrastructure.md",
        at(f"{TOWN}/master-plan/03-infrastructure.md", "共<b>320</b>"),
        "行内原始 HTML“<b></b>”",
    ),
    Case(
        "TP016",
        lambda r: edit(
            r,
            f"{TOWN}/master-plan/03-infrastructure.md",
            "## 第十二条 停车设施\n",
            '## 第十二条 停车设施\n\n<table>\n<tr><td>停车场</td>\n<td rowspan="100000">320</td></tr>\n</table>\n',
        ),
        f"{TOWN}/master-plan/03-infrastructure.md",
        at(f"{TOWN}/master-plan/03-infrastructure.md", 'rowspan="100000"'),
        "超过上限 1000",
    ),
    Case(
        "TP017",
        lambda r: edit(
            r,
            f"{TOWN}/master-plan/03-infrastructure.md",
            "规划公共停车场4处，共320个泊位；",
            "规划公共停车场4处，\n共320个泊位。\\newpage 近期",
        ),
        f"{TOWN}/master-plan/03-infrastructure.md",
        at(f"{TOWN}/master-plan/03-infrastructure.md", "\\newpage 近期"),
        "原样打印为“\\newpage”",
    ),
]


FAULT_RULES = {"TP990"}
"""Rules no content can trigger (an unexpected failure); ``test_hardening`` provokes them."""


def test_every_rule_has_a_failing_fixture() -> None:
    assert {case.code for case in CASES} | FAULT_RULES == {rule.code for rule in all_rules()}


ACROSS_TOWNS = {"TP330", "TP639"}
"""Cases whose mistake involves the other town's files (one town's figure in the other's text)."""


def _towns_of(case: Case) -> tuple[str, ...]:
    """The town a case breaks, copied and checked alone (half the loading of both); both when the
    case is about the district, the templates, or a mistake across towns (``ACROSS_TOWNS``)."""
    parts = case.path.split("/")
    alone = parts[0] == "towns" and len(parts) > 2 and case.code not in ACROSS_TOWNS
    return (parts[1],) if alone else ("weicheng", "beidu")


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_rule_fires_at_the_right_place(case: Case, tmp_path: Path) -> None:
    # The whole district stays listed: TP632 needs the other towns' names (窑店镇).
    towns = _towns_of(case)
    root = copy_workspace(tmp_path / "ws", towns, list_all=True)
    case.break_it(root)
    findings = [f for f in check(root, towns) if f.code == case.code]
    assert findings, f"{case.code} did not fire"
    matching = [f for f in findings if f.ref.path == case.path and case.fragment in f.message]
    assert matching, [str(f) for f in findings]
    if case.line is not None:
        expected = case.line(root)
        assert any(f.ref.line == expected for f in matching), ([str(f) for f in matching], expected)
    assert all(re.search(r"[\u4e00-\u9fff]", f.message) for f in findings)  # Chinese messages


def test_clean_town_is_the_passing_fixture_for_every_rule(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    findings = check(root)
    # Only the honest infos: two garbled targets, the phase end to confirm, and the 试行 citation
    # the registry cannot confirm (towns/README.md).
    assert sorted(f.code for f in findings) == ["TP322", "TP406", "TP406", "TP508"]


def test_unknown_target_is_not_reported_once_the_district_confirms_it(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng", "beidu"))
    edit(
        root,
        "templates/profile.yaml",
        "    target: null\n    status: garbled\n    ref: R04",
        "    target: 85\n    ref: R04",
    )
    codes = [(f.code, f.message) for f in check(root)]
    assert not any(code == "TP406" and "路网覆盖率" in message for code, message in codes)


def test_raw_html_and_table_sizes_are_judged_as_the_writers_render_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TP015 says what prints as text or is dropped, TP016 what is cut; a <br> and a plain HTML
    table are fine."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    chapter = f"{TOWN}/master-plan/03-infrastructure.md"
    wide = "|" + " 列 |" * 65 + "\n|" + "---|" * 65 + "\n|" + " 1 |" * 65 + "\n"
    long = "| 序号 | 名称 |\n|---|---|\n" + "".join(f"| {i} | 甲 |\n" for i in range(1, 13))
    edit(
        root,
        chapter,
        "## 第十二条 停车设施\n",
        "## 第十二条 停车设施\n\n<div>说明</div>\n\n<!-- 修改说明：依据评审意见 -->\n\n"
        "第三行<!-- 注：不打印 -->文字\n\n"
        "<table><tr><td>甲<br>乙</td><td><font>丙</font></td></tr></table>\n\n"
        "第一行<br>第二行\n\n" + wide + "\n" + long,
    )
    monkeypatch.setattr("townplans.limits.MAX_TABLE_ROWS", 10)
    found = [
        (f.code, f.ref.line, f.message)
        for f in check(root)
        if f.code in ("TP015", "TP016") and f.ref.path == chapter
    ]
    expected = [
        ("TP015", "<div>", "原始 HTML“<div>说明</div>”不会按 HTML 排版"),
        ("TP015", "<font>", "HTML 表格中有 1 处不支持的标签或属性：不支持的标签 <font> 不输出"),
        ("TP016", "| 列 |", "表格有 65 列，超过上限 64 列：第 65 列起不输出"),
        ("TP016", "| 10 | 甲 |", "表格有 13 行，超过上限 10 行：第 11 行起不输出"),
    ]
    located = sorted(
        (code, line_of(root, chapter, needle), text) for code, needle, text in expected
    )
    assert len(found) == len(located), found
    for (code, line, message), (want_code, want_line, fragment) in zip(
        sorted(found), located, strict=True
    ):
        assert (code, line) == (want_code, want_line) and fragment in message, message


def test_only_page_breaks_that_print_as_text_are_reported(tmp_path: Path) -> None:
    """TP017 fires where ``\\newpage`` prints as text (after other text, in a cell or a heading),
    never for a page break of its own line, an escaped word or code."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    chapter = f"{TOWN}/master-plan/03-infrastructure.md"
    edit(
        root,
        chapter,
        "## 第十二条 停车设施\n",
        "## 第十二条 停车设施\n\n\\newpage\n\n段落\n\\pagebreak\n下一段。\n\n::: pagebreak\n:::\n\n"
        "写作 \\\\newpage 即可打印这个词，`\\newpage` 是代码。\n\n"
        "| 项目 | 说明 |\n|---|---|\n| 停车 | 见下页\\pagebreak |\n\n## 第十二条之一 \\newpage\n",
    )
    found = sorted((f.ref.line, f.message) for f in check(root) if f.code == "TP017")
    assert [line for line, _ in found] == [
        line_of(root, chapter, "见下页"),
        line_of(root, chapter, "第十二条之一"),
    ]
    assert "“\\pagebreak”" in found[0][1] and "“\\newpage”" in found[1][1]


@pytest.mark.slow
def test_the_parcel_and_project_tables_in_the_text_are_optional(
    district_copy: Callable[..., Path],
) -> None:
    """One source of truth (issue 11): parcels.yaml and the briefs are enough; a table written in
    the text is checked when it is there, and not asked for when it is not."""
    root = district_copy()  # built: the build below makes only what the edits change
    plan = root / TOWN / "detailed-plans/center/plan.md"
    lines = plan.read_text(encoding="utf-8").splitlines()
    plan.write_text(
        "\n".join(line for line in lines if not line.startswith("|")) + "\n", encoding="utf-8"
    )
    construction = root / TOWN / "construction-plan.md"
    lines = construction.read_text(encoding="utf-8").splitlines()
    construction.write_text(
        "\n".join(line for line in lines if not line.startswith("|")) + "\n", encoding="utf-8"
    )
    codes = {f.code for f in check(root)}
    assert not codes & {"TP601", "TP602", "TP603", "TP609"}, codes
    outcome = pipeline.run_build(root, ("weicheng",))
    plan = root / "build/weicheng/渭城镇中心区控制性详细规划.docx"
    assert plan in outcome.written  # made again from the plan without its table
    document = docx.Document(str(plan))
    ids = {row.cells[0].text for table in document.tables for row in table.rows}
    assert {"WC-01", "WC-06"} <= ids and not outcome.failed


# -- a plan's revision history (issue 19) ---------------------------------------------------------------

REVISION_RULES = ("TP513", "TP514", "TP616", "TP617", "TP618")


@pytest.mark.parametrize(
    ("first", "second", "order"),
    [
        ("v2.10", "v2.9", 1),
        ("2.9", "V2.10", -1),
        ("v3.0", "v2.0", 1),
        ("v2", "2.0", 0),
        ("ｖ2.0", "2.0", 0),
        ("v1.01", "v1.1", 0),
        ("1.0", "1.0.1", -1),
        ("2.0a", "2.0b", -1),
        ("1" * 5000, "2", 1),
        ("第二版", "第三版", None),
        ("2.1", "2.a", None),
    ],
)
def test_versions_compare_as_the_readme_says(first: str, second: str, order: int | None) -> None:
    from townplans.rules.consistency import compare_versions

    assert compare_versions(first, second) == order
    if order is not None:
        assert compare_versions(second, first) == -order


def test_a_history_that_moves_forward_passes(tmp_path: Path) -> None:
    """2.9 → 2.10 → 3.0 (numbers as numbers), a stage kept for two entries, two entries of one
    day: nothing to report."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    edit(root, SITE, "{version: v1.0, date: 2023-05-20", "{version: v2.9, date: 2023-05-20")
    edit(
        root,
        SITE,
        "{version: v2.0, date: 2023-06-18, status: 报批稿",
        "{version: V2.10, date: 2023-05-20, status: 征求意见稿",
    )
    assert not [str(f) for f in check(root) if f.code in REVISION_RULES]


def test_a_repeated_version_is_reported(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    edit(root, SITE, "{version: v2.0, date: 2023-06-18", "{version: V1.0, date: 2023-06-18")
    found = [f for f in check(root) if f.code == "TP617"]
    assert [f.ref.line for f in found] == [line_of(root, SITE, "{version: V1.0")]
    assert "“V1.0”与上一条相同" in found[0].message


def test_a_revision_after_the_document_is_reported_once(tmp_path: Path) -> None:
    """Dated 2099 (after today and after the plan's own date): TP514, not TP513 as well; the next
    entry is compared with the one before the wrong date, so it is not reported too."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    edit(root, SITE, "date: 2023-06-18", "date: 2099-01-01")
    found = [(f.code, f.ref.line) for f in check(root) if f.code in REVISION_RULES]
    assert found == [("TP514", line_of(root, SITE, "date: 2099-01-01"))]


def _percent_left_to_reports(root: Path, brief: str) -> None:
    """The brief states no 形象进度百分比: the weekly reports give it (one source for progress)."""
    found = re.search(r"progress_percent: .*\n", (root / brief).read_text("utf-8"))
    assert found is not None
    edit(root, brief, found.group(0), "")


def test_after_photos_are_required_by_the_reported_percent(tmp_path: Path) -> None:
    """TP302 reads 100 % from the latest report when the brief leaves its percent out, and names
    that report row; a brief whose latest report is below 100 % needs no after-photos."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _percent_left_to_reports(root, BRIEF)  # binhe-road: 100 % in the report of 15 September
    _percent_left_to_reports(root, MARKET)  # market-upgrade: below 100 %, no after-photos
    # Passing: both have what they need (and no rule failed on a brief without its percent).
    assert not [f for f in check(root) if f.code in ("TP302", "TP990")]
    shutil.rmtree(root / TOWN / "projects/binhe-road/photos/after")
    found = [f for f in check(root) if f.code == "TP302"]
    report = f"{TOWN}/reports/2023-09-15.md"
    assert [(f.ref.path, f.ref.line) for f in found] == [
        (report, line_of(root, report, "project: binhe-road"))
    ]
    assert "100%" in found[0].message and "建成后照片只有 0 张" in found[0].message
    assert f"{TOWN}/projects/binhe-road/photos/after" in found[0].message
