"""The towns × deliverables matrix, built from the checker's findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import copy_workspace
from townplans import pipeline
from townplans.check import Selection
from townplans.status import State, district_status


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
