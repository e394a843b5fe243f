"""One parser per kind of value (issue 21): money, dates and figures are read in
``townplans/values.py`` alone. A rule or a renderer that writes its own pattern over 万元/亿元,
its own ``strptime``/``fromisoformat``, or turns a regex group straight into a ``Decimal`` is a
second parser: this test names it, with its file and line."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from townplans import values

PACKAGE = Path(values.__file__).parent
GUARDED = ("rules", "render")
READ_BY_RENDERERS = ("progress.py", "scoring.py")
"""The weekly progress model and the 考核评分: renderers print their figures, so they read
them through ``values`` too (issue 23 merged onto issue 21)."""
MONEY_WORDS = ("万元", "亿元")
REGEX_MARKS = ("|", "\\d", "[0-9", "\\s")


def second_parsers(source: str, name: str) -> list[str]:
    """Where ``source`` parses money or dates on its own (file:line and what)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if any(w in text for w in MONEY_WORDS) and any(m in text for m in REGEX_MARKS):
                found.append(f"{name}:{node.lineno} 金额正则 {text!r}")
        elif isinstance(node, ast.Attribute) and node.attr in ("strptime", "fromisoformat"):
            found.append(f"{name}:{node.lineno} 日期解析 {node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Decimal"
            and node.args
            and isinstance(node.args[0], ast.Call)
            and isinstance(node.args[0].func, ast.Attribute)
            and node.args[0].func.attr == "group"
        ):
            found.append(f"{name}:{node.lineno} Decimal(正则分组)")
    return found


def test_rules_and_renderers_have_no_parser_of_their_own() -> None:
    found = [
        hit
        for path in [
            *(p for folder in GUARDED for p in sorted((PACKAGE / folder).rglob("*.py"))),
            *(PACKAGE / name for name in READ_BY_RENDERERS),
        ]
        for hit in second_parsers(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert not found, "在 townplans/values.py 之外另写了解析：\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("snippet", "what"),
    [
        ('AMOUNT = re.compile(r"([0-9.]+)\\s*(万元|亿元)")', "金额正则"),
        ('FIGURE = "([0-9][0-9,.]*)\\\\s*(万元|亿元)"', "金额正则"),
        ("day = dt.datetime.strptime(text, '%Y-%m-%d')", "日期解析"),
        ("day = dt.date.fromisoformat(report.date_text)", "日期解析"),
        ("amount = Decimal(match.group(1))", "Decimal(正则分组)"),
    ],
)
def test_the_guard_names_each_kind_of_second_parser(snippet: str, what: str) -> None:
    [hit] = second_parsers(snippet, "x.py")
    assert hit.startswith("x.py:1 ") and what in hit


def test_a_message_naming_an_amount_is_no_parser() -> None:
    assert second_parsers('message = f"总投资 {total}万元，超过 {limit}万元"', "x.py") == []


def test_the_fragments_read_what_the_rules_used_to() -> None:
    import re

    match = re.search(rf"总投资\s*{values.MONEY_FIGURE}", "项目总投资1.2亿元，其中")
    assert match is not None
    assert values.money_or_none(match.group(1) + match.group(2)) == Decimal(12000)
    loose = re.search(values.MONEY_FIGURE_LOOSE, "投资规模１，８５０万")
    assert loose is not None and values.money_or_none(loose.group(1) + loose.group(2)) == 1850
    area = re.search(values.AREA_FIGURE, "镇区5.8平方公里")
    assert area is not None and values.hectares_or_none(area.group(1) + area.group(2)) == 580
    assert values.unit_factor("亿元", "money") == 10000
    assert values.unit_factor("平方公里", "area_ha") == 100
    assert values.unit_factor("个", "money") is None
    assert values.cell_number("**1,850**") == 1850 and values.cell_number("37.10%") == Decimal(
        "37.10"
    )
    assert (
        values.date_or_none("2023年9月25日") is not None and values.date_or_none("9月31日") is None
    )
    assert list(values.impossible_dates("2023年2月30日与9月31日")) == [
        "“2023年2月30日”不是有效日期：2023年2月只有28天，实为30日",
        "“9月31日”不是有效日期：9月只有30天，实为31日",
    ]
