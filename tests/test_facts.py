"""The fact base: what the loader reads into facts (fields, tables, text), the knowledge files that
declare how, and the agreement engine (TP640) that compares any two statements of one fact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import copy_workspace
from townplans import pipeline
from townplans.facts import Entity, Fact, Quantity
from townplans.knowledge import Attribute, load_knowledge
from townplans.model import SourceRef
from townplans.rules.agreement import agree, odd_one_out

TODAY = dt.date(2023, 9, 20)
BINHE = Entity("project", "weicheng/binhe-road")
PLAN = "towns/weicheng/construction-plan.md"
BRIEF = "towns/weicheng/projects/binhe-road/brief.md"


@pytest.fixture(scope="module")
def sample_session() -> pipeline.Session:
    return pipeline.open_session(Path(__file__).resolve().parent.parent)


def _values(session: pipeline.Session, subject: Entity, attribute: str) -> list[tuple[str, str]]:
    return [(f.source.path, str(f.value)) for f in session.facts.of(subject, attribute)]


# -- reading facts ------------------------------------------------------------------------------------


def test_a_brief_field_and_the_plan_table_state_one_fact_about_one_project(
    sample_session: pipeline.Session,
) -> None:
    facts = sample_session.facts.of(BINHE, "investment")
    assert sorted((f.origin, f.source.path) for f in facts) == [("field", BRIEF), ("table", PLAN)]
    assert {f.value.value for f in facts if isinstance(f.value, Quantity)} == {Decimal(1850)}
    assert sample_session.facts.name(BINHE) == "滨河路道路改造工程"


def test_funding_permits_and_indicators_become_facts_of_their_subject(
    sample_session: pipeline.Session,
) -> None:
    facts = sample_session.facts
    funding = {
        f.attribute: f.value for f in facts.about(BINHE) if f.attribute.startswith("funding.")
    }
    assert funding and sum(v.value for v in funding.values() if isinstance(v, Quantity)) == 1850
    assert facts.first(BINHE, "permits.construction") is not None
    town = Entity("town", "weicheng")
    greening = facts.first(town, "indicator.greening_coverage")
    assert greening is not None and greening.value == Quantity(Decimal("33.5"), "%", "33.5%")
    assert facts.first(town, "indicator.greening_coverage.口径") is not None


def test_report_rows_are_facts_about_projects_as_of_the_report(
    sample_session: pipeline.Session,
) -> None:
    rows = [
        (f.as_of, str(f.value))
        for f in sample_session.facts.of(Entity("project", "weicheng/sewage-network"),
                                         "cumulative_investment")
        if f.origin == "report"
    ]  # fmt: skip
    # One fact per weekly report of the sample's series (第1期 28 July to 第8期 15 September).
    assert rows == [
        (dt.date(2023, 7, 28), "60万元"), (dt.date(2023, 8, 4), "270万元"),
        (dt.date(2023, 8, 11), "490万元"), (dt.date(2023, 8, 18), "700万元"),
        (dt.date(2023, 8, 25), "920万元"), (dt.date(2023, 9, 1), "1140万元"),
        (dt.date(2023, 9, 8), "1350万元"), (dt.date(2023, 9, 15), "1640万元"),
    ]  # fmt: skip


def test_text_patterns_read_the_figures_a_sentence_states(sample_session: pipeline.Session) -> None:
    town = Entity("town", "weicheng")
    assert _values(sample_session, town, "project_count") == [(PLAN, "4")]
    assert _values(sample_session, town, "total_investment") == [(PLAN, "5860万元")]
    assert _values(sample_session, town, "planned_area") == [
        ("towns/weicheng/master-plan/01-general.md", "5.8平方公里")
    ]


def test_every_fact_has_a_located_source(sample_session: pipeline.Session) -> None:
    assert len(sample_session.facts) > 1000
    assert all(f.source.path.startswith("towns/") for f in sample_session.facts)
    assert all(f.source.line for f in sample_session.facts if f.origin in ("table", "text"))


# -- the knowledge files -----------------------------------------------------------------------------


def test_a_mistake_in_a_knowledge_file_is_a_located_finding(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "attributes:\n  investment: {label: 投资规模, unit: 万元, tolerence: 1}\n"
        "patterns:\n  - {name: x, documents: [master_plan], subject: town, attribute: a,"
        " pattern: '面积(\\d+', type: number}\n"
        "  - {name: y, documents: [master_plan], subject: town, attribute: a,"
        " pattern: '面积\\d+', type: number}\n",
        encoding="utf-8",
    )
    result = load_knowledge(folder, tmp_path)
    said = [(f.code, str(f.ref), f.message) for f in result.findings]
    assert said[0][:2] == ("TP905", "knowledge/a.yaml:2") and "tolerance" in said[0][2]
    assert ("TP905", "knowledge/a.yaml:4", "正则表达式无效：第 3 个字符处圆括号 ( 没有闭合") in said
    assert ("TP905", "knowledge/a.yaml:5", "正则表达式应有名为 value 的分组：(?P<value>…)") in said
    assert result.knowledge.patterns == ()  # neither usable pattern is kept
    assert result.knowledge.attributes["investment"].label == "投资规模"


def test_the_shipped_knowledge_loads_without_findings(sample_session: pipeline.Session) -> None:
    assert not [f for f in sample_session.profile_findings if f.code == "TP905"]
    assert sample_session.knowledge.tables and sample_session.knowledge.patterns


# -- agreement ------------------------------------------------------------------------------------------


def _fact(value: object, line: int, as_of: dt.date | None = None) -> Fact:
    return Fact(BINHE, "investment", value, SourceRef("a.md", line), as_of)  # type: ignore[arg-type]


def test_quantities_agree_across_units_and_within_tolerance() -> None:
    spec = Attribute("area", "面积", "ha", tolerance=Decimal("0.05"))
    ha = _fact(Quantity(Decimal(580), "ha", "580公顷"), 1)
    km2 = _fact(Quantity(Decimal("5.8"), "km2", "5.8平方公里"), 2)
    near = _fact(Quantity(Decimal("580.04"), "ha", "580.04公顷"), 3)
    far = _fact(Quantity(Decimal("580.2"), "ha", "580.2公顷"), 4)
    assert agree(ha, km2, spec) and agree(ha, near, spec)
    assert not agree(ha, far, spec)


def test_the_statement_out_of_line_is_the_one_named() -> None:
    spec = Attribute("investment", "投资规模", "万元")
    same = [_fact(Quantity(Decimal(1850), "万元", "1850万元"), n) for n in (1, 2)]
    odd = _fact(Quantity(Decimal(1580), "万元", "1580万元"), 3)
    found = odd_one_out([same[0], odd, same[1]], spec)
    assert found is not None and found[0] is odd


def test_names_and_leaders_agree_without_their_bracketed_remarks() -> None:
    spec = Attribute("leader", "责任领导")
    assert agree(_fact("李国强（副镇长）", 1), _fact("李国强", 2), spec)
    assert not agree(_fact("李国强", 1), _fact("陈静", 2), spec)


@pytest.mark.parametrize(
    ("old", "new", "place"),
    [
        # a brief's investment against the construction plan's table
        ("| 1 | 滨河路道路改造工程 | 重点景观建设区 | 1850 |", "| 1 | 滨河路道路改造工程 | 重点景观建设区 | 1580 |", PLAN),
        # a zone's area in town.yaml against ... nothing else reads it yet: the plan's deadline
        ("| 2023年9月15日 | 李国强 |", "| 2023年9月18日 | 李国强 |", PLAN),
    ],
)  # fmt: skip
def test_tp640_names_both_places_of_a_disagreement(
    tmp_path: Path, old: str, new: str, place: str
) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    path = root / place
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, result = pipeline.run_check(root, pipeline.Selection(select=("TP640",)), TODAY)
    found = [f for f in result.findings if f.code == "TP640"]
    assert len(found) == 1, [str(f) for f in found]
    assert found[0].ref.path == place and BRIEF in found[0].message, found[0].message


def test_tp640_is_silent_on_the_clean_sample_towns(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    _, result = pipeline.run_check(root, pipeline.Selection(select=("TP640",)), TODAY)
    assert [str(f) for f in result.findings if f.code == "TP640"] == []
