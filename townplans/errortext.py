"""How an exception that is not townplans' own is told to a user: in Chinese, English only on request.

townplans' own exceptions carry Chinese messages. Everything else (Python's, Jinja's, PyYAML's,
Pillow's, zipfile's) speaks English, and its text must never stand in a message a planner reads.
The wording here says in Chinese what happened; the exception's class and English text, and the
traceback, are added only when ``--debug`` (``TOWNPLANS_DEBUG``) asks for them, for a bug report.
"""

from __future__ import annotations

import os
import re
import traceback

INTERNAL = "程序内部错误"
"""The words every unexpected failure starts with (a bug, not the user's mistake)."""

REPORT = "请把此信息和所用文件报告给维护者"
ASK_DEBUG = "加 --debug 重新运行可看到详细信息"


def debugging() -> bool:
    """``--debug`` was given (the CLI sets ``TOWNPLANS_DEBUG``; worker processes inherit it)."""
    return bool(os.environ.get("TOWNPLANS_DEBUG"))


def what_happened(exc: BaseException) -> str:
    """What an unexpected failure was, in Chinese: the few a user can do something about by name
    (nesting too deep, memory, a number out of range), the rest as an internal error."""
    if isinstance(exc, RecursionError):
        return "内容嵌套层数过多，超出了程序的处理能力：请减少列表、引用、表格或 YAML 的嵌套层数"
    if isinstance(exc, MemoryError):
        return "内存不足：请关闭其他程序，或减少同时处理的镇和进程数（-j）后重试"
    if isinstance(exc, OverflowError):
        return f"{INTERNAL}：某个数值或日期超出了可处理的范围"
    return INTERNAL


def unexpected(exc: BaseException) -> str:
    """A sentence for an unexpected failure: Chinese first and only, unless ``--debug``."""
    return f"{what_happened(exc)}，{REPORT}{detail(exc)}"


def detail(exc: BaseException, *, trace: bool = True) -> str:
    """The English detail of ``exc`` (class and text, and the traceback when ``trace``) for
    ``--debug``; empty otherwise."""
    if not debugging():
        return ""
    text = f"\n（调试信息）{type(exc).__name__}: {exc}"
    if trace and exc.__traceback__ is not None:
        text += "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return text


_REGEX_PROBLEMS = {
    "unterminated character set": "方括号 [ 没有闭合",
    "missing ), unterminated subpattern": "圆括号 ( 没有闭合",
    "unbalanced parenthesis": "多了一个右括号 )",
    "nothing to repeat": "重复符号（* + ? {}）前面没有内容",
    "multiple repeat": "重复符号连用（如 **）",
    "bad escape": "反斜杠 \\ 后的字符不是有效的转义",
    "bad character range": "字符范围写反了（如 [9-0]）",
    "unknown extension": "“(?” 之后的写法无效",
    "missing )": "圆括号 ( 没有闭合",
    "unknown group name": "引用了不存在的分组名",
    "invalid group reference": "引用了不存在的分组",
}


def regex_problem(exc: re.error) -> str:
    """Why a regular expression does not compile, in Chinese, with the character position."""
    message = exc.msg if isinstance(exc.msg, str) else str(exc)
    reason = next(
        (chinese for english, chinese in _REGEX_PROBLEMS.items() if message.startswith(english)),
        "写法有误",
    )
    where = f"第 {exc.pos + 1} 个字符处" if exc.pos is not None else ""
    return f"{where}{reason}{detail(exc, trace=False)}"
