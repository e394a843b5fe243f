"""The profile: the shipped one is valid and traceable; mistakes are located TP901 findings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from townplans.profile import REF_PATTERN, Profile, load_profile


def _structured_refs(value: Any) -> set[str]:
    refs: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "ref":
                refs.update(item if isinstance(item, list) else [item])
            else:
                refs |= _structured_refs(item)
    elif isinstance(value, list):
        for item in value:
            refs |= _structured_refs(item)
    return refs


def test_shipped_profile_is_valid(repo: Path) -> None:
    result = load_profile(repo / "templates/profile.yaml", repo)
    assert result.findings == ()
    assert result.profile is not None and result.profile.version == "2023.1"


def test_every_requirement_of_the_source_plan_is_findable(repo: Path) -> None:
    data = yaml.safe_load((repo / "templates/profile.yaml").read_text(encoding="utf-8"))
    refs = _structured_refs(data)
    assert all(REF_PATTERN.match(ref) for ref in refs)
    assert refs == {f"R{number:02d}" for number in range(1, 42)}


def test_garbled_targets_stay_unknown(profile: Profile) -> None:
    assert profile.indicators["road_coverage_rate"].target is None
    assert profile.indicators["water_supply_rate"].target is None
    assert profile.indicators["water_supply_rate"].status == "garbled"
    assert profile.indicators["greening_coverage"].target == Decimal(30)
    assert profile.indicators["per_capita_road_area"].comparator_inferred


def test_impossible_source_date_is_not_rolled_over(profile: Profile) -> None:
    inspect = next(phase for phase in profile.phases if phase.key == "inspect")
    assert inspect.start == (9, 26)
    assert inspect.end is None and inspect.status == "garbled"


def test_documents_and_lists(profile: Profile) -> None:
    brief = profile.documents["project_brief"]
    assert brief.fields["zone"].enum == (
        "产业发展区",
        "居住发展区",
        "重点景观建设区",
        "重点生态功能区",
    )
    assert "社会资本" in brief.fields["funding"].items["source"].enum
    assert (
        brief.attachments["after"].when is not None
        and str(brief.attachments["after"].when) == "progress_percent >= 100"
    )
    assert brief.alias_map()["总投资"] == "investment"
    assert [d.label for d in profile.deliverables][:3] == ["镇基本信息", "建设计划", "总体规划"]


BROKEN: dict[str, tuple[str, str, str]] = {
    "unknown field type": ("type: money", "type: moneyy", "type：应为 money、"),
    "misspelt field attribute": (
        "required: true, ref: R29}",
        "requried: true, ref: R29}",
        "未知的键“requried”，是否应为“required”？",
    ),
    "missing list": ("enum_from: zones", "enum_from: zonez", "列表“zonez”不存在"),
    "bad comparator": (
        'comparator: ">="\n    target: 2',
        'comparator: "=>"\n    target: 2',
        "comparator：应为 >=、<=、==、>、< 之一，实为“=>”",
    ),
    "impossible phase date": ('end: "09-25"', 'end: "09-31"', "9月只有30天"),
    "bad requirement number": ("ref: R02", "ref: R99", "R99"),
    "condition on unknown field": (
        'ref: R35\n        when: {field: progress_percent, op: ">=", value: 100}',
        'ref: R35\n        when: {field: percent_done, op: ">=", value: 100}',
        "未定义的字段“percent_done”",
    ),
    "target text": ("target: 60", "target: 六十", "target：应为数字或null，实为“六十”"),
    # The ordinary edits that used to raise a traceback (issue 11).
    "count in Chinese numerals": ("count: {min: 2}", "count: {min: 二}", "min：应为整数，实为“二”"),
    "count as a list": ("count: {min: 2}", "count: [2]", "count：应为键值映射"),
    "fields as a list": (
        "fields:\n      name: {label: 区名称",
        "fields: [x]\n    x:\n      name: {label: 区名称",
        "fields：应为键值映射",
    ),
    "deliverable without key": (
        "{key: town, label: 镇基本信息, document: town}",
        "{label: 镇基本信息, document: town}",
        "缺少必需的键“key”",
    ),
    "misspelt document key": (
        'location: "{town}/town.yaml"',
        'locaton: "{town}/town.yaml"',
        "未知的键“locaton”，是否应为“location”？",
    ),
    "deliverable to nowhere": (
        "document: weekly_report}",
        "document: weekly_reports}",
        "交付成果应引用",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_profile_mistakes_are_located(case: str, repo: Path, tmp_path: Path) -> None:
    old, new, fragment = BROKEN[case]
    text = (repo / "templates/profile.yaml").read_text(encoding="utf-8")
    if old not in text:
        pytest.fail(f"fixture text not found: {old!r}")
    broken = text.replace(old, new, 1)
    path = tmp_path / "profile.yaml"
    path.write_text(broken, encoding="utf-8")
    result = load_profile(path, tmp_path)
    assert result.profile is not None, "a partly broken profile must still load"
    matches = [f for f in result.findings if fragment in f.message]
    assert matches, [str(f) for f in result.findings]
    finding = matches[0]
    assert finding.code == "TP901" and finding.ref.path == "profile.yaml"
    expected_line = broken[: broken.index(new)].count("\n") + 1
    assert finding.ref.line is not None and abs(finding.ref.line - expected_line) <= 1


def test_unreadable_profile_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("version: [1\n", encoding="utf-8")
    result = load_profile(path, tmp_path)
    assert result.profile is None and result.findings[0].code == "TP002"
    assert load_profile(tmp_path / "none.yaml", tmp_path).findings[0].code == "TP901"
