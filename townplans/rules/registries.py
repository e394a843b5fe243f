"""TP320–TP325, TP416–TP419: what the documents say, resolved against the registries a reviewer
knows (``templates/knowledge/``: citations, places, hierarchy, permits, indicators).

Every registry entry carries its source and every finding names it. A citation the registry does
not hold is an info (it cannot be judged), never an error; a standard replaced after the
document's date is no mistake. The fact reader finds what the documents refer to (the citations
and place names of ``facts.mentions``, the fields of the construction plan and the briefs); these
rules only compare.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

from townplans.facts import Entity, Fact, Quantity, Ref
from townplans.facts.mentions import Citation, citation
from townplans.knowledge import Addressing, Citations, CitedDocument, Hierarchy, PermitRule
from townplans.model import Severity
from townplans.rules import Context, Problem, rule


def _own(ctx: Context, attribute: str) -> Iterator[Fact]:
    """The facts of ``attribute`` about the town or its documents, each place once."""
    slug = ctx.the_town.slug
    seen: set[tuple[str, int | None, str]] = set()
    for fact in ctx.facts.with_attribute(attribute):
        key = fact.subject.key
        if key != slug and not key.startswith(f"{slug}/"):
            continue
        mark = (fact.source.path, fact.source.line, str(fact.value))
        if mark not in seen:
            seen.add(mark)
            yield fact


def _day(when: dt.date) -> str:
    return f"{when.year}年{when.month}月{when.day}日"


# -- citations (TP320–TP322) ----------------------------------------------------------------------------


def _resolved(ctx: Context) -> list[tuple[Fact, Citation, CitedDocument | None]]:
    """Each citation of the town with the registry entry it names (None: not in the registry);
    a title alone names the edition in force when there is one."""
    kept = ctx.memo.get("registries.citations")
    if isinstance(kept, list):
        return kept
    registry = ctx.knowledge.citations
    found: list[tuple[Fact, Citation, CitedDocument | None]] = []
    for fact in _own(ctx, "cites"):
        if isinstance(fact.value, Ref):
            cited = citation(fact.value.original)
            found.append((fact, cited, _entry(registry, cited)))
    ctx.memo["registries.citations"] = found
    return found


def _entry(registry: Citations, cited: Citation) -> CitedDocument | None:
    if cited.number:
        exact = registry.by_number(cited.number)
        if exact is not None or re.search(r"[-—–－]\s*\d{2,4}$", cited.number):
            return exact
        editions = registry.series(cited.number)  # undated: the edition in force applies
        return next((e for e in editions if e.status == "现行"), None)
    entries = registry.by_title(cited.title) or registry.by_title(_bare(cited.title))
    current = [e for e in entries if e.status == "现行"]
    if current or not entries:
        return current[0] if current else None
    return max(entries, key=lambda e: e.replaced_on or dt.date.min)


def _bare(title: str) -> str:
    return re.sub(r"[（(][^（）()]*[）)]$", "", title).strip()


@rule(
    "TP320",
    "citation-superseded",
    Severity.ERROR,
    "引用的标准或法规在文件日期前已被代替或废止（按引用文件登记核对，写明代替者及其施行日期）",
    basis="standard",
    standard="各标准的批准发布公告、法规的施行条款（templates/knowledge/citations.yaml）",
)
def citation_superseded(ctx: Context) -> Iterator[Problem]:
    registry = ctx.knowledge.citations
    for fact, cited, entry in _resolved(ctx):
        if entry is None or entry.status == "现行":
            continue
        if cited.number and cited.title and not registry.titled(entry, cited.title):
            continue  # TP321 says the number and title do not belong together
        replacement = registry.replacement(entry)
        when = fact.as_of or ctx.today
        effective = entry.replaced_on or (replacement.in_force if replacement else None)
        if effective is not None and effective > when:
            continue  # replaced after the document was written: it was current then
        verb = "废止" if entry.status == "废止" else "被代替"
        since = f"已于{_day(effective)}{verb}" if effective else f"已{verb}（日期未收录）"
        instead = f"，应引用现行的{replacement.shown}" if replacement else ""
        dated = f"本文件日期为{_day(when)}" if fact.as_of else f"检查日为{_day(when)}"
        message = f"引用的{cited.text}{since}{instead}；{dated}（依据：{entry.source}）"
        yield Problem(fact.source, message, None if effective else Severity.WARNING)


@rule(
    "TP321",
    "citation-title-mismatch",
    Severity.ERROR,
    "引用的标准或规章编号与名称不符（编号是另一个文件的，或名称是另一版本的）",
    basis="standard",
    standard="各标准的批准发布公告（templates/knowledge/citations.yaml）",
)
def citation_title_mismatch(ctx: Context) -> Iterator[Problem]:
    registry = ctx.knowledge.citations
    for fact, cited, entry in _resolved(ctx):
        if entry is None or not cited.number or not cited.title:
            continue
        if registry.titled(entry, cited.title):
            continue
        others = [e.number or e.title for e in registry.by_title(cited.title) if e is not entry]
        theirs = f"；《{cited.title}》的编号是 {'、'.join(others)}" if others else ""
        message = (
            f"{cited.text}：编号 {entry.number} 的名称是《{entry.title}》，不是《{cited.title}》"
            f"{theirs}（依据：{entry.source}）"
        )
        yield Problem(fact.source, message)


@rule(
    "TP322",
    "citation-unknown",
    Severity.INFO,
    "引用的标准或法规未收录在引用文件登记中，无法核对其现行状态（请核实后补充条目）",
)
def citation_unknown(ctx: Context) -> Iterator[Problem]:
    for fact, cited, entry in _resolved(ctx):
        if entry is None:
            message = (
                f"引用的{cited.text}未收录在引用文件登记（templates/knowledge/citations.yaml）中，"
                "无法核对编号、名称和现行状态；请核实后补充条目并写明出处"
            )
            yield Problem(fact.source, message)


# -- places (TP323) ---------------------------------------------------------------------------------------


@rule(
    "TP323",
    "place-other-town",
    Severity.ERROR,
    "本镇文件写了另一个镇的村、社区或道路（按地名登记核对，写明地名出处）",
)
def place_other_town(ctx: Context) -> Iterator[Problem]:
    town = ctx.the_town
    names = {t.slug: t.name for t in ctx.workspace.district.towns}
    towns = [n for t in ctx.workspace.district.towns for n in (t.name, _short(t.name))]
    for fact in _own(ctx, "place"):
        name = fact.value.original if isinstance(fact.value, Ref) else str(fact.value)
        places = ctx.knowledge.places.named(name)
        owners = {p.town for p in places}
        if town.slug in owners or len(owners) != 1:
            continue  # the town's own, or a name several towns share
        if any(t and t in name for t in towns):
            continue  # 窑店老街 names its town: TP632 says so
        place = places[0]
        other = names.get(place.town, place.town)
        message = (
            f"写了“{name}”，这是{other}的{place.kind}（出处：{place.source}），"
            f"不是本镇（{town.name}）的地名；是否沿用了{other}的材料？"
        )
        yield Problem(fact.source, message)


def _short(name: str) -> str:
    short = re.sub(r"(镇|街道|乡)$", "", name)
    return short if len(short) >= 2 else ""


# -- addressees and issuers (TP324, TP325) -------------------------------------------------------------


def _names(text: str) -> list[str]:
    return [n for n in re.split(r"[、，,；;\s]+", text.strip()) if n]


def _normal(name: str, district: tuple[str, ...]) -> str:
    text = re.sub(r"[（(][^（）()]*[）)]", "", name)
    text = re.sub(r"\s+", "", text)
    for prefix in district:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text.removeprefix("区")


def _district(ctx: Context) -> tuple[str, ...]:
    name = ctx.workspace.district.name
    short = re.sub(r"^.*?[市州盟]", "", name)
    return tuple(n for n in dict.fromkeys((name, short)) if n)


def _matches(name: str, keys: tuple[str, ...], hierarchy: Hierarchy, town: str,
             district: tuple[str, ...]) -> bool:  # fmt: skip
    wanted = _normal(name, district)
    for key in keys:
        body = hierarchy.bodies.get(key)
        if body is not None and wanted in {_normal(n, district) for n in body.names(town, "")}:
            return True
    return False


def _addressing(ctx: Context, field_name: str) -> Iterator[tuple[Addressing, Fact, str]]:
    """Each name a document's ``field_name`` gives, with the hierarchy rule for it."""
    for addressing in ctx.knowledge.hierarchy.addressing:
        if addressing.field != field_name:
            continue
        subject = Entity("plan", f"{ctx.the_town.slug}/{addressing.document.replace('_', '-')}")
        fact = ctx.facts.first(subject, field_name)
        if fact is not None:
            for name in _names(fact.text):
                yield addressing, fact, name


def _bodies(hierarchy: Hierarchy, keys: tuple[str, ...], town: str, district: str) -> str:
    bodies = [hierarchy.bodies[k] for k in keys if k in hierarchy.bodies]
    return "或".join(f"“{body.names(town, district)[0]}”" for body in bodies)


@rule(
    "TP324",
    "recipient-hierarchy",
    Severity.ERROR,
    "建设计划的主送机关不是源方案规定的报送对象（区小城镇建设工作领导小组或其办公室）",
    basis="plan",
    refs=("R31", "R38"),
)
def recipient_hierarchy(ctx: Context) -> Iterator[Problem]:
    hierarchy, town, district = ctx.knowledge.hierarchy, ctx.the_town.name, _district(ctx)
    for addressing, fact, name in _addressing(ctx, "recipient"):
        expected = _bodies(hierarchy, addressing.bodies, town, district[-1] if district else "区")
        if _matches(name, addressing.bodies, hierarchy, town, district):
            continue
        if _matches(name, addressing.related, hierarchy, town, district):
            message = (
                f"主送机关写“{name}”：领导小组办公室设在该单位，但建设计划应主送{expected}"
                f"（依据：{addressing.source}）"
            )
            yield Problem(fact.source, message, Severity.WARNING)
            continue
        message = (
            f"主送机关“{name}”不是本区小城镇建设工作层级中的报送对象：建设计划应主送{expected}"
            f"（依据：{addressing.source}）"
        )
        yield Problem(fact.source, message)


@rule(
    "TP325",
    "issuer-hierarchy",
    Severity.ERROR,
    "建设计划的发文机关不是本镇党委或人民政府（镇的内设机构不能代镇发文）",
    basis="plan",
    refs=("R31",),
)
def issuer_hierarchy(ctx: Context) -> Iterator[Problem]:
    hierarchy, town, district = ctx.knowledge.hierarchy, ctx.the_town.name, _district(ctx)
    short = _short(town) or town
    for addressing, fact, name in _addressing(ctx, "issuer"):
        if short not in name:
            continue  # another town, or no town at all: TP632 says so
        if _matches(name, addressing.bodies, hierarchy, town, district):
            continue
        expected = _bodies(hierarchy, addressing.bodies, town, district[-1] if district else "区")
        message = (
            f"发文机关“{name}”不是本镇的党委或人民政府：建设计划应以{expected}名义印发"
            f"（依据：{addressing.source}）"
        )
        yield Problem(fact.source, message)


@rule(
    "TP326",
    "office-host",
    Severity.ERROR,
    "区级配置的领导小组办公室所在单位与源方案不符",
    "plan",
    ("R38",),
    scope="district",
)
def office_host(ctx: Context) -> Iterator[Problem]:
    """district.yaml's ``lead_office`` names, in brackets, the unit the office is set up in; the
    registry knows it from the source plan (an office whose ``host`` is declared)."""
    district = ctx.workspace.district.meta
    written = district.get("lead_office") if district is not None else None
    if district is None or not isinstance(written, str):
        return
    hierarchy, names = ctx.knowledge.hierarchy, _district(ctx)
    hosts = re.findall(r"[（(]([^（）()]+)[）)]", written)
    for office in hierarchy.bodies.values():
        host = hierarchy.bodies.get(office.host)
        if host is None or not _matches(_bare(written), (office.key,), hierarchy, "", names):
            continue
        for named in hosts:
            if not _matches(named, (host.key,), hierarchy, "", names):
                message = (
                    f"领导小组办公室写作设在“{named}”，源方案规定{office.note or '设在' + host.name}"
                    f"（依据：{office.source}）"
                )
                yield Problem(district.ref_of("lead_office"), message)


# -- permits (TP416–TP418) -------------------------------------------------------------------------------

_DONE, _PENDING = "已办理", ("未办理", "办理中")


def _projects(ctx: Context) -> Iterator[Entity]:
    for project in ctx.the_town.projects:
        if project.brief is not None:
            yield Entity("project", f"{ctx.the_town.slug}/{project.slug}")


def _field(ctx: Context, subject: Entity, attribute: str) -> Fact | None:
    """What the brief's own field says (before a table or a sentence restating it)."""
    facts = ctx.facts.of(subject, attribute)
    return next((f for f in facts if f.origin == "field"), facts[0] if facts else None)


def _amount(fact: Fact | None, unit: str) -> Decimal | None:
    quantity = fact.value if fact is not None and isinstance(fact.value, Quantity) else None
    return quantity.in_unit(unit) if quantity is not None else None


def _floor_area(ctx: Context, subject: Entity) -> Decimal | None:
    areas = [_amount(f, "m2") for f in ctx.facts.of(subject, "floor_area")]
    known = [a for a in areas if a is not None]
    return max(known) if known else None


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _exempt(permit: PermitRule, investment: Decimal, area: Decimal | None) -> bool:
    """Small works: at or below either limit (建筑工程施工许可管理办法 第二条第二款)."""
    if permit.exempt_investment is not None and investment <= permit.exempt_investment:
        return True
    return (
        area is not None
        and permit.exempt_floor_area is not None
        and (area <= permit.exempt_floor_area)
    )


def _beyond(permit: PermitRule, investment: Decimal, area: Decimal | None) -> str:
    limit = permit.exempt_investment or Decimal(0)
    said = f"投资规模{_number(investment)}万元超过{_number(limit)}万元"
    if area is not None and permit.exempt_floor_area is not None:
        said += f"、建筑面积{_number(area)}㎡超过{_number(permit.exempt_floor_area)}㎡"
    return said


@rule(
    "TP416",
    "permit-threshold",
    Severity.ERROR,
    "施工许可证写“不适用”，但项目超过可以不申请施工许可的限额（投资30万元、建筑面积300㎡）",
    basis="standard",
    standard="建筑工程施工许可管理办法（住房和城乡建设部令第18号）第二条",
)
def permit_threshold(ctx: Context) -> Iterator[Problem]:
    permit = ctx.knowledge.permits.get("construction")
    if permit is None or permit.exempt_investment is None:
        return
    for subject in _projects(ctx):
        status = _field(ctx, subject, f"permits.{permit.key}")
        investment = _amount(_field(ctx, subject, "investment"), "万元")
        if status is None or investment is None or not status.text.startswith("不适用"):
            continue
        area = _floor_area(ctx, subject)
        reason = status.text[3:]
        if _exempt(permit, investment, area) or any(w in reason for w in permit.exemptions):
            continue
        if any(claim.search(reason) for claim in permit.claims):
            message = (
                f"{permit.label}写“{status.text}”，理由不成立：{_beyond(permit, investment, area)}"
                f"的限额（{permit.source}），应办理{permit.label}"
            )
            yield Problem(status.source, message)
            continue
        message = (
            f"{permit.label}写“{status.text}”，但{_beyond(permit, investment, area)}，不属于可以"
            f"不申请的小型工程（{permit.source}）；属{'、'.join(permit.exemptions)}等情形的请写明"
            f"（{permit.exemptions_source}），否则应办理{permit.label}"
        )
        yield Problem(status.source, message)  # the law lists its exemptions: none is written


@rule(
    "TP417",
    "tender-threshold",
    Severity.ERROR,  # the law requires it: not a judgement call
    "招投标写“不适用”，但项目使用的财政资金和投资额达到必须招标的标准",
    basis="standard",
    standard="必须招标的工程项目规定（国家发展和改革委员会令第16号）第二条、第五条",
)
def tender_threshold(ctx: Context) -> Iterator[Problem]:
    permit = ctx.knowledge.permits.get("tender")
    if permit is None or permit.required_investment is None or permit.scope_at_least is None:
        return
    for subject in _projects(ctx):
        status = _field(ctx, subject, f"permits.{permit.key}")
        investment = _amount(_field(ctx, subject, "investment"), "万元")
        if status is None or investment is None or not status.text.startswith("不适用"):
            continue
        if investment < permit.required_investment or investment <= 0:
            continue
        if any(word in status.text for word in permit.exemptions):
            continue
        budget = {
            s: _amount(_field(ctx, subject, f"funding.{s}"), "万元") for s in permit.scope_funding
        }
        used = {s: a for s, a in budget.items() if a}
        total = sum(used.values(), Decimal(0))
        share = total * 100 / investment
        if total < permit.scope_at_least or share < (permit.scope_share or Decimal(0)):
            continue
        sources = "、".join(f"{s}{_number(a)}万元" for s, a in used.items())
        message = (
            f"招投标写“{status.text}”，但项目使用{sources}（合计{_number(total)}万元，占总投资"
            f"{share:.0f}%），属于必须招标的范围（{permit.scope_source}）；总投资"
            f"{_number(investment)}万元，施工单项合同估算价达到{_number(permit.required_investment)}"
            f"万元的必须招标（{permit.source}）：请核实并写明不招标的依据"
        )
        yield Problem(status.source, message)


@rule(
    "TP418",
    "permit-stage",
    Severity.ERROR,
    "报建手续的先后不成立：手续已办理而其前置手续未办，或应办施工许可而未办已开工",
    basis="standard",
    standard="建筑工程施工许可管理办法（住房和城乡建设部令第18号）第三条、第四条；城乡规划法 第四十条",
)
def permit_stage(ctx: Context) -> Iterator[Problem]:
    labels = _permit_labels(ctx)
    for subject in _projects(ctx):
        for permit in ctx.knowledge.permits.values():
            status = _field(ctx, subject, f"permits.{permit.key}")
            if status is None:
                continue
            if status.text.startswith(_DONE):
                yield from _prerequisites(ctx, subject, permit, status, labels)
            elif permit.before_start and status.text.startswith(_PENDING):
                yield from _started(ctx, subject, permit, status)


def _permit_labels(ctx: Context) -> dict[str, str]:
    doctype = ctx.profile.documents.get("project_brief")
    items = doctype.permit_items if doctype is not None else ()
    labels = {item.key: item.label for item in items}
    labels.update({k: p.label for k, p in ctx.knowledge.permits.items() if k not in labels})
    return labels


def _prerequisites(ctx: Context, subject: Entity, permit: PermitRule, status: Fact,
                   labels: dict[str, str]) -> Iterator[Problem]:  # fmt: skip
    for needed in permit.requires:
        before = _field(ctx, subject, f"permits.{needed.permit}")
        if before is not None and before.text.startswith(_PENDING):
            name = labels.get(needed.permit, needed.permit)
            message = (
                f"{labels.get(permit.key, permit.label)}写“已办理”，但{name}仍“{before.text}”"
                f"（{before.source}）：{needed.source}，应先办理{name}"
            )
            yield Problem(status.source, message)


def _started(ctx: Context, subject: Entity, permit: PermitRule, status: Fact) -> Iterator[Problem]:
    progress = _field(ctx, subject, "progress_percent")
    investment = _amount(_field(ctx, subject, "investment"), "万元")
    done = progress.value if progress is not None and isinstance(progress.value, Quantity) else None
    if done is None or done.value <= 0 or investment is None:
        return
    area = _floor_area(ctx, subject)
    if _exempt(permit, investment, area):
        return
    message = (
        f"形象进度{done}，项目已开工，但{permit.label}“{status.text}”：{_beyond(permit, investment, area)}"
        f"，应先取得{permit.label}（{permit.before_start}）"
    )
    yield Problem(status.source, message, None if area is not None else Severity.WARNING)


# -- indicator definitions (TP419) ----------------------------------------------------------------------

_RATIO = re.compile(r"[/／÷]|占")


@rule(
    "TP419",
    "indicator-definition",
    Severity.WARNING,
    "指标口径写的是另一个常被混淆的指标（绿地率当绿化覆盖率、清运率当处理率、入户率当普及率等）",
    basis="standard",
    standard="GB 50188-2007 表4.1.3；CJJ/T 85-2017；城市建设统计年鉴指标解释（templates/knowledge/indicators.yaml）",
    refs=("R16",),
)
def indicator_definition(ctx: Context) -> Iterator[Problem]:
    town = Entity("town", ctx.the_town.slug)
    for key, definition in ctx.knowledge.indicators.items():
        fact = ctx.facts.first(town, f"indicator.{key}.口径")
        parts = _RATIO.split(fact.text, maxsplit=1) if fact is not None else []
        if fact is None or len(parts) < 2:
            continue  # only a ratio names its numerator
        numerator = parts[0]
        for confusion in definition.confused_with:
            if not confusion.numerator.search(numerator):
                continue
            if confusion.unless is not None and confusion.unless.search(numerator):
                continue
            label = ctx.profile.indicators[key].label if key in ctx.profile.indicators else key
            message = (
                f"{label}的口径“{fact.text}”是{confusion.name}的算法（{confusion.definition}；"
                f"{confusion.source}），不是{definition.name}：应为{definition.definition}"
                f"（{definition.source}）"
            )
            yield Problem(fact.source, message)
            break
