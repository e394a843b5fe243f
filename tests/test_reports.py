"""`townplans check` output formats, options, exit codes and waivers."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import copy_workspace
from townplans import pipeline, report
from townplans.check import Selection
from townplans.cli import cli
from townplans.render.selfcheck import OUTPUT_RULES
from townplans.rules import all_rules

TODAY = "2023-09-20"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_text_report_groups_by_town_with_locations_and_summary(repo: Path) -> None:
    code, output = run("--root", str(repo), "check", "--today", TODAY)
    assert code == 1
    assert "== 窑店镇（yaodian） ==" in output and "== 区级 ==" in output
    assert "towns/beidu/town.yaml:53: TP401 错误 镇区绿化覆盖率为 26.4%" in output
    assert (
        output.strip().splitlines()[-1].startswith("检查未通过：错误 4，警告 1，提示 14，已豁免 0")
    )
    assert "\033[" not in output  # no colour when not a terminal


def test_select_ignore_and_town(repo: Path) -> None:
    code, output = run("--root", str(repo), "check", "--select", "TP4", "--today", TODAY)
    assert code == 1 and "TP401" in output and "TP005" not in output and "TP201" not in output
    code, output = run(
        "--root",
        str(repo),
        "check",
        "--ignore",
        "TP0",
        "--ignore",
        "TP2",
        "--ignore",
        "TP3",
        "--ignore",
        "TP4",
    )
    assert code == 0 and "检查通过" in output
    code, output = run("--root", str(repo), "check", "--town", "weicheng", "--today", TODAY)
    assert code == 0 and "窑店镇" not in output


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    brief = root / "towns/weicheng/projects/binhe-road/brief.md"
    brief.write_text(
        brief.read_text(encoding="utf-8").replace("nature: 改扩建", "natrue: 改扩建"),
        encoding="utf-8",
    )
    assert run("--root", str(root), "check", "--town", "weicheng")[0] == 0
    assert run("--root", str(root), "check", "--town", "weicheng", "--strict")[0] == 1


def test_usage_errors_exit_2(repo: Path) -> None:
    code, output = run("--root", str(repo), "check", "--select", "XX1")
    assert code == 2 and "规则编号前缀无效" in output
    code, output = run("--root", str(repo), "check", "--town", "nowhere")
    assert code == 2 and "没有这个镇" in output


def test_json_report(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, _ = run(
        "--root", str(repo), "check", "--format", "json", "--output", str(out), "--today", TODAY
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert code == 1 and data["summary"] == {
        "errors": 4,
        "warnings": 1,
        "infos": 14,
        "waived": 0,
        "failed": True,
    }
    finding = next(f for f in data["findings"] if f["code"] == "TP302")
    assert (
        finding["town"] == "yaodian"
        and finding["line"] == 17
        and finding["slug"] == "after-photos-missing"
    )
    assert finding["source"] == "plan R35" and finding["waived"] is False


def test_junit_is_valid_xml(repo: Path) -> None:
    _, output = run("--root", str(repo), "check", "--format", "junit", "--today", TODAY)
    root = ET.fromstring(output.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("failures") == "4"
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert suites["北杜镇（beidu）"].get("failures") == "2"
    failure = next(root.iter("failure"))
    assert failure.get("type") == "error" and failure.text and "towns/" in failure.text
    assert len(list(root.iter("skipped"))) == 15  # the infos and the one warning (TP521)


def test_sarif_has_the_required_fields(repo: Path) -> None:
    _, output = run("--root", str(repo), "check", "--format", "sarif", "--today", TODAY)
    data = json.loads(output)
    assert data["version"] == "2.1.0" and data["$schema"].endswith("sarif-2.1.0.json")
    [run_] = data["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "townplans" and len(driver["rules"]) == len(all_rules())
    rule_ids = [r["id"] for r in driver["rules"]]
    for result in run_["results"]:
        assert result["message"]["text"] and result["level"] in ("error", "warning", "note")
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("towns/")
        if "region" in location:
            assert location["region"]["startLine"] >= 1


def test_html_is_self_contained(repo: Path) -> None:
    _, output = run("--root", str(repo), "check", "--format", "html", "--today", TODAY)
    assert output.startswith("<!DOCTYPE html>") and "北杜镇（beidu）" in output
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|url\(|@import""", output)
    assert "default-src 'none'" in output
    assert "towns/beidu/projects/beidu-market/brief.md" in output and "资金来源" in output


def test_html_escapes_content(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    brief = root / "towns/weicheng/projects/binhe-road/brief.md"
    brief.write_text(
        brief.read_text(encoding="utf-8").replace(
            "investment: 1850万元", "investment: <script>x</script>"
        ),
        encoding="utf-8",
    )
    _, output = run("--root", str(root), "check", "--town", "weicheng", "--format", "html")
    assert "<script>x</script>" not in output and "&lt;script&gt;" in output


def test_rules_command_lists_every_code() -> None:
    code, output = run("rules", "--format", "json")
    data = json.loads(output)
    assert code == 0 and len(data) == len(all_rules()) + len(OUTPUT_RULES)
    assert len(data) >= 74  # content rules and output self-checks: none lost from the listing
    assert {"code": "TP205", "slug": "funding-sum"}.items() <= data[
        [d["code"] for d in data].index("TP205")
    ].items()
    code, output = run("rules")
    assert "TP401  错误  indicator-below-target" in output


def test_waivers_mark_findings_and_are_audited(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    (root / "towns/beidu/waivers.yaml").write_text(
        "- code: TP401\n  scope: towns/beidu/town.yaml\n  reason: 绿化带二期秋季栽植后达到31%\n  approver: 区住建局 刘向东\n  expires: 2023-12-31\n",
        encoding="utf-8",
    )
    market = root / "towns/beidu/projects/beidu-market/brief.md"
    market.write_text(
        market.read_text(encoding="utf-8").replace(
            "investment: 860万元",
            "investment: 860万元\nwaivers:\n  - {code: TP201, reason: 投资协议签订后补充, approver: 邓磊}",
        ),
        encoding="utf-8",
    )
    session, result = pipeline.run_check(root, Selection(towns=("beidu",)), dt.date(2023, 9, 20))
    waived = [f for f in result.findings if f.waiver]
    assert sorted(f.code for f in waived) == ["TP201", "TP401"]
    assert "刘向东" in next(f.waiver for f in waived if f.code == "TP401")
    assert not result.failed()
    data = json.loads(report.as_json(report.ReportInput(result, session.workspace, "x")))
    assert data["summary"]["waived"] == 2 and sum(f["waived"] for f in data["findings"]) == 2
    # After expiry the waiver no longer applies and is itself reported.
    _, later = pipeline.run_check(root, Selection(towns=("beidu",)), dt.date(2024, 1, 10))
    assert {f.code for f in later.active} >= {"TP401", "TP903"}


@pytest.mark.parametrize(
    "bad",
    [
        "- {code: TP401, approver: 刘}\n",
        "- {code: 401, reason: r, approver: a}\n",
        "- {code: TP401, reason: r, approver: a, expires: 2023-02-30}\n",
    ],
)
def test_bad_waivers_do_not_waive(tmp_path: Path, bad: str) -> None:
    root = copy_workspace(tmp_path / "ws")
    (root / "towns/beidu/waivers.yaml").write_text(bad, encoding="utf-8")
    _, result = pipeline.run_check(root, Selection(towns=("beidu",)), dt.date(2023, 9, 20))
    assert any(f.code == "TP902" for f in result.active)
    assert any(f.code == "TP401" for f in result.active)


def test_sample_check_reports_exactly_the_documented_gaps(repo: Path) -> None:
    """towns/README.md lists four gaps; the checker says exactly those, as errors, and nothing else
    but the honest "needs confirmation" infos."""
    _, result = pipeline.run_check(repo, Selection(), dt.date(2023, 9, 20))
    errors = [(f.code, str(f.ref)) for f in result.findings if f.severity.value == "error"]
    assert errors == [
        ("TP005", "towns/yaodian/master-plan/03-facilities.md:31:14"),
        ("TP302", "towns/yaodian/projects/qindu-avenue/brief.md:17"),
        # town.yaml before the projects: the order a planner fills a town in (check.FILL_ORDER)
        ("TP401", "towns/beidu/town.yaml:53"),
        ("TP201", "towns/beidu/projects/beidu-market/brief.md:2"),
    ]
    warnings = [(f.code, str(f.ref)) for f in result.findings if f.severity.value == "warning"]
    # 北杜镇's series starts on 4 August: 第1期 (28 July) has no report (README: the missing week)
    assert warnings == [("TP521", "towns/beidu/reports/2023-08-04.md:1")]
    others = {f.code for f in result.findings if f.severity.value == "info"}
    assert others == {"TP322", "TP406", "TP508"}  # TP322: a citation whose status is unconfirmed
