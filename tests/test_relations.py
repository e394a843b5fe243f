"""The fact engines beyond agreement: derivation (TP641, and TP205/TP407 as its declarations),
implication (TP642), order (TP643) and containment (TP644), each declaration of
templates/knowledge/relations.yaml with a failing fixture (the mistake, reported at its place with
the other place named) and a passing one (the same edit made consistently: judged and silent);
the knowledge file's mistakes as TP905; and the findings a newcomer can act on (a figure derived
with no table beside it, the misdated photo named, a placeholder said once, the line to paste for
an unlisted drawing)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import copy_workspace
from townplans import pipeline
from townplans.facts import Quantity
from townplans.knowledge import compile_formula, load_knowledge
from townplans.model import Finding
from townplans.rules.factquery import half_unit
from townplans.values import ValueFormatError, parse_area, parse_period

TODAY = dt.date(2023, 9, 20)
W = "towns/weicheng"
PLAN = f"{W}/construction-plan.md"
TOWN = f"{W}/town.yaml"
GENERAL = f"{W}/master-plan/01-general.md"
LAND = f"{W}/master-plan/02-land-use.md"
IMPL = f"{W}/master-plan/04-implementation.md"
CENTER = f"{W}/detailed-plans/center/plan.md"
SITE = f"{W}/detailed-plans/binhe-road/plan.md"
BINHE = f"{W}/projects/binhe-road/brief.md"
MARKET = f"{W}/projects/market-upgrade/brief.md"
SEWAGE = f"{W}/projects/sewage-network/brief.md"
REPORT1 = f"{W}/reports/2023-09-08.md"
REPORT2 = f"{W}/reports/2023-09-15.md"
Z_PLAN = "towns/zhengyang/construction-plan.md"

Edit = tuple[str, str, str]


@dataclass(frozen=True)
class Declared:
    """One declaration of relations.yaml: the edits that break it, the edits that keep it (the
    relation judged and holding), where the finding stands and what its message says."""

    name: str
    code: str
    fail: tuple[Edit, ...]
    keep: tuple[Edit, ...]
    place: str
    needle: str
    """Text on the line the finding stands at (after the failing edits)."""
    fragment: str


def _intro(sentence: str) -> Edit:
    return (Z_PLAN, "制定本计划。", f"制定本计划。{sentence}")


RUN_STAGE = "progress: 大棚钢结构完成，停车场基层完成，消防管网正在安装"
PERMITS_END = "  tender: 已办理\n"
CITES_CENTER = (
    SITE,
    "滨河路西起西环路",
    "本规划依据《渭城镇中心区控制性详细规划》编制。滨河路西起西环路",
)

DECLARED = [
    Declared(
        "建设项目个数应等于本镇的项目数", "TP641",
        (_intro("2023年安排小城镇建设项目5个，总投资4060万元。"),),
        (_intro("2023年安排小城镇建设项目4个，总投资4060万元。"),),
        Z_PLAN, "建设项目5个", "而本镇的项目计有 4 个（正阳街心公园建设项目（towns/zhengyang/projects/",
    ),
    Declared(
        "建设计划总投资应等于各项目投资规模之和", "TP641",
        (_intro("2023年安排小城镇建设项目4个，总投资4160万元。"),),
        (_intro("2023年安排小城镇建设项目4个，总投资4060万元。"),),
        Z_PLAN, "总投资4160万元", "＋2400万元（正阳工业园区纬二路建设工程，towns/zhengyang/projects/weier-road/brief.md:9） = 4060万元",
    ),
    Declared(
        "投资规模应等于各资金来源之和", "TP205",
        ((BINHE, "{source: 镇自筹, amount: 400万元}", "{source: 镇自筹, amount: 300万元}"),),
        ((BINHE, "{source: 镇自筹, amount: 400万元}", "{source: 镇自筹, amount: 300万元}"),
         (BINHE, "investment: 1850万元", "investment: 1750万元")),
        BINHE, "investment:", "＋300万元（镇自筹，towns/weicheng/projects/binhe-road/brief.md:13） = 1750万元",
    ),
    Declared(
        "建成区人口增长率应与两年人口数相符", "TP407",
        ((TOWN, "built_up_population_last_year: 26350人", "built_up_population_last_year: 24000人"),),
        ((TOWN, "built_up_population_last_year: 26350人", "built_up_population_last_year: 24000人"),
         (TOWN, "value: 4.7%", "value: 15%")),
        TOWN, "value: 4.7%", "计算为 15.0%（建成区常住人口 27600人（towns/weicheng/town.yaml:9）",
    ),
    Declared(
        "人均道路面积应等于道路面积除以建成区常住人口", "TP641",
        ((TOWN, "道路面积26.5万㎡", "道路面积31.5万㎡"),),
        ((TOWN, "道路面积26.5万㎡", "道路面积31.5万㎡"), (TOWN, "value: 9.6㎡/人", "value: 11.4㎡/人")),
        TOWN, "value: 9.6㎡/人", "计算为 11.4㎡/人（建成区道路面积 31.5万㎡（towns/weicheng/town.yaml:30）",
    ),
    Declared(
        "人均建设用地应等于规划建设用地除以规划期末人口", "TP641",
        ((GENERAL, "至2035年3.8万人", "至2035年4.2万人"),),
        ((GENERAL, "至2035年3.8万人", "至2035年4.2万人"), (LAND, "人均建设用地108㎡", "人均建设用地98㎡")),
        LAND, "人均建设用地108㎡", "规划人口 4.2万人（towns/weicheng/master-plan/01-general.md:45）",
    ),
    Declared(
        "形象进度写明已完工，形象进度百分比应为 100%", "TP642",
        ((MARKET, RUN_STAGE, "progress: 全部完工，正在整理竣工资料"),),
        ((MARKET, RUN_STAGE, "progress: 全部完工，正在整理竣工资料"),
         (MARKET, "progress_percent: 70%", "progress_percent: 100%")),
        MARKET, "progress: 全部完工", "形象进度百分比为“70%”（towns/weicheng/projects/market-upgrade/brief.md:17）",
    ),
    Declared(
        "形象进度写明尚未开工，不应已有完成投资", "TP642",
        ((SEWAGE, "progress: 污水管道完成4.3公里，雨水管道完成3.9公里，正在进行路面恢复", "progress: 尚未开工"),),
        ((SEWAGE, "progress: 污水管道完成4.3公里，雨水管道完成3.9公里，正在进行路面恢复", "progress: 尚未开工"),
         (SEWAGE, "cumulative_investment: 1680万元", "cumulative_investment: 0万元")),
        SEWAGE, "progress: 尚未开工", "累计完成投资为“1680万元”",
    ),
    Declared(
        "竣工验收已办理，形象进度百分比应为 100%", "TP642",
        ((MARKET, PERMITS_END, PERMITS_END + "  completion: 已办理\n"),),
        ((MARKET, PERMITS_END, PERMITS_END + "  completion: 已办理\n"),
         (MARKET, "progress_percent: 70%", "progress_percent: 100%")),
        MARKET, "completion: 已办理", "此处竣工验收为“已办理”",
    ),
    Declared(
        "所依据的规划尚在征求意见，本规划不应报批或批准", "TP642",
        (CITES_CENTER, (CENTER, "status: 送审稿", "status: 征求意见稿")),
        (CITES_CENTER,),
        SITE, "status: 批准稿", "《渭城镇中心区控制性详细规划》（引用见 towns/weicheng/detailed-plans/binhe-road/plan.md:19）的成果阶段为“征求意见稿”",
    ),
    Declared(
        "文中所述情况的截至日期不应晚于文件自身的日期", "TP643",
        ((PLAN, "制定本计划。", "制定本计划。截至2023年8月1日，项目简介已全部报送。"),),
        ((PLAN, "制定本计划。", "制定本计划。截至2023年7月20日，项目简介已全部报送。"),),
        PLAN, "截至2023年8月1日", "晚于文件日期 2023年7月24日（towns/weicheng/construction-plan.md:6）",
    ),
    Declared(
        "周报所述情况的截至日期不应晚于报送日期", "TP643",
        ((REPORT2, "本周完成投资610万元。", "截至2023年9月18日，本周完成投资610万元。"),),
        ((REPORT2, "本周完成投资610万元。", "截至2023年9月15日，本周完成投资610万元。"),),
        REPORT2, "截至2023年9月18日", "晚于文件日期 2023年9月15日",
    ),
    Declared(
        "本周完成投资不应大于累计完成投资", "TP643",
        ((REPORT1, "week_investment: 160万元, cumulative_investment: 1650万元",
          "week_investment: 1650万元, cumulative_investment: 160万元"),),
        ((REPORT1, "week_investment: 160万元, cumulative_investment: 1650万元",
          "week_investment: 160万元, cumulative_investment: 160万元"),),
        REPORT1, "project: binhe-road", "本周完成投资 1650万元 大于累计完成投资 160万元",
    ),
    Declared(
        "近期建设年限应在规划期限之内", "TP644",
        ((GENERAL, "近期至2025年", "近期至2038年"), (IMPL, "近期（至2025年）", "近期（至2038年）")),
        ((GENERAL, "近期至2025年", "近期至2030年"), (IMPL, "近期（至2025年）", "近期（至2030年）")),
        IMPL, "近期（至2038年）", "近期建设年限“至2038年”不在规划期限“2021—2035年”（towns/weicheng/master-plan/01-general.md:3）之内",
    ),
    Declared(
        "详细规划的规划期限应在所依据规划的期限之内", "TP644",
        ((CENTER, "总用地86.4公顷。", "总用地86.4公顷，规划期限2023—2040年。"),),
        ((CENTER, "总用地86.4公顷。", "总用地86.4公顷，规划期限2023—2035年。"),),
        CENTER, "规划期限2023—2040年", "的规划期限“2021—2035年”（towns/weicheng/master-plan/01-general.md:3）之内",
    ),
]  # fmt: skip


def _broken(tmp_path: Path, edits: tuple[Edit, ...]) -> Path:
    root = copy_workspace(tmp_path / "ws", ("weicheng", "zhengyang"))
    for path, old, new in edits:
        file = root / path
        text = file.read_text(encoding="utf-8")
        assert old in text, f"fixture text not in {path}: {old!r}"
        file.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def _found(root: Path, code: str) -> list[Finding]:
    _, result = pipeline.run_check(root, pipeline.Selection(select=(code,)), TODAY)
    return [f for f in result.findings if f.code == code]


def _line(root: Path, path: str, needle: str) -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_every_declaration_has_a_failing_and_a_passing_fixture(
    sample_session: pipeline.Session,
) -> None:
    knowledge = sample_session.knowledge
    declared: list[tuple[str, str]] = [
        *((d.name, d.source) for d in knowledge.derivations),
        *((d.name, d.source) for d in knowledge.implications),
        *((d.name, d.source) for d in knowledge.orders),
        *((d.name, d.source) for d in knowledge.containments),
    ]
    assert sorted(name for name, _ in declared) == sorted(case.name for case in DECLARED)
    assert all(source for _, source in declared)  # every declaration says what it rests on


@pytest.fixture(scope="module")
def sample_session() -> pipeline.Session:
    return pipeline.open_session(Path(__file__).resolve().parent.parent)


@pytest.mark.parametrize("case", DECLARED, ids=[case.name for case in DECLARED])
def test_a_broken_relation_is_reported_at_its_place_with_the_other_place(
    case: Declared, tmp_path: Path
) -> None:
    root = _broken(tmp_path, case.fail)
    found = _found(root, case.code)
    assert len(found) >= 1, f"{case.code} did not fire"
    # only where the mistake is (a restatement elsewhere that agrees is not named again)
    assert {f.ref.path for f in found} <= {case.place, *(path for path, _, _ in case.fail)}, found
    here = [f for f in found if f.ref.path == case.place]
    line = _line(root, case.place, case.needle)
    assert [f.ref.line for f in here] == [line] * len(here) and here, [str(f) for f in found]
    assert any(case.fragment in f.message for f in here), [f.message for f in here]
    assert all(case.name in f.message for f in here)  # the message says what should hold


@pytest.mark.parametrize("case", DECLARED, ids=[case.name for case in DECLARED])
def test_a_relation_made_consistent_is_judged_and_silent(case: Declared, tmp_path: Path) -> None:
    root = _broken(tmp_path, case.keep)
    assert [str(f) for f in _found(root, case.code)] == []


def test_the_clean_sample_towns_break_no_relation(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    _, result = pipeline.run_check(
        root,
        pipeline.Selection(select=("TP205", "TP407", "TP641", "TP642", "TP643", "TP644")),
        TODAY,
    )
    assert [str(f) for f in result.findings] == []


# -- a newcomer's findings ---------------------------------------------------------------------------


def test_a_plan_without_a_project_table_is_checked_against_the_briefs(tmp_path: Path) -> None:
    """安排建设项目4个，总投资5860万元 with the table moved out and one project dropped: the
    briefs give 3 projects and 4910万元, and both figures are named at the sentence."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    plan = (root / PLAN).read_text(encoding="utf-8")
    table_start = plan.index("| 序号 | 项目名称 | 功能区")
    table_end = plan.index("# 五、完成时限")
    (root / PLAN).write_text(plan[:table_start] + plan[table_end:], encoding="utf-8")
    shutil.rmtree(root / W / "projects" / "market-upgrade")
    found = _found(root, "TP641")
    line = _line(root, PLAN, "建设项目4个")
    assert sorted((f.ref.path, f.ref.line) for f in found) == [(PLAN, line), (PLAN, line)]
    messages = " ".join(f.message for f in found)
    assert "建设项目个数写 4，而本镇的项目计有 3 个" in messages
    assert "总投资写 5860万元，而各项目的投资规模之和 = " in messages and "= 4910万元" in messages


def test_a_sentence_beside_its_table_is_left_to_the_table_rule(tmp_path: Path) -> None:
    """The count in the sentence right above the project table: TP622 compares them, TP641 does
    not say it again."""
    root = _broken(tmp_path, ((PLAN, "建设项目4个", "建设项目5个"),))
    _, result = pipeline.run_check(root, pipeline.Selection(select=("TP622", "TP641")), TODAY)
    assert [f.code for f in result.findings if f.ref.path == PLAN] == ["TP622"]


def test_a_sum_over_a_list_with_an_unreadable_item_is_not_judged(tmp_path: Path) -> None:
    """One funding amount that cannot be read: TP202 says so; the sum of the others is no sum."""
    root = _broken(tmp_path, ((BINHE, "amount: 400万元", "amount: 四百万元"),))
    _, result = pipeline.run_check(root, pipeline.Selection(select=("TP202", "TP205")), TODAY)
    assert [(f.code, f.ref.path) for f in result.findings] == [("TP202", BINHE)]


def test_a_misdated_after_photo_is_the_one_named(tmp_path: Path) -> None:
    """One after photo dated before everything else: that photo is named, not the before and
    progress photos taken after it."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    photos = root / W / "projects/binhe-road/photos.yaml"
    text = photos.read_text(encoding="utf-8")
    photos.write_text(
        text.replace(
            "caption: 改造后道路与人行道}", "caption: 改造后道路与人行道, date: 2023-05-01}"
        ),
        encoding="utf-8",
    )
    found = _found(root, "TP505")
    assert [f.ref.path for f in found] == [f"{W}/projects/binhe-road/photos/after/after-1.jpg"]
    assert (
        "建成后照片 after-1.jpg 拍摄于 2023-05-01，早于施工前照片 before-1.jpg" in found[0].message
    )


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (TOWN, "phone: 029-33216502", "phone: 【待填写：联系电话，如 029-33210000】"),
        (PLAN, "doc_number: 渭城镇发〔2023〕21号", "doc_number: 【待填写：发文字号】"),
        (MARKET, "zone: 产业发展区", "zone: 【待填写：所属功能区】"),
        (f"{W}/detailed-plans/center/parcels.yaml", "use: C4,", "use: 【待填写：用地性质代码】,"),
        (TOWN, "value: 33.5%", "value: 【待填写：绿化覆盖率】"),
        (TOWN, "value: 92%", "value: 【待填写】"),
    ],
)  # fmt: skip
def test_a_placeholder_is_reported_once(tmp_path: Path, path: str, old: str, new: str) -> None:
    """A 【待填写】 value is said to be unfilled once (TP202, or TP405 for an indicator), not
    again as a wrong phone, 发文字号, zone, land-use code, disagreement or unconfirmed target."""
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    _, before = pipeline.run_check(root, pipeline.Selection(), TODAY)
    file = root / path
    file.write_text(file.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    _, after = pipeline.run_check(root, pipeline.Selection(), TODAY)
    baseline = {(f.code, str(f.ref), f.message) for f in before.findings}
    fresh = [f for f in after.findings if (f.code, str(f.ref), f.message) not in baseline]
    assert len(fresh) == 1, [str(f) for f in fresh]
    assert fresh[0].code in ("TP202", "TP405") and "尚未填写" in fresh[0].message
    # and what used to be said about the value as written is said no more
    gone = {(f.code, f.ref.path) for f in before.findings} - {
        (f.code, f.ref.path) for f in after.findings
    }
    assert gone <= {("TP406", TOWN)}  # an unconfirmed target has no value to confirm


@pytest.mark.parametrize(
    ("listed", "title"),
    [
        # the text lists the drawing by number without its image
        ("5. 镇区综合交通规划图\n", "镇区综合交通规划图"),
        # nothing lists it: the title another town gives a drawing of that file name
        ("", "镇区道路交通规划图"),
    ],
)
def test_an_unlisted_drawing_comes_with_the_line_to_paste(
    tmp_path: Path, listed: str, title: str
) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng", "zhengyang"))
    impl = root / IMPL
    text = impl.read_text(encoding="utf-8")
    line = "![镇区道路交通规划图](drawings/05-roads.png)\n\n"
    assert line in text
    impl.write_text(text.replace(line, listed), encoding="utf-8")
    found = _found(root, "TP303")
    assert [f.ref.path for f in found] == [f"{W}/master-plan/drawings/05-roads.png"]
    after = _line(root, IMPL, "drawings/04-land-use.png")  # the list stays in file-name order
    assert found[0].message.endswith(
        f"请在 {IMPL} 第 {after} 行后加一行 ![{title}](drawings/05-roads.png)"
    ), found[0].message


def test_a_drawing_named_in_chinese_gives_its_own_title(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", ("weicheng",))
    drawings = root / W / "master-plan/drawings"
    shutil.copy(drawings / "05-roads.png", drawings / "08-镇区绿地系统规划图.png")
    found = _found(root, "TP303")
    last = _line(root, IMPL, "07-near-term.png")
    assert len(found) == 1
    assert found[0].message.endswith(
        f"请在 {IMPL} 第 {last} 行后加一行 ![镇区绿地系统规划图](drawings/08-镇区绿地系统规划图.png)"
    )


# -- the knowledge file ----------------------------------------------------------------------------


def test_mistakes_in_relation_declarations_are_located_findings(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "r.yaml").write_text(
        "derivations:\n"
        "  - {name: a, subject: town, stated: x, source: s, count: project, sum: y}\n"
        "  - {name: b, subject: town, stated: x, source: s, formula: 'p ** 2', inputs: {p: y}}\n"
        "  - {name: c, subject: town, stated: x, source: s, formula: 'p / q', inputs: {p: y}}\n"
        "  - {name: d, subject: town, stated: x, source: s, formula: '__import__(1)', inputs: {}}\n"
        "  - {name: e, subject: town, stated: x, source: s, count: project, rule: TP999}\n"
        "implications:\n"
        "  - {name: f, subject: plan, source: s, if: {attribute: status, at_least: 定稿,"
        " scale: [初稿, 批准稿]}, then: {attribute: status, is: [批准稿]}}\n"
        "orders:\n"
        "  - {name: g, subject: plan, earlier: x, source: s}\n"
        "patterns:\n"
        "  - {name: h, subject: plan, attribute: a, pattern: '(?P<value>x)', type: text}\n"
        "  - {name: i, documents: [site_plan], subject: plan, attribute: a,"
        " pattern: '(?P<value>x)', type: reference}\n",
        encoding="utf-8",
    )
    result = load_knowledge(folder, tmp_path)
    said = {(str(f.ref), f.message) for f in result.findings}
    assert all(f.code == "TP905" for f in result.findings)
    expected = {
        ("knowledge/r.yaml:2", "推导应写 count、sum、formula 三者之一"),
        ("knowledge/r.yaml:3", "公式只能用 + - * / 、括号、数字和输入名"),
        ("knowledge/r.yaml:4", "公式中的“q”不在 inputs 中"),
        ("knowledge/r.yaml:5", "公式只能用 + - * / 、括号、数字和输入名"),
        ("knowledge/r.yaml:10", "orders[1]：缺少必需的键“later”"),
        ("knowledge/r.yaml:12", "提取模式应写 documents（读正文）或 from（读某属性的文字）之一"),
        (
            "knowledge/r.yaml:13",
            "type: reference 的提取模式应写 refers（所指主体类别），其他类型不写",
        ),
    }
    assert expected <= said, sorted(said - expected)
    assert any(ref == "knowledge/r.yaml:6" and "TP999" in message for ref, message in said)
    assert any(
        ref == "knowledge/r.yaml:8" and "“定稿”不在 scale" in message for ref, message in said
    )
    knowledge = result.knowledge
    # the unusable ones are left out; a wrong rule code is dropped and TP641 reports it
    assert [(d.name, d.rule) for d in knowledge.derivations] == [("e", "TP641")]
    assert knowledge.implications == () and knowledge.orders == () and knowledge.patterns == ()


def test_a_formula_is_arithmetic_in_decimals_never_evaluated_as_python() -> None:
    growth = compile_formula("(p - p0) / p0 * 100")
    assert not isinstance(growth, str)
    assert growth({"p": Decimal(27600), "p0": Decimal(26350)}) == pytest.approx(Decimal("4.7438"), abs=Decimal("0.0001"))  # fmt: skip
    assert growth({"p": Decimal(1), "p0": Decimal(0)}) is None  # division by zero: not judged
    for text in ("p ** 2", "__import__('os')", "p.real", "[p]", "p if p else 1", "lambda: 1"):
        assert isinstance(compile_formula(text), str), text


# -- the values relations read ------------------------------------------------------------------------


def test_periods_and_areas_in_ten_thousands_are_read() -> None:
    assert parse_period("2021—2035年").value == (dt.date(2021, 1, 1), dt.date(2035, 12, 31))
    assert parse_period("至2025年").value == (None, dt.date(2025, 12, 31))
    assert parse_period("2023至2025年").value == (dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    for wrong in ("2035—2021年", "近期", "2021—3035年"):
        with pytest.raises(ValueFormatError):
            parse_period(wrong)
    assert parse_area("26.5万㎡").value == Decimal(265000)
    assert parse_area("8万平方米", "ha").value == Decimal(8)


def test_the_rounding_a_written_figure_carries() -> None:
    assert half_unit(Quantity(Decimal("9.6"), "m2/人", "9.6㎡/人")) == Decimal("0.05")
    assert half_unit(Quantity(Decimal(265000), "m2", "26.5万㎡")) == Decimal(500)
    assert half_unit(Quantity(Decimal("3.8"), "万人", "3.8")) == Decimal(500)
    assert half_unit(Quantity(Decimal(5860), "万元", "5860万元")) == Decimal("0.5")
