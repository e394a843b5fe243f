"""The towns × deliverables matrix, built from the checker's findings."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import copy_workspace
from townplans import pipeline
from townplans.check import Selection, blocking
from townplans.cli import cli
from townplans.status import State, district_status, matrix


def test_sample_district_matrix_shows_exactly_the_documented_gaps(repo: Path) -> None:
    session, result = pipeline.run_check(repo, Selection(), dt.date(2023, 9, 20))
    matrix = {row.slug: row for row in district_status(session.workspace, session.profile, result)}
    not_present = {
        (slug, key): cell
        for slug, row in matrix.items()
        for key, cell in row.cells.items()
        if cell.state is not State.PRESENT
    }
    assert set(not_present) == {
        ("yaodian", "master_plan"),
        ("yaodian", "photos"),
        ("beidu", "briefs"),
    }
    assert any(
        "TP005" in note and "05-roads.png" in note
        for note in not_present["yaodian", "master_plan"].notes
    )
    [photos] = not_present["yaodian", "photos"].notes
    assert "TP302" in photos and "建成后照片只有 0 张" in photos
    [brief] = not_present["beidu", "briefs"].notes
    assert (
        brief.startswith("towns/beidu/projects/beidu-market/brief.md:2: TP201")
        and "资金来源" in brief
    )
    assert all(cell.state is State.INCOMPLETE for cell in not_present.values())
    # The indicator below target is listed, but town.yaml is not "incomplete" for it.
    town_cell = matrix["beidu"].cells["town"]
    assert town_cell.state is State.PRESENT and any("TP401" in note for note in town_cell.notes)


def test_columns_follow_the_profile(repo: Path) -> None:
    session, result = pipeline.run_check(repo)
    row = district_status(session.workspace, session.profile, result)[0]
    assert list(row.cells) == [d.key for d in session.profile.deliverables]


def test_missing_deliverables(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    for report in (root / "towns/weicheng/reports").iterdir():
        report.unlink()
    (root / "towns/weicheng/construction-plan.md").unlink()
    session, result = pipeline.run_check(root, Selection(towns=("weicheng",)))
    row = district_status(session.workspace, session.profile, result)[0]
    assert row.cells["reports"].state is State.MISSING
    assert row.cells["construction_plan"].state is State.MISSING
    assert row.cells["master_plan"].state is State.PRESENT


# -- the district's own material (issue 19, defect 9) ---------------------------------------------------


def _placeholder_lead_office(root: Path) -> None:
    district = root / "towns/district.yaml"
    lines = district.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [
        "lead_office: 【待填写：领导小组办公室】\n" if line.startswith("lead_office:") else line
        for line in lines
    ]
    district.write_text("".join(lines), encoding="utf-8")


def test_a_district_error_is_a_line_of_its_own_and_fails_the_matrix(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _placeholder_lead_office(root)
    session, result = pipeline.run_check(root, Selection(), dt.date(2023, 9, 20))
    shown = matrix(session.workspace, session.profile, result)
    assert shown.district.state is State.INCOMPLETE and shown.failed and shown.blocked
    [note] = shown.district.notes
    assert note.startswith("towns/district.yaml:5: TP207") and "领导小组办公室" in note
    # The town's own material is still judged on its own: the fix belongs in district.yaml.
    [row] = shown.towns
    assert all(cell.state is State.PRESENT for cell in row.cells.values())


def test_status_decides_as_check_and_package_do(tmp_path: Path) -> None:
    """One decision (``check.blocking``) behind check's exit status, status's and a package's."""
    root = copy_workspace(tmp_path / "ws", ("weicheng", "beidu"))
    session, result = pipeline.run_check(root, Selection(), dt.date(2023, 9, 20))
    errors = blocking(result, session.workspace)
    shown = matrix(session.workspace, session.profile, result)
    assert shown.failed == result.failed() and not errors.district and not shown.blocked
    assert not errors.blocks("weicheng") and errors.blocks("beidu")
    _placeholder_lead_office(root)
    session, result = pipeline.run_check(root, Selection(), dt.date(2023, 9, 20))
    errors = blocking(result, session.workspace)
    assert [f.code for f in errors.district] == ["TP207"]
    assert errors.blocks("weicheng") and not errors.town("weicheng")
    assert matrix(session.workspace, session.profile, result).failed == result.failed()


def test_status_cli_shows_the_district_line_and_exits_1(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _placeholder_lead_office(root)
    district = root / "towns/district.yaml"
    district.write_text(
        "".join(
            line
            for line in district.read_text(encoding="utf-8").splitlines(keepends=True)
            if "slug:" not in line or "weicheng" in line
        ),
        encoding="utf-8",
    )
    assert CliRunner().invoke(cli, ["--root", str(root), "check"]).exit_code == 1
    for args in (["status"], ["status", "-v"]):
        result = CliRunner().invoke(cli, ["--root", str(root), *args])
        assert result.exit_code == 1, result.output
        assert "区级材料（towns/district.yaml 等）：不完整" in result.output
        assert "区级材料：towns/district.yaml:5: TP207" in result.output
        assert "各镇都不能打包" in result.output
    data = json.loads(
        CliRunner().invoke(cli, ["--root", str(root), "status", "--format", "json"]).output
    )
    assert data["failed"] and data["district"]["state"] == "incomplete"
    assert data["district"]["blocks_packages"] and "TP207" in data["district"]["notes"][0]


@pytest.mark.slow
def test_status_lists_the_build_graphs_outputs_and_what_a_build_would_remake(
    built_district: Path, tmp_path: Path
) -> None:
    """status asks the build graph for every output and says which build/ holds as they are now:
    all of them right after a build; after an edit, exactly the edited document's two files."""
    root = tmp_path / "ws"
    shutil.copytree(built_district, root)  # copy2 keeps mtimes: the manifest still matches
    today = dt.date.today().isoformat()
    data = json.loads(
        CliRunner()
        .invoke(cli, ["--root", str(root), "status", "--format", "json"], env={"TZ": "UTC"})
        .output
    )
    names = [o["name"] for town in data["towns"] for o in town["outputs"]]
    built = sorted(
        p.name for p in (root / "build").rglob("*") if p.is_file() and p.parent.name != "packages"
        and not any(part.startswith(".") for part in p.relative_to(root / "build").parts)
    )  # fmt: skip
    district = [o["name"] for o in data["district"]["outputs"]]
    assert sorted(names + district) == built
    assert all(o["current"] for town in data["towns"] for o in town["outputs"]), today
    chapter = root / "towns/weicheng/master-plan/02-land-use.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n补充一段说明。\n", encoding="utf-8")
    _, after = pipeline.run_status(root)
    stale = sorted((o.town, o.name, o.reason) for o in after.outputs if not o.current)
    reason = "输入变化：towns/weicheng/master-plan/02-land-use.md"
    assert stale == [
        ("weicheng", "渭城镇总体规划.docx", reason),
        ("weicheng", "渭城镇总体规划.pdf", reason),
    ]
    shown = CliRunner().invoke(cli, ["--root", str(root), "status"]).output
    assert "渭城镇 · 成果文件需生成：渭城镇总体规划.pdf：输入变化" in shown
