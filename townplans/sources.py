"""Read source files safely: text with encoding diagnosis, YAML with the line of every key.

YAML is composed with PyYAML's *safe* loader into nodes and converted here, so that every mapping
key and list item keeps its line, duplicate keys are reported rather than silently overwritten, and
dates stay as written (the value parsers decide validity: PyYAML would raise on ``2023-02-30`` and
turn ``2023-09-25`` into a date whose original text is lost).
"""

from __future__ import annotations

import codecs
import errno
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import yaml

from townplans import errortext
from townplans.fs import os_error, read_regular
from townplans.limits import (
    MAX_LINE_CHARS,
    MAX_LIST_ITEMS,
    MAX_TEXT_FILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
)
from townplans.model import Finding, Located, Severity, SourceRef

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (about ten times faster), else the Python one."""
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_DECIMAL = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)")


class WrittenFloat(float):
    """A YAML decimal number that remembers how it was written: ``str`` gives the text
    (``1.10``, ``2.0``), so a document prints the number as written, not as Python shortens it."""

    text: str

    def __new__(cls, value: float, text: str) -> Self:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text

    def __getnewargs__(self) -> tuple[float, str]:  # type: ignore[override]  # pickle, copy
        return float(self), self.text


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass(frozen=True, slots=True)
class TextRead:
    """The text of a file (possibly decoded with a fallback) and the findings reading it gave."""

    text: str | None
    findings: tuple[Finding, ...]


def read_text(path: Path, ref: SourceRef) -> TextRead:
    """Read UTF-8 text. GB18030 text is decoded anyway but reported, with the first bad line.

    Only regular files up to ``MAX_TEXT_FILE_BYTES`` are read (a FIFO is never opened); control
    characters are reported with their line and removed, so no writer ever meets them.
    """
    try:
        data = read_regular(path, MAX_TEXT_FILE_BYTES)
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            limit = MAX_TEXT_FILE_BYTES // (1024 * 1024)
            message = f"文件过大：超过 {limit} MB 的上限，未读取；请拆分为多个文件"
            return TextRead(None, (load_error("TP013", ref, message),))
        return TextRead(None, (load_error("TP001", ref, f"无法读取文件：{os_error(exc)}"),))
    findings: list[Finding] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Windows Notepad's "Unicode": GB18030 would decode it, wrongly, as text full of NULs.
        message = "文件是 UTF-16 编码（记事本的“Unicode”）：已按 UTF-16 读取；请另存为 UTF-8"
        findings.append(load_error("TP003", ref.at(1), message))
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = ""
        if not _plausible_text(text):
            message = "文件开头像 UTF-16 文本，但内容无法读取（可能不是文本文件）：请另存为 UTF-8"
            return TextRead(None, (load_error("TP003", ref.at(1), message),))
        text = text.replace("\r\n", "\n")
        text, control = without_control_characters(text, ref)
        return TextRead(text, (*findings, *control, *long_lines(text, ref)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            message = "文件不是 UTF-8 编码的文本，也无法按 GB18030 解码：请另存为 UTF-8"
            return TextRead(None, (load_error("TP003", ref.at(line), message),))
        message = (
            "文件不是 UTF-8 编码：看起来是 GB18030/GBK（Windows 中文默认编码），"
            "已按 GB18030 读取；请用编辑器另存为 UTF-8"
        )
        findings.append(load_error("TP003", ref.at(line), message))
    text, control = without_control_characters(text, ref)
    findings += control
    findings += long_lines(text, ref)
    return TextRead(text, tuple(findings))


def _plausible_text(text: str) -> bool:
    """Whether decoded text reads as a document: mostly ASCII, CJK and their punctuation (random
    bytes after a UTF-16 mark decode to scattered symbols)."""
    if not text:
        return False
    common = sum(
        1
        for char in text
        if char.isascii() or "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"
    )
    return common >= 0.9 * len(text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 forbids (Word cannot save them) and DEL; tab, CR and LF are text."""


def without_control_characters(text: str, ref: SourceRef) -> tuple[str, list[Finding]]:
    """``text`` without control characters, and one TP014 finding per line that had any."""
    if not _CONTROL.search(text):
        return text, []
    findings = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = _CONTROL.search(line)
        if match is None:
            continue
        char = match.group()
        name = _CONTROL_NAMES.get(char, "控制字符")
        message = (
            f"第 {match.start() + 1} 列有{name} U+{ord(char):04X}（常见于从其他软件复制的文字）："
            "已忽略，请删除"
        )
        findings.append(
            Finding("TP014", Severity.WARNING, message, ref.at(number, match.start() + 1))
        )
    return _CONTROL.sub("", text), findings


_CONTROL_NAMES = {
    "\x00": "空字符 NUL",
    "\x07": "响铃符 BEL",
    "\x08": "退格符",
    "\x0c": "换页符",
    "\x1b": "转义符 ESC",
}


def long_lines(text: str, ref: SourceRef) -> list[Finding]:
    """A TP013 warning for each line longer than ``MAX_LINE_CHARS`` (the first few only)."""
    findings: list[Finding] = []
    if len(text) <= MAX_LINE_CHARS:
        return findings
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            message = (
                f"这一行有 {len(line)} 个字符，超过 {MAX_LINE_CHARS} 字的上限："
                "请分段（过长的段落在 Word 和 PDF 中难以阅读）"
            )
            findings.append(Finding("TP013", Severity.WARNING, message, ref.at(number)))
            if len(findings) >= 3:
                break
    return findings


def load_error(code: str, ref: SourceRef, message: str) -> Finding:
    return Finding(code, Severity.ERROR, message, ref, "practice")


def internal_error(exc: BaseException, ref: SourceRef, doing: str) -> Finding:
    """An unexpected failure while ``doing`` something with ``ref``, as a TP990 finding: the other
    files and towns go on. The traceback is added when ``TOWNPLANS_DEBUG`` is set (``--debug``)."""
    if isinstance(exc, OSError):
        detail = os_error(exc) + errortext.detail(exc)
    else:
        detail = errortext.unexpected(exc)
    return Finding("TP990", Severity.ERROR, f"{doing}时出错：{detail}", ref, "practice")


def parse_yaml(
    text: str, ref: SourceRef, line_offset: int = 0
) -> tuple[Located | None, list[Finding]]:
    """Parse YAML text into a ``Located``; ``line_offset`` is added to every line (front matter).

    A syntax error gives ``None`` and a TP002 finding at the error's line.
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except RecursionError:
        return None, [_too_deep(ref, line_offset)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        colon = _full_width_colon(text, exc.context_mark, mark)
        if colon is not None:
            number, written = colon
            key, _, value = written.strip().partition("：")
            message = (
                f"这一行“{written.strip()}”用了全角冒号“：”：YAML 的键和值之间应为半角冒号加空格，"
                f"请改为“{key.strip()}: {value.strip()}”"
            )
            return None, [load_error("TP002", ref.at(number + 1 + line_offset), message)]
        line = mark.line + 1 + line_offset if mark else None
        col = mark.column + 1 if mark else None
        problem = _translate_yaml_problem(exc.problem or exc.context or "", text, mark)
        started = exc.context_mark
        if started is not None and mark is not None and started.line != mark.line:
            problem += f"（出错的结构从第 {started.line + 1 + line_offset} 行开始）"
        message = f"YAML 格式错误：{problem}；请检查缩进、冒号后的空格和引号是否成对"
        return None, [load_error("TP002", ref.at(line, col), message)]
    except yaml.YAMLError as exc:
        message = f"YAML 无法解析：文件中有 YAML 不能读取的内容{errortext.detail(exc, trace=False)}"
        return None, [load_error("TP002", ref.at(1 + line_offset), message)]
    converter = _Converter(ref, line_offset)
    try:
        data = converter.convert(node, ()) if node is not None else {}
    except _TooLargeError:
        message = (
            f"YAML 内容过大（超过 {MAX_YAML_VALUES} 个值，常见原因是别名 *引用 层层展开）："
            "已停止读取该文件"
        )
        return None, [load_error("TP013", ref.at(1 + line_offset), message)]
    except (_TooDeepError, RecursionError):
        return None, [_too_deep(ref, line_offset)]
    return Located(data, converter.lines, ref), converter.findings


def _too_deep(ref: SourceRef, line_offset: int) -> Finding:
    message = f"YAML 嵌套过深（超过 {MAX_YAML_DEPTH} 层）：已停止读取该文件；请检查缩进或括号"
    return load_error("TP013", ref.at(1 + line_offset), message)


class _TooLargeError(Exception):
    """The document expands past ``MAX_YAML_VALUES`` values."""


class _TooDeepError(Exception):
    """Mappings and lists nest deeper than ``MAX_YAML_DEPTH``."""


_YAML_PROBLEMS = {
    "could not find expected ':'": "找不到应有的冒号“:”",
    "mapping values are not allowed": "此处不能出现“键: 值”（常见原因：冒号后缺空格或缩进不齐）",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合）",
    "did not find expected key": "缩进不一致，找不到应有的键",
    "did not find expected ',' or ']'": "方括号列表 [ ] 没有闭合，或缺少逗号",
    "did not find expected ',' or '}'": "花括号映射 { } 没有闭合，或缺少逗号",
    "did not find expected '-' indicator": "列表项“-”的缩进与上文不一致",
    "found undefined alias": "引用了未定义的别名",
    "found character that cannot start any token": "出现了不能开始一个值的字符",
    "exceeded maximum nesting depth": "嵌套层数过多（超过 YAML 解析器的上限）",
    "found unknown escape character": "双引号字符串中有无效的转义（\\ 后的字符）",
    "expected <block end>, but found": "缩进不一致：此处的内容与上文不在同一层级",
    "while scanning a simple key": "找不到冒号“:”：每行应为“键: 值”",
    "found duplicate anchor": "锚点 & 重复定义",
    "expected a comment or a line break": "值后面有多余的内容",
}


_KEY_WITH_FULL_WIDTH_COLON = re.compile(r"^\s*(- )?[^\s:：#\"'{\[][^:：]*：")


def _full_width_colon(
    text: str, start: yaml.Mark | None, end: yaml.Mark | None
) -> tuple[int, str] | None:
    """The line (0-based) and text of ``键：值`` — a full-width colon where YAML needs ``: `` —
    between the marks of a YAML error (or just before it): the usual root cause of "could not find
    expected ':'" on the *next* line."""
    lines = text.split("\n")
    last = end.line if end is not None else len(lines) - 1
    first = start.line if start is not None else max(last - 1, 0)
    for number in range(min(first, last), min(last, len(lines) - 1) + 1):
        line = lines[number]
        if _KEY_WITH_FULL_WIDTH_COLON.match(line) and ": " not in line:
            return number, line
    return None


def _translate_yaml_problem(problem: str, text: str, mark: yaml.Mark | None) -> str:
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return "出现了制表符（Tab），YAML 只能用空格缩进"
    debug = f"（调试信息：{problem}）" if problem and errortext.debugging() else ""
    for english, chinese in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return chinese + debug  # PyYAML's English only for --debug
    return "此处的写法 YAML 无法读取" + debug


class _Converter:
    """Turn composed YAML nodes into plain Python data, recording the line of every path."""

    def __init__(self, ref: SourceRef, line_offset: int) -> None:
        self.ref = ref
        self.offset = line_offset
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.findings: list[Finding] = []
        self.count = 0
        self._constructor = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, path: tuple[str | int, ...]) -> Any:
        self.count += 1
        if self.count > MAX_YAML_VALUES:
            raise _TooLargeError
        if len(path) > MAX_YAML_DEPTH:
            raise _TooDeepError
        self.lines.setdefault(path, node.start_mark.line + 1 + self.offset)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            line = node.start_mark.line + 1 + self.offset
            message = f"不支持的 YAML 标签 {node.tag}：已忽略标签，按普通列表或映射读取"
            self.findings.append(load_error("TP002", self.ref.at(line), message))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            items = self._capped(node, path)
            return [self.convert(item, (*path, index)) for index, item in enumerate(items)]
        return self._scalar(node)

    def _capped(self, node: yaml.SequenceNode, path: tuple[str | int, ...]) -> list[yaml.Node]:
        """A list's first ``MAX_LIST_ITEMS`` items; a longer list is reported (TP013) at its first
        item left out, which is never converted, so nothing built from the list sees it."""
        items: list[yaml.Node] = node.value
        if len(items) <= MAX_LIST_ITEMS:
            return items
        first_left_out = items[MAX_LIST_ITEMS]
        name = f"“{path[-1]}”" if path and isinstance(path[-1], str) else ""
        message = (
            f"列表{name}有 {len(items)} 项，超过 {MAX_LIST_ITEMS} 项的上限：从本行起的 "
            f"{len(items) - MAX_LIST_ITEMS} 项未读取，也不会出现在成果中；请删减或拆分"
        )
        line = first_left_out.start_mark.line + 1 + self.offset
        self.findings.append(load_error("TP013", self.ref.at(line), message))
        return items[:MAX_LIST_ITEMS]

    def _mapping(self, node: yaml.MappingNode, path: tuple[str | int, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(self._scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1 + self.offset
            if key in result:
                first = self.lines.get((*path, key))
                message = f"键“{key}”重复出现（第一次在第 {first} 行）：后一个值会覆盖前一个"
                self.findings.append(load_error("TP004", self.ref.at(line), message))
            self.lines[(*path, key)] = line
            result[key] = self.convert(value_node, (*path, key))
            self.lines[(*path, key)] = line
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _TIMESTAMP_TAG:
            return str(node.value)
        if node.tag == _FLOAT_TAG and _DECIMAL.fullmatch(str(node.value)):
            return WrittenFloat(float(node.value), str(node.value))
        try:
            value = self._constructor.construct_object(node, deep=True)
            found = _CONTROL.search(value) if isinstance(value, str) else None
            if found is not None:
                # A double-quoted "\a" or "\x1b" decodes to a control character the text scan
                # could not see; no value may carry one into a report or a document.
                line = node.start_mark.line + 1 + self.offset
                message = (
                    f"值中有控制字符 U+{ord(found.group()):04X}（由 \\ 转义写法产生）："
                    "已忽略，请删除"
                )
                self.findings.append(Finding("TP014", Severity.WARNING, message, self.ref.at(line)))
                value = _CONTROL.sub("", value)
            return value
        except yaml.YAMLError:
            # An unknown tag (e.g. !!python/object): the safe loader refuses it; keep the text.
            line = node.start_mark.line + 1 + self.offset
            message = f"不支持的 YAML 标签 {node.tag}：已按普通文字“{node.value}”读取"
            self.findings.append(load_error("TP002", self.ref.at(line), message))
            return str(node.value)


def split_front_matter(text: str) -> tuple[str | None, int, str]:
    """Split ``---``-fenced YAML front matter from Markdown.

    Returns ``(yaml_text or None, first_yaml_line_index, body)`` where ``body`` keeps the front
    matter's lines as blank lines so that Markdown line numbers stay file line numbers.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None, 0, text
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            yaml_text = "".join(lines[1:index])
            body = "\n" * (index + 1) + "".join(lines[index + 1 :])
            return yaml_text, 1, body
    return None, 0, text
