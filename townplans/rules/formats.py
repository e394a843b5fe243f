"""TP220–TP225 formats fixed by standards and practice (规范性), from the profile's ``review``: the
发文字号 (GB/T 9704-2012 7.2.5), phone numbers, the 成文日期 of a 公文 (7.3.5.4), and land-use
codes and names from the class lists of GB 50188-2007 (and GB 50137-2011)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator

from townplans.mdparser import tables
from townplans.model import Located, Severity, SourceRef
from townplans.profile import Review
from townplans.rules import Context, Problem, rule
from townplans.rules.documents import plan_year
from townplans.rules.reading import lines
from townplans.values import is_placeholder

_WRONG_BRACKETS = re.compile(r"[\[\]【】()（）〈〉<>{}［］]")


def _doc_number_problems(text: str, review: Review, year: int | None) -> Iterator[str]:
    """What is wrong with a 发文字号, most specific first (one message each)."""
    example = review.doc_number_example
    if _WRONG_BRACKETS.search(text):
        yield f"发文字号“{text}”的年份应使用六角括号〔〕（如 {example}），不用方括号或圆括号"
    elif "第" in text:
        yield f"发文字号“{text}”的序号前不加“第”（如 {example}）"
    elif re.search(r"〕0\d", text):
        yield f"发文字号“{text}”的序号不编虚位（不写前导 0，如 {example}）"
    elif not text.endswith("号"):
        yield f"发文字号“{text}”应以“号”结尾（如 {example}）"
    elif review.doc_number is not None and not review.doc_number.match(text):
        yield f"发文字号“{text}”不符合“机关代字〔年份〕序号号”的格式（如 {example}）"
    elif review.doc_number is not None and year is not None:
        match = review.doc_number.match(text)
        if match is not None and match.groups() and match.group(1) != str(year):
            yield f"发文字号“{text}”的年份 {match.group(1)} 与成文日期的年份 {year} 不一致"


@rule(
    "TP220",
    "doc-number-format",
    Severity.ERROR,
    "发文字号格式不符合 GB/T 9704（〔年份〕、不加“第”、不编虚位）",
    "standard",
    standard="GB/T 9704-2012 7.2.5",
)
def doc_number_format(ctx: Context) -> Iterator[Problem]:
    plan = ctx.the_town.construction_plan
    if plan is None:
        return
    raw = plan.meta.get("doc_number")
    if not isinstance(raw, str) or not raw.strip() or is_placeholder(raw):
        return  # TP201 reports a missing one, TP202 one still to be filled in
    year = _year(plan.meta.get("date")) or plan_year(ctx.workspace.district.meta)
    text = unicodedata.normalize("NFC", raw.strip())
    for message in _doc_number_problems(text, ctx.profile.review, year):
        yield Problem(plan.meta.ref_of("doc_number"), message)


def _year(raw: object) -> int | None:
    if isinstance(raw, dt.date):
        return raw.year
    match = re.match(r"\s*(\d{4})", str(raw)) if raw is not None else None
    return int(match.group(1)) if match else None


_PHONE_IN_TEXT = re.compile(r"(?<![\d-])(?:\d[\d\- ]{5,}\d)(?![\d-])")


def _phones(ctx: Context) -> Iterator[tuple[SourceRef, str]]:
    town = ctx.the_town
    if town.meta is not None and town.meta.get("phone") is not None:
        yield town.meta.ref_of("phone"), str(town.meta.get("phone"))
    for project in town.projects:
        if project.brief is not None and project.brief.meta.get("phone") is not None:
            yield project.brief.meta.ref_of("phone"), str(project.brief.meta.get("phone"))
    for report in town.reports:
        contact = report.doc.meta.get("contact")
        if isinstance(contact, str):
            normal = unicodedata.normalize("NFKC", contact)
            for match in _PHONE_IN_TEXT.finditer(normal):
                yield report.doc.meta.ref_of("contact"), match.group(0)


def _phone_problem(text: str, review: Review) -> str | None:
    normal = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if review.phone is None:
        return None
    if not review.phone.match(normal):
        digits = sum(c.isdigit() for c in normal)
        return (
            f"联系电话“{text}”格式有误（{digits} 位数字）：固定电话写作区号-号码（如 "
            f"{review.phone_example}），手机为 11 位"
        )
    code = review.phone_area_code
    if code and normal.startswith("0") and not normal.startswith(code):
        return f"联系电话“{text}”的区号不是本地区号 {code}"
    return None


@rule("TP221", "phone-format", Severity.WARNING, "联系电话格式有误或区号不是本地区号")
def phone_format(ctx: Context) -> Iterator[Problem]:
    for ref, text in _phones(ctx):
        if is_placeholder(text):
            continue  # still to be filled in: TP202 says so, once
        message = _phone_problem(text, ctx.profile.review)
        if message is not None:
            yield Problem(ref, message)


@rule(
    "TP225",
    "district-phone-format",
    Severity.WARNING,
    "区级联系人电话格式有误或区号不是本地区号",
    scope="district",
)
def district_phone_format(ctx: Context) -> Iterator[Problem]:
    meta = ctx.workspace.district.meta
    contacts = meta.get("contacts") if meta is not None else None
    for index, contact in enumerate(contacts if isinstance(contacts, list) else []):
        if isinstance(contact, dict) and contact.get("phone") is not None:
            if is_placeholder(contact["phone"]):
                continue  # TP207 reports a district field still to be filled in
            message = _phone_problem(str(contact["phone"]), ctx.profile.review)
            if message is not None and meta is not None:
                yield Problem(meta.ref_of("contacts", index, "phone"), message)


_ANY_DATE = re.compile(
    r"(?<!\d)\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-/.]\d{1,2}[-/.]\d{1,2}(?!\d))"
)
_ARABIC_DATE = re.compile(r"^\d{4}年[1-9]\d?月[1-9]\d?日$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@rule(
    "TP222",
    "document-date-format",
    Severity.WARNING,
    "公文正文中的日期写法不规范（年月日编虚位，或写成 2023.9.5、2023/9/5）",
    "standard",
    standard="GB/T 15835-2011 5.2；GB/T 9704-2012 7.3.5.4",
)
def document_date_format(ctx: Context) -> Iterator[Problem]:
    """The 公文's own text: its 成文日期 is rendered from the front matter in the district's style,
    but a date typed in the body is printed as written. 2023年9月5日 and 2023-09-05 are both
    standard (GB/T 15835); 2023年09月05日 (虚位) and 2023.9.5 are not."""
    plan = ctx.the_town.construction_plan
    if plan is None or ctx.profile.review.date_style == "hanzi":
        return
    for line in lines(plan):
        for match in _ANY_DATE.finditer(unicodedata.normalize("NFKC", line.text)):
            text = match.group(0).replace(" ", "")
            if _ARABIC_DATE.match(text) or _ISO_DATE.match(text):
                continue
            padded = "（月、日不编虚位，不写 0）" if re.search(r"年0|月0", text) else ""
            message = f"公文中的日期“{match.group(0)}”应写作“2023年9月5日”这样的格式{padded}"
            yield Problem(line.ref, message)


_CODE = re.compile(r"^\s*([A-Z]\d{0,2})(?![A-Za-z0-9])\s*(.*)$")


def _land_uses(ctx: Context) -> Iterator[tuple[SourceRef, str, str]]:
    """(place, code, name) of every land use written: parcels.yaml, the 控规 table, the master
    plan's land balance table."""
    town = ctx.the_town
    for plan in town.detailed_plans:
        if plan.parcels is not None and isinstance(plan.parcels.data, list):
            for index, parcel in enumerate(plan.parcels.data):
                if isinstance(parcel, dict) and parcel.get("use") is not None:
                    if is_placeholder(parcel["use"]):
                        continue  # TP202: still to be filled in
                    name = str(parcel.get("use_name") or "")
                    yield _located(plan.parcels, index), str(parcel["use"]).strip(), name
    documents = [p.text for p in town.detailed_plans if p.text is not None]
    if town.master_plan is not None:
        documents += list(town.master_plan.chapters)
    for markdown in documents:
        for table in tables(markdown):
            code_column = table.column("用地代码", "代码", "用地性质")
            if code_column is None:
                continue
            name_column = table.column("用地名称")
            for row in table.rows:
                if code_column >= len(row.cells):
                    continue
                cell = unicodedata.normalize("NFKC", row.cells[code_column])
                match = _CODE.match(cell)
                if match is None:
                    continue
                name = match.group(2)
                if name_column is not None and name_column < len(row.cells):
                    name = row.cells[name_column]
                yield row.ref, match.group(1), name


def _located(parcels: Located, index: int) -> SourceRef:
    return parcels.ref_of(index, "use")


@rule(
    "TP223",
    "land-use-code",
    Severity.ERROR,
    "用地代码不在 GB 50188-2007（或 GB 50137-2011）的用地分类中",
    "standard",
    standard="GB 50188-2007 4.1",
)
def land_use_code(ctx: Context) -> Iterator[Problem]:
    review = ctx.profile.review
    if not review.land_use_classes:
        return
    for ref, code, _ in _land_uses(ctx):
        if code in review.land_use_classes:
            continue
        if code in review.other_land_use_classes:
            message = (
                f"用地代码“{code}”是 {review.other_land_use_standard} 的分类；镇（非县人民政府"
                f"所在地）应采用 {review.land_use_standard} 的分类"
            )
            yield Problem(ref, message, Severity.WARNING)
        else:
            message = f"用地代码“{code}”不在 {review.land_use_standard} 的用地分类中"
            yield Problem(ref, message)


@rule(
    "TP224",
    "land-use-name",
    Severity.ERROR,
    "用地代码与用地名称不属于同一大类",
    "standard",
    standard="GB 50188-2007 4.1",
)
def land_use_name(ctx: Context) -> Iterator[Problem]:
    names = ctx.profile.review.land_use_names
    for ref, code, name in _land_uses(ctx):
        own = names.get(code[:1])
        if not name or own is None or any(word in name for word in own):
            continue
        other = next(
            (major for major, words in names.items() if any(word in name for word in words)), None
        )
        if other is not None:
            message = (
                f"用地代码“{code}”属 {code[:1]} 类（{own[0]}），名称“{name}”属 {other} 类"
                f"（{names[other][0]}）：代码与名称应一致"
            )
            yield Problem(ref, message)
