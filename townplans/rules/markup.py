"""TP015 raw HTML, TP016 table size and TP017 page breaks: what the writers will not render as
written, told at check time with its line. Both judge the tokens by ``townplans.rawhtml``, the one definition of the raw
HTML the writers understand and of how large a table may be (rules and render never import each
other)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it.token import Token

from townplans import limits, mdparser, rawhtml
from townplans.model import MarkdownFile, Severity
from townplans.rules import Context, Problem, rule


@rule(
    "TP015",
    "raw-html",
    Severity.WARNING,
    "原始 HTML 不按 HTML 排版：表格以外的原样打印为文字（注释 <!-- … --> 不输出），表格中不支持的标签和属性不输出",
)
def raw_html(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        for token in markdown.tokens:
            if rawhtml.is_comment(token.content) and token.type == "html_block":
                continue  # a note to the authors (修改说明): the writers leave it out
            if token.type == "html_block" and token.map is not None:
                yield from _html_block(markdown, token)
            elif token.type == "inline" and token.map is not None:
                yield from _html_inline(markdown, token)


def _html_block(markdown: MarkdownFile, token: Token) -> Iterator[Problem]:
    assert token.map is not None
    start = token.map[0] + 1
    if not rawhtml.is_table(token.content):
        first = token.content.strip().splitlines()[0] if token.content.strip() else ""
        message = (
            f"原始 HTML“{_shown(first)}”不会按 HTML 排版，Word 和 PDF 中将原样打印为文字："
            "只有 <table> 表格会排成表格，其他内容请改用 Markdown"
        )
        yield Problem(markdown.ref.at(start), message)
        return
    dropped = rawhtml.parse_table(token.content).dropped
    if dropped:
        kinds = "；".join(dict.fromkeys(note.message.removeprefix("表格中") for note in dropped))
        message = f"HTML 表格中有 {len(dropped)} 处不支持的标签或属性：{_shown(kinds, 120)}"
        yield Problem(markdown.ref.at(start + dropped[0].line), message)


def _html_inline(markdown: MarkdownFile, inline: Token) -> Iterator[Problem]:
    """One warning per paragraph, at the line of its first raw tag (``<br>`` is understood)."""
    assert inline.map is not None
    tags: list[str] = []
    cursor = 0
    line = None
    for child in inline.children or ():
        if child.type != "html_inline":
            continue
        position = inline.content.find(child.content, cursor)
        cursor = max(cursor, position + len(child.content))
        if rawhtml.is_break(child.content) or rawhtml.is_comment(child.content):
            continue
        if line is None:
            line = inline.map[0] + 1 + inline.content.count("\n", 0, max(position, 0))
        tags.append(child.content)
    if line is not None:
        shown = _shown("".join(dict.fromkeys(tags)))
        message = (
            f"行内原始 HTML“{shown}”不会按 HTML 排版，将原样打印为文字（只有 <br> 表示换行）："
            "请改用 Markdown（如 **粗体**）"
        )
        yield Problem(markdown.ref.at(line), message)


def _shown(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@rule(
    "TP016",
    "table-too-large",
    Severity.ERROR,
    f"表格超过上限（{limits.MAX_TABLE_ROWS} 行、{limits.MAX_TABLE_COLUMNS} 列、"
    f"合并单元格 {limits.MAX_TABLE_SPAN}）：超出部分不输出",
)
def table_too_large(ctx: Context) -> Iterator[Problem]:
    for markdown in ctx.the_town.markdown_files():
        yield from _gfm_tables(markdown)
        for token in markdown.tokens:
            if token.type == "html_block" and token.map and rawhtml.is_table(token.content):
                grid = rawhtml.parse_table(token.content).grid()
                for note in grid.notes:
                    yield Problem(markdown.ref.at(token.map[0] + 1 + note.line), note.message)


def _gfm_tables(markdown: MarkdownFile) -> Iterator[Problem]:
    for table in mdparser.tables(markdown):
        rows = 1 + len(table.rows)  # the header row counts, as the writers count it
        if rows > limits.MAX_TABLE_ROWS:
            yield Problem(table.rows[limits.MAX_TABLE_ROWS - 1].ref, rawhtml.too_many_rows(rows))
        if len(table.header) > limits.MAX_TABLE_COLUMNS and table.ref is not None:
            yield Problem(table.ref, rawhtml.too_many_columns(len(table.header)))


_LITERAL_BREAK = re.compile(r"(?<!\\)(?:\\\\)*(\\(?:newpage|pagebreak))(?![A-Za-z])")
"""``\\newpage`` or ``\\pagebreak`` in a paragraph's source, not escaped by a backslash before it."""
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
"""A code span in the source (blanked, keeping positions, before looking for the words)."""


@rule(
    "TP017",
    "literal-page-break",
    Severity.WARNING,
    "\\newpage 或 \\pagebreak 不是单独一行（与文字同行、在表格或标题中）：不分页，原样打印为文字",
)
def literal_page_break(ctx: Context) -> Iterator[Problem]:
    """A page break is a line of its own (``mdparser.PAGE_BREAK``); the parser has made every such
    line a page break already, so what is left in a paragraph, cell or heading is text."""
    for markdown in ctx.the_town.markdown_files():
        for token in markdown.tokens:
            if token.type == "inline" and token.map is not None:
                yield from _literal_break(markdown, token)


def _literal_break(markdown: MarkdownFile, inline: Token) -> Iterator[Problem]:
    assert inline.map is not None
    printed = "".join(c.content for c in inline.children or () if c.type == "text")
    if "\\newpage" not in printed and "\\pagebreak" not in printed:
        return  # only in code, or no such word at all
    source = _CODE_SPAN.sub(lambda span: " " * len(span.group()), inline.content)
    found = _LITERAL_BREAK.search(source)
    if found is None:
        return  # written escaped (\\newpage): meant as text
    line = inline.map[0] + 1 + source.count("\n", 0, found.start(1))
    word = found.group(1)
    message = (
        f"“{word}”与其他文字在同一段、表格或标题中，不会分页，Word 和 PDF 中将原样打印为“{word}”："
        f"分页请把 {word} 单独写成一行（或写 ::: pagebreak 与 ::: 两行），确需打印这个词请写作 \\{word}"
    )
    yield Problem(markdown.ref.at(line), message)
