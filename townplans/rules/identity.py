"""TP630–TP634 identity (一致性): a reviewer compares every name that appears twice. One person's
name spelled two ways (one character apart), a post held by someone other than town.yaml says, a
place or issuer of another town, a weekly report number used twice or out of order, and a project
category its title contradicts."""

from __future__ import annotations

import collections
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from townplans.mdparser import tables
from townplans.model import Located, Severity, SourceRef, Town
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import plan_year
from townplans.rules.reading import chinese_number, lines, similar, yaml_strings
from townplans.values import is_placeholder

_NAME = re.compile(r"^([\u4e00-\u9fff]{2,4})(?:[（(]([^）)]*)[）)])?$")


@dataclass(frozen=True, slots=True)
class Mention:
    """A person's name written somewhere, with the post written beside it (if any)."""

    name: str
    post: str
    ref: SourceRef


def _mention(raw: object, ref: SourceRef) -> Mention | None:
    if not isinstance(raw, str):
        return None
    text = re.sub(r"\s*[0-9０-９][0-9０-９\- ]{5,}$", "", raw.strip())  # "赵敏 029-…"
    match = _NAME.match(text)
    if match is None:
        return None
    return Mention(match.group(1), (match.group(2) or "").strip(), ref)


_PEOPLE_FIELDS = {
    "town": ("party_secretary", "mayor", "contact"),
    "brief": ("leader", "contact"),
    "report": ("signer", "contact"),
    "plan": ("leader",),
}
_PEOPLE_COLUMNS = ("责任领导", "负责人", "联系人", "签发人")


def _mentions(town: Town) -> Iterator[Mention]:
    if town.meta is not None:
        for key in _PEOPLE_FIELDS["town"]:
            if (m := _mention(town.meta.get(key), town.meta.ref_of(key))) is not None:
                yield m
    documents = [(p.brief, "brief") for p in town.projects if p.brief is not None]
    documents += [(r.doc, "report") for r in town.reports]
    if town.construction_plan is not None:
        documents.append((town.construction_plan, "plan"))
    for markdown, kind in documents:
        for key in _PEOPLE_FIELDS[kind]:
            if (m := _mention(markdown.meta.get(key), markdown.meta.ref_of(key))) is not None:
                yield m
    for markdown in town.markdown_files():
        for table in tables(markdown):
            for index, name in enumerate(table.header):
                if any(word in name for word in _PEOPLE_COLUMNS):
                    for row in table.rows:
                        if index < len(row.cells) and (m := _mention(row.cells[index], row.ref)):
                            yield m


@rule("TP630", "name-variant", Severity.WARNING, "同一人名在两处写法相差一个字（疑似笔误）")
def name_variant(ctx: Context) -> Iterator[Problem]:
    first: dict[str, Mention] = {}
    for mention in _mentions(ctx.the_town):
        first.setdefault(mention.name, mention)
    names = list(first)
    reported: set[str] = set()
    for mention in _mentions(ctx.the_town):
        for other in names:
            if similar(mention.name, other) and mention.name not in reported:
                seen = first[other]
                if _count(ctx.the_town, mention.name) > _count(ctx.the_town, other):
                    continue  # report the rarer spelling, at its place
                message = (
                    f"“{mention.name}”与 {seen.ref}“{seen.name}”只差一个字：是同一人吗？请统一写法"
                )
                reported.add(mention.name)
                yield Problem(mention.ref, message)
    yield from _same_phone(ctx.the_town)


_PHONE = re.compile(r"[0-9][0-9\- ]{6,}[0-9]")


def _contacts(town: Town) -> Iterator[tuple[str, Mention]]:
    """(phone, the person named beside it): town.yaml, briefs (contact + phone), reports."""
    metas = [town.meta] if town.meta is not None else []
    metas += [p.brief.meta for p in town.projects if p.brief is not None]
    for meta in metas:
        phone, person = meta.get("phone"), _mention(meta.get("contact"), meta.ref_of("contact"))
        if phone is not None and person is not None:
            yield re.sub(r"\D", "", str(phone)), person
    for report in town.reports:
        contact = report.doc.meta.get("contact")
        match = _PHONE.search(contact) if isinstance(contact, str) else None
        person = _mention(contact, report.doc.meta.ref_of("contact"))
        if match is not None and person is not None:
            yield re.sub(r"\D", "", match.group(0)), person


def _same_phone(town: Town) -> Iterator[Problem]:
    """One phone number with two names beside it: the rarer name is likely a typo."""
    by_phone: dict[str, list[Mention]] = {}
    for phone, person in _contacts(town):
        by_phone.setdefault(phone, []).append(person)
    for phone, people in by_phone.items():
        counts = collections.Counter(p.name for p in people)
        if len(counts) < 2:
            continue
        common = counts.most_common(1)[0][0]
        first = next(p for p in people if p.name == common)
        for person in people:
            if counts[person.name] < counts[common]:
                message = (
                    f"联系人“{person.name}”与 {first.ref}“{common}”的电话同为 {phone}："
                    "是同一人吗？请统一写法"
                )
                yield Problem(person.ref, message)


def _count(town: Town, name: str) -> int:
    return sum(1 for m in _mentions(town) if m.name == name)


_POSTS = {
    "镇长": "mayor",
    "镇党委书记": "party_secretary",
    "党委书记": "party_secretary",
    "书记": "party_secretary",
}


@rule("TP631", "post-holder", Severity.ERROR, "职务与 town.yaml 记载的任职人不一致")
def post_holder(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    if town.meta is None:
        return
    holders = {
        str(town.meta.get(key)).strip(): (key, post)
        for post, key in _POSTS.items()
        if isinstance(town.meta.get(key), str)
    }
    for mention in _mentions(town):
        if mention.post and mention.name in holders and mention.ref.path != town.meta.ref.path:
            held_key, held_post = holders[mention.name]
            parts = re.split(r"[、，,/ ]", mention.post)
            if not any(_POSTS.get(part) == held_key for part in parts):
                where = town.meta.ref_of(held_key)
                message = (
                    f"写“{mention.name}（{mention.post}）”，但 {where} 记载{mention.name}是"
                    f"{held_post}"
                )
                yield Problem(mention.ref, message)
                continue
        key = _POSTS.get(mention.post)
        holder = town.meta.get(key) if key is not None else None
        if key is None or not isinstance(holder, str) or mention.ref.path == town.meta.ref.path:
            continue
        if holder.strip() and holder.strip() != mention.name:
            where = town.meta.ref_of(key)
            message = (
                f"写“{mention.name}（{mention.post}）”，但 {where} 记载的{mention.post}是"
                f"“{holder.strip()}”"
            )
            yield Problem(mention.ref, message)


_NEAR = re.compile(
    r"毗邻|相邻|邻近|[东南西北]邻|[东南西北]接|接壤|交界|连接|相连|通往|通向|方向|以[东南西北]"
)
_NEAR_BEFORE = re.compile(r"[与至到和及、往经]$")
"""A neighbouring town named as a neighbour (东邻窑店镇, 通往周陵镇, 与正阳镇交界) is no mistake."""
_OWN_FIELDS = ("title", "location", "owner", "unit", "reporter", "issuer", "area_name", "name",
               "working_group", "scope", "doc_number")  # fmt: skip


def _other_towns(ctx: Context) -> dict[str, str]:
    """Full and short names of the district's other towns (窑店镇 and 窑店) -> full name."""
    district = ctx.workspace.district.meta
    entries = district.get("towns") if district is not None else None
    names: dict[str, str] = {}
    own = {ctx.the_town.name, ctx.the_town.slug}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("slug") in own:
            continue
        full = str(entry.get("name") or "").strip()
        if len(full) >= 3 and full not in own:
            names[full] = full
            short = re.sub(r"(镇|街道|乡)$", "", full)
            if len(short) >= 2 and short not in ctx.the_town.name:
                names[short] = full
    return names


@rule("TP632", "other-town", Severity.ERROR, "本镇文件写的是别的镇（地点、单位、标题）")
def other_town(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    others = _other_towns(ctx)
    if not others:
        return
    pattern = re.compile("|".join(re.escape(n) for n in sorted(others, key=len, reverse=True)))
    district = _district_names(ctx)

    def search(text: str) -> re.Match[str] | None:
        for name in district:  # 渭城区 is the district, not 渭城镇
            text = text.replace(name, "　" * len(name))
        return pattern.search(text)

    metas = [town.meta] if town.meta is not None else []
    metas += [m.meta for m in town.markdown_files()]
    for meta in metas:
        for path, value in yaml_strings(meta):
            key = next((p for p in reversed(path) if isinstance(p, str)), "")
            if key in _OWN_FIELDS and (match := search(value)):
                message = f"{key}“{value}”写的是{others[match.group(0)]}，不是本镇（{town.name}）"
                yield Problem(meta.ref_of(*path), message)
    yield from _not_own(ctx, district)
    for markdown in town.markdown_files():
        for line in lines(markdown):
            match = search(line.text)
            if (
                match is not None
                and not _NEAR.search(line.text)
                and not _NEAR_BEFORE.search(line.text[: match.start()])
            ):
                message = (
                    f"正文提到{others[match.group(0)]}（“{match.group(0)}”）：本镇（{town.name}）"
                    "的材料是否沿用了别镇的文字？"
                )
                yield Problem(line.ref, message, Severity.WARNING)


_ISSUERS = ("issuer", "reporter")
"""Who issues the construction plan and sends the weekly reports: the town itself (and the titles
of its plans and reports name it)."""


_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,})(镇|街道|乡)$")
"""A town's name as a reviewer can recognise it in a text (渭城镇 -> 渭城)."""


def _short_names(ctx: Context) -> set[str]:
    """The town's name without its suffix, from town.yaml and from district.yaml (when the two
    disagree TP614 says so once; a document naming either is the town's own)."""
    names = {ctx.the_town.name}
    district = ctx.workspace.district.meta
    entries = district.get("towns") if district is not None else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("slug") == ctx.the_town.slug:
            names.add(str(entry.get("name") or "").strip())
    return {m.group(1) for name in names if (m := _PLACE.match(name))}


def _not_own(ctx: Context, district: tuple[str, ...]) -> Iterator[Problem]:
    town = ctx.the_town
    shorts = _short_names(ctx)
    if not shorts:
        return  # no recognisable place name to look for
    titled = [town.construction_plan, *(r.doc for r in town.reports)]
    titled += [p.text for p in town.detailed_plans if p.kind == "regulatory"]
    titled += list(town.master_plan.chapters[:1]) if town.master_plan is not None else []
    for markdown in town.markdown_files():
        keys = (*_ISSUERS, "title") if markdown in titled else _ISSUERS
        for key in keys:
            value = markdown.meta.get(key)
            if not isinstance(value, str) or not value.strip():
                continue
            text = value
            for name in district:  # 渭城区人民政府 is the district's, not 渭城镇's
                text = text.replace(name, "")
            if not any(short in text for short in shorts):
                message = f"{key}“{value}”没有写本镇（{town.name}）：本镇的计划、规划和周报应写本镇"
                yield Problem(markdown.meta.ref_of(key), message)


def _district_names(ctx: Context) -> tuple[str, ...]:
    """The district's name and its short forms (咸阳市渭城区, 渭城区)."""
    name = ctx.workspace.district.name
    short = re.sub(r"^.*?[市州盟]", "", name)
    return tuple(dict.fromkeys(n for n in (name, short) if len(n) >= 2))


_ISSUE = re.compile(r"第\s*([0-9]+|[一二三四五六七八九十百]+)\s*期")


_PHONE = re.compile(r"(?<![0-9])0[0-9]{2,3}-[0-9]{7,8}(?![0-9])")
_PARCEL = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,3}-[0-9]{1,3}(?![0-9])")


def _identifiers(town: Town) -> dict[str, str]:
    """What identifies a town's own things: its phone numbers (town.yaml) and its 控规 parcel ids,
    each with what it is."""
    found: dict[str, str] = {}
    if town.meta is not None:
        for _, value in yaml_strings(town.meta):
            found.update((phone, "联系电话") for phone in _PHONE.findall(value))
    for plan in town.detailed_plans:
        data = plan.parcels.data if plan.parcels is not None else None
        items = data.get("parcels") if isinstance(data, dict) else data
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("id") is not None:
                found[str(item["id"]).strip()] = "控规地块编号"
    return found


@rule(
    "TP639",
    "other-town-identifier",
    Severity.ERROR,
    "本镇文件写了别的镇的控规地块编号或联系电话（沿用了别的镇的材料）",
    "plan",
    ("R31",),
)
def other_town_identifier(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    own = _identifiers(town)
    theirs: dict[str, tuple[str, str]] = {}
    for other in ctx.workspace.district.towns:
        if other.slug != town.slug:
            for key, kind in _identifiers(other).items():
                if key not in own:
                    theirs.setdefault(key, (other.name, kind))
    if not theirs:
        return
    pattern = re.compile("|".join(rf"(?<![A-Za-z0-9]){re.escape(k)}(?![0-9])" for k in theirs))
    texts = [(line.ref, line.text) for m in town.markdown_files() for line in lines(m)]
    texts += [
        (meta.ref_of(*path), value) for meta in _metas(town) for path, value in yaml_strings(meta)
    ]
    for ref, text in texts:
        for match in pattern.finditer(text):
            name, kind = theirs[match.group(0)]
            message = (
                f"写了{kind}“{match.group(0)}”，这是{name}的{kind}，本镇（{town.name}）没有："
                f"是否沿用了{name}的材料？"
            )
            yield Problem(ref, message)


def _metas(town: Town) -> list[Located]:
    metas = [town.meta] if town.meta is not None else []
    return metas + [m.meta for m in town.markdown_files()]


@rule("TP633", "report-number", Severity.ERROR, "周报期号重复或与报送顺序不符")
def report_number(ctx: Context) -> Iterator[Problem]:
    numbered: list[tuple[int, SourceRef, str]] = []
    for report in sorted(ctx.the_town.reports, key=lambda r: r.date_text):
        title = report.doc.meta.get("title")
        match = _ISSUE.search(title) if isinstance(title, str) else None
        number = chinese_number(match.group(1)) if match else None
        if number is not None:
            numbered.append((number, report.doc.meta.ref_of("title"), report.date_text))
    for (before, before_ref, before_date), (now, ref, date) in itertools.pairwise(numbered):
        if now == before:
            message = f"期号第{now}期与 {before_ref}（{before_date}）重复"
            yield Problem(ref, message)
        elif now < before:
            message = (
                f"{date} 的周报为第{now}期，早于它的 {before_ref} 却是第{before}期：期号应递增"
            )
            yield Problem(ref, message)
        elif now > before + 1:
            message = f"上一期（{before_ref}）是第{before}期，本期是第{now}期：中间缺了期号"
            yield Problem(ref, message, Severity.WARNING)


@rule("TP634", "category-content", Severity.WARNING, "项目类别与项目名称所示内容不符")
def category_content(ctx: Context) -> Iterator[Problem]:
    words = ctx.profile.review.category_words
    for project in ctx.the_town.projects:
        brief = project.brief
        category = brief.meta.get("category") if brief is not None else None
        if brief is None or not isinstance(category, str) or category not in words:
            continue
        title = str(brief.meta.get("title") or "")
        texts = (title, str(brief.meta.get("scale") or ""))
        if any(word in text for text in texts for word in words[category]):
            continue
        shown = next(
            (other for other, found in words.items() if any(word in title for word in found)), None
        )
        if shown is not None:
            message = f"项目类别为“{category}”，但名称“{title}”和建设规模显示的是“{shown}”类项目"
            yield Problem(brief.meta.ref_of("category"), message)


def _plan_table_rows(town: Town) -> Iterator[tuple[str, dict[str, str], SourceRef]]:
    """(project name, {column header: cell}, row) of the construction plan's project table."""
    if town.construction_plan is None:
        return
    for table in tables(town.construction_plan):
        name = table.column("项目名称")
        if name is None:
            continue
        for row in table.rows:
            if name < len(row.cells):
                cells = dict(zip(table.header, row.cells, strict=False))
                yield re.sub(r"\s+", "", row.cells[name]), cells, row.ref


@rule(
    "TP635",
    "plan-row-fields",
    Severity.ERROR,
    "项目表的功能区、类别与项目简介不一致",
    "plan",
    ("R20", "R29"),
)
def plan_row_fields(ctx: Context) -> Iterator[Problem]:
    briefs = {
        re.sub(r"\s+", "", p.brief.title): p.brief
        for p in ctx.the_town.projects
        if p.brief is not None and p.brief.title
    }
    for name, cells, ref in _plan_table_rows(ctx.the_town):
        brief = briefs.get(name)
        if brief is None:
            continue
        for key, words in (("zone", ("功能区", "所属功能区")), ("category", ("类别", "项目类别"))):
            cell = next((v.strip() for h, v in cells.items() if any(w in h for w in words)), None)
            value = brief.meta.get(key)
            if is_placeholder(value) or is_placeholder(cell):
                continue  # still to be filled in: TP202 / TP120 say so
            if cell and isinstance(value, str) and cell != value.strip():
                where = brief.meta.ref_of(key)
                message = f"{name}：项目表写“{cell}”，项目简介（{where}）为“{value}”"
                yield Problem(ref, message)


@rule("TP636", "status-name", Severity.WARNING, "镇的建制与名称不符（镇、街道）")
def status_name(ctx: Context) -> Iterator[Problem]:
    meta = ctx.the_town.meta
    if meta is None:
        return
    name, status = meta.get("name"), meta.get("status")
    place = _PLACE.match(name.strip()) if isinstance(name, str) else None
    known = place is not None and isinstance(status, str) and status.strip() in ("镇", "街道")
    if known and not str(name).strip().endswith(str(status).strip()):
        where = meta.ref_of("name")
        message = f"建制为“{status}”，但名称（{where}）为“{name}”：两者应一致"
        yield Problem(meta.ref_of("status"), message)


_PERIOD = re.compile(r"(\d{4})\s*[—\-－~～至到]+\s*(\d{4})\s*年")
_NEAR_TERM = re.compile(r"近期[（(]?\s*(?:至|到)\s*(\d{4})\s*年")


@rule("TP637", "plan-period", Severity.WARNING, "总体规划的规划期限或近期年限在各处写得不一致")
def plan_period(ctx: Context) -> Iterator[Problem]:
    plan = ctx.the_town.master_plan
    if plan is None or not plan.chapters:
        return
    meta = plan.chapters[0].meta
    said: list[tuple[str, SourceRef, str]] = []  # (what, where, value)
    for key in ("period", "title"):
        value = meta.get(key)
        match = _PERIOD.search(str(value)) if isinstance(value, str) else None
        if match is not None:
            said.append(("规划期限", meta.ref_of(key), f"{match.group(1)}—{match.group(2)}年"))
    for chapter in plan.chapters:
        for line in lines(chapter):
            if "规划期限" in line.text and (match := _PERIOD.search(line.text)):
                said.append(("规划期限", line.ref, f"{match.group(1)}—{match.group(2)}年"))
            for match in _NEAR_TERM.finditer(line.text):
                said.append(("近期年限", line.ref, f"{match.group(1)}年"))
    for what in ("规划期限", "近期年限"):
        values = [(ref, value) for kind, ref, value in said if kind == what]
        counts = collections.Counter(value for _, value in values)
        if len(counts) < 2:
            continue
        common = counts.most_common(1)[0][0]
        first = next(ref for ref, value in values if value == common)
        for ref, value in values:
            if value != common:
                message = f"{what}写作“{value}”，而 {first} 等处为“{common}”"
                yield Problem(ref, message)


_TITLE_YEAR = re.compile(r"(?<![0-9—\-])(20\d{2})\s*年(?![—\-0-9])")


@rule(
    "TP638",
    "title-year",
    Severity.WARNING,
    "建设计划或周报标题的年份不是规划年度（沿用旧文件）",
    "plan",
    ("R37",),
)
def title_year(ctx: Context) -> Iterator[Problem]:
    year = plan_year(ctx.workspace.district.meta)  # None when the phases contradict it (TP508)
    if year is None:
        return
    town = ctx.the_town
    for markdown in [town.construction_plan, *(r.doc for r in town.reports)]:
        title = markdown.meta.get("title") if markdown is not None else None
        if markdown is None or not isinstance(title, str):
            continue
        for match in _TITLE_YEAR.finditer(title):
            if int(match.group(1)) != year:
                message = f"标题“{title}”中的年份 {match.group(1)} 不是规划年度 {year}：是否沿用了旧文件？"
                yield Problem(markdown.meta.ref_of("title"), message)
