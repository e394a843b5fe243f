"""The command line end to end: version, init and new, status, doctor, build, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.conftest import copy_workspace
from townplans import __version__, pipeline
from townplans.cli import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"townplans {__version__}"


def test_status_shows_six_towns_and_deliverables(repo: Path) -> None:
    result = run("--root", str(repo), "status")
    assert result.exit_code == 1  # like check: the sample has errors (issue 19 changed it from 0)
    assert "区级材料（towns/district.yaml 等）：齐全" in result.output
    for name in ("渭城镇", "窑店镇", "正阳镇", "底张镇", "周陵镇", "北杜镇"):
        assert name in result.output
    assert "缺少必填字段“资金来源”" in result.output and "不完整" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("columns", ["60", "80"])
def test_status_keeps_each_towns_whole_name_in_a_narrow_terminal(
    built_district: Path, columns: str
) -> None:
    # Once built, the 成果文件 column ("最新 30") is wide enough that rich shortened "渭城镇" to
    # "渭城…" at 80 columns: the one cell a row is read by.
    result = CliRunner().invoke(
        cli, ["--root", str(built_district), "status"], env={"COLUMNS": columns}
    )
    for name in ("渭城镇", "窑店镇", "正阳镇", "底张镇", "周陵镇", "北杜镇"):
        assert f"│ {name}" in result.output
    assert "…" not in result.output


def test_status_json(repo: Path) -> None:
    result = run("--root", str(repo), "status", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["failed"] is True
    assert data["district"]["state"] == "present" and not data["district"]["blocks_packages"]
    data = data["towns"]
    assert [row["town"] for row in data] == [
        "weicheng",
        "yaodian",
        "zhengyang",
        "dizhang",
        "zhouling",
        "beidu",
    ]
    assert data[5]["deliverables"]["briefs"]["state"] == "incomplete"
    assert data[0]["deliverables"]["master_plan"]["label"] == "齐全"


def test_doctor_reports_the_environment(repo: Path) -> None:
    result = run("--root", str(repo), "doctor")
    assert "中文字体" in result.output and "Pango" in result.output and "HarfBuzz" in result.output
    assert "规则文件" in result.output and "2023.1" in result.output
    # make test installs the system packages, so the environment is complete here.
    assert result.exit_code == 0, result.output


def test_doctor_says_what_is_wrong_with_a_broken_profile(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    profile = root / "templates/profile.yaml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace("type: money", "type: cash", 1),
        encoding="utf-8",
    )
    result = run("--root", str(root), "doctor")
    assert result.exit_code == 1
    assert "✘ 规则文件" in result.output and "cash" in result.output


def test_init_and_new_make_a_workspace_that_satisfies_the_profile(tmp_path: Path) -> None:
    root = tmp_path / "district"
    assert run("init", str(root), "--name", "测试区", "--year", "2024").exit_code == 0
    assert (root / "templates/profile.yaml").is_file() and (root / "towns/district.yaml").is_file()
    steps = [
        ("new", "town", "hexi", "--name", "河西镇"),
        ("new", "project", "hexi", "main-road", "--name", "河西大街改造工程"),
        ("new", "project", "hexi", "market", "--name", "河西农贸市场"),
        ("new", "project", "hexi", "park", "--name", "河西公园"),
        ("new", "plan", "hexi", "river-street", "--name", "滨河街修建性详细规划", "--kind", "site"),
        ("new", "report", "hexi", "--date", "2024-08-02"),
        ("new", "report", "hexi", "--date", "2024年8月9日"),
    ]
    for step in steps:
        result = run("--root", str(root), *step)
        assert result.exit_code == 0, result.output
        assert "已创建" in result.output
    district = (root / "towns/district.yaml").read_text(encoding="utf-8")
    assert "{slug: hexi, name: 河西镇}" in district and "2024-07-18" in district

    session, checked = pipeline.run_check(root)
    assert session.workspace.findings == ()
    codes = {f.code for f in checked.findings}
    # Every required heading and field exists in the scaffolds ...
    assert not codes & {"TP102", "TP201", "TP008", "TP002"}, codes
    # ... and what is left to do is said: placeholders, empty sections, missing drawings and photos.
    assert {"TP202", "TP104", "TP301"} <= codes
    placeholder = next(f for f in checked.findings if f.code == "TP202")
    assert "尚未填写" in placeholder.message and placeholder.ref.line is not None
    report = (root / "towns/hexi/reports/2024-08-09.md").read_text(encoding="utf-8")
    assert "period_start: '2024-08-03'" in report and "project: main-road" in report


def test_new_refuses_to_overwrite_and_bad_names(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("beidu",))
    result = CliRunner().invoke(
        cli, ["--root", str(root), "new", "project", "beidu", "school-road", "--name", "x"]
    )
    assert result.exit_code == 2 and "已存在" in result.output
    result = CliRunner().invoke(
        cli, ["--root", str(root), "new", "town", "北杜", "--name", "北杜镇"]
    )
    assert result.exit_code == 2 and "小写英文字母" in result.output
    result = CliRunner().invoke(cli, ["--root", str(root), "new", "report", "nowhere"])
    assert result.exit_code == 2 and "找不到镇文件夹" in result.output
    result = CliRunner().invoke(
        cli, ["--root", str(root), "new", "report", "beidu", "--date", "2023-02-30"]
    )
    assert result.exit_code == 2 and "2月只有28天" in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("status",), "不是 townplans 工作区"),
        (("build", "--town", "nowhere"), "没有这个镇"),
    ],
)
def test_usage_errors_exit_2_in_chinese_without_traceback(
    tmp_path: Path, repo: Path, args: tuple[str, ...], fragment: str
) -> None:
    root = tmp_path if args == ("status",) else repo
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.slow
def test_build_one_town_prints_outputs_and_summary(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("yaodian",))
    result = run("--root", str(root), "build", "--town", "yaodian")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "[1/28] 已生成 窑店镇总体规划.docx" in lines  # plain progress lines when not a terminal
    assert "TP005" in result.output and "03-facilities.md:31:14" in result.output
    assert "构建结果" in result.output and "│     28 │      0 │" in result.output
    again = run("--root", str(root), "build", "--town", "yaodian")
    assert "│      0 │     28 │" in again.output  # built 0, up to date 28 (14 + a 周报 a week)


def test_new_report_continues_the_previous_one(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    result = run("--root", str(root), "new", "report", "weicheng")
    assert result.exit_code == 0, result.output
    assert "接续 2023-09-15 的周报" in result.output
    text = (root / "towns/weicheng/reports/2023-09-22.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert front["period_start"] == "2023-09-16" and front["period_end"] == "2023-09-22"
    assert front["title"] == "渭城镇小城镇建设工作进度周报（第9期）"
    assert front["reporter"] == "渭城镇人民政府" and front["signer"] == "王立新"
    road = next(item for item in front["projects"] if item["project"] == "sewage-network")
    # The running totals are carried; the week's own figures are left to fill.
    assert road["cumulative_investment"] == "1640万元" and road["progress_percent"] == "78%"
    assert str(road["week_investment"]).startswith("【待填写")


def test_new_town_scaffold_is_the_checklist(tmp_path: Path) -> None:
    root = tmp_path / "district"
    assert run("init", str(root), "--name", "测试区", "--year", "2024").exit_code == 0
    result = run("--root", str(root), "new", "town", "hexi", "--name", "河西镇")
    assert result.exit_code == 0, result.output
    # What is still needed is said at once, with the command for each.
    assert "项目简介至少 3 份：townplans new project hexi" in result.output
    town = root / "towns/hexi"
    assert (town / "master-plan/drawings").is_dir() and (town / "projects").is_dir()
    town_yaml = (town / "town.yaml").read_text(encoding="utf-8")
    plan = (town / "construction-plan.md").read_text(encoding="utf-8")
    # The construction plan's project table skeleton, with the plan year everywhere.
    assert "| 序号 | 项目名称 |" in plan and "2024年9月15日" in plan
    assert "2023" not in plan + town_yaml
    district = (root / "towns/district.yaml").read_text(encoding="utf-8")
    assert "plan_title: 2024" in district or "2024年" in district
    master = (town / "master-plan/01-general.md").read_text(encoding="utf-8")
    assert "至少" in master  # minimum attachment counts shown as comments


def test_ctrl_c_exits_130_with_a_chinese_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: not click's "Aborted!" and exit 1 (the code for a failed output)."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_build", interrupted)
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "build"])
    assert result.exit_code == 130 and "已中止" in result.output, result.output
    assert "Aborted" not in result.output and "Traceback" not in result.output
