"""The alignment of two versions (townplans.revision.align): the merged steps give back both
versions, a moved section is one move, paragraphs are matched by similarity, tables cell by
cell, and changed numbers are shown whole."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from townplans.revision.align import align
from townplans.revision.blocks import blocks
from townplans.revision.model import Block, Op, Step
from townplans.revision.textdiff import compare, new_text, old_text

TEXT = st.text(alphabet="规划用地面积公顷镇区道路，。1234.%", min_size=1, max_size=12)


@st.composite
def block(draw: st.DrawFn) -> Block:
    kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "table", "figure"]))
    text = draw(TEXT)
    if kind == "heading":
        return Block("heading", text, text, "a.md", 1, level=draw(st.integers(1, 3)))
    if kind == "table":
        cells = tuple(
            tuple(draw(st.lists(TEXT, min_size=2, max_size=2)))
            for _ in range(draw(st.integers(1, 3)))
        )
        joined = "\n".join(" | ".join(r) for r in cells)
        return Block("table", joined, joined, "a.md", 1, cells=cells)
    if kind == "figure":
        return Block(
            "figure", text, text, "a.md", 1, image=draw(st.sampled_from(["a.png", "b.png"]))
        )
    return Block("paragraph", text, text, "a.md", 1)


SEQUENCES = st.lists(block(), max_size=14)


def old_side(steps: tuple[Step, ...]) -> list[Block]:
    return [s.old for s in steps if s.op not in (Op.INSERT, Op.MOVE_TO) and s.old is not None]


def new_side(steps: tuple[Step, ...]) -> list[Block]:
    return [s.new for s in steps if s.op not in (Op.DELETE, Op.MOVE_FROM) and s.new is not None]


@settings(max_examples=300, deadline=None)
@given(SEQUENCES, SEQUENCES)
def test_steps_give_back_both_versions(old: list[Block], new: list[Block]) -> None:
    steps = align(old, new)
    assert old_side(steps) == old
    assert new_side(steps) == new
    for step in steps:
        if step.op in (Op.MODIFY, Op.MOVE_TO) and step.segments:
            assert old_text(step.segments) == step.old.text
            assert new_text(step.segments) == step.new.text
        if step.op in (Op.MOVE_FROM, Op.MOVE_TO):
            assert step.move > 0
    halves = {(s.op, s.move) for s in steps if s.move}
    assert {m for op, m in halves if op is Op.MOVE_FROM} == {
        m for op, m in halves if op is Op.MOVE_TO
    }


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="规划面积1234567890.%，", max_size=40),
    st.text(alphabet="规划面积1234567890.%，", max_size=40),
)
def test_numbers_are_whole_and_texts_recovered(old: str, new: str) -> None:
    segments = compare(old, new)
    assert old_text(segments) == old and new_text(segments) == new
    digits = set("0123456789")
    for before, after in itertools.pairwise(segments):
        if before.op != after.op and "=" in (before.op, after.op):
            # no boundary between shared text and a change falls between two digits
            assert not (before.text[-1] in digits and after.text[0] in digits)


def test_a_changed_number_is_shown_whole() -> None:
    segments = compare("镇区规划面积为2.1平方公里。", "镇区规划面积为2.3平方公里。")
    assert [(s.op, s.text) for s in segments if s.op != "="] == [("-", "2.1"), ("+", "2.3")]
    segments = compare("绿地率30%。", "绿地率35%。")
    assert [(s.op, s.text) for s in segments if s.op != "="] == [("-", "30%"), ("+", "35%")]


DOC = """# 第一章 总则

规划期限为2021—2035年。

# 第二章 用地

## 第一节 居住用地

居住用地面积为120公顷，占建设用地的32%。

## 第二节 工业用地

工业用地集中布置在镇区东部。

# 第三章 交通

镇区道路分为主干路、次干路和支路三级。

| 道路 | 红线宽度（米） |
|---|---|
| 渭城大街 | 30 |
| 滨河路 | 24 |
"""


def test_a_moved_section_is_one_move_and_the_rest_is_equal() -> None:
    old = blocks(DOC, "a.md")
    moved = DOC.replace(
        "## 第一节 居住用地\n\n居住用地面积为120公顷，占建设用地的32%。\n\n", ""
    ).replace(
        "工业用地集中布置在镇区东部。\n\n",
        "工业用地集中布置在镇区东部。\n\n## 第一节 居住用地\n\n居住用地面积为120公顷，占建设用地的32%。\n\n",
    )
    steps = align(old, blocks(moved, "a.md"))
    changes = [
        (s.op, s.old.text if s.old else s.new.text, s.move) for s in steps if s.op is not Op.EQUAL
    ]
    assert changes in (
        [
            (Op.MOVE_FROM, "第一节 居住用地", 1), (Op.MOVE_FROM, "居住用地面积为120公顷，占建设用地的32%。", 1),
            (Op.MOVE_TO, "第一节 居住用地", 1), (Op.MOVE_TO, "居住用地面积为120公顷，占建设用地的32%。", 1),
        ],
        [  # the smaller section (the same size here) may be the one that moved
            (Op.MOVE_FROM, "第二节 工业用地", 1), (Op.MOVE_FROM, "工业用地集中布置在镇区东部。", 1),
            (Op.MOVE_TO, "第二节 工业用地", 1), (Op.MOVE_TO, "工业用地集中布置在镇区东部。", 1),
        ],
    )  # fmt: skip
    assert all(s.section[0] == "第二章 用地" for s in steps if s.move)


def test_paragraphs_cells_and_figures() -> None:
    new = (
        DOC.replace("120公顷", "126.5公顷")
        .replace("| 滨河路 | 24 |", "| 滨河路 | 30 |\n| 新华路 | 18 |")
        .replace(
            "工业用地集中布置在镇区东部。\n",
            "工业用地集中布置在镇区东部。\n\n![图1 用地规划图](drawings/a.png)\n",
        )
        .replace("规划期限为2021—2035年。\n\n", "")
    )
    steps = align(blocks(DOC, "a.md"), blocks(new, "a.md"))
    changes = [s for s in steps if s.op is not Op.EQUAL]
    assert [s.op for s in changes] == [Op.DELETE, Op.MODIFY, Op.INSERT, Op.MODIFY]
    deleted, paragraph, figure, table = changes
    assert deleted.section == ("第一章 总则",)
    assert [(s.op, s.text) for s in paragraph.segments if s.op != "="] == [
        ("-", "120"),
        ("+", "126.5"),
    ]
    assert paragraph.section == ("第二章 用地", "第一节 居住用地")
    assert figure.new is not None and figure.new.kind == "figure"
    assert [
        (c.row, c.column, c.change, [(s.op, s.text) for s in c.segments]) for c in table.cells
    ] == [
        (2, 1, "modify", [("-", "24"), ("+", "30")]),
        (3, 0, "insert", [("+", "新华路")]),
        (3, 1, "insert", [("+", "18")]),
    ]


def test_a_renamed_section_is_matched_and_a_dissimilar_paragraph_is_replaced() -> None:
    new = DOC.replace("# 第三章 交通", "# 第三章 综合交通").replace(
        "镇区道路分为主干路、次干路和支路三级。", "公共交通以城乡公交为主。"
    )
    steps = align(blocks(DOC, "a.md"), blocks(new, "a.md"))
    changes = [(s.op, (s.old or s.new).text) for s in steps if s.op is not Op.EQUAL]
    assert changes == [
        (Op.MODIFY, "第三章 交通"),
        (Op.DELETE, "镇区道路分为主干路、次干路和支路三级。"),
        (Op.INSERT, "公共交通以城乡公交为主。"),
    ]
