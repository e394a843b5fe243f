"""The towns × deliverables matrix on the sample district and on scaffolds."""

from __future__ import annotations

from townplans.model import Workspace
from townplans.profile import Profile
from townplans.status import State, district_status


def test_sample_district_matrix_shows_exactly_the_documented_gaps(
    sample: Workspace, profile: Profile
) -> None:
    matrix = {row.slug: row for row in district_status(sample, profile)}
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
    assert any("05-roads.png" in note for note in not_present["yaodian", "master_plan"].notes)
    assert not_present["yaodian", "photos"].notes == (
        "秦都大道北段景观提升工程：建成后照片0张，至少应有2张",
    )
    assert not_present["beidu", "briefs"].notes == (
        "towns/beidu/projects/beidu-market/brief.md 缺字段“资金来源”",
    )
    assert all(cell.state is State.INCOMPLETE for cell in not_present.values())


def test_columns_follow_the_profile(sample: Workspace, profile: Profile) -> None:
    row = district_status(sample, profile)[0]
    assert list(row.cells) == [d.key for d in profile.deliverables]
