"""``townplans.waivers`` on its own (issue 20): what a waiver covers (code prefix, scope, town),
when it expires, what makes it incomplete (each problem with its own message) and ``apply``. The
end-to-end cases (a waiver in a document's front matter, in towns/waivers.yaml, audited by TP9xx)
are in tests/test_reports.py and tests/test_rules.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from townplans import waivers
from townplans.model import District, Finding, Located, Severity, SourceRef, Town, Workspace
from townplans.waivers import Waiver

TODAY = dt.date(2023, 9, 20)
BEIDU = "towns/beidu"
GOOD = {"code": "TP401", "reason": "秋季补植后达标", "approver": "区住建局 刘向东"}


def _finding(code: str = "TP401", path: str = f"{BEIDU}/town.yaml") -> Finding:
    return Finding(code, Severity.ERROR, "镇区绿化覆盖率未达标", SourceRef(path, 53))


def _located(data: Any, path: str) -> Located:
    lines: dict[tuple[str | int, ...], int] = (
        {(i,): 2 * i + 1 for i in range(len(data))} if isinstance(data, list) else {}
    )
    return Located(data, lines, SourceRef(path, 1))


def _district(*items: Any) -> list[Waiver]:
    located = _located(list(items), "towns/waivers.yaml")
    return waivers.district_waivers(District(None, (), located))


def _town(sample: Workspace, *items: Any, data: Any = None) -> list[Waiver]:
    beidu = sample.town("beidu")
    assert beidu is not None
    located = _located(list(items) if data is None else data, f"{BEIDU}/waivers.yaml")
    return waivers.town_waivers(dataclasses.replace(beidu, waivers=located))


# -- reading --------------------------------------------------------------------------------------


def test_a_complete_waiver_is_read_with_its_place(sample: Workspace) -> None:
    [waiver] = _town(sample, {**GOOD, "expires": "2023-12-31", "scope": f"{BEIDU}/town.yaml"})
    assert waiver == Waiver(
        "TP401", f"{BEIDU}/town.yaml", "秋季补植后达标", "区住建局 刘向东", dt.date(2023, 12, 31),
        SourceRef(f"{BEIDU}/waivers.yaml", 1), (), BEIDU,
    )  # fmt: skip
    assert waiver.complete


def test_the_default_scope_is_the_town_folder_or_the_district() -> None:
    [district] = _district(GOOD)
    assert (district.scope, district.town) == ("towns", None)


def test_a_town_waiver_defaults_to_its_folder(sample: Workspace) -> None:
    [waiver, blank] = _town(sample, GOOD, {**GOOD, "scope": "  "})
    assert (waiver.scope, waiver.town, waiver.expires) == (BEIDU, BEIDU, None)
    assert (blank.scope, blank.problems) == (BEIDU, ())


@pytest.mark.parametrize(
    ("item", "problems"),
    [
        ({**GOOD, "code": "401"}, ["豁免的规则编号“401”无效：应为 TP401 这样的编号或 TP4 这样的前缀"]),
        ({**GOOD, "code": "TP4012"}, ["豁免的规则编号“TP4012”无效：应为 TP401 这样的编号或 TP4 这样的前缀"]),
        ({**GOOD, "code": "xTP401"}, ["豁免的规则编号“xTP401”无效：应为 TP401 这样的编号或 TP4 这样的前缀"]),
        ({"reason": "r", "approver": "a"}, ["豁免的规则编号“”无效：应为 TP401 这样的编号或 TP4 这样的前缀"]),
        ({**GOOD, "code": "TP"}, ["豁免的规则编号“TP”无效：应为 TP401 这样的编号或 TP4 这样的前缀"]),
        ({"code": "TP4"}, ["豁免没有写明原因 reason", "豁免没有写明批准人 approver"]),
        ({**GOOD, "reason": "  ", "approver": None}, ["豁免没有写明原因 reason", "豁免没有写明批准人 approver"]),
        ({**GOOD, "expires": "2023-02-30"}, ["豁免的有效期 expires 无效：“2023-02-30”不是有效日期：2023年2月只有28天，实为30日"]),
        ({**GOOD, "scope": "../yaodian"}, ["豁免范围“../yaodian”无效：应为工作区内的相对路径，不能含 .."]),
        ({**GOOD, "scope": "/etc"}, ["豁免范围“/etc”无效：应为工作区内的相对路径，不能含 .."]),
        ({**GOOD, "scope": "towns/../../x"}, ["豁免范围“towns/../../x”无效：应为工作区内的相对路径，不能含 .."]),
    ],
)  # fmt: skip
def test_what_is_wrong_with_a_district_waiver(item: dict[str, Any], problems: list[str]) -> None:
    [waiver] = _district(item)
    assert list(waiver.problems) == problems and not waiver.complete


def test_a_tp4_prefix_and_a_normalised_scope_are_fine() -> None:
    [waiver] = _district({**GOOD, "code": " TP4 ", "scope": "towns/beidu/./town.yaml"})
    assert waiver.complete and (waiver.code, waiver.scope) == ("TP4", "towns/beidu/town.yaml")


@pytest.mark.parametrize("scope", ["towns/yaodian/town.yaml", "*", "towns", "towns/beidu2/x"])
def test_a_town_waiver_reaches_its_own_town_only(sample: Workspace, scope: str) -> None:
    [waiver] = _town(sample, {**GOOD, "scope": scope})
    assert waiver.problems == (
        f"豁免范围“{scope}”不在本镇 {BEIDU}/ 之内：镇的豁免只能用于本镇，全区性的豁免请写在 towns/waivers.yaml",
    )


def test_waivers_not_written_as_a_list_or_as_mappings(sample: Workspace) -> None:
    [not_a_list] = _town(sample, data={"code": "TP401"})
    assert not_a_list.problems == (
        "豁免应写成列表：- {code: TP401, reason: 原因, approver: 批准人, expires: 2023-12-31}",
    )
    # a waiver that cannot be read carries nothing over: no code, reason, approver or date
    assert not_a_list == Waiver(
        "", BEIDU, "", "", None, SourceRef(f"{BEIDU}/waivers.yaml"), not_a_list.problems, BEIDU
    )
    [item] = _town(sample, "TP401")
    assert item == Waiver(
        "", BEIDU, "", "", None, SourceRef(f"{BEIDU}/waivers.yaml", 1),
        ("豁免条目应为映射（code、reason、approver、expires）",), BEIDU,
    )  # fmt: skip


def test_front_matter_waivers_are_scoped_to_their_file(sample: Workspace) -> None:
    beidu = sample.town("beidu")
    assert beidu is not None and beidu.construction_plan is not None
    plan = beidu.construction_plan
    meta = Located({**plan.meta.data, "waivers": [GOOD]}, {("waivers", 0): 3}, plan.meta.ref)
    changed = dataclasses.replace(beidu, construction_plan=dataclasses.replace(plan, meta=meta))
    [waiver] = waivers.town_waivers(changed)
    assert (waiver.scope, waiver.ref.line, waiver.town) == (plan.ref.path, 3, BEIDU)


def _with_waivers(sample: Workspace) -> tuple[Workspace, Town]:
    """The sample with a district waiver, and beidu with one in waivers.yaml and one in the front
    matter of each of two documents."""
    beidu = sample.town("beidu")
    assert beidu is not None and beidu.construction_plan is not None
    plan, project = beidu.construction_plan, beidu.projects[0]
    assert project.brief is not None
    front = {"waivers": [GOOD]}
    brief = dataclasses.replace(project.brief, meta=Located(front, {}, project.brief.meta.ref))
    beidu = dataclasses.replace(
        beidu,
        waivers=_located([GOOD], f"{BEIDU}/waivers.yaml"),
        construction_plan=dataclasses.replace(plan, meta=Located(front, {}, plan.meta.ref)),
        projects=(dataclasses.replace(project, brief=brief), *beidu.projects[1:]),
    )
    towns = tuple(beidu if t.slug == "beidu" else t for t in sample.district.towns)
    district = District(None, towns, _located([GOOD], "towns/waivers.yaml"))
    return dataclasses.replace(sample, district=district), beidu


def test_all_waivers_are_the_districts_then_each_towns(sample: Workspace) -> None:
    workspace, beidu = _with_waivers(sample)
    mine = waivers.town_waivers(beidu)
    assert beidu.construction_plan is not None and beidu.projects[0].brief is not None
    assert [w.ref.path for w in mine] == [
        f"{BEIDU}/waivers.yaml", beidu.construction_plan.ref.path, beidu.projects[0].brief.ref.path
    ]  # fmt: skip
    district = waivers.district_waivers(workspace.district)
    assert len(district) == 1
    assert waivers.all_waivers(workspace) == district + mine
    assert waivers.all_waivers(workspace, ()) == district
    assert waivers.all_waivers(workspace, [beidu]) == district + mine


# -- covering --------------------------------------------------------------------------------------


def _waiver(**changes: Any) -> Waiver:
    base = Waiver("TP401", "towns", "原因", "批准人", None, SourceRef("towns/waivers.yaml", 1))
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("waiver", "finding", "covered"),
    [
        (_waiver(), _finding(), True),
        (_waiver(code="TP4"), _finding("TP405"), True),
        (_waiver(code="TP40"), _finding("TP411"), False),
        (_waiver(code="TP9"), _finding("TP901"), False),  # the audit of waivers is never waived
        (_waiver(code="TP"), _finding("TP903"), False),
        (_waiver(code="TP"), _finding("TP201"), True),
        (_waiver(scope=f"{BEIDU}/town.yaml"), _finding(), True),
        (_waiver(scope=f"{BEIDU}/town.yaml/"), _finding(), True),
        (_waiver(scope=BEIDU), _finding(), True),
        (_waiver(scope="towns/beidu2"), _finding(path="towns/beidu2x/town.yaml"), False),
        (_waiver(scope="towns/bei"), _finding(), False),
        (_waiver(scope="towns/X"), _finding(), False),
        (_waiver(scope="towns/*/town.yaml"), _finding(), True),
        (_waiver(scope="towns/*/brief.md"), _finding(), False),
        (_waiver(scope=BEIDU, town=BEIDU), _finding(), True),
        (_waiver(scope="towns", town=BEIDU), _finding(path="towns/yaodian/town.yaml"), False),
        (_waiver(scope="*", town=BEIDU), _finding(path=BEIDU), True),
        (_waiver(scope="*", town=BEIDU), _finding(path="towns/beidu2/town.yaml"), False),
    ],
)  # fmt: skip
def test_what_a_waiver_covers(waiver: Waiver, finding: Finding, covered: bool) -> None:
    assert waiver.covers(finding) is covered


def test_a_waiver_expires_after_its_last_day() -> None:
    waiver = _waiver(expires=TODAY)
    assert not waiver.expired(TODAY) and waiver.expired(TODAY + dt.timedelta(days=1))
    assert not _waiver().expired(dt.date(2100, 1, 1))


def test_a_waiver_describes_itself() -> None:
    assert _waiver(expires=dt.date(2023, 12, 31)).describe() == (
        "已豁免：原因（批准：批准人，有效期至 2023-12-31；towns/waivers.yaml:1）"
    )
    assert _waiver().describe() == "已豁免：原因（批准：批准人；towns/waivers.yaml:1）"


def test_apply_marks_what_a_usable_waiver_covers_and_says_which_were_used() -> None:
    first, second = _waiver(scope="towns/yaodian"), _waiver(scope=BEIDU)
    expired = _waiver(expires=dt.date(2023, 1, 1))
    incomplete = _waiver(problems=("豁免没有写明原因 reason",))
    findings = [_finding(), _finding("TP201"), _finding(path="towns/yaodian/town.yaml")]
    marked, used = waivers.apply(findings, [expired, incomplete, first, second], TODAY)
    assert [f.waiver for f in marked] == [second.describe(), None, first.describe()]
    assert used == {id(first), id(second)}
    assert [dataclasses.replace(f, waiver=None) for f in marked] == findings


def test_apply_takes_the_first_waiver_that_covers() -> None:
    first, second = _waiver(reason="一"), _waiver(reason="二")
    marked, used = waivers.apply([_finding()], [first, second], TODAY)
    assert marked[0].waiver == first.describe() and used == {id(first)}
