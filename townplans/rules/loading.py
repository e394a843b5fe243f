"""TP0xx loading: what the loader found (unreadable files, bad YAML, encodings, broken links).

The loader records these while reading, with their locations; these rules make them part of the
checker's registry so they can be listed, selected, ignored and waived like every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from townplans.model import Severity
from townplans.rules import Context, Problem, RuleCheck, rule

_LOADER_RULES = (
    ("TP001", "file-unreadable", Severity.ERROR, "文件无法读取或缺失"),
    ("TP002", "yaml-invalid", Severity.ERROR, "YAML 格式错误（含不支持的标签、过大的别名展开）"),
    ("TP003", "not-utf8", Severity.ERROR, "文本不是 UTF-8 编码（GB18030/GBK 会被识别并提示）"),
    ("TP004", "duplicate-key", Severity.ERROR, "同一字段写了两次（含中英文键重复）"),
    ("TP005", "reference-missing", Severity.ERROR, "文档引用的图片或文件不存在"),
    (
        "TP006",
        "town-folder-mismatch",
        Severity.ERROR,
        "district.yaml 所列镇与 towns/ 下的文件夹不一致",
    ),
    ("TP007", "front-matter-unclosed", Severity.ERROR, "YAML 前置信息缺少结束标记 ---"),
    ("TP008", "unknown-key", Severity.WARNING, "规则文件未定义的字段（可能是拼写错误）"),
    ("TP009", "reference-outside", Severity.ERROR, "引用了网络地址或工作区以外的文件"),
    ("TP010", "report-file-name", Severity.ERROR, "周报文件名不是有效的 YYYY-MM-DD.md"),
    ("TP011", "link-outside", Severity.ERROR, "符号链接指向工作区以外（不会读取）"),
    ("TP012", "special-file", Severity.ERROR, "命名管道、设备或套接字等特殊文件（不会打开）"),
    (
        "TP013",
        "limit-exceeded",
        Severity.ERROR,
        "超出输入限制（文件、行、列表、表格、嵌套、图片像素、数字）",
    ),
    (
        "TP014",
        "control-character",
        Severity.WARNING,
        "文本中有控制字符（已忽略；Word 无法保存它们）",
    ),
    ("TP018", "front-matter-missing", Severity.ERROR, "文档开头没有 YAML 前置信息（---）"),
    (
        "TP019",
        "checks-skipped",
        Severity.INFO,
        "文件无法读取，依赖其内容的检查已跳过（先修正读取错误）",
    ),
)


def surface(code: str) -> RuleCheck:
    """A rule that reports what loading (workspace or profile) found under ``code``."""

    def check(ctx: Context) -> Iterator[Problem]:
        for finding in ctx.loaded:
            if finding.code == code:
                yield Problem(finding.ref, finding.message, finding.severity)

    check.__doc__ = f"Surface the loader's {code} findings."
    return check


for _code, _slug, _severity, _summary in _LOADER_RULES:
    rule(_code, _slug, _severity, _summary, scope="district")(surface(_code))
