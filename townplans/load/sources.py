"""Read source files safely: text with encoding diagnosis, YAML with the line of every key.

YAML is composed with PyYAML's *safe* loader into nodes and converted here, so that every mapping
key and list item keeps its line, duplicate keys are reported rather than silently overwritten, and
dates stay as written (the value parsers decide validity: PyYAML would raise on ``2023-02-30`` and
turn ``2023-09-25`` into a date whose original text is lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from townplans.model import Finding, Located, Severity, SourceRef

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (about ten times faster), else the Python one."""
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass(frozen=True, slots=True)
class TextRead:
    """The text of a file (possibly decoded with a fallback) and the findings reading it gave."""

    text: str | None
    findings: tuple[Finding, ...]


def read_text(path: Path, ref: SourceRef) -> TextRead:
    """Read UTF-8 text. GB18030 text is decoded anyway but reported, with the first bad line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return TextRead(None, (load_error("TP001", ref, f"无法读取文件：{exc.strerror}"),))
    try:
        return TextRead(data.decode("utf-8-sig"), ())
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
        return TextRead(text, (load_error("TP003", ref.at(line), message),))


def load_error(code: str, ref: SourceRef, message: str) -> Finding:
    return Finding(code, Severity.ERROR, message, ref, "practice")


def parse_yaml(
    text: str, ref: SourceRef, line_offset: int = 0
) -> tuple[Located | None, list[Finding]]:
    """Parse YAML text into a ``Located``; ``line_offset`` is added to every line (front matter).

    A syntax error gives ``None`` and a TP002 finding at the error's line.
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        col = mark.column + 1 if mark else None
        problem = _translate_yaml_problem(exc.problem or exc.context or "", text, mark)
        started = exc.context_mark
        if started is not None and mark is not None and started.line != mark.line:
            problem += f"（出错的结构从第 {started.line + 1 + line_offset} 行开始）"
        message = f"YAML 格式错误：{problem}；请检查缩进、冒号后的空格和引号是否成对"
        return None, [load_error("TP002", ref.at(line, col), message)]
    except yaml.YAMLError as exc:
        return None, [load_error("TP002", ref.at(1 + line_offset), f"YAML 无法解析：{exc}")]
    converter = _Converter(ref, line_offset)
    try:
        data = converter.convert(node, ()) if node is not None else {}
    except _TooLargeError:
        message = f"YAML 内容过大（超过 {MAX_NODES} 个值，常见原因是别名 *引用 层层展开）：已停止读取该文件"
        return None, [load_error("TP002", ref.at(1 + line_offset), message)]
    return Located(data, converter.lines, ref), converter.findings


MAX_NODES = 200_000
"""Values one YAML file may expand to; guards against alias bombs in untrusted content."""


class _TooLargeError(Exception):
    """The document expands past ``MAX_NODES`` values."""


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
}


def _translate_yaml_problem(problem: str, text: str, mark: yaml.Mark | None) -> str:
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return "出现了制表符（Tab），YAML 只能用空格缩进"
    for english, chinese in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return f"{chinese}（{problem}）"
    return problem or "无法解析"


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
        if self.count > MAX_NODES:
            raise _TooLargeError
        self.lines.setdefault(path, node.start_mark.line + 1 + self.offset)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            line = node.start_mark.line + 1 + self.offset
            message = f"不支持的 YAML 标签 {node.tag}：已忽略标签，按普通列表或映射读取"
            self.findings.append(load_error("TP002", self.ref.at(line), message))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node)

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
        try:
            return self._constructor.construct_object(node, deep=True)
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
