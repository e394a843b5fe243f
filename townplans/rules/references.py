"""TP110–TP116 reference integrity (完整性): a reviewer follows every reference. A 地块 number, an
附件, a chapter or article, a permit or drawing file and a plan cited by its title must exist;
chapter numbers are used once; one file is not linked twice under different titles."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterator, Sequence

from townplans.mdparser import tables
from townplans.model import Heading, Located, MarkdownFile, Severity, SourceRef, Town
from townplans.rules import Context, Problem, rule
from townplans.rules.reading import chinese_number, lines, yaml_strings

_PARCEL_ID = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,4})-(\d{1,3})(?![0-9])")


def _parcel_ids(town: Town) -> set[str]:
    ids: set[str] = set()
    for plan in town.detailed_plans:
        if plan.parcels is not None and isinstance(plan.parcels.data, list):
            ids |= {str(p["id"]) for p in plan.parcels.data if isinstance(p, dict) and "id" in p}
        if plan.text is not None:
            for table in tables(plan.text):
                column = table.column("地块编号")
                if column is not None:
                    ids |= {r.cells[column] for r in table.rows if column < len(r.cells)}
    return ids


def _texts(town: Town) -> Iterator[tuple[SourceRef, str, MarkdownFile | None]]:
    """Every text line and front-matter string of a town's documents, with its document."""
    for markdown in town.markdown_files():
        for path, value in yaml_strings(markdown.meta):
            yield markdown.meta.ref_of(*path), value, markdown
        for line in lines(markdown):
            yield line.ref, line.text, markdown


@rule("TP110", "parcel-unknown", Severity.ERROR, "文中引用的地块编号不存在")
def parcel_unknown(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    ids = _parcel_ids(town)
    prefixes = {parcel.split("-")[0] for parcel in ids}
    if not ids:
        return
    for ref, text, _ in _texts(town):
        for match in _PARCEL_ID.finditer(unicodedata.normalize("NFKC", text)):
            if match.group(1) in prefixes and match.group(0) not in ids:
                known = "、".join(sorted(ids))
                message = f"引用的地块“{match.group(0)}”不存在：本镇控规的地块为 {known}"
                yield Problem(ref, message)


_ATTACHMENT = re.compile(r"附件\s*([0-9０-９]+|[一二三四五六七八九十]+)")


def _attachment_count(markdown: MarkdownFile, generated: int) -> int:
    own = sum(1 for token in markdown.tokens if token.type == "container_attachment_open")
    return own + generated


@rule("TP111", "attachment-unknown", Severity.ERROR, "文中引用的附件编号不存在")
def attachment_unknown(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    for markdown in town.markdown_files():
        # The construction plan gets its 附件1 项目一览表 from the briefs (gongwen-tail).
        generated = 1 if markdown is town.construction_plan else 0
        count = _attachment_count(markdown, generated)
        for line in lines(markdown):
            for match in _ATTACHMENT.finditer(line.text):
                number = chinese_number(match.group(1))
                if number is not None and not 1 <= number <= count:
                    having = f"只有 {count} 个附件（附件1—附件{count}）" if count else "没有附件"
                    message = f"引用了“{match.group(0)}”，但本文件{having}"
                    yield Problem(line.ref, message)


_CHAPTER = re.compile(r"第\s*([0-9]+|[一二三四五六七八九十百零]+)\s*(章|条)")
_HEADING_NUMBER = re.compile(r"^\s*第\s*([0-9]+|[一二三四五六七八九十百零]+)\s*(章|条)")
_CITED_ELSEWHERE = re.compile(r"(》|法|标准|办法|规范|条例|GB|规定|意见|通知)[^，。；]{0,6}$")


def _units(town: Town) -> Iterator[tuple[tuple[MarkdownFile, ...], str]]:
    """Documents whose chapters count together: the master plan's files, each other file."""
    if town.master_plan is not None and town.master_plan.chapters:
        yield town.master_plan.chapters, "总体规划"
    for plan in town.detailed_plans:
        if plan.text is not None:
            yield (plan.text,), plan.text.title or plan.slug
    if town.construction_plan is not None:
        yield (town.construction_plan,), "建设计划"


def _numbered(files: Sequence[MarkdownFile]) -> dict[str, list[tuple[int, Heading]]]:
    found: dict[str, list[tuple[int, Heading]]] = {"章": [], "条": []}
    for markdown in files:
        for heading in markdown.headings:
            match = _HEADING_NUMBER.match(heading.text)
            number = chinese_number(match.group(1)) if match else None
            if match is not None and number is not None:
                found[match.group(2)].append((number, heading))
    return found


@rule("TP112", "chapter-unknown", Severity.ERROR, "文中引用的章、条不存在")
def chapter_unknown(ctx: Context) -> Iterator[Problem]:
    for files, _ in _units(ctx.the_town):
        numbered = _numbered(files)
        for markdown in files:
            for line in lines(markdown):
                if line.heading:
                    continue
                for match in _CHAPTER.finditer(line.text):
                    if _CITED_ELSEWHERE.search(line.text[: match.start()]):
                        continue  # an article of a law or a standard
                    number = chinese_number(match.group(1))
                    kind = match.group(2)
                    have = {n for n, _ in numbered[kind]}
                    if number is not None and have and number not in have:
                        message = f"引用了“{match.group(0)}”，但本规划没有这一{kind}（现有第 {min(have)}—{max(have)} {kind}）"
                        yield Problem(line.ref, message)


@rule("TP113", "chapter-duplicate", Severity.ERROR, "章、条编号重复或跳号")
def chapter_duplicate(ctx: Context) -> Iterator[Problem]:
    for files, _ in _units(ctx.the_town):
        for kind, numbered in _numbered(files).items():
            seen: dict[int, Heading] = {}
            previous: int | None = None
            for number, heading in numbered:
                if number in seen:
                    first = seen[number].ref
                    message = f"“{heading.text}”与 {first}“{seen[number].text}”编号重复：第{number}{kind}出现两次"
                    yield Problem(heading.ref, message)
                elif previous is not None and number != previous + 1:
                    message = f"“{heading.text}”前一{kind}为第{previous}{kind}：编号跳过或倒序"
                    yield Problem(heading.ref, message, Severity.WARNING)
                seen.setdefault(number, heading)
                previous = number
        yield from _chapter_keys(files)


def _chapter_keys(files: Sequence[MarkdownFile]) -> Iterator[Problem]:
    """Master-plan chapter files with the same ``chapter:`` number in their front matter."""
    seen: dict[str, Located] = {}
    for markdown in files:
        value = markdown.meta.get("chapter")
        if value is None:
            continue
        key = str(value)
        if key in seen:
            other = seen[key].ref_of("chapter")
            message = f"章节序号 chapter: {key} 与 {other} 重复：各文件的序号应不同"
            yield Problem(markdown.meta.ref_of("chapter"), message)
        seen.setdefault(key, markdown.meta)


@rule("TP114", "link-duplicate", Severity.WARNING, "同一文件被链接两次（标题不同或重复列出）")
def link_duplicate(ctx: Context) -> Iterator[Problem]:
    for files, _ in _units(ctx.the_town):
        yield from _duplicates(files)
    for project in ctx.the_town.projects:
        if project.brief is not None:
            yield from _duplicates((project.brief,))


def _duplicates(files: Sequence[MarkdownFile]) -> Iterator[Problem]:
    by_target: dict[str, tuple[str, SourceRef]] = {}
    by_title: dict[str, tuple[str, SourceRef]] = {}
    for markdown in files:
        for link in markdown.links:
            target = link.resolved or link.target
            title = link.text.strip()
            if target in by_target:
                first_title, first = by_target[target]
                how = (
                    "标题相同，重复列出"
                    if first_title == title
                    else f"标题不同（“{first_title}”与“{title}”）"
                )
                message = f"“{link.target}”已在 {first} 链接过：{how}"
                yield Problem(link.ref, message)
            elif title and link.is_image and title in by_title:
                first_target, first = by_title[title]
                message = f"图名“{title}”已在 {first} 用于“{first_target}”：两张图纸同名"
                yield Problem(link.ref, message)
            by_target.setdefault(target, (title, link.ref))
            if title and link.is_image:
                by_title.setdefault(title, (link.target, link.ref))


_FILE_PATH = re.compile(
    r"(?<![\w/])((?:permits|drawings|boards|photos)/[^\s，。；;、）)\]>\"'“”]+\.(?:pdf|jpe?g|png|dwg))",
    re.IGNORECASE,
)


@rule("TP115", "file-unknown", Severity.ERROR, "文中或字段中写的文件（报建资料、图纸）不存在")
def file_unknown(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    present = {asset.path for asset in town.assets()}
    for markdown in town.markdown_files():
        folder = posixpath.dirname(markdown.ref.path)
        linked = {link.target for link in markdown.links}
        texts = [
            *((markdown.meta.ref_of(*p), v) for p, v in yaml_strings(markdown.meta)),
            *((line.ref, line.text) for line in lines(markdown)),
        ]
        for ref, text in texts:
            for match in _FILE_PATH.finditer(text):
                name = match.group(1)
                if name in linked:
                    continue  # a Markdown link: TP005 says whether it exists
                path = posixpath.normpath(posixpath.join(folder, name))
                if path not in present:
                    message = f"写的文件“{name}”不存在（应在 {path}）"
                    yield Problem(ref, message)


_CITED_TITLE = re.compile(r"《([^《》]{4,60})》")
_OWN_KINDS = ("规划", "计划", "方案")


def _own_titles(town: Town) -> dict[str, SourceRef]:
    titles: dict[str, SourceRef] = {}
    documents = [town.construction_plan, *(p.text for p in town.detailed_plans)]
    if town.master_plan is not None:
        documents += list(town.master_plan.chapters)
    for markdown in documents:
        if markdown is not None and isinstance(markdown.meta.get("title"), str):
            titles[_plain(markdown.meta.get("title"))] = markdown.meta.ref_of("title")
    return titles


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("—", "-")


@rule("TP116", "title-unknown", Severity.WARNING, "文中引用的本镇规划或计划名称与实际标题不符")
def title_unknown(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    titles = _own_titles(town)
    if not titles or town.name == town.slug:
        return
    for ref, text, _ in _texts(town):
        for match in _CITED_TITLE.finditer(text):
            cited = _plain(match.group(1))
            kind = re.sub(r"\([^()]*\)$", "", cited)  # 总体规划(2021-2035年)
            if not cited.startswith(_plain(town.name)) or not kind.endswith(_OWN_KINDS):
                continue
            if cited in titles:
                continue
            from difflib import SequenceMatcher  # only for a title that matches none

            best = max(titles, key=lambda t: SequenceMatcher(None, t, cited).ratio())
            edition = re.sub(r"\([^()]*\)$", "", best) == kind  # the same plan, another period
            message = (
                f"引用的《{match.group(1)}》不是本镇任何规划或计划的标题；最接近的是"
                f"《{best}》（{titles[best]}）"
                + ("：引用的是同一规划的另一版本（旧版），应以现行成果为依据" if edition else "")
            )
            yield Problem(ref, message, Severity.ERROR if edition else None)
