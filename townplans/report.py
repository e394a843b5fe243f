"""Findings -> text, json, junit, sarif or html. Pure formatting: no I/O, no rule logic.

Every format carries the same facts: code, severity, location, Chinese message, what the rule
rests on, and whether an approved waiver covers it (waived findings are kept, marked, and not
counted). Output is deterministic for the same findings (no timestamps).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from townplans import __version__
from townplans.check import CheckResult, town_of
from townplans.model import Finding, Severity, Workspace
from townplans.rules import REGISTRY, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_ANSI = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"


@dataclass(frozen=True, slots=True)
class ReportInput:
    """What a report is made from."""

    result: CheckResult
    workspace: Workspace
    profile_version: str
    strict: bool = False

    def town_name(self, slug: str | None) -> str:
        if slug is None:
            return "区级"
        town = self.workspace.town(slug)
        return f"{town.name}（{slug}）" if town else slug

    def groups(self) -> list[tuple[str | None, list[Finding]]]:
        """Findings grouped by town in district order, district-level first."""
        groups: dict[str | None, list[Finding]] = {}
        for finding in self.result.findings:
            groups.setdefault(town_of(finding, self.workspace), []).append(finding)
        order = [None, *(t.slug for t in self.workspace.district.towns)]
        return [(slug, groups[slug]) for slug in order if slug in groups]


def summary_line(data: ReportInput) -> str:
    result = data.result
    waived = len(result.findings) - len(result.active)
    verdict = "未通过" if result.failed(data.strict) else "通过"
    return (
        f"检查{verdict}：错误 {result.count(Severity.ERROR)}，警告 {result.count(Severity.WARNING)}，"
        f"提示 {result.count(Severity.INFO)}，已豁免 {waived}"
        f"（{len(result.towns)} 个镇，{len(result.rules)} 条规则，规则文件版本 {data.profile_version}）"
    )


def reviewer_line(data: ReportInput) -> tuple[str, str]:
    """The check's verdict as the district summary prints it for a reviewer: the counts and the
    verdict in words, then (in smaller print) what it was checked against."""
    result = data.result
    waived = len(result.findings) - len(result.active)
    verdict = "未通过" if result.failed(data.strict) else "通过"
    counts = (
        f"错误 {result.count(Severity.ERROR)} 项、警告 {result.count(Severity.WARNING)} 项、"
        f"提示 {result.count(Severity.INFO)} 项"
    )
    exempt = f"，另有 {waived} 项已按豁免处理" if waived else ""
    basis = (
        f"按区级规则文件 {data.profile_version} 核对（{len(result.rules)} 条规则，"
        f"{len(result.towns)} 个镇）。"
    )
    return f"材料检查：{counts}{exempt}，{verdict}。", basis


def text(data: ReportInput, color: bool = False) -> str:
    """``path:line:col: TP203 错误 message``, grouped by town, with a summary line."""
    lines: list[str] = []
    for slug, findings in data.groups():
        lines.append(f"== {data.town_name(slug)} ==")
        for finding in findings:
            label = finding.severity.label
            if color:
                label = f"{_ANSI[finding.severity]}{label}{_RESET}"
            waived = f" [{finding.waiver}]" if finding.waiver else ""
            lines.append(f"{finding.ref}: {finding.code} {label} {finding.message}{waived}")
        lines.append("")
    lines.append(summary_line(data))
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding, data: ReportInput) -> dict[str, Any]:
    rule = REGISTRY.get(finding.code)
    return {
        "code": finding.code,
        "slug": rule.slug if rule else None,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.ref.path,
        "line": finding.ref.line,
        "column": finding.ref.col,
        "town": town_of(finding, data.workspace),
        "source": finding.source,
        "waived": finding.waiver is not None,
        "waiver": finding.waiver,
    }


def as_json(data: ReportInput) -> str:
    result = data.result
    document = {
        "tool": "townplans",
        "version": __version__,
        "profile_version": data.profile_version,
        "towns": list(result.towns),
        "summary": {
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            "waived": len(result.findings) - len(result.active),
            "failed": result.failed(data.strict),
        },
        "findings": [_finding_json(f, data) for f in result.findings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def junit(data: ReportInput) -> str:
    """JUnit XML: a test suite per town, a test case per finding (errors fail; so do warnings
    with --strict; infos and waived findings are skipped)."""
    from xml.etree import ElementTree as ET

    root = ET.Element("testsuites", name="townplans check")
    total = failures = 0
    for slug, findings in data.groups():
        suite = ET.SubElement(root, "testsuite", name=data.town_name(slug))
        suite_failures = 0
        for finding in findings:
            case = ET.SubElement(
                suite, "testcase", classname=finding.ref.path, name=f"{finding.code} {finding.ref}"
            )
            fails = finding.waiver is None and (
                finding.severity is Severity.ERROR
                or (data.strict and finding.severity is Severity.WARNING)
            )
            if fails:
                failure = ET.SubElement(
                    case, "failure", type=finding.severity.value, message=finding.message
                )
                failure.text = f"{finding.ref}: {finding.code} {finding.severity.label} {finding.message}（依据：{finding.source}）"
                suite_failures += 1
            else:
                reason = finding.waiver or f"{finding.severity.label}：{finding.message}"
                ET.SubElement(case, "skipped", message=reason)
        suite.set("tests", str(len(findings)))
        suite.set("failures", str(suite_failures))
        total += len(findings)
        failures += suite_failures
    if total == 0:
        suite = ET.SubElement(root, "testsuite", name="townplans", tests="1", failures="0")
        ET.SubElement(suite, "testcase", classname="townplans", name="全部规则通过")
        total = 1
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"family": rule.family, "basis": rule.source()},
    }


def sarif(data: ReportInput) -> str:
    """SARIF 2.1.0 for code-scanning tools; waived findings carry an external suppression."""
    rules = list(data.result.rules)
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for finding in data.result.findings:
        region: dict[str, int] = {}
        if finding.ref.line:
            region["startLine"] = finding.ref.line
            if finding.ref.col:
                region["startColumn"] = finding.ref.col
        location: dict[str, Any] = {
            "artifactLocation": {"uri": finding.ref.path, "uriBaseId": "WORKSPACE"}
        }
        if region:
            location["region"] = region
        entry: dict[str, Any] = {
            "ruleId": finding.code,
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": location}],
            "properties": {"basis": finding.source},
        }
        if finding.code in index:
            entry["ruleIndex"] = index[finding.code]
        if finding.waiver:
            entry["suppressions"] = [{"kind": "external", "justification": finding.waiver}]
        results.append(entry)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "townplans",
                        "version": __version__,
                        "rules": [_sarif_rule(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {"WORKSPACE": {"description": {"text": "工作区根目录"}}},
                "results": results,
            }
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_HTML = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{ district }} 材料检查报告</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #c00; padding-bottom: .2em; margin-top: 2em; }
h3 { font-size: 1em; background: #f3f3f3; padding: .3em .5em; font-family: monospace; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: .3em .7em; }
.error { color: #b00; font-weight: bold; } .warning { color: #a60; } .info { color: #06c; }
.waived { color: #888; text-decoration: line-through; } .code { font-family: monospace; }
.summary { font-size: 1.1em; padding: .6em; background: {{ "#fee" if failed else "#efe" }}; }
ul { margin: .3em 0; } li { margin: .2em 0; }
</style></head><body>
<h1>{{ district }} 小城镇建设材料检查报告</h1>
<p class="summary">{{ summary }}</p>
<table><tr><th>镇</th><th>错误</th><th>警告</th><th>提示</th><th>已豁免</th></tr>
{% for town in towns %}<tr><td><a href="#{{ town.anchor }}">{{ town.name }}</a></td><td class="error">{{ town.errors }}</td><td class="warning">{{ town.warnings }}</td><td class="info">{{ town.infos }}</td><td>{{ town.waived }}</td></tr>
{% endfor %}</table>
{% for town in towns %}<h2 id="{{ town.anchor }}">{{ town.name }}</h2>
{% for path, items in town.documents %}<h3>{{ path }}</h3><ul>
{% for f in items %}<li class="{{ 'waived' if f.waiver else '' }}"><span class="{{ f.severity.value }}">{{ f.severity.label }}</span>
<span class="code">{{ f.code }}</span> 第 {{ f.ref.line or "—" }} 行：{{ f.message }} <small>（依据：{{ f.source }}）</small>
{% if f.waiver %}<br><small>{{ f.waiver }}</small>{% endif %}</li>
{% endfor %}</ul>{% endfor %}{% endfor %}
<p><small>townplans {{ version }}，规则文件版本 {{ profile_version }}</small></p>
</body></html>
"""


def html(data: ReportInput) -> str:
    """A self-contained page (no external requests) per town and per document, with counts."""
    towns = []
    for index, (slug, findings) in enumerate(data.groups()):
        documents: dict[str, list[Finding]] = {}
        for finding in findings:
            documents.setdefault(finding.ref.path, []).append(finding)
        active = [f for f in findings if f.waiver is None]
        towns.append(
            {
                "anchor": f"t{index}",
                "name": data.town_name(slug),
                "errors": sum(f.severity is Severity.ERROR for f in active),
                "warnings": sum(f.severity is Severity.WARNING for f in active),
                "infos": sum(f.severity is Severity.INFO for f in active),
                "waived": len(findings) - len(active),
                "documents": sorted(documents.items()),
            }
        )
    from townplans import templating  # jinja2, only for this format

    template = templating.environment(html=True).from_string(_HTML)
    return template.render(
        district=data.workspace.district.name,
        summary=summary_line(data),
        failed=data.result.failed(data.strict),
        towns=towns,
        version=__version__,
        profile_version=data.profile_version,
    )


FORMATS: dict[str, Callable[[ReportInput], str]] = {
    "text": text,
    "json": as_json,
    "junit": junit,
    "sarif": sarif,
    "html": html,
}


def render(data: ReportInput, output_format: str, color: bool = False) -> str:
    if output_format == "text":
        return text(data, color)
    return FORMATS[output_format](data)


def rules_listing(rules: Sequence[Rule], output_format: str) -> str:
    """``townplans rules``: every code with its slug, severity, family, summary and basis."""
    if output_format == "json":
        items = [
            {
                "code": r.code,
                "slug": r.slug,
                "severity": r.severity.value,
                "family": r.family,
                "summary": r.summary,
                "basis": r.source(),
                "scope": r.scope,
            }
            for r in rules
        ]
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    lines = [
        f"{r.code}  {r.severity.label}  {r.slug:<26} {r.summary}（{r.source()}）" for r in rules
    ]
    return "\n".join(lines) + "\n"
