"""Rules sharpened on the held-out batches 1 and 2 (after their first runs were recorded): a
document telling a later day as done (TP515), another town's identifiers (TP639), the office's
host (TP326), a caption naming the other stage (TP307), a plan year the phases contradict (TP508,
once), a 修规 resting on the 控规 whose parcels it names (TP642). Each with what must stay silent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import copy_workspace
from townplans import pipeline
from townplans.check import Selection
from townplans.model import Finding

TODAY = dt.date(2023, 9, 20)


def _check(root: Path, towns: tuple[str, ...]) -> list[Finding]:
    _, result = pipeline.run_check(root, Selection(towns=towns), TODAY)
    return list(result.active)


def _edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _codes(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


PLAN = "towns/weicheng/construction-plan.md"
REPORT = "towns/weicheng/reports/2023-09-15.md"


def test_a_plan_may_say_what_will_be_done_but_not_tell_a_later_day_as_done(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    planned = "制定本计划。计划9月20日完成路面恢复，9月25日前全部完工，力争8月30日完成质量检测。"
    _edit(root, PLAN, "制定本计划。", planned)
    assert not _codes(_check(root, ("weicheng",)), "TP515")
    _edit(root, PLAN, "力争8月30日完成质量检测。", "8月30日已完成质量检测。")
    found = _codes(_check(root, ("weicheng",)), "TP515")
    assert len(found) == 1 and "2023-08-30" in found[0].message and "2023-07-24" in found[0].message


def test_a_report_tells_its_week_and_plans_the_next(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _edit(root, REPORT, "# 三、下周工作计划\n\n", "# 三、下周工作计划\n\n9月20日完成路面恢复。")
    _edit(root, REPORT, "# 二、存在问题", "力争9月22日完成消防验收。\n\n# 二、存在问题")
    assert not _codes(_check(root, ("weicheng",)), "TP515")  # the next week's plan, an aim
    _edit(root, REPORT, "# 二、存在问题", "9月18日通过竣工验收。\n\n# 二、存在问题")
    found = _codes(_check(root, ("weicheng",)), "TP515")
    assert [f.ref.path for f in found] == [REPORT] and "2023-09-18" in found[0].message


def test_another_towns_phone_or_parcel_is_named_with_the_town(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng", "zhengyang"), list_all=True)
    # a number both towns list (a shared office line) belongs to neither alone
    _edit(
        root,
        "towns/zhengyang/town.yaml",
        "phone: 029-33562015",
        "phone: 029-33562015、029-33216502",
    )
    assert not _codes(_check(root, ("weicheng", "zhengyang")), "TP639")
    _edit(root, REPORT, "赵敏 029-33216502", "吴倩 029-33562015")
    brief = "towns/zhengyang/projects/street-park/brief.md"
    _edit(root, brief, "（控规ZY-05地块）", "（控规WC-06地块）")
    found = _codes(_check(root, ("weicheng", "zhengyang")), "TP639")
    assert sorted((f.ref.path, "正阳镇" in f.message or "渭城镇" in f.message) for f in found) == [
        (REPORT, True),
        (brief, True),
    ]


def test_the_office_may_be_written_with_or_without_its_host_but_not_another(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    district = "towns/district.yaml"
    office = "lead_office: 渭城区小城镇建设工作领导小组办公室"
    _edit(root, district, f"{office}（区住建局）", office)
    assert not _codes(_check(root, ("weicheng",)), "TP326")
    _edit(root, district, office, f"{office}（区住房和城乡建设局）")
    assert not _codes(_check(root, ("weicheng",)), "TP326")
    _edit(root, district, "（区住房和城乡建设局）", "（区发改局）")
    assert len(_codes(_check(root, ("weicheng",)), "TP326")) == 1


def test_a_caption_naming_the_other_end_of_the_works(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    photos = "towns/weicheng/projects/binhe-road/photos.yaml"
    _edit(root, photos, "caption: 改造后街头游园", "caption: 改造后街头游园（改造前为积水洼地）")
    assert not [f for f in _codes(_check(root, ("weicheng",)), "TP307") if "caption" in str(f)]
    _edit(root, photos, "caption: 改造后街头游园（改造前为积水洼地）", "caption: 改造前雨后积水")
    found = [f for f in _codes(_check(root, ("weicheng",)), "TP307") if "改造前" in f.message]
    assert len(found) == 1 and found[0].severity.label == "错误" and found[0].ref.path == photos


def test_a_plan_year_the_phases_contradict_is_reported_once(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _edit(root, "towns/district.yaml", "plan_year: 2023", "plan_year: 2017")
    findings = _check(root, ("weicheng",))
    new = [f for f in findings if f.code in ("TP508", "TP509", "TP638", "TP503")]
    assert [(f.code, f.ref.path) for f in new if f.severity.label != "提示"] == [
        ("TP508", "towns/district.yaml")
    ]
    assert "2017" in new[0].message and "2023" in new[0].message


def test_a_site_plan_rests_on_the_regulatory_plan_whose_parcels_it_names(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("dizhang",))
    assert not _codes(_check(root, ("dizhang",)), "TP642")
    _edit(
        root, "towns/dizhang/detailed-plans/center/plan.md", "status: 送审稿", "status: 征求意见稿"
    )
    found = _codes(_check(root, ("dizhang",)), "TP642")
    assert [f.ref.path for f in found] == ["towns/dizhang/detailed-plans/anju-community/plan.md"]
    assert "中心区控制性详细规划" in found[0].message


def test_a_height_cap_binds_the_parcels_its_sentence_names(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    center = "towns/weicheng/detailed-plans/center/plan.md"
    _edit(root, center, "总用地86.4公顷。", "总用地86.4公顷。WC-03地块建筑高度不超过15米。")
    found = _codes(_check(root, ("weicheng",)), "TP212")
    assert [f.message.split(" ")[1] for f in found] == ["WC-03"]  # WC-01 (36 米) is not bound


def test_a_ratio_the_density_and_height_allow_is_silent(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    parcels = "towns/weicheng/detailed-plans/center/parcels.yaml"
    # 30 % of 14.2 ha on 10 storeys (30 m ÷ 2.8 m): up to 3.0
    _edit(root, parcels, "area: 14.2公顷, far: 1.6,", "area: 14.2公顷, far: 3.0,")
    assert not _codes(_check(root, ("weicheng",)), "TP211")
    _edit(root, parcels, "area: 14.2公顷, far: 3.0,", "area: 14.2公顷, far: 3.2,")
    assert len(_codes(_check(root, ("weicheng",)), "TP211")) == 1
