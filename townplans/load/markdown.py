"""Markdown files -> ``MarkdownFile``: front matter with lines, tokens parsed once, links resolved.

Front-matter keys written as the profile's Chinese labels are renamed to their English keys. Image
and link targets are resolved against the document's folder and must stay inside the workspace: a
target outside it is refused (never read) and a missing local file is reported.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from townplans import mdparser
from townplans.fs import Kind, PathJudge, special_name
from townplans.model import Finding, Heading, Link, Located, MarkdownFile, Severity, SourceRef
from townplans.sources import load_error, parse_yaml, read_text, split_front_matter


def load_markdown(
    path: Path, root: Path, aliases: Mapping[str, str], judge: PathJudge | None = None
) -> tuple[MarkdownFile | None, list[Finding]]:
    """Load one Markdown file; ``aliases`` maps Chinese labels to front-matter keys; ``judge``
    is the loader's path policy (its folders already resolved), a new one when not given."""
    ref = SourceRef(path.relative_to(root).as_posix())
    read = read_text(path, ref)
    findings = list(read.findings)
    if read.text is None:
        return None, findings
    text = read.text
    yaml_text, _, body = split_front_matter(text)
    meta = Located({}, {}, ref)
    front_matter_ok = False
    if yaml_text is None and text.startswith("---"):
        message = "文件开头的 YAML 前置信息（---）没有结束标记：应在字段之后再写一行 --- 结束"
        findings.append(load_error("TP007", ref.at(1), message))
    elif yaml_text is not None:
        located, yaml_findings = parse_yaml(yaml_text, ref, line_offset=1)
        findings.extend(yaml_findings)
        if located is not None:
            meta, alias_findings = apply_aliases(located, aliases)
            findings.extend(alias_findings)
            front_matter_ok = isinstance(located.data, dict) or located.data is None
    tokens = tuple(mdparser.parse(body))
    links, link_findings = _links(tokens, body.splitlines(), ref, judge or PathJudge(root))
    findings.extend(link_findings)
    markdown = MarkdownFile(ref, meta, tokens, _headings(tokens, ref), links, body, front_matter_ok)
    return markdown, findings


def apply_aliases(located: Located, aliases: Mapping[str, str]) -> tuple[Located, list[Finding]]:
    """Rename top-level Chinese-label keys to English keys, keeping lines; flag double entries."""
    if not isinstance(located.data, dict):
        written = str(located.data) if located.data is not None else ""
        hint = "（这里用了全角冒号“：”，应为半角冒号加空格）" if "：" in written else ""
        message = f"前置信息应为“键: 值”映射{hint}"
        return Located({}, {}, located.ref), [load_error("TP002", located.ref_of(), message)]
    data: dict[str, object] = {}
    lines = dict(located.lines)
    findings: list[Finding] = []
    for key, value in located.data.items():
        english = aliases.get(key, key)
        if english in data:
            line = located.line_of(key)
            message = f"字段“{key}”与“{english}”是同一个字段，只能写一次"
            findings.append(load_error("TP004", located.ref.at(line), message))
            continue
        data[english] = value
        if english != key:
            for path, line in located.lines.items():
                if path and path[0] == key:
                    lines[(english, *path[1:])] = line
    return Located(data, lines, located.ref), findings


def _headings(tokens: tuple[Token, ...], ref: SourceRef) -> tuple[Heading, ...]:
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            text = mdparser.inline_text(tokens[index + 1])
            headings.append(Heading(int(token.tag[1:]), text, ref.at(token.map[0] + 1)))
    return tuple(headings)


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_REFUSED_URL = re.compile(r"\]\(\s*<?((?:file|javascript|vbscript|data):[^)\s>]*)", re.IGNORECASE)


def _links(
    tokens: tuple[Token, ...], lines: list[str], ref: SourceRef, judge: PathJudge
) -> tuple[tuple[Link, ...], list[Finding]]:
    links: list[Link] = []
    findings: list[Finding] = []
    folder = posixpath.dirname(ref.path)
    for token in tokens:
        if token.type != "inline" or token.map is None:
            continue
        for refused in _REFUSED_URL.finditer(token.content):
            # markdown-it never makes these links (its validateLink refuses the scheme), so the
            # text prints literally; say why instead of letting the image silently vanish.
            where = _locate(refused.group(1), lines, token.map, ref)
            message = (
                f"链接或图片地址“{refused.group(1)}”使用了不支持的协议：不会读取，将按原文显示"
            )
            findings.append(Finding("TP009", Severity.ERROR, message, where))
        for child in token.children or ():
            if child.type not in ("image", "link_open"):
                continue
            attr = "src" if child.type == "image" else "href"
            target = str(child.attrs.get(attr, ""))
            where = _locate(target, lines, token.map, ref)
            link, problem = _resolve(target, child.type == "image", where, folder, judge)
            link = replace(link, text=child.content)
            links.append(link)
            if problem is not None:
                findings.append(problem)
    return tuple(links), findings


def _locate(target: str, lines: list[str], block: list[int], ref: SourceRef) -> SourceRef:
    """Find the exact line and column of a link target inside its block (inline tokens have none)."""
    for index in range(block[0], min(block[1], len(lines))):
        column = lines[index].find(target)
        if column >= 0 and target:
            return ref.at(index + 1, column + 1)
    return ref.at(block[0] + 1)


def _resolve(
    target: str, is_image: bool, where: SourceRef, folder: str, judge: PathJudge
) -> tuple[Link, Finding | None]:
    if not target or target.startswith("#") or _SCHEME.match(target):
        if is_image and _SCHEME.match(target):
            message = (
                f"图片“{target}”是网络或外部地址：townplans 不联网读取，请把图片放入项目文件夹"
            )
            finding = Finding("TP009", Severity.ERROR, message, where)
            return Link(target, is_image, where, None), finding
        return Link(target, is_image, where, None), None
    local = unquote(urlsplit(target).path)
    resolved = posixpath.normpath(posixpath.join(folder, local))
    if resolved.startswith("../") or resolved == ".." or posixpath.isabs(local):
        message = f"引用“{target}”指向工作区以外：出于安全不会读取，请使用工作区内的相对路径"
        return Link(target, is_image, where, None), Finding("TP009", Severity.ERROR, message, where)
    root = judge.root
    found = judge.kind(root / resolved)
    if found is Kind.FILE:
        return Link(target, is_image, where, resolved), None
    what = "图片" if is_image else "文件"
    if found is Kind.OUTSIDE:
        message = f"引用的{what}“{target}”是指向工作区以外的符号链接：出于安全不会读取"
        return Link(target, is_image, where, None), load_error("TP011", where, message)
    if found is Kind.SPECIAL:
        message = f"引用的{what}“{target}”是{special_name(root / resolved)}，不是普通文件：不会打开"
        return Link(target, is_image, where, None), load_error("TP012", where, message)
    if found is Kind.DIR:
        message = f"引用的{what}“{target}”是一个文件夹（{resolved}），应为文件"
        return Link(target, is_image, where, None), load_error("TP005", where, message)
    message = f"引用的{what}不存在：“{target}”（应在 {resolved}）"
    return Link(target, is_image, where, resolved), load_error("TP005", where, message)
