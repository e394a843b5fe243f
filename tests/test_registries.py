"""The registries of templates/knowledge/ (citations, places, hierarchy, permits, indicator
definitions), what the fact reader finds that refers to them, and the rules resolving the
documents against them (TP320–TP325, TP416–TP419): each with a failing and a passing fixture."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_workspace
from townplans import pipeline
from townplans.facts.mentions import citation, citations
from townplans.knowledge import Knowledge, citation_key, load_knowledge
from townplans.model import Finding

TODAY = dt.date(2023, 9, 20)
WEICHENG_GENERAL = "towns/weicheng/master-plan/01-general.md"
WEICHENG_PLAN = "towns/weicheng/construction-plan.md"
SEWAGE = "towns/weicheng/projects/sewage-network/brief.md"
BINHE = "towns/weicheng/projects/binhe-road/brief.md"
MARKET = "towns/weicheng/projects/market-upgrade/brief.md"
TRANSFER = "towns/zhengyang/projects/transfer-station/brief.md"
NEW_CODES = ("TP320", "TP321", "TP322", "TP323", "TP324", "TP325",
             "TP416", "TP417", "TP418", "TP419")  # fmt: skip


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    result = load_knowledge(REPO / "templates/knowledge", REPO)
    assert result.findings == ()
    return result.knowledge


def _check(tmp_path: Path, edits: list[tuple[str, str, str]], codes: tuple[str, ...],
           towns: tuple[str, ...] = ("weicheng",)) -> list[Finding]:  # fmt: skip
    """The findings of ``codes`` on a copy of the sample with ``edits`` (file, old, new) made."""
    root = copy_workspace(tmp_path / "ws", towns)
    for name, old, new in edits:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, result = pipeline.run_check(root, pipeline.Selection(select=codes), TODAY)
    return [f for f in result.findings if f.code in codes]


def _said(findings: list[Finding]) -> list[str]:
    return [f"{f.code} {f.severity.label} {f.ref} {f.message}" for f in findings]


# -- reading citations ------------------------------------------------------------------------------


def test_citations_are_read_with_their_number_and_title(knowledge: Knowledge) -> None:
    text = "依据《镇规划标准》（GB 50188—2007）、GB/T 9704-2012《党政机关公文格式》、住建部令第7号和《渭城镇总体规划（2021—2035年）》。"
    found = [(c.title, c.number) for c in citations(text, knowledge)]
    assert found == [
        ("镇规划标准", "GB 50188—2007"),
        ("党政机关公文格式", "GB/T 9704-2012"),
        ("", "住建部令第7号"),
    ]  # a plan's own title is not a citation
    assert citation("《镇规划标准》（GB 50188—2007）").number == "GB 50188—2007"
    assert citation_key("GB50188—2007") == citation_key("ＧＢ 50188－2007") == "GB50188-2007"
    assert knowledge.citations.by_number("住建部令第7号") is knowledge.citations.by_number(
        "住房和城乡建设部令第7号"
    )


def test_the_sample_cites_facts_dated_by_their_document() -> None:
    session = pipeline.open_session(REPO)
    cites = [f for f in session.facts.with_attribute("cites") if f.source.path == WEICHENG_GENERAL]
    assert [(f.source.line, f.as_of) for f in cites][:2] == [
        (28, dt.date(2023, 6, 28)),
        (29, dt.date(2023, 6, 28)),
    ]


# -- TP320–TP322 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("《村镇规划标准》（GB 50188—93）", ["已于2007年5月1日被代替", "GB 50188-2007"]),
        ("《城市用地分类与规划建设用地标准》（GBJ 137-90）", ["2012年1月1日", "GB 50137-2011", "第880号"]),
        ("《中华人民共和国城市规划法》", ["已于2008年1月1日废止", "城乡规划法", "第七十条"]),
        ("《生活饮用水卫生标准》（GB 5749-2006）", ["2023年4月1日", "GB 5749-2022", "本文件日期为2023年6月28日"]),
    ],
)  # fmt: skip
def test_tp320_a_replaced_standard_cited_as_current_names_its_replacement(
    tmp_path: Path, new: str, expected: list[str]
) -> None:
    edit = (WEICHENG_GENERAL, "《镇规划标准》（GB 50188—2007）", new)
    found = _check(tmp_path, [edit], ("TP320",))
    assert [f.ref.line for f in found] == [29], _said(found)
    assert found[0].severity.label == "错误"
    assert all(word in found[0].message for word in expected), found[0].message


def test_tp320_a_standard_replaced_after_the_document_was_written_is_no_mistake(
    tmp_path: Path,
) -> None:
    cite = (
        WEICHENG_GENERAL,
        "《镇规划标准》（GB 50188—2007）",
        "《生活饮用水卫生标准》（GB 5749-2006）",
    )
    dated = (WEICHENG_GENERAL, "date: 2023-06-28\n", "date: 2023-03-01\n")
    assert _check(tmp_path, [cite, dated], ("TP320",)) == []


def test_tp321_a_number_with_another_standards_title_is_an_error(tmp_path: Path) -> None:
    edit = (WEICHENG_GENERAL, "《镇规划标准》（GB 50188—2007）", "《镇规划标准》（GB 50137—2011）")
    found = _check(tmp_path, [edit], ("TP320", "TP321"))
    assert [(f.code, f.ref.line) for f in found] == [("TP321", 29)], _said(found)
    assert "《城市用地分类与规划建设用地标准》" in found[0].message
    assert "GB 50188-2007" in found[0].message  # the title's own number


def test_tp322_an_unknown_citation_is_an_info_not_an_error(tmp_path: Path) -> None:
    edit = (
        WEICHENG_GENERAL,
        "《镇规划标准》（GB 50188—2007）",
        "《镇区道路设计规程》（CJJ 999-2020）",
    )
    found = _check(tmp_path, [edit], ("TP320", "TP321", "TP322"))
    assert [(f.code, f.severity.label, f.ref.line) for f in found] == [
        ("TP322", "提示", 29),  # the unknown standard
        ("TP322", "提示", 30),  # the sample's 《村镇规划编制办法（试行）》, unconfirmed
    ], _said(found)


# -- TP323 ------------------------------------------------------------------------------------------

YAODIAN_BRIEF = "towns/yaodian/projects/old-street-facade/brief.md"


def test_tp323_a_village_of_another_town_in_a_brief_names_both_towns_and_the_source(
    tmp_path: Path,
) -> None:
    edit = (YAODIAN_BRIEF, "location: 窑店镇窑店老街（620米）", "location: 窑店镇东阳村（620米）")
    found = _check(tmp_path, [edit], ("TP323",), ("weicheng", "yaodian"))
    assert [str(f.ref) for f in found] == [f"{YAODIAN_BRIEF}:6"], _said(found)
    message = found[0].message
    assert "渭城镇" in message and "窑店镇" in message
    assert "towns/weicheng/master-plan/01-general.md:52" in message


@pytest.mark.parametrize(
    "new",
    [
        "location: 窑店镇窑店老街（通往东阳村，620米）",  # a neighbour
        "location: 窑店镇纬一路（620米）",  # a road name two other towns have
        "location: 窑店镇渭城街（620米）",  # names the other town: TP632's, not repeated
    ],
)
def test_tp323_neighbours_shared_names_and_town_names_are_not_reported(
    tmp_path: Path, new: str
) -> None:
    edit = (YAODIAN_BRIEF, "location: 窑店镇窑店老街（620米）", new)
    assert _check(tmp_path, [edit], ("TP323",), ("weicheng", "yaodian")) == []


def test_every_place_is_found_at_the_line_its_source_names(knowledge: Knowledge) -> None:
    for place in knowledge.places.entries:
        found = re.match(r"(towns/[^:]+):(\d+)", place.source)
        assert found is not None, place
        lines = (REPO / found.group(1)).read_text(encoding="utf-8").splitlines()
        assert place.name in lines[int(found.group(2)) - 1], place
        assert found.group(1).startswith(f"towns/{place.town}/"), place


# -- TP324, TP325 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "severity"),
    [("recipient: 市住建局", "错误"), ("recipient: 区住建局", "警告")],
)
def test_tp324_a_plan_addressed_past_the_leading_group(
    tmp_path: Path, new: str, severity: str
) -> None:
    edit = (WEICHENG_PLAN, "recipient: 区小城镇建设工作领导小组", new)
    found = _check(tmp_path, [edit], ("TP324",))
    assert [f.severity.label for f in found] == [severity], _said(found)
    assert "district-plan-2023.txt:25" in found[0].message


def test_tp324_the_leading_groups_office_is_a_right_recipient(tmp_path: Path) -> None:
    new = "recipient: 渭城区小城镇建设工作领导小组办公室（区住建局）"
    edit = (WEICHENG_PLAN, "recipient: 区小城镇建设工作领导小组", new)
    assert _check(tmp_path, [edit], ("TP324",)) == []


def test_tp325_a_town_office_cannot_issue_the_plan(tmp_path: Path) -> None:
    edit = (WEICHENG_PLAN, "issuer: 渭城镇人民政府", "issuer: 渭城镇规划建设办")
    found = _check(tmp_path, [edit], ("TP325",))
    assert [f.ref.path for f in found] == [WEICHENG_PLAN], _said(found)
    assert "“渭城镇人民政府”" in found[0].message


def test_tp325_leaves_a_missing_town_name_to_tp632(tmp_path: Path) -> None:
    edit = (WEICHENG_PLAN, "issuer: 渭城镇人民政府", "issuer: 区住建局")
    found = _check(tmp_path, [edit], ("TP325", "TP632"), ("weicheng", "yaodian"))
    assert [f.code for f in found] == ["TP632"], _said(found)


# -- TP416–TP418 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("  construction: 不适用（投资额低于施工许可限额）", [("错误", "理由不成立")]),
        ("  construction: 不适用（沿现状道路敷设）", [("错误", "不属于可以不申请的小型工程")]),
        ("  construction: 不适用（抢险救灾工程）", []),
    ],
)
def test_tp416_a_construction_permit_said_not_to_apply_above_the_limit(
    tmp_path: Path, new: str, expected: list[tuple[str, str]]
) -> None:
    edit = (SEWAGE, "  construction: 已办理", new)
    found = _check(tmp_path, [edit], ("TP416",))
    assert [(f.severity.label, next(w for w in ("理由不成立", "不属于可以不申请的小型工程") if w in f.message)) for f in found] == expected, _said(found)  # fmt: skip
    assert all("第二条第二款" in f.message and "2100万元" in f.message for f in found)


def test_tp416_a_small_project_may_go_without_the_permit(tmp_path: Path) -> None:
    edits = [
        (SEWAGE, "  construction: 已办理", "  construction: 不适用（投资额低于施工许可限额）"),
        (SEWAGE, "investment: 2100万元", "investment: 28万元"),
    ]
    assert _check(tmp_path, edits, ("TP416",)) == []


def test_tp417_district_funds_above_the_tendering_thresholds(tmp_path: Path) -> None:
    edit = (MARKET, "  tender: 已办理", "  tender: 不适用（企业自主投资）")
    found = _check(tmp_path, [edit], ("TP417",))
    assert [f.severity.label for f in found] == ["错误"], _said(found)
    assert "区级财政200万元" in found[0].message and "第16号" in found[0].message


def test_tp417_private_money_needs_no_tendering(tmp_path: Path) -> None:
    edits = [
        (MARKET, "  tender: 已办理", "  tender: 不适用（企业自主投资）"),
        (MARKET, "{source: 社会资本, amount: 600万元}", "{source: 社会资本, amount: 650万元}"),
        (MARKET, "{source: 区级财政, amount: 200万元}", "{source: 区级财政, amount: 150万元}"),
    ]
    assert _check(tmp_path, edits, ("TP417",)) == []


def test_tp418_a_permit_before_its_prerequisite(tmp_path: Path) -> None:
    edit = (BINHE, "  planning_works: 已办理", "  planning_works: 办理中")
    found = _check(tmp_path, [edit], ("TP418",))
    assert [str(f.ref) for f in found] == [f"{BINHE}:31"], _said(found)  # the construction permit
    assert (
        f"建设工程规划许可证仍“办理中”（{BINHE}:29）" in found[0].message
        and "第四条" in found[0].message
    )


def test_tp418_work_started_without_the_permit(tmp_path: Path) -> None:
    edit = (TRANSFER, "  construction: 已办理", "  construction: 办理中")
    found = _check(tmp_path, [edit], ("TP418",), ("zhengyang",))
    assert [f.severity.label for f in found] == ["错误"], _said(found)  # 620㎡ stated
    assert "形象进度75%" in found[0].message and "第三条" in found[0].message


def test_tp418_a_permit_pending_before_work_starts_is_in_order(tmp_path: Path) -> None:
    edits = [
        (SEWAGE, "  construction: 已办理", "  construction: 办理中"),
        (SEWAGE, "progress_percent: 80%", "progress_percent: 0%"),
    ]
    assert _check(tmp_path, edits, ("TP418",)) == []


# -- TP419 ------------------------------------------------------------------------------------------

WEICHENG_TOWN = "towns/weicheng/town.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("口径: 建成区绿化覆盖面积/建成区面积（含行道树投影）", "口径: 建成区绿地面积/建成区面积", "绿地率"),
        ("口径: 生活垃圾无害化处理量/清运量，运至区垃圾填埋场", "口径: 生活垃圾清运量/产生量", "生活垃圾清运率"),
        ("口径: 建成区用水人口/建成区常住人口，集中供水", "口径: 通自来水户数/建成区总户数", "自来水入户率"),
        ("口径: 公共绿地面积/建成区常住人口", "口径: 公园绿地面积/建成区常住人口", "人均公园绿地面积"),
    ],
)  # fmt: skip
def test_tp419_a_definition_of_the_indicator_it_is_mistaken_for(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    found = _check(tmp_path, [(WEICHENG_TOWN, old, new)], ("TP419",))
    assert [f.severity.label for f in found] == ["警告"], _said(found)
    assert f"是{expected}的算法" in found[0].message and "应为" in found[0].message


def test_tp419_a_definition_in_words_only_is_not_judged(tmp_path: Path) -> None:
    old = "口径: 建成区绿化覆盖面积/建成区面积（含行道树投影）"
    assert _check(tmp_path, [(WEICHENG_TOWN, old, "口径: 按绿地面积统计")], ("TP419",)) == []


# -- the sample and the knowledge files -------------------------------------------------------------


def test_the_registry_rules_keep_the_sample_clean(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    _, result = pipeline.run_check(root, pipeline.Selection(select=NEW_CODES), TODAY)
    assert _said([f for f in result.findings if f.code in NEW_CODES]) == [
        (
            f"TP322 提示 {WEICHENG_GENERAL}:30 引用的《村镇规划编制办法（试行）》未收录在"
            "引用文件登记（templates/knowledge/citations.yaml）中，无法核对编号、名称和现行状态；"
            "请核实后补充条目并写明出处"
        )
    ]


def test_a_mistake_in_a_registry_is_a_located_finding(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "r.yaml").write_text(
        "citations:\n"
        "  - {title: 甲标准, status: 有效, source: x}\n"
        "  - {title: 乙标准, status: 被代替, source: x}\n"
        "  - {title: 丙标准, status: 现行, in_force: 2023-02-30, source: x}\n"
        "hierarchy:\n"
        "  bodies: {office: {name: 办公室, source: x}}\n"
        "  documents: {construction_plan: {recipient: {bodies: [office, group], source: x}}}\n"
        "permits:\n"
        "  construction: {label: 施工许可证, exempt_at_most: {investment: 三十万}, source: x}\n"
        "indicators:\n"
        "  gas_rate: {name: 燃气普及率, definition: x, source: x,"
        " confused_with: [{name: y, definition: y, numerator: '户(', source: y}]}\n",
        encoding="utf-8",
    )
    result = load_knowledge(folder, tmp_path)
    said = {(str(f.ref), f.message.split("：")[0]) for f in result.findings}
    assert {f.code for f in result.findings} == {"TP905"}
    lines = sorted(int(ref.rsplit(":", 1)[1]) for ref, _ in said)
    assert lines == [2, 3, 4, 7, 9, 11], sorted(said)
    assert [c.title for c in result.knowledge.citations.entries] == ["丙标准"]
    assert result.knowledge.citations.entries[0].in_force is None
