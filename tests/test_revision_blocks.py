"""Blocks and the character diff that revisions are compared with (townplans.revision)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from townplans.revision.blocks import file_blocks
from townplans.revision.textdiff import compare, new_text, old_text

CHINESE = st.text(alphabet="规划用地面积公顷人口万镇区道路，。1234567890.%", max_size=60)


@given(CHINESE, CHINESE)
def test_segments_give_back_both_texts(old: str, new: str) -> None:
    segments = compare(old, new)
    assert old_text(segments) == old
    assert new_text(segments) == new


def test_changes_read_as_phrases_not_scattered_characters() -> None:
    segments = compare("镇区规划面积为2.1平方公里。", "镇区规划用地面积为2.1平方公里。")
    assert [(s.op, s.text) for s in segments if s.op != "="] == [("+", "用地")]


def test_blocks_keep_kind_line_text_and_reasons() -> None:
    text = (
        "---\ntitle: 示例\n---\n# 第一章 总则\n\n第一段\n接续。\n<!-- 修改说明：依据专家意见 -->\n\n"
        "| 项目 | 面积 |\n|---|---|\n| 居住 | 12.5 |\n\n![图1 用地规划图](drawings/a.png)\n"
    )
    blocks = file_blocks(text, "towns/x/master-plan/01.md")
    assert [(b.kind, b.line) for b in blocks] == [
        ("heading", 4), ("paragraph", 6), ("table", 10), ("figure", 14),
    ]  # fmt: skip
    heading, paragraph, table, figure = blocks
    assert (heading.text, heading.level) == ("第一章 总则", 1)
    assert paragraph.text == "第一段接续。"  # a soft break between Chinese characters is nothing
    assert paragraph.reason == "依据专家意见"
    assert table.cells == (("项目", "面积"), ("居住", "12.5"))
    assert (figure.image, figure.text) == ("drawings/a.png", "图1 用地规划图")
