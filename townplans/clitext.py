"""click's own texts in Chinese: usage lines, section titles, the help option, every error.

click builds these strings with ``gettext`` (``_()`` and ``ngettext()`` bound at import in each of
its modules), so a user of an English-only tool would read "Usage:", "Options:", "Error: No such
option" in the middle of a Chinese interface. ``install()`` points those names at the table below;
a string click adds in a later version and this table does not know stays English rather than
failing. Only ``townplans.cli`` calls it (it is the only module that imports click).
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Callable, Iterable

import click

TEXTS: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Aborted!": "已中止。",
    "deprecated": "已弃用",
    "Missing command.": "缺少命令。",
    "Value must be an iterable.": "值应为可迭代的多个值。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s %(version)s",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不询问，直接确认。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "unknown error": "未知错误",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 “{command} {option}” 查看帮助。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "选项（{choices}）",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} 不是有效的是/否值，可用：{states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件（应为文件夹）。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹（应为文件）。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写入。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "Press any key to continue...": "按任意键继续……",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的值不一致。",
    "Error: invalid input": "错误：输入无效",
    "integer": "整数",
    "float": "数",
    "boolean": "是/否值",
    "text": "文字",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "提示：命令 {name!r} 已弃用。{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "提示：{param_type} {name!r} 已弃用。{extra_message}"
    ),
}
"""English texts as click writes them (its gettext message ids) and their Chinese."""

PLURALS: dict[str, str] = {
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，实为 1 个。",
    "Did you mean {possibility}?": "是否想用 {possibility}？",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "{value!r} is not {choice}.": "{value!r} 不是可选值 {choice}。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，实为 {len_value} 个。"
    ),
}
"""ngettext's singular message id and the Chinese for both forms (Chinese has no plural)."""

PLURAL_OTHER: dict[str, str] = {
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，实为 {len} 个。",
    "(Did you mean one of: {possibilities}?)": "（是否想用其中之一：{possibilities}？）",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "{value!r} is not one of {choices}.": "{value!r} 不是可选值 {choices} 之一。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats}。",
    "{len_type} values are required, but {len_value} were given.": (
        "需要 {len_type} 个值，实为 {len_value} 个。"
    ),
}

CLICK_MODULES = (
    "click.core", "click.decorators", "click.exceptions", "click.formatting", "click.parser",
    "click.types", "click.termui", "click.utils",
)  # fmt: skip


def width(text: str) -> int:
    """Terminal columns of ``text``: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _wrap(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` display columns, broken at spaces or between CJK characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if width(line + char) > columns and line:
                cut = line.rfind(" ")
                if cut > 0 and not unicodedata.east_asian_width(char) in ("W", "F"):
                    lines.append(line[:cut])
                    line = line[cut + 1 :]
                else:
                    lines.append(line)
                    line = ""
            if line or char != " ":
                line += char
        lines.append(line)
    return lines


class HelpFormatter(click.HelpFormatter):
    """click's help layout measured in display columns (CJK option names and metavars align),
    with full-width colons after Chinese headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((width(first) for first, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for first, second in rows:
            self.write(f"{indent}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(second, max(self.width - first_col - self.current_indent - 2, 20))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


def gettext(message: str) -> str:
    return TEXTS.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    if count == 1:
        return PLURALS.get(singular, singular)
    return PLURAL_OTHER.get(plural, plural)


TYPE_NAMES = {
    "IntParamType": "整数", "IntRange": "整数", "FloatParamType": "数", "FloatRange": "数",
    "BoolParamType": "是/否值", "StringParamType": "文字", "UUIDParameterType": "UUID",
    "DateTime": "日期时间", "Choice": "选项", "File": "文件名",
}  # fmt: skip
"""Names click uses for its value types in messages ("… is not a valid integer range")."""


def install() -> None:
    """Make click speak Chinese (idempotent)."""
    for class_name, chinese in TYPE_NAMES.items():
        kind = getattr(click.types, class_name, None)
        if kind is not None:
            kind.name = chinese
    translations: dict[str, Callable[..., str]] = {"_": gettext, "ngettext": ngettext}
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        for attribute, function in translations.items():
            if hasattr(module, attribute):
                setattr(module, attribute, function)
